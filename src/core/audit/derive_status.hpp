// Derive status (SPEC §3): the status and usage a number gets from the uses
// of one group. Inline: it runs once per audited entry and added number.
#pragma once

#include "core/audit/plan_state.hpp"

namespace numaudit::core::audit {

// The usage of a set of tokens not seen yet (derive_status.cpp): the
// distinct tokens of the uses in `r`, joined in rank order; cached under
// `mask` when there are at most 64 tokens.
std::uint32_t new_usage(PlanState& st, Range r, std::uint64_t mask);

// A range of uses_of(): Used if any use's kind is Used, else Used-Utility,
// else (no use) Available; usage the distinct tokens in rank order, joined
// by "," (NULL without uses).
NUMAUDIT_PER_ITEM Derived derive_status(PlanState& st, Range r) {
    if (r.empty()) return Derived{st.available, kNone};
    bool used = false;
    std::uint64_t mask = 0;  // the set of tokens (the first 64)
    for (auto i = r.begin; i < r.end; ++i) {
        const Kind& k = st.in.kinds[st.use_at(i).kind];
        used = used || k.used;
        if (k.token_order < 64) mask |= std::uint64_t{1} << k.token_order;
    }
    const std::uint32_t status = used ? st.used : st.used_utility;
    if (st.token_text.size() <= 64) {  // usage strings are few: cached by token set
        auto it = st.usage_by_mask.find(mask);
        if (it != st.usage_by_mask.end()) return Derived{status, it->second};
    }
    return Derived{status, new_usage(st, r, mask)};
}

}  // namespace numaudit::core::audit

// Rank usage tokens and derive status (SPEC §3): the status and usage a
// number gets from its uses (derive_status.hpp: the rule, inline).
#include "core/cpp_only.hpp"  // must come first: no PostgreSQL header in the core
#include "core/audit/derive_status.hpp"
#include "core/audit/steps.hpp"

#include <algorithm>

namespace numaudit::core::audit {

void rank_usage_tokens(PlanState& st) {
    auto& kinds = st.in.kinds;
    std::uint32_t n_tokens = 0;
    {
        std::pmr::vector<std::uint32_t> order(st.in.mr);
        for (std::uint32_t i = 0; i < kinds.size(); ++i) order.push_back(i);
        std::sort(order.begin(), order.end(),
                  [&](auto a, auto b) { return kinds[a].rank < kinds[b].rank; });
        FlatMap<std::uint32_t, std::uint32_t> token_order(st.in.mr);
        for (auto i : order) {
            auto it = token_order.emplace(kinds[i].token, n_tokens).first;
            if (it->second == n_tokens) ++n_tokens;
            kinds[i].token_order = it->second;
        }
    }
    st.token_text.assign(n_tokens, kNone);
    for (const auto& k : kinds) st.token_text[k.token_order] = k.token;
}

std::uint32_t new_usage(PlanState& st, Range r, std::uint64_t mask) {
    auto& tokens = st.tokens;  // reused: no allocation per usage
    tokens.clear();
    for (auto i = r.begin; i < r.end; ++i)
        tokens.push_back(st.in.kinds[st.use_at(i).kind].token_order);
    std::sort(tokens.begin(), tokens.end());
    tokens.erase(std::unique(tokens.begin(), tokens.end()), tokens.end());
    st.usage_buf.clear();
    for (std::size_t i = 0; i < tokens.size(); ++i) {
        if (i) st.usage_buf.push_back(',');
        st.usage_buf.append(st.in.strings.text(st.token_text[tokens[i]]));
    }
    const std::uint32_t usage = st.in.strings.intern(st.usage_buf);
    if (st.token_text.size() <= 64) st.usage_by_mask.emplace(mask, usage);
    return usage;
}

}  // namespace numaudit::core::audit

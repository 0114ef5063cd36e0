// The state the steps of an audit share (SPEC §3), for one Planner::plan()
// call: the indexes of uses and entries by number, the conflict set, the
// derived usages, and the plan being written (rows, writes, counts). Each step
// (steps.hpp) reads and extends it; nothing else does.
#pragma once

#include <algorithm>
#include <cstdint>
#include <functional>
#include <memory_resource>
#include <new>
#include <string_view>
#include <vector>

#include "core/audit/inputs.hpp"
#include "core/planner.hpp"

namespace numaudit::core::audit {

static_assert(kNone == RowRecord::kNone, "one 'none' id for inputs and rows");

// For the few functions a step calls per entry or per use (add_row,
// derive_status, and a step's own per-entry helpers): inlined, as the lambdas
// of the one long function they replace were; out of line they cost plan()
// about 5% more instructions.
#if defined(__GNUC__)
#define NUMAUDIT_PER_ITEM inline __attribute__((always_inline))
#else
#define NUMAUDIT_PER_ITEM inline
#endif

inline constexpr std::string_view kAvailable = "Available";
inline constexpr std::string_view kUsed = "Used";
inline constexpr std::string_view kUsedUtility = "Used-Utility";
inline constexpr std::string_view kReserved = "Reserved";
inline constexpr std::string_view kCooling = "Cooling";

inline std::uint64_t pair_key(std::uint32_t a, std::uint32_t b) {
    return (static_cast<std::uint64_t>(a) << 32) | b;
}

// Calls the interrupt check every few thousand steps of a loop.
class Ticker {
  public:
    explicit Ticker(const std::function<void()>& check) : check_(check) {}
    void tick() {
        if (check_ && (++n_ & 4095u) == 0) check_();
    }

  private:
    const std::function<void()>& check_;
    std::uint32_t n_ = 0;
};

// A sub-range of an index by number.
struct Range {
    std::uint32_t begin, end;
    bool empty() const noexcept { return begin == end; }
};

// Items (uses or entries) that read as a number, by number: a counting sort,
// offsets then item indexes, so a number's items are one range.
struct ByNumber {
    explicit ByNumber(std::pmr::memory_resource* mr) : offsets(mr), items(mr) {}
    Range of(std::uint32_t number) const noexcept {
        return Range{offsets[number], offsets[number + 1]};
    }
    std::pmr::vector<std::uint32_t> offsets;  // n_numbers + 1
    std::pmr::vector<std::uint32_t> items;
};

// The (group, number) pairs the audit leaves alone. Marked while conflicts are
// found, then sealed; only a sealed set answers contains(). Marking after
// sealing, or asking before, is a logic error (AuditError XX000).
class ConflictSet {
  public:
    ConflictSet(std::pmr::memory_resource* mr, std::uint32_t n_numbers, bool flat);
    void mark(std::uint32_t group, std::uint32_t number);
    // Whether any group marked the number (usable before sealing).
    bool marked(std::uint32_t number) const noexcept { return marked_[number]; }
    void seal();
    bool sealed() const noexcept { return sealed_; }
    bool contains(std::uint32_t group, std::uint32_t number) const {
        if (!sealed_) not_sealed();
        if (!marked_[number]) return false;
        if (flat_) return true;  // one group: the customer
        return std::binary_search(keys_.begin(), keys_.end(), pair_key(group, number));
    }

  private:
    [[noreturn]] static void not_sealed();
    std::pmr::vector<bool> marked_;
    std::pmr::vector<std::uint64_t> keys_;  // pair_key(group, number), sorted when sealed
    bool flat_;
    bool sealed_ = false;
};

// A result row being made: st.add_row(NewRow(Action::Skipped, slot).number(n).detail(d)).
class NewRow {
  public:
    NewRow(Action action, std::uint32_t node) noexcept {
        r_.action = action;
        r_.node = node;
        r_.number = kNone;
    }
    NewRow& number(std::uint32_t number_id) noexcept {
        r_.number = number_id;
        return *this;
    }
    // A row whose "number" is text that reads as no number (a string id).
    NewRow& number_text(std::uint32_t string_id) noexcept {
        r_.number = string_id;
        r_.number_is_text = true;
        return *this;
    }
    NewRow& was(std::uint32_t status, std::uint32_t usage) noexcept {
        r_.old_status = status;
        r_.old_usage = usage;
        return *this;
    }
    NewRow& becomes(std::uint32_t status, std::uint32_t usage) noexcept {
        r_.new_status = status;
        r_.new_usage = usage;
        return *this;
    }
    NewRow& detail(std::uint32_t string_id) noexcept {
        r_.detail = string_id;
        return *this;
    }
    const RowRecord& record() const noexcept { return r_; }

  private:
    RowRecord r_{};
};

// Status and usage derived from a number's uses (string ids; usage kNone: NULL).
struct Derived {
    std::uint32_t status;
    std::uint32_t usage;
};

struct PlanState {
    PlanState(Inputs& in, Plan& out, const std::function<void()>& check_interrupts);
    PlanState(const PlanState&) = delete;
    PlanState& operator=(const PlanState&) = delete;

    Inputs& in;
    Plan& out;
    Ticker ticker;
    const bool flat;
    const bool focus;  // Planner::focus_only(): the plan covers the numbers in focus only
    const std::uint32_t n_numbers;
    const std::uint32_t available, used, used_utility, reserved, cooling;  // string ids

    // rank_usage_tokens: token_order -> token string id; derive_status's cache.
    std::pmr::vector<std::uint32_t> token_text;
    FlatMap<std::uint64_t, std::uint32_t> usage_by_mask;  // token set -> usage string id
    std::pmr::vector<std::uint32_t> tokens;               // derive_status's scratch
    std::pmr::string usage_buf;

    ByNumber uses_by_number;     // collect_uses; slc: within a number, by owner
    ByNumber entries_by_number;  // collect_entries
    ConflictSet conflicts;
    std::pmr::vector<bool> on_duplicate;       // uses: copies of a device in several clusters
    std::pmr::vector<bool> entry_dup;          // entries: one node holds the number twice
    std::pmr::vector<std::int64_t> unchanged;  // by node slot
    std::pmr::vector<bool> focus_numbers;      // find_focus, in focus mode only: by number

    // Whether the plan covers the number: always, but in focus mode only the
    // numbers some Focus use or entry reads as (find_focus). Where a step
    // asks per item, it asks in a pass or loop of focus mode's own
    // (for_each_group_range, wanted_numbers), so a full audit's loops are
    // as they were.
    bool in_focus(std::uint32_t number) const noexcept { return !focus || focus_numbers[number]; }
    // Whether the use's wildcard or invalid pattern is reported (if audited).
    bool reports_pattern_of(const Use& u) const noexcept { return !(focus && u.context); }

    // The uses that count together form a group: the whole customer when the
    // dial plan is flat, each owning node when it is slc.
    std::uint32_t group_of(std::uint32_t slot) const noexcept { return flat ? 0 : slot; }
    // Whether this audit audits the node's entries and reports its patterns:
    // scope customer, every node of a flat customer; scope site, the
    // selected sites. (An slc customer with scope customer, which the
    // backend refuses, is audited nowhere.)
    bool audited(std::uint32_t slot) const noexcept {
        const Node& node = in.nodes[slot];
        return in.scope == Scope::Customer ? flat : (node.is_site && node.selected);
    }
    // Whether the conflicts of a group are reported: the customer's of a flat
    // customer always (its numbers are one), an slc node's when audited.
    bool reports_group(std::uint32_t group) const noexcept { return flat || audited(group); }

    // The uses of a number that count for a group (indexes into uses_by_number.items).
    Range uses_of(std::uint32_t group, std::uint32_t number) const noexcept {
        Range r = uses_by_number.of(number);
        if (flat) return r;
        const auto& items = uses_by_number.items;
        while (r.begin < r.end && in.uses[items[r.begin]].owner != group) ++r.begin;
        std::uint32_t e = r.begin;
        while (e < r.end && in.uses[items[e]].owner == group) ++e;
        return Range{r.begin, e};
    }
    const Use& use_at(std::uint32_t i) const noexcept { return in.uses[uses_by_number.items[i]]; }
    // Every (group, number) with uses, in (number, group) order; in focus
    // mode, of the numbers in focus only.
    template <class Fn>
    void for_each_group_range(Fn&& fn);
    template <bool kFocus, class Fn>
    void for_each_group_range_of(Fn& fn);  // kFocus: skips the numbers not in focus

    // Whether the node holds an entry for the number; whether the customer does.
    bool holds(std::uint32_t slot, std::uint32_t number) const noexcept {
        const Range r = entries_by_number.of(number);
        for (auto k = r.begin; k < r.end; ++k)
            if (in.entries[entries_by_number.items[k]].holder == slot) return true;
        return false;
    }
    bool held_anywhere(std::uint32_t number) const noexcept {
        return !entries_by_number.of(number).empty();
    }

    // The one way a result row is made: recorded, counted under its action,
    // and its index returned (for the write it reports).
    std::uint32_t add_row(const NewRow& row);
};

NUMAUDIT_PER_ITEM std::uint32_t PlanState::add_row(const NewRow& row) {
    static_assert(static_cast<int>(Action::Added) == 0 && static_cast<int>(Action::Updated) == 1 &&
                  static_cast<int>(Action::Skipped) == 2 &&
                  static_cast<int>(Action::Conflict) == 3);
    static constexpr std::int64_t Counts::*kCounter[] = {&Counts::added, &Counts::updated,
                                                         &Counts::skipped, &Counts::conflicts};
    auto& rows = out.rows.records();
    if (rows.size() >= kNone) throw std::bad_alloc();
    rows.push_back(row.record());
    ++(out.counts.*kCounter[static_cast<int>(row.record().action)]);
    return static_cast<std::uint32_t>(rows.size() - 1);
}

template <class Fn>
void PlanState::for_each_group_range(Fn&& fn) {
    // Two loops, so that a full audit pays nothing for focus mode.
    if (focus)
        for_each_group_range_of<true>(fn);
    else
        for_each_group_range_of<false>(fn);
}

template <bool kFocus, class Fn>
void PlanState::for_each_group_range_of(Fn& fn) {
    // Locals, not members: `fn` writes memory, and the loop must not reload them.
    const bool one_group = flat;
    const std::uint32_t* offsets = uses_by_number.offsets.data();
    const std::uint32_t* items = uses_by_number.items.data();
    const ChunkedVector<Use>& uses = in.uses;
    for (std::uint32_t n = 0, count = n_numbers; n < count; ++n) {
        ticker.tick();
        std::uint32_t b = offsets[n], end = offsets[n + 1];
        if constexpr (kFocus)
            if (!focus_numbers[n]) continue;
        if (one_group) {
            if (b < end) fn(0u, n, Range{b, end});
            continue;
        }
        while (b < end) {
            std::uint32_t g = uses[items[b]].owner, e = b;
            while (e < end && uses[items[e]].owner == g) ++e;
            fn(g, n, Range{b, e});
            b = e;
        }
    }
}

// Lists "A, B, C" with at most 20 items (sorted, without repeats), then "and
// N more", appended to `to`.
void join_list(std::pmr::vector<std::string_view>& items, std::pmr::string& to);

}  // namespace numaudit::core::audit

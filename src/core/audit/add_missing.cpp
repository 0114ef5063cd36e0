// Add missing entries (SPEC §3): an entry for every number in use that the
// inventory lacks — at the customer level with scope customer, at the site
// that uses it with scope site. In a flat customer, whose numbers are
// unique, never one for a number another site already holds.
#include "core/cpp_only.hpp"  // must come first: no PostgreSQL header in the core
#include "core/audit/steps.hpp"

#include <algorithm>

namespace numaudit::core::audit {

namespace {

NUMAUDIT_PER_ITEM void add_entry_row(PlanState& st, std::uint32_t slot, std::uint32_t number,
                                     Range uses) {
    const Derived d = derive_status(st, uses);
    const std::uint32_t row =
        st.add_row(NewRow(Action::Added, slot).number(number).becomes(d.status, d.usage));
    st.out.inserts.push_back(EntryInsert{st.in.nodes[slot].id, row});
}

// Scope customer (flat): a used number with no entry anywhere in the
// customer gets one at the customer level.
void add_missing_at_customer(PlanState& st) {
    if (!st.flat) return;
    st.for_each_group_range([&](std::uint32_t group, std::uint32_t number, Range r) {
        if (st.conflicts.contains(group, number) || st.held_anywhere(number)) return;
        add_entry_row(st, 0, number, r);
    });
}

// The (site, number) pairs the audited sites' own uses need, sorted (in focus
// mode, of the numbers in focus).
std::pmr::vector<std::uint64_t> wanted_numbers(const PlanState& st) {
    std::pmr::vector<std::uint64_t> wanted(st.in.mr);
    wanted.reserve(st.in.uses.size());
    for (const auto& u : st.in.uses)
        if (u.number != kNone && st.audited(u.owner)) wanted.push_back(pair_key(u.owner, u.number));
    if (st.focus)  // a pass of its own: the loop above stays as a full audit needs it
        wanted.erase(
            std::remove_if(wanted.begin(), wanted.end(),
                           [&](std::uint64_t key) { return !st.in_focus(key & 0xffffffffu); }),
            wanted.end());
    std::sort(wanted.begin(), wanted.end());
    wanted.erase(std::unique(wanted.begin(), wanted.end()), wanted.end());
    return wanted;
}

// Sites ranked by name (bytewise); the customer (and kNone) ranks last.
class SitesByName {
  public:
    explicit SitesByName(const PlanState& st)
        : st_(st), rank_(st.in.nodes.size(), kNone, st.in.mr) {
        const auto& nodes = st.in.nodes;
        std::pmr::vector<std::uint32_t> sites(st.in.mr);
        for (std::uint32_t i = 0; i < nodes.size(); ++i)
            if (nodes[i].is_site) sites.push_back(i);
        std::sort(sites.begin(), sites.end(), [&](auto a, auto b) {
            return st.in.strings.text(nodes[a].name) < st.in.strings.text(nodes[b].name);
        });
        for (std::uint32_t r = 0; r < sites.size(); ++r) rank_[sites[r]] = r;
    }
    bool before(std::uint32_t a, std::uint32_t b) const {
        return b == kNone || (a != kNone && rank_[a] < rank_[b]);
    }
    // The first site by name, other than `slot`, that holds the number.
    std::uint32_t other_holder(std::uint32_t slot, std::uint32_t number) const {
        std::uint32_t best = kNone;
        const Range r = st_.entries_by_number.of(number);
        for (auto k = r.begin; k < r.end; ++k) {
            const std::uint32_t h = st_.in.entries[st_.entries_by_number.items[k]].holder;
            if (h != slot && st_.in.nodes[h].is_site && before(h, best)) best = h;
        }
        return best;
    }

  private:
    const PlanState& st_;
    std::pmr::vector<std::uint32_t> rank_;
};

// Flat: per number held nowhere, the selected site that gets it — the first
// by name of those that need it.
std::pmr::vector<std::uint32_t> takers(PlanState& st, const std::pmr::vector<std::uint64_t>& wanted,
                                       const SitesByName& by_name) {
    std::pmr::vector<std::uint32_t> taker(st.flat ? st.n_numbers : 0, kNone, st.in.mr);
    if (!st.flat) return taker;
    for (auto key : wanted) {
        st.ticker.tick();
        auto slot = static_cast<std::uint32_t>(key >> 32);
        auto number = static_cast<std::uint32_t>(key & 0xffffffffu);
        if (st.held_anywhere(number) || st.conflicts.contains(st.group_of(slot), number)) continue;
        if (by_name.before(slot, taker[number])) taker[number] = slot;
    }
    return taker;
}

// Rows "skipped" for numbers a site needs and another node holds: once per
// number held at customer level; per site and number held at another site.
class HeldElsewhere {
  public:
    explicit HeldElsewhere(PlanState& st)
        : st_(st),
          held_detail_(st.in.nodes.size(), kNone, st.in.mr),
          detail_(st.in.mr),
          customer_reported_(st.n_numbers, false, st.in.mr) {}
    void at_customer(std::uint32_t number) {
        if (customer_reported_[number]) return;
        customer_reported_[number] = true;
        st_.add_row(NewRow(Action::Skipped, 0)
                        .number(number)
                        .detail(st_.in.strings.intern(kHeldAtCustomerLevel)));
    }
    void at_site(std::uint32_t slot, std::uint32_t number, std::uint32_t holder) {
        if (held_detail_[holder] == kNone) {
            detail_.assign(kHeldAtSite);
            detail_.append(st_.in.strings.text(st_.in.nodes[holder].name));  // names: whole
            held_detail_[holder] = st_.in.strings.intern(detail_);
        }
        st_.add_row(NewRow(Action::Skipped, slot).number(number).detail(held_detail_[holder]));
    }

  private:
    PlanState& st_;
    std::pmr::vector<std::uint32_t> held_detail_;  // by holder: string id of the detail
    std::pmr::string detail_;
    std::pmr::vector<bool> customer_reported_;  // by number
};

// Scope site: each selected site needs an entry for each number its own uses
// need. Not when the customer holds it; in a flat customer not when another
// site holds it either, and a number several selected sites need is added
// once, at the first of them in byte order of site name.
void add_missing_at_sites(PlanState& st) {
    const std::pmr::vector<std::uint64_t> wanted = wanted_numbers(st);
    const SitesByName by_name(st);
    const std::pmr::vector<std::uint32_t> taker = takers(st, wanted, by_name);
    HeldElsewhere held(st);
    for (auto key : wanted) {
        st.ticker.tick();
        auto slot = static_cast<std::uint32_t>(key >> 32);
        auto number = static_cast<std::uint32_t>(key & 0xffffffffu);
        auto group = st.group_of(slot);
        if (st.conflicts.contains(group, number) || st.holds(slot, number)) continue;
        if (st.holds(0, number)) {
            held.at_customer(number);
            continue;
        }
        if (st.flat) {
            std::uint32_t holder = by_name.other_holder(slot, number);
            if (holder == kNone && taker[number] != slot) holder = taker[number];
            if (holder != kNone) {
                held.at_site(slot, number, holder);
                continue;
            }
        }
        add_entry_row(st, slot, number, st.uses_of(group, number));
    }
}

}  // namespace

void add_missing(PlanState& st) {
    if (st.in.scope == Scope::Customer)
        add_missing_at_customer(st);
    else
        add_missing_at_sites(st);
}

}  // namespace numaudit::core::audit

// Audit entries (SPEC §3): every entry this audit audits gets the status and
// usage its number's uses give it, unless it is no number, in conflict,
// Reserved or Cooling.
#include "core/cpp_only.hpp"  // must come first: no PostgreSQL header in the core
#include "core/audit/steps.hpp"

namespace numaudit::core::audit {

namespace {

NUMAUDIT_PER_ITEM void keep(PlanState& st, const Entry& e) {
    ++st.out.counts.unchanged;
    ++st.unchanged[e.holder];
}

// The usage as a row reports it (computed for rows only).
std::uint32_t old_usage(PlanState& st, const Entry& e) {
    return e.usage == kNone ? kNone : st.in.reported(e.usage);
}

// The usage as read: the key of the update (or the digest of a long one).
OptText usage_read(const PlanState& st, const Entry& e) {
    if (!e.usage_complete) return st.in.strings.text(st.in.usage_digests.at(e.id));
    if (e.usage != kNone) return st.in.strings.text(e.usage);
    return std::nullopt;
}

NUMAUDIT_PER_ITEM void audit_entry(PlanState& st, const Entry& e, bool duplicate) {
    Inputs& in = st.in;
    if (e.number == kNone) {
        // Not a number: numaudit decides nothing on it.
        st.add_row(NewRow(Action::Skipped, e.holder)
                       .number_text(e.stored)
                       .was(e.status, old_usage(st, e))
                       .detail(in.strings.intern(kInvalidNumber)));
        return;
    }
    const auto group = st.group_of(e.holder);
    if (duplicate || st.conflicts.contains(group, e.number)) return keep(st, e);
    const Range r = st.uses_of(group, e.number);
    if (e.status == st.reserved || e.status == st.cooling) {
        // Never changed; reported when in use.
        if (r.empty()) return keep(st, e);
        st.add_row(NewRow(Action::Skipped, e.holder)
                       .number(e.number)
                       .was(e.status, old_usage(st, e))
                       .detail(e.status));
        return;
    }
    const Derived d = derive_status(st, r);
    if (d.status == e.status && d.usage == e.usage && e.usage_complete) return keep(st, e);
    const std::uint32_t row = st.add_row(NewRow(Action::Updated, e.holder)
                                             .number(e.number)
                                             .was(e.status, old_usage(st, e))
                                             .becomes(d.status, d.usage));
    st.out.updates.push_back(EntryUpdate{e.id, in.nodes[e.holder].id, row, in.stored_text(e),
                                         usage_read(st, e), e.usage_complete});
}

}  // namespace

void audit_entries(PlanState& st) {
    st.unchanged.assign(st.in.nodes.size(), 0);
    for (std::uint32_t i = 0; i < st.in.entries.size(); ++i) {
        st.ticker.tick();
        const Entry& e = st.in.entries[i];
        if (st.audited(e.holder)) audit_entry(st, e, st.entry_dup[i]);
    }
}

}  // namespace numaudit::core::audit

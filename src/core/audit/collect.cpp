// Collect uses and entries (SPEC §3): what the Planner is given, read as
// "Reading numbers" says, and, when the audit starts, indexed by number.
#include "core/cpp_only.hpp"  // must come first: no PostgreSQL header in the core
#include "core/audit/steps.hpp"

#include <algorithm>

#include "core/audit_error.hpp"
#include "core/number_reading.hpp"

namespace numaudit::core::audit {

void Inputs::add_usage_kind(std::string_view kind, std::string_view status, std::string_view usage,
                            int rank) {
    if (status != kUsed && status != kUsedUtility)
        throw AuditError(sqlstate::kInvalidParameterValue,
                         "usage kind \"" + clip.clip(kind, kMaxNameInMessage) +
                             "\" has invalid status \"" + clip.clip(status, kMaxNameInMessage) +
                             "\"");
    auto id = static_cast<std::uint32_t>(kinds.size());
    auto k = strings.intern(kind);
    kinds.push_back(Kind{k, status == kUsed, strings.intern(usage), rank, 0});
    kind_ids.emplace(strings.text(k), id);
}

void Inputs::add_site(Id id, std::string_view name, bool selected) {
    buffer.assign(strings.text(nodes[0].path));
    buffer.push_back('.');
    buffer.append(name);
    auto slot = static_cast<std::uint32_t>(nodes.size());
    nodes.push_back(Node{id, strings.intern(name), strings.intern(buffer), true, selected});
    node_slots.emplace(id, slot);
}

void Inputs::add_use(Id owner, std::string_view cluster, std::string_view kind,
                     std::string_view object_name, int line_index, std::string_view pattern,
                     bool context) {
    auto k = kind_ids.find(kind);
    if (k == kind_ids.end())
        throw AuditError(sqlstate::kInternalError, "numaudit: use of unknown kind \"" +
                                                       clip.clip(kind, kMaxNameInMessage) + "\"");
    const NumberReading read = read_number(pattern, read_buffer);
    Use use{node_slot(owner),
            k->second,
            kNone,
            line_index,
            strings.intern(cluster),
            objects.intern(object_name),
            kNone,
            read.kind,
            context};
    if (read.kind == NumberKind::Number)
        use.number = numbers.intern(read.text);
    else
        use.pattern = reported(read.text);
    uses.push_back(use);
}

void Inputs::add_entry(Id id, Id holder, std::string_view number, std::string_view status,
                       OptText usage, OptText usage_digest) {
    const NumberReading read = read_number(number, read_buffer);
    Entry e{id,    node_slot(holder),        kNone, kNone, strings.intern(status),
            kNone, !usage_digest.has_value()};
    if (usage_digest) usage_digests.emplace(id, strings.intern(*usage_digest));
    if (read.kind == NumberKind::Number) {
        e.number = numbers.intern(read.text);
        // The exact text is kept only when it differs from the number: the
        // update's key (a clean inventory costs nothing more).
        if (read.text != number) e.stored = strings.intern(number);
    } else {
        e.stored = reported(number);  // reported as it is stored; never written
    }
    if (usage) e.usage = strings.intern(*usage);
    entries.push_back(e);
}

namespace {

// Counting sort of the items that read as a number (number(i) != kNone).
template <class Items>
void index_by_number(const Items& items, std::uint32_t n_numbers, ByNumber& index,
                     std::pmr::memory_resource* mr) {
    auto& offsets = index.offsets;
    offsets.assign(static_cast<std::size_t>(n_numbers) + 1, 0);
    for (const auto& item : items)
        if (item.number != kNone) ++offsets[item.number + 1];
    for (std::uint32_t n = 0; n < n_numbers; ++n) offsets[n + 1] += offsets[n];
    index.items.assign(offsets.back(), 0);
    std::pmr::vector<std::uint32_t> fill(offsets.begin(), offsets.end() - 1, mr);
    for (std::uint32_t i = 0; i < items.size(); ++i)
        if (items[i].number != kNone) index.items[fill[items[i].number]++] = i;
}

}  // namespace

void collect_uses(PlanState& st) {
    index_by_number(st.in.uses, st.n_numbers, st.uses_by_number, st.in.mr);
    if (st.flat) return;
    // slc: within a number by owner, so a (group, number) pair is a sub-range.
    const auto& uses = st.in.uses;
    auto& items = st.uses_by_number.items;
    const auto& offsets = st.uses_by_number.offsets;
    for (std::uint32_t n = 0; n < st.n_numbers; ++n) {
        if (offsets[n + 1] - offsets[n] > 1)
            std::sort(items.begin() + offsets[n], items.begin() + offsets[n + 1],
                      [&](auto a, auto b) {
                          return pair_key(uses[a].owner, a) < pair_key(uses[b].owner, b);
                      });
        st.ticker.tick();
    }
}

void find_focus(PlanState& st) {
    if (!st.focus) return;
    auto& focus = st.focus_numbers;
    focus.assign(st.n_numbers, false);
    for (const auto& u : st.in.uses)
        if (u.number != kNone && !u.context) focus[u.number] = true;
    for (const auto& e : st.in.entries)
        if (e.number != kNone) focus[e.number] = true;
}

void collect_entries(PlanState& st) {
    index_by_number(st.in.entries, st.n_numbers, st.entries_by_number, st.in.mr);
}

}  // namespace numaudit::core::audit

// Find conflicts (SPEC §3): what the audit cannot decide is reported as a
// conflict row and left alone — a device configured in several clusters, a
// number used in several clusters, a number one node holds twice.
#include "core/cpp_only.hpp"  // must come first: no PostgreSQL header in the core
#include "core/audit/steps.hpp"

#include <algorithm>
#include <string>

namespace numaudit::core::audit {

namespace {

// A device line of a reported group: (group, kind, object) packed, then
// cluster and use, so that finding copies is an integer sort.
struct DeviceUse {
    std::uint64_t key;
    std::uint32_t cluster;
    std::uint32_t use;
};

std::pmr::vector<DeviceUse> device_uses(const PlanState& st) {
    const auto& uses = st.in.uses;
    std::pmr::vector<DeviceUse> devices(st.in.mr);
    devices.reserve(uses.size());
    for (std::uint32_t i = 0; i < uses.size(); ++i) {
        const Use& u = uses[i];
        if (u.line < 0 || !st.reports_group(st.group_of(u.owner))) continue;
        std::uint64_t gk =
            static_cast<std::uint64_t>(st.group_of(u.owner)) * st.in.kinds.size() + u.kind;
        devices.push_back(DeviceUse{(gk << 32) | u.object, u.cluster, i});
    }
    std::sort(devices.begin(), devices.end(), [](const DeviceUse& a, const DeviceUse& b) {
        if (a.key != b.key) return a.key < b.key;
        return a.use < b.use;
    });
    return devices;
}

// The copies [first, last) of one device in several clusters: their numbers
// left alone, their uses marked, one conflict row at the group.
void report_duplicate_device(PlanState& st, const DeviceUse* first, const DeviceUse* last) {
    Inputs& in = st.in;
    const Use& device = in.uses[first->use];
    const auto group = st.group_of(device.owner);
    std::pmr::vector<std::string_view> clusters(in.mr), numbers(in.mr);
    for (const DeviceUse* d = first; d != last; ++d) {
        const Use& u = in.uses[d->use];
        st.on_duplicate[d->use] = true;
        if (u.number != kNone) st.conflicts.mark(group, u.number);
        clusters.push_back(in.strings.text(in.reported(u.cluster)));
        numbers.push_back(u.number != kNone ? in.numbers.text(u.number)
                                            : in.strings.text(u.pattern));
    }
    std::pmr::string detail(in.strings.text(in.reported(in.kinds[device.kind].kind)), in.mr);
    detail.append(" ");
    in.clip.append(in.objects.text(device.object), kMaxReportedText, detail);
    detail.append(" is configured in more than one cluster: ");
    join_list(clusters, detail);
    detail.append("; numbers ");
    join_list(numbers, detail);
    st.add_row(NewRow(Action::Conflict, group).detail(in.strings.intern(detail)));
}

}  // namespace

// Devices of the same kind and name in different clusters.
void find_duplicate_devices(PlanState& st) {
    st.on_duplicate.assign(st.in.uses.size(), false);
    const std::pmr::vector<DeviceUse> devices = device_uses(st);
    for (std::size_t i = 0; i < devices.size();) {
        std::size_t j = i;
        bool several = false;
        while (j < devices.size() && devices[j].key == devices[i].key) {
            several = several || devices[j].cluster != devices[i].cluster;
            ++j;
        }
        st.ticker.tick();
        if (several) report_duplicate_device(st, devices.data() + i, devices.data() + j);
        i = j;
    }
}

namespace {

// How the uses of one (group, number) lie across clusters, in one pass.
// Copies of a duplicated device are that device's conflict, not the
// number's: the number is reported only when its other uses are in several
// clusters, or in a cluster none of the copies is in.
struct Spread {
    bool several_clusters;  // the number is left alone
    bool reported;          // and reported as a conflict of its own
};

Spread spread(const PlanState& st, Range r, std::pmr::vector<std::uint32_t>& dup_clusters) {
    const std::uint32_t first = st.use_at(r.begin).cluster;
    std::uint32_t other = kNone;  // cluster of the uses that are no copies
    bool multi = false, several = false;
    dup_clusters.clear();
    for (auto i = r.begin; i < r.end; ++i) {
        const Use& u = st.use_at(i);
        multi = multi || u.cluster != first;
        if (several) continue;
        if (st.on_duplicate[st.uses_by_number.items[i]])
            dup_clusters.push_back(u.cluster);
        else if (other == kNone)
            other = u.cluster;
        else
            several = other != u.cluster;
    }
    if (!multi) return Spread{false, false};
    if (several) return Spread{true, true};
    if (other == kNone || dup_clusters.empty()) return Spread{true, false};
    return Spread{true,
                  std::find(dup_clusters.begin(), dup_clusters.end(), other) == dup_clusters.end()};
}

}  // namespace

namespace {

// The conflict row of a number used in several clusters: every use, by cluster.
class NumberConflicts {
  public:
    explicit NumberConflicts(PlanState& st)
        : st_(st), items_(st.in.mr), detail_(st.in.mr), item_(st.in.mr) {}
    void report(std::uint32_t group, std::uint32_t number, Range r) {
        Inputs& in = st_.in;
        items_.clear();
        for (auto i = r.begin; i < r.end; ++i) {
            const Use& u = st_.use_at(i);
            item_.assign(in.strings.text(in.reported(u.cluster)));
            item_.append(" (");
            item_.append(in.describe_use(u));
            item_.append(")");
            items_.push_back(in.strings.text(in.strings.intern(item_)));
        }
        detail_.assign("number is used in more than one cluster: ");
        join_list(items_, detail_);
        st_.add_row(
            NewRow(Action::Conflict, group).number(number).detail(in.strings.intern(detail_)));
    }

  private:
    PlanState& st_;
    std::pmr::vector<std::string_view> items_;
    std::pmr::string detail_, item_;
};

}  // namespace

// One number used in more than one cluster.
void find_numbers_in_several_clusters(PlanState& st) {
    std::pmr::vector<std::uint32_t> dup_clusters(st.in.mr);
    NumberConflicts conflicts(st);
    st.for_each_group_range([&](std::uint32_t group, std::uint32_t number, Range r) {
        if (r.end - r.begin < 2 || !st.reports_group(group)) return;
        const Spread where = spread(st, r, dup_clusters);
        if (!where.several_clusters) return;
        // Used in several clusters: left alone, whether reported or not.
        if (!st.conflicts.marked(number) || !st.flat) st.conflicts.mark(group, number);
        if (where.reported) conflicts.report(group, number, r);
    });
}

namespace {

// The entries [i, j) of one node that hold one number: marked, and described.
void describe_duplicate_entries(PlanState& st, std::uint32_t i, std::uint32_t j,
                                std::pmr::vector<std::string_view>& items, std::pmr::string& item) {
    Inputs& in = st.in;
    items.clear();
    for (auto k = i; k < j; ++k) {
        const std::uint32_t index = st.entries_by_number.items[k];
        const Entry& dup = in.entries[index];
        st.entry_dup[index] = true;
        item.assign("\"");
        in.clip.append(in.stored_text(dup), kMaxReportedText, item);
        item.append("\" (id ");
        item.append(std::to_string(dup.id));
        item.append(")");
        items.push_back(in.strings.text(in.strings.intern(item)));
    }
}

}  // namespace

// Two entries of one node with the same read number: a conflict at that node
// (reported where its entries are audited); both left unchanged.
void find_duplicate_entries(PlanState& st) {
    Inputs& in = st.in;
    st.entry_dup.assign(in.entries.size(), false);
    auto& of = st.entries_by_number.items;
    auto holder = [&](std::uint32_t k) { return in.entries[of[k]].holder; };
    std::pmr::vector<std::string_view> items(in.mr);
    std::pmr::string detail(in.mr), item(in.mr);
    for (std::uint32_t n = 0; n < st.n_numbers; ++n) {
        st.ticker.tick();
        const Range r = st.entries_by_number.of(n);
        if (r.end - r.begin < 2) continue;
        std::sort(of.begin() + r.begin, of.begin() + r.end, [&](auto x, auto y) {
            return pair_key(in.entries[x].holder, x) < pair_key(in.entries[y].holder, y);
        });
        for (auto i = r.begin; i < r.end;) {
            auto j = i + 1;
            while (j < r.end && holder(j) == holder(i)) ++j;
            if (j - i > 1) {
                describe_duplicate_entries(st, i, j, items, item);
                if (st.audited(holder(i))) {
                    detail.assign("number is held by more than one entry: ");
                    join_list(items, detail);
                    st.add_row(NewRow(Action::Conflict, holder(i))
                                   .number(n)
                                   .detail(in.strings.intern(detail)));
                }
            }
            i = j;
        }
    }
}

}  // namespace numaudit::core::audit

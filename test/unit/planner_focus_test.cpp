// Unit tests of the Planner's focus mode (Planner::focus_only(), UseRole):
// an incremental audit plans a subset of a customer, chosen by the backend's
// rule (below), and its plan must be the full audit's plan restricted to what
// is in focus. Hand-written cases first, then a randomized property test that
// plans whole random customers and the subsets the rule chooses of them.
#include "core/planner.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <memory_resource>
#include <optional>
#include <ostream>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "core/number_reading.hpp"
#include "core/request.hpp"

namespace numaudit::core {
namespace {

using Opt = std::optional<std::string>;

constexpr Id kCust = 1;
const std::string kCustPath = "P.Acme";

// ---------------------------------------------------------------------------
// Inputs of one customer, and the plan as owned copies.

struct SiteIn {
    Id id;
    std::string name;
};
struct UseIn {
    Id owner;
    std::string cluster, kind, object;
    int line;  // < 0: a service
    std::string pattern;
};
struct EntryIn {
    Id id;
    Id holder;
    std::string number, status;
    Opt usage;
};

struct Customer {
    DialPlan dial_plan = DialPlan::Flat;
    Scope scope = Scope::Customer;
    std::vector<SiteIn> sites;  // all selected (an all-sites audit)
    std::vector<UseIn> uses;
    std::vector<EntryIn> entries;

    Customer& site(Id id, std::string name) {
        sites.push_back({id, std::move(name)});
        return *this;
    }
    Customer& line(Id owner, std::string cluster, std::string kind, std::string name, int line,
                   std::string pattern) {
        uses.push_back({owner, std::move(cluster), std::move(kind), std::move(name), line,
                        std::move(pattern)});
        return *this;
    }
    Customer& phone(Id owner, std::string cluster, std::string name, int line,
                    std::string pattern) {
        return this->line(owner, std::move(cluster), "phone", std::move(name), line,
                          std::move(pattern));
    }
    Customer& service(Id owner, std::string cluster, std::string kind, std::string name,
                      std::string pattern) {
        return line(owner, std::move(cluster), std::move(kind), std::move(name), -1,
                    std::move(pattern));
    }
    Customer& entry(Id id, Id holder, std::string number, std::string status = "Available",
                    Opt usage = std::nullopt) {
        entries.push_back({id, holder, std::move(number), std::move(status), std::move(usage)});
        return *this;
    }
    std::string path_of(Id holder) const {
        for (const auto& s : sites)
            if (s.id == holder) return kCustPath + "." + s.name;
        return kCustPath;
    }
};

struct Row {
    std::string action, hierarchy;
    Opt site, number, old_status, old_usage, new_status, new_usage, detail;
    auto tie() const {
        return std::tie(action, hierarchy, site, number, old_status, old_usage, new_status,
                        new_usage, detail);
    }
    bool operator==(const Row& o) const { return tie() == o.tie(); }
};

std::ostream& operator<<(std::ostream& os, const Opt& v) {
    return v ? os << '"' << *v << '"' : os << "NULL";
}
std::ostream& operator<<(std::ostream& os, const Row& r) {
    return os << "\n  {" << r.action << ", " << r.hierarchy << ", number=" << r.number
              << ", old=" << r.old_status << "/" << r.old_usage << ", new=" << r.new_status << "/"
              << r.new_usage << ", detail=" << r.detail << "}";
}

// A write with the row that reports it resolved.
struct Write {
    Id id;  // entry id (update) or holder (insert)
    std::string stored;
    Row row;
    bool operator<(const Write& o) const {
        return std::tie(id, stored, row.number) < std::tie(o.id, o.stored, o.row.number);
    }
    bool operator==(const Write& o) const {
        return id == o.id && stored == o.stored && row == o.row;
    }
};
std::ostream& operator<<(std::ostream& os, const Write& w) {
    return os << "\n  {" << w.id << " \"" << w.stored << "\"" << w.row << "}";
}

struct Result {
    std::vector<Row> rows;
    std::vector<Write> updates, inserts;
    Counts counts;
};

Opt own(const OptText& t) { return t ? Opt(std::string(*t)) : std::nullopt; }

Row own_row(const ResultRow& r) {
    return Row{action_name(r.action),  std::string(r.hierarchy), own(r.site),
               own(r.internal_number), own(r.old_status),        own(r.old_usage),
               own(r.new_status),      own(r.new_usage),         own(r.detail)};
}

// Plans `c`; roles (parallel to c.uses) given, as they say, else every use
// Focus; focus: focus_only().
Result plan(const Customer& c, const std::vector<UseRole>* roles = nullptr, bool focus = false) {
    Planner p(std::pmr::new_delete_resource(), c.dial_plan, c.scope, kCust, kCustPath);
    p.add_usage_kind("phone", "Used", "Device", 1);
    p.add_usage_kind("device_profile", "Used", "Device", 2);
    p.add_usage_kind("hunt_pilot", "Used-Utility", "Hunt_Pilot", 4);
    p.add_usage_kind("voicemail_pilot", "Used-Utility", "Voicemail_Pilot", 7);
    p.add_usage_kind("call_park", "Used-Utility", "Call_Park", 10);
    for (const auto& s : c.sites) p.add_site(s.id, s.name, true);
    for (std::size_t i = 0; i < c.uses.size(); ++i) {
        const UseIn& u = c.uses[i];
        p.add_use(u.owner, u.cluster, u.kind, u.object, u.line, u.pattern,
                  roles ? (*roles)[i] : UseRole::Focus);
    }
    for (const auto& e : c.entries)
        p.add_entry(e.id, e.holder, e.number, e.status, e.usage ? OptText(*e.usage) : std::nullopt);
    if (focus) p.focus_only();
    Plan out = p.plan();
    Result r;
    for (const auto& row : out.rows) r.rows.push_back(own_row(row));
    for (const auto& u : out.updates)
        r.updates.push_back(Write{u.entry_id, std::string(u.stored), own_row(out.rows[u.row])});
    for (const auto& i : out.inserts)
        r.inserts.push_back(Write{i.holder, "", own_row(out.rows[i.row])});
    r.counts = out.counts;
    return r;
}

// ---------------------------------------------------------------------------
// The backend's rule: which uses and entries an incremental audit gives.

std::string key_of(const std::string& text) {
    std::string buffer;
    return std::string(read_number(text, buffer).text);
}
bool reads_as_number(const std::string& text) {
    std::string buffer;
    return read_number(text, buffer).kind == NumberKind::Number;
}

using DeviceKey = std::pair<std::string, std::string>;  // (kind, name)

struct Marks {
    std::set<std::string> numbers;  // M: read numbers, or wildcard/invalid texts
    std::set<DeviceKey> devices;    // D
};

struct Subset {
    Customer customer;           // the uses and entries given, whole sites and kinds
    std::vector<UseRole> roles;  // parallel to customer.uses
    std::set<std::string> f;     // F
    std::set<DeviceKey> k;       // K'
};

// Exactly the rule of the incremental audit. `order_seed` shuffles the uses
// and entries given (the backend reads them in no particular order).
Subset select(const Customer& c, const Marks& m, unsigned order_seed = 0) {
    Subset s;
    s.customer.dial_plan = c.dial_plan;
    s.customer.scope = c.scope;
    s.customer.sites = c.sites;
    // F = M ∪ the read numbers of every line of every device whose key is in D.
    s.f = m.numbers;
    for (const auto& u : c.uses)
        if (u.line >= 0 && m.devices.count({u.kind, u.object}) && reads_as_number(u.pattern))
            s.f.insert(key_of(u.pattern));
    auto in_focus = [&](const std::string& text) {
        return reads_as_number(text) ? s.f.count(key_of(text)) > 0
                                     : m.numbers.count(key_of(text)) > 0;
    };
    // Focus uses; K' = D ∪ the devices of the focus line uses.
    std::vector<std::pair<UseIn, UseRole>> given;
    s.k = m.devices;
    for (const auto& u : c.uses)
        if (in_focus(u.pattern)) {
            given.emplace_back(u, UseRole::Focus);
            if (u.line >= 0) s.k.insert({u.kind, u.object});
        }
    // Context uses: every other line of every device in K'.
    for (const auto& u : c.uses)
        if (!in_focus(u.pattern) && u.line >= 0 && s.k.count({u.kind, u.object}))
            given.emplace_back(u, UseRole::Context);
    for (const auto& e : c.entries)
        if (in_focus(e.number)) s.customer.entries.push_back(e);
    if (order_seed) {
        std::mt19937 rng(order_seed);
        std::shuffle(given.begin(), given.end(), rng);
        std::shuffle(s.customer.entries.begin(), s.customer.entries.end(), rng);
    }
    for (auto& [u, role] : given) {
        s.customer.uses.push_back(u);
        s.roles.push_back(role);
    }
    return s;
}

// The duplicate-device conflict row of (kind, name), by its detail.
bool is_duplicate_device_row(const Row& r, const DeviceKey& d) {
    if (r.action != "conflict" || r.number || !r.detail) return false;
    const std::string prefix = d.first + " " + d.second + " is configured in more than one cluster";
    return r.detail->compare(0, prefix.size(), prefix) == 0;
}

bool is_entry_row(const Row& r) {
    return r.action == "updated" ||
           (r.action == "skipped" && r.detail &&
            (*r.detail == "invalid number" || *r.detail == "Reserved" || *r.detail == "Cooling"));
}

std::int64_t audited_entries(const Customer& c) {
    std::int64_t n = 0;
    for (const auto& e : c.entries)
        if (c.scope == Scope::Customer ? c.dial_plan == DialPlan::Flat : e.holder != kCust) ++n;
    return n;
}

std::int64_t count(const std::vector<Row>& rows, const char* action) {
    return std::count_if(rows.begin(), rows.end(),
                         [&](const Row& r) { return r.action == action; });
}

// The property: planning the subset the rule selects, in focus mode, gives
// the full plan restricted to the numbers and texts of F ∪ M and the
// duplicate-device conflicts of K': the same rows in the same order, the same
// writes, matching counts. Returns the focus plan.
Result expect_focus_equals_full(const Customer& c, const Marks& m, unsigned order_seed = 0) {
    const Result full = plan(c);
    const Subset s = select(c, m, order_seed);
    const Result focus = plan(s.customer, &s.roles, true);

    auto in_scope = [&](const Row& r) {
        if (r.number) {
            const std::string k = key_of(*r.number);
            return s.f.count(k) > 0 || m.numbers.count(k) > 0;
        }
        for (const auto& d : s.k)
            if (is_duplicate_device_row(r, d)) return true;
        return false;
    };
    std::vector<Row> rows;
    for (const auto& r : full.rows)
        if (in_scope(r)) rows.push_back(r);
    EXPECT_EQ(focus.rows, rows);

    // Updates are in entry-id order in both; inserts compared as sets (their
    // order follows the numbers' ids, which depend on the input order).
    std::vector<Write> updates, inserts;
    for (const auto& w : full.updates)
        if (in_scope(w.row)) updates.push_back(w);
    for (const auto& w : full.inserts)
        if (in_scope(w.row)) inserts.push_back(w);
    EXPECT_EQ(focus.updates, updates);
    std::vector<Write> focus_inserts = focus.inserts;
    std::sort(inserts.begin(), inserts.end());
    std::sort(focus_inserts.begin(), focus_inserts.end());
    EXPECT_EQ(focus_inserts, inserts);

    // Counts: what the rows report; unchanged: the entries given and kept.
    EXPECT_EQ(focus.counts.added, count(rows, "added"));
    EXPECT_EQ(focus.counts.updated, count(rows, "updated"));
    EXPECT_EQ(focus.counts.skipped, count(rows, "skipped"));
    EXPECT_EQ(focus.counts.conflicts, count(rows, "conflict"));
    auto entry_rows = [](const std::vector<Row>& rs) {
        return static_cast<std::int64_t>(std::count_if(rs.begin(), rs.end(), is_entry_row));
    };
    // Each audited entry is either kept or reported by one row: checked on the
    // full plan, then expected of the focus plan.
    EXPECT_EQ(full.counts.unchanged, audited_entries(c) - entry_rows(full.rows));
    EXPECT_EQ(focus.counts.unchanged, audited_entries(s.customer) - entry_rows(rows));
    return focus;
}

// ---------------------------------------------------------------------------
// The API: without focus_only(), Context uses count as Focus.

TEST(PlannerFocus, ContextUsesAreFocusUsesWithoutFocusOnly) {
    Customer c;
    c.site(10, "London").site(11, "Paris");
    c.phone(10, "CL1", "SEP1", 1, "1000").phone(11, "CL2", "SEP1", 1, "1001");
    c.phone(10, "CL1", "SEP2", 1, "10XX").service(kCust, "CL1", "hunt_pilot", "HP", "1002");
    c.entry(1, 10, "1000").entry(2, 11, "1003", "Used", "Device");
    const std::vector<UseRole> all_context(c.uses.size(), UseRole::Context);
    const Result full = plan(c);
    const Result with_roles = plan(c, &all_context);
    EXPECT_EQ(with_roles.rows, full.rows);
    EXPECT_EQ(with_roles.updates, full.updates);
    EXPECT_EQ(with_roles.inserts, full.inserts);
    EXPECT_EQ(with_roles.counts.unchanged, full.counts.unchanged);
    EXPECT_FALSE(full.rows.empty());
}

// An entry puts its number in focus even when the caller gives only Context
// uses of it (outside the backend's rule, where all of them are Focus): the
// entry is audited against all of them, conflicts included.
TEST(PlannerFocus, AnEntryPutsItsNumberInFocus) {
    Customer c;
    c.site(10, "London");
    c.phone(10, "CL1", "SEP1", 1, "1001").phone(10, "CL2", "SEP2", 1, "1001");
    c.phone(10, "CL1", "SEP3", 1, "1002");
    c.entry(1, 10, "1001");
    const std::vector<UseRole> context(c.uses.size(), UseRole::Context);
    const Result r = plan(c, &context, true);
    ASSERT_EQ(r.rows.size(), 1u);
    EXPECT_EQ(r.rows[0].action, "conflict");
    EXPECT_EQ(r.rows[0].number, "1001");
    EXPECT_TRUE(r.updates.empty());
    EXPECT_TRUE(r.inserts.empty());  // 1002 is not in focus
    EXPECT_EQ(r.counts.unchanged, 1);
}

// ---------------------------------------------------------------------------
// Hand-written cases: the focus plan's rows, and the property on each.

// A changed number that has an entry: only it is re-checked.
TEST(PlannerFocus, ChangedNumberWithAnEntry) {
    Customer c;
    c.site(10, "London");
    c.phone(10, "CL1", "SEP1", 1, "1000").phone(10, "CL1", "SEP1", 2, "1001");
    c.service(10, "CL1", "hunt_pilot", "HP", "1000");
    c.entry(1, 10, "1000", "Used", "Device").entry(2, 10, "1001", "Available");
    c.entry(3, 10, "1002", "Used", "Device");
    const Result r = expect_focus_equals_full(c, Marks{{"1000"}, {}});
    ASSERT_EQ(r.rows.size(), 1u);
    EXPECT_EQ(r.rows[0], (Row{"updated", kCustPath + ".London", "London", "1000", "Used", "Device",
                              "Used", "Device,Hunt_Pilot", std::nullopt}));
    EXPECT_EQ(r.counts.updated, 1);
    EXPECT_EQ(r.counts.unchanged, 0);
    // SEP1's line 2 was given as context (its device is in K'), not re-checked.
    const Subset s = select(c, Marks{{"1000"}, {}});
    EXPECT_EQ(std::count(s.roles.begin(), s.roles.end(), UseRole::Context), 1);
}

// A device gains a copy in another cluster: focus on its key; its other
// lines' numbers become conflicted and are left alone.
TEST(PlannerFocus, DeviceGainsADuplicateInAnotherCluster) {
    Customer c;
    c.site(10, "London").site(11, "Paris");
    c.phone(10, "CL1", "SEP1", 1, "1000").phone(10, "CL1", "SEP1", 2, "1001");
    c.phone(11, "CL2", "SEP1", 1, "2000");  // the new copy
    c.phone(10, "CL1", "SEP2", 1, "1002");
    c.entry(1, 10, "1000", "Available").entry(2, 10, "1001", "Used", "Device");
    c.entry(3, 10, "1002", "Available");
    const Result r = expect_focus_equals_full(c, Marks{{}, {{"phone", "SEP1"}}});
    ASSERT_EQ(r.rows.size(), 1u);
    EXPECT_EQ(r.rows[0].action, "conflict");
    EXPECT_EQ(r.rows[0].detail,
              "phone SEP1 is configured in more than one cluster: CL1, CL2; numbers 1000, 1001, "
              "2000");
    EXPECT_TRUE(r.inserts.empty());  // 2000 is conflicted: not added
    EXPECT_TRUE(r.updates.empty());  // 1000 stays Available
    EXPECT_EQ(r.counts.unchanged, 2);
    EXPECT_EQ(r.counts.conflicts, 1);
}

// A number shared by a focus use and a line of a context device: the
// device's other numbers are not in focus and never reported.
TEST(PlannerFocus, NumberSharedByAFocusUseAndAContextDevicesLine) {
    Customer c;
    c.site(10, "London").site(11, "Paris");
    c.service(10, "CL1", "hunt_pilot", "HP", "1000");
    c.phone(10, "CL1", "SEP1", 1, "1000").phone(10, "CL1", "SEP1", 2, "1001");
    c.phone(11, "CL2", "SEP9", 1, "1001");  // 1001 in two clusters, not in focus
    c.phone(11, "CL2", "SEP9", 2, "1003");  // SEP9 is not in K'
    c.entry(1, 10, "1001", "Available");
    const Marks m{{"1000"}, {}};
    const Subset s = select(c, m);
    ASSERT_EQ(s.roles.size(), 3u);  // HP and SEP1 line 1 in focus, SEP1 line 2 as context
    const Result full = plan(c);
    EXPECT_EQ(full.counts.conflicts, 1);  // 1001 in CL1 and CL2
    const Result r = expect_focus_equals_full(c, m);
    ASSERT_EQ(r.rows.size(), 1u);
    EXPECT_EQ(r.rows[0], (Row{"added", kCustPath, std::nullopt, "1000", std::nullopt, std::nullopt,
                              "Used", "Device,Hunt_Pilot", std::nullopt}));
    EXPECT_EQ(r.counts.conflicts, 0);
}

// A wildcard line of a context device is not reported; one in focus is.
TEST(PlannerFocus, ContextWildcardLineNotReported) {
    Customer c;
    c.site(10, "London");
    c.phone(10, "CL1", "SEP1", 1, "1000").phone(10, "CL1", "SEP1", 2, "20XX");
    c.phone(10, "CL1", "SEP2", 1, "1[2-5]00").phone(10, "CL1", "SEP3", 1, "12A");
    Result r = expect_focus_equals_full(c, Marks{{"1000"}, {}});
    ASSERT_EQ(r.rows.size(), 1u);
    EXPECT_EQ(r.rows[0].action, "added");
    r = expect_focus_equals_full(c, Marks{{"1000", "12A"}, {}});
    ASSERT_EQ(r.rows.size(), 2u);
    EXPECT_EQ(r.rows[1].detail, "invalid pattern: phone SEP3 line 1 (CL1)");
    EXPECT_EQ(r.counts.skipped, 1);
}

// Flat, scope site (all sites): "held at site" rows, and the site that gets
// a number several sites need.
TEST(PlannerFocus, FlatHeldAtSite) {
    Customer c;
    c.scope = Scope::Site;
    c.site(10, "London").site(11, "Paris").site(12, "Amsterdam");
    c.phone(10, "CL1", "SEP1", 1, "1000").phone(11, "CL1", "SEP2", 1, "1000");
    c.phone(10, "CL1", "SEP1", 2, "1001").phone(11, "CL1", "SEP2", 2, "1001");
    c.phone(12, "CL1", "SEP3", 1, "1001").phone(12, "CL1", "SEP3", 2, "1002");
    c.entry(1, 11, "1000", "Used", "Device").entry(2, kCust, "1002");
    Result r = expect_focus_equals_full(c, Marks{{"1000"}, {}});
    ASSERT_EQ(r.rows.size(), 1u);
    EXPECT_EQ(r.rows[0].detail, "held at site Paris");
    EXPECT_EQ(r.rows[0].hierarchy, kCustPath + ".London");
    r = expect_focus_equals_full(c, Marks{{"1001"}, {}});
    ASSERT_EQ(r.rows.size(), 3u);  // added at Amsterdam, held there for London and Paris
    EXPECT_EQ(r.inserts.size(), 1u);
    EXPECT_EQ(r.inserts[0].id, 12);
    r = expect_focus_equals_full(c, Marks{{}, {{"phone", "SEP3"}}});
    EXPECT_EQ(r.rows.size(), 4u);  // 1001 as above, 1002 held at customer level
    EXPECT_EQ(r.rows[0].detail, "held at customer level");
}

// slc, scope site (all sites): each site against its own uses; the customer's
// entries are given but not audited.
TEST(PlannerFocus, SlcSiteScope) {
    Customer c;
    c.dial_plan = DialPlan::Slc;
    c.scope = Scope::Site;
    c.site(10, "London").site(11, "Paris");
    c.phone(10, "CL1", "SEP1", 1, "1000").phone(11, "CL2", "SEP2", 1, "1000");
    c.phone(11, "CL2", "SEP1", 1, "1001");  // SEP1 in two sites: no duplicate in slc
    c.phone(10, "CL1", "SEP4", 1, "1002").phone(10, "CL2", "SEP5", 1, "1002");
    c.entry(1, 10, "1000").entry(2, 11, "1000", "Used", "Device").entry(3, kCust, "1000");
    c.entry(4, 10, "1002", "Used", "Device");
    Result r = expect_focus_equals_full(c, Marks{{"1000"}, {}});
    ASSERT_EQ(r.rows.size(), 1u);
    EXPECT_EQ(r.rows[0].action, "updated");
    EXPECT_EQ(r.counts.unchanged, 1);
    r = expect_focus_equals_full(c, Marks{{}, {{"phone", "SEP1"}}});
    EXPECT_EQ(r.rows.size(), 2u);  // 1000 at London updated, 1001 added at Paris
    r = expect_focus_equals_full(c, Marks{{"1002"}, {}});
    ASSERT_EQ(r.rows.size(), 1u);  // 1002 in two clusters at London
    EXPECT_EQ(r.rows[0].action, "conflict");
}

// Two entries of one node for one number: one conflict row, both kept.
TEST(PlannerFocus, DuplicateEntriesOfOneNode) {
    Customer c;
    c.site(10, "London");
    c.phone(10, "CL1", "SEP1", 1, "1000").phone(10, "CL1", "SEP1", 2, "+4420");
    c.entry(1, 10, "1000").entry(2, 10, " 1000 ").entry(3, 10, "\\+4420").entry(4, 10, "+4420");
    c.entry(5, kCust, "5000", "Used", "Device");
    Result r = expect_focus_equals_full(c, Marks{{"1000"}, {}});
    ASSERT_EQ(r.rows.size(), 1u);
    EXPECT_EQ(r.rows[0].action, "conflict");
    EXPECT_EQ(r.counts.unchanged, 2);
    r = expect_focus_equals_full(c, Marks{{"5000"}, {}});
    ASSERT_EQ(r.rows.size(), 1u);
    EXPECT_EQ(r.rows[0].action, "updated");
}

// Reserved and Cooling entries in use are skipped, not updated.
TEST(PlannerFocus, ReservedEntriesInUse) {
    Customer c;
    c.site(10, "London");
    c.phone(10, "CL1", "SEP1", 1, "1000").phone(10, "CL1", "SEP1", 2, "1001");
    c.entry(1, 10, "1000", "Reserved")
        .entry(2, 10, "1001", "Cooling")
        .entry(3, 10, "1002", "Reserved");
    Result r = expect_focus_equals_full(c, Marks{{"1000", "1002"}, {}});
    ASSERT_EQ(r.rows.size(), 1u);
    EXPECT_EQ(r.rows[0].detail, "Reserved");
    EXPECT_EQ(r.counts.unchanged, 1);
    r = expect_focus_equals_full(c, Marks{{}, {{"phone", "SEP1"}}});
    EXPECT_EQ(r.rows.size(), 2u);
    EXPECT_EQ(r.counts.skipped, 2);
}

// ---------------------------------------------------------------------------
// The property on random customers.

class Generator {
  public:
    explicit Generator(unsigned seed) : rng_(seed) {}

    Customer customer() {
        Customer c;
        switch (pick(3)) {
            case 0:
                c.dial_plan = DialPlan::Flat, c.scope = Scope::Customer;
                break;
            case 1:
                c.dial_plan = DialPlan::Flat, c.scope = Scope::Site;
                break;
            default:
                c.dial_plan = DialPlan::Slc, c.scope = Scope::Site;
        }
        // Sites added out of name order.
        const char* names[] = {"Paris", "London", "Amsterdam"};
        const int n_sites = 1 + pick(3);
        for (int i = 0; i < n_sites; ++i) c.site(10 + i, names[i]);
        std::vector<Id> nodes{kCust};
        for (const auto& s : c.sites) nodes.push_back(s.id);
        auto node = [&] { return chance(5) ? kCust : nodes[1 + pick(nodes.size() - 1)]; };

        // Devices: unique by (cluster, kind, name); a small name pool makes copies.
        std::set<std::tuple<std::string, std::string, std::string>> devices;
        const int n_devices = pick(7);
        for (int d = 0; d < n_devices; ++d) {
            std::string cluster = "CL" + std::to_string(1 + pick(3));
            std::string kind = chance(4) ? "device_profile" : "phone";
            std::string name = "D" + std::to_string(1 + pick(4));
            if (!devices.insert({cluster, kind, name}).second) continue;
            const Id owner = node();
            const int lines = 1 + pick(3);
            for (int l = 1; l <= lines; ++l) c.line(owner, cluster, kind, name, l, pattern());
        }
        const int n_services = pick(4);
        const char* kinds[] = {"hunt_pilot", "voicemail_pilot", "call_park"};
        for (int s = 0; s < n_services; ++s)
            c.service(node(), "CL" + std::to_string(1 + pick(3)), kinds[pick(3)],
                      "S" + std::to_string(s), pattern());

        // Entries: unique by (holder, stored text), several by read number.
        std::set<std::pair<Id, std::string>> stored;
        const int n_entries = pick(9);
        const char* statuses[] = {"Available", "Used", "Used-Utility", "Reserved", "Cooling"};
        const Opt usages[] = {std::nullopt, "Device", "Hunt_Pilot", "Device,Hunt_Pilot"};
        for (int e = 0; e < n_entries; ++e) {
            const Id holder = node();
            std::string text = chance(6) ? pattern() : number();
            if (!stored.insert({holder, text}).second) continue;
            c.entry(e + 1, holder, text, statuses[pick(5)], usages[pick(4)]);
        }
        return c;
    }

    // Random marks: some keys of the pool (numbers and texts), some devices.
    Marks marks(const Customer& c) {
        Marks m;
        const int n = pick(4);
        for (int i = 0; i < n; ++i) m.numbers.insert(key_of(chance(4) ? pattern() : number()));
        std::vector<DeviceKey> keys;
        for (const auto& u : c.uses)
            if (u.line >= 0) keys.push_back({u.kind, u.object});
        const int d = pick(3);
        for (int i = 0; i < d && !keys.empty(); ++i) m.devices.insert(keys[pick(keys.size())]);
        if (chance(10)) m.devices.insert({"phone", "D9"});  // a device that is gone
        return m;
    }

    unsigned seed() { return rng_(); }

  private:
    int pick(std::size_t n) { return static_cast<int>(rng_() % n); }
    bool chance(int one_in) { return pick(one_in) == 0; }
    // A number as written in a pattern or an entry: plain, messy or escaped.
    std::string number() {
        static const char* pool[] = {"1000", "1001",  "1002",    "1003",  "1004",   "1005",
                                     "1006", "+4420", "\\+4420", " 1001", "1002\t", "*55"};
        return pool[pick(sizeof pool / sizeof *pool)];
    }
    std::string pattern() {
        if (!chance(4)) return number();
        static const char* pool[] = {"10XX", "1[2-5]00", "!", "12A", "", " 10XX "};
        return pool[pick(sizeof pool / sizeof *pool)];
    }

    std::mt19937 rng_;
};

TEST(PlannerFocus, RandomCustomersFocusPlanIsTheFullPlanRestricted) {
    int checked = 0, nonempty = 0, context = 0;
    for (unsigned seed : {1u, 2u, 3u, 4u}) {
        Generator gen(seed);
        for (int i = 0; i < 1000; ++i) {
            const Customer c = gen.customer();
            const Marks m = gen.marks(c);
            const unsigned order = gen.seed() | 1u;
            const Result r = expect_focus_equals_full(c, m, order);
            const Subset s = select(c, m);
            ++checked;
            nonempty += !r.rows.empty();
            context += std::count(s.roles.begin(), s.roles.end(), UseRole::Context) > 0;
            if (::testing::Test::HasFailure()) {
                std::ostringstream what;
                what << "seed " << seed << " customer " << i << ": marks";
                for (const auto& n : m.numbers) what << " \"" << n << '"';
                for (const auto& d : m.devices) what << " " << d.first << ":" << d.second;
                FAIL() << what.str();
            }
        }
    }
    // The data must exercise the rule: many plans report something, many use context.
    EXPECT_EQ(checked, 4000);
    EXPECT_GT(nonempty, 1500);
    EXPECT_GT(context, 800);
}

}  // namespace
}  // namespace numaudit::core

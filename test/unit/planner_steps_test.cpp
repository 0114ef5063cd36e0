// Unit tests of the audit's steps (src/core/audit/steps.hpp), each run alone
// on a PlanState: the steps before it are run by hand, its effect on the
// state (rows, counts, writes, indexes, conflict set) checked directly.
// planner_test.cpp tests the whole Planner::plan().
#include "core/audit/plan_state.hpp"
#include "core/audit/steps.hpp"

#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <memory_resource>
#include <optional>
#include <string>
#include <vector>

#include "core/audit_error.hpp"

namespace numaudit::core::audit {
namespace {

using Opt = std::optional<std::string>;

constexpr Id kCust = 1;
constexpr Id kLondon = 10;
constexpr Id kParis = 11;
constexpr Id kRome = 12;

// A row as text: action, node path, number, old and new status/usage, detail.
struct RowText {
    std::string action;
    std::string node;
    Opt number, old_status, old_usage, new_status, new_usage, detail;
};

// Inputs of one customer (Acme) with sites London, Paris (selected unless
// said) and Rome (never selected), then a PlanState over them.
class Steps {
  public:
    Steps(DialPlan plan, Scope scope, bool paris_selected = true)
        : in(std::pmr::new_delete_resource(), plan, scope, kCust, "P.Acme", TextClip{}),
          out(std::pmr::new_delete_resource(), nullptr) {
        in.add_usage_kind("phone", "Used", "Device", 10);
        in.add_usage_kind("device_profile", "Used", "Device", 15);
        in.add_usage_kind("hunt_pilot", "Used-Utility", "Hunt_Pilot", 20);
        in.add_usage_kind("voicemail_pilot", "Used-Utility", "Voicemail_Pilot", 30);
        in.add_site(kParis, "Paris", paris_selected);  // added before London: not in name order
        in.add_site(kLondon, "London", true);
        in.add_site(kRome, "Rome", scope == Scope::Customer);
    }
    Steps& phone(Id owner, const char* cluster, const char* name, const char* pattern,
                 int line = 1) {
        in.add_use(owner, cluster, "phone", name, line, pattern);
        return *this;
    }
    Steps& service(Id owner, const char* cluster, const char* kind, const char* pattern) {
        in.add_use(owner, cluster, kind, "svc", -1, pattern);
        return *this;
    }
    Steps& entry(Id id, Id holder, const char* number, const char* status = "Available",
                 OptText usage = std::nullopt) {
        in.add_entry(id, holder, number, status, usage, std::nullopt);
        return *this;
    }
    // Inputs are complete: the audit's state.
    PlanState& start() {
        st = std::make_unique<PlanState>(in, out, check);
        rank_usage_tokens(*st);
        return *st;
    }
    // The steps up to (not including) auditing entries.
    PlanState& through_conflicts() {
        start();
        collect_uses(*st);
        find_duplicate_devices(*st);
        find_numbers_in_several_clusters(*st);
        collect_entries(*st);
        find_duplicate_entries(*st);
        st->conflicts.seal();
        return *st;
    }
    std::uint32_t number(const char* n) { return in.numbers.intern(n); }
    std::uint32_t slot(Id id) const { return in.node_slot(id); }

    std::size_t rows() { return out.rows.records().size(); }
    RowText row(std::size_t i) {
        const ResultRow r = to_result_row(in, out.rows.records()[i]);
        auto own = [](const OptText& t) -> Opt { return t ? Opt(std::string(*t)) : std::nullopt; };
        return RowText{action_name(r.action),  std::string(r.hierarchy),
                       own(r.internal_number), own(r.old_status),
                       own(r.old_usage),       own(r.new_status),
                       own(r.new_usage),       own(r.detail)};
    }
    std::string usage_text(std::uint32_t id) {
        return id == kNone ? "NULL" : std::string(in.strings.text(id));
    }

    Inputs in;
    Plan out;
    std::function<void()> check;
    std::unique_ptr<PlanState> st;
};

void expect_internal_error(const std::function<void()>& fn) {
    try {
        fn();
        ADD_FAILURE() << "no AuditError";
    } catch (const AuditError& e) {
        EXPECT_STREQ(e.sqlstate(), sqlstate::kInternalError);
    }
}

// ---------------------------------------------------------------------------
// PlanState: the conflict set, add_row, audited

TEST(ConflictSet, AnswersOnlyOnceSealed) {
    ConflictSet set(std::pmr::new_delete_resource(), 10, /*flat=*/false);
    set.mark(2, 7);
    set.mark(1, 3);
    EXPECT_TRUE(set.marked(7));
    EXPECT_FALSE(set.marked(3 + 1));
    expect_internal_error([&] { (void)set.contains(2, 7); });
    set.seal();
    EXPECT_TRUE(set.contains(2, 7));
    EXPECT_TRUE(set.contains(1, 3));
    EXPECT_FALSE(set.contains(1, 7));  // slc: per group
    EXPECT_FALSE(set.contains(2, 5));
}

TEST(ConflictSet, MarkingAfterSealingIsAnInternalError) {
    ConflictSet set(std::pmr::new_delete_resource(), 10, /*flat=*/false);
    set.mark(1, 2);
    set.seal();
    expect_internal_error([&] { set.mark(3, 4); });
    // The set is unchanged and still answers.
    EXPECT_TRUE(set.contains(1, 2));
    EXPECT_FALSE(set.contains(3, 4));
}

TEST(ConflictSet, FlatHasOneGroup) {
    ConflictSet set(std::pmr::new_delete_resource(), 4, /*flat=*/true);
    set.mark(0, 1);
    set.seal();
    EXPECT_TRUE(set.contains(0, 1));
    EXPECT_TRUE(set.contains(5, 1));
    EXPECT_FALSE(set.contains(0, 2));
}

TEST(PlanState, AddRowCountsEachActionAndReturnsTheRowIndex) {
    Steps s(DialPlan::Flat, Scope::Customer);
    PlanState& st = s.start();
    EXPECT_EQ(st.add_row(NewRow(Action::Added, 0)), 0u);
    EXPECT_EQ(st.add_row(NewRow(Action::Updated, 0)), 1u);
    EXPECT_EQ(st.add_row(NewRow(Action::Updated, 0)), 2u);
    EXPECT_EQ(st.add_row(NewRow(Action::Skipped, 0)), 3u);
    EXPECT_EQ(st.add_row(NewRow(Action::Conflict, 0)), 4u);
    EXPECT_EQ(s.out.counts.added, 1);
    EXPECT_EQ(s.out.counts.updated, 2);
    EXPECT_EQ(s.out.counts.skipped, 1);
    EXPECT_EQ(s.out.counts.conflicts, 1);
    EXPECT_EQ(s.out.counts.unchanged, 0);
    EXPECT_EQ(s.rows(), 5u);
}

TEST(PlanState, NewRowSetsWhatItIsGiven) {
    Steps s(DialPlan::Flat, Scope::Customer);
    PlanState& st = s.start();
    const auto n = s.number("1000");
    st.add_row(NewRow(Action::Updated, s.slot(kLondon))
                   .number(n)
                   .was(st.available, kNone)
                   .becomes(st.used, s.in.strings.intern("Device")));
    st.add_row(NewRow(Action::Skipped, 0).number_text(s.in.strings.intern("12A")));
    RowText r = s.row(0);
    EXPECT_EQ(r.action, "updated");
    EXPECT_EQ(r.node, "P.Acme.London");
    EXPECT_EQ(r.number, Opt("1000"));
    EXPECT_EQ(r.old_status, Opt("Available"));
    EXPECT_EQ(r.old_usage, std::nullopt);
    EXPECT_EQ(r.new_status, Opt("Used"));
    EXPECT_EQ(r.new_usage, Opt("Device"));
    EXPECT_EQ(r.detail, std::nullopt);
    EXPECT_EQ(s.row(1).number, Opt("12A"));
    EXPECT_TRUE(s.out.rows.records()[1].number_is_text);
}

TEST(PlanState, AuditedScopeCustomerIsEveryNodeOfAFlatCustomer) {
    Steps s(DialPlan::Flat, Scope::Customer, /*paris_selected=*/false);
    PlanState& st = s.start();
    for (Id id : {kCust, kLondon, kParis, kRome}) EXPECT_TRUE(st.audited(s.slot(id))) << id;
    EXPECT_TRUE(st.reports_group(0));
}

TEST(PlanState, AuditedScopeSiteIsTheSelectedSites) {
    Steps s(DialPlan::Flat, Scope::Site, /*paris_selected=*/false);
    PlanState& st = s.start();
    EXPECT_FALSE(st.audited(s.slot(kCust)));
    EXPECT_TRUE(st.audited(s.slot(kLondon)));
    EXPECT_FALSE(st.audited(s.slot(kParis)));
    EXPECT_FALSE(st.audited(s.slot(kRome)));
    EXPECT_TRUE(st.reports_group(0));  // flat: the customer's one group
}

TEST(PlanState, SlcGroupsAreNodesReportedWhereAudited) {
    Steps s(DialPlan::Slc, Scope::Site, /*paris_selected=*/false);
    PlanState& st = s.start();
    EXPECT_EQ(st.group_of(s.slot(kLondon)), s.slot(kLondon));
    EXPECT_TRUE(st.reports_group(s.slot(kLondon)));
    EXPECT_FALSE(st.reports_group(s.slot(kParis)));
    EXPECT_FALSE(st.reports_group(s.slot(kCust)));
}

TEST(PlanState, SlcWithScopeCustomerIsRefused) {
    // SPEC: an slc customer is audited site by site (the backend refuses
    // scope customer with 55000 before anything is read); the core refuses
    // it too, so no plan exists for a combination no rule covers.
    try {
        Steps s(DialPlan::Slc, Scope::Customer);
        FAIL() << "an slc customer was planned with scope customer";
    } catch (const AuditError& e) {
        EXPECT_STREQ(e.sqlstate(), "55000");
    }
}

// ---------------------------------------------------------------------------
// Rank usage tokens, derive status

TEST(DeriveStatus, TokensAreRankedByTheLowestRankBearingThem) {
    Steps s(DialPlan::Flat, Scope::Customer);
    s.in.add_usage_kind("meetme", "Used-Utility", "Device", 1);  // Device now ranks first
    s.in.add_usage_kind("call_park", "Used-Utility", "Call_Park", 5);
    PlanState& st = s.start();
    ASSERT_EQ(st.token_text.size(), 4u);
    EXPECT_EQ(s.usage_text(st.token_text[0]), "Device");
    EXPECT_EQ(s.usage_text(st.token_text[1]), "Call_Park");
    EXPECT_EQ(s.usage_text(st.token_text[2]), "Hunt_Pilot");
    EXPECT_EQ(s.usage_text(st.token_text[3]), "Voicemail_Pilot");
}

TEST(DeriveStatus, NoUseIsAvailableWithNoUsage) {
    Steps s(DialPlan::Flat, Scope::Customer);
    PlanState& st = s.start();
    collect_uses(st);
    Derived d = derive_status(st, Range{0, 0});
    EXPECT_EQ(d.status, st.available);
    EXPECT_EQ(d.usage, kNone);
}

TEST(DeriveStatus, UsedWinsAndUsageIsTheDistinctTokensInRankOrder) {
    Steps s(DialPlan::Flat, Scope::Customer);
    s.service(kLondon, "CL1", "voicemail_pilot", "1000")
        .service(kLondon, "CL1", "hunt_pilot", "1000")
        .phone(kParis, "CL1", "SEP1", "1000")
        .phone(kParis, "CL1", "SEP2", "1000")
        .service(kLondon, "CL1", "hunt_pilot", "2000");
    PlanState& st = s.start();
    collect_uses(st);
    Derived d = derive_status(st, st.uses_of(0, s.number("1000")));
    EXPECT_EQ(d.status, st.used);
    EXPECT_EQ(s.usage_text(d.usage), "Device,Hunt_Pilot,Voicemail_Pilot");
    d = derive_status(st, st.uses_of(0, s.number("2000")));
    EXPECT_EQ(d.status, st.used_utility);
    EXPECT_EQ(s.usage_text(d.usage), "Hunt_Pilot");
    // The same token set again: the cached usage.
    EXPECT_EQ(derive_status(st, st.uses_of(0, s.number("2000"))).usage, d.usage);
}

// ---------------------------------------------------------------------------
// Collect uses and entries

TEST(Collect, UsesByNumberFlatCountTogether) {
    Steps s(DialPlan::Flat, Scope::Customer);
    s.phone(kLondon, "CL1", "SEP1", "1000")
        .phone(kParis, "CL1", "SEP2", " 1000 ")
        .phone(kParis, "CL1", "SEP3", "20XX")
        .phone(kCust, "CL1", "SEP4", "2000");
    PlanState& st = s.start();
    collect_uses(st);
    const Range r = st.uses_of(st.group_of(s.slot(kParis)), s.number("1000"));
    EXPECT_EQ(r.end - r.begin, 2u);
    EXPECT_EQ(st.uses_by_number.items.size(), 3u);  // the wildcard is no number
    EXPECT_EQ(st.uses_of(0, s.number("2000")).end - st.uses_of(0, s.number("2000")).begin, 1u);
}

TEST(Collect, UsesByNumberSlcByOwner) {
    Steps s(DialPlan::Slc, Scope::Site);
    s.phone(kParis, "CL1", "SEP1", "1000")
        .phone(kLondon, "CL1", "SEP2", "1000")
        .phone(kParis, "CL1", "SEP3", "1000");
    PlanState& st = s.start();
    collect_uses(st);
    const auto n = s.number("1000");
    Range paris = st.uses_of(s.slot(kParis), n);
    Range london = st.uses_of(s.slot(kLondon), n);
    EXPECT_EQ(paris.end - paris.begin, 2u);
    EXPECT_EQ(london.end - london.begin, 1u);
    EXPECT_EQ(st.use_at(london.begin).owner, s.slot(kLondon));
    EXPECT_TRUE(st.uses_of(s.slot(kRome), n).empty());
    std::vector<std::uint32_t> groups;
    st.for_each_group_range([&](std::uint32_t g, std::uint32_t, Range) { groups.push_back(g); });
    EXPECT_EQ(groups.size(), 2u);
}

TEST(Collect, EntriesByNumber) {
    Steps s(DialPlan::Flat, Scope::Site);
    s.entry(1, kLondon, "1000").entry(2, kCust, "\\+2000").entry(3, kParis, "12A");
    PlanState& st = s.start();
    collect_entries(st);
    EXPECT_TRUE(st.holds(s.slot(kLondon), s.number("1000")));
    EXPECT_FALSE(st.holds(s.slot(kParis), s.number("1000")));
    EXPECT_TRUE(st.holds(0, s.number("+2000")));
    EXPECT_TRUE(st.held_anywhere(s.number("1000")));
    EXPECT_EQ(st.entries_by_number.items.size(), 2u);  // "12A" is no number
}

// ---------------------------------------------------------------------------
// Find conflicts

TEST(FindConflicts, DuplicateDeviceIsOneConflictAndItsNumbersAreLeftAlone) {
    Steps s(DialPlan::Flat, Scope::Customer);
    s.phone(kLondon, "CL1", "SEP1", "1000").phone(kLondon, "CL2", "SEP1", "1001");
    s.phone(kLondon, "CL1", "SEP2", "1002");
    PlanState& st = s.start();
    collect_uses(st);
    find_duplicate_devices(st);
    ASSERT_EQ(s.rows(), 1u);
    RowText r = s.row(0);
    EXPECT_EQ(r.action, "conflict");
    EXPECT_EQ(r.node, "P.Acme");
    EXPECT_EQ(r.number, std::nullopt);
    EXPECT_EQ(
        r.detail,
        Opt("phone SEP1 is configured in more than one cluster: CL1, CL2; numbers 1000, 1001"));
    EXPECT_EQ(s.out.counts.conflicts, 1);
    EXPECT_TRUE(st.conflicts.marked(s.number("1000")));
    EXPECT_TRUE(st.conflicts.marked(s.number("1001")));
    EXPECT_FALSE(st.conflicts.marked(s.number("1002")));
    EXPECT_TRUE(st.on_duplicate[0] && st.on_duplicate[1] && !st.on_duplicate[2]);
}

TEST(FindConflicts, DuplicateDeviceOfAnUnauditedSlcSiteIsNotLookedAt) {
    Steps s(DialPlan::Slc, Scope::Site, /*paris_selected=*/false);
    s.phone(kParis, "CL1", "SEP1", "1000").phone(kParis, "CL2", "SEP1", "1000");
    PlanState& st = s.start();
    collect_uses(st);
    find_duplicate_devices(st);
    EXPECT_EQ(s.rows(), 0u);
    EXPECT_FALSE(st.conflicts.marked(s.number("1000")));
}

TEST(FindConflicts, NumberInSeveralClusters) {
    Steps s(DialPlan::Slc, Scope::Site);
    s.phone(kLondon, "CL1", "SEP1", "1000").service(kLondon, "CL2", "hunt_pilot", "1000");
    s.phone(kParis, "CL1", "SEP2", "1000");  // another group: alone there
    PlanState& st = s.start();
    collect_uses(st);
    find_duplicate_devices(st);
    find_numbers_in_several_clusters(st);
    ASSERT_EQ(s.rows(), 1u);
    RowText r = s.row(0);
    EXPECT_EQ(r.action, "conflict");
    EXPECT_EQ(r.node, "P.Acme.London");
    EXPECT_EQ(r.number, Opt("1000"));
    EXPECT_EQ(r.detail, Opt("number is used in more than one cluster: CL1 (phone SEP1 line 1), "
                            "CL2 (hunt_pilot svc)"));
    st.conflicts.seal();
    EXPECT_TRUE(st.conflicts.contains(s.slot(kLondon), s.number("1000")));
    EXPECT_FALSE(st.conflicts.contains(s.slot(kParis), s.number("1000")));
}

TEST(FindConflicts, CopiesOfADuplicateDeviceAreTheDevicesConflictNotTheNumbers) {
    Steps s(DialPlan::Flat, Scope::Customer);
    s.phone(kLondon, "CL1", "SEP1", "1000").phone(kLondon, "CL2", "SEP1", "1000");
    s.service(kLondon, "CL1", "hunt_pilot", "1000");  // in a cluster a copy is in
    PlanState& st = s.start();
    collect_uses(st);
    find_duplicate_devices(st);
    find_numbers_in_several_clusters(st);
    EXPECT_EQ(s.rows(), 1u);  // the device's conflict only
    EXPECT_TRUE(st.conflicts.marked(s.number("1000")));
}

TEST(FindConflicts, DuplicateEntriesOfOneNode) {
    Steps s(DialPlan::Flat, Scope::Site, /*paris_selected=*/false);
    s.entry(1, kLondon, "1000").entry(2, kLondon, " 1000").entry(3, kParis, "1000");
    s.entry(4, kParis, "2000").entry(5, kParis, "2000");  // Paris: not audited
    PlanState& st = s.start();
    collect_uses(st);
    collect_entries(st);
    find_duplicate_entries(st);
    ASSERT_EQ(s.rows(), 1u);
    RowText r = s.row(0);
    EXPECT_EQ(r.node, "P.Acme.London");
    EXPECT_EQ(r.number, Opt("1000"));
    EXPECT_EQ(r.detail,
              Opt("number is held by more than one entry: \" 1000\" (id 2), \"1000\" (id 1)"));
    EXPECT_EQ(st.entry_dup, (std::pmr::vector<bool>{true, true, false, true, true}));
}

// ---------------------------------------------------------------------------
// Audit entries

TEST(AuditEntries, UpdatedKeptAndSkipped) {
    Steps s(DialPlan::Flat, Scope::Customer);
    s.phone(kLondon, "CL1", "SEP1", "1000").phone(kLondon, "CL1", "SEP2", "3000");
    s.entry(1, kLondon, "1000", "Available")           // updated
        .entry(2, kLondon, "2000", "Available")        // kept
        .entry(3, kParis, "3000", "Reserved")          // in use: skipped
        .entry(4, kParis, "4000", "Cooling")           // not in use: kept
        .entry(5, kCust, "12A", "Used", OptText("x"))  // no number
        .entry(6, kCust, "1000 ", "Used", OptText("Hunt_Pilot"));
    PlanState& st = s.through_conflicts();
    audit_entries(st);
    ASSERT_EQ(s.rows(), 4u);
    RowText r = s.row(0);
    EXPECT_EQ(r.action, "updated");
    EXPECT_EQ(r.new_status, Opt("Used"));
    EXPECT_EQ(r.new_usage, Opt("Device"));
    EXPECT_EQ(s.row(1).action, "skipped");
    EXPECT_EQ(s.row(1).detail, Opt("Reserved"));
    EXPECT_EQ(s.row(2).detail, Opt("invalid number"));
    EXPECT_EQ(s.row(2).number, Opt("12A"));
    EXPECT_EQ(s.row(2).old_usage, Opt("x"));
    EXPECT_EQ(s.row(3).action, "updated");  // flat: a customer-level entry counts every use
    ASSERT_EQ(s.out.updates.size(), 2u);
    EXPECT_EQ(s.out.updates[0].entry_id, 1);
    EXPECT_EQ(s.out.updates[0].holder, kLondon);
    EXPECT_EQ(s.out.updates[0].row, 0u);
    EXPECT_EQ(s.out.updates[0].stored, "1000");
    EXPECT_EQ(s.out.updates[1].stored, "1000 ");               // the key: as stored
    EXPECT_EQ(s.out.updates[1].usage, OptText("Hunt_Pilot"));  // the key: as read
    EXPECT_EQ(s.out.counts.unchanged, 2);
    EXPECT_EQ(st.unchanged[s.slot(kLondon)], 1);
    EXPECT_EQ(st.unchanged[s.slot(kParis)], 1);
}

TEST(AuditEntries, ConflictsAndDuplicatesAreKept) {
    Steps s(DialPlan::Flat, Scope::Customer);
    s.phone(kLondon, "CL1", "SEP1", "1000").phone(kParis, "CL2", "SEP2", "1000");
    s.entry(1, kLondon, "1000").entry(2, kParis, "2000").entry(3, kParis, "2000");
    PlanState& st = s.through_conflicts();
    const std::size_t conflicts = s.rows();
    audit_entries(st);
    EXPECT_EQ(s.rows(), conflicts);
    EXPECT_EQ(s.out.counts.unchanged, 3);
    EXPECT_TRUE(s.out.updates.empty());
}

TEST(AuditEntries, OnlyTheAuditedNodes) {
    Steps s(DialPlan::Flat, Scope::Site, /*paris_selected=*/false);
    s.phone(kLondon, "CL1", "SEP1", "1000");
    s.entry(1, kCust, "1000").entry(2, kParis, "1000").entry(3, kLondon, "1000");
    PlanState& st = s.through_conflicts();
    audit_entries(st);
    ASSERT_EQ(s.out.updates.size(), 1u);
    EXPECT_EQ(s.out.updates[0].entry_id, 3);
}

TEST(AuditEntries, NeedTheConflictSetSealed) {
    Steps s(DialPlan::Flat, Scope::Customer);
    s.phone(kLondon, "CL1", "SEP1", "1000").entry(1, kLondon, "1000");
    PlanState& st = s.start();
    collect_uses(st);
    collect_entries(st);
    st.entry_dup.assign(1, false);
    expect_internal_error([&] { audit_entries(st); });
}

// ---------------------------------------------------------------------------
// Add missing

TEST(AddMissing, ScopeCustomerAddsAtTheCustomerLevel) {
    Steps s(DialPlan::Flat, Scope::Customer);
    s.phone(kLondon, "CL1", "SEP1", "1000").service(kParis, "CL1", "hunt_pilot", "2000");
    s.phone(kParis, "CL1", "SEP2", "3000").entry(1, kRome, "3000");
    PlanState& st = s.through_conflicts();
    add_missing(st);
    ASSERT_EQ(s.rows(), 2u);
    EXPECT_EQ(s.row(0).action, "added");
    EXPECT_EQ(s.row(0).node, "P.Acme");
    EXPECT_EQ(s.row(0).number, Opt("1000"));
    EXPECT_EQ(s.row(1).new_status, Opt("Used-Utility"));
    EXPECT_EQ(s.row(1).new_usage, Opt("Hunt_Pilot"));
    ASSERT_EQ(s.out.inserts.size(), 2u);
    EXPECT_EQ(s.out.inserts[0].holder, kCust);
    EXPECT_EQ(s.out.inserts[1].row, 1u);
    EXPECT_EQ(s.out.counts.added, 2);
}

TEST(AddMissing, ScopeSiteHeldAtCustomerLevelReportedOnce) {
    Steps s(DialPlan::Slc, Scope::Site);
    s.phone(kLondon, "CL1", "SEP1", "1000").phone(kParis, "CL1", "SEP2", "1000");
    s.entry(1, kCust, "1000");
    PlanState& st = s.through_conflicts();
    add_missing(st);
    ASSERT_EQ(s.rows(), 1u);
    EXPECT_EQ(s.row(0).action, "skipped");
    EXPECT_EQ(s.row(0).node, "P.Acme");
    EXPECT_EQ(s.row(0).detail, Opt(std::string(kHeldAtCustomerLevel)));
}

TEST(AddMissing, FlatOneEntryPerNumberAtTheFirstSiteByName) {
    Steps s(DialPlan::Flat, Scope::Site);
    // 1000: needed by Paris and London, held nowhere: London gets it (name
    // order), Paris is told so. 2000: Rome holds it.
    s.phone(kParis, "CL1", "SEP1", "1000").phone(kLondon, "CL1", "SEP2", "1000");
    s.phone(kLondon, "CL1", "SEP3", "2000").entry(1, kRome, "2000");
    PlanState& st = s.through_conflicts();
    add_missing(st);
    ASSERT_EQ(s.rows(), 3u);
    std::vector<std::string> got;
    for (std::size_t i = 0; i < s.rows(); ++i) {
        RowText r = s.row(i);
        got.push_back(r.action + " " + r.node + " " + *r.number + " " + r.detail.value_or("-"));
    }
    EXPECT_EQ(got, (std::vector<std::string>{"skipped P.Acme.Paris 1000 held at site London",
                                             "added P.Acme.London 1000 -",
                                             "skipped P.Acme.London 2000 held at site Rome"}));
    ASSERT_EQ(s.out.inserts.size(), 1u);
    EXPECT_EQ(s.out.inserts[0].holder, kLondon);
}

TEST(AddMissing, SlcAddsAtEachSiteThatNeedsIt) {
    Steps s(DialPlan::Slc, Scope::Site, /*paris_selected=*/false);
    s.phone(kParis, "CL1", "SEP1", "1000").phone(kLondon, "CL1", "SEP2", "1000");
    s.entry(1, kParis, "1000");
    PlanState& st = s.through_conflicts();
    add_missing(st);
    ASSERT_EQ(s.out.inserts.size(), 1u);
    EXPECT_EQ(s.out.inserts[0].holder, kLondon);
}

// ---------------------------------------------------------------------------
// Report

TEST(Report, PatternsOfAuditedNodesOneRowPerNodeAndText) {
    Steps s(DialPlan::Flat, Scope::Site, /*paris_selected=*/false);
    s.phone(kLondon, "CL1", "SEP1", "20XX").phone(kLondon, "CL2", "SEP2", "20XX", 2);
    s.phone(kLondon, "CL1", "SEP3", "12A").phone(kParis, "CL1", "SEP4", "20XX");
    PlanState& st = s.through_conflicts();
    report_patterns(st);
    ASSERT_EQ(s.rows(), 2u);
    EXPECT_EQ(s.row(0).number, Opt("20XX"));
    EXPECT_EQ(s.row(0).detail,
              Opt("wildcard pattern: phone SEP1 line 1 (CL1), phone SEP2 line 2 (CL2)"));
    EXPECT_EQ(s.row(1).number, Opt("12A"));
    EXPECT_EQ(s.row(1).detail, Opt("invalid pattern: phone SEP3 line 1 (CL1)"));
    EXPECT_EQ(s.out.counts.skipped, 2);
}

TEST(Report, SortsRowsAndRepointsTheWrites) {
    Steps s(DialPlan::Flat, Scope::Site);
    PlanState& st = s.through_conflicts();
    st.unchanged.assign(s.in.nodes.size(), 0);
    st.unchanged[s.slot(kParis)] = 3;
    const auto a = s.number("2000"), b = s.number("1000");
    auto paris = s.slot(kParis), london = s.slot(kLondon);
    st.out.inserts.push_back(
        EntryInsert{kParis, st.add_row(NewRow(Action::Added, paris).number(a))});
    st.out.updates.push_back(EntryUpdate{9, kParis,
                                         st.add_row(NewRow(Action::Updated, paris).number(b)),
                                         "1000", std::nullopt, true});
    st.out.updates.push_back(EntryUpdate{4, kLondon,
                                         st.add_row(NewRow(Action::Updated, london).number(a)),
                                         "2000", std::nullopt, true});
    st.add_row(NewRow(Action::Conflict, 0));
    report(st);
    std::vector<std::string> got;
    for (std::size_t i = 0; i < s.rows(); ++i)
        got.push_back(s.row(i).node + " " + s.row(i).number.value_or("-"));
    EXPECT_EQ(got, (std::vector<std::string>{"P.Acme -", "P.Acme.London 2000", "P.Acme.Paris 1000",
                                             "P.Acme.Paris 2000"}));
    // Updates in entry id order, each pointing at its row's new place.
    ASSERT_EQ(s.out.updates.size(), 2u);
    EXPECT_EQ(s.out.updates[0].entry_id, 4);
    EXPECT_EQ(s.out.updates[0].row, 1u);
    EXPECT_EQ(s.out.updates[1].row, 2u);
    EXPECT_EQ(s.out.inserts[0].row, 3u);
    ASSERT_EQ(s.out.unchanged_by_node.size(), 1u);
    EXPECT_EQ(s.out.unchanged_by_node[0], (std::pair<Id, std::int64_t>{kParis, 3}));
}

}  // namespace
}  // namespace numaudit::core::audit

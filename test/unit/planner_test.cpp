// Unit tests of src/core/planner: the reconciliation of SPEC §3 as read by
// docs/BEHAVIOUR.md. Each test builds the uses and entries of one customer,
// plans, and checks the exact result rows, writes and counts.
#include "core/planner.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <functional>
#include <map>
#include <memory_resource>
#include <optional>
#include <ostream>
#include <stdexcept>
#include <string>
#include <tuple>
#include <vector>

#include "core/audit_error.hpp"
#include "core/number_reading.hpp"
#include "core/request.hpp"

namespace numaudit::core {
namespace {

using Opt = std::optional<std::string>;

constexpr Id kCust = 1;
constexpr Id kLondon = 10;
constexpr Id kParis = 11;
constexpr Id kRome = 12;
const std::string kCustPath = "Prov.Res.Acme";
const std::string kLondonPath = kCustPath + ".London";
const std::string kParisPath = kCustPath + ".Paris";
const std::string kRomePath = kCustPath + ".Rome";

// ---------------------------------------------------------------------------
// Owned copies of the planner's output (its string_views die with it).

struct Row {
    std::string action;
    std::string hierarchy;
    Opt site;
    Opt internal_number;
    Opt old_status;
    Opt old_usage;
    Opt new_status;
    Opt new_usage;
    Opt detail;

    auto tie() const {
        return std::tie(action, hierarchy, site, internal_number, old_status, old_usage, new_status,
                        new_usage, detail);
    }
    bool operator==(const Row& o) const { return tie() == o.tie(); }
};

std::ostream& operator<<(std::ostream& os, const Opt& v) {
    return v ? os << '"' << *v << '"' : os << "NULL";
}

std::ostream& operator<<(std::ostream& os, const Row& r) {
    return os << "\n  {" << r.action << ", " << r.hierarchy << ", site=" << r.site
              << ", number=" << r.internal_number << ", old=" << r.old_status << "/" << r.old_usage
              << ", new=" << r.new_status << "/" << r.new_usage << ", detail=" << r.detail << "}";
}

struct Update {
    Id entry_id;
    std::string old_status;
    Opt old_usage;
    std::string new_status;
    Opt new_usage;
    std::uint32_t row;
    std::string stored;  // the key: internal_number as stored
    Opt usage_key;       // the key: usage as read
    bool usage_complete;
};

struct Insert {
    Id holder;
    std::string number;
    std::string status;
    Opt usage;
    std::uint32_t row;

    bool operator==(const Insert& o) const {
        return std::tie(holder, number, status, usage, row) ==
               std::tie(o.holder, o.number, o.status, o.usage, o.row);
    }
};

std::ostream& operator<<(std::ostream& os, const Insert& i) {
    return os << "\n  {holder=" << i.holder << ", " << i.number << ", " << i.status << "/"
              << i.usage << ", row=" << i.row << "}";
}

struct Tally {
    std::int64_t added, updated, unchanged, skipped, conflicts;
    bool operator==(const Tally& o) const {
        return std::tie(added, updated, unchanged, skipped, conflicts) ==
               std::tie(o.added, o.updated, o.unchanged, o.skipped, o.conflicts);
    }
};

std::ostream& operator<<(std::ostream& os, const Tally& t) {
    return os << "{added=" << t.added << ", updated=" << t.updated << ", unchanged=" << t.unchanged
              << ", skipped=" << t.skipped << ", conflicts=" << t.conflicts << "}";
}

struct Result {
    std::vector<Row> rows;
    std::vector<Update> updates;
    std::vector<Insert> inserts;
    Tally counts;

    const Update* update_of(Id entry_id) const {
        for (const auto& u : updates)
            if (u.entry_id == entry_id) return &u;
        return nullptr;
    }
};

Opt own(const OptText& t) { return t ? Opt(std::string(*t)) : std::nullopt; }

// ---------------------------------------------------------------------------
// Expected rows.

Row added(const std::string& h, Opt site, const std::string& number, const std::string& status,
          Opt usage) {
    return Row{"added", h, site, number, std::nullopt, std::nullopt, status, usage, std::nullopt};
}

Row updated(const std::string& h, Opt site, const std::string& number,
            const std::string& old_status, Opt old_usage, const std::string& new_status,
            Opt new_usage) {
    return Row{"updated", h,          site,      number,      old_status,
               old_usage, new_status, new_usage, std::nullopt};
}

// Skipped because the entry is Reserved or Cooling and in use.
Row kept(const std::string& h, Opt site, const std::string& number, const std::string& status,
         Opt usage) {
    return Row{"skipped", h, site, number, status, usage, std::nullopt, std::nullopt, status};
}

Row held_at_customer(const std::string& number) {
    return Row{"skipped",    kCustPath,    std::nullopt,
               number,       std::nullopt, std::nullopt,
               std::nullopt, std::nullopt, "held at customer level"};
}

Row wildcard(const std::string& h, Opt site, const std::string& pattern,
             const std::string& objects) {
    return Row{"skipped",
               h,
               site,
               pattern,
               std::nullopt,
               std::nullopt,
               std::nullopt,
               std::nullopt,
               "wildcard pattern: " + objects};
}

Row held_at_site(const std::string& h, Opt site, const std::string& number,
                 const std::string& holder) {
    return Row{"skipped",
               h,
               site,
               number,
               std::nullopt,
               std::nullopt,
               std::nullopt,
               std::nullopt,
               "held at site " + holder};
}

Row invalid_pattern(const std::string& h, Opt site, const std::string& pattern,
                    const std::string& objects) {
    return Row{"skipped",
               h,
               site,
               pattern,
               std::nullopt,
               std::nullopt,
               std::nullopt,
               std::nullopt,
               "invalid pattern: " + objects};
}

Row invalid_entry(const std::string& h, Opt site, const std::string& stored,
                  const std::string& status, Opt usage) {
    return Row{"skipped",       h, site, stored, status, usage, std::nullopt, std::nullopt,
               "invalid number"};
}

Row conflict(const std::string& h, Opt site, Opt number, const std::string& detail) {
    return Row{"conflict",   h,     site, number, std::nullopt, std::nullopt, std::nullopt,
               std::nullopt, detail};
}

// ---------------------------------------------------------------------------
// Scenarios: the inputs of one audit, replayable (for idempotence).

// The usage_kind rows the extension ships (SPEC §1.2), ranks 1..11.
void add_shipped_kinds(Planner& p) {
    p.add_usage_kind("phone", "Used", "Device", 1);
    p.add_usage_kind("device_profile", "Used", "Device", 2);
    p.add_usage_kind("remote_destination_profile", "Used", "Device", 3);
    p.add_usage_kind("hunt_pilot", "Used-Utility", "Hunt_Pilot", 4);
    p.add_usage_kind("pickup_group", "Used-Utility", "Pickup_Group_Pilot", 5);
    p.add_usage_kind("call_handler", "Used-Utility", "Call_Handler_Pilot", 6);
    p.add_usage_kind("voicemail_pilot", "Used-Utility", "Voicemail_Pilot", 7);
    p.add_usage_kind("meet_me", "Used-Utility", "Meet_Me", 8);
    p.add_usage_kind("cti_route_point", "Used-Utility", "CTI_RoutePoint", 9);
    p.add_usage_kind("call_park", "Used-Utility", "Call_Park", 10);
    p.add_usage_kind("directed_call_park", "Used-Utility", "Directed_Call_Park", 11);
}

const std::vector<std::string> kAllKinds = {
    "phone",           "device_profile",    "remote_destination_profile",
    "hunt_pilot",      "pickup_group",      "call_handler",
    "voicemail_pilot", "meet_me",           "cti_route_point",
    "call_park",       "directed_call_park"};

bool is_device_kind(const std::string& kind) {
    return kind == "phone" || kind == "device_profile" || kind == "remote_destination_profile";
}

struct KindIn {
    std::string kind, status, usage;
    int rank;
};
struct SiteIn {
    Id id;
    std::string name;
    bool selected;
};
struct UseIn {
    Id owner;
    std::string cluster, kind, object;
    int line;
    std::string pattern;
};
struct EntryIn {
    Id id;
    Id holder;
    std::string number, status;
    Opt usage;
    bool usage_complete = true;
    Opt usage_digest;
};

class Scenario {
  public:
    Scenario(DialPlan dial_plan, Scope scope) : dial_plan_(dial_plan), scope_(scope) {}

    Scenario& kind(std::string kind, std::string status, std::string usage, int rank) {
        kinds_.push_back({std::move(kind), std::move(status), std::move(usage), rank});
        return *this;
    }
    Scenario& site(Id id, std::string name, bool selected) {
        sites_.push_back({id, std::move(name), selected});
        return *this;
    }
    // London, Paris and Rome; scope customer selects every site (as the
    // backend does).
    Scenario& three_sites(bool london = true, bool paris = true, bool rome = true) {
        return site(kLondon, "London", london)
            .site(kParis, "Paris", paris)
            .site(kRome, "Rome", rome);
    }
    Scenario& device(Id owner, std::string cluster, std::string kind, std::string name, int line,
                     std::string pattern) {
        uses_.push_back({owner, std::move(cluster), std::move(kind), std::move(name), line,
                         std::move(pattern)});
        return *this;
    }
    Scenario& phone(Id owner, std::string cluster, std::string name, int line,
                    std::string pattern) {
        return device(owner, std::move(cluster), "phone", std::move(name), line,
                      std::move(pattern));
    }
    Scenario& service(Id owner, std::string cluster, std::string kind, std::string name,
                      std::string pattern) {
        return device(owner, std::move(cluster), std::move(kind), std::move(name), -1,
                      std::move(pattern));
    }
    // A use of `kind`: a line 1 of a device for device kinds, else a service.
    Scenario& use(Id owner, std::string cluster, const std::string& kind, std::string name,
                  std::string pattern) {
        return device(owner, std::move(cluster), kind, std::move(name),
                      is_device_kind(kind) ? 1 : -1, std::move(pattern));
    }
    Scenario& entry(Id id, Id holder, std::string number, std::string status = "Available",
                    Opt usage = std::nullopt) {
        entries_.push_back({id, holder, std::move(number), std::move(status), std::move(usage)});
        return *this;
    }
    // An entry whose usage the backend could read only the start of.
    Scenario& entry_with_usage_prefix(Id id, Id holder, std::string number, std::string status,
                                      std::string usage_prefix, std::string digest) {
        entries_.push_back({id, holder, std::move(number), std::move(status),
                            std::move(usage_prefix), false, std::move(digest)});
        return *this;
    }
    Scenario& clip(TextClip clip) {
        clip_ = clip;
        return *this;
    }

    Result run(const std::function<void()>& check = {}) const {
        Planner p(std::pmr::new_delete_resource(), dial_plan_, scope_, kCust, kCustPath, clip_);
        add_shipped_kinds(p);
        for (const auto& k : kinds_) p.add_usage_kind(k.kind, k.status, k.usage, k.rank);
        for (const auto& s : sites_) p.add_site(s.id, s.name, s.selected);
        for (const auto& u : uses_)
            p.add_use(u.owner, u.cluster, u.kind, u.object, u.line, u.pattern);
        for (const auto& e : entries_)
            p.add_entry(e.id, e.holder, e.number, e.status,
                        e.usage ? OptText(*e.usage) : std::nullopt,
                        e.usage_digest ? OptText(*e.usage_digest) : std::nullopt);
        Plan plan = p.plan(check);
        Result r = copy(plan);
        check_consistency(r);
        return r;
    }

    // The same audit after `r` was applied: updated entries carry their new
    // status and usage, inserted entries exist.
    Scenario applied(const Result& r) const {
        Scenario next = *this;
        for (auto& e : next.entries_) {
            if (const Update* u = r.update_of(e.id)) {
                e.status = u->new_status;
                e.usage = u->new_usage;
                e.usage_complete = true;
                e.usage_digest.reset();
            }
        }
        Id id = 1'000'000;
        for (const auto& i : r.inserts) next.entry(++id, i.holder, i.number, i.status, i.usage);
        return next;
    }

    std::string path_of(Id holder) const {
        if (holder == kCust) return kCustPath;
        for (const auto& s : sites_)
            if (s.id == holder) return kCustPath + "." + s.name;
        return "?";
    }
    Opt site_name_of(Id holder) const {
        for (const auto& s : sites_)
            if (s.id == holder) return s.name;
        return std::nullopt;
    }

  private:
    static Result copy(const Plan& plan) {
        Result r;
        for (const auto& row : plan.rows)
            r.rows.push_back(Row{action_name(row.action), std::string(row.hierarchy), own(row.site),
                                 own(row.internal_number), own(row.old_status), own(row.old_usage),
                                 own(row.new_status), own(row.new_usage), own(row.detail)});
        for (const auto& u : plan.updates) {
            const ResultRow row = plan.rows[u.row];
            r.updates.push_back(Update{u.entry_id, std::string(*row.old_status), own(row.old_usage),
                                       std::string(*row.new_status), own(row.new_usage), u.row,
                                       std::string(u.stored), own(u.usage), u.usage_complete});
        }
        for (const auto& i : plan.inserts) {
            const ResultRow row = plan.rows[i.row];
            r.inserts.push_back(Insert{i.holder, std::string(*row.internal_number),
                                       std::string(*row.new_status), own(row.new_usage), i.row});
        }
        r.counts = Tally{plan.counts.added, plan.counts.updated, plan.counts.unchanged,
                         plan.counts.skipped, plan.counts.conflicts};
        return r;
    }

    // Properties every plan has, whatever the scenario.
    void check_consistency(const Result& r) const {
        auto count = [&](const char* action) {
            return std::count_if(r.rows.begin(), r.rows.end(),
                                 [&](const Row& row) { return row.action == action; });
        };
        EXPECT_EQ(r.counts.added, count("added"));
        EXPECT_EQ(r.counts.updated, count("updated"));
        EXPECT_EQ(r.counts.skipped, count("skipped"));
        EXPECT_EQ(r.counts.conflicts, count("conflict"));
        EXPECT_EQ(static_cast<std::int64_t>(r.updates.size()), r.counts.updated);
        EXPECT_EQ(static_cast<std::int64_t>(r.inserts.size()), r.counts.added);

        // Each write points at the row that reports it.
        std::map<Id, const EntryIn*> entries;
        for (const auto& e : entries_) entries.emplace(e.id, &e);
        std::vector<bool> pointed(r.rows.size(), false);
        for (const auto& u : r.updates) {
            ASSERT_LT(u.row, r.rows.size());
            EXPECT_FALSE(pointed[u.row]) << "two writes share row " << u.row;
            pointed[u.row] = true;
            const Row& row = r.rows[u.row];
            auto it = entries.find(u.entry_id);
            ASSERT_NE(it, entries.end()) << "update of unknown entry " << u.entry_id;
            const EntryIn* e = it->second;
            // The row shows the read number; the key is the entry as stored.
            std::string buffer;
            const std::string number(read_number(e->number, buffer).text);
            EXPECT_EQ(row, updated(path_of(e->holder), site_name_of(e->holder), number,
                                   u.old_status, u.old_usage, u.new_status, u.new_usage));
            EXPECT_EQ(u.old_status, e->status);
            EXPECT_EQ(u.stored, e->number);
            EXPECT_EQ(u.usage_key, e->usage_complete ? e->usage : e->usage_digest);
            EXPECT_EQ(u.usage_complete, e->usage_complete);
            if (e->usage_complete) EXPECT_EQ(u.old_usage, e->usage);
        }
        for (const auto& i : r.inserts) {
            ASSERT_LT(i.row, r.rows.size());
            EXPECT_FALSE(pointed[i.row]) << "two writes share row " << i.row;
            pointed[i.row] = true;
            EXPECT_EQ(r.rows[i.row], added(path_of(i.holder), site_name_of(i.holder), i.number,
                                           i.status, i.usage));
        }

        // New entries in the order of their rows: the ids they get do not
        // depend on the order in which the inputs were read.
        for (std::size_t i = 1; i < r.inserts.size(); ++i)
            EXPECT_LT(r.inserts[i - 1].row, r.inserts[i].row)
                << "inserts out of row order at " << i;

        // BEHAVIOUR.md: hierarchy, internal_number (NULL first), action, detail.
        auto opt_key = [](const Opt& o) { return std::make_pair(o.has_value(), o.value_or("")); };
        auto rank = [](const std::string& a) {
            return a == "added" ? 0 : a == "updated" ? 1 : a == "skipped" ? 2 : 3;
        };
        for (std::size_t i = 1; i < r.rows.size(); ++i) {
            const Row &a = r.rows[i - 1], &b = r.rows[i];
            auto ka = std::make_tuple(a.hierarchy, opt_key(a.internal_number), rank(a.action),
                                      opt_key(a.detail));
            auto kb = std::make_tuple(b.hierarchy, opt_key(b.internal_number), rank(b.action),
                                      opt_key(b.detail));
            EXPECT_TRUE(ka <= kb) << "rows " << i - 1 << " and " << i << " out of order:" << a << b;
        }
    }

    DialPlan dial_plan_;
    Scope scope_;
    std::vector<KindIn> kinds_;
    std::vector<SiteIn> sites_;
    std::vector<UseIn> uses_;
    std::vector<EntryIn> entries_;
    TextClip clip_;
};

// Runs the scenario again with its plan applied: nothing is left to write.
void expect_idempotent(const Scenario& s) {
    Result first = s.run();
    Result second = s.applied(first).run();
    EXPECT_TRUE(second.updates.empty()) << "second run still updates " << second.updates.size();
    EXPECT_TRUE(second.inserts.empty()) << second.inserts.size() << " inserts";
    EXPECT_EQ(second.counts.added, 0);
    EXPECT_EQ(second.counts.updated, 0);
    EXPECT_EQ(second.counts.skipped, first.counts.skipped);
    EXPECT_EQ(second.counts.conflicts, first.counts.conflicts);
    // What is left to report: the same skips and conflicts as before.
    std::vector<Row> kept_rows;
    for (const auto& row : first.rows)
        if (row.action == "skipped" || row.action == "conflict") kept_rows.push_back(row);
    EXPECT_EQ(second.rows, kept_rows);
}

// Status and usage that a single added number gets from `uses` (all at the
// customer, one cluster).
std::pair<std::string, Opt> derived(const std::vector<std::string>& kinds,
                                    Scenario s = Scenario(DialPlan::Flat, Scope::Customer)) {
    int n = 0;
    for (const auto& k : kinds) s.use(kCust, "CL1", k, k + "_" + std::to_string(++n), "1000");
    Result r = s.run();
    if (r.inserts.size() != 1) {
        ADD_FAILURE() << "expected one insert, got " << r.inserts.size();
        return {"?", std::nullopt};
    }
    return {r.inserts[0].status, r.inserts[0].usage};
}

// ---------------------------------------------------------------------------
// Status and Usage (SPEC §3 "Status and Usage of an entry")

TEST(PlannerStatus, EachShippedKindAlone) {
    const std::map<std::string, std::pair<std::string, std::string>> expected = {
        {"phone", {"Used", "Device"}},
        {"device_profile", {"Used", "Device"}},
        {"remote_destination_profile", {"Used", "Device"}},
        {"hunt_pilot", {"Used-Utility", "Hunt_Pilot"}},
        {"pickup_group", {"Used-Utility", "Pickup_Group_Pilot"}},
        {"call_handler", {"Used-Utility", "Call_Handler_Pilot"}},
        {"voicemail_pilot", {"Used-Utility", "Voicemail_Pilot"}},
        {"meet_me", {"Used-Utility", "Meet_Me"}},
        {"cti_route_point", {"Used-Utility", "CTI_RoutePoint"}},
        {"call_park", {"Used-Utility", "Call_Park"}},
        {"directed_call_park", {"Used-Utility", "Directed_Call_Park"}},
    };
    ASSERT_EQ(expected.size(), kAllKinds.size());
    for (const auto& kind : kAllKinds) {
        SCOPED_TRACE(kind);
        const auto& [status, usage] = expected.at(kind);
        EXPECT_EQ(derived({kind}), std::make_pair(status, Opt(usage)));
    }
}

TEST(PlannerStatus, UsedBeatsUsedUtility) {
    EXPECT_EQ(derived({"hunt_pilot", "phone"}),
              std::make_pair(std::string("Used"), Opt("Device,Hunt_Pilot")));
    EXPECT_EQ(derived({"call_park", "remote_destination_profile"}),
              std::make_pair(std::string("Used"), Opt("Device,Call_Park")));
}

TEST(PlannerStatus, UsedUtilityWhenOnlyUtilities) {
    EXPECT_EQ(derived({"call_park", "pickup_group"}),
              std::make_pair(std::string("Used-Utility"), Opt("Pickup_Group_Pilot,Call_Park")));
}

TEST(PlannerStatus, DistinctTokens) {
    EXPECT_EQ(derived({"phone", "device_profile"}),
              std::make_pair(std::string("Used"), Opt("Device")));
    EXPECT_EQ(derived({"device_profile", "remote_destination_profile", "phone"}),
              std::make_pair(std::string("Used"), Opt("Device")));
    EXPECT_EQ(derived({"phone", "phone"}), std::make_pair(std::string("Used"), Opt("Device")));
    EXPECT_EQ(derived({"hunt_pilot", "hunt_pilot"}),
              std::make_pair(std::string("Used-Utility"), Opt("Hunt_Pilot")));
}

TEST(PlannerStatus, TokensInRankOrderWhateverTheUseOrder) {
    EXPECT_EQ(derived({"directed_call_park", "hunt_pilot", "remote_destination_profile"}),
              std::make_pair(std::string("Used"), Opt("Device,Hunt_Pilot,Directed_Call_Park")));
    std::vector<std::string> reversed(kAllKinds.rbegin(), kAllKinds.rend());
    EXPECT_EQ(derived(reversed),
              std::make_pair(std::string("Used"),
                             Opt("Device,Hunt_Pilot,Pickup_Group_Pilot,Call_Handler_Pilot,"
                                 "Voicemail_Pilot,Meet_Me,CTI_RoutePoint,Call_Park,"
                                 "Directed_Call_Park")));
    EXPECT_EQ(derived({"directed_call_park", "call_park", "cti_route_point", "meet_me",
                       "voicemail_pilot", "call_handler", "pickup_group", "hunt_pilot"}),
              std::make_pair(std::string("Used-Utility"),
                             Opt("Hunt_Pilot,Pickup_Group_Pilot,Call_Handler_Pilot,"
                                 "Voicemail_Pilot,Meet_Me,CTI_RoutePoint,Call_Park,"
                                 "Directed_Call_Park")));
}

TEST(PlannerStatus, RankOrderNotKindInsertionOrder) {
    // Kinds given to the planner in reverse rank order.
    Planner p(std::pmr::new_delete_resource(), DialPlan::Flat, Scope::Customer, kCust, kCustPath);
    p.add_usage_kind("call_park", "Used-Utility", "Call_Park", 10);
    p.add_usage_kind("hunt_pilot", "Used-Utility", "Hunt_Pilot", 4);
    p.add_usage_kind("phone", "Used", "Device", 1);
    p.add_use(kCust, "CL1", "call_park", "CP", -1, "1000");
    p.add_use(kCust, "CL1", "phone", "SEP1", 1, "1000");
    p.add_use(kCust, "CL1", "hunt_pilot", "HP", -1, "1000");
    Plan plan = p.plan();
    ASSERT_EQ(plan.inserts.size(), 1u);
    EXPECT_EQ(plan.rows[plan.inserts[0].row].new_status, OptText("Used"));
    EXPECT_EQ(plan.rows[plan.inserts[0].row].new_usage, OptText("Device,Hunt_Pilot,Call_Park"));
}

TEST(PlannerStatus, UserAddedKinds) {
    Scenario s(DialPlan::Flat, Scope::Customer);
    s.kind("teams", "Used", "Teams", 12)
        .kind("webex_pilot", "Used-Utility", "Webex", 13)
        .kind("early", "Used-Utility", "Early", 0)
        .kind("softphone", "Used", "Device", 14);
    EXPECT_EQ(derived({"teams"}, s), std::make_pair(std::string("Used"), Opt("Teams")));
    EXPECT_EQ(derived({"teams", "hunt_pilot"}, s),
              std::make_pair(std::string("Used"), Opt("Hunt_Pilot,Teams")));
    EXPECT_EQ(derived({"webex_pilot"}, s),
              std::make_pair(std::string("Used-Utility"), Opt("Webex")));
    EXPECT_EQ(derived({"webex_pilot", "teams", "call_park"}, s),
              std::make_pair(std::string("Used"), Opt("Call_Park,Teams,Webex")));
    // A lower rank than the shipped kinds puts the token first.
    EXPECT_EQ(derived({"phone", "early"}, s),
              std::make_pair(std::string("Used"), Opt("Early,Device")));
    // A new kind bearing an existing token: still one "Device".
    EXPECT_EQ(derived({"softphone"}, s), std::make_pair(std::string("Used"), Opt("Device")));
    EXPECT_EQ(derived({"hunt_pilot", "softphone", "phone"}, s),
              std::make_pair(std::string("Used"), Opt("Device,Hunt_Pilot")));
}

TEST(PlannerStatus, UsageKindWithInvalidStatusRejected) {
    Planner p(std::pmr::new_delete_resource(), DialPlan::Flat, Scope::Customer, kCust, kCustPath);
    try {
        p.add_usage_kind("fax", "Reserved", "Fax", 12);
        ADD_FAILURE() << "did not throw";
    } catch (const AuditError& e) {
        EXPECT_STREQ(e.sqlstate(), "22023");
    }
}

TEST(PlannerStatus, EntriesUpdatedToDerivedValues) {
    Scenario s(DialPlan::Flat, Scope::Customer);
    s.three_sites()
        .phone(kLondon, "CL1", "SEP000000000001", 1, "2001")
        .service(kCust, "CL1", "hunt_pilot", "HP1", "2002")
        .phone(kLondon, "CL1", "SEP000000000002", 1, "2003")
        .service(kCust, "CL1", "hunt_pilot", "HP2", "2003")
        .service(kCust, "CL1", "call_park", "CP1", "2006")
        .entry(1, kCust, "2001")                                // Available -> Used
        .entry(2, kCust, "2002", "Used", "Device")              // -> Used-Utility
        .entry(3, kCust, "2003", "Used", "Hunt_Pilot,Device")   // token order fixed
        .entry(4, kCust, "2004", "Used-Utility", "Hunt_Pilot")  // no use -> Available
        .entry(5, kCust, "2005", "Available", std::nullopt)     // unchanged
        .entry(6, kCust, "2006", "Used-Utility", "Call_Park")   // unchanged
        .entry(7, kCust, "2007", "Available", "Device");        // usage blanked
    Result r = s.run();
    EXPECT_EQ(
        r.rows,
        (std::vector<Row>{
            updated(kCustPath, std::nullopt, "2001", "Available", std::nullopt, "Used", "Device"),
            updated(kCustPath, std::nullopt, "2002", "Used", "Device", "Used-Utility",
                    "Hunt_Pilot"),
            updated(kCustPath, std::nullopt, "2003", "Used", "Hunt_Pilot,Device", "Used",
                    "Device,Hunt_Pilot"),
            updated(kCustPath, std::nullopt, "2004", "Used-Utility", "Hunt_Pilot", "Available",
                    std::nullopt),
            updated(kCustPath, std::nullopt, "2007", "Available", "Device", "Available",
                    std::nullopt),
        }));
    EXPECT_EQ(r.counts, (Tally{0, 5, 2, 0, 0}));
    EXPECT_TRUE(r.inserts.empty());
    ASSERT_EQ(r.updates.size(), 5u);
    const Update* u = r.update_of(4);
    ASSERT_NE(u, nullptr);
    EXPECT_EQ(u->old_status, "Used-Utility");
    EXPECT_EQ(u->old_usage, Opt("Hunt_Pilot"));
    EXPECT_EQ(u->new_status, "Available");
    EXPECT_EQ(u->new_usage, std::nullopt);
    EXPECT_EQ(r.update_of(5), nullptr);
    EXPECT_EQ(r.update_of(6), nullptr);
    expect_idempotent(s);
}

// ---------------------------------------------------------------------------
// Reserved and Cooling entries are never changed.

TEST(PlannerReserved, ReservedAndCoolingNeverChanged) {
    Scenario s(DialPlan::Flat, Scope::Customer);
    s.three_sites()
        .phone(kLondon, "CL1", "SEP1", 1, "4001")
        .service(kCust, "CL1", "hunt_pilot", "HP", "4002")
        .entry(1, kCust, "4001", "Reserved", "VIP")
        .entry(2, kLondon, "4002", "Cooling", std::nullopt)
        .entry(3, kCust, "4003", "Reserved", std::nullopt)
        .entry(4, kParis, "4004", "Cooling", "Device");
    Result r = s.run();
    EXPECT_EQ(r.rows, (std::vector<Row>{
                          kept(kCustPath, std::nullopt, "4001", "Reserved", "VIP"),
                          kept(kLondonPath, "London", "4002", "Cooling", std::nullopt),
                      }));
    EXPECT_EQ(r.counts, (Tally{0, 0, 2, 2, 0}));
    EXPECT_TRUE(r.updates.empty());
    EXPECT_TRUE(r.inserts.empty());  // the numbers in use have entries
    expect_idempotent(s);
}

TEST(PlannerReserved, SiteScopeReservedInUseByAnotherSite) {
    // Flat: a Paris use makes London's Reserved entry "in use".
    Scenario s(DialPlan::Flat, Scope::Site);
    s.three_sites(true, false, false)
        .phone(kParis, "CL1", "SEP1", 1, "4101")
        .entry(1, kLondon, "4101", "Reserved", "Boss")
        .entry(2, kLondon, "4102", "Cooling", "Device");
    Result r = s.run();
    EXPECT_EQ(r.rows, (std::vector<Row>{kept(kLondonPath, "London", "4101", "Reserved", "Boss")}));
    EXPECT_EQ(r.counts, (Tally{0, 0, 1, 1, 0}));
}

// ---------------------------------------------------------------------------
// Number and use: wildcards, "\+", partitions.

TEST(PlannerNumbers, WildcardUsesSkippedAndCountForNothing) {
    Scenario s(DialPlan::Flat, Scope::Customer);
    s.three_sites()
        .service(kCust, "CL1", "call_park", "CP", "80XX")
        .service(kCust, "CL2", "hunt_pilot", "HP", "80XX")
        .phone(kLondon, "CL1", "SEP1", 1, "\\+4420XX")
        .phone(kLondon, "CL1", "SEP1", 2, "*67")
        .phone(kParis, "CL1", "SEP2", 2, "80XX")
        .service(kParis, "CL1", "hunt_pilot", "HPW", "1*2")
        .service(kParis, "CL1", "meet_me", "MM", "5[1-3]")
        .entry(1, kCust, "8000")                                // a wildcard does not use it
        .entry(2, kCust, "8001", "Used-Utility", "Call_Park");  // ...nor keeps it used
    Result r = s.run();
    EXPECT_EQ(
        r.rows,
        (std::vector<Row>{
            added(kCustPath, std::nullopt, "*67", "Used", "Device"),
            updated(kCustPath, std::nullopt, "8001", "Used-Utility", "Call_Park", "Available",
                    std::nullopt),
            wildcard(kCustPath, std::nullopt, "80XX", "call_park CP (CL1), hunt_pilot HP (CL2)"),
            wildcard(kLondonPath, "London", "+4420XX", "phone SEP1 line 1 (CL1)"),
            wildcard(kParisPath, "Paris", "1*2", "hunt_pilot HPW (CL1)"),
            wildcard(kParisPath, "Paris", "5[1-3]", "meet_me MM (CL1)"),
            wildcard(kParisPath, "Paris", "80XX", "phone SEP2 line 2 (CL1)"),
        }));
    // The same wildcard in two clusters is no conflict.
    EXPECT_EQ(r.counts, (Tally{1, 1, 1, 5, 0}));
    expect_idempotent(s);
}

TEST(PlannerNumbers, SiteScopeReportsOnlyTheSelectedSitesWildcards) {
    Scenario s(DialPlan::Flat, Scope::Site);
    s.three_sites(true, false, true)
        .service(kCust, "CL1", "call_park", "CP", "80XX")
        .phone(kLondon, "CL1", "SEP1", 1, "81XX")
        .phone(kParis, "CL1", "SEP2", 1, "82XX")
        .service(kRome, "CL1", "hunt_pilot", "HP", "83!");
    Result r = s.run();
    EXPECT_EQ(r.rows, (std::vector<Row>{
                          wildcard(kLondonPath, "London", "81XX", "phone SEP1 line 1 (CL1)"),
                          wildcard(kRomePath, "Rome", "83!", "hunt_pilot HP (CL1)"),
                      }));
    EXPECT_EQ(r.counts, (Tally{0, 0, 0, 2, 0}));
}

TEST(PlannerNumbers, BackslashPlusIsPlus) {
    Scenario s(DialPlan::Flat, Scope::Customer);
    s.three_sites()
        .phone(kLondon, "CL1", "SEP1", 1, "\\+442071234567")
        .service(kCust, "CL1", "hunt_pilot", "HP", "\\+15551234")
        .phone(kLondon, "CL1", "SEP2", 1, "+15551234")
        .service(kCust, "CL1", "call_park", "CP", "\\+3312")
        .entry(1, kCust, "+442071234567");
    Result r = s.run();
    EXPECT_EQ(r.rows, (std::vector<Row>{
                          added(kCustPath, std::nullopt, "+15551234", "Used", "Device,Hunt_Pilot"),
                          added(kCustPath, std::nullopt, "+3312", "Used-Utility", "Call_Park"),
                          updated(kCustPath, std::nullopt, "+442071234567", "Available",
                                  std::nullopt, "Used", "Device"),
                      }));
    EXPECT_EQ(r.inserts, (std::vector<Insert>{{kCust, "+15551234", "Used", "Device,Hunt_Pilot", 0},
                                              {kCust, "+3312", "Used-Utility", "Call_Park", 1}}));
    EXPECT_EQ(r.counts, (Tally{2, 1, 0, 0, 0}));
    expect_idempotent(s);
}

TEST(PlannerNumbers, SameNumberTwiceIsOneNumber) {
    // A line and a hunt pilot on one number (in two partitions in CUCM), and
    // a shared line on two phones.
    Scenario s(DialPlan::Flat, Scope::Customer);
    s.three_sites()
        .phone(kLondon, "CL1", "SEP1", 1, "1201")
        .service(kLondon, "CL1", "hunt_pilot", "HP", "1201")
        .phone(kLondon, "CL1", "SEP2", 1, "1202")
        .phone(kParis, "CL1", "SEP3", 2, "1202");
    Result r = s.run();
    EXPECT_EQ(r.rows, (std::vector<Row>{
                          added(kCustPath, std::nullopt, "1201", "Used", "Device,Hunt_Pilot"),
                          added(kCustPath, std::nullopt, "1202", "Used", "Device"),
                      }));
    EXPECT_EQ(r.counts, (Tally{2, 0, 0, 0, 0}));
}

TEST(PlannerNumbers, InsertsInRowOrderWhateverTheReadOrder) {
    // The same uses read in two orders (a table's physical order varies):
    // the same inserts, in the order of their rows, so that the new entries
    // get the same ids.
    auto plan = [](bool reversed) {
        Scenario s(DialPlan::Slc, Scope::Site);
        s.three_sites();
        std::vector<std::tuple<Id, std::string, std::string>> uses{{kRome, "SEP3", "1003"},
                                                                   {kLondon, "SEP2", "1002"},
                                                                   {kParis, "SEP9", "1001"},
                                                                   {kLondon, "SEP1", "1001"},
                                                                   {kRome, "SEP4", "\\+4420"}};
        if (reversed) std::reverse(uses.begin(), uses.end());
        for (const auto& [site, name, number] : uses) s.phone(site, "CL1", name, 1, number);
        return s.run();
    };
    Result a = plan(false), b = plan(true);
    EXPECT_EQ(a.rows, b.rows);
    EXPECT_EQ(a.inserts, b.inserts);
    std::vector<std::string> numbers;
    for (const auto& i : a.inserts) numbers.push_back(i.number);
    EXPECT_EQ(numbers, (std::vector<std::string>{"1001", "1002", "1001", "+4420", "1003"}));
}

// ---------------------------------------------------------------------------
// Scope customer (flat).

Scenario flat_customer_scenario() {
    Scenario s(DialPlan::Flat, Scope::Customer);
    s.three_sites()
        .phone(kLondon, "CL1", "SEP000000000001", 1, "5001")
        .phone(kLondon, "CL1", "SEP000000000002", 1, "5002")
        .service(kCust, "CL1", "hunt_pilot", "HP1", "5003")
        .phone(kParis, "CL1", "SEP000000000003", 1, "5004")
        .phone(kLondon, "CL1", "SEP000000000004", 1, "5006")
        .service(kRome, "CL1", "hunt_pilot", "HP2", "5007")
        .entry(101, kLondon, "5001")
        .entry(102, kParis, "5002")
        .entry(103, kRome, "5002", "Used", "Device")
        .entry(104, kCust, "5003")
        .entry(105, kCust, "5005", "Used", "Device")
        .entry(106, kCust, "5006")
        .entry(107, kLondon, "5006")
        .entry(108, kLondon, "5007")
        .entry(109, kParis, "5008");
    return s;
}

TEST(PlannerCustomerScope, SiteEntriesUpdatedCustomerEntryAddedOnlyWhenNoneAnywhere) {
    Result r = flat_customer_scenario().run();
    const Opt none;
    EXPECT_EQ(
        r.rows,
        (std::vector<Row>{
            updated(kCustPath, none, "5003", "Available", none, "Used-Utility", "Hunt_Pilot"),
            added(kCustPath, none, "5004", "Used", "Device"),
            updated(kCustPath, none, "5005", "Used", "Device", "Available", none),
            updated(kCustPath, none, "5006", "Available", none, "Used", "Device"),
            updated(kLondonPath, "London", "5001", "Available", none, "Used", "Device"),
            updated(kLondonPath, "London", "5006", "Available", none, "Used", "Device"),
            // A Rome use counts for a London entry (flat).
            updated(kLondonPath, "London", "5007", "Available", none, "Used-Utility", "Hunt_Pilot"),
            updated(kParisPath, "Paris", "5002", "Available", none, "Used", "Device"),
        }));
    EXPECT_EQ(r.counts, (Tally{1, 7, 2, 0, 0}));
    EXPECT_EQ(r.inserts, (std::vector<Insert>{{kCust, "5004", "Used", "Device", 1}}));
    ASSERT_EQ(r.updates.size(), 7u);
    for (Id id : {101, 102, 104, 105, 106, 107, 108}) EXPECT_NE(r.update_of(id), nullptr) << id;
    EXPECT_EQ(r.update_of(103), nullptr);
    EXPECT_EQ(r.update_of(109), nullptr);
}

TEST(PlannerCustomerScope, Idempotent) { expect_idempotent(flat_customer_scenario()); }

TEST(PlannerCustomerScope, NoCustomerEntryAddedWhenOnlyASiteHoldsTheNumber) {
    Scenario s(DialPlan::Flat, Scope::Customer);
    s.three_sites()
        .service(kCust, "CL1", "hunt_pilot", "HP", "5101")
        .entry(1, kRome, "5101", "Used-Utility", "Hunt_Pilot");
    Result r = s.run();
    EXPECT_TRUE(r.rows.empty()) << ::testing::PrintToString(r.rows);
    EXPECT_EQ(r.counts, (Tally{0, 0, 1, 0, 0}));
}

// ---------------------------------------------------------------------------
// Scope site, flat dial plan.

Scenario flat_site_scenario() {
    Scenario s(DialPlan::Flat, Scope::Site);
    s.three_sites(true, false, false)
        .phone(kParis, "CL1", "SEPP1", 1, "6001")
        .phone(kLondon, "CL1", "SEPL1", 1, "6002")
        .service(kParis, "CL1", "hunt_pilot", "HPP", "6002")
        .phone(kParis, "CL1", "SEPP2", 1, "6003")
        .phone(kLondon, "CL1", "SEPL2", 1, "6004")
        .phone(kParis, "CL1", "SEPP3", 1, "6005")
        .service(kCust, "CL1", "hunt_pilot", "HPC", "6006")
        .service(kLondon, "CL1", "pickup_group", "PG", "6007")
        .entry(201, kLondon, "6001")
        .entry(202, kParis, "6002")
        .entry(203, kCust, "6004")
        .entry(204, kParis, "6005")
        .entry(205, kLondon, "6006")
        .entry(206, kCust, "6009", "Used", "Device")
        .entry(207, kLondon, "6010", "Used", "Device")
        .entry(208, kLondon, "6011");
    return s;
}

TEST(PlannerFlatSiteScope, SelectedSiteAuditedAgainstAllCustomerUses) {
    Result r = flat_site_scenario().run();
    const Opt none;
    EXPECT_EQ(
        r.rows,
        (std::vector<Row>{
            held_at_customer("6004"),
            updated(kLondonPath, "London", "6001", "Available", none, "Used", "Device"),
            // Paris (not selected) holds 6002: a flat customer's numbers are unique.
            held_at_site(kLondonPath, "London", "6002", "Paris"),
            updated(kLondonPath, "London", "6006", "Available", none, "Used-Utility", "Hunt_Pilot"),
            added(kLondonPath, "London", "6007", "Used-Utility", "Pickup_Group_Pilot"),
            updated(kLondonPath, "London", "6010", "Used", "Device", "Available", none),
        }));
    // Unchanged: London's 6011 only; Paris and the customer level are not
    // audited (202, 204 stay stale; 203 and 206 are not touched).
    EXPECT_EQ(r.counts, (Tally{1, 3, 1, 2, 0}));
    EXPECT_EQ(r.inserts,
              (std::vector<Insert>{{kLondon, "6007", "Used-Utility", "Pickup_Group_Pilot", 4}}));
    for (Id id : {202, 203, 204, 206, 208}) EXPECT_EQ(r.update_of(id), nullptr) << id;
}

TEST(PlannerFlatSiteScope, Idempotent) { expect_idempotent(flat_site_scenario()); }

TEST(PlannerFlatSiteScope, HeldAtCustomerLevelOncePerNumber) {
    Scenario s(DialPlan::Flat, Scope::Site);
    s.three_sites(true, false, true)
        .phone(kLondon, "CL1", "SEPL", 1, "6101")
        .phone(kRome, "CL1", "SEPR", 1, "6101")
        .service(kRome, "CL1", "hunt_pilot", "HPR", "6101")
        .phone(kParis, "CL1", "SEPP", 1, "6101")
        .phone(kLondon, "CL1", "SEPL", 2, "6102")
        .entry(1, kCust, "6101", "Used", "Device")
        .entry(2, kCust, "6102")
        .entry(3, kLondon, "6102");  // London holds it itself: audited, not "held"
    Result r = s.run();
    EXPECT_EQ(
        r.rows,
        (std::vector<Row>{
            held_at_customer("6101"),
            updated(kLondonPath, "London", "6102", "Available", std::nullopt, "Used", "Device"),
        }));
    EXPECT_EQ(r.counts, (Tally{0, 1, 0, 1, 0}));
    expect_idempotent(s);
}

// 0.2.0 added 6201 at Paris too: two entries of one number in a dial plan
// where numbers are unique (SPEC §3 "One entry per number in a flat customer").
TEST(PlannerFlatSiteScope, NotAddedWhenAnotherSiteHoldsTheNumber) {
    Scenario s(DialPlan::Flat, Scope::Site);
    s.three_sites(false, true, false)
        .phone(kParis, "CL1", "SEPP", 1, "6201")
        .entry(1, kLondon, "6201", "Used", "Device");
    Result r = s.run();
    EXPECT_EQ(r.rows, (std::vector<Row>{held_at_site(kParisPath, "Paris", "6201", "London")}));
    EXPECT_TRUE(r.inserts.empty());
    EXPECT_EQ(r.counts, (Tally{0, 0, 0, 1, 0}));
    expect_idempotent(s);
}

// ---------------------------------------------------------------------------
// Scope site, slc dial plan: each site on its own.

Scenario slc_scenario() {
    Scenario s(DialPlan::Slc, Scope::Site);
    s.three_sites(true, true, false)
        .phone(kLondon, "CL1", "SEPL1", 1, "7001")
        .service(kParis, "CL1", "hunt_pilot", "HPP", "7001")
        .phone(kCust, "CL1", "SEPC", 1, "7002")
        .phone(kLondon, "CL1", "SEPL2", 1, "7003")
        .phone(kParis, "CL1", "SEPP1", 1, "7004")
        .phone(kLondon, "CL1", "SEPL3", 1, "7005")
        .service(kLondon, "CL2", "hunt_pilot", "HPL", "7005")
        .phone(kRome, "CL1", "SEPR", 1, "7006")
        .service(kRome, "CL2", "hunt_pilot", "HPR", "7006")
        .phone(kParis, "CL2", "SEPP2", 1, "7007")
        .phone(kLondon, "CL1", "SEPL4", 1, "7007")
        .entry(301, kLondon, "7001")
        .entry(302, kParis, "7001", "Used", "Device")
        .entry(303, kLondon, "7002", "Used", "Device")
        .entry(304, kParis, "7003")
        .entry(305, kCust, "7004")
        .entry(306, kLondon, "7005")
        .entry(307, kRome, "7006")
        .entry(308, kCust, "7008", "Used", "Device");
    return s;
}

TEST(PlannerSlcSiteScope, EachSiteAuditedAgainstItsOwnUses) {
    Result r = slc_scenario().run();
    const Opt none;
    EXPECT_EQ(
        r.rows,
        (std::vector<Row>{
            held_at_customer("7004"),
            updated(kLondonPath, "London", "7001", "Available", none, "Used", "Device"),
            // A customer-level use does not count for a site entry (slc).
            updated(kLondonPath, "London", "7002", "Used", "Device", "Available", none),
            added(kLondonPath, "London", "7003", "Used", "Device"),
            conflict(kLondonPath, "London", "7005",
                     "number is used in more than one cluster: CL1 (phone SEPL3 line 1), "
                     "CL2 (hunt_pilot HPL)"),
            added(kLondonPath, "London", "7007", "Used", "Device"),
            // London's phone does not count for Paris's entry.
            updated(kParisPath, "Paris", "7001", "Used", "Device", "Used-Utility", "Hunt_Pilot"),
            added(kParisPath, "Paris", "7007", "Used", "Device"),
        }));
    // Unchanged: 304 (no Paris use of 7003) and 306 (conflict). Rome (not
    // selected, with its own conflict) and the customer level are untouched.
    EXPECT_EQ(r.counts, (Tally{3, 3, 2, 1, 1}));
    for (Id id : {304, 305, 306, 307, 308}) EXPECT_EQ(r.update_of(id), nullptr) << id;
}

TEST(PlannerSlcSiteScope, Idempotent) { expect_idempotent(slc_scenario()); }

TEST(PlannerSlcSiteScope, DuplicateDeviceLookedForSiteBySite) {
    Scenario s(DialPlan::Slc, Scope::Site);
    s.three_sites(true, true, false)
        .device(kLondon, "CL1", "device_profile", "UDP1", 1, "7101")
        .device(kLondon, "CL2", "device_profile", "UDP1", 1, "7102")
        // Same name at two sites: no conflict in slc.
        .phone(kParis, "CL1", "SEPX", 1, "7201")
        .phone(kLondon, "CL2", "SEPX", 1, "7202")
        // A duplicate at an unselected site is not looked at.
        .phone(kRome, "CL1", "SEPR", 1, "7301")
        .phone(kRome, "CL2", "SEPR", 1, "7301")
        .entry(1, kLondon, "7101");
    Result r = s.run();
    EXPECT_EQ(r.rows, (std::vector<Row>{
                          conflict(kLondonPath, "London", std::nullopt,
                                   "device_profile UDP1 is configured in more than one cluster: "
                                   "CL1, CL2; numbers 7101, 7102"),
                          added(kLondonPath, "London", "7202", "Used", "Device"),
                          added(kParisPath, "Paris", "7201", "Used", "Device"),
                      }));
    EXPECT_EQ(r.counts, (Tally{2, 0, 1, 0, 1}));
}

// ---------------------------------------------------------------------------
// Conflicts.

TEST(PlannerConflicts, DuplicateDevice) {
    Scenario s(DialPlan::Flat, Scope::Customer);
    s.three_sites()
        .phone(kLondon, "CL1", "SEPAAA", 1, "8001")
        .phone(kLondon, "CL1", "SEPAAA", 2, "8002")
        .phone(kParis, "CL2", "SEPAAA", 1, "8001")
        .service(kCust, "CL1", "hunt_pilot", "HP", "8003")
        .entry(1, kLondon, "8001")
        .entry(2, kCust, "8002", "Reserved", "VIP");
    Result r = s.run();
    EXPECT_EQ(r.rows, (std::vector<Row>{
                          // Reported once: no second "number in several clusters" row
                          // for 8001.
                          conflict(kCustPath, std::nullopt, std::nullopt,
                                   "phone SEPAAA is configured in more than one cluster: CL1, CL2; "
                                   "numbers 8001, 8002"),
                          added(kCustPath, std::nullopt, "8003", "Used-Utility", "Hunt_Pilot"),
                      }));
    // 8001 and 8002 are left unchanged (even the in-use Reserved entry is not
    // "skipped") and 8002 is not added.
    EXPECT_EQ(r.counts, (Tally{1, 0, 2, 0, 1}));
    EXPECT_TRUE(r.updates.empty());
    EXPECT_EQ(r.inserts, (std::vector<Insert>{{kCust, "8003", "Used-Utility", "Hunt_Pilot", 1}}));
    expect_idempotent(s);
}

TEST(PlannerConflicts, NotDuplicateDevices) {
    Scenario s(DialPlan::Flat, Scope::Customer);
    s.three_sites()
        // One device, several lines, one cluster.
        .phone(kLondon, "CL1", "SEP1", 1, "8011")
        .phone(kLondon, "CL1", "SEP1", 2, "8012")
        // Same name, different kinds.
        .phone(kLondon, "CL1", "JDOE", 1, "8013")
        .device(kLondon, "CL2", "device_profile", "JDOE", 1, "8014")
        // Services are not devices: one name in two clusters is no conflict.
        .service(kCust, "CL1", "hunt_pilot", "Sales", "8015")
        .service(kParis, "CL2", "hunt_pilot", "Sales", "8016");
    Result r = s.run();
    EXPECT_EQ(r.rows, (std::vector<Row>{
                          added(kCustPath, std::nullopt, "8011", "Used", "Device"),
                          added(kCustPath, std::nullopt, "8012", "Used", "Device"),
                          added(kCustPath, std::nullopt, "8013", "Used", "Device"),
                          added(kCustPath, std::nullopt, "8014", "Used", "Device"),
                          added(kCustPath, std::nullopt, "8015", "Used-Utility", "Hunt_Pilot"),
                          added(kCustPath, std::nullopt, "8016", "Used-Utility", "Hunt_Pilot"),
                      }));
    EXPECT_EQ(r.counts.conflicts, 0);
}

TEST(PlannerConflicts, DuplicateDeviceWhateverItsPatterns) {
    Scenario s(DialPlan::Flat, Scope::Customer);
    s.three_sites()
        .phone(kLondon, "CL1", "SEPW", 1, "9XXX")
        .phone(kLondon, "CL2", "SEPW", 1, "9XXX");
    Result r = s.run();
    ASSERT_EQ(r.rows.size(), 2u) << ::testing::PrintToString(r.rows);
    const std::string prefix = "phone SEPW is configured in more than one cluster: CL1, CL2";
    EXPECT_EQ(r.rows[0].action, "conflict");
    EXPECT_EQ(r.rows[0].hierarchy, kCustPath);
    EXPECT_EQ(r.rows[0].internal_number, std::nullopt);
    ASSERT_TRUE(r.rows[0].detail.has_value());
    EXPECT_EQ(r.rows[0].detail->rfind(prefix, 0), 0u) << *r.rows[0].detail;
    EXPECT_EQ(r.rows[1], wildcard(kLondonPath, "London", "9XXX",
                                  "phone SEPW line 1 (CL1), phone SEPW line 1 (CL2)"));
    EXPECT_EQ(r.counts, (Tally{0, 0, 0, 1, 1}));
}

TEST(PlannerConflicts, NumberInSeveralClusters) {
    Scenario s(DialPlan::Flat, Scope::Customer);
    s.three_sites()
        .phone(kLondon, "CL1", "SEP1", 1, "8101")
        .service(kParis, "CL2", "hunt_pilot", "HP", "8101")
        .phone(kLondon, "CL1", "SEP2", 1, "8102")
        .service(kCust, "CL1", "call_park", "CP1", "8103")
        .service(kCust, "CL2", "call_park", "CP2", "8103")
        .phone(kRome, "CL3", "SEP3", 1, "8104")
        .service(kRome, "CL3", "hunt_pilot", "HP4", "8104")
        .entry(1, kLondon, "8101", "Available", std::nullopt);
    Result r = s.run();
    EXPECT_EQ(r.rows,
              (std::vector<Row>{
                  conflict(kCustPath, std::nullopt, "8101",
                           "number is used in more than one cluster: CL1 (phone SEP1 line 1), "
                           "CL2 (hunt_pilot HP)"),
                  added(kCustPath, std::nullopt, "8102", "Used", "Device"),
                  conflict(kCustPath, std::nullopt, "8103",
                           "number is used in more than one cluster: CL1 (call_park CP1), "
                           "CL2 (call_park CP2)"),
                  added(kCustPath, std::nullopt, "8104", "Used", "Device,Hunt_Pilot"),
              }));
    EXPECT_EQ(r.counts, (Tally{2, 0, 1, 0, 2}));
    EXPECT_TRUE(r.updates.empty());
    expect_idempotent(s);
}

TEST(PlannerConflicts, ListsNameAtMostTwentyItems) {
    Scenario s(DialPlan::Flat, Scope::Customer);
    s.three_sites();
    char buf[32];
    std::string clusters_detail = "number is used in more than one cluster: ";
    for (int i = 1; i <= 22; ++i) {
        std::snprintf(buf, sizeof buf, "%02d", i);
        std::string cl = std::string("C") + buf, cp = std::string("CP") + buf;
        s.service(kCust, cl, "call_park", cp, "8200");
        if (i <= 20) clusters_detail += (i > 1 ? ", " : "") + cl + " (call_park " + cp + ")";
    }
    clusters_detail += " and 2 more";
    std::string device_detail =
        "phone SEPBIG is configured in more than one cluster: CL1, CL2; numbers ";
    for (int i = 1; i <= 22; ++i) {
        std::snprintf(buf, sizeof buf, "83%02d", i);
        s.phone(kLondon, "CL1", "SEPBIG", i, buf);
        if (i <= 20) device_detail += (i > 1 ? ", " : "") + std::string(buf);
    }
    device_detail += " and 2 more";
    s.phone(kParis, "CL2", "SEPBIG", 1, "8301");
    Result r = s.run();
    EXPECT_EQ(r.rows, (std::vector<Row>{
                          conflict(kCustPath, std::nullopt, std::nullopt, device_detail),
                          conflict(kCustPath, std::nullopt, "8200", clusters_detail),
                      }));
    EXPECT_EQ(r.counts, (Tally{0, 0, 0, 0, 2}));
}

TEST(PlannerConflicts, FlatSiteScopeReportsTheWholeCustomersConflicts) {
    Scenario s(DialPlan::Flat, Scope::Site);
    s.three_sites(true, false, false)
        .phone(kParis, "CL1", "SEPX", 1, "8401")
        .service(kRome, "CL2", "hunt_pilot", "HPR", "8401")
        .phone(kLondon, "CL1", "SEPL", 1, "8401")
        .phone(kParis, "CL1", "SEPD", 1, "8402")
        .phone(kRome, "CL2", "SEPD", 1, "8403")
        .phone(kLondon, "CL1", "SEPL", 2, "8403")
        .entry(1, kLondon, "8402");
    Result r = s.run();
    EXPECT_EQ(r.rows, (std::vector<Row>{
                          conflict(kCustPath, std::nullopt, std::nullopt,
                                   "phone SEPD is configured in more than one cluster: CL1, "
                                   "CL2; numbers 8402, 8403"),
                          conflict(kCustPath, std::nullopt, "8401",
                                   "number is used in more than one cluster: CL1 (phone SEPL "
                                   "line 1), CL1 (phone SEPX line 1), CL2 (hunt_pilot HPR)"),
                          // SEPL uses 8403 in CL1, where no copy of SEPD uses it.
                          conflict(kCustPath, std::nullopt, "8403",
                                   "number is used in more than one cluster: CL1 (phone SEPL "
                                   "line 2), CL2 (phone SEPD line 1)"),
                      }));
    // London's 8402 entry is unchanged; no entry is added for 8401 or 8403.
    EXPECT_EQ(r.counts, (Tally{0, 0, 1, 0, 3}));
    EXPECT_TRUE(r.inserts.empty());
    EXPECT_TRUE(r.updates.empty());
}

// audit() applies one plan site by site: each row, update and insert says
// which node it belongs to, and the unchanged entries are counted per node.
TEST(PlannerRows, NodesOfRowsAndUnchangedPerNode) {
    Planner p(std::pmr::new_delete_resource(), DialPlan::Flat, Scope::Site, kCust, kCustPath);
    add_shipped_kinds(p);
    p.add_site(kLondon, "London", true);
    p.add_site(kParis, "Paris", true);
    p.add_use(kLondon, "CL1", "phone", "SEPL", 1, "8501");
    p.add_use(kParis, "CL1", "phone", "SEPP", 1, "8502");
    p.add_use(kParis, "CL1", "hunt_pilot", "HP", -1, "8503");
    p.add_entry(1, kLondon, "8501", "Used", OptText("Device"));
    p.add_entry(2, kParis, "8502", "Available", std::nullopt);
    p.add_entry(3, kParis, "8504", "Used", OptText("Device"));
    p.add_entry(4, kCust, "8503", "Available", std::nullopt);
    Plan plan = p.plan();
    // Paris: 8502 and 8504 updated; 8503 held at customer level.
    ASSERT_EQ(plan.rows.size(), 3u);
    EXPECT_EQ(plan.rows.node_id(0), kCust);  // held at customer level
    EXPECT_EQ(plan.rows[0].detail, OptText("held at customer level"));
    EXPECT_EQ(plan.rows.node_id(1), kParis);
    EXPECT_EQ(plan.rows.node_id(2), kParis);
    EXPECT_EQ(plan.unchanged_by_node,
              (std::pmr::vector<std::pair<Id, std::int64_t>>{{kLondon, 1}}));
    ASSERT_EQ(plan.updates.size(), 2u);
    EXPECT_EQ(plan.updates[0].holder, kParis);
    EXPECT_TRUE(plan.inserts.empty());
}

// A duplicated device's number also used elsewhere: reported as the
// number's own conflict only when that other use is in a cluster none of the
// device's copies uses the number in.
TEST(PlannerConflicts, DuplicateDeviceNumberAlsoUsedInAThirdCluster) {
    Scenario s(DialPlan::Flat, Scope::Customer);
    s.three_sites(false, false, false)
        .phone(kLondon, "CL1", "SEPA", 1, "8601")
        .phone(kParis, "CL2", "SEPA", 1, "8601")
        .service(kRome, "CL3", "hunt_pilot", "HP3", "8601")
        .phone(kLondon, "CL1", "SEPB", 1, "8602")
        .phone(kParis, "CL2", "SEPB", 1, "8602")
        .service(kLondon, "CL1", "hunt_pilot", "HP1", "8602");
    Result r = s.run();
    EXPECT_EQ(r.rows, (std::vector<Row>{
                          conflict(kCustPath, std::nullopt, std::nullopt,
                                   "phone SEPA is configured in more than one cluster: CL1, "
                                   "CL2; numbers 8601"),
                          conflict(kCustPath, std::nullopt, std::nullopt,
                                   "phone SEPB is configured in more than one cluster: CL1, "
                                   "CL2; numbers 8602"),
                          conflict(kCustPath, std::nullopt, "8601",
                                   "number is used in more than one cluster: CL1 (phone SEPA "
                                   "line 1), CL2 (phone SEPA line 1), CL3 (hunt_pilot HP3)"),
                      }));
    EXPECT_EQ(r.counts, (Tally{0, 0, 0, 0, 3}));
    EXPECT_TRUE(r.inserts.empty());
}

TEST(PlannerConflicts, ConflictNumberNotHeldAtCustomerLevel) {
    Scenario s(DialPlan::Flat, Scope::Site);
    s.three_sites(true, false, false)
        .phone(kLondon, "CL1", "SEPL", 1, "8501")
        .phone(kParis, "CL2", "SEPP", 1, "8501")
        .entry(1, kCust, "8501");
    Result r = s.run();
    ASSERT_EQ(r.rows.size(), 1u) << ::testing::PrintToString(r.rows);
    EXPECT_EQ(r.rows[0].action, "conflict");
    EXPECT_EQ(r.counts, (Tally{0, 0, 0, 0, 1}));
}

// ---------------------------------------------------------------------------
// Result rows: order, and the writes' row indexes.

Scenario sort_scenario() {
    Scenario s(DialPlan::Flat, Scope::Customer);
    s.three_sites()
        // Entries given Paris first, customer last: the opposite of the
        // sorted order.
        .entry(1, kParis, "8601")
        .entry(2, kLondon, "8600", "Used", "Device")
        .entry(3, kCust, "800", "Used-Utility", "Call_Park")
        .entry(4, kParis, "8602", "Cooling", "Device")
        .phone(kParis, "CL1", "SEP9", 1, "8601")
        .phone(kParis, "CL1", "SEP9", 2, "8602")
        .service(kCust, "CL1", "call_park", "CP", "80XX")
        .phone(kLondon, "CL1", "SEPZZZ", 1, "8501")
        .phone(kParis, "CL2", "SEPZZZ", 1, "8501")
        .device(kLondon, "CL1", "device_profile", "UDPA", 1, "8502")
        .device(kRome, "CL2", "device_profile", "UDPA", 1, "8502")
        .phone(kLondon, "CL1", "SEP8", 1, "8700")
        .service(kRome, "CL1", "hunt_pilot", "HP1", "8800")
        .service(kRome, "CL2", "hunt_pilot", "HP2", "8800")
        .service(kRome, "CL1", "hunt_pilot", "HP3", "8701");
    return s;
}

TEST(PlannerRows, SortedByHierarchyNumberActionDetail) {
    Result r = sort_scenario().run();
    const Opt none;
    EXPECT_EQ(r.rows,
              (std::vector<Row>{
                  conflict(kCustPath, none, none,
                           "device_profile UDPA is configured in more than one cluster: CL1, "
                           "CL2; numbers 8502"),
                  conflict(kCustPath, none, none,
                           "phone SEPZZZ is configured in more than one cluster: CL1, CL2; "
                           "numbers 8501"),
                  updated(kCustPath, none, "800", "Used-Utility", "Call_Park", "Available", none),
                  wildcard(kCustPath, none, "80XX", "call_park CP (CL1)"),
                  added(kCustPath, none, "8700", "Used", "Device"),
                  added(kCustPath, none, "8701", "Used-Utility", "Hunt_Pilot"),
                  conflict(kCustPath, none, "8800",
                           "number is used in more than one cluster: CL1 (hunt_pilot HP1), CL2 "
                           "(hunt_pilot HP2)"),
                  updated(kLondonPath, "London", "8600", "Used", "Device", "Available", none),
                  updated(kParisPath, "Paris", "8601", "Available", none, "Used", "Device"),
                  kept(kParisPath, "Paris", "8602", "Cooling", "Device"),
              }));
    EXPECT_EQ(r.counts, (Tally{2, 3, 0, 2, 3}));
}

TEST(PlannerRows, WritesPointAtTheirRowsAfterSorting) {
    Result r = sort_scenario().run();
    ASSERT_EQ(r.rows.size(), 10u);
    ASSERT_EQ(r.updates.size(), 3u);
    ASSERT_EQ(r.inserts.size(), 2u);
    const Update* paris = r.update_of(1);
    const Update* london = r.update_of(2);
    const Update* cust = r.update_of(3);
    ASSERT_TRUE(paris && london && cust);
    EXPECT_EQ(cust->row, 2u);
    EXPECT_EQ(london->row, 7u);
    EXPECT_EQ(paris->row, 8u);
    EXPECT_EQ(r.rows[paris->row].internal_number, Opt("8601"));
    EXPECT_EQ(r.rows[paris->row].hierarchy, kParisPath);
    EXPECT_EQ(r.rows[london->row].internal_number, Opt("8600"));
    EXPECT_EQ(r.rows[cust->row].internal_number, Opt("800"));
    EXPECT_EQ(r.rows[cust->row].action, "updated");
    EXPECT_EQ(r.inserts, (std::vector<Insert>{{kCust, "8700", "Used", "Device", 4},
                                              {kCust, "8701", "Used-Utility", "Hunt_Pilot", 5}}));
}

TEST(PlannerRows, NothingToDoNoRows) {
    Scenario s(DialPlan::Flat, Scope::Customer);
    s.three_sites()
        .entry(1, kCust, "1000")
        .entry(2, kLondon, "1001", "Used", "Device")
        .phone(kLondon, "CL1", "SEP1", 1, "1001");
    Result r = s.run();
    EXPECT_TRUE(r.rows.empty());
    EXPECT_EQ(r.counts, (Tally{0, 0, 2, 0, 0}));
}

// ---------------------------------------------------------------------------
// Inputs the backend never gives.

TEST(PlannerInputs, UnknownNodeOrKindIsAnInternalError) {
    Planner p(std::pmr::new_delete_resource(), DialPlan::Flat, Scope::Customer, kCust, kCustPath);
    add_shipped_kinds(p);
    p.add_site(kLondon, "London", true);
    auto expect_xx000 = [](const std::function<void()>& f) {
        try {
            f();
            ADD_FAILURE() << "did not throw";
        } catch (const AuditError& e) {
            EXPECT_STREQ(e.sqlstate(), "XX000") << e.what();
        }
    };
    expect_xx000([&] { p.add_use(999, "CL1", "phone", "SEP1", 1, "1000"); });
    expect_xx000([&] { p.add_use(kLondon, "CL1", "fax", "F1", -1, "1000"); });
    expect_xx000([&] { p.add_entry(1, 999, "1000", "Available", std::nullopt); });
    // The planner is still usable.
    p.add_use(kLondon, "CL1", "phone", "SEP1", 1, "1000");
    Plan plan = p.plan();
    EXPECT_EQ(plan.counts.added, 1);
}

// ---------------------------------------------------------------------------
// Real data (SPEC §3 "Reading numbers", from 0.3.0): patterns and entries are
// read the same way; numaudit never decides on what it cannot read.

// The cases seen in 0.2.0: a messy pattern or entry made a used number look
// free and added a second entry beside it.
TEST(PlannerReading, MessyPatternsAreTheNumberTheyStandFor) {
    const Opt none;
    for (const std::string pattern : {"5001 ", " 5001", "5001\n", "\t5001\r\n"}) {
        Scenario s(DialPlan::Flat, Scope::Site);
        s.three_sites()
            .phone(kLondon, "CL1", "SEPL", 1, pattern)
            .entry(1, kLondon, "5001", "Used", "Device");
        Result r = s.run();
        EXPECT_TRUE(r.rows.empty())
            << "pattern '" << pattern << "':" << ::testing::PrintToString(r.rows);
        EXPECT_EQ(r.counts, (Tally{0, 0, 1, 0, 0})) << pattern;
    }
    // Not Used yet: the entry is updated, nothing is added beside it.
    Scenario s(DialPlan::Flat, Scope::Site);
    s.three_sites().phone(kLondon, "CL1", "SEPL", 1, "1004\n").entry(1, kLondon, "1004");
    Result r = s.run();
    EXPECT_EQ(r.rows, (std::vector<Row>{updated(kLondonPath, "London", "1004", "Available", none,
                                                "Used", "Device")}));
    EXPECT_TRUE(r.inserts.empty());
    expect_idempotent(s);
}

TEST(PlannerReading, MessyEntriesStandForTheirReadNumber) {
    const Opt none;
    Scenario s(DialPlan::Flat, Scope::Site);
    s.three_sites()
        .phone(kLondon, "CL1", "SEPL", 1, "\\+4420")  // escaped pattern, escaped entry
        .phone(kLondon, "CL1", "SEPL", 2, "+4421")    // plain pattern, escaped entry
        .phone(kLondon, "CL1", "SEPL", 3, "5001")     // plain pattern, padded entry
        .entry(1, kLondon, "\\+4420", "Available")
        .entry(2, kLondon, "\\+4421", "Used", "Device")
        .entry(3, kLondon, " 5001\t", "Available");
    Result r = s.run();
    // Rows show the read number; updates carry the stored text as the key.
    EXPECT_EQ(r.rows,
              (std::vector<Row>{
                  updated(kLondonPath, "London", "+4420", "Available", none, "Used", "Device"),
                  updated(kLondonPath, "London", "5001", "Available", none, "Used", "Device"),
              }));
    EXPECT_TRUE(r.inserts.empty());
    ASSERT_TRUE(r.update_of(1) && r.update_of(3));
    EXPECT_EQ(r.update_of(1)->stored, "\\+4420");
    EXPECT_EQ(r.update_of(3)->stored, " 5001\t");
    EXPECT_EQ(r.counts, (Tally{0, 2, 1, 0, 0}));
    expect_idempotent(s);
}

TEST(PlannerReading, AddedEntriesHaveTheReadNumber) {
    Scenario s(DialPlan::Flat, Scope::Customer);
    s.three_sites().service(kCust, "CL1", "voicemail_pilot", "VM", " \\+442070009999 ");
    Result r = s.run();
    EXPECT_EQ(r.rows, (std::vector<Row>{added(kCustPath, std::nullopt, "+442070009999",
                                              "Used-Utility", "Voicemail_Pilot")}));
}

TEST(PlannerReading, InvalidPatternsAreReportedAndCountForNothing) {
    const Opt none;
    Scenario s(DialPlan::Flat, Scope::Site);
    const std::string huge(9600, '5');  // a number of 9,600 digits is no number
    s.three_sites(true, true, false)
        .phone(kLondon, "CL1", "SEPL", 1, "")
        .phone(kLondon, "CL1", "SEPL", 2, "1003A")
        .service(kLondon, "CL2", "hunt_pilot", "HP", " 1003A ")  // same read text: one row
        .phone(kParis, "CL1", "SEPP", 1, huge)
        .phone(kParis, "CL1", "SEPP", 2, "12\\+34")
        .phone(kRome, "CL1", "SEPR", 1, "abc")  // Rome is not audited: not reported
        .entry(1, kLondon, "1003", "Used", "Device");
    Result r = s.run();
    EXPECT_EQ(r.rows,
              (std::vector<Row>{
                  invalid_pattern(kLondonPath, "London", "", "phone SEPL line 1 (CL1)"),
                  updated(kLondonPath, "London", "1003", "Used", "Device", "Available", none),
                  invalid_pattern(kLondonPath, "London", "1003A",
                                  "hunt_pilot HP (CL2), phone SEPL line 2 (CL1)"),
                  invalid_pattern(kParisPath, "Paris", "12\\+34", "phone SEPP line 2 (CL1)"),
                  invalid_pattern(kParisPath, "Paris", huge, "phone SEPP line 1 (CL1)"),
              }));
    EXPECT_TRUE(r.inserts.empty());
    EXPECT_EQ(r.counts, (Tally{0, 1, 0, 4, 0}));
    expect_idempotent(s);
}

TEST(PlannerReading, InvalidEntriesAreLeftAloneAndReported) {
    Scenario s(DialPlan::Flat, Scope::Customer);
    s.three_sites()
        .entry(1, kLondon, "", "Used", "Device")
        .entry(2, kLondon, "1003A", "Available")
        .entry(3, kParis, "65XX", "Used", "Device")  // a wildcard is no number either
        .entry(4, kParis, "abc", "Reserved")
        .entry(5, kCust, std::string(60, '7'), "Used-Utility", "Hunt_Pilot")
        .phone(kLondon, "CL1", "SEPL", 1, "1003")
        .entry(6, kLondon, "1003", "Used", "Device");
    Result r = s.run();
    EXPECT_EQ(r.rows, (std::vector<Row>{
                          invalid_entry(kCustPath, std::nullopt, std::string(60, '7'),
                                        "Used-Utility", "Hunt_Pilot"),
                          invalid_entry(kLondonPath, "London", "", "Used", "Device"),
                          invalid_entry(kLondonPath, "London", "1003A", "Available", std::nullopt),
                          invalid_entry(kParisPath, "Paris", "65XX", "Used", "Device"),
                          invalid_entry(kParisPath, "Paris", "abc", "Reserved", std::nullopt),
                      }));
    EXPECT_TRUE(r.updates.empty());
    EXPECT_TRUE(r.inserts.empty());
    EXPECT_EQ(r.counts, (Tally{0, 0, 1, 5, 0}));
    expect_idempotent(s);
}

TEST(PlannerReading, InvalidEntriesOfNodesNotAuditedAreNotReported) {
    Scenario s(DialPlan::Flat, Scope::Site);
    s.three_sites(true, false, false)
        .entry(1, kParis, "bad", "Used", "Device")
        .entry(2, kCust, "bad", "Used", "Device")
        .entry(3, kLondon, "bad", "Used", "Device");
    Result r = s.run();
    EXPECT_EQ(r.rows,
              (std::vector<Row>{invalid_entry(kLondonPath, "London", "bad", "Used", "Device")}));
}

TEST(PlannerReading, TwoEntriesOfOneNodeWithOneNumberAreAConflict) {
    Scenario s(DialPlan::Flat, Scope::Customer);
    s.three_sites()
        .phone(kLondon, "CL1", "SEPL", 1, "5001")
        .entry(9, kLondon, " 5001", "Available")
        .entry(7, kLondon, "5001", "Available")
        .entry(11, kParis, "\\+4420", "Used", "Device")
        .entry(12, kParis, "+4420", "Reserved")
        .entry(13, kRome, "5001", "Available");  // another node: audited as usual
    Result r = s.run();
    EXPECT_EQ(r.rows,
              (std::vector<Row>{
                  conflict(kLondonPath, "London", "5001",
                           "number is held by more than one entry: \" 5001\" (id 9), \"5001\" "
                           "(id 7)"),
                  conflict(kParisPath, "Paris", "+4420",
                           "number is held by more than one entry: \"+4420\" (id 12), "
                           "\"\\+4420\" (id 11)"),
                  updated(kRomePath, "Rome", "5001", "Available", std::nullopt, "Used", "Device"),
              }));
    // Both entries of each pair are left as they are, and counted unchanged.
    for (Id id : {7, 9, 11, 12}) EXPECT_EQ(r.update_of(id), nullptr) << id;
    EXPECT_TRUE(r.inserts.empty());
    EXPECT_EQ(r.counts, (Tally{0, 1, 4, 0, 2}));
    expect_idempotent(s);
}

TEST(PlannerReading, DuplicateEntriesOfANodeNotAuditedStillHoldTheNumber) {
    Scenario s(DialPlan::Flat, Scope::Site);
    s.three_sites(true, false, false)
        .phone(kLondon, "CL1", "SEPL", 1, "5001")
        .phone(kLondon, "CL1", "SEPL", 2, "5002")
        .entry(1, kCust, "5001", "Available")
        .entry(2, kCust, " 5001", "Available")
        .entry(3, kParis, "5002", "Available")
        .entry(4, kParis, "5002\n", "Available");
    Result r = s.run();
    EXPECT_EQ(r.rows, (std::vector<Row>{
                          held_at_customer("5001"),
                          held_at_site(kLondonPath, "London", "5002", "Paris"),
                      }));
    EXPECT_EQ(r.counts, (Tally{0, 0, 0, 2, 0}));
}

TEST(PlannerReading, ConflictListsOfDuplicateEntriesAreCapped) {
    Scenario s(DialPlan::Flat, Scope::Customer);
    s.three_sites();
    std::string pad;
    for (int i = 0; i < 22; ++i) {
        s.entry(100 + i, kLondon, pad + "5001", "Available");
        pad += ' ';
    }
    Result r = s.run();
    ASSERT_EQ(r.rows.size(), 1u);
    EXPECT_EQ(r.rows[0].action, "conflict");
    const std::string& d = *r.rows[0].detail;
    EXPECT_EQ(d.rfind("number is held by more than one entry: \"", 0), 0u) << d;
    EXPECT_NE(d.find(" and 2 more"), std::string::npos) << d;
    EXPECT_EQ(r.counts, (Tally{0, 0, 22, 0, 1}));
}

TEST(PlannerReading, AUsageReadOnlyInPartIsAlwaysRewritten) {
    Scenario s(DialPlan::Flat, Scope::Customer);
    // The backend read the first characters of a very long usage: whatever
    // they are, the whole value is no derived usage.
    s.three_sites()
        .phone(kLondon, "CL1", "SEPL", 1, "5001")
        .entry_with_usage_prefix(1, kLondon, "5001", "Used", "Device", "md5-of-the-whole");
    Result r = s.run();
    ASSERT_EQ(r.updates.size(), 1u);
    EXPECT_FALSE(r.updates[0].usage_complete);
    EXPECT_EQ(r.updates[0].usage_key, Opt("md5-of-the-whole"));
    EXPECT_EQ(r.updates[0].new_usage, Opt("Device"));
}

TEST(PlannerReading, DuplicateDevicesListEveryLineAsRead) {
    Scenario s(DialPlan::Flat, Scope::Customer);
    s.three_sites()
        .phone(kLondon, "CL1", "SEPD", 1, " 5001")
        .phone(kLondon, "CL1", "SEPD", 2, "1003A")
        .phone(kLondon, "CL1", "SEPD", 3, "\\+44XX")
        .phone(kParis, "CL2", "SEPD", 1, "5001");
    Result r = s.run();
    ASSERT_FALSE(r.rows.empty());
    EXPECT_EQ(r.rows[0], conflict(kCustPath, std::nullopt, std::nullopt,
                                  "phone SEPD is configured in more than one cluster: CL1, CL2; "
                                  "numbers +44XX, 1003A, 5001"));
}

TEST(PlannerReading, ReportedTextIsCutAtTenThousandCharacters) {
    Scenario s(DialPlan::Flat, Scope::Customer);
    const std::string long_name(10001, 'N'), exact_name(10000, 'E');
    const std::string long_cluster(10001, 'C');
    std::string long_pattern(10050, '9');
    long_pattern[10020] = 'X';  // a wildcard whose wildcard lies beyond the cut
    s.three_sites()
        .service(kLondon, "CL1", "hunt_pilot", long_name, "77XX")
        .service(kLondon, "CL1", "hunt_pilot", exact_name, "77XX")
        .service(kLondon, long_cluster, "call_park", "CP", "78XX")
        .service(kParis, "CL1", "call_park", "CPL", long_pattern)
        .entry(1, kRome, std::string(10005, 'a'), "Used", std::string(10003, 'U'));
    Result r = s.run();
    const std::string dots = "\xE2\x80\xA6";
    EXPECT_EQ(
        r.rows,
        (std::vector<Row>{
            wildcard(kLondonPath, "London", "77XX",
                     "hunt_pilot " + exact_name + " (CL1), hunt_pilot " + std::string(10000, 'N') +
                         dots + " (CL1)"),
            wildcard(kLondonPath, "London", "78XX",
                     "call_park CP (" + std::string(10000, 'C') + dots + ")"),
            wildcard(kParisPath, "Paris", std::string(10000, '9') + dots, "call_park CPL (CL1)"),
            invalid_entry(kRomePath, "Rome", std::string(10000, 'a') + dots, "Used",
                          std::string(10000, 'U') + dots),
        }));
    // Outside UTF-8 the ellipsis is three dots.
    TextClip latin;
    latin.ellipsis = "...";
    Result l = Scenario(s).clip(latin).run();
    EXPECT_EQ(l.rows.back().internal_number, Opt(std::string(10000, 'a') + "..."));
}

// ---------------------------------------------------------------------------
// One entry per number in a flat customer (SPEC §3, from 0.3.0).

TEST(PlannerOneEntryPerNumber, AddedOnceAtTheFirstSelectedSiteInByteOrder) {
    Scenario s(DialPlan::Flat, Scope::Site);
    // Byte order: "B" < "Zürich" < "a" (upper case before lower case).
    s.site(20, "a", true).site(21, "B", true).site(22, "Z\xC3\xBCrich", true);
    s.phone(20, "CL1", "SEPa", 1, "7001")
        .phone(21, "CL1", "SEPB", 1, "7001")
        .phone(22, "CL1", "SEPZ", 1, "7001")
        .phone(20, "CL1", "SEPa", 2, "7002")
        .phone(22, "CL1", "SEPZ", 2, "7002");
    Result r = s.run();
    const std::string a = kCustPath + ".a", b = kCustPath + ".B", z = kCustPath + ".Z\xC3\xBCrich";
    EXPECT_EQ(r.rows, (std::vector<Row>{
                          added(b, "B", "7001", "Used", "Device"),
                          held_at_site(z, "Z\xC3\xBCrich", "7001", "B"),
                          added(z, "Z\xC3\xBCrich", "7002", "Used", "Device"),
                          held_at_site(a, "a", "7001", "B"),
                          held_at_site(a, "a", "7002", "Z\xC3\xBCrich"),
                      }));
    EXPECT_EQ(r.counts, (Tally{2, 0, 0, 3, 0}));
}

TEST(PlannerOneEntryPerNumber, UnselectedUsersDoNotTakeTheNumber) {
    Scenario s(DialPlan::Flat, Scope::Site);
    s.three_sites(false, true, false)
        .phone(kLondon, "CL1", "SEPL", 1, "7101")  // London uses it but is not audited
        .phone(kParis, "CL1", "SEPP", 1, "7101");
    Result r = s.run();
    EXPECT_EQ(r.rows, (std::vector<Row>{added(kParisPath, "Paris", "7101", "Used", "Device")}));
}

TEST(PlannerOneEntryPerNumber, TheCustomerLevelComesFirstThenTheFirstHoldingSite) {
    Scenario s(DialPlan::Flat, Scope::Site);
    s.three_sites(true, false, false)
        .phone(kLondon, "CL1", "SEPL", 1, "7201")
        .phone(kLondon, "CL1", "SEPL", 2, "7202")
        .entry(1, kCust, "7201")
        .entry(2, kRome, "7201")
        .entry(3, kRome, "7202")
        .entry(4, kParis, " 7202");  // read as 7202: Paris holds it too
    Result r = s.run();
    EXPECT_EQ(r.rows, (std::vector<Row>{
                          held_at_customer("7201"),
                          held_at_site(kLondonPath, "London", "7202", "Paris"),
                      }));
    EXPECT_TRUE(r.inserts.empty());
}

TEST(PlannerOneEntryPerNumber, ConflictsAndOwnEntriesComeBeforeHeldRows) {
    Scenario s(DialPlan::Flat, Scope::Site);
    s.three_sites(true, true, false)
        .phone(kLondon, "CL1", "SEPL", 1, "7301")
        .phone(kParis, "CL2", "SEPP", 1, "7301")  // in two clusters: left alone
        .phone(kLondon, "CL1", "SEPL", 2, "7302")
        .entry(1, kLondon, "7302", "Used", "Device")
        .entry(2, kRome, "7302", "Used", "Device")  // London holds its own: nothing to say
        .entry(3, kRome, "7301");
    Result r = s.run();
    ASSERT_EQ(r.rows.size(), 1u);
    EXPECT_EQ(r.rows[0].action, "conflict");
    EXPECT_EQ(r.counts, (Tally{0, 0, 1, 0, 1}));
}

TEST(PlannerOneEntryPerNumber, SlcSitesOwnTheirNumbers) {
    Scenario s(DialPlan::Slc, Scope::Site);
    s.three_sites(true, true, false)
        .phone(kLondon, "CL1", "SEPL", 1, "7401")
        .phone(kParis, "CL1", "SEPP", 1, "7401")
        .phone(kLondon, "CL1", "SEPL", 2, "7402")
        .entry(1, kRome, "7402");
    Result r = s.run();
    EXPECT_EQ(r.rows, (std::vector<Row>{
                          added(kLondonPath, "London", "7401", "Used", "Device"),
                          added(kLondonPath, "London", "7402", "Used", "Device"),
                          added(kParisPath, "Paris", "7401", "Used", "Device"),
                      }));
}

TEST(PlannerOneEntryPerNumber, Idempotent) {
    Scenario s(DialPlan::Flat, Scope::Site);
    s.three_sites()
        .phone(kLondon, "CL1", "SEPL", 1, "7501")
        .phone(kParis, "CL1", "SEPP", 1, "7501")
        .phone(kRome, "CL1", "SEPR", 1, "7501")
        .phone(kRome, "CL1", "SEPR", 2, "7502")
        .entry(1, kParis, "7502");
    expect_idempotent(s);
}

// ---------------------------------------------------------------------------
// Interrupts, memory, scale.

Scenario many_numbers(int n) {
    Scenario s(DialPlan::Flat, Scope::Customer);
    s.three_sites();
    for (int i = 0; i < n; ++i) {
        std::string number = std::to_string(100000 + i);
        s.phone(kLondon, "CL1", "SEP" + number, 1, number);
        if (i % 2 == 0) s.entry(i + 1, kParis, number);
    }
    return s;
}

TEST(PlannerInterrupts, CheckInterruptsIsCalled) {
    Scenario s = many_numbers(20000);
    int calls = 0;
    Result r = s.run([&] { ++calls; });
    EXPECT_GT(calls, 0);
    EXPECT_EQ(r.counts, (Tally{10000, 10000, 0, 0, 0}));
}

struct Cancelled : std::runtime_error {
    Cancelled() : std::runtime_error("canceling statement due to user request") {}
};

TEST(PlannerInterrupts, ExceptionFromCheckInterruptsPropagates) {
    Scenario s = many_numbers(20000);
    EXPECT_THROW(s.run([] { throw Cancelled(); }), Cancelled);
    // Thrown at a later call, deep in the work.
    int calls = 0;
    EXPECT_THROW(s.run([&] {
        if (++calls == 3) throw AuditError("57014", "canceling statement due to user request");
    }),
                 AuditError);
    EXPECT_EQ(calls, 3);
}

// Counts what the planner asks of its memory resource.
class CountingResource : public std::pmr::memory_resource {
  public:
    std::size_t allocations = 0;
    std::size_t outstanding = 0;

  private:
    void* do_allocate(std::size_t bytes, std::size_t align) override {
        ++allocations;
        outstanding += bytes;
        return std::pmr::new_delete_resource()->allocate(bytes, align);
    }
    void do_deallocate(void* p, std::size_t bytes, std::size_t align) override {
        outstanding -= bytes;
        std::pmr::new_delete_resource()->deallocate(p, bytes, align);
    }
    bool do_is_equal(const memory_resource& other) const noexcept override {
        return this == &other;
    }
};

TEST(PlannerMemory, UsesTheGivenResourceAndReturnsEverything) {
    CountingResource mr;
    {
        Planner p(&mr, DialPlan::Flat, Scope::Customer, kCust, kCustPath);
        add_shipped_kinds(p);
        p.add_site(kLondon, "London", true);
        for (int i = 0; i < 1000; ++i) {
            std::string n = std::to_string(1000 + i);
            p.add_use(kLondon, "CL1", "phone", "SEP" + n, 1, n);
            p.add_entry(i, kLondon, n, "Available", std::nullopt);
        }
        std::size_t before = mr.allocations;
        EXPECT_GT(before, 0u);
        Plan plan = p.plan();
        EXPECT_GT(mr.allocations, before);
        EXPECT_EQ(plan.counts.updated, 1000);
        EXPECT_EQ(plan.rows.get_allocator().resource(), &mr);
    }
    EXPECT_EQ(mr.outstanding, 0u);
}

TEST(PlannerScale, TwoHundredThousandUses) {
    // 100k numbers, each used by a phone line and a hunt pilot across ten
    // sites; a quarter each: stale site entry, correct customer entry,
    // Reserved entry, no entry.
    Planner p(std::pmr::new_delete_resource(), DialPlan::Flat, Scope::Customer, kCust, kCustPath);
    add_shipped_kinds(p);
    for (int s = 0; s < 10; ++s) p.add_site(100 + s, "Site" + std::to_string(s), true);
    constexpr int kNumbers = 100000;
    auto start = std::chrono::steady_clock::now();
    std::string number, name;
    for (int k = 0; k < kNumbers; ++k) {
        number = std::to_string(2000000 + k);
        name = "SEP" + number;
        p.add_use(100 + k % 10, "CL1", "phone", name, 1, number);
        name = "HP" + number;
        p.add_use(100 + (k + 3) % 10, "CL1", "hunt_pilot", name, -1, number);
        switch (k % 4) {
            case 0:
                p.add_entry(k, 100 + k % 10, number, "Available", std::nullopt);
                break;
            case 1:
                p.add_entry(k, kCust, number, "Used", std::string_view("Device,Hunt_Pilot"));
                break;
            case 2:
                p.add_entry(k, 100 + k % 7, number, "Reserved", std::nullopt);
                break;
            default:
                break;
        }
    }
    auto loaded = std::chrono::steady_clock::now();
    int calls = 0;
    Plan plan = p.plan([&] { ++calls; });
    auto planned = std::chrono::steady_clock::now();
    auto seconds = [](auto d) { return std::chrono::duration<double>(d).count(); };
    RecordProperty("load_ms", static_cast<int>(seconds(loaded - start) * 1000));
    RecordProperty("plan_ms", static_cast<int>(seconds(planned - loaded) * 1000));

    constexpr std::int64_t q = kNumbers / 4;
    EXPECT_EQ(plan.counts.added, q);
    EXPECT_EQ(plan.counts.updated, q);
    EXPECT_EQ(plan.counts.unchanged, q);
    EXPECT_EQ(plan.counts.skipped, q);
    EXPECT_EQ(plan.counts.conflicts, 0);
    EXPECT_EQ(plan.rows.size(), static_cast<std::size_t>(3 * q));
    EXPECT_EQ(plan.updates.size(), static_cast<std::size_t>(q));
    EXPECT_EQ(plan.inserts.size(), static_cast<std::size_t>(q));
    EXPECT_GT(calls, 10);
    for (const auto& u : plan.updates) {
        ASSERT_EQ(plan.rows[u.row].action, Action::Updated);
        ASSERT_EQ(plan.rows[u.row].new_status, OptText("Used"));
        ASSERT_EQ(plan.rows[u.row].new_usage, OptText("Device,Hunt_Pilot"));
    }
    for (const auto& i : plan.inserts) {
        ASSERT_EQ(plan.rows[i.row].action, Action::Added);
        ASSERT_EQ(i.holder, kCust);
    }
    for (std::size_t i = 1; i < plan.rows.size(); ++i) {
        const auto &a = plan.rows[i - 1], &b = plan.rows[i];
        ASSERT_TRUE(a.hierarchy < b.hierarchy ||
                    (a.hierarchy == b.hierarchy && a.internal_number <= b.internal_number))
            << i;
    }
    // Timings are recorded, not asserted: speed is the benchmarks' business.
}

}  // namespace
}  // namespace numaudit::core

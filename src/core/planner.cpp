#include "core/cpp_only.hpp"  // must come first: no PostgreSQL header in the core
#include "core/planner.hpp"

#include <algorithm>
#include <limits>
#include <string>
#include <unordered_set>

#include "core/audit_error.hpp"
#include "core/pattern.hpp"

namespace numaudit::core {

namespace {

constexpr std::uint32_t kNoNumber = std::numeric_limits<std::uint32_t>::max();
constexpr std::size_t kMaxListed = 20;  // objects named in one detail text
constexpr std::string_view kAvailable = "Available";
constexpr std::string_view kUsed = "Used";
constexpr std::string_view kUsedUtility = "Used-Utility";
constexpr std::string_view kReserved = "Reserved";
constexpr std::string_view kCooling = "Cooling";

std::uint64_t pair_key(std::uint32_t a, std::uint32_t b) {
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

ResultRow make_row(Action action, std::string_view hierarchy, OptText site) {
    ResultRow row{};
    row.action = action;
    row.hierarchy = hierarchy;
    row.site = site;
    return row;
}

}  // namespace

const char* action_name(Action action) noexcept {
    switch (action) {
        case Action::Added:
            return "added";
        case Action::Updated:
            return "updated";
        case Action::Skipped:
            return "skipped";
        case Action::Conflict:
            return "conflict";
    }
    return "?";
}

struct Planner::Node {
    Id id;
    std::string_view name;  // site name; empty for the customer
    std::string_view path;
    bool is_site;
    bool selected;
};

struct Planner::Kind {
    std::string_view kind;
    bool used;  // status Used (else Used-Utility)
    std::string_view token;
    int rank;
    std::uint32_t token_order;
};

struct Planner::Use {
    std::uint32_t owner;  // node slot
    std::uint32_t kind;
    std::uint32_t number;  // kNoNumber for a wildcard pattern
    std::int32_t line;     // < 0 for a service
    std::string_view cluster;
    std::string_view object;
    std::string_view pattern;  // normalized
};

struct Planner::Entry {
    Id id;
    std::uint32_t holder;  // node slot
    std::uint32_t number;
    std::string_view status;
    OptText usage;
};

Planner::Planner(std::pmr::memory_resource* mr, DialPlan plan, Scope scope, Id customer_id,
                 std::string_view customer_path)
    : mr_(mr),
      dial_plan_(plan),
      scope_(scope),
      strings_(mr),
      interned_(mr),
      numbers_(mr),
      number_text_(mr),
      nodes_(mr),
      node_slots_(mr),
      kinds_(mr),
      kind_ids_(mr),
      uses_(mr),
      entries_(mr),
      buffer_(mr) {
    nodes_.push_back(Node{customer_id, {}, intern(customer_path), false, false});
    node_slots_.emplace(customer_id, 0);
}

Planner::~Planner() = default;

std::string_view Planner::intern(std::string_view s) {
    auto it = interned_.find(s);
    if (it != interned_.end()) return it->second;
    char* p = static_cast<char*>(strings_.allocate(s.size() + 1, 1));
    std::copy(s.begin(), s.end(), p);
    p[s.size()] = '\0';
    std::string_view stored(p, s.size());
    interned_.emplace(stored, stored);
    return stored;
}

std::uint32_t Planner::number_id(std::string_view number) {
    auto it = numbers_.find(number);
    if (it != numbers_.end()) return it->second;
    std::string_view stored = intern(number);
    auto id = static_cast<std::uint32_t>(number_text_.size());
    number_text_.push_back(stored);
    numbers_.emplace(stored, id);
    return id;
}

std::uint32_t Planner::node_slot(Id id) const {
    auto it = node_slots_.find(id);
    if (it == node_slots_.end())
        throw AuditError(sqlstate::kInternalError,
                         "numaudit: node " + std::to_string(id) + " is not part of the audit");
    return it->second;
}

void Planner::add_usage_kind(std::string_view kind, std::string_view status, std::string_view usage,
                             int rank) {
    if (status != kUsed && status != kUsedUtility)
        throw AuditError(sqlstate::kInvalidParameterValue, "usage kind \"" + std::string(kind) +
                                                               "\" has invalid status \"" +
                                                               std::string(status) + "\"");
    auto id = static_cast<std::uint32_t>(kinds_.size());
    kinds_.push_back(Kind{intern(kind), status == kUsed, intern(usage), rank, 0});
    kind_ids_.emplace(kinds_.back().kind, id);
}

void Planner::add_site(Id id, std::string_view name, bool selected) {
    buffer_.assign(nodes_[0].path);
    buffer_.push_back('.');
    buffer_.append(name);
    auto slot = static_cast<std::uint32_t>(nodes_.size());
    nodes_.push_back(Node{id, intern(name), intern(buffer_), true, selected});
    node_slots_.emplace(id, slot);
}

void Planner::add_use(Id owner, std::string_view cluster, std::string_view kind,
                      std::string_view object_name, int line_index, std::string_view pattern) {
    auto k = kind_ids_.find(kind);
    if (k == kind_ids_.end())
        throw AuditError(sqlstate::kInternalError,
                         "numaudit: use of unknown kind \"" + std::string(kind) + "\"");
    normalize_pattern(pattern, buffer_);
    Use use{node_slot(owner), k->second,           kNoNumber, line_index,
            intern(cluster),  intern(object_name), {}};
    if (is_wildcard(buffer_)) {
        use.pattern = intern(buffer_);
    } else {
        use.number = number_id(buffer_);
        use.pattern = number_text_[use.number];
    }
    uses_.push_back(use);
}

void Planner::add_entry(Id id, Id holder, std::string_view number, std::string_view status,
                        OptText usage) {
    OptText u;
    if (usage) u = intern(*usage);
    entries_.push_back(Entry{id, node_slot(holder), number_id(number), intern(status), u});
}

std::string_view Planner::describe_use(const Use& use) {
    buffer_.assign(kinds_[use.kind].kind);
    buffer_.push_back(' ');
    buffer_.append(use.object);
    if (use.line >= 0) {
        buffer_.append(" line ");
        buffer_.append(std::to_string(use.line));
    }
    return intern(buffer_);
}

Plan Planner::plan(const std::function<void()>& check_interrupts) {
    Plan out(mr_);
    Ticker ticker(check_interrupts);
    const bool flat = dial_plan_ == DialPlan::Flat;
    const auto n_numbers = static_cast<std::uint32_t>(number_text_.size());

    // Usage tokens are ordered by the lowest rank of any kind that bears them.
    {
        std::pmr::vector<std::uint32_t> order(mr_);
        for (std::uint32_t i = 0; i < kinds_.size(); ++i) order.push_back(i);
        std::sort(order.begin(), order.end(),
                  [&](auto a, auto b) { return kinds_[a].rank < kinds_[b].rank; });
        std::pmr::unordered_map<std::string_view, std::uint32_t> token_order(mr_);
        for (auto i : order) {
            auto it = token_order.emplace(kinds_[i].token, token_order.size()).first;
            kinds_[i].token_order = it->second;
        }
    }

    // The uses that count together form a group: the whole customer when the
    // dial plan is flat, each owning node when it is slc.
    auto group_of = [&](std::uint32_t slot) -> std::uint32_t { return flat ? 0 : slot; };
    auto group_reported = [&](std::uint32_t group) {
        return flat || (nodes_[group].is_site && nodes_[group].selected);
    };
    auto site_of = [&](std::uint32_t slot) -> OptText {
        if (!nodes_[slot].is_site) return std::nullopt;
        return nodes_[slot].name;
    };

    // Single-number uses sorted by (group, number); ranges index them.
    std::pmr::vector<std::uint32_t> by_number(mr_);
    by_number.reserve(uses_.size());
    for (std::uint32_t i = 0; i < uses_.size(); ++i)
        if (uses_[i].number != kNoNumber) by_number.push_back(i);
    auto use_key = [&](std::uint32_t i) {
        return pair_key(group_of(uses_[i].owner), uses_[i].number);
    };
    std::sort(by_number.begin(), by_number.end(), [&](auto a, auto b) {
        auto ka = use_key(a), kb = use_key(b);
        if (ka != kb) return ka < kb;
        return a < b;
    });
    struct Range {
        std::uint32_t begin, end;
    };
    std::pmr::unordered_map<std::uint64_t, Range> ranges(mr_);
    ranges.reserve(by_number.size());
    for (std::uint32_t i = 0; i < by_number.size();) {
        std::uint32_t j = i;
        auto key = use_key(by_number[i]);
        while (j < by_number.size() && use_key(by_number[j]) == key) ++j;
        ranges.emplace(key, Range{i, j});
        i = j;
        ticker.tick();
    }
    auto uses_of = [&](std::uint32_t group, std::uint32_t number) -> Range {
        auto it = ranges.find(pair_key(group, number));
        return it == ranges.end() ? Range{0, 0} : it->second;
    };

    auto add_row = [&](ResultRow row) {
        out.rows.push_back(row);
        return static_cast<std::uint32_t>(out.rows.size() - 1);
    };

    // Lists "A, B, C" with at most kMaxListed items, then "and N more".
    auto join_list = [&](std::pmr::vector<std::string_view>& items, std::pmr::string& to) {
        std::sort(items.begin(), items.end());
        items.erase(std::unique(items.begin(), items.end()), items.end());
        for (std::size_t i = 0; i < items.size() && i < kMaxListed; ++i) {
            if (i) to.append(", ");
            to.append(items[i]);
        }
        if (items.size() > kMaxListed) {
            to.append(" and ");
            to.append(std::to_string(items.size() - kMaxListed));
            to.append(" more");
        }
    };

    // Conflict 1: devices of the same kind and name in different clusters.
    std::pmr::unordered_set<std::uint64_t> conflict_numbers(mr_);
    std::pmr::vector<bool> on_duplicate(uses_.size(), false, mr_);
    {
        std::pmr::vector<std::uint32_t> devices(mr_);
        for (std::uint32_t i = 0; i < uses_.size(); ++i)
            if (uses_[i].line >= 0 && group_reported(group_of(uses_[i].owner)))
                devices.push_back(i);
        auto less = [&](std::uint32_t a, std::uint32_t b) {
            const Use &x = uses_[a], &y = uses_[b];
            auto gx = group_of(x.owner), gy = group_of(y.owner);
            if (gx != gy) return gx < gy;
            if (x.kind != y.kind) return x.kind < y.kind;
            if (x.object != y.object) return x.object < y.object;
            return x.cluster < y.cluster;
        };
        std::sort(devices.begin(), devices.end(), less);
        std::pmr::vector<std::string_view> clusters(mr_), numbers(mr_);
        std::pmr::string detail(mr_);
        for (std::size_t i = 0; i < devices.size();) {
            const Use& first = uses_[devices[i]];
            const auto group = group_of(first.owner);
            std::size_t j = i;
            clusters.clear();
            numbers.clear();
            while (j < devices.size()) {
                const Use& u = uses_[devices[j]];
                if (group_of(u.owner) != group || u.kind != first.kind || u.object != first.object)
                    break;
                clusters.push_back(u.cluster);
                numbers.push_back(u.pattern);
                ++j;
                ticker.tick();
            }
            bool several = std::any_of(clusters.begin(), clusters.end(),
                                       [&](auto c) { return c != clusters.front(); });
            if (several) {
                for (std::size_t k = i; k < j; ++k) {
                    on_duplicate[devices[k]] = true;
                    if (uses_[devices[k]].number != kNoNumber)
                        conflict_numbers.insert(pair_key(group, uses_[devices[k]].number));
                }
                if (report_conflicts_) {
                    detail.assign(kinds_[first.kind].kind);
                    detail.append(" ");
                    detail.append(first.object);
                    detail.append(" is configured in more than one cluster: ");
                    join_list(clusters, detail);
                    detail.append("; numbers ");
                    join_list(numbers, detail);
                    ResultRow row = make_row(Action::Conflict, nodes_[group].path, site_of(group));
                    row.detail = intern(detail);
                    add_row(row);
                    ++out.counts.conflicts;
                }
            }
            i = j;
        }
    }

    // Conflict 2: one number used in more than one cluster. Copies of a
    // duplicated device are that device's conflict, not the number's: the
    // number is reported only when its other uses are in several clusters, or
    // in a cluster none of the copies is in.
    {
        std::pmr::vector<std::string_view> items(mr_), dup_clusters(mr_);
        std::pmr::string detail(mr_), item(mr_);
        std::pmr::vector<std::uint64_t> keys(mr_);
        for (auto& [key, range] : ranges) keys.push_back(key);
        std::sort(keys.begin(), keys.end());
        for (auto key : keys) {
            ticker.tick();
            auto group = static_cast<std::uint32_t>(key >> 32);
            if (!group_reported(group)) continue;
            Range r = ranges[key];
            std::optional<std::string_view> other;  // cluster of the other uses
            bool several = false;
            dup_clusters.clear();
            for (auto i = r.begin; i < r.end && !several; ++i) {
                const Use& u = uses_[by_number[i]];
                if (on_duplicate[by_number[i]])
                    dup_clusters.push_back(u.cluster);
                else if (!other)
                    other = u.cluster;
                else
                    several = *other != u.cluster;
            }
            if (!several) {
                if (!other || dup_clusters.empty()) continue;
                if (std::find(dup_clusters.begin(), dup_clusters.end(), *other) !=
                    dup_clusters.end())
                    continue;
            }
            conflict_numbers.insert(key);
            if (!report_conflicts_) continue;
            items.clear();
            for (auto i = r.begin; i < r.end; ++i) {
                const Use& u = uses_[by_number[i]];
                item.assign(u.cluster);
                item.append(" (");
                item.append(describe_use(u));
                item.append(")");
                items.push_back(intern(item));
            }
            auto number = static_cast<std::uint32_t>(key & 0xffffffffu);
            detail.assign("number is used in more than one cluster: ");
            join_list(items, detail);
            ResultRow row = make_row(Action::Conflict, nodes_[group].path, site_of(group));
            row.internal_number = number_text_[number];
            row.detail = intern(detail);
            add_row(row);
            ++out.counts.conflicts;
        }
    }

    // Status and usage a number gets from the uses of one group.
    std::pmr::vector<std::uint32_t> tokens(mr_);  // reused: no allocation per number
    std::pmr::vector<std::string_view> token_text(mr_);
    for (const auto& k : kinds_) {
        if (token_text.size() <= k.token_order) token_text.resize(k.token_order + 1);
        token_text[k.token_order] = k.token;
    }
    std::pmr::string usage_buf(mr_);
    auto derive = [&](Range r, std::string_view& status, OptText& usage) {
        if (r.begin == r.end) {
            status = kAvailable;
            usage.reset();
            return;
        }
        bool used = false;
        tokens.clear();
        for (auto i = r.begin; i < r.end; ++i) {
            const Kind& k = kinds_[uses_[by_number[i]].kind];
            used = used || k.used;
            tokens.push_back(k.token_order);
        }
        std::sort(tokens.begin(), tokens.end());
        tokens.erase(std::unique(tokens.begin(), tokens.end()), tokens.end());
        usage_buf.clear();
        for (std::size_t i = 0; i < tokens.size(); ++i) {
            if (i) usage_buf.push_back(',');
            usage_buf.append(token_text[tokens[i]]);
        }
        status = used ? kUsed : kUsedUtility;
        usage = intern(usage_buf);
    };

    // Where entries exist, for the "add" rules.
    std::pmr::unordered_set<std::uint64_t> entry_at(mr_);
    std::pmr::vector<bool> has_entry(n_numbers, false, mr_);
    std::pmr::vector<bool> at_customer(n_numbers, false, mr_);
    entry_at.reserve(entries_.size());
    for (const auto& e : entries_) {
        entry_at.insert(pair_key(e.holder, e.number));
        has_entry[e.number] = true;
        if (e.holder == 0) at_customer[e.number] = true;
    }

    // Audit the entries of the scope.
    for (const auto& e : entries_) {
        ticker.tick();
        const Node& holder = nodes_[e.holder];
        bool audited = scope_ == Scope::Customer ? flat : (holder.is_site && holder.selected);
        if (!audited) continue;
        const auto group = group_of(e.holder);
        if (conflict_numbers.count(pair_key(group, e.number))) {
            ++out.counts.unchanged;
            continue;
        }
        Range r = uses_of(group, e.number);
        if (e.status == kReserved || e.status == kCooling) {
            if (r.begin == r.end) {
                ++out.counts.unchanged;
            } else {
                ResultRow row = make_row(Action::Skipped, holder.path, site_of(e.holder));
                row.internal_number = number_text_[e.number];
                row.old_status = e.status;
                row.old_usage = e.usage;
                row.detail = e.status;
                add_row(row);
                ++out.counts.skipped;
            }
            continue;
        }
        std::string_view status;
        OptText usage;
        derive(r, status, usage);
        if (status == e.status && usage == e.usage) {
            ++out.counts.unchanged;
            continue;
        }
        ResultRow row = make_row(Action::Updated, holder.path, site_of(e.holder));
        row.internal_number = number_text_[e.number];
        row.old_status = e.status;
        row.old_usage = e.usage;
        row.new_status = status;
        row.new_usage = usage;
        out.updates.push_back(EntryUpdate{e.id, holder.id, number_text_[e.number], e.status,
                                          e.usage, status, usage, add_row(row)});
        ++out.counts.updated;
    }

    auto add_entry_row = [&](std::uint32_t slot, std::uint32_t number, Range r) {
        std::string_view status;
        OptText usage;
        derive(r, status, usage);
        ResultRow row = make_row(Action::Added, nodes_[slot].path, site_of(slot));
        row.internal_number = number_text_[number];
        row.new_status = status;
        row.new_usage = usage;
        out.inserts.push_back(
            EntryInsert{nodes_[slot].id, number_text_[number], status, usage, add_row(row)});
        ++out.counts.added;
    };

    if (scope_ == Scope::Customer) {
        // A used number with no entry anywhere in the customer gets one at the
        // customer level.
        if (flat) {
            std::pmr::vector<std::uint64_t> keys(mr_);
            for (auto& [key, range] : ranges) keys.push_back(key);
            std::sort(keys.begin(), keys.end());
            for (auto key : keys) {
                ticker.tick();
                auto number = static_cast<std::uint32_t>(key & 0xffffffffu);
                if (conflict_numbers.count(key) || has_entry[number]) continue;
                add_entry_row(0, number, ranges[key]);
            }
        }
    } else {
        // Each selected site gets an entry for each number its own uses need,
        // unless the customer level holds it.
        std::pmr::vector<std::uint64_t> wanted(mr_);
        for (const auto& u : uses_) {
            if (u.number == kNoNumber) continue;
            const Node& owner = nodes_[u.owner];
            if (owner.is_site && owner.selected) wanted.push_back(pair_key(u.owner, u.number));
        }
        std::sort(wanted.begin(), wanted.end());
        wanted.erase(std::unique(wanted.begin(), wanted.end()), wanted.end());
        std::pmr::vector<bool> held_reported(n_numbers, false, mr_);
        for (auto key : wanted) {
            ticker.tick();
            auto slot = static_cast<std::uint32_t>(key >> 32);
            auto number = static_cast<std::uint32_t>(key & 0xffffffffu);
            auto group = group_of(slot);
            if (conflict_numbers.count(pair_key(group, number)) || entry_at.count(key)) continue;
            if (at_customer[number]) {
                if (!held_reported[number]) {
                    held_reported[number] = true;
                    ResultRow row = make_row(Action::Skipped, nodes_[0].path, std::nullopt);
                    row.internal_number = number_text_[number];
                    row.detail = kHeldAtCustomerLevel;
                    add_row(row);
                    ++out.counts.skipped;
                }
                continue;
            }
            add_entry_row(slot, number, uses_of(group, number));
        }
    }

    // Wildcard patterns of the audited nodes: one row per node and pattern.
    {
        std::pmr::vector<std::uint32_t> wild(mr_);
        for (std::uint32_t i = 0; i < uses_.size(); ++i) {
            const Use& u = uses_[i];
            if (u.number != kNoNumber) continue;
            const Node& owner = nodes_[u.owner];
            bool audited = scope_ == Scope::Customer || (owner.is_site && owner.selected);
            if (audited) wild.push_back(i);
        }
        std::sort(wild.begin(), wild.end(), [&](auto a, auto b) {
            if (uses_[a].owner != uses_[b].owner) return uses_[a].owner < uses_[b].owner;
            return uses_[a].pattern < uses_[b].pattern;
        });
        std::pmr::vector<std::string_view> items(mr_);
        std::pmr::string detail(mr_), item(mr_);
        for (std::size_t i = 0; i < wild.size();) {
            const Use& first = uses_[wild[i]];
            items.clear();
            std::size_t j = i;
            for (; j < wild.size() && uses_[wild[j]].owner == first.owner &&
                   uses_[wild[j]].pattern == first.pattern;
                 ++j) {
                const Use& u = uses_[wild[j]];
                item.assign(describe_use(u));
                item.append(" (");
                item.append(u.cluster);
                item.append(")");
                items.push_back(intern(item));
                ticker.tick();
            }
            detail.assign("wildcard pattern: ");
            join_list(items, detail);
            ResultRow row =
                make_row(Action::Skipped, nodes_[first.owner].path, site_of(first.owner));
            row.internal_number = first.pattern;
            row.detail = intern(detail);
            add_row(row);
            ++out.counts.skipped;
            i = j;
        }
    }

    // Sort the rows (hierarchy, number, action, detail) and re-point the
    // writes at their rows' new places.
    {
        std::pmr::vector<std::uint32_t> order(mr_);
        order.reserve(out.rows.size());
        for (std::uint32_t i = 0; i < out.rows.size(); ++i) order.push_back(i);
        auto opt_less = [](const OptText& a, const OptText& b) {
            if (a.has_value() != b.has_value()) return !a.has_value();
            return a && *a < *b;
        };
        std::sort(order.begin(), order.end(), [&](auto a, auto b) {
            const ResultRow &x = out.rows[a], &y = out.rows[b];
            if (x.hierarchy != y.hierarchy) return x.hierarchy < y.hierarchy;
            if (x.internal_number != y.internal_number)
                return opt_less(x.internal_number, y.internal_number);
            if (x.action != y.action) return x.action < y.action;
            return opt_less(x.detail, y.detail);
        });
        std::pmr::vector<ResultRow> sorted(mr_);
        std::pmr::vector<std::uint32_t> new_place(out.rows.size(), 0, mr_);
        sorted.reserve(out.rows.size());
        for (auto i : order) {
            new_place[i] = static_cast<std::uint32_t>(sorted.size());
            sorted.push_back(out.rows[i]);
        }
        out.rows.swap(sorted);
        for (auto& u : out.updates) u.row = new_place[u.row];
        // Writers lock entries in id order, so two audits (or an audit and an
        // application doing the same) cannot deadlock on them.
        std::sort(
            out.updates.begin(), out.updates.end(),
            [](const EntryUpdate& a, const EntryUpdate& b) { return a.entry_id < b.entry_id; });
        for (auto& a : out.inserts) a.row = new_place[a.row];
    }
    return out;
}

}  // namespace numaudit::core

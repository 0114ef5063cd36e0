#include "core/cpp_only.hpp"  // must come first: no PostgreSQL header in the core
#include "core/planner.hpp"

#include <algorithm>
#include <limits>
#include <string>

#include "core/audit_error.hpp"
#include "core/number_reading.hpp"

namespace numaudit::core {

namespace {

constexpr std::uint32_t kNoNumber = std::numeric_limits<std::uint32_t>::max();
constexpr std::size_t kMaxListed = 20;  // objects named in one detail text
constexpr std::string_view kAvailable = "Available";
constexpr std::string_view kUsed = "Used";
constexpr std::string_view kUsedUtility = "Used-Utility";
constexpr std::string_view kReserved = "Reserved";
constexpr std::string_view kCooling = "Cooling";

constexpr std::uint32_t kNone = RowRecord::kNone;

std::uint64_t pair_key(std::uint32_t a, std::uint32_t b) {
    return (static_cast<std::uint64_t>(a) << 32) | b;
}

std::uint64_t hash_text(std::string_view s) noexcept { return std::hash<std::string_view>{}(s); }

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

RowRecord make_row(Action action, std::uint32_t node) {
    RowRecord row{};
    row.action = action;
    row.node = node;
    row.number = kNone;
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
    std::uint32_t name;  // string id of the site name; kNone for the customer
    std::uint32_t path;  // string id
    bool is_site;
    bool selected;
};

struct Planner::Kind {
    std::uint32_t kind;   // string id
    bool used;            // status Used (else Used-Utility)
    std::uint32_t token;  // string id
    int rank;
    std::uint32_t token_order;
};

struct Planner::Use {
    std::uint32_t owner;    // node slot
    std::uint32_t kind;     // index in kinds_
    std::uint32_t number;   // number id; kNone for a wildcard or invalid pattern
    std::int32_t line;      // < 0 for a service
    std::uint32_t cluster;  // string id
    std::uint32_t object;   // object id
    std::uint32_t pattern;  // string id of a wildcard or invalid pattern's reported text
    NumberKind reading;
};

struct Planner::Entry {
    Id id;
    std::uint32_t holder;  // node slot
    std::uint32_t number;  // the read number's id; kNone for an invalid entry
    // String id of the stored text: kNone when it is the number's own text;
    // an invalid entry's text as reported.
    std::uint32_t stored;
    std::uint32_t status;  // string id
    std::uint32_t usage;   // string id; kNone when NULL
    bool usage_complete;
};

// ---------------------------------------------------------------------------
// Interner

Planner::Interner::Interner(std::pmr::memory_resource* mr, std::pmr::memory_resource* arena)
    : arena_(arena), texts_(mr), slots_(mr) {}

void Planner::Interner::grow() {
    std::size_t cap = slots_.empty() ? 64 : slots_.size() * 2;
    std::pmr::vector<std::uint64_t> next(cap, 0, slots_.get_allocator());
    const std::size_t mask = cap - 1;
    for (std::uint64_t slot : slots_) {
        if (!slot) continue;
        std::size_t i = (slot >> 32) & mask;
        while (next[i]) i = (i + 1) & mask;
        next[i] = slot;
    }
    slots_.swap(next);
}

std::uint32_t Planner::Interner::intern(std::string_view s) {
    if ((texts_.size() + 1) * 2 > slots_.size()) grow();  // load factor <= 1/2
    const std::uint64_t h = hash_text(s) & 0xffffffffu;
    const std::size_t mask = slots_.size() - 1;
    std::size_t i = h & mask;
    for (;; i = (i + 1) & mask) {
        std::uint64_t slot = slots_[i];
        if (!slot) break;
        if ((slot >> 32) == h && texts_[(slot & 0xffffffffu) - 1] == s)
            return static_cast<std::uint32_t>((slot & 0xffffffffu) - 1);
    }
    char* p = static_cast<char*>(arena_->allocate(s.size() + 1, 1));
    std::copy(s.begin(), s.end(), p);
    p[s.size()] = '\0';
    auto id = static_cast<std::uint32_t>(texts_.size());
    if (id == kNone - 1) throw std::bad_alloc();
    texts_.push_back(std::string_view(p, s.size()));
    slots_[i] = (h << 32) | (static_cast<std::uint64_t>(id) + 1);
    return id;
}

// ---------------------------------------------------------------------------
// RowTable

ResultRow RowTable::operator[](std::size_t i) const { return source_->row_of(records_[i]); }

Id RowTable::node_id(std::size_t i) const noexcept { return source_->nodes_[records_[i].node].id; }

ResultRow Planner::row_of(const RowRecord& r) const {
    auto text = [&](std::uint32_t id) -> OptText {
        if (id == kNone) return std::nullopt;
        return strings_.text(id);
    };
    const Node& node = nodes_[r.node];
    ResultRow row;
    row.action = r.action;
    row.hierarchy = strings_.text(node.path);
    row.site = node.is_site ? OptText(strings_.text(node.name)) : std::nullopt;
    if (r.number != kNone)
        row.internal_number = r.number_is_text ? strings_.text(r.number) : numbers_.text(r.number);
    row.old_status = text(r.old_status);
    row.old_usage = text(r.old_usage);
    row.new_status = text(r.new_status);
    row.new_usage = text(r.new_usage);
    row.detail = text(r.detail);
    return row;
}

// ---------------------------------------------------------------------------
// Inputs

Planner::Planner(std::pmr::memory_resource* mr, DialPlan plan, Scope scope, Id customer_id,
                 std::string_view customer_path, TextClip clip)
    : mr_(mr),
      clip_(clip),
      dial_plan_(plan),
      scope_(scope),
      arena_(64 * 1024, mr),
      strings_(mr, &arena_),
      numbers_(mr, &arena_),
      objects_(mr, &arena_),
      nodes_(mr),
      node_slots_(mr),
      kinds_(mr),
      kind_ids_(mr),
      usage_digests_(mr),
      uses_(mr),
      entries_(mr),
      buffer_(mr),
      read_buffer_(mr) {
    nodes_.push_back(Node{customer_id, kNone, strings_.intern(customer_path), false, false});
    node_slots_.emplace(customer_id, 0);
}

Planner::~Planner() = default;

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
        throw AuditError(sqlstate::kInvalidParameterValue,
                         "usage kind \"" + clip_.clip(kind, kMaxNameInMessage) +
                             "\" has invalid status \"" + clip_.clip(status, kMaxNameInMessage) +
                             "\"");
    auto id = static_cast<std::uint32_t>(kinds_.size());
    auto k = strings_.intern(kind);
    kinds_.push_back(Kind{k, status == kUsed, strings_.intern(usage), rank, 0});
    kind_ids_.emplace(strings_.text(k), id);
}

void Planner::add_site(Id id, std::string_view name, bool selected) {
    buffer_.assign(strings_.text(nodes_[0].path));
    buffer_.push_back('.');
    buffer_.append(name);
    auto slot = static_cast<std::uint32_t>(nodes_.size());
    nodes_.push_back(Node{id, strings_.intern(name), strings_.intern(buffer_), true, selected});
    node_slots_.emplace(id, slot);
}

void Planner::add_use(Id owner, std::string_view cluster, std::string_view kind,
                      std::string_view object_name, int line_index, std::string_view pattern) {
    auto k = kind_ids_.find(kind);
    if (k == kind_ids_.end())
        throw AuditError(sqlstate::kInternalError, "numaudit: use of unknown kind \"" +
                                                       clip_.clip(kind, kMaxNameInMessage) + "\"");
    const NumberReading read = read_number(pattern, read_buffer_);
    Use use{node_slot(owner),
            k->second,
            kNone,
            line_index,
            strings_.intern(cluster),
            objects_.intern(object_name),
            kNone,
            read.kind};
    if (read.kind == NumberKind::Number)
        use.number = numbers_.intern(read.text);
    else
        use.pattern = reported(read.text);
    uses_.push_back(use);
}

void Planner::add_entry(Id id, Id holder, std::string_view number, std::string_view status,
                        OptText usage, OptText usage_digest) {
    const NumberReading read = read_number(number, read_buffer_);
    Entry e{id,    node_slot(holder),        kNone, kNone, strings_.intern(status),
            kNone, !usage_digest.has_value()};
    if (usage_digest) usage_digests_.emplace(id, strings_.intern(*usage_digest));
    if (read.kind == NumberKind::Number) {
        e.number = numbers_.intern(read.text);
        // The exact text is kept only when it differs from the number: the
        // update's key (a clean inventory costs nothing more).
        if (read.text != number) e.stored = strings_.intern(number);
    } else {
        e.stored = reported(number);  // reported as it is stored; never written
    }
    if (usage) e.usage = strings_.intern(*usage);
    entries_.push_back(e);
}

std::uint32_t Planner::reported(std::uint32_t string_id) {
    std::string_view text = strings_.text(string_id);
    return clip_.fits(text, kMaxReportedText) ? string_id : reported(text);
}

std::uint32_t Planner::reported(std::string_view text) {
    if (clip_.fits(text, kMaxReportedText)) return strings_.intern(text);
    std::pmr::string cut(mr_);
    clip_.clip(text, kMaxReportedText, cut);
    return strings_.intern(cut);
}

std::string_view Planner::describe_use(const Use& use) {
    buffer_.assign(strings_.text(reported(kinds_[use.kind].kind)));
    buffer_.push_back(' ');
    clip_.append(objects_.text(use.object), kMaxReportedText, buffer_);
    if (use.line >= 0) {
        buffer_.append(" line ");
        buffer_.append(std::to_string(use.line));
    }
    return buffer_;
}

// ---------------------------------------------------------------------------
// The audit

Plan Planner::plan(const std::function<void()>& check_interrupts) {
    Plan out(mr_, this);
    auto& rows = out.rows.records();
    Ticker ticker(check_interrupts);
    const bool flat = dial_plan_ == DialPlan::Flat;
    const std::uint32_t n_numbers = numbers_.size();
    const std::uint32_t available = strings_.intern(kAvailable);
    const std::uint32_t used_status = strings_.intern(kUsed);
    const std::uint32_t utility_status = strings_.intern(kUsedUtility);
    const std::uint32_t reserved = strings_.intern(kReserved);
    const std::uint32_t cooling = strings_.intern(kCooling);

    // Usage tokens are ordered by the lowest rank of any kind that bears them.
    std::uint32_t n_tokens = 0;
    {
        std::pmr::vector<std::uint32_t> order(mr_);
        for (std::uint32_t i = 0; i < kinds_.size(); ++i) order.push_back(i);
        std::sort(order.begin(), order.end(),
                  [&](auto a, auto b) { return kinds_[a].rank < kinds_[b].rank; });
        FlatMap<std::uint32_t, std::uint32_t> token_order(mr_);
        for (auto i : order) {
            auto it = token_order.emplace(kinds_[i].token, n_tokens).first;
            if (it->second == n_tokens) ++n_tokens;
            kinds_[i].token_order = it->second;
        }
    }

    // The uses that count together form a group: the whole customer when the
    // dial plan is flat, each owning node when it is slc.
    auto group_of = [&](std::uint32_t slot) -> std::uint32_t { return flat ? 0 : slot; };
    auto group_reported = [&](std::uint32_t group) {
        return flat || (nodes_[group].is_site && nodes_[group].selected);
    };

    // Single-number uses by number (counting sort: offsets, then indexes), and
    // within a number by group, so a (group, number) pair is a sub-range.
    std::pmr::vector<std::uint32_t> offsets(static_cast<std::size_t>(n_numbers) + 1, 0, mr_);
    for (const auto& u : uses_)
        if (u.number != kNone) ++offsets[u.number + 1];
    for (std::uint32_t n = 0; n < n_numbers; ++n) offsets[n + 1] += offsets[n];
    std::pmr::vector<std::uint32_t> by_number(offsets.back(), 0, mr_);
    {
        std::pmr::vector<std::uint32_t> fill(offsets.begin(), offsets.end() - 1, mr_);
        for (std::uint32_t i = 0; i < uses_.size(); ++i)
            if (uses_[i].number != kNone) by_number[fill[uses_[i].number]++] = i;
    }
    if (!flat)
        for (std::uint32_t n = 0; n < n_numbers; ++n) {
            if (offsets[n + 1] - offsets[n] > 1)
                std::sort(by_number.begin() + offsets[n], by_number.begin() + offsets[n + 1],
                          [&](auto a, auto b) {
                              return pair_key(uses_[a].owner, a) < pair_key(uses_[b].owner, b);
                          });
            ticker.tick();
        }
    struct Range {
        std::uint32_t begin, end;
    };
    auto uses_of = [&](std::uint32_t group, std::uint32_t number) -> Range {
        Range r{offsets[number], offsets[number + 1]};
        if (flat) return r;
        while (r.begin < r.end && uses_[by_number[r.begin]].owner != group) ++r.begin;
        std::uint32_t e = r.begin;
        while (e < r.end && uses_[by_number[e]].owner == group) ++e;
        return Range{r.begin, e};
    };
    // Every (group, number) with uses, in (number, group) order.
    auto for_each_group_range = [&](auto&& fn) {
        for (std::uint32_t n = 0; n < n_numbers; ++n) {
            ticker.tick();
            std::uint32_t b = offsets[n], end = offsets[n + 1];
            while (b < end) {
                std::uint32_t g = group_of(uses_[by_number[b]].owner), e = b;
                while (e < end && group_of(uses_[by_number[e]].owner) == g) ++e;
                fn(g, n, Range{b, e});
                b = e;
            }
        }
    };

    auto add_row = [&](const RowRecord& row) {
        if (rows.size() >= kNone) throw std::bad_alloc();
        rows.push_back(row);
        return static_cast<std::uint32_t>(rows.size() - 1);
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

    // Numbers left alone: a flag per number, and the (group, number) pairs.
    std::pmr::vector<bool> maybe_conflict(n_numbers, false, mr_);
    std::pmr::vector<std::uint64_t> conflict_keys(mr_);
    auto mark_conflict = [&](std::uint32_t group, std::uint32_t number) {
        maybe_conflict[number] = true;
        conflict_keys.push_back(pair_key(group, number));
    };
    bool conflict_keys_sorted = false;
    auto in_conflict = [&](std::uint32_t group, std::uint32_t number) {
        if (!maybe_conflict[number]) return false;
        if (flat) return true;
        if (!conflict_keys_sorted) {
            std::sort(conflict_keys.begin(), conflict_keys.end());
            conflict_keys_sorted = true;
        }
        return std::binary_search(conflict_keys.begin(), conflict_keys.end(),
                                  pair_key(group, number));
    };

    // Conflict 1: devices of the same kind and name in different clusters.
    std::pmr::vector<bool> on_duplicate(uses_.size(), false, mr_);
    {
        // (group, kind, object) packed, then cluster and use: integer sorts.
        struct DeviceUse {
            std::uint64_t key;
            std::uint32_t cluster;
            std::uint32_t use;
        };
        std::pmr::vector<DeviceUse> devices(mr_);
        devices.reserve(uses_.size());
        for (std::uint32_t i = 0; i < uses_.size(); ++i) {
            const Use& u = uses_[i];
            if (u.line < 0 || !group_reported(group_of(u.owner))) continue;
            std::uint64_t gk =
                static_cast<std::uint64_t>(group_of(u.owner)) * kinds_.size() + u.kind;
            devices.push_back(DeviceUse{(gk << 32) | u.object, u.cluster, i});
        }
        std::sort(devices.begin(), devices.end(), [](const DeviceUse& a, const DeviceUse& b) {
            if (a.key != b.key) return a.key < b.key;
            return a.use < b.use;
        });
        std::pmr::vector<std::string_view> clusters(mr_), numbers(mr_);
        std::pmr::string detail(mr_);
        for (std::size_t i = 0; i < devices.size();) {
            std::size_t j = i;
            bool several = false;
            while (j < devices.size() && devices[j].key == devices[i].key) {
                several = several || devices[j].cluster != devices[i].cluster;
                ++j;
            }
            ticker.tick();
            if (several) {
                const Use& first = uses_[devices[i].use];
                const auto group = group_of(first.owner);
                clusters.clear();
                numbers.clear();
                for (std::size_t k = i; k < j; ++k) {
                    const Use& u = uses_[devices[k].use];
                    on_duplicate[devices[k].use] = true;
                    if (u.number != kNone) mark_conflict(group, u.number);
                    clusters.push_back(strings_.text(reported(u.cluster)));
                    numbers.push_back(u.number != kNone ? numbers_.text(u.number)
                                                        : strings_.text(u.pattern));
                }
                {
                    detail.assign(strings_.text(reported(kinds_[first.kind].kind)));
                    detail.append(" ");
                    clip_.append(objects_.text(first.object), kMaxReportedText, detail);
                    detail.append(" is configured in more than one cluster: ");
                    join_list(clusters, detail);
                    detail.append("; numbers ");
                    join_list(numbers, detail);
                    RowRecord row = make_row(Action::Conflict, group);
                    row.detail = strings_.intern(detail);
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
        std::pmr::vector<std::string_view> items(mr_);
        std::pmr::vector<std::uint32_t> dup_clusters(mr_);
        std::pmr::string detail(mr_), item(mr_);
        for_each_group_range([&](std::uint32_t group, std::uint32_t number, Range r) {
            if (r.end - r.begin < 2 || !group_reported(group)) return;
            std::uint32_t other = kNone;  // cluster of the other uses
            bool several = false, multi = false;
            dup_clusters.clear();
            for (auto i = r.begin; i < r.end; ++i) {
                const Use& u = uses_[by_number[i]];
                multi = multi || u.cluster != uses_[by_number[r.begin]].cluster;
                if (several) continue;
                if (on_duplicate[by_number[i]])
                    dup_clusters.push_back(u.cluster);
                else if (other == kNone)
                    other = u.cluster;
                else
                    several = other != u.cluster;
            }
            if (!multi) return;
            // Used in several clusters: left alone, whether reported or not.
            if (!maybe_conflict[number] || !flat) mark_conflict(group, number);
            if (!several) {
                if (other == kNone || dup_clusters.empty()) return;
                if (std::find(dup_clusters.begin(), dup_clusters.end(), other) !=
                    dup_clusters.end())
                    return;
            }
            items.clear();
            for (auto i = r.begin; i < r.end; ++i) {
                const Use& u = uses_[by_number[i]];
                item.assign(strings_.text(reported(u.cluster)));
                item.append(" (");
                item.append(describe_use(u));
                item.append(")");
                items.push_back(strings_.text(strings_.intern(item)));
            }
            detail.assign("number is used in more than one cluster: ");
            join_list(items, detail);
            RowRecord row = make_row(Action::Conflict, group);
            row.number = number;
            row.detail = strings_.intern(detail);
            add_row(row);
            ++out.counts.conflicts;
        });
    }

    // Status and usage a number gets from the uses of one group. Usage
    // strings are few: cached by the set of tokens (up to 64 tokens).
    std::pmr::vector<std::uint32_t> tokens(mr_);  // reused: no allocation per number
    std::pmr::vector<std::uint32_t> token_text(n_tokens, kNone, mr_);
    for (const auto& k : kinds_) token_text[k.token_order] = k.token;
    FlatMap<std::uint64_t, std::uint32_t> usage_by_mask(mr_);
    std::pmr::string usage_buf(mr_);
    auto derive = [&](Range r, std::uint32_t& status, std::uint32_t& usage) {
        if (r.begin == r.end) {
            status = available;
            usage = kNone;
            return;
        }
        bool used = false;
        std::uint64_t mask = 0;
        tokens.clear();
        for (auto i = r.begin; i < r.end; ++i) {
            const Kind& k = kinds_[uses_[by_number[i]].kind];
            used = used || k.used;
            if (k.token_order < 64) mask |= std::uint64_t{1} << k.token_order;
            tokens.push_back(k.token_order);
        }
        status = used ? used_status : utility_status;
        const bool cacheable = n_tokens <= 64;
        if (cacheable) {
            auto it = usage_by_mask.find(mask);
            if (it != usage_by_mask.end()) {
                usage = it->second;
                return;
            }
        }
        std::sort(tokens.begin(), tokens.end());
        tokens.erase(std::unique(tokens.begin(), tokens.end()), tokens.end());
        usage_buf.clear();
        for (std::size_t i = 0; i < tokens.size(); ++i) {
            if (i) usage_buf.push_back(',');
            usage_buf.append(strings_.text(token_text[tokens[i]]));
        }
        usage = strings_.intern(usage_buf);
        if (cacheable) usage_by_mask.emplace(mask, usage);
    };

    // The entries whose holder's entries this audit audits.
    auto entry_audited = [&](std::uint32_t slot) {
        const Node& holder = nodes_[slot];
        return scope_ == Scope::Customer ? flat : (holder.is_site && holder.selected);
    };

    // Entries that read as a number, by number (counting sort, as the uses):
    // who holds a number, and the entries one node holds twice.
    std::pmr::vector<std::uint32_t> entry_offsets(static_cast<std::size_t>(n_numbers) + 1, 0, mr_);
    for (const auto& e : entries_)
        if (e.number != kNone) ++entry_offsets[e.number + 1];
    for (std::uint32_t n = 0; n < n_numbers; ++n) entry_offsets[n + 1] += entry_offsets[n];
    std::pmr::vector<std::uint32_t> entries_of(entry_offsets.back(), 0, mr_);
    {
        std::pmr::vector<std::uint32_t> fill(entry_offsets.begin(), entry_offsets.end() - 1, mr_);
        for (std::uint32_t i = 0; i < entries_.size(); ++i)
            if (entries_[i].number != kNone) entries_of[fill[entries_[i].number]++] = i;
    }
    auto stored_text = [&](const Entry& e) {
        return e.stored == kNone ? numbers_.text(e.number) : strings_.text(e.stored);
    };
    auto holds = [&](std::uint32_t slot, std::uint32_t number) {
        for (auto k = entry_offsets[number]; k < entry_offsets[number + 1]; ++k)
            if (entries_[entries_of[k]].holder == slot) return true;
        return false;
    };

    // Two entries of one node with the same read number: a conflict at that
    // node (reported where its entries are audited); both left unchanged.
    std::pmr::vector<bool> entry_dup(entries_.size(), false, mr_);
    {
        std::pmr::vector<std::string_view> items(mr_);
        std::pmr::string detail(mr_), item(mr_);
        for (std::uint32_t n = 0; n < n_numbers; ++n) {
            ticker.tick();
            const auto b = entry_offsets[n], e = entry_offsets[n + 1];
            if (e - b < 2) continue;
            std::sort(entries_of.begin() + b, entries_of.begin() + e, [&](auto x, auto y) {
                return pair_key(entries_[x].holder, x) < pair_key(entries_[y].holder, y);
            });
            for (auto i = b; i < e;) {
                auto j = i + 1;
                while (j < e && entries_[entries_of[j]].holder == entries_[entries_of[i]].holder)
                    ++j;
                if (j - i > 1) {
                    const std::uint32_t slot = entries_[entries_of[i]].holder;
                    items.clear();
                    for (auto k = i; k < j; ++k) {
                        const Entry& dup = entries_[entries_of[k]];
                        entry_dup[entries_of[k]] = true;
                        item.assign("\"");
                        clip_.append(stored_text(dup), kMaxReportedText, item);
                        item.append("\" (id ");
                        item.append(std::to_string(dup.id));
                        item.append(")");
                        items.push_back(strings_.text(strings_.intern(item)));
                    }
                    if (entry_audited(slot)) {
                        detail.assign("number is held by more than one entry: ");
                        join_list(items, detail);
                        RowRecord row = make_row(Action::Conflict, slot);
                        row.number = n;
                        row.detail = strings_.intern(detail);
                        add_row(row);
                        ++out.counts.conflicts;
                    }
                }
                i = j;
            }
        }
    }

    // Audit the entries of the scope.
    std::pmr::vector<std::int64_t> unchanged(nodes_.size(), 0, mr_);
    auto keep = [&](const Entry& e) {
        ++out.counts.unchanged;
        ++unchanged[e.holder];
    };
    for (std::uint32_t i = 0; i < entries_.size(); ++i) {
        ticker.tick();
        const Entry& e = entries_[i];
        if (!entry_audited(e.holder)) continue;
        const Node& holder = nodes_[e.holder];
        // The usage as a row reports it (computed for rows only).
        auto old_usage = [&] { return e.usage == kNone ? kNone : reported(e.usage); };
        if (e.number == kNone) {
            // Not a number: numaudit decides nothing on it.
            RowRecord row = make_row(Action::Skipped, e.holder);
            row.number = e.stored;
            row.number_is_text = true;
            row.old_status = e.status;
            row.old_usage = old_usage();
            row.detail = strings_.intern(kInvalidNumber);
            add_row(row);
            ++out.counts.skipped;
            continue;
        }
        const auto group = group_of(e.holder);
        if (entry_dup[i] || in_conflict(group, e.number)) {
            keep(e);
            continue;
        }
        Range r = uses_of(group, e.number);
        if (e.status == reserved || e.status == cooling) {
            if (r.begin == r.end) {
                keep(e);
            } else {
                RowRecord row = make_row(Action::Skipped, e.holder);
                row.number = e.number;
                row.old_status = e.status;
                row.old_usage = old_usage();
                row.detail = e.status;
                add_row(row);
                ++out.counts.skipped;
            }
            continue;
        }
        std::uint32_t status, usage;
        derive(r, status, usage);
        if (status == e.status && usage == e.usage && e.usage_complete) {
            keep(e);
            continue;
        }
        RowRecord row = make_row(Action::Updated, e.holder);
        row.number = e.number;
        row.old_status = e.status;
        row.old_usage = old_usage();
        row.new_status = status;
        row.new_usage = usage;
        OptText usage_read;
        if (!e.usage_complete)
            usage_read = strings_.text(usage_digests_.at(e.id));
        else if (e.usage != kNone)
            usage_read = strings_.text(e.usage);
        out.updates.push_back(EntryUpdate{e.id, holder.id, add_row(row), stored_text(e), usage_read,
                                          e.usage_complete});
        ++out.counts.updated;
    }

    auto add_entry_row = [&](std::uint32_t slot, std::uint32_t number, Range r) {
        std::uint32_t status, usage;
        derive(r, status, usage);
        RowRecord row = make_row(Action::Added, slot);
        row.number = number;
        row.new_status = status;
        row.new_usage = usage;
        out.inserts.push_back(EntryInsert{nodes_[slot].id, add_row(row)});
        ++out.counts.added;
    };
    auto held_at_customer = [&](std::uint32_t number) {
        for (auto k = entry_offsets[number]; k < entry_offsets[number + 1]; ++k)
            if (entries_[entries_of[k]].holder == 0) return true;
        return false;
    };

    if (scope_ == Scope::Customer) {
        // A used number with no entry anywhere in the customer gets one at the
        // customer level.
        if (flat)
            for_each_group_range([&](std::uint32_t group, std::uint32_t number, Range r) {
                if (in_conflict(group, number) || entry_offsets[number + 1] > entry_offsets[number])
                    return;
                add_entry_row(0, number, r);
            });
    } else {
        // Each selected site needs an entry for each number its own uses
        // need. Not when the customer holds it; in a flat customer, whose
        // numbers are unique, not when another site holds it either, and a
        // number several selected sites need is added once, at the first of
        // them in byte order of site name.
        std::pmr::vector<std::uint64_t> wanted(mr_);
        wanted.reserve(uses_.size());
        for (const auto& u : uses_) {
            if (u.number == kNone) continue;
            const Node& owner = nodes_[u.owner];
            if (owner.is_site && owner.selected) wanted.push_back(pair_key(u.owner, u.number));
        }
        std::sort(wanted.begin(), wanted.end());
        wanted.erase(std::unique(wanted.begin(), wanted.end()), wanted.end());

        // Sites ranked by name (bytewise); the customer ranks last.
        std::pmr::vector<std::uint32_t> name_rank(nodes_.size(), kNone, mr_);
        {
            std::pmr::vector<std::uint32_t> sites(mr_);
            for (std::uint32_t i = 0; i < nodes_.size(); ++i)
                if (nodes_[i].is_site) sites.push_back(i);
            std::sort(sites.begin(), sites.end(), [&](auto a, auto b) {
                return strings_.text(nodes_[a].name) < strings_.text(nodes_[b].name);
            });
            for (std::uint32_t r = 0; r < sites.size(); ++r) name_rank[sites[r]] = r;
        }
        auto by_name = [&](std::uint32_t a, std::uint32_t b) {
            return b == kNone || (a != kNone && name_rank[a] < name_rank[b]);
        };
        // The first site by name, other than `slot`, that holds the number.
        auto other_holder = [&](std::uint32_t slot, std::uint32_t number) {
            std::uint32_t best = kNone;
            for (auto k = entry_offsets[number]; k < entry_offsets[number + 1]; ++k) {
                const std::uint32_t h = entries_[entries_of[k]].holder;
                if (h != slot && nodes_[h].is_site && by_name(h, best)) best = h;
            }
            return best;
        };
        // Flat: per number held nowhere, the selected site that gets it.
        std::pmr::vector<std::uint32_t> taker(flat ? n_numbers : 0, kNone, mr_);
        if (flat)
            for (auto key : wanted) {
                ticker.tick();
                auto slot = static_cast<std::uint32_t>(key >> 32);
                auto number = static_cast<std::uint32_t>(key & 0xffffffffu);
                if (entry_offsets[number + 1] > entry_offsets[number] ||
                    in_conflict(group_of(slot), number))
                    continue;
                if (by_name(slot, taker[number])) taker[number] = slot;
            }
        std::pmr::vector<std::uint32_t> held_detail(nodes_.size(), kNone, mr_);
        std::pmr::string detail(mr_);
        auto held_at_site = [&](std::uint32_t slot, std::uint32_t number, std::uint32_t holder) {
            if (held_detail[holder] == kNone) {
                detail.assign(kHeldAtSite);
                detail.append(strings_.text(nodes_[holder].name));  // names of the tree: whole
                held_detail[holder] = strings_.intern(detail);
            }
            RowRecord row = make_row(Action::Skipped, slot);
            row.number = number;
            row.detail = held_detail[holder];
            add_row(row);
            ++out.counts.skipped;
        };
        std::pmr::vector<bool> held_reported(n_numbers, false, mr_);
        for (auto key : wanted) {
            ticker.tick();
            auto slot = static_cast<std::uint32_t>(key >> 32);
            auto number = static_cast<std::uint32_t>(key & 0xffffffffu);
            auto group = group_of(slot);
            if (in_conflict(group, number) || holds(slot, number)) continue;
            if (held_at_customer(number)) {
                if (!held_reported[number]) {
                    held_reported[number] = true;
                    RowRecord row = make_row(Action::Skipped, 0);
                    row.number = number;
                    row.detail = strings_.intern(kHeldAtCustomerLevel);
                    add_row(row);
                    ++out.counts.skipped;
                }
                continue;
            }
            if (flat) {
                std::uint32_t holder = other_holder(slot, number);
                if (holder == kNone && taker[number] != slot) holder = taker[number];
                if (holder != kNone) {
                    held_at_site(slot, number, holder);
                    continue;
                }
            }
            add_entry_row(slot, number, uses_of(group, number));
        }
    }

    // Wildcard and invalid patterns of the audited nodes: one row per node
    // and reported pattern text.
    {
        std::pmr::vector<std::uint32_t> wild(mr_);
        for (std::uint32_t i = 0; i < uses_.size(); ++i) {
            const Use& u = uses_[i];
            if (u.number != kNone) continue;
            const Node& owner = nodes_[u.owner];
            bool audited = scope_ == Scope::Customer || (owner.is_site && owner.selected);
            if (audited) wild.push_back(i);
        }
        auto same_row = [&](const Use& a, const Use& b) {
            return a.owner == b.owner && a.pattern == b.pattern && a.reading == b.reading;
        };
        std::sort(wild.begin(), wild.end(), [&](auto a, auto b) {
            const Use &x = uses_[a], &y = uses_[b];
            if (x.owner != y.owner) return x.owner < y.owner;
            if (x.pattern != y.pattern) return x.pattern < y.pattern;
            return x.reading < y.reading;
        });
        std::pmr::vector<std::string_view> items(mr_);
        std::pmr::string detail(mr_), item(mr_);
        for (std::size_t i = 0; i < wild.size();) {
            const Use& first = uses_[wild[i]];
            items.clear();
            std::size_t j = i;
            for (; j < wild.size() && same_row(uses_[wild[j]], first); ++j) {
                const Use& u = uses_[wild[j]];
                item.assign(describe_use(u));
                item.append(" (");
                item.append(strings_.text(reported(u.cluster)));
                item.append(")");
                items.push_back(strings_.text(strings_.intern(item)));
                ticker.tick();
            }
            detail.assign(first.reading == NumberKind::Wildcard ? "wildcard pattern: "
                                                                : "invalid pattern: ");
            join_list(items, detail);
            RowRecord row = make_row(Action::Skipped, first.owner);
            row.number = first.pattern;
            row.number_is_text = true;
            row.detail = strings_.intern(detail);
            add_row(row);
            ++out.counts.skipped;
            i = j;
        }
    }

    for (std::uint32_t n = 0; n < nodes_.size(); ++n)
        if (unchanged[n]) out.unchanged_by_node.emplace_back(nodes_[n].id, unchanged[n]);

    // Sort the rows (hierarchy, number, action, detail) and re-point the
    // writes at their rows' new places. Nodes are ranked by path once; rows
    // are bucketed by node rank, then each node's rows sorted.
    {
        std::pmr::vector<std::uint32_t> node_order(mr_);
        for (std::uint32_t i = 0; i < nodes_.size(); ++i) node_order.push_back(i);
        std::sort(node_order.begin(), node_order.end(), [&](auto a, auto b) {
            return strings_.text(nodes_[a].path) < strings_.text(nodes_[b].path);
        });
        std::pmr::vector<std::uint32_t> rank(nodes_.size(), 0, mr_);
        for (std::uint32_t i = 0; i < node_order.size(); ++i) rank[node_order[i]] = i;
        std::pmr::vector<std::uint32_t> start(nodes_.size() + 1, 0, mr_);
        for (const auto& r : rows) ++start[rank[r.node] + 1];
        for (std::size_t i = 0; i < nodes_.size(); ++i) start[i + 1] += start[i];
        std::pmr::vector<std::uint32_t> order(rows.size(), 0, mr_);
        {
            std::pmr::vector<std::uint32_t> fill(start.begin(), start.end() - 1, mr_);
            for (std::uint32_t i = 0; i < rows.size(); ++i) order[fill[rank[rows[i].node]]++] = i;
        }
        auto number_text = [&](const RowRecord& r) -> OptText {
            if (r.number == kNone) return std::nullopt;
            return r.number_is_text ? strings_.text(r.number) : numbers_.text(r.number);
        };
        auto opt_less = [](const OptText& a, const OptText& b) {
            if (a.has_value() != b.has_value()) return !a.has_value();
            return a && *a < *b;
        };
        auto detail_text = [&](const RowRecord& r) -> OptText {
            if (r.detail == kNone) return std::nullopt;
            return strings_.text(r.detail);
        };
        for (std::size_t n = 0; n < nodes_.size(); ++n) {
            ticker.tick();
            std::sort(order.begin() + start[n], order.begin() + start[n + 1], [&](auto a, auto b) {
                const RowRecord &x = rows[a], &y = rows[b];
                OptText nx = number_text(x), ny = number_text(y);
                if (nx != ny) return opt_less(nx, ny);
                if (x.action != y.action) return x.action < y.action;
                return opt_less(detail_text(x), detail_text(y));
            });
        }
        ChunkedVector<RowRecord> sorted(mr_);
        std::pmr::vector<std::uint32_t> new_place(rows.size(), 0, mr_);
        for (auto i : order) {
            new_place[i] = static_cast<std::uint32_t>(sorted.size());
            sorted.push_back(rows[i]);
        }
        rows.swap(sorted);
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

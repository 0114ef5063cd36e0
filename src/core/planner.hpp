// The reconciliation of SPEC §3: from the uses and inventory entries of the
// audited scope, derive every entry's status and usage, find conflicts and
// wildcard patterns, and produce the change plan and the result rows.
//
// Plain C++: all memory comes from the memory_resource given to the Planner,
// so the backend can bind it to a PostgreSQL memory context.
#pragma once

#include <cstdint>
#include <functional>
#include <memory_resource>
#include <optional>
#include <string_view>
#include <vector>

#include "core/audit/inputs.hpp"  // Id, OptText; the inputs the Planner keeps
#include "core/chunked_vector.hpp"
#include "core/request.hpp"
#include "core/text_clip.hpp"

namespace numaudit::core {

// Details of skipped rows: a number a site needs that its customer holds,
// or (flat customers) that another site holds; an entry that is no number.
inline constexpr std::string_view kHeldAtCustomerLevel = "held at customer level";
inline constexpr std::string_view kHeldAtSite = "held at site ";
inline constexpr std::string_view kInvalidNumber = "invalid number";

enum class Action : std::uint8_t { Added, Updated, Skipped, Conflict };
const char* action_name(Action action) noexcept;

struct Counts {
    std::int64_t added = 0;
    std::int64_t updated = 0;
    std::int64_t unchanged = 0;
    std::int64_t skipped = 0;
    std::int64_t conflicts = 0;
};

// A write the backend performs; `row` indexes the result row that reports
// it, which holds the number, the status and usage read and the new ones.
// An update carries the entry as it was read (holder, stored text, usage), so
// that an entry an application renumbered, moved or changed meanwhile is not
// touched. The row shows the read number and a usage cut for reporting; the
// key is exact: `usage` is the usage as read, or (usage_complete false, a
// usage too long to read whole) the digest the backend gave for it.
struct EntryUpdate {
    Id entry_id;
    Id holder;
    std::uint32_t row;
    std::string_view stored;  // internal_number exactly as stored
    OptText usage;
    bool usage_complete;
};

struct EntryInsert {
    Id holder;
    std::uint32_t row;
};

struct ResultRow {
    Action action;
    std::string_view hierarchy;  // path of the node holding the entry
    OptText site;                // site name, or nullopt at customer level
    OptText internal_number;
    OptText old_status;
    OptText old_usage;
    OptText new_status;
    OptText new_usage;
    OptText detail;
};

class Planner;

// What a use given to the Planner is for (see Planner::focus_only()): a Focus
// use is one the plan is about; a Context use is given only so that the rules
// that look at a whole device (every copy of a device of the same kind and
// name) see all of it. Without focus_only() every use counts as Focus.
enum class UseRole : std::uint8_t { Focus, Context };

// A result row as the planner stores it: ids into the planner's string
// tables (a million rows in 32 bytes each, not 200).
struct RowRecord {
    static constexpr std::uint32_t kNone = 0xffffffffu;
    std::uint32_t node;
    std::uint32_t number;  // a number id, or (number_is_text) a string id
    std::uint32_t old_status = kNone;
    std::uint32_t old_usage = kNone;
    std::uint32_t new_status = kNone;
    std::uint32_t new_usage = kNone;
    std::uint32_t detail = kNone;
    Action action;
    bool number_is_text = false;
};

// The result rows, read as ResultRows whose strings live in the Planner:
// valid while the Planner that made them lives.
class RowTable {
  public:
    RowTable(std::pmr::memory_resource* mr, const Planner* source)
        : records_(mr), source_(source) {}
    std::size_t size() const noexcept { return records_.size(); }
    bool empty() const noexcept { return records_.empty(); }
    ResultRow operator[](std::size_t i) const;
    Action action(std::size_t i) const noexcept { return records_[i].action; }
    // The id of the node that holds the row's entry (or reports it).
    Id node_id(std::size_t i) const noexcept;

    class iterator {
      public:
        iterator(const RowTable* table, std::size_t i) : table_(table), i_(i) {}
        ResultRow operator*() const { return (*table_)[i_]; }
        iterator& operator++() {
            ++i_;
            return *this;
        }
        bool operator!=(const iterator& o) const { return i_ != o.i_; }
        bool operator==(const iterator& o) const { return i_ == o.i_; }

      private:
        const RowTable* table_;
        std::size_t i_;
    };
    iterator begin() const { return {this, 0}; }
    iterator end() const { return {this, records_.size()}; }

    ChunkedVector<RowRecord>& records() noexcept { return records_; }
    std::pmr::polymorphic_allocator<RowRecord> get_allocator() const noexcept {
        return std::pmr::polymorphic_allocator<RowRecord>(records_.resource());
    }

  private:
    ChunkedVector<RowRecord> records_;
    const Planner* source_;
};

struct Plan {
    Plan(std::pmr::memory_resource* mr, const Planner* source)
        : updates(mr), inserts(mr), rows(mr, source), unchanged_by_node(mr) {}
    std::pmr::vector<EntryUpdate> updates;  // by entry_id: rows are locked in id order
    std::pmr::vector<EntryInsert> inserts;
    RowTable rows;  // sorted, ready to return
    Counts counts;
    // counts.unchanged by the node holding the entries (nodes with any).
    std::pmr::vector<std::pair<Id, std::int64_t>> unchanged_by_node;
};

// A stored row as a result row: its ids resolved in the inputs' strings
// (valid while the inputs live).
ResultRow to_result_row(const audit::Inputs& in, const RowRecord& r);

class Planner {
  public:
    // `customer_path` is the customer's dotted path; site paths extend it.
    // `clip` cuts text quoted in result rows (in the database's encoding).
    Planner(std::pmr::memory_resource* mr, DialPlan plan, Scope scope, Id customer_id,
            std::string_view customer_path, TextClip clip = {});
    ~Planner();
    Planner(const Planner&) = delete;
    Planner& operator=(const Planner&) = delete;

    // Inputs. Strings are copied; callers may reuse their buffers.
    void add_usage_kind(std::string_view kind, std::string_view status, std::string_view usage,
                        int rank);
    void add_site(Id id, std::string_view name, bool selected);
    // A device line (line_index >= 0) or a service (line_index < 0). The
    // pattern is read as SPEC §3 "Reading numbers" says.
    void add_use(Id owner, std::string_view cluster, std::string_view kind,
                 std::string_view object_name, int line_index, std::string_view pattern,
                 UseRole role = UseRole::Focus);
    // An inventory entry; `number` is its internal_number as stored, read as
    // patterns are. `usage_digest` given: `usage` is only the start of a
    // longer value (which never equals a derived usage), and the digest is
    // what its update matches the entry's usage with.
    void add_entry(Id id, Id holder, std::string_view number, std::string_view status,
                   OptText usage, OptText usage_digest = std::nullopt);

    // Focus mode, for an incremental audit (SPEC §4), which plans a subset of
    // the customer: the plan covers only the numbers *in focus*, those some
    // Focus use or some entry reads as. A number not in focus is never added,
    // updated or reported (no added, updated or skipped row, no "used in more
    // than one cluster" conflict, no "held at ..." row), and a wildcard or
    // invalid Context use is not reported; counts count what the rows report,
    // and unchanged the entries given (all of them are in focus). Duplicate-
    // device conflicts are reported as always: they describe the copies of a
    // device, which the caller gives whole. The plan then equals the full
    // plan restricted to those numbers provided the caller gives every use
    // and entry of each number in focus, and every line of every device that
    // has a line among the uses (the devices with every copy: as Context
    // when not in focus). Call before plan(); without it Context uses count
    // as Focus and the plan is the full audit's.
    void focus_only() noexcept;

    // Runs the audit. `check_interrupts` is called now and then; it may throw
    // to abandon the work (the backend uses it for query cancel).
    Plan plan(const std::function<void()>& check_interrupts = {});

  private:
    friend class RowTable;

    // The tree, kinds, uses and entries, and every string a row quotes. The
    // audit's steps are in core/audit/ (steps.hpp), run in order by plan().
    audit::Inputs in_;
};

}  // namespace numaudit::core

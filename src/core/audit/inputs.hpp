// What the Planner is given, as it keeps it: the customer's tree, the usage
// kinds, the uses and the inventory entries, and the strings they name. The
// Planner owns it; result rows point into its strings, so it lives as long
// as the rows do. The audit's own working state is PlanState's.
#pragma once

#include <cstdint>
#include <functional>
#include <memory_resource>
#include <optional>
#include <string_view>
#include <vector>

#include <boost/container/flat_map.hpp>

#include "core/audit/interner.hpp"
#include "core/chunked_vector.hpp"
#include "core/number_reading.hpp"
#include "core/request.hpp"
#include "core/text_clip.hpp"

namespace numaudit::core {

using Id = std::int64_t;
using OptText = std::optional<std::string_view>;

namespace audit {

// No string, number, node: an id no interner hands out.
inline constexpr std::uint32_t kNone = 0xffffffffu;

// Few nodes and kinds: sorted flat maps beat hashing here.
template <class K, class V>
using FlatMap = boost::container::flat_map<K, V, std::less<K>,
                                           std::pmr::polymorphic_allocator<std::pair<K, V>>>;

// The customer (slot 0) or one of its sites.
struct Node {
    Id id;
    std::uint32_t name;  // string id of the site name; kNone for the customer
    std::uint32_t path;  // string id
    bool is_site;
    bool selected;
};

struct Kind {
    std::uint32_t kind;   // string id
    bool used;            // status Used (else Used-Utility)
    std::uint32_t token;  // string id of its usage token
    int rank;
    std::uint32_t token_order;  // the token's place in usage order (rank_usage_tokens)
};

// A device line or a service.
struct Use {
    std::uint32_t owner;    // node slot
    std::uint32_t kind;     // index in kinds
    std::uint32_t number;   // number id; kNone for a wildcard or invalid pattern
    std::int32_t line;      // < 0 for a service
    std::uint32_t cluster;  // string id
    std::uint32_t object;   // object id
    std::uint32_t pattern;  // string id of a wildcard or invalid pattern's reported text
    NumberKind reading;
    bool context;  // given as context only (UseRole::Context; matters in focus mode)
};

// An inventory entry.
struct Entry {
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

struct Inputs {
    Inputs(std::pmr::memory_resource* mr, DialPlan plan, Scope scope, Id customer_id,
           std::string_view customer_path, TextClip clip);
    Inputs(const Inputs&) = delete;
    Inputs& operator=(const Inputs&) = delete;

    // Collect (collect.cpp): the Planner's add_* calls.
    void add_usage_kind(std::string_view kind, std::string_view status, std::string_view usage,
                        int rank);
    void add_site(Id id, std::string_view name, bool selected);
    void add_use(Id owner, std::string_view cluster, std::string_view kind,
                 std::string_view object_name, int line_index, std::string_view pattern,
                 bool context = false);
    void add_entry(Id id, Id holder, std::string_view number, std::string_view status,
                   OptText usage, OptText usage_digest);

    std::uint32_t node_slot(Id id) const;
    // The id of text as a result row quotes it: cut to kMaxReportedText.
    std::uint32_t reported(std::uint32_t string_id);
    std::uint32_t reported(std::string_view text);
    // "kind object [line N]", as reported (valid until the next call).
    std::string_view describe_use(const Use& use);
    // The entry's internal_number exactly as stored.
    std::string_view stored_text(const Entry& e) const noexcept {
        return e.stored == kNone ? numbers.text(e.number) : strings.text(e.stored);
    }

    std::pmr::memory_resource* mr;
    TextClip clip;
    DialPlan dial_plan;
    Scope scope;
    bool focus_only = false;  // Planner::focus_only()
    std::pmr::monotonic_buffer_resource arena;
    Interner strings;              // kinds, clusters, statuses, usages, paths, details
    Interner numbers;              // single numbers
    Interner objects;              // device and service names
    std::pmr::vector<Node> nodes;  // slot 0 is the customer
    FlatMap<Id, std::uint32_t> node_slots;
    std::pmr::vector<Kind> kinds;
    FlatMap<std::string_view, std::uint32_t> kind_ids;
    FlatMap<Id, std::uint32_t> usage_digests;  // entry id -> string id (rare)
    ChunkedVector<Use> uses;
    ChunkedVector<Entry> entries;
    std::pmr::string buffer;
    std::pmr::string read_buffer;  // read_number's, for an escaped backslash-plus
};

}  // namespace audit
}  // namespace numaudit::core

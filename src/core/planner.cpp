#include "core/cpp_only.hpp"  // must come first: no PostgreSQL header in the core
#include "core/planner.hpp"

#include "core/audit/plan_state.hpp"
#include "core/audit/steps.hpp"

namespace numaudit::core {

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

// ---------------------------------------------------------------------------
// RowTable

ResultRow RowTable::operator[](std::size_t i) const {
    return to_result_row(source_->in_, records_[i]);
}

Id RowTable::node_id(std::size_t i) const noexcept {
    return source_->in_.nodes[records_[i].node].id;
}

ResultRow to_result_row(const audit::Inputs& in, const RowRecord& r) {
    const audit::Interner& strings = in.strings;
    auto text = [&](std::uint32_t id) -> OptText {
        if (id == RowRecord::kNone) return std::nullopt;
        return strings.text(id);
    };
    const audit::Node& node = in.nodes[r.node];
    ResultRow row;
    row.action = r.action;
    row.hierarchy = strings.text(node.path);
    row.site = node.is_site ? OptText(strings.text(node.name)) : std::nullopt;
    if (r.number != RowRecord::kNone)
        row.internal_number = r.number_is_text ? strings.text(r.number) : in.numbers.text(r.number);
    row.old_status = text(r.old_status);
    row.old_usage = text(r.old_usage);
    row.new_status = text(r.new_status);
    row.new_usage = text(r.new_usage);
    row.detail = text(r.detail);
    return row;
}

// ---------------------------------------------------------------------------
// Inputs (collected by core/audit/collect.cpp)

Planner::Planner(std::pmr::memory_resource* mr, DialPlan plan, Scope scope, Id customer_id,
                 std::string_view customer_path, TextClip clip)
    : in_(mr, plan, scope, customer_id, customer_path, clip) {}

Planner::~Planner() = default;

void Planner::add_usage_kind(std::string_view kind, std::string_view status, std::string_view usage,
                             int rank) {
    in_.add_usage_kind(kind, status, usage, rank);
}

void Planner::add_site(Id id, std::string_view name, bool selected) {
    in_.add_site(id, name, selected);
}

void Planner::add_use(Id owner, std::string_view cluster, std::string_view kind,
                      std::string_view object_name, int line_index, std::string_view pattern,
                      UseRole role) {
    in_.add_use(owner, cluster, kind, object_name, line_index, pattern, role == UseRole::Context);
}

void Planner::focus_only() noexcept { in_.focus_only = true; }

void Planner::add_entry(Id id, Id holder, std::string_view number, std::string_view status,
                        OptText usage, OptText usage_digest) {
    in_.add_entry(id, holder, number, status, usage, usage_digest);
}

// ---------------------------------------------------------------------------
// The audit: its steps in SPEC §3's words, in order.

Plan Planner::plan(const std::function<void()>& check_interrupts) {
    Plan out(in_.mr, this);
    audit::PlanState st(in_, out, check_interrupts);
    audit::rank_usage_tokens(st);
    audit::collect_uses(st);
    audit::find_focus(st);
    audit::find_duplicate_devices(st);
    audit::find_numbers_in_several_clusters(st);
    audit::collect_entries(st);
    audit::find_duplicate_entries(st);
    st.conflicts.seal();  // the numbers left alone are known from here on
    audit::audit_entries(st);
    audit::add_missing(st);
    audit::report_patterns(st);
    audit::report(st);
    return out;
}

}  // namespace numaudit::core

// The steps of an audit (SPEC §3), in the order Planner::plan() runs them.
// Each reads and extends the PlanState; see each file for its rules.
#pragma once

#include "core/audit/derive_status.hpp"
#include "core/audit/plan_state.hpp"

namespace numaudit::core::audit {

// derive_status.cpp: orders usage tokens by the lowest rank of any kind that
// bears them (before derive_status, derive_status.hpp).
void rank_usage_tokens(PlanState& st);

// collect.cpp: the single-number uses by number (slc: then by owner), and
// the entries that read as a number by number.
void collect_uses(PlanState& st);
void collect_entries(PlanState& st);
// collect.cpp: in focus mode, the numbers in focus (PlanState::in_focus).
void find_focus(PlanState& st);

// find_conflicts.cpp: what the audit cannot decide, reported as conflict
// rows. The first two mark the numbers left alone (before seal()).
void find_duplicate_devices(PlanState& st);
void find_numbers_in_several_clusters(PlanState& st);
void find_duplicate_entries(PlanState& st);

// audit_entries.cpp: every audited entry updated, kept, or skipped.
void audit_entries(PlanState& st);

// add_missing.cpp: an entry for every used number missing from the inventory.
void add_missing(PlanState& st);

// report.cpp: wildcard and invalid patterns of the audited nodes; then the
// report: unchanged entries by node, the rows sorted and the writes re-pointed.
void report_patterns(PlanState& st);
void report(PlanState& st);

}  // namespace numaudit::core::audit

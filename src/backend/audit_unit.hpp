// One unit of audit work inside one transaction: read the scope, plan with
// the core, write the changes in batches, record history, report rows.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "backend/resolve.hpp"
#include "core/planner.hpp"

namespace numaudit::backend {

struct UnitRequest {
    const Customer* customer;
    core::Scope scope;
    const std::vector<Site>* all_sites;
    const std::vector<Site>* selected;  // site scope: the sites of this unit
    bool dry_run;
    std::int64_t run_id;      // 0: no history
    bool skip_reported_rows;  // audit(): conflicts and skips already recorded by
                              // an earlier unit of the run are not repeated
};

using RowSink = std::function<void(const core::ResultRow&)>;

// Locks must already be held. Returns the counts of what was done; `emit`
// receives every reported row, in order.
core::Counts audit_unit(const UnitRequest& request, const RowSink& emit);

// The memory limit of one audit (numaudit.max_memory, in MB; 0 = none).
extern int g_max_memory_mb;

}  // namespace numaudit::backend

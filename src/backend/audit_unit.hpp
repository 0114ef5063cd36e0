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
    std::int64_t run_id;  // 0: no history
    // audit(): one site of a run. Reads only what that site needs (its
    // entries and uses, the uses of its numbers elsewhere in a flat customer,
    // the customer's entries for its numbers); a flat customer's conflicts
    // are the run's customer-wide first unit's to report; a number held at
    // customer level is reported by the first site that needs it.
    bool run_step;
};

using RowSink = std::function<void(const core::ResultRow&)>;

// Locks must already be held. Returns the counts of what was done; `emit`
// receives every reported row, in order.
core::Counts audit_unit(const UnitRequest& request, const RowSink& emit);

// The memory limit of one audit (numaudit.max_memory, in MB; 0 = none).
extern int g_max_memory_mb;

}  // namespace numaudit::backend

// One unit of audit work inside one transaction: read the scope, plan with
// the core, write the changes in batches, record history, report rows.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "backend/resolve.hpp"
#include "core/planner.hpp"

namespace numaudit::backend {

struct Tracking;

struct UnitRequest {
    const Customer* customer;
    core::Scope scope;
    const std::vector<Site>* all_sites;
    const std::vector<Site>* selected;  // site scope: the sites of this unit
    bool dry_run;
    std::int64_t run_id;  // 0: no history
    // audit(): a unit of a run. A site of an slc customer reads only that
    // site's entries and uses (and the customer's entries for numbers it
    // misses); a number held at customer level is reported by the first unit
    // of the run that needs it.
    bool run_step;
    // Incremental (SPEC §4): what changed since the baseline; nullptr or not
    // incremental for a full audit.
    const Tracking* tracking = nullptr;
};

using RowSink = std::function<void(const core::ResultRow&)>;

// Locks must already be held. Returns the counts of what was done; `emit`
// receives every reported row, in order.
// `entries_read`, when given, receives how many entries a full audit read
// (the baseline's size; 0 for an incremental one).
core::Counts audit_unit(const UnitRequest& request, const RowSink& emit,
                        std::int64_t* entries_read = nullptr);

}  // namespace numaudit::backend

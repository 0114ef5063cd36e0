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
    // audit(): a unit of a run. A site of an slc customer reads only that
    // site's entries and uses (and the customer's entries for numbers it
    // misses); a number held at customer level is reported by the first unit
    // of the run that needs it.
    bool run_step;
};

using RowSink = std::function<void(const core::ResultRow&)>;

// Locks must already be held. Returns the counts of what was done; `emit`
// receives every reported row, in order.
core::Counts audit_unit(const UnitRequest& request, const RowSink& emit);

// CALL audit() of a flat customer, scope site. Its first unit reads the
// customer once, as run() does, and plans every site of the run from that one
// snapshot (request.selected: all of them; locks held); it reports the
// conflicts and the numbers held at customer level, and keeps the plan for
// the run's later units, which apply it site by site, each in a transaction
// of its own. Updates still apply only to entries as they were read, so an
// application's change made meanwhile wins, as it does against run().
core::Counts audit_run_plan(const UnitRequest& request);
// Applies the kept plan's part for `site_id` (its lock held); false when this
// session keeps no plan for `run_id`.
bool audit_run_site(std::int64_t run_id, std::int64_t site_id, core::Counts& counts);
// Drops the kept plan, if any. Never raises an error.
void forget_run_plan() noexcept;

}  // namespace numaudit::backend

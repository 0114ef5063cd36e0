// Reading a unit's inputs for the planner: the usage kinds, the uses and the
// entries of the audited scope (SPEC §3, "collect uses").
#pragma once

#include "backend/audit_unit.hpp"
#include "core/planner.hpp"

namespace numaudit::backend {

// The inputs of a unit of run() or audit(): the uses that count and the
// entries audited, plus the customer level's (for "held at customer level").
void read_inputs(core::Planner& planner, const UnitRequest& req);

// One site of an slc customer's audit() (req.selected is that site): its own
// entries and uses, and the customer's entries only for the numbers the site
// uses and holds no entry for.
void read_slc_site(core::Planner& planner, const UnitRequest& req);

}  // namespace numaudit::backend

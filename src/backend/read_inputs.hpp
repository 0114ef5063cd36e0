// Reading a unit's inputs for the planner: the usage kinds, the uses and the
// entries of the audited scope (SPEC §3, "collect uses").
#pragma once

#include "backend/audit_unit.hpp"
#include "backend/tracking.hpp"
#include "core/planner.hpp"

namespace numaudit::backend {

// The inputs of a unit of run() or audit(): the uses that count and the
// entries audited, plus the customer level's (for "held at customer level").
// Returns how many entries it read.
std::int64_t read_inputs(core::Planner& planner, const UnitRequest& req);

// An incremental audit's inputs (SPEC §4): only what the marks lead to. The
// numbers marked and every number of a marked device are in focus: every
// use and entry of the customer that reads as one of them. The devices of
// those uses are read whole, each copy with all its lines, as context for
// the duplicate-device rule. The planner is put in focus mode: it plans the
// numbers in focus as a full audit would, and nothing else.
void read_changed(core::Planner& planner, const UnitRequest& req, const Tracking& tracking);

// One site of an slc customer's audit() (req.selected is that site): its own
// entries and uses, and the customer's entries only for the numbers the site
// uses and holds no entry for.
void read_slc_site(core::Planner& planner, const UnitRequest& req);

}  // namespace numaudit::backend

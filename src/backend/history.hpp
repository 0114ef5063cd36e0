// The history of a run: one audit_change row per reported change, and what
// earlier units of an audit() run already reported.
#pragma once

#include <cstdint>

#include "backend/write_batch.hpp"

namespace numaudit::backend {

// Records the rows `which` that are still reported (emitted) as the run's
// audit_change rows, in batches.
void write_history(std::int64_t run_id, const core::Plan& plan, const Selection& which,
                   const Emitted& emitted, MemoryContext batch, std::pmr::memory_resource* mr);

// audit(): a number held at customer level is reported by the first site
// of the run that needs it; drops (and uncounts) the rows an earlier unit
// of the run reported.
void skip_reported_held(std::int64_t run_id, const core::Plan& plan, Emitted& emitted,
                        core::Counts& counts);

}  // namespace numaudit::backend

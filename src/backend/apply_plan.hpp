// Applying a plan to the inventory: updates of entries still as they were
// read, and inserts of the missing entries (SPEC §3, "audit entries", "add
// missing"). A row whose write did not apply is not reported.
#pragma once

#include "backend/write_batch.hpp"

namespace numaudit::backend {

// Applies the updates `which`; rows whose entry changed meanwhile are not
// reported (emitted 0) and not counted.
void write_updates(const core::Plan& plan, const Selection& which, Emitted& emitted,
                   core::Counts& counts, MemoryContext batch, std::pmr::memory_resource* mr);

// Inserts the new entries `which`; one an application added meanwhile is
// left as is (not reported, not counted). A row skipped only because its id
// was taken is retried with a fresh id, kMaxInsertAttempts times at most.
void write_inserts(const core::Plan& plan, const Selection& which, Emitted& emitted,
                   core::Counts& counts, MemoryContext batch, std::pmr::memory_resource* mr);

}  // namespace numaudit::backend

// Advisory locks that keep two audits off the same entries (SPEC §3
// "Concurrency"). Transaction-scoped, in lock classes of numaudit's own, so
// they show in pg_locks as locktype 'advisory' with objsubid 20033 (customer)
// or 20034 (site).
#pragma once

#include <cstdint>
#include <vector>

#include "backend/resolve.hpp"

namespace numaudit::backend {

inline constexpr std::uint16_t kCustomerLockClass = 20033;
inline constexpr std::uint16_t kSiteLockClass = 20034;
// Held at session level by the session running CALL numaudit.audit for the
// whole run (objsubid 20035, keyed by audit_run.id): a 'running' row whose
// lock nobody holds belongs to a session that ended (killed, crashed).
inline constexpr std::uint16_t kRunLockClass = 20035;

// Customer scope: the customer exclusively. Site scope: the customer shared,
// then each site exclusively in id order, so overlapping audits queue rather
// than deadlock. With nowait, a lock that is taken raises 55P03.
void lock_for_audit(const Customer& customer, core::Scope scope, const std::vector<Site>& sites,
                    bool nowait);

// Tries the customer's audit lock exclusively, for this transaction, without
// waiting: false when any audit of the customer holds it. For the tracking
// sweep (numaudit._tracking_sweep), which must not touch the marks of a
// customer being audited, nor make its audits wait longer than its own
// short transaction.
bool try_lock_customer(std::int64_t customer_id);

// Take / release a run's session lock. C style: may raise a PostgreSQL ERROR.
void lock_run_Unsafe(std::int64_t run_id);
void unlock_run_Unsafe(std::int64_t run_id);

// Held at session level, keyed by the session's pid (objsubid 20036), while
// the session runs CALL numaudit.audit_all: a customer a sweep lists as
// taken by a pid that holds no such lock was left by a session that ended
// or stopped on an error (numaudit._sweep_claim_alive).
inline constexpr std::uint16_t kSweepLockClass = 20036;
void lock_sweep_session_Unsafe();
void unlock_sweep_session_Unsafe();

}  // namespace numaudit::backend

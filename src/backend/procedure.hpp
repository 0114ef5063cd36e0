// What CALL numaudit.audit_all needs of CALL numaudit.audit
// (procedure.cpp): its SQL steps, and one customer audited the same way.
#pragma once

#include "backend/pg.hpp"

namespace numaudit::backend {

// Commits and starts the next transaction (a non-atomic SPI connection).
void commit_and_continue_Unsafe();

// Runs a statement through SPI; its error is raised without numaudit's
// internal statement in its CONTEXT (SPEC §3 "Messages").
void run_sql_clean_Unsafe(const char* sql, int nargs, Oid* types, Datum* values, const char* nulls);

// Audits one customer as CALL numaudit.audit(customer, scope, NULL,
// incremental => incremental) does, committing per unit, and ties its
// audit_run row to the sweep. Its start does not wait: a customer whose locks
// stay taken over four tries (about 0.2 s) fails with 55P03 and *run_id 0
// (another audit holds it, nothing was recorded); once the run is recorded
// its units wait for locks as CALL numaudit.audit does. It does not sweep
// tracking after the run (the sweep does, once per session). On a failure
// the run, if one was recorded, is marked failed and committed, and the
// error is returned instead of raised. NULL when the audit is done. C style:
// needs a non-atomic SPI connection; may raise a PostgreSQL ERROR.
ErrorData* audit_sweep_customer_Unsafe(int64 sweep_id, int64 customer_id, const char* customer,
                                       const char* scope, bool incremental, int64* run_id);

}  // namespace numaudit::backend

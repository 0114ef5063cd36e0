// What CALL numaudit.audit_all needs of CALL numaudit.audit
// (procedure.cpp): one customer audited the same way.
#pragma once

#include "backend/pg.hpp"

namespace numaudit::backend {

// Audits one customer as CALL numaudit.audit(customer, scope, NULL,
// nowait => true, incremental => incremental) does, committing per unit,
// and ties its audit_run row to the sweep. On a failure the run, if one was
// recorded, is marked failed and committed, and the error is returned
// instead of raised (a 55P03 with *run_id 0: another session's audit holds
// the customer, nothing was recorded). NULL when the audit is done. C style:
// needs a non-atomic SPI connection; may raise a PostgreSQL ERROR.
ErrorData* audit_sweep_customer_Unsafe(int64 sweep_id, int64 customer_id, const char* customer,
                                       const char* scope, bool incremental, int64* run_id);

}  // namespace numaudit::backend

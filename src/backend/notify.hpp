// Tells listening applications that a run finished: NOTIFY on channel
// "numaudit" with the run's JSON summary, sent with the transaction that
// records the run's end (so listeners only hear of committed runs).
#pragma once

#include "backend/pg.hpp"

namespace numaudit::backend {

// Sends the notification for audit_run row `run_id` when numaudit.notify is
// on and the database is past 0.1.0. Needs an SPI connection. Raises no
// ERROR but a cancel: a failure to notify is a WARNING (plain C style, so
// call it through pg_call when C++ objects are alive).
void notify_run(int64 run_id);

// The same for the end of a sweep of CALL numaudit.audit_all: NOTIFY on
// channel "numaudit_sweep" with the sweep's numaudit.sweep_status row as
// JSON, sent with the transaction that closes the sweep.
void notify_sweep(int64 sweep_id);

}  // namespace numaudit::backend

#include "backend/notify.hpp"

#include "backend/settings.hpp"
#include "backend/subtransaction.hpp"

extern "C" {
#include "commands/async.h"
}

namespace numaudit::backend {

namespace {

// The payload: the run row as JSON. It runs with the caller's search_path
// (in CALL audit), so everything is qualified. Nothing is sent from a
// database still at 0.1.0: the new library must not change how those behave
// before ALTER EXTENSION UPDATE (a transaction that sent a NOTIFY cannot be
// prepared for two-phase commit). A payload must stay under 8000 bytes: when
// names, sites or the error make it longer, the sites are left out, the
// customer and error are cut to 500 characters (at most 6 bytes each once
// escaped), and "truncated" says so.
constexpr const char* kPayloadSql = R"SQL(
WITH run AS (
    SELECT r.id AS run_id, r.customer, r.scope, r.sites, r.entry_point, r.status, r.run_by,
           r.started_at, r.finished_at, r.sites_total, r.sites_done, r.added, r.updated,
           r.unchanged, r.skipped, r.conflicts, r.error
      FROM numaudit.audit_run r
     WHERE r.id OPERATOR(pg_catalog.=) $1
       AND EXISTS (SELECT FROM pg_catalog.pg_extension e
                    WHERE e.extname OPERATOR(pg_catalog.=) 'numaudit'
                      AND e.extversion OPERATOR(pg_catalog.<>) '0.1.0')),
payload AS (
    SELECT run, pg_catalog.row_to_json(run)::pg_catalog.text AS whole FROM run)
SELECT CASE WHEN pg_catalog.octet_length(p.whole) OPERATOR(pg_catalog.<) 8000 THEN p.whole
            ELSE pg_catalog.json_build_object(
                     'run_id', (p.run).run_id, 'customer', pg_catalog.left((p.run).customer, 500),
                     'scope', (p.run).scope, 'entry_point', (p.run).entry_point,
                     'status', (p.run).status, 'run_by', pg_catalog.left((p.run).run_by, 64),
                     'started_at', (p.run).started_at, 'finished_at', (p.run).finished_at,
                     'sites_total', (p.run).sites_total, 'sites_done', (p.run).sites_done,
                     'added', (p.run).added, 'updated', (p.run).updated,
                     'unchanged', (p.run).unchanged, 'skipped', (p.run).skipped,
                     'conflicts', (p.run).conflicts, 'error', pg_catalog.left((p.run).error, 500),
                     'truncated', true)::pg_catalog.text
       END
  FROM payload p)SQL";

void send(void* arg) {
    int64 run_id = *static_cast<int64*>(arg);
    Oid types[1] = {INT8OID};
    Datum args[1] = {Int64GetDatum(run_id)};
    // Not read-only: it must see the row as the statements before it left it.
    int rc = SPI_execute_with_args(kPayloadSql, 1, types, args, nullptr, false, 1);
    if (rc < 0)
        elog(ERROR, "numaudit: reading run %lld failed: %s", (long long)run_id,
             SPI_result_code_string(rc));
    if (SPI_processed != 1) return;
    char* payload = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);
    // What NOTIFY does, without pg_notify()'s EXECUTE privilege, which a
    // DBA may have revoked from PUBLIC.
    if (payload) Async_Notify("numaudit", payload);
}

// The sweep's status row; under (a path) cut to 500 characters, so that the
// payload stays under 8000 bytes.
constexpr const char* kSweepPayloadSql = R"SQL(
SELECT pg_catalog.json_build_object(
           'sweep_id', s.sweep_id, 'under', pg_catalog.left(s.under, 500), 'scope', s.scope,
           'incremental', s.incremental, 'older_than', s.older_than, 'status', s.status,
           'started_at', s.started_at, 'finished_at', s.finished_at,
           'started_by', pg_catalog.left(s.started_by, 64), 'customers', s.customers,
           'done', s.done, 'failed', s.failed, 'busy', s.busy, 'skipped', s.skipped,
           'running', s.running, 'left_to_do', s.left_to_do)::pg_catalog.text
  FROM numaudit.sweep_status s
 WHERE s.sweep_id OPERATOR(pg_catalog.=) $1)SQL";

void send_sweep(void* arg) {
    int64 sweep_id = *static_cast<int64*>(arg);
    Oid types[1] = {INT8OID};
    Datum args[1] = {Int64GetDatum(sweep_id)};
    int rc = SPI_execute_with_args(kSweepPayloadSql, 1, types, args, nullptr, false, 1);
    if (rc < 0)
        elog(ERROR, "numaudit: reading sweep %lld failed: %s", (long long)sweep_id,
             SPI_result_code_string(rc));
    if (SPI_processed != 1) return;
    char* payload = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);
    if (payload) Async_Notify("numaudit_sweep", payload);
}

// Runs send in a subtransaction, so that a failure to notify neither fails
// the audit nor hides its own error: what it announces is recorded, a
// WARNING says why listeners will not hear of it. A cancel is not swallowed.
void send_guarded(void (*send)(void*), int64 id, const char* what, const char* channel) {
    ErrorData* edata = in_subtransaction_Unsafe(send, &id);
    if (!edata) return;
    if (edata->sqlerrcode == ERRCODE_QUERY_CANCELED) ReThrowError(edata);
    ereport(WARNING, (errmsg("numaudit: %s %lld is recorded, but NOTIFY %s failed: %s", what,
                             (long long)id, channel, edata->message)));
    FreeErrorData(edata);
}

}  // namespace

void notify_sweep(int64 sweep_id) {
    if (!g_notify) return;
    send_guarded(send_sweep, sweep_id, "sweep", "numaudit_sweep");
}

void notify_run(int64 run_id) {
    if (!g_notify) return;
    send_guarded(send, run_id, "run", "numaudit");
}

}  // namespace numaudit::backend

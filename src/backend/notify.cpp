#include "backend/notify.hpp"

namespace numaudit::backend {

bool g_notify = true;

namespace {

// Runs with the caller's search_path (in CALL audit): everything qualified.
// The payload is the run row as JSON. A NOTIFY payload must stay under 8000
// bytes: when names, sites or the error make it longer, the sites are left
// out, the customer and error are cut to 500 characters (at most 6 bytes each
// once escaped), and "truncated" says so.
constexpr const char* kNotifySql = R"SQL(
WITH run AS (
    SELECT r.id AS run_id, r.customer, r.scope, r.sites, r.entry_point, r.status, r.run_by,
           r.started_at, r.finished_at, r.sites_total, r.sites_done, r.added, r.updated,
           r.unchanged, r.skipped, r.conflicts, r.error
      FROM numaudit.audit_run r
     WHERE r.id OPERATOR(pg_catalog.=) $1),
payload AS (
    SELECT run, pg_catalog.row_to_json(run)::pg_catalog.text AS whole FROM run)
SELECT pg_catalog.pg_notify('numaudit',
       CASE WHEN pg_catalog.octet_length(p.whole) OPERATOR(pg_catalog.<) 8000 THEN p.whole
            ELSE pg_catalog.json_build_object(
                     'run_id', (p.run).run_id, 'customer', pg_catalog.left((p.run).customer, 500),
                     'scope', (p.run).scope, 'sites', NULL, 'entry_point', (p.run).entry_point,
                     'status', (p.run).status, 'run_by', pg_catalog.left((p.run).run_by, 64),
                     'started_at', (p.run).started_at, 'finished_at', (p.run).finished_at,
                     'sites_total', (p.run).sites_total, 'sites_done', (p.run).sites_done,
                     'added', (p.run).added, 'updated', (p.run).updated,
                     'unchanged', (p.run).unchanged, 'skipped', (p.run).skipped,
                     'conflicts', (p.run).conflicts, 'error', pg_catalog.left((p.run).error, 500),
                     'truncated', true)::pg_catalog.text
       END)
  FROM payload p)SQL";

}  // namespace

void notify_run(int64 run_id) {
    if (!g_notify) return;
    Oid types[1] = {INT8OID};
    Datum args[1] = {Int64GetDatum(run_id)};
    int rc = SPI_execute_with_args(kNotifySql, 1, types, args, nullptr, false, 0);
    if (rc < 0)
        elog(ERROR, "numaudit: notifying run %lld failed: %s", (long long)run_id,
             SPI_result_code_string(rc));
}

}  // namespace numaudit::backend

-- Audit a customer's sites, then show the run, its changes, and why a number
-- is in use.
--   psql -d yourdb -v customer=Provider1.ResellerA.Acme -f examples/app/audit_and_report.sql
-- Optional: -v number=1000 (the number to explain; default: the first one
-- the run added or updated). Run it in psql's default autocommit mode, so
-- that the CALL commits site by site.
\set ON_ERROR_STOP on
\if :{?customer}
\else
DO $$ BEGIN RAISE 'usage: psql -v customer=PATH_OR_NAME [-v number=NUMBER] -f audit_and_report.sql'; END $$;
\endif

CALL numaudit.audit(:'customer', 'site');

-- This session's latest run.
SELECT numaudit.last_run_id() AS run_id \gset

\echo 'The run:'
SELECT id, customer, scope, entry_point, status, sites_done, sites_total,
       added, updated, unchanged, skipped, conflicts, run_by, started_at, finished_at, error
  FROM numaudit.audit_run
 WHERE id = :run_id;

\echo 'Its changes:'
SELECT hierarchy, site, internal_number, action, old_status, old_usage,
       new_status, new_usage, detail
  FROM numaudit.audit_change
 WHERE run_id = :run_id
 ORDER BY id;

\if :{?number}
\else
-- \gset leaves the variable unset when the value is NULL (nothing changed).
SELECT (SELECT internal_number FROM numaudit.audit_change
         WHERE run_id = :run_id AND action IN ('added', 'updated')
         ORDER BY id LIMIT 1) AS number \gset
\endif
\if :{?number}
\echo 'Why' :number 'has its status and usage (numaudit.uses):'
SELECT * FROM numaudit.uses(:'customer', :'number');
\else
\echo 'The run added or updated no entry.'
\endif

-- History (SPEC §1.6) and what an audit writes (SPEC §3): audit_run and
-- audit_change after run(); dry runs write nothing and report what a real
-- run then does; a second run writes nothing; entries are never deleted,
-- descriptions never changed, updated_at set on changed rows only.
SET client_min_messages = warning;
DROP EXTENSION IF EXISTS numaudit CASCADE;
CREATE EXTENSION numaudit;
RESET client_min_messages;

-- H > R > Acme (flat) with sites London and Paris; H > R > Tidy (flat) with
-- site Oslo, whose inventory needs nothing.
INSERT INTO numaudit.hierarchy (id, parent_id, name, kind, dial_plan) VALUES
    (1, NULL, 'H',      'provider', 'flat'),
    (2, 1,    'R',      'reseller', 'flat'),
    (3, 2,    'Acme',   'customer', 'flat'),
    (4, 3,    'London', 'site',     'flat'),
    (5, 3,    'Paris',  'site',     'flat'),
    (6, 2,    'Tidy',   'customer', 'flat'),
    (7, 6,    'Oslo',   'site',     'flat');
INSERT INTO numaudit.device (id, hierarchy_id, cluster, kind, name) VALUES
    (1, 4, 'CL1', 'phone',          'SEP000000000001'),
    (2, 5, 'CL1', 'device_profile', 'DP-bob'),
    (3, 5, 'CL1', 'phone',          'SEP000000000002'),
    (4, 7, 'CL1', 'phone',          'SEP000000000003');
INSERT INTO numaudit.device_line (device_id, line_index, pattern, partition) VALUES
    (1, 1, '1001', 'PT_A'),
    (1, 2, '1002', 'PT_A'),
    (2, 1, '2001', 'PT_A'),
    (3, 1, '\+4420001', 'PT_E164'),
    (4, 1, '7001', '');
INSERT INTO numaudit.service (id, hierarchy_id, cluster, kind, name, pattern) VALUES
    (1, 3, 'CL1', 'hunt_pilot', 'HP-Acme', '1900'),
    (2, 4, 'CL1', 'call_park',  'CP',      '10XX');
-- Every entry starts with an old updated_at, so that a changed one shows.
INSERT INTO numaudit.number (id, hierarchy_id, internal_number, status, usage, description, updated_at) VALUES
    (1, 4, '1001', 'Available', NULL,         'reception',       '2000-01-01 00:00:00+00'),
    (2, 4, '1002', 'Used',      'Device',     'desk',            '2000-01-01 00:00:00+00'),
    (3, 4, '1003', 'Used',      'Device',     'phone long gone', '2000-01-01 00:00:00+00'),
    (4, 5, '2001', 'Reserved',  NULL,         'VIP',             '2000-01-01 00:00:00+00'),
    (5, 5, '2002', 'Cooling',   NULL,         NULL,              '2000-01-01 00:00:00+00'),
    (6, 3, '1900', 'Available', NULL,         'main hunt group', '2000-01-01 00:00:00+00'),
    (7, 3, '3000', 'Used',      'Hunt_Pilot', 'old hunt group',  '2000-01-01 00:00:00+00'),
    (8, 7, '7001', 'Used',      'Device',     NULL,              '2000-01-01 00:00:00+00'),
    (9, 7, '7002', 'Available', NULL,         'spare',           '2000-01-01 00:00:00+00');
-- As a loader that supplies ids does, move the identity past them.
SELECT setval(pg_get_serial_sequence('numaudit.number', 'id'), max(id)) FROM numaudit.number;

-- What was loaded, to check later that nothing but status, usage and
-- updated_at ever changes and that no entry is deleted.
CREATE TEMP TABLE loaded AS SELECT id, hierarchy_id, internal_number, description FROM numaudit.number;
-- The inventory row by row, with its tuple version (xmin): an audit that
-- writes a row, even with the same values, gives it a new xmin.
CREATE FUNCTION pg_temp.inventory()
    RETURNS TABLE (id bigint, status text, usage text, updated_at timestamptz, tuple_version text)
    LANGUAGE sql AS
    $$ SELECT n.id, n.status, n.usage, n.updated_at, n.xmin::text FROM numaudit.number n $$;
CREATE TEMP TABLE before_dry AS SELECT * FROM pg_temp.inventory();

--
-- A dry run: the rows of a real run, and nothing written.
--
CREATE TEMP TABLE dry AS
SELECT row_number() OVER () AS n, r.*
  FROM numaudit.run('H.R.Acme', 'site', dry_run => true) AS r;
SELECT * FROM dry ORDER BY n;
SELECT count(*) AS audit_runs FROM numaudit.audit_run;
SELECT count(*) AS audit_changes FROM numaudit.audit_change;
SELECT count(*) AS inventory_rows_changed
  FROM (SELECT * FROM pg_temp.inventory() EXCEPT SELECT * FROM before_dry) AS x;
SELECT (SELECT count(*) FROM numaudit.number) = (SELECT count(*) FROM before_dry) AS same_entries;

--
-- The real run, in an explicit transaction so that now() is the run's.
--
BEGIN;
CREATE TEMP TABLE real1 AS
SELECT row_number() OVER () AS n, r.*
  FROM numaudit.run('H.R.Acme', 'site') AS r;
-- updated_at is now() on every changed row, and only on those.
SELECT n.id, h.name, n.internal_number, n.status, n.usage,
       CASE WHEN n.updated_at = now() THEN 'now'
            WHEN n.updated_at = '2000-01-01 00:00:00+00' THEN 'as loaded'
            ELSE 'other' END AS updated_at
  FROM numaudit.number n JOIN numaudit.hierarchy h ON h.id = n.hierarchy_id
 ORDER BY n.id;
COMMIT;
-- The real run returned exactly what the dry run promised, in the same order.
SELECT (SELECT array_agg(d ORDER BY d.n)::text FROM dry d)
     = (SELECT array_agg(r ORDER BY r.n)::text FROM real1 r) AS dry_run_matches;
SELECT count(*) AS real_rows FROM real1;

-- One audit_run row.
SELECT id, customer, scope, sites, status, error, run_by = current_user AS run_by_me,
       sites_total, sites_done, added, updated, unchanged, skipped, conflicts,
       started_at <= finished_at AS finished_after_start, entry_point, current_site
  FROM numaudit.audit_run ORDER BY id;
-- One audit_change row per returned row, with the same columns.
SELECT run_id, hierarchy, site, internal_number, action, old_status, old_usage,
       new_status, new_usage, detail
  FROM numaudit.audit_change ORDER BY id;
SELECT count(*) AS changes_not_returned FROM (
    SELECT hierarchy, site, internal_number, action, old_status, old_usage, new_status, new_usage, detail
      FROM numaudit.audit_change WHERE run_id = 1
    EXCEPT ALL
    SELECT hierarchy, site, internal_number, action, old_status, old_usage, new_status, new_usage, detail
      FROM real1) AS x;
SELECT count(*) AS returned_not_recorded FROM (
    SELECT hierarchy, site, internal_number, action, old_status, old_usage, new_status, new_usage, detail
      FROM real1
    EXCEPT ALL
    SELECT hierarchy, site, internal_number, action, old_status, old_usage, new_status, new_usage, detail
      FROM numaudit.audit_change WHERE run_id = 1) AS x;
--
-- The same audit again: only the skips are reported again (the Reserved
-- entry still in use, the wildcard pattern), nothing is added or updated,
-- and no inventory tuple is written.
--
CREATE TEMP TABLE before_rerun AS SELECT * FROM pg_temp.inventory();
SELECT hierarchy, site, internal_number, action, old_status, old_usage, new_status, new_usage, detail
  FROM numaudit.run('H.R.Acme', 'site');
SELECT count(*) AS inventory_rows_written
  FROM (SELECT * FROM pg_temp.inventory() EXCEPT SELECT * FROM before_rerun) AS x;
SELECT (SELECT count(*) FROM numaudit.number) = (SELECT count(*) FROM before_rerun) AS same_entries;
SELECT id, customer, scope, sites, status, sites_total, sites_done,
       added, updated, unchanged, skipped, conflicts
  FROM numaudit.audit_run WHERE id = 2;
SELECT action, count(*) FROM numaudit.audit_change WHERE run_id = 2 GROUP BY action ORDER BY action;

-- A customer whose inventory needs nothing: no rows at all, and no tuple
-- written; its history row counts the unchanged entries.
CREATE TEMP TABLE before_tidy AS SELECT * FROM pg_temp.inventory();
SELECT * FROM numaudit.run('Tidy', 'customer');
SELECT * FROM numaudit.run('Tidy', 'site');
SELECT count(*) AS inventory_rows_written
  FROM (SELECT * FROM pg_temp.inventory() EXCEPT SELECT * FROM before_tidy) AS x;
SELECT id, customer, scope, sites, status, sites_total, sites_done,
       added, updated, unchanged, skipped, conflicts
  FROM numaudit.audit_run WHERE customer = 'H.R.Tidy' ORDER BY id;
SELECT count(*) AS tidy_changes
  FROM numaudit.audit_change c JOIN numaudit.audit_run r ON r.id = c.run_id
 WHERE r.customer = 'H.R.Tidy';

--
-- Scope customer: the customer-level entries now (1900 is used by the
-- customer's hunt pilot; 3000 by nothing any more), in a dry run first.
--
CREATE TEMP TABLE before_customer AS SELECT * FROM pg_temp.inventory();
CREATE TEMP TABLE dry2 AS
SELECT row_number() OVER () AS n, r.*
  FROM numaudit.run('Acme', 'Customer', dry_run => true) AS r;
SELECT * FROM dry2 ORDER BY n;
SELECT count(*) AS inventory_rows_written
  FROM (SELECT * FROM pg_temp.inventory() EXCEPT SELECT * FROM before_customer) AS x;
SELECT count(*) AS audit_runs FROM numaudit.audit_run;
CREATE TEMP TABLE real2 AS
SELECT row_number() OVER () AS n, r.*
  FROM numaudit.run('Acme', 'Customer') AS r;
SELECT (SELECT array_agg(d ORDER BY d.n)::text FROM dry2 d)
     = (SELECT array_agg(r ORDER BY r.n)::text FROM real2 r) AS dry_run_matches;
-- Only the two changed entries were written.
SELECT b.id, b.status AS old_status, i.status AS new_status, i.usage AS new_usage,
       i.updated_at > b.updated_at AS updated_at_moved
  FROM before_customer b JOIN pg_temp.inventory() i ON i.id = b.id
 WHERE (b.*) IS DISTINCT FROM (i.*)
 ORDER BY b.id;
-- The bare name is recorded as the customer's path; sites_total is the
-- customer's site count.
SELECT id, customer, scope, sites, status, error, sites_total, sites_done,
       added, updated, unchanged, skipped, conflicts, started_at <= finished_at AS finished_after_start
  FROM numaudit.audit_run WHERE id = (SELECT max(id) FROM numaudit.audit_run);
SELECT hierarchy, site, internal_number, action, old_status, old_usage, new_status, new_usage, detail
  FROM numaudit.audit_change WHERE run_id = (SELECT max(id) FROM numaudit.audit_run)
 ORDER BY id;

--
-- Named sites are recorded as given.
--
SELECT hierarchy, site, internal_number, action
  FROM numaudit.run('H.R.Acme', 'site', ARRAY['Paris', 'London']);
SELECT customer, scope, sites, sites_total, sites_done, added, updated, unchanged, skipped
  FROM numaudit.audit_run WHERE id = (SELECT max(id) FROM numaudit.audit_run);

--
-- A run whose transaction rolls back leaves no history and no change.
--
UPDATE numaudit.number SET status = 'Used', usage = 'Device' WHERE id = 9;  -- Tidy.Oslo 7002
CREATE TEMP TABLE before_rollback AS SELECT * FROM pg_temp.inventory();
SELECT count(*) AS runs_before FROM numaudit.audit_run \gset
BEGIN;
SELECT hierarchy, internal_number, action, new_status FROM numaudit.run('Tidy', 'site');
SELECT count(*) - :runs_before AS new_runs_inside FROM numaudit.audit_run;
ROLLBACK;
SELECT count(*) - :runs_before AS new_runs_after FROM numaudit.audit_run;
SELECT count(*) AS inventory_rows_written
  FROM (SELECT * FROM pg_temp.inventory() EXCEPT SELECT * FROM before_rollback) AS x;

--
-- Never deleted, never anything but status, usage and updated_at changed.
--
SELECT count(*) AS entries_lost
  FROM loaded l LEFT JOIN numaudit.number n ON n.id = l.id
 WHERE n.id IS NULL;
SELECT count(*) AS entries_altered
  FROM loaded l JOIN numaudit.number n ON n.id = l.id
 WHERE (l.hierarchy_id, l.internal_number, l.description)
       IS DISTINCT FROM (n.hierarchy_id, n.internal_number, n.description);
SELECT n.id, h.name, n.internal_number, n.status, n.usage, n.description
  FROM numaudit.number n JOIN numaudit.hierarchy h ON h.id = n.hierarchy_id
 ORDER BY n.id;
-- The description of an entry the audit changes stays as it was, also when
-- an application just set it.
UPDATE numaudit.number SET status = 'Available', description = 'set by the application'
 WHERE id = 2;  -- London 1002, in use
SELECT hierarchy, internal_number, action, old_status, new_status, new_usage
  FROM numaudit.run('H.R.Acme', 'site', ARRAY['London']);
SELECT id, status, usage, description FROM numaudit.number WHERE id = 2;

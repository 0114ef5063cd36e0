-- CALL numaudit.audit (SPEC §2): the committing procedure. Its result in the
-- inventory and history, its NOTICE summary, conflicts and "held at
-- customer level" skips reported once per run, running inside a transaction
-- block, and a failing site.
SET client_min_messages = warning;
DROP EXTENSION IF EXISTS numaudit CASCADE;
CREATE EXTENSION numaudit;
RESET client_min_messages;
\set SHOW_CONTEXT never

-- P > R > Acme (flat): London, Paris, Rome.  P > R > Globex (slc): A_small,
-- B_big, C_after.
INSERT INTO numaudit.hierarchy (id, parent_id, name, kind, dial_plan, site_location_code) VALUES
    (1,  NULL, 'P',       'provider', 'flat', NULL),
    (2,  1,    'R',       'reseller', 'flat', NULL),
    (3,  2,    'Acme',    'customer', 'flat', NULL),
    (4,  3,    'London',  'site',     'flat', NULL),
    (5,  3,    'Paris',   'site',     'flat', NULL),
    (6,  3,    'Rome',    'site',     'flat', NULL),
    (7,  2,    'Globex',  'customer', 'slc',  NULL),
    (8,  7,    'A_small', 'site',     'flat', '10'),
    (9,  7,    'B_big',   'site',     'flat', '20'),
    (10, 7,    'C_after', 'site',     'flat', '30');

-- Acme: phone SEP0000000000AA is configured in CL1 (London) and CL2 (Paris):
-- a duplicate device, its number 1005 left alone. Number 2001 is a London
-- phone line in CL1 and Rome's hunt pilot in CL2: a number in two clusters.
-- 1900 is the customer's hunt pilot and a line of phones at Paris and Rome;
-- the customer holds its entry, so neither site gets one.
INSERT INTO numaudit.device (id, hierarchy_id, cluster, kind, name) VALUES
    (1, 4, 'CL1', 'phone',          'SEP0000000000AA'),
    (2, 5, 'CL2', 'phone',          'SEP0000000000AA'),
    (3, 4, 'CL1', 'phone',          'SEP0000000000BB'),
    (4, 4, 'CL1', 'phone',          'SEP0000000000CC'),
    (5, 5, 'CL1', 'device_profile', 'DP-paris'),
    (6, 5, 'CL1', 'phone',          'SEP0000000000DD'),
    (7, 6, 'CL1', 'phone',          'SEP0000000000EE'),
    (20, 8,  'CL9', 'phone', 'SEP0000000000A1'),
    (21, 10, 'CL9', 'phone', 'SEP0000000000C1');
INSERT INTO numaudit.device_line (device_id, line_index, pattern) VALUES
    (1, 1, '1005'), (2, 1, '1005'),
    (3, 1, '2001'),
    (4, 1, '1001'),
    (5, 1, '3001'),
    (6, 1, '1900'),
    (7, 1, '1900'),
    (20, 1, '101'),
    (21, 1, '301');
INSERT INTO numaudit.service (id, hierarchy_id, cluster, kind, name, pattern) VALUES
    (1, 6, 'CL2', 'hunt_pilot',   'HP-Rome', '2001'),
    (2, 3, 'CL1', 'hunt_pilot',   'HP-Acme', '1900'),
    (3, 3, 'CL1', 'call_handler', 'CH-Acme', '1800');
-- B_big: enough services that its audit needs well over 1 MB.
INSERT INTO numaudit.service (id, hierarchy_id, cluster, kind, name, pattern)
SELECT 1000 + i, 9, 'CL9', 'hunt_pilot', 'HP-big-' || i, (200000 + i)::text
  FROM generate_series(1, 30000) AS i;
INSERT INTO numaudit.number (id, hierarchy_id, internal_number, status, usage, description) VALUES
    (1,  4,  '1001', 'Available',    NULL,         'London reception'),
    (2,  4,  '1005', 'Available',    NULL,         'in a conflict'),
    (3,  4,  '2001', 'Available',    NULL,         'in a conflict'),
    (4,  5,  '9999', 'Used',         'Device',     'nobody uses it'),
    (5,  6,  '1002', 'Reserved',     NULL,         'kept for the mayor'),
    (6,  3,  '1900', 'Used-Utility', 'Hunt_Pilot', 'main number'),
    (7,  3,  '1700', 'Used',         'Device',     'old'),
    (10, 8,  '101',  'Available',    NULL,         NULL),
    (11, 9,  '200001', 'Available',  NULL,         NULL),
    (12, 10, '301',  'Available',    NULL,         NULL);
-- As a loader that supplies ids does, move the identity past them.
SELECT setval(pg_get_serial_sequence('numaudit.number', 'id'), max(id)) FROM numaudit.number;

CREATE FUNCTION pg_temp.acme() RETURNS TABLE (name text, internal_number text, status text, usage text)
    LANGUAGE sql AS $$
    SELECT h.name, n.internal_number, n.status, n.usage
      FROM numaudit.number n JOIN numaudit.hierarchy h ON h.id = n.hierarchy_id
     WHERE h.id BETWEEN 3 AND 6
     ORDER BY h.id, n.internal_number $$;

--
-- Scope site, all sites. First what run() would report (a dry run), then
-- the procedure, which commits site by site.
--
CREATE TEMP TABLE dry AS SELECT * FROM numaudit.run('P.R.Acme', 'site', dry_run => true);
SELECT * FROM dry;
SELECT count(*) AS runs FROM numaudit.audit_run;
CALL numaudit.audit('P.R.Acme', 'site');
SELECT id, customer, scope, sites, status, error, run_by = current_user AS run_by_me,
       sites_total, sites_done, added, updated, unchanged, skipped, conflicts,
       started_at <= finished_at AS finished_after_start, entry_point, current_site
  FROM numaudit.audit_run ORDER BY id;
-- The conflicts (found by the first site, London) and the 1900 skip (Paris)
-- are recorded once, not again by the later sites.
SELECT run_id, hierarchy, site, internal_number, action, old_status, old_usage,
       new_status, new_usage, detail
  FROM numaudit.audit_change ORDER BY hierarchy, internal_number NULLS FIRST, action;
-- The procedure reported exactly the rows of the dry run.
SELECT count(*) AS recorded_not_in_dry_run FROM (
    SELECT hierarchy, site, internal_number, action, old_status, old_usage, new_status, new_usage, detail
      FROM numaudit.audit_change WHERE run_id = 1
    EXCEPT ALL SELECT * FROM dry) AS x;
SELECT count(*) AS dry_run_not_recorded FROM (
    SELECT * FROM dry
    EXCEPT ALL
    SELECT hierarchy, site, internal_number, action, old_status, old_usage, new_status, new_usage, detail
      FROM numaudit.audit_change WHERE run_id = 1) AS x;
SELECT * FROM pg_temp.acme();

--
-- Scope customer: one unit; the customer-level entries too (1900 is used
-- by the hunt pilot and by phones: Used, Device,Hunt_Pilot; 1700 by nothing;
-- 1800, the call handler, has no entry anywhere: added).
--
CALL numaudit.audit('Acme', 'customer');
SELECT id, customer, scope, sites, status, error, sites_total, sites_done,
       added, updated, unchanged, skipped, conflicts,
       started_at <= finished_at AS finished_after_start, entry_point, current_site
  FROM numaudit.audit_run WHERE id = 2;
SELECT hierarchy, site, internal_number, action, old_status, old_usage, new_status, new_usage, detail
  FROM numaudit.audit_change WHERE run_id = 2
 ORDER BY hierarchy, internal_number NULLS FIRST, action;
SELECT * FROM pg_temp.acme();

--
-- Inside a transaction block the procedure cannot commit: it runs in the
-- caller's transaction, which a ROLLBACK undoes completely.
--
UPDATE numaudit.number SET status = 'Available', usage = NULL WHERE internal_number = '3001';
SELECT count(*) AS runs_before FROM numaudit.audit_run \gset
BEGIN;
CALL numaudit.audit('P.R.Acme', 'site', ARRAY['Rome', 'Paris']);
SELECT status, sites, sites_total, sites_done, added, updated, unchanged, skipped, conflicts
  FROM numaudit.audit_run WHERE id = (SELECT max(id) FROM numaudit.audit_run);
SELECT status, usage FROM numaudit.number WHERE internal_number = '3001';
ROLLBACK;
SELECT count(*) - :runs_before AS new_runs FROM numaudit.audit_run;
SELECT status, usage FROM numaudit.number WHERE internal_number = '3001';
BEGIN;
CALL numaudit.audit('P.R.Acme', 'site', ARRAY['Rome', 'Paris']);
COMMIT;
SELECT id, customer, scope, sites, status, sites_total, sites_done,
       added, updated, unchanged, skipped, conflicts, entry_point, current_site
  FROM numaudit.audit_run WHERE id = (SELECT max(id) FROM numaudit.audit_run);
-- the conflicts, reported by Paris, are not reported again by Rome
SELECT hierarchy, site, internal_number, action, detail
  FROM numaudit.audit_change WHERE run_id = (SELECT max(id) FROM numaudit.audit_run)
 ORDER BY hierarchy, internal_number NULLS FIRST, action;
SELECT status, usage FROM numaudit.number WHERE internal_number = '3001';

--
-- A failing site. With numaudit.max_memory = 1 (MB), Globex's A_small is
-- audited and committed, B_big needs too much memory and fails; the run is
-- marked failed, naming the site and the SQLSTATE; C_after is not reached.
--
SET numaudit.max_memory = 1;
-- run() fails the same way, all or nothing
SELECT count(*) FROM numaudit.run('Globex', 'site', ARRAY['A_small', 'B_big']);
\echo :LAST_ERROR_SQLSTATE
SELECT count(*) AS runs FROM numaudit.audit_run WHERE customer = 'P.R.Globex';
SELECT h.name, n.internal_number, n.status, n.usage
  FROM numaudit.number n JOIN numaudit.hierarchy h ON h.id = n.hierarchy_id
 WHERE h.parent_id = 7 ORDER BY h.name;
CALL numaudit.audit('Globex', 'site');
\echo :LAST_ERROR_SQLSTATE
SELECT 1 AS session_still_works;
SELECT customer, scope, sites, status, error, sites_total, sites_done,
       added, updated, unchanged, skipped, conflicts,
       started_at <= finished_at AS finished_after_start, entry_point, current_site
  FROM numaudit.audit_run WHERE customer = 'P.R.Globex';
-- A_small's work was committed; B_big and C_after are as they were.
SELECT h.name, n.internal_number, n.status, n.usage
  FROM numaudit.number n JOIN numaudit.hierarchy h ON h.id = n.hierarchy_id
 WHERE h.parent_id = 7 ORDER BY h.name;
SELECT c.hierarchy, c.site, c.internal_number, c.action, c.old_status, c.new_status, c.new_usage
  FROM numaudit.audit_change c JOIN numaudit.audit_run r ON r.id = c.run_id
 WHERE r.customer = 'P.R.Globex' ORDER BY c.id;

-- With the limit lifted the rest is audited, in this same session.
RESET numaudit.max_memory;
CALL numaudit.audit('Globex', 'site', ARRAY['C_after', 'B_big']);
SELECT customer, scope, sites, status, error, sites_total, sites_done,
       added, updated, unchanged, skipped, conflicts, current_site
  FROM numaudit.audit_run WHERE customer = 'P.R.Globex' ORDER BY id;
SELECT h.name, n.internal_number, n.status, n.usage
  FROM numaudit.number n JOIN numaudit.hierarchy h ON h.id = n.hierarchy_id
 WHERE h.parent_id = 7 AND n.internal_number IN ('101', '200001', '301') ORDER BY h.name;
SELECT count(*) AS b_big_entries FROM numaudit.number WHERE hierarchy_id = 9;

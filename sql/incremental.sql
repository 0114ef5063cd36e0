-- Incremental audits (SPEC §4) in one session: no baseline (NOTICE, mode
-- full), then only what changed, for every kind of change the triggers track
-- (device lines, devices, services, inventory entries, COPY, replica role, a
-- role with only DML grants) and the changes that drop a baseline (hierarchy,
-- usage_kind, TRUNCATE); dry runs consume nothing; chosen sites are always
-- full; both scopes; bad arguments; CALL numaudit.audit.
--
-- incr(customer, scope) runs the real incremental audit and shows its rows,
-- each with in_full: whether a dry full run of the same scope just before
-- reports the same row (it must: an incremental audit reports the full
-- audit's rows for what changed). After it, `last` shows the run's mode and
-- counts and `converged` what a full audit of either scope would still add
-- or update (nothing: the inventory is what a full audit leaves).
SET client_min_messages = warning;
DROP EXTENSION IF EXISTS numaudit CASCADE;
CREATE EXTENSION numaudit;
RESET client_min_messages;
\set SHOW_CONTEXT never
\set VERBOSITY default

CREATE FUNCTION pg_temp.incr(c text, s text)
    RETURNS TABLE (hierarchy text, internal_number text, action text, old_status text,
                   old_usage text, new_status text, new_usage text, detail text, in_full boolean)
    LANGUAGE plpgsql AS $$
DECLARE
    full_rows text[];
BEGIN
    SELECT coalesce(array_agg(r::text), '{}') INTO full_rows
      FROM numaudit.run(c, s, dry_run => true) r;
    RETURN QUERY
    SELECT r.hierarchy, r.internal_number, r.action, r.old_status, r.old_usage, r.new_status,
           r.new_usage, r.detail, r::text = ANY (full_rows)
      FROM numaudit.run(c, s, incremental => true) r
     ORDER BY 1, 2, 3;
END
$$;
\set last 'SELECT customer, scope, sites, entry_point, mode, added, updated, unchanged, skipped, conflicts FROM numaudit.audit_run ORDER BY id DESC LIMIT 1;'
\set converged 'SELECT ''customer'' AS scope, hierarchy, internal_number, action, new_status, new_usage FROM numaudit.run(''Acme'', ''customer'', dry_run => true) WHERE action IN (''added'', ''updated'') UNION ALL SELECT ''site'', hierarchy, internal_number, action, new_status, new_usage FROM numaudit.run(''Acme'', ''site'', dry_run => true) WHERE action IN (''added'', ''updated'') ORDER BY 1, 2, 3;'
\set tracking 'SELECT customer, scope, baseline_mode, pending, next_audit FROM numaudit.tracking ORDER BY customer, scope;'

-- P > R > Acme (flat): London, Paris.  P > R > Globex (flat): Oslo.
INSERT INTO numaudit.hierarchy (id, parent_id, name, kind) VALUES
    (1, NULL, 'P', 'provider'), (2, 1, 'R', 'reseller'),
    (3, 2, 'Acme', 'customer'), (4, 3, 'London', 'site'), (5, 3, 'Paris', 'site'),
    (7, 2, 'Globex', 'customer'), (8, 7, 'Oslo', 'site');
INSERT INTO numaudit.device (id, hierarchy_id, cluster, kind, name) VALUES
    (1, 4, 'CL1', 'phone', 'SEP0000000000A1'),
    (2, 4, 'CL1', 'phone', 'SEP0000000000A2'),
    (3, 5, 'CL1', 'device_profile', 'DP-paris'),
    (9, 8, 'CL1', 'phone', 'SEP0000000000G1');
INSERT INTO numaudit.device_line (device_id, line_index, pattern) VALUES
    (1, 1, '1001'), (1, 2, '1002'), (2, 1, '1003'), (3, 1, '2001'), (9, 1, '7001');
INSERT INTO numaudit.service (id, hierarchy_id, cluster, kind, name, pattern) VALUES
    (1, 4, 'CL1', 'hunt_pilot', 'HP-London', '1000'),
    (2, 3, 'CL1', 'voicemail_pilot', 'VM', '\+4420');
INSERT INTO numaudit.number (id, hierarchy_id, internal_number, status, usage) VALUES
    (1, 4, '1000', 'Available', NULL),
    (2, 4, '1001', 'Used', 'Device'),
    (3, 4, '1002', 'Used', 'Device'),
    (4, 4, '1003', 'Used', 'Device'),
    (5, 5, '2001', 'Used', 'Device'),
    (6, 3, '+4420', 'Used-Utility', 'Voicemail_Pilot'),
    (7, 5, '2999', 'Used', 'Device'),
    (8, 8, '7001', 'Used', 'Device');
ALTER TABLE numaudit.number ALTER COLUMN id RESTART WITH 100;

-- Tracking began with the extension: every customer's changes so far are
-- whole marks, and no scope has a baseline.
:tracking

--
-- No baseline: a NOTICE, a full audit (mode full), which becomes the baseline.
--
SELECT * FROM pg_temp.incr('Acme', 'customer');
:last
:tracking
-- Nothing changed since: an incremental audit with nothing to do.
SELECT * FROM pg_temp.incr('Acme', 'customer');
:last

--
-- device_line: insert, update, delete.
--
INSERT INTO numaudit.device_line (device_id, line_index, pattern) VALUES (2, 2, '1004');
:tracking
SELECT * FROM pg_temp.incr('Acme', 'customer');
:last
:tracking
UPDATE numaudit.device_line SET pattern = ' 1005' WHERE device_id = 2 AND line_index = 2;
SELECT * FROM pg_temp.incr('Acme', 'customer');
DELETE FROM numaudit.device_line WHERE device_id = 1 AND line_index = 2;
SELECT * FROM pg_temp.incr('Acme', 'customer');
:last
-- A line moved to a device of another customer: both customers change.
SELECT * FROM pg_temp.incr('Globex', 'customer');
UPDATE numaudit.device_line SET device_id = 9, line_index = 2 WHERE device_id = 2 AND line_index = 2;
:tracking
SELECT * FROM pg_temp.incr('Acme', 'customer');
SELECT * FROM pg_temp.incr('Globex', 'customer');
:converged

--
-- device: rename, a copy in another cluster (the duplicate-device rule),
-- cluster change, move to another site and to another customer, delete
-- (its lines go by cascade).
--
-- A copy of SEP0000000000A1 in CL2 at Paris, with a line 2002: the device is
-- configured twice, so all numbers of both copies are conflicts.
INSERT INTO numaudit.device (id, hierarchy_id, cluster, kind, name) VALUES (4, 5, 'CL2', 'phone', 'SEP0000000000A1');
INSERT INTO numaudit.device_line (device_id, line_index, pattern) VALUES (4, 1, '2002');
SELECT * FROM pg_temp.incr('Acme', 'customer');
:last
-- Renaming the copy ends the duplicate: both copies' numbers are decided again.
UPDATE numaudit.device SET name = 'SEP0000000000B4' WHERE id = 4;
SELECT * FROM pg_temp.incr('Acme', 'customer');
:last
-- Renamed back and moved to cluster CL3 in one update: a duplicate again
-- (CL1, CL3); then back to CL1 under its new name: no duplicate.
UPDATE numaudit.device SET name = 'SEP0000000000A1', cluster = 'CL3' WHERE id = 4;
SELECT * FROM pg_temp.incr('Acme', 'customer');
UPDATE numaudit.device SET cluster = 'CL1', name = 'SEP0000000000B4' WHERE id = 4;
SELECT * FROM pg_temp.incr('Acme', 'customer');
:converged
-- A copy without lines is no use, so no duplicate yet. A line's marks bring
-- the other lines of its device only while its key has more than one
-- device: the copy's first line starts the duplicate (its numbers are left
-- as they are, so 1001 set Available meanwhile stays so), its last line
-- removed ends it, and 1001, not marked since, is decided again. A line
-- added to a device without copies re-checks that number only.
INSERT INTO numaudit.device (id, hierarchy_id, cluster, kind, name) VALUES (5, 5, 'CL2', 'phone', 'SEP0000000000A1');
SELECT * FROM pg_temp.incr('Acme', 'customer');
INSERT INTO numaudit.device_line (device_id, line_index, pattern) VALUES (5, 1, '2003');
SELECT * FROM pg_temp.incr('Acme', 'customer');
UPDATE numaudit.number SET status = 'Available', usage = NULL WHERE hierarchy_id = 4 AND internal_number = '1001';
SELECT * FROM pg_temp.incr('Acme', 'customer');
DELETE FROM numaudit.device_line WHERE device_id = 5;
SELECT * FROM pg_temp.incr('Acme', 'customer');
DELETE FROM numaudit.device WHERE id = 5;
INSERT INTO numaudit.device_line (device_id, line_index, pattern) VALUES (2, 2, '1004');
SELECT * FROM pg_temp.incr('Acme', 'customer');
DELETE FROM numaudit.device_line WHERE device_id = 2 AND line_index = 2;
SELECT * FROM pg_temp.incr('Acme', 'customer');
:converged
-- A device moved to another site (flat: its numbers still count everywhere).
UPDATE numaudit.device SET hierarchy_id = 5 WHERE id = 2;
SELECT * FROM pg_temp.incr('Acme', 'customer');
-- ... and to another customer: Acme's 1003 is unused, Globex gains 1003.
UPDATE numaudit.device SET hierarchy_id = 8 WHERE id = 2;
SELECT * FROM pg_temp.incr('Acme', 'customer');
SELECT * FROM pg_temp.incr('Globex', 'customer');
-- A device deleted: its lines go by cascade, their numbers are unused.
DELETE FROM numaudit.device WHERE id = 4;
:tracking
SELECT * FROM pg_temp.incr('Acme', 'customer');
:last
:converged

--
-- service: a new pattern, a move into another cluster (a number in two
-- clusters is a conflict), a delete.
--
UPDATE numaudit.service SET pattern = '1009' WHERE id = 1;
SELECT * FROM pg_temp.incr('Acme', 'customer');
INSERT INTO numaudit.service (id, hierarchy_id, cluster, kind, name, pattern) VALUES
    (3, 5, 'CL2', 'call_park', 'CP-Paris', '2001');
SELECT * FROM pg_temp.incr('Acme', 'customer');
UPDATE numaudit.service SET cluster = 'CL1' WHERE id = 3;
SELECT * FROM pg_temp.incr('Acme', 'customer');
DELETE FROM numaudit.service WHERE id = 3;
SELECT * FROM pg_temp.incr('Acme', 'customer');
:converged

--
-- Inventory entries edited by an application: a status, a renumbering, a
-- delete, an insert, a move to another site.
--
UPDATE numaudit.number SET status = 'Available', usage = NULL WHERE hierarchy_id = 4 AND internal_number = '1001';
UPDATE numaudit.number SET internal_number = '1099' WHERE hierarchy_id = 5 AND internal_number = '2999';
SELECT * FROM pg_temp.incr('Acme', 'customer');
DELETE FROM numaudit.number WHERE hierarchy_id = 5 AND internal_number = '2001';
INSERT INTO numaudit.number (hierarchy_id, internal_number, status, usage) VALUES (5, '2050', 'Used', 'Device');
SELECT * FROM pg_temp.incr('Acme', 'customer');
UPDATE numaudit.number SET hierarchy_id = 5 WHERE hierarchy_id = 4 AND internal_number = '1009';
SELECT * FROM pg_temp.incr('Acme', 'customer');
:last
:converged

--
-- COPY fires the tracking triggers as INSERT does.
--
COPY numaudit.device_line (device_id, line_index, pattern) FROM STDIN;
1	3	1011
1	4	1012
\.
COPY numaudit.number (hierarchy_id, internal_number, status) FROM STDIN;
4	1011	Reserved
\.
SELECT * FROM pg_temp.incr('Acme', 'customer');

--
-- Logical-replication apply and restores with session_replication_role =
-- replica: the triggers fire ALWAYS.
--
SET session_replication_role = replica;
INSERT INTO numaudit.device_line (device_id, line_index, pattern) VALUES (1, 5, '1013');
RESET session_replication_role;
SELECT * FROM pg_temp.incr('Acme', 'customer');

--
-- A role with only DML grants on the tables (no grant on the tracking
-- tables): its changes are tracked (SECURITY DEFINER triggers).
--
SET client_min_messages = warning;
DROP ROLE IF EXISTS regress_numaudit_inc_loader;
RESET client_min_messages;
CREATE ROLE regress_numaudit_inc_loader;
GRANT USAGE ON SCHEMA numaudit TO regress_numaudit_inc_loader;
GRANT SELECT, INSERT, UPDATE, DELETE ON numaudit.device_line, numaudit.device, numaudit.number
    TO regress_numaudit_inc_loader;
SET ROLE regress_numaudit_inc_loader;
INSERT INTO numaudit.device_line (device_id, line_index, pattern) VALUES (1, 6, '1014');
UPDATE numaudit.number SET status = 'Available', usage = NULL WHERE internal_number = '1013';
SELECT count(*) FROM numaudit.pending_change;  -- no grant: the loader cannot read tracking
RESET ROLE;
SELECT * FROM pg_temp.incr('Acme', 'customer');
DROP OWNED BY regress_numaudit_inc_loader;
DROP ROLE regress_numaudit_inc_loader;
:converged

--
-- Dry incremental runs consume nothing: pending is unchanged, and the real
-- run still reports the change, with the dry run's rows.
--
INSERT INTO numaudit.device_line (device_id, line_index, pattern) VALUES (1, 7, '1015');
:tracking
SELECT * FROM numaudit.run('Acme', 'customer', dry_run => true, incremental => true);
SELECT * FROM numaudit.run('Acme', 'customer', dry_run => true, incremental => true);
:tracking
:last
SELECT * FROM pg_temp.incr('Acme', 'customer');
:tracking

--
-- The other scope (all sites): its first incremental audit is full (no
-- baseline); then each scope consumes a change for itself only.
--
SELECT * FROM pg_temp.incr('Acme', 'site');
:last
:tracking
INSERT INTO numaudit.device_line (device_id, line_index, pattern) VALUES (3, 2, '2003');
SELECT * FROM pg_temp.incr('Acme', 'site');
:tracking
SELECT * FROM pg_temp.incr('Acme', 'customer');
:tracking
:converged

--
-- Chosen sites are always full, and neither use nor renew a baseline.
--
INSERT INTO numaudit.device_line (device_id, line_index, pattern) VALUES (3, 3, '2004');
SELECT * FROM numaudit.run('Acme', 'site', ARRAY['Paris'], incremental => true);
:last
:tracking
-- The all-sites scope still re-checks 2004 (now right: nothing to report).
SELECT * FROM pg_temp.incr('Acme', 'site');
SELECT * FROM pg_temp.incr('Acme', 'customer');

--
-- Changes that drop the baselines: the next audit is full (NOTICE, mode full).
--
-- A site renamed: a whole mark for its customer.
UPDATE numaudit.hierarchy SET name = 'Lyon' WHERE id = 5;
INSERT INTO numaudit.device_line (device_id, line_index, pattern) VALUES (3, 4, '2005');
:tracking
SELECT * FROM pg_temp.incr('Acme', 'customer');
:last
SELECT * FROM pg_temp.incr('Acme', 'customer');
:last
-- A site's location code alone changes nothing an audit reads.
UPDATE numaudit.hierarchy SET site_location_code = '42' WHERE id = 5;
:tracking
-- A usage kind: every baseline of every customer.
UPDATE numaudit.usage_kind SET usage = 'Hunt' WHERE kind = 'hunt_pilot';
:tracking
SELECT * FROM pg_temp.incr('Acme', 'customer');
:last
UPDATE numaudit.usage_kind SET usage = 'Hunt_Pilot' WHERE kind = 'hunt_pilot';
SELECT * FROM pg_temp.incr('Acme', 'customer');
:last
-- TRUNCATE of a tracked table: every baseline.
SELECT * FROM pg_temp.incr('Acme', 'site');
TRUNCATE numaudit.service;
:tracking
SELECT * FROM pg_temp.incr('Acme', 'site');
:last
SELECT * FROM pg_temp.incr('Acme', 'customer');
:last
:converged

--
-- incremental => NULL is 22023 and changes nothing.
--
INSERT INTO numaudit.device_line (device_id, line_index, pattern) VALUES (1, 8, '1016');
\set VERBOSITY sqlstate
SELECT * FROM numaudit.run('Acme', 'customer', incremental => NULL);
CALL numaudit.audit('Acme', 'customer', incremental => NULL);
\set VERBOSITY default
SELECT * FROM numaudit.run('Acme', 'customer', incremental => NULL);
:last
:tracking

--
-- CALL numaudit.audit(..., incremental => true): with a baseline, one
-- incremental unit; without one (a usage kind changed), full site by site,
-- which becomes the baseline (consuming its earlier units' own writes too),
-- so that the one after is incremental again.
--
CALL numaudit.audit('Acme', 'customer', incremental => true);
:last
:tracking
UPDATE numaudit.usage_kind SET rank = rank WHERE kind = 'phone';
INSERT INTO numaudit.device_line (device_id, line_index, pattern) VALUES (1, 9, '1017');
CALL numaudit.audit('Acme', 'site', incremental => true);
:last
:tracking
INSERT INTO numaudit.device_line (device_id, line_index, pattern) VALUES (1, 10, '1018');
CALL numaudit.audit('Acme', 'site', incremental => true);
:last
:tracking
:converged

--
-- The sweep after a CALL numaudit.audit that commits: the marks of customers
-- without a baseline, once every snapshot in use sees their transactions as
-- ended (a later audit of such a customer is full and sees those changes
-- anyway). A customer with a baseline keeps its marks for its own audits.
-- CALL inside a transaction block cannot commit, and sweeps nothing.
--
-- quiet(): waits until no other backend holds a snapshot or a transaction
-- (autovacuum may), which would keep the sweep from these marks.
CREATE FUNCTION pg_temp.quiet() RETURNS boolean
    LANGUAGE plpgsql AS $$
BEGIN
    FOR i IN 1..600 LOOP
        PERFORM pg_stat_clear_snapshot();
        IF NOT EXISTS (SELECT FROM pg_stat_activity a
                        WHERE a.pid <> pg_backend_pid()
                          AND (a.backend_xmin IS NOT NULL OR a.backend_xid IS NOT NULL)) THEN
            RETURN true;
        END IF;
        PERFORM pg_sleep(0.1);
    END LOOP;
    RETURN false;
END
$$;
\set marks 'SELECT c.name AS customer, count(p.*) AS marks, bool_and(p.whole) AS whole FROM numaudit.hierarchy c LEFT JOIN numaudit.pending_change p ON p.customer_id = c.id WHERE c.kind = ''customer'' GROUP BY c.name ORDER BY c.name;'
INSERT INTO numaudit.hierarchy (id, parent_id, name, kind) VALUES
    (20, 2, 'Umbrella', 'customer'), (21, 20, 'Rome', 'site');
INSERT INTO numaudit.device (id, hierarchy_id, cluster, kind, name) VALUES
    (20, 21, 'CL1', 'phone', 'SEP0000000000U1');
INSERT INTO numaudit.device_line (device_id, line_index, pattern) VALUES (20, 1, '9001');
INSERT INTO numaudit.device_line (device_id, line_index, pattern) VALUES (20, 2, '9002');
INSERT INTO numaudit.device_line (device_id, line_index, pattern) VALUES (9, 3, '7002');
-- Umbrella: one whole mark per transaction; Globex (a baseline): its own.
:marks
BEGIN;
CALL numaudit.audit('Acme', 'customer', incremental => true);
COMMIT;
:marks
SELECT pg_temp.quiet();
CALL numaudit.audit('Acme', 'customer', incremental => true);
:marks
-- Umbrella's first audit is full, and finds everything.
SELECT hierarchy, internal_number, action, new_status, new_usage
  FROM numaudit.run('Umbrella', 'customer', incremental => true) ORDER BY 1, 2;
:last
-- A customer with a baseline that nobody audits any more: once its marks
-- outnumber its entries (and 100), the sweep after a full CALL drops its
-- baselines and then its marks. (An incremental CALL leaves them.)
DO $$
BEGIN
    FOR i IN 10..110 LOOP
        INSERT INTO numaudit.device_line (device_id, line_index, pattern) VALUES (9, i, (7100 + i)::text);
    END LOOP;
END
$$;
:marks
SELECT pg_temp.quiet();
CALL numaudit.audit('Acme', 'customer', incremental => true);
:marks
CALL numaudit.audit('Acme', 'customer');
:marks
:tracking
SELECT count(*) AS added FROM numaudit.run('Globex', 'customer', incremental => true) WHERE action = 'added';
:last
-- The entries an audit adds get ids in the order of its rows, whatever the
-- order in which it read the uses (a table's physical order, which depends
-- on what it went through): the same data, the same ids. (The incremental
-- differential test replays a scenario by entry ids; it once drew other
-- entries in a long run than alone.) Lines written in descending order:
--
INSERT INTO numaudit.device (id, hierarchy_id, cluster, kind, name) VALUES (30, 8, 'CL1', 'phone', 'SEP-ORDER');
INSERT INTO numaudit.device_line (device_id, line_index, pattern) VALUES
    (30, 3, '7305'), (30, 2, '7304'), (30, 1, '7303');
INSERT INTO numaudit.service (id, hierarchy_id, cluster, kind, name, pattern) VALUES
    (30, 7, 'CL1', 'hunt_pilot', 'HP-ORDER', '7302');
SELECT internal_number, action FROM numaudit.run('Globex', 'customer') WHERE internal_number LIKE '730_';
SELECT internal_number, rank() OVER (ORDER BY id) AS id_rank
  FROM numaudit.number WHERE hierarchy_id = 7 AND internal_number LIKE '730_' ORDER BY id;
-- The bound of one statement: keyed marks as long as it touches no more keys
-- of a customer than max(1,000, entries at the baseline / 40), half the
-- audit's own switch to full; more, and one whole mark (a bulk change).
-- Globex has a baseline with few entries: its bound is 1,000.
\set stmt_marks 'SELECT count(*) AS marks, count(*) FILTER (WHERE p.whole) AS whole, count(p.number_key) AS keyed FROM numaudit.pending_change p WHERE p.customer_id = 7 AND p.xact = pg_current_xact_id();'
SELECT scope, entries, greatest(1000, entries / 40) AS bound FROM numaudit.baseline WHERE customer_id = 7 ORDER BY scope;
BEGIN;
INSERT INTO numaudit.device_line (device_id, line_index, pattern)
SELECT 30, 100 + i, (800000 + i)::text FROM generate_series(1, 1000) AS i;
:stmt_marks
ROLLBACK;
BEGIN;
INSERT INTO numaudit.device_line (device_id, line_index, pattern)
SELECT 30, 100 + i, (800000 + i)::text FROM generate_series(1, 1001) AS i;
:stmt_marks
ROLLBACK;
-- Keys, not rows: 1,001 lines of 1,000 numbers (two lines share one) are 1,000 keys.
BEGIN;
INSERT INTO numaudit.device_line (device_id, line_index, pattern)
SELECT 30, 100 + i, (800000 + least(i, 1000))::text FROM generate_series(1, 1001) AS i;
:stmt_marks
ROLLBACK;
-- An update marks the old and the new number: 501 lines changed are 1,002 keys.
BEGIN;
INSERT INTO numaudit.device_line (device_id, line_index, pattern)
SELECT 30, 100 + i, (800000 + i)::text FROM generate_series(1, 501) AS i;
UPDATE numaudit.device_line SET pattern = '9' || pattern WHERE device_id = 30 AND line_index > 100;
:stmt_marks
ROLLBACK;
-- Entries: the same bound.
BEGIN;
INSERT INTO numaudit.number (hierarchy_id, internal_number)
SELECT 8, (810000 + i)::text FROM generate_series(1, 1000) AS i;
:stmt_marks
INSERT INTO numaudit.number (hierarchy_id, internal_number)
SELECT 8, (820000 + i)::text FROM generate_series(1, 1001) AS i;
:stmt_marks
ROLLBACK;
-- A baseline of 80,000 entries: the bound is 2,000.
BEGIN;
UPDATE numaudit.baseline SET entries = 80000 WHERE customer_id = 7;
INSERT INTO numaudit.device_line (device_id, line_index, pattern)
SELECT 30, 100 + i, (800000 + i)::text FROM generate_series(1, 2000) AS i;
:stmt_marks
INSERT INTO numaudit.device_line (device_id, line_index, pattern)
SELECT 30, 3000 + i, (830000 + i)::text FROM generate_series(1, 2001) AS i;
:stmt_marks
ROLLBACK;
-- Lines of more device keys than the bound: more keys too, found from the
-- devices alone (1,001 devices, written in two statements within the bound,
-- then one line each in one statement).
BEGIN;
INSERT INTO numaudit.device (id, hierarchy_id, cluster, kind, name)
SELECT 1000 + i, 8, 'CL1', 'phone', 'SEP-BOUND-' || i FROM generate_series(1, 500) AS i;
INSERT INTO numaudit.device (id, hierarchy_id, cluster, kind, name)
SELECT 1000 + i, 8, 'CL1', 'phone', 'SEP-BOUND-' || i FROM generate_series(501, 1001) AS i;
:stmt_marks
INSERT INTO numaudit.device_line (device_id, line_index, pattern)
SELECT 1000 + i, 1, (840000 + i)::text FROM generate_series(1, 1001) AS i;
:stmt_marks
ROLLBACK;

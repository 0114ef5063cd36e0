-- CALL numaudit.audit_all (SPEC §5): every customer under a node, oldest
-- audited first, older_than, max_duration, scope per customer, a failing
-- customer recorded while the sweep goes on, a sweep stopped and taken up
-- again, a session that ended while it held a customer, bad input, and who
-- may run and watch it. Sessions sharing a sweep: the isolation specs
-- sweep_*; pg_cron: test/cron; NOTIFY numaudit_sweep: test/notify.
SET client_min_messages = warning;
DROP EXTENSION IF EXISTS numaudit CASCADE;
CREATE EXTENSION numaudit;
RESET client_min_messages;
\set SHOW_CONTEXT never
\set VERBOSITY default

-- P1 > RA > Acme (flat; London), Globex (slc; Berlin), Initech (number
--           management off), Failing (flat; its audit fails)
-- P1 > RB > Umbrella (flat, no sites), and a reseller Shared
-- P2 > Shared (reseller) > Wayne (flat; Gotham)
INSERT INTO numaudit.hierarchy (id, parent_id, name, kind, number_management, dial_plan, site_location_code) VALUES
    (1,  NULL, 'P1',       'provider', true,  'flat', NULL),
    (2,  1,    'RA',       'reseller', true,  'flat', NULL),
    (3,  2,    'Acme',     'customer', true,  'flat', NULL),
    (4,  3,    'London',   'site',     true,  'flat', NULL),
    (5,  2,    'Globex',   'customer', true,  'slc',  NULL),
    (6,  5,    'Berlin',   'site',     true,  'flat', '10'),
    (7,  2,    'Initech',  'customer', false, 'flat', NULL),
    (8,  2,    'Failing',  'customer', true,  'flat', NULL),
    (9,  8,    'Lisbon',   'site',     true,  'flat', NULL),
    (10, 1,    'RB',       'reseller', true,  'flat', NULL),
    (11, 10,   'Umbrella', 'customer', true,  'flat', NULL),
    (12, 1,    'Shared',   'reseller', true,  'flat', NULL),
    (20, NULL, 'P2',       'provider', true,  'flat', NULL),
    (21, 20,   'Shared',   'reseller', true,  'flat', NULL),
    (22, 21,   'Wayne',    'customer', true,  'flat', NULL),
    (23, 22,   'Gotham',   'site',     true,  'flat', NULL);
-- Each customer: one phone line in use, its entry still Available.
INSERT INTO numaudit.device (id, hierarchy_id, cluster, kind, name) VALUES
    (1, 4, 'CL1', 'phone', 'SEP00000000AC01'),
    (2, 6, 'CL1', 'phone', 'SEP00000000GB01'),
    (3, 7, 'CL1', 'phone', 'SEP00000000IN01'),
    (4, 9, 'CL1', 'phone', 'SEP00000000FA01'),
    (5, 11, 'CL1', 'phone', 'SEP00000000UM01'),
    (6, 23, 'CL1', 'phone', 'SEP00000000WA01');
INSERT INTO numaudit.device_line (device_id, line_index, pattern) VALUES
    (1, 1, '1001'), (2, 1, '1001'), (3, 1, '1001'), (4, 1, '1001'), (5, 1, '1001'), (6, 1, '1001');
INSERT INTO numaudit.number (hierarchy_id, internal_number) VALUES
    (4, '1001'), (6, '1001'), (7, '1001'), (9, '1001'), (11, '1001'), (23, '1001');
-- Failing's audit fails: writing its entry raises.
CREATE FUNCTION pg_temp.refuse() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.hierarchy_id = 9 THEN
        RAISE EXCEPTION 'the inventory of Lisbon is frozen' USING ERRCODE = 'P0001';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER refuse BEFORE INSERT OR UPDATE ON numaudit.number
    FOR EACH ROW EXECUTE FUNCTION pg_temp.refuse();

-- Bad input: a clear error, nothing recorded, the session usable.
BEGIN;
CALL numaudit.audit_all();
\echo :LAST_ERROR_SQLSTATE
ROLLBACK;
CALL numaudit.audit_all('Nobody');
\echo :LAST_ERROR_SQLSTATE
CALL numaudit.audit_all('Acme');
\echo :LAST_ERROR_SQLSTATE
CALL numaudit.audit_all('P1.RA.Acme.London');
\echo :LAST_ERROR_SQLSTATE
CALL numaudit.audit_all('Shared');
\echo :LAST_ERROR_SQLSTATE
CALL numaudit.audit_all('P1', 'everything');
\echo :LAST_ERROR_SQLSTATE
CALL numaudit.audit_all('P1', incremental => NULL);
\echo :LAST_ERROR_SQLSTATE
CALL numaudit.audit_all('P1', older_than => NULL);
\echo :LAST_ERROR_SQLSTATE
CALL numaudit.audit_all('P1', max_duration => '0');
\echo :LAST_ERROR_SQLSTATE
CALL numaudit.audit_all('P1', max_duration => '-1 minute');
\echo :LAST_ERROR_SQLSTATE
SELECT (SELECT count(*) FROM numaudit.sweep) AS sweeps, (SELECT count(*) FROM numaudit.audit_run) AS runs;

-- Umbrella audited by hand first (scope customer): it goes last, and keeps
-- its scope.
\set VERBOSITY terse
CALL numaudit.audit('Umbrella', 'customer');
UPDATE numaudit.number SET status = 'Available', usage = NULL WHERE hierarchy_id = 11;

-- The sweep of P1: never-audited customers first (by path), Initech (number
-- management off) and P2's Wayne left out; Failing fails and the sweep goes on.
CALL numaudit.audit_all('P1');
\set VERBOSITY default
SELECT sweep_id, under, scope, incremental, older_than, status, finished_at IS NOT NULL AS finished,
       customers, done, failed, busy, skipped, running, left_to_do, sessions
  FROM numaudit.sweep_status;
SELECT position, customer, state, scope, run_id IS NOT NULL AS has_run, pid = pg_backend_pid() AS mine, detail
  FROM numaudit.sweep_customer ORDER BY position;
SELECT r.customer, r.scope, r.mode, r.status, r.sweep_id, r.error
  FROM numaudit.audit_run r ORDER BY r.id;
SELECT h.name, n.status, n.usage FROM numaudit.number n JOIN numaudit.hierarchy h ON h.id = n.hierarchy_id
 ORDER BY n.id;
SELECT count(*) AS auditing_now FROM numaudit.sweep_activity;

-- older_than: only Failing (never audited) is old enough; with its freeze
-- lifted it is done.
DROP TRIGGER refuse ON numaudit.number;
\set VERBOSITY terse
CALL numaudit.audit_all('P1', older_than => '1 hour');
\set VERBOSITY default
SELECT c.customer, c.state, c.scope, r.mode FROM numaudit.sweep_customer c
  JOIN numaudit.audit_run r ON r.id = c.run_id
 WHERE c.sweep_id = (SELECT max(id) FROM numaudit.sweep) ORDER BY c.position;

-- A given scope: customer for the flat ones, site for the slc one; the
-- oldest audited first (Umbrella, audited by hand, was audited earliest).
\set VERBOSITY terse
CALL numaudit.audit_all('P1.RA', 'Customer', incremental => false);
\set VERBOSITY default
SELECT c.position, c.customer, c.scope, r.scope AS run_scope, r.mode, c.state
  FROM numaudit.sweep_customer c JOIN numaudit.audit_run r ON r.id = c.run_id
 WHERE c.sweep_id = (SELECT max(id) FROM numaudit.sweep) ORDER BY c.position;

-- max_duration: a microsecond is over before the first customer, so none is
-- started; the sweep stays open with every customer left.
\set VERBOSITY terse
CALL numaudit.audit_all(max_duration => '1 microsecond');
\set VERBOSITY default
SELECT sweep_id, under, status, customers, done, left_to_do FROM numaudit.sweep_status
 WHERE status = 'open';
-- A session that took a customer and ended: its claim is found abandoned
-- (no session holds pid 1's sweep lock) and recorded failed when the sweep is
-- next joined; the next call with the same arguments goes on with the same
-- sweep and audits the rest.
UPDATE numaudit.sweep_customer SET state = 'running', pid = 1, started_at = clock_timestamp()
 WHERE sweep_id = (SELECT sweep_id FROM numaudit.sweep_status WHERE status = 'open') AND position = 1;
SELECT customer, alive FROM numaudit.sweep_activity;
\set VERBOSITY terse
CALL numaudit.audit_all();
\set VERBOSITY default
SELECT sweep_id = (SELECT max(id) FROM numaudit.sweep) AS same_sweep, status, customers, done, failed, left_to_do
  FROM numaudit.sweep_status WHERE sweep_id = (SELECT max(id) FROM numaudit.sweep);
SELECT position, customer, state, detail FROM numaudit.sweep_customer
 WHERE sweep_id = (SELECT max(id) FROM numaudit.sweep) ORDER BY position;

-- Who may: an auditor runs a sweep; a reader watches it and cannot run one.
CREATE ROLE sweep_auditor IN ROLE numaudit_auditor;
CREATE ROLE sweep_reader IN ROLE numaudit_reader;
SET ROLE sweep_auditor;
\set VERBOSITY terse
CALL numaudit.audit_all('P2', older_than => '1 hour');
\set VERBOSITY default
RESET ROLE;
SET ROLE sweep_reader;
SELECT under, status, customers, done FROM numaudit.sweep_status WHERE under = 'P2';
CALL numaudit.audit_all('P2');
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
DROP ROLE sweep_auditor;
DROP ROLE sweep_reader;

-- The tracking sweep (after a CALL, and once per audit_all session) deletes
-- the change marks of customers without a baseline, but never those of a
-- customer with a run still running: a CALL holds the customer's lock only
-- while it audits a site, and a mark committed between two of its sites
-- must outlive it. Umbrella has a baseline no more once its tree changes.
DELETE FROM numaudit.baseline WHERE customer_id = 11;
UPDATE numaudit.hierarchy SET name = 'Umbrella2' WHERE id = 11;  -- a whole mark
SELECT count(*) FILTER (WHERE whole) AS whole_marks FROM numaudit.pending_change WHERE customer_id = 11;
INSERT INTO numaudit.audit_run (customer, scope, entry_point, customer_id)
VALUES ('P1.RB.Umbrella', 'site', 'audit', 11);
SELECT numaudit._tracking_sweep(NULL) >= 0 AS swept;
SELECT count(*) AS marks_kept FROM numaudit.pending_change WHERE customer_id = 11;
UPDATE numaudit.audit_run SET status = 'failed', finished_at = clock_timestamp()
 WHERE customer_id = 11 AND status = 'running';
SELECT numaudit._tracking_sweep(NULL) > 0 AS swept;
SELECT count(*) AS marks_left FROM numaudit.pending_change WHERE customer_id = 11;

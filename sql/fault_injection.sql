-- The error boundary (README "How it works", docs/RELIABILITY.md): a C++
-- std::bad_alloc thrown while an argument is read, once the argument's
-- PostgreSQL value has been fetched, becomes a clean 53200 that changes
-- nothing and leaves the session (and its error handling) usable. The
-- hidden, superuser-only, test-only setting numaudit.fault_injection makes
-- that allocation fail on purpose:
--   argument_alloc        copying a text argument (customer, scope)
--   array_argument_alloc  copying an element of the sites array
SET client_min_messages = warning;
DROP EXTENSION IF EXISTS numaudit CASCADE;
CREATE EXTENSION numaudit;
RESET client_min_messages;
\set SHOW_CONTEXT never
\set VERBOSITY default

INSERT INTO numaudit.hierarchy (id, parent_id, name, kind, number_management, dial_plan) VALUES
    (1, NULL, 'P',      'provider', true, 'flat'),
    (2, 1,    'R',      'reseller', true, 'flat'),
    (3, 2,    'Acme',   'customer', true, 'flat'),
    (4, 3,    'London', 'site',     true, 'flat'),
    (5, 3,    'Paris',  'site',     true, 'flat');
INSERT INTO numaudit.device (id, hierarchy_id, cluster, kind, name) VALUES
    (1, 4, 'CL1', 'phone', 'SEP000000000001'),
    (2, 5, 'CL1', 'phone', 'SEP000000000002');
INSERT INTO numaudit.device_line (device_id, line_index, pattern) VALUES
    (1, 1, '1001'), (2, 1, '1002');
INSERT INTO numaudit.number (id, hierarchy_id, internal_number, status, usage) VALUES
    (1, 4, '1001', 'Available', NULL);
SELECT setval(pg_get_serial_sequence('numaudit.number', 'id'), max(id)) FROM numaudit.number;

-- A fingerprint of everything an audit could write; compared, never printed.
CREATE FUNCTION pg_temp.state() RETURNS text LANGUAGE sql AS $$
    SELECT concat_ws(' / ',
        (SELECT string_agg(concat_ws('|', n.id, n.hierarchy_id, n.internal_number, n.status,
                                     n.usage, n.description, n.updated_at, n.xmin), ';' ORDER BY n.id)
           FROM numaudit.number n),
        (SELECT count(*) FROM numaudit.audit_run),
        (SELECT count(*) FROM numaudit.audit_change))
$$;

-- The library is loaded by the first call: the setting exists from then on.
SELECT hierarchy, internal_number, action FROM numaudit.run('P.R.Acme', 'site', dry_run => true)
 ORDER BY hierarchy, internal_number;
SELECT pg_temp.state() AS before \gset

-- Hidden (not in SHOW ALL), off by default, and only a superuser may set it.
SHOW numaudit.fault_injection;
SELECT count(*) AS in_show_all FROM pg_show_all_settings() WHERE name = 'numaudit.fault_injection';
CREATE ROLE numaudit_fault_user;
SET ROLE numaudit_fault_user;
SET numaudit.fault_injection = argument_alloc;
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
DROP ROLE numaudit_fault_user;
SET numaudit.fault_injection = bogus;
\echo :LAST_ERROR_SQLSTATE

--
-- argument_alloc: the customer argument's copy fails
--
SET numaudit.fault_injection = argument_alloc;
SELECT * FROM numaudit.run('P.R.Acme', 'site');
\echo :LAST_ERROR_SQLSTATE
SELECT 1 AS session_still_works;
SELECT * FROM numaudit.run('P.R.Acme', 'customer', dry_run => true);
\echo :LAST_ERROR_SQLSTATE
CALL numaudit.audit('P.R.Acme', 'site');
\echo :LAST_ERROR_SQLSTATE
-- Another function that reads a text argument.
SELECT numaudit.pattern_number('1001');
\echo :LAST_ERROR_SQLSTATE
-- Errors after the failure are still caught where they are raised: a
-- savepoint rolled back, a PL/pgSQL handler, a plain error.
BEGIN;
SAVEPOINT s;
SELECT * FROM numaudit.run('P.R.Acme', 'site');
ROLLBACK TO SAVEPOINT s;
SELECT count(*) AS rows_after_savepoint FROM numaudit.number;
COMMIT;
DO $$
BEGIN
    PERFORM * FROM numaudit.run('P.R.Acme', 'site');
EXCEPTION WHEN out_of_memory THEN
    RAISE NOTICE 'caught % in PL/pgSQL', SQLSTATE;
END $$;
SELECT 1 / 0;
\echo :LAST_ERROR_SQLSTATE
SELECT pg_temp.state() = :'before' AS nothing_changed;

--
-- array_argument_alloc: an element of sites fails; without sites the call
-- reads no array element and runs
--
SET numaudit.fault_injection = array_argument_alloc;
SELECT * FROM numaudit.run('P.R.Acme', 'site', ARRAY['London', 'Paris']);
\echo :LAST_ERROR_SQLSTATE
SELECT 1 AS session_still_works;
CALL numaudit.audit('P.R.Acme', 'site', ARRAY['Paris']);
\echo :LAST_ERROR_SQLSTATE
SELECT pg_temp.state() = :'before' AS nothing_changed;
SELECT hierarchy, internal_number, action FROM numaudit.run('P.R.Acme', 'site', dry_run => true)
 ORDER BY hierarchy, internal_number;
SELECT pg_temp.state() = :'before' AS nothing_changed;

--
-- Off again: a real audit writes, once
--
RESET numaudit.fault_injection;
SELECT hierarchy, internal_number, action, new_status, new_usage
  FROM numaudit.run('P.R.Acme', 'site', ARRAY['London', 'Paris'])
 ORDER BY hierarchy, internal_number;
SELECT h.name, n.internal_number, n.status, n.usage
  FROM numaudit.number n JOIN numaudit.hierarchy h ON h.id = n.hierarchy_id
 ORDER BY n.internal_number;
SELECT count(*) AS runs, count(*) FILTER (WHERE status = 'done') AS done
  FROM numaudit.audit_run;
CALL numaudit.audit('P.R.Acme', 'site');
SELECT count(*) AS runs FROM numaudit.audit_run;

--
-- Real data (SPEC §3 "Reading numbers", "One entry per number in a flat
-- customer", "Messages", from 0.3.0): data as loaders and exports deliver it
-- never makes a used number look free, and numaudit reports what it cannot
-- read instead of deciding on it. Each case below is one that 0.2.0 got
-- wrong (issue "Real data").
--
SET client_min_messages = warning;
DROP EXTENSION IF EXISTS numaudit CASCADE;
CREATE EXTENSION numaudit;
RESET client_min_messages;
\pset null '(null)'

-- P > R > Acme (flat): Munich, Berlin, Paris; P > R > Globex (flat): Hamburg.
INSERT INTO numaudit.hierarchy (id, parent_id, name, kind) VALUES
    (1, NULL, 'P', 'provider'), (2, 1, 'R', 'reseller'),
    (10, 2, 'Acme', 'customer'), (11, 10, 'Munich', 'site'), (12, 10, 'Berlin', 'site'),
    (13, 10, 'Paris', 'site'),
    (20, 2, 'Globex', 'customer'), (21, 20, 'Hamburg', 'site');

-- Patterns with stray whitespace and escapes, and entries as exports write
-- them. Every one of these numbers is in use.
INSERT INTO numaudit.device (id, hierarchy_id, cluster, kind, name) VALUES
    (1, 11, 'CL1', 'phone', 'SEP000000000001'),
    (2, 11, 'CL1', 'phone', 'SEP000000000002'),
    (3, 12, 'CL1', 'phone', 'SEP000000000003'),
    (4, 21, 'CL1', 'phone', 'SEP000000000004');
INSERT INTO numaudit.device_line (device_id, line_index, pattern) VALUES
    (1, 1, '5001 '),            -- trailing space
    (1, 2, ' 1001'),            -- leading space
    (1, 3, E'1004\n'),          -- a line break from a CSV export
    (1, 4, '\+4420'),           -- escaped E.164, as the cluster exports it
    (1, 5, ''),                 -- empty: no number
    (1, 6, '1003A'),            -- a typo: no number
    (2, 1, '6001'),             -- a Munich phone's line ...
    (4, 1, E'\t\\+4930123\r\n');  -- Globex: an escaped number with whitespace
INSERT INTO numaudit.number (id, hierarchy_id, internal_number, status, usage) VALUES
    (101, 11, '5001', 'Used', 'Device'),
    (102, 11, '1001', 'Used', 'Device'),
    (103, 11, '1004', 'Available', NULL),
    (104, 11, '\+4420', 'Available', NULL),   -- escaped as the line is
    (105, 11, '6001', 'Used', 'Device'),
    (106, 21, '+4930123', 'Used', 'Device');
SELECT setval(pg_get_serial_sequence('numaudit.number', 'id'), 200);

-- 0.2.0 set 5001, 1001 and 1004 Available or added them a second time
-- ('5001 ', ' 1001', E'1004\n'), and set \+4420 Available beside a new
-- +4420. Now: every entry stands for its read number; nothing is added; the
-- empty and the 1003A lines are reported, naming their device.
SELECT * FROM numaudit.run('Acme', 'site', ARRAY['Munich'], dry_run => true);
SELECT * FROM numaudit.run('Acme', 'site', ARRAY['Munich']);
SELECT id, hierarchy_id, internal_number, status, usage FROM numaudit.number ORDER BY id;
-- Nothing left to do but report.
SELECT action, count(*) FROM numaudit.run('Acme', 'site') GROUP BY action ORDER BY action;

-- How numaudit reads: read_number, pattern_number, uses.
SELECT v AS value, r.kind, r.number, numaudit.pattern_number(v) AS pattern_number
  FROM unnest(ARRAY['5001 ', ' 1001', E'1004\n', E'\t\\+4420\r', '\+4420', '', ' ', '1003A',
                    '10x1', '1+2', '+', '*', '*67', '#', '10XX', ' \+44XX ', '12\+34',
                    repeat('9', 50), repeat('9', 51), chr(11) || '1001']) WITH ORDINALITY AS a (v, o),
       numaudit.read_number(a.v) AS r
 ORDER BY a.o;
SELECT numaudit.read_number(NULL) IS NULL AS strict;
-- uses() reads its argument as the audit does (0.2.0 found nothing here).
SELECT kind, name, pattern, owner FROM numaudit.uses('Globex', '\+4930123');
SELECT kind, name, pattern, owner FROM numaudit.uses('Globex', ' +4930123 ');
SELECT kind, name, line_index, pattern FROM numaudit.uses('Acme', '5001');
SELECT * FROM numaudit.uses('Acme', '1003A');
SELECT * FROM numaudit.uses('Acme', '10XX');
SELECT count(*) AS session_usable FROM numaudit.uses('Acme', '4420');

-- One entry per number in a flat customer. The line of 6001 moves from a
-- Munich phone to a Berlin phone: 0.2.0 added 6001 at Berlin while Munich
-- still held it. Now Berlin reports it held at Munich, and Munich's entry
-- stays Used.
UPDATE numaudit.device_line SET device_id = 3 WHERE device_id = 2 AND line_index = 1;
SELECT * FROM numaudit.run('Acme', 'site', ARRAY['Berlin']);
SELECT * FROM numaudit.run('Acme', 'site');
-- A number held nowhere that Paris and Berlin both use is added once, at
-- the first of them in byte order (Berlin); Paris reports it held there.
INSERT INTO numaudit.device (id, hierarchy_id, cluster, kind, name) VALUES
    (5, 13, 'CL1', 'phone', 'SEP000000000005');
INSERT INTO numaudit.device_line (device_id, line_index, pattern) VALUES
    (5, 1, '7001'), (3, 2, '7001');
SELECT * FROM numaudit.run('Acme', 'site', ARRAY['Paris', 'Berlin']);
SELECT hierarchy_id, internal_number, status, usage FROM numaudit.number
 WHERE internal_number IN ('6001', '7001') ORDER BY hierarchy_id;

-- Two entries of one node with the same read number: one conflict naming
-- both, both left as they are.
INSERT INTO numaudit.number (id, hierarchy_id, internal_number, status, usage) VALUES
    (110, 13, '7002', 'Available', NULL), (111, 13, ' 7002', 'Used', 'Device');
INSERT INTO numaudit.device_line (device_id, line_index, pattern) VALUES (5, 2, '7002');
SELECT * FROM numaudit.run('Acme', 'site', ARRAY['Paris']);
SELECT id, internal_number, status, usage FROM numaudit.number WHERE id IN (110, 111) ORDER BY id;

-- Entries that are no number: reported whatever their status, never changed.
INSERT INTO numaudit.number (id, hierarchy_id, internal_number, status, usage) VALUES
    (120, 13, '', 'Used', 'Device'), (121, 13, '65XX', 'Used', 'Device'),
    (122, 13, 'n/a', 'Reserved', NULL), (123, 13, repeat('4', 51), 'Available', NULL);
SELECT hierarchy, site, length(internal_number) AS len, action, old_status, old_usage, detail
  FROM numaudit.run('Acme', 'site', ARRAY['Paris'])
 WHERE detail = 'invalid number' ORDER BY len;
SELECT id, length(internal_number) AS len, status, usage FROM numaudit.number
 WHERE id BETWEEN 120 AND 123 ORDER BY id;

-- Flags: NULL is no answer (22023), and nothing is written.
SELECT count(*) FROM numaudit.audit_run;
SELECT * FROM numaudit.run('Acme', 'site', dry_run => NULL);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM numaudit.run('Acme', 'site', nowait => NULL);
\echo :LAST_ERROR_SQLSTATE
CALL numaudit.audit('Acme', 'site', dry_run => NULL);
\echo :LAST_ERROR_SQLSTATE
CALL numaudit.audit('Acme', 'site', nowait => NULL);
\echo :LAST_ERROR_SQLSTATE
SELECT count(*) FROM numaudit.audit_run;
-- A dry CALL audits, writes nothing, records nothing, and says what it would do.
UPDATE numaudit.number SET status = 'Available', usage = NULL WHERE id = 102;
CALL numaudit.audit('P.R.Acme', 'site', ARRAY['Munich'], dry_run => true);
SELECT count(*) AS runs, (SELECT status FROM numaudit.number WHERE id = 102) AS still
  FROM numaudit.audit_run;
-- nowait with nothing in the way audits as usual.
CALL numaudit.audit('P.R.Acme', 'site', ARRAY['Munich'], nowait => true);
SELECT status, usage FROM numaudit.number WHERE id = 102;

-- An audit that writes cannot run in a read-only transaction: a clear 25006,
-- and no internal statement in CONTEXT; a dry run can.
BEGIN READ ONLY;
SELECT * FROM numaudit.run('Acme', 'site');
ROLLBACK;
BEGIN READ ONLY;
SELECT count(*) FROM numaudit.run('Acme', 'site', dry_run => true);
ROLLBACK;
SET default_transaction_read_only = on;
CALL numaudit.audit('Acme', 'site');
CALL numaudit.audit('Acme', 'site', dry_run => true);
RESET default_transaction_read_only;

-- An error raised inside a run's unit: the CALL's CONTEXT names no internal
-- statement (0.2.0 showed "SELECT numaudit._audit_step" and the UPDATE).
UPDATE numaudit.number SET status = 'Used', usage = NULL WHERE id = 110;
DELETE FROM numaudit.number WHERE id = 111;
CREATE FUNCTION public.refuse() RETURNS trigger LANGUAGE plpgsql AS
$$BEGIN RAISE EXCEPTION 'entries of Paris are frozen' USING ERRCODE = 'P0001'; END$$;
CREATE TRIGGER refuse BEFORE UPDATE ON numaudit.number
    FOR EACH ROW WHEN (OLD.hierarchy_id = 13) EXECUTE FUNCTION public.refuse();
CALL numaudit.audit('Acme', 'site', ARRAY['Paris']);
SELECT * FROM numaudit.run('Acme', 'site', ARRAY['Paris']);
DROP TRIGGER refuse ON numaudit.number;
DROP FUNCTION public.refuse();
SELECT status, error FROM numaudit.audit_run ORDER BY id DESC LIMIT 1;

-- numaudit.max_memory set to no size before numaudit was loaded in the
-- session: PostgreSQL only warns when it loads; numaudit then refuses to
-- audit (22023) until the setting is valid, rather than audit without the
-- limit that was meant.
\c
SET numaudit.max_memory = 'lots';
SELECT numaudit.pattern_number('1') AS loads_numaudit;
SELECT * FROM numaudit.run('Acme', 'site', dry_run => true);
SET numaudit.max_memory = '64MB';
SHOW numaudit.max_memory;
SELECT count(*) > 0 AS audits_again FROM numaudit.run('Acme', 'site', dry_run => true);
-- Once loaded, a bad value is refused when it is set.
SET numaudit.max_memory = 'lots';
ALTER ROLE CURRENT_USER SET numaudit.max_memory = 'lots';
RESET numaudit.max_memory;
SHOW numaudit.max_memory;

-- The objects of SPEC §1 and the signatures of §2, read from the catalogs
-- (not \d, so the output does not depend on psql's formatting), and the
-- constraints they promise, exercised.
SET client_min_messages = warning;
DROP EXTENSION IF EXISTS numaudit CASCADE;
CREATE EXTENSION numaudit;
RESET client_min_messages;

SELECT extname, extversion, extnamespace::regnamespace AS schema, extrelocatable
  FROM pg_extension WHERE extname = 'numaudit';

-- The tables of the schema.
SELECT c.relname
  FROM pg_class c
 WHERE c.relnamespace = 'numaudit'::regnamespace AND c.relkind IN ('r', 'p')
 ORDER BY c.relname;

-- Every column SPEC §1 names: type, NOT NULL, default, identity. A missing
-- column would show up with a NULL type.
CREATE TEMP TABLE spec_column (tab text, col text, ord int);
INSERT INTO spec_column VALUES
    ('hierarchy', 'id', 1), ('hierarchy', 'parent_id', 2), ('hierarchy', 'name', 3),
    ('hierarchy', 'kind', 4), ('hierarchy', 'number_management', 5),
    ('hierarchy', 'dial_plan', 6), ('hierarchy', 'site_location_code', 7),
    ('usage_kind', 'kind', 1), ('usage_kind', 'status', 2), ('usage_kind', 'usage', 3),
    ('usage_kind', 'rank', 4),
    ('device', 'id', 1), ('device', 'hierarchy_id', 2), ('device', 'cluster', 3),
    ('device', 'kind', 4), ('device', 'name', 5),
    ('device_line', 'device_id', 1), ('device_line', 'line_index', 2),
    ('device_line', 'pattern', 3), ('device_line', 'partition', 4),
    ('service', 'id', 1), ('service', 'hierarchy_id', 2), ('service', 'cluster', 3),
    ('service', 'kind', 4), ('service', 'name', 5), ('service', 'pattern', 6),
    ('service', 'partition', 7),
    ('number', 'id', 1), ('number', 'hierarchy_id', 2), ('number', 'internal_number', 3),
    ('number', 'status', 4), ('number', 'usage', 5), ('number', 'description', 6),
    ('number', 'updated_at', 7),
    ('audit_run', 'id', 1), ('audit_run', 'customer', 2), ('audit_run', 'scope', 3),
    ('audit_run', 'sites', 4), ('audit_run', 'started_at', 5), ('audit_run', 'finished_at', 6),
    ('audit_run', 'run_by', 7), ('audit_run', 'status', 8), ('audit_run', 'error', 9),
    ('audit_run', 'sites_total', 10), ('audit_run', 'sites_done', 11),
    ('audit_run', 'added', 12), ('audit_run', 'updated', 13), ('audit_run', 'unchanged', 14),
    ('audit_run', 'skipped', 15), ('audit_run', 'conflicts', 16),
    ('audit_change', 'id', 1), ('audit_change', 'run_id', 2), ('audit_change', 'hierarchy', 3),
    ('audit_change', 'site', 4), ('audit_change', 'internal_number', 5),
    ('audit_change', 'action', 6), ('audit_change', 'old_status', 7),
    ('audit_change', 'old_usage', 8), ('audit_change', 'new_status', 9),
    ('audit_change', 'new_usage', 10), ('audit_change', 'detail', 11);
SELECT s.tab, s.col, format_type(a.atttypid, a.atttypmod) AS type, a.attnotnull AS not_null,
       pg_get_expr(d.adbin, d.adrelid) AS "default",
       CASE a.attidentity WHEN 'd' THEN 'by default' WHEN 'a' THEN 'always' END AS identity
  FROM spec_column s
  LEFT JOIN pg_attribute a
         ON a.attrelid = to_regclass('numaudit.' || s.tab) AND a.attname = s.col
        AND NOT a.attisdropped
  LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
 ORDER BY array_position(ARRAY['hierarchy', 'usage_kind', 'device', 'device_line', 'service',
                               'number', 'audit_run', 'audit_change'], s.tab), s.ord;

-- Columns beyond the contract (numaudit's own design, see BEHAVIOUR.md).
SELECT c.relname AS tab, a.attname AS col, format_type(a.atttypid, a.atttypmod) AS type,
       a.attnotnull AS not_null, pg_get_expr(d.adbin, d.adrelid) AS "default"
  FROM pg_attribute a
  JOIN pg_class c ON c.oid = a.attrelid
  LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
 WHERE c.relnamespace = 'numaudit'::regnamespace AND c.relkind = 'r'
   AND a.attnum > 0 AND NOT a.attisdropped
   AND NOT EXISTS (SELECT FROM spec_column s WHERE s.tab = c.relname AND s.col = a.attname)
 ORDER BY c.relname, a.attnum;
DROP TABLE spec_column;

-- Primary keys, UNIQUE constraints and foreign keys (names left out: they
-- are not part of the contract).
SELECT conrelid::regclass AS tab, contype, pg_get_constraintdef(oid) AS definition
  FROM pg_constraint
 WHERE connamespace = 'numaudit'::regnamespace AND contype IN ('p', 'u', 'f')
 ORDER BY conrelid::regclass::text, contype, pg_get_constraintdef(oid);

-- The shipped usage kinds, in rank order.
SELECT kind, status, usage, rank FROM numaudit.usage_kind ORDER BY rank;

-- The entry points.
SELECT p.proname, p.prokind, pg_get_function_arguments(p.oid) AS arguments
  FROM pg_proc p
 WHERE p.pronamespace = 'numaudit'::regnamespace AND p.proname IN ('run', 'audit')
 ORDER BY p.proname;
SELECT pg_get_function_result('numaudit.run(text, text, text[], boolean, boolean, boolean)'::regprocedure)
       AS run_result;
SELECT p.proretset, p.provolatile
  FROM pg_proc p WHERE p.oid = 'numaudit.run(text, text, text[], boolean, boolean, boolean)'::regprocedure;

-- numaudit.max_memory: MB, default 0 (no limit).
LOAD 'numaudit';
SELECT name, setting, unit, boot_val, context FROM pg_settings WHERE name = 'numaudit.max_memory';

--
-- Constraints, exercised. The SQLSTATE alone is shown for violations.
--
\set VERBOSITY sqlstate
-- Loaders supply their own ids.
INSERT INTO numaudit.hierarchy (id, parent_id, name, kind) VALUES
    (10, NULL, 'P', 'provider'),
    (11, 10,   'R', 'reseller'),
    (12, 11,   'C', 'customer'),
    (13, 12,   'S1', 'site'),
    (14, 12,   'S2', 'site'),
    (20, NULL, 'Q', 'provider'),
    (21, 20,   'R', 'reseller'),     -- same name as 11, other parent: fine
    (22, 21,   'C', 'customer');
SELECT id, parent_id, name, kind, number_management, dial_plan, site_location_code
  FROM numaudit.hierarchy ORDER BY id;
-- sibling names are unique, root names too
INSERT INTO numaudit.hierarchy (id, parent_id, name, kind) VALUES (15, 12, 'S1', 'site');
INSERT INTO numaudit.hierarchy (id, parent_id, name, kind) VALUES (16, NULL, 'P', 'provider');
-- parent must exist
INSERT INTO numaudit.hierarchy (id, parent_id, name, kind) VALUES (17, 999, 'X', 'site');
-- the kinds are those of the tree
INSERT INTO numaudit.hierarchy (id, parent_id, name, kind) VALUES (18, 12, 'X', 'building');
INSERT INTO numaudit.hierarchy (id, parent_id, name, kind, dial_plan) VALUES (19, 11, 'X', 'customer', 'tree');

INSERT INTO numaudit.device (id, hierarchy_id, cluster, kind, name) VALUES
    (100, 13, 'CL1', 'phone', 'SEP00000000AAAA'),
    (101, 14, 'CL2', 'phone', 'SEP00000000AAAA'),   -- same name, other cluster: allowed
    (102, 13, 'CL1', 'device_profile', 'SEP00000000AAAA');  -- other kind: allowed
-- (cluster, kind, name) is unique
INSERT INTO numaudit.device (id, hierarchy_id, cluster, kind, name) VALUES
    (103, 14, 'CL1', 'phone', 'SEP00000000AAAA');
-- kind must be a usage kind, hierarchy must exist
INSERT INTO numaudit.device (id, hierarchy_id, cluster, kind, name) VALUES
    (104, 13, 'CL1', 'fax', 'FAX1');
INSERT INTO numaudit.device (id, hierarchy_id, cluster, kind, name) VALUES
    (105, 999, 'CL1', 'phone', 'SEP00000000BBBB');

INSERT INTO numaudit.device_line (device_id, line_index, pattern) VALUES
    (100, 1, '1001'), (100, 2, '1002'), (101, 1, '2001');
INSERT INTO numaudit.device_line (device_id, line_index, pattern, partition) VALUES
    (102, 1, '1003', 'PT_Internal');
SELECT device_id, line_index, pattern, partition, partition = '' AS default_partition
  FROM numaudit.device_line ORDER BY device_id, line_index;
-- (device_id, line_index) is the key; device must exist
INSERT INTO numaudit.device_line (device_id, line_index, pattern) VALUES (100, 1, '1009');
INSERT INTO numaudit.device_line (device_id, line_index, pattern) VALUES (999, 1, '1009');
-- deleting a device deletes its lines
DELETE FROM numaudit.device WHERE id = 100;
SELECT device_id, line_index, pattern FROM numaudit.device_line ORDER BY device_id, line_index;
-- a hierarchy node that devices use cannot be deleted
DELETE FROM numaudit.hierarchy WHERE id = 14;

INSERT INTO numaudit.service (id, hierarchy_id, cluster, kind, name, pattern) VALUES
    (200, 12, 'CL1', 'hunt_pilot', 'HP1', '1900');
SELECT id, hierarchy_id, cluster, kind, name, pattern, partition FROM numaudit.service;
INSERT INTO numaudit.service (id, hierarchy_id, cluster, kind, name, pattern) VALUES
    (201, 12, 'CL1', 'paging', 'PG1', '1901');
INSERT INTO numaudit.service (id, hierarchy_id, cluster, kind, name, pattern) VALUES
    (202, 999, 'CL1', 'hunt_pilot', 'HP2', '1902');

BEGIN;
INSERT INTO numaudit.number (id, hierarchy_id, internal_number) VALUES (1, 13, '1001');
INSERT INTO numaudit.number (id, hierarchy_id, internal_number, status, usage, description) VALUES
    (2, 14, '1001', 'Reserved', NULL, 'same number, other site: allowed'),
    (3, 12, '1001', 'Used', 'Device', 'same number at the customer: allowed');
SELECT id, hierarchy_id, internal_number, status, usage, description,
       updated_at = now() AS updated_at_is_now
  FROM numaudit.number ORDER BY id;
COMMIT;
-- (hierarchy_id, internal_number) is unique; the hierarchy must exist
INSERT INTO numaudit.number (id, hierarchy_id, internal_number) VALUES (4, 13, '1001');
INSERT INTO numaudit.number (id, hierarchy_id, internal_number) VALUES (5, 999, '1001');
-- an audit_change belongs to an audit_run
INSERT INTO numaudit.audit_change (run_id, hierarchy, action) VALUES (999, 'P.R.C', 'added');
\set VERBOSITY default

--
-- A user-defined usage kind is used by the audit without any code change:
-- its status, its Usage token, and its rank for the order of tokens.
--
INSERT INTO numaudit.usage_kind (kind, status, usage, rank) VALUES ('teams', 'Used', 'Teams', 12);
INSERT INTO numaudit.usage_kind (kind, status, usage, rank) VALUES ('webex_pilot', 'Used-Utility', 'Webex', 0);
SELECT kind, status, usage, rank FROM numaudit.usage_kind WHERE rank IN (0, 12) ORDER BY rank;
-- rank is unique; status is Used or Used-Utility
\set VERBOSITY sqlstate
INSERT INTO numaudit.usage_kind (kind, status, usage, rank) VALUES ('zoom', 'Used', 'Zoom', 12);
INSERT INTO numaudit.usage_kind (kind, status, usage, rank) VALUES ('zoom', 'Reserved', 'Zoom', 13);
\set VERBOSITY default
-- Customer P.R.C (flat), site S1: 3001 has a Teams user only; 3002 a phone
-- and a Teams user (tokens in rank order: Device first); 3003 a Webex pilot
-- (rank 0, so its token comes first) and a hunt pilot. Site S2: 2001 has a
-- phone and a Teams user.
INSERT INTO numaudit.device (id, hierarchy_id, cluster, kind, name) VALUES
    (110, 13, 'CL1', 'teams', 'alice@example.com'),
    (111, 13, 'CL1', 'teams', 'bob@example.com'),
    (112, 13, 'CL1', 'phone', 'SEP00000000CCCC'),
    (113, 14, 'CL2', 'teams', 'carol@example.com');
INSERT INTO numaudit.device_line (device_id, line_index, pattern) VALUES
    (110, 1, '3001'), (111, 1, '3002'), (112, 1, '3002'), (113, 1, '2001');
INSERT INTO numaudit.service (id, hierarchy_id, cluster, kind, name, pattern) VALUES
    (210, 13, 'CL1', 'hunt_pilot', 'HP-S1', '3003'),
    (211, 13, 'CL1', 'webex_pilot', 'WX-S1', '3003');
INSERT INTO numaudit.number (id, hierarchy_id, internal_number, status, usage) VALUES
    (4, 13, '3002', 'Used', 'Device'),
    (5, 13, '3003', 'Available', NULL);
-- This loader moves the identity past the ids it supplied (the section
-- after this one checks a loader that does not).
SELECT setval(pg_get_serial_sequence('numaudit.number', 'id'), max(id)) FROM numaudit.number;
SELECT hierarchy, site, internal_number, action, old_status, old_usage, new_status, new_usage, detail
  FROM numaudit.run('P.R.C', 'site');
SELECT hierarchy, site, internal_number, action, old_status, old_usage, new_status, new_usage, detail
  FROM numaudit.run('P.R.C', 'customer');
SELECT h.name, n.internal_number, n.status, n.usage
  FROM numaudit.number n JOIN numaudit.hierarchy h ON h.id = n.hierarchy_id
 ORDER BY h.id, n.internal_number;
-- The kind cannot be removed while devices use it.
\set VERBOSITY sqlstate
DELETE FROM numaudit.usage_kind WHERE kind = 'teams';
\set VERBOSITY default

--
-- Identity columns: a loader that supplies ids and leaves the identity
-- sequence behind them. The audit must still add entries (SPEC: ids are
-- identity columns "so that loaders may supply their own ids"); it must not
-- fail with a unique violation on the ids the loader used. The two entries
-- below take exactly the ids the sequence would hand out next.
--
SELECT pg_sequence_last_value(pg_get_serial_sequence('numaudit.number', 'id')::regclass) AS last \gset
INSERT INTO numaudit.number (id, hierarchy_id, internal_number, description) VALUES
    (:last + 1, 14, '4001', 'loaded'),
    (:last + 2, 14, '4002', 'loaded');
INSERT INTO numaudit.device (id, hierarchy_id, cluster, kind, name) VALUES
    (120, 14, 'CL2', 'phone', 'SEP00000000DDDD');
INSERT INTO numaudit.device_line (device_id, line_index, pattern) VALUES
    (120, 1, '4001'), (120, 2, '4003');
SELECT hierarchy, site, internal_number, action, old_status, old_usage, new_status, new_usage, detail
  FROM numaudit.run('P.R.C', 'site', ARRAY['S2']);
SELECT internal_number, id - :last IN (1, 2) AS loader_id, status, usage, description
  FROM numaudit.number WHERE hierarchy_id = 14 AND internal_number LIKE '400_'
 ORDER BY internal_number;
SELECT count(DISTINCT id) AS distinct_ids, count(*) AS entries FROM numaudit.number;

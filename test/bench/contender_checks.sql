-- numaudit benchmark: the contenders on messy data (the 0.3.0 rules of
-- docs/BEHAVIOUR.md "Real data (0.3.0)"). The benchmark's generated customer
-- is clean, so run.sh's agreement check never sees what these rules are
-- about; this file does, on one hand-made flat customer, and asserts the exact
-- inventory, audit_change rows and audit_run counts that bench.sql_audit
-- leaves with scope customer and with scope site, and that bench.rbr_audit
-- leaves the scope-site inventory.
--
-- Run it by hand against a scratch UTF-8 database that has the extension:
--   createdb scratch && psql -d scratch -c 'CREATE EXTENSION numaudit'
--   psql -X -d scratch -f test/bench/contender_checks.sql
-- It loads the contenders (reading.sql, contenders.sql, set_based.sql: the
-- row-by-row contender's expression indexes are created on the scratch
-- database's tables), builds the customer ChkProv.ChkRes.Messy in one
-- transaction and rolls everything back at the end. It stops at the first
-- mismatch with an ERROR listing the missing and unexpected rows, and ends
-- with "contender_checks: ok" otherwise.
--
-- With -v numaudit=1 it also checks numaudit.run itself against the same
-- expectations (it must pass once the core implements the 0.3.0 rules).
--
-- The customer (flat), its sites North, South and east (byte order: North,
-- South, east; a linguistic order would put east first), all in cluster CL1:
--   North  phone SEPAAA        line 1 ' 1001 '      line 2 '\+4420<TAB>'
--          hunt_pilot HP North '10XX'                (wildcard)
--          call_handler CH Long 'a' x 10,001          (invalid, reported cut)
--   South  phone SEPBBB        line 1 'abc'         line 2 '2002'
--          device_profile DP-S line 1 '3003'        line 2 '8008'
--          call_park CP South  ' 12\+34 '            (invalid: \+ only leads)
--   east   phone SEPCCC        line 1 '5001'        line 2 ' 3003'
--          meet_me MM east     '7007'
--   Messy  voicemail_pilot VM Messy '8008'          call_park CP Messy '55X'
-- Entries:
--   North  '1001' Available   '\+4420' Used/NULL   '2002<CR><LF>' Available
--   South  'n/a' Used/Device (invalid)              '9999' Used/Device (unused)
--   east   '5001' Available   ' 5001' Available      (one number, two entries)
--   Messy  ' 7007' Available  '65XX' Available (invalid: wildcard-looking)
-- So: 2002 is held at North and used at South; 3003 is used by South and
-- east and held nowhere; 7007 is held by the customer and used at east;
-- 8008 is used by the customer itself and by South, held nowhere.
\set ON_ERROR_STOP 1
\if :{?numaudit}
\else
\set numaudit 0
\endif
SET client_min_messages = warning;
\ir reading.sql
\ir contenders.sql
\ir set_based.sql

BEGIN;
SET LOCAL client_min_messages = warning;

INSERT INTO numaudit.hierarchy (parent_id, name, kind) VALUES (NULL, 'ChkProv', 'provider');
INSERT INTO numaudit.hierarchy (parent_id, name, kind)
SELECT id, 'ChkRes', 'reseller' FROM numaudit.hierarchy WHERE name = 'ChkProv' AND parent_id IS NULL;
INSERT INTO numaudit.hierarchy (parent_id, name, kind, dial_plan)
SELECT id, 'Messy', 'customer', 'flat' FROM numaudit.hierarchy
 WHERE name = 'ChkRes' AND parent_id = (SELECT id FROM numaudit.hierarchy WHERE name = 'ChkProv' AND parent_id IS NULL);

-- The nodes of the customer by name ('' for the customer itself).
CREATE TEMP TABLE chk_node (name text PRIMARY KEY, id bigint NOT NULL, path text NOT NULL);
INSERT INTO chk_node
SELECT '', c.id, 'ChkProv.ChkRes.Messy' FROM numaudit.hierarchy c
  JOIN numaudit.hierarchy r ON r.id = c.parent_id AND r.name = 'ChkRes'
  JOIN numaudit.hierarchy p ON p.id = r.parent_id AND p.name = 'ChkProv' AND p.parent_id IS NULL
 WHERE c.name = 'Messy';
WITH s AS (
    INSERT INTO numaudit.hierarchy (parent_id, name, kind)
    SELECT (SELECT id FROM chk_node WHERE name = ''), n, 'site' FROM unnest(ARRAY['North', 'South', 'east']) n
    RETURNING id, name)
INSERT INTO chk_node SELECT s.name, s.id, 'ChkProv.ChkRes.Messy.' || s.name FROM s;

WITH d AS (
    INSERT INTO numaudit.device (hierarchy_id, cluster, kind, name)
    SELECT n.id, 'CL1', v.kind, v.name
      FROM (VALUES ('North', 'phone', 'SEPAAA'), ('South', 'phone', 'SEPBBB'),
                   ('South', 'device_profile', 'DP-S'), ('east', 'phone', 'SEPCCC')) v(site, kind, name)
      JOIN chk_node n ON n.name = v.site
    RETURNING id, name)
INSERT INTO numaudit.device_line (device_id, line_index, pattern)
SELECT d.id, v.line_index, v.pattern
  FROM (VALUES ('SEPAAA', 1, ' 1001 '), ('SEPAAA', 2, E'\\+4420\t'),
               ('SEPBBB', 1, 'abc'), ('SEPBBB', 2, '2002'),
               ('DP-S', 1, '3003'), ('DP-S', 2, '8008'),
               ('SEPCCC', 1, '5001'), ('SEPCCC', 2, ' 3003')) v(device, line_index, pattern)
  JOIN d ON d.name = v.device;
INSERT INTO numaudit.service (hierarchy_id, cluster, kind, name, pattern)
SELECT n.id, 'CL1', v.kind, v.name, v.pattern
  FROM (VALUES ('North', 'hunt_pilot', 'HP North', '10XX'),
               ('North', 'call_handler', 'CH Long', repeat('a', 10001)),
               ('South', 'call_park', 'CP South', E' 12\\+34 '),
               ('east', 'meet_me', 'MM east', '7007'),
               ('', 'voicemail_pilot', 'VM Messy', '8008'), ('', 'call_park', 'CP Messy', '55X')
       ) v(site, kind, name, pattern)
  JOIN chk_node n ON n.name = v.site;
INSERT INTO numaudit.number (hierarchy_id, internal_number, status, usage, description)
SELECT n.id, v.num, v.status, v.usage, 'check ' || v.num
  FROM (VALUES ('North', '1001', 'Available', NULL), ('North', E'\\+4420', 'Used', NULL),
               ('North', E'2002\r\n', 'Available', NULL),
               ('South', 'n/a', 'Used', 'Device'), ('South', '9999', 'Used', 'Device'),
               ('east', '5001', 'Available', NULL), ('east', ' 5001', 'Available', NULL),
               ('', ' 7007', 'Available', NULL), ('', '65XX', 'Available', NULL)) v(site, num, status, usage)
  JOIN chk_node n ON n.name = v.site;

-- An entry's id, by node name and stored text (the duplicate entries' conflict names them).
CREATE FUNCTION pg_temp.eid(p_node text, p_stored text) RETURNS bigint LANGUAGE sql STABLE
    RETURN (SELECT e.id FROM numaudit.number e JOIN chk_node n ON n.id = e.hierarchy_id
             WHERE n.name = p_node AND e.internal_number = p_stored);

-- What each scope must leave. Rows: node name ('' = the customer).
CREATE TEMP TABLE chk_change (scope text, node text, internal_number text, action text,
                              old_status text, old_usage text, new_status text, new_usage text,
                              detail text);
INSERT INTO chk_change
SELECT s.scope, v.* FROM (VALUES ('customer'), ('site')) s(scope),
  (VALUES
    -- Entries read as numbers, rows naming the read number; flat: all uses count.
    ('North', '1001', 'updated', 'Available', NULL, 'Used', 'Device', NULL),
    ('North', '+4420', 'updated', 'Used', NULL, 'Used', 'Device', NULL),
    ('North', '2002', 'updated', 'Available', NULL, 'Used', 'Device', NULL),
    ('South', '9999', 'updated', 'Used', 'Device', 'Available', NULL, NULL),
    ('South', 'n/a', 'skipped', 'Used', 'Device', NULL, NULL, 'invalid number'),
    ('east', '5001', 'conflict', NULL, NULL, NULL, NULL,
     format('number is held by more than one entry: " 5001" (id %s), "5001" (id %s)',
            pg_temp.eid('east', ' 5001'), pg_temp.eid('east', '5001'))),
    -- Wildcard and invalid patterns of the audited nodes' own uses (the three
    -- sites; the customer's only in scope customer).
    ('North', '10XX', 'skipped', NULL, NULL, NULL, NULL, 'wildcard pattern: hunt_pilot HP North (CL1)'),
    ('North', repeat('a', 10000) || '…', 'skipped', NULL, NULL, NULL, NULL,
     'invalid pattern: call_handler CH Long (CL1)'),
    ('South', 'abc', 'skipped', NULL, NULL, NULL, NULL, 'invalid pattern: phone SEPBBB line 1 (CL1)'),
    ('South', E'12\\+34', 'skipped', NULL, NULL, NULL, NULL, 'invalid pattern: call_park CP South (CL1)')
  ) v(node, internal_number, action, old_status, old_usage, new_status, new_usage, detail);
INSERT INTO chk_change VALUES
    -- Scope customer: customer-level entries and uses are audited too; 3003
    -- and 8008 have no entry anywhere: added once, at the customer.
    ('customer', '', '7007', 'updated', 'Available', NULL, 'Used-Utility', 'Meet_Me', NULL),
    ('customer', '', '65XX', 'skipped', 'Available', NULL, NULL, NULL, 'invalid number'),
    ('customer', '', '3003', 'added', NULL, NULL, 'Used', 'Device', NULL),
    ('customer', '', '8008', 'added', NULL, NULL, 'Used', 'Device,Voicemail_Pilot', NULL),
    ('customer', '', '55X', 'skipped', NULL, NULL, NULL, NULL, 'wildcard pattern: call_park CP Messy (CL1)'),
    -- Scope site: one entry per number in the customer. 2002 is held at
    -- North; 3003 is added at South (before east in byte order), east is told
    -- so; 7007 is held at customer level; 8008 is added at South, the one
    -- site that uses it (the customer's use counts for its usage).
    ('site', 'South', '2002', 'skipped', NULL, NULL, NULL, NULL, 'held at site North'),
    ('site', 'South', '3003', 'added', NULL, NULL, 'Used', 'Device', NULL),
    ('site', 'South', '8008', 'added', NULL, NULL, 'Used', 'Device,Voicemail_Pilot', NULL),
    ('site', 'east', '3003', 'skipped', NULL, NULL, NULL, NULL, 'held at site South'),
    ('site', '', '7007', 'skipped', NULL, NULL, NULL, NULL, 'held at customer level');

CREATE TEMP TABLE chk_entry (scope text, node text, internal_number text, status text, usage text);
INSERT INTO chk_entry
SELECT s.scope, v.* FROM (VALUES ('customer'), ('site')) s(scope),
  (VALUES ('North', '1001', 'Used', 'Device'), ('North', E'\\+4420', 'Used', 'Device'),
          ('North', E'2002\r\n', 'Used', 'Device'),
          ('South', 'n/a', 'Used', 'Device'), ('South', '9999', 'Available', NULL),
          ('east', '5001', 'Available', NULL), ('east', ' 5001', 'Available', NULL),
          ('', '65XX', 'Available', NULL)) v(node, internal_number, status, usage);
INSERT INTO chk_entry VALUES
    ('customer', '', ' 7007', 'Used-Utility', 'Meet_Me'), ('customer', '', '3003', 'Used', 'Device'),
    ('customer', '', '8008', 'Used', 'Device,Voicemail_Pilot'),
    ('site', '', ' 7007', 'Available', NULL), ('site', 'South', '3003', 'Used', 'Device'),
    ('site', 'South', '8008', 'Used', 'Device,Voicemail_Pilot');

-- audit_run counts: added, updated, unchanged (the two duplicate entries),
-- skipped, conflicts; sites_total.
CREATE TEMP TABLE chk_run (scope text, counts text);
INSERT INTO chk_run VALUES ('customer', 'added 2 updated 5 unchanged 2 skipped 7 conflicts 1 sites 3/3'),
                           ('site', 'added 2 updated 4 unchanged 2 skipped 8 conflicts 1 sites 3/3');

-- The rows of the two multisets that the other lacks, or NULL when equal.
CREATE FUNCTION pg_temp.diff(p_what text, p_expected text, p_actual text) RETURNS text
LANGUAGE plpgsql AS $fn$
DECLARE
    v text;
BEGIN
    EXECUTE format($q$SELECT string_agg(r, E'\n' ORDER BY r COLLATE "C") FROM (
                 SELECT '  missing:    ' || left(x::text, 300) AS r FROM ((%1$s) EXCEPT ALL (%2$s)) x
                 UNION ALL
                 SELECT '  unexpected: ' || left(x::text, 300) FROM ((%2$s) EXCEPT ALL (%1$s)) x) d$q$,
                   p_expected, p_actual) INTO v;
    RETURN CASE WHEN v IS NOT NULL THEN p_what || E':\n' || v END;
END
$fn$;

-- Checks what the audit just done left: the inventory of the customer, and
-- (p_history) the change rows and counts of its audit_run row.
CREATE FUNCTION pg_temp.check(p_contender text, p_scope text, p_history boolean) RETURNS text
LANGUAGE plpgsql AS $fn$
DECLARE
    v_errors text;
BEGIN
    v_errors := concat_ws(E'\n',
        pg_temp.diff('inventory',
            format('SELECT node, internal_number, status, usage FROM chk_entry WHERE scope = %L', p_scope),
            $q$SELECT n.name, e.internal_number, e.status, e.usage FROM numaudit.number e
                 JOIN chk_node n ON n.id = e.hierarchy_id$q$),
        CASE WHEN EXISTS (SELECT FROM numaudit.number e JOIN chk_node n ON n.id = e.hierarchy_id
                           WHERE e.description IS DISTINCT FROM 'check ' || e.internal_number
                             AND e.description IS NOT NULL)
             THEN 'a description changed' END);
    IF p_history THEN
        v_errors := concat_ws(E'\n', v_errors,
            pg_temp.diff('audit_change',
                format($q$SELECT n.path, nullif(n.name, ''), c.internal_number, c.action, c.old_status,
                                 c.old_usage, c.new_status, c.new_usage, c.detail
                            FROM chk_change c JOIN chk_node n ON n.name = c.node WHERE c.scope = %L$q$,
                       p_scope),
                $q$SELECT c.hierarchy, c.site, c.internal_number, c.action, c.old_status, c.old_usage,
                          c.new_status, c.new_usage, c.detail
                     FROM numaudit.audit_change c
                    WHERE c.run_id = (SELECT max(r.id) FROM numaudit.audit_run r
                                       WHERE r.customer = 'ChkProv.ChkRes.Messy')$q$),
            pg_temp.diff('audit_run',
                format('SELECT %L, counts FROM chk_run WHERE scope = %L', 'done', p_scope),
                $q$SELECT r.status, format('added %s updated %s unchanged %s skipped %s conflicts %s sites %s/%s',
                                           r.added, r.updated, r.unchanged, r.skipped, r.conflicts,
                                           r.sites_done, r.sites_total)
                     FROM numaudit.audit_run r
                    WHERE r.customer = 'ChkProv.ChkRes.Messy'$q$));
    END IF;
    IF v_errors <> '' THEN
        RAISE EXCEPTION 'contender_checks: % scope % differs from docs/BEHAVIOUR.md', p_contender, p_scope
            USING DETAIL = v_errors;
    END IF;
    RETURN format('%s, scope %s: as expected', p_contender, p_scope);
END
$fn$;

SAVEPOINT messy;
SELECT bench.sql_audit('ChkProv.ChkRes.Messy', 'customer') AS change_rows \gset
SELECT pg_temp.check('bench.sql_audit', 'customer', true);
ROLLBACK TO SAVEPOINT messy;
SELECT bench.sql_audit('ChkProv.ChkRes.Messy', 'site') AS change_rows \gset
SELECT pg_temp.check('bench.sql_audit', 'site', true);
ROLLBACK TO SAVEPOINT messy;
SELECT bench.rbr_audit('Messy') AS writes \gset
SELECT pg_temp.check('bench.rbr_audit', 'site', false);
ROLLBACK TO SAVEPOINT messy;
\if :numaudit
SELECT count(*) AS rows FROM numaudit.run('ChkProv.ChkRes.Messy', 'customer') \gset
SELECT pg_temp.check('numaudit.run', 'customer', true);
ROLLBACK TO SAVEPOINT messy;
SELECT count(*) AS rows FROM numaudit.run('ChkProv.ChkRes.Messy', 'site') \gset
SELECT pg_temp.check('numaudit.run', 'site', true);
ROLLBACK TO SAVEPOINT messy;
\endif
ROLLBACK;
\echo contender_checks: ok

-- oracle_checks: hand-made cases pinning the rows numaudit_oracle
-- (oracle.sql) gives for the 0.3.0 rules (docs/BEHAVIOUR.md, "Real data
-- (0.3.0)"): a check of the oracle itself, not of numaudit. Run by hand in a
-- scratch database (it resets numaudit's tables):
--
--   createdb scratch && psql -d scratch -c 'CREATE EXTENSION numaudit' \
--       -f test/differential/oracle.sql -f test/differential/oracle_checks.sql
--
-- Prints one line per check (ok / FAIL with both sides) and ends with an
-- error (psql exit status 3) when any check fails. Needs a UTF8 database
-- (the cut text ends with '…').
\set ON_ERROR_STOP 1
\o /dev/null
SET client_min_messages = warning;
DROP SCHEMA IF EXISTS oracle_checks CASCADE;
SET client_min_messages = notice;
CREATE SCHEMA oracle_checks;
CREATE TABLE oracle_checks.failure (label text, report text);

-- Empties numaudit's tables and loads provider P (1) with customer Acme
-- (10, dial plan dial) and its sites (11, 12, ... in the order given).
CREATE FUNCTION oracle_checks.reset(dial text, sites text[]) RETURNS void
    LANGUAGE plpgsql
AS $fn$
BEGIN
    DELETE FROM numaudit.audit_change;
    DELETE FROM numaudit.audit_run;
    DELETE FROM numaudit.device_line;
    DELETE FROM numaudit.device;
    DELETE FROM numaudit.service;
    DELETE FROM numaudit.number;
    DELETE FROM numaudit.hierarchy;
    INSERT INTO numaudit.hierarchy (id, parent_id, name, kind, dial_plan) VALUES
        (1, NULL, 'P', 'provider', 'flat'),
        (10, 1, 'Acme', 'customer', dial);
    INSERT INTO numaudit.hierarchy (id, parent_id, name, kind, site_location_code)
    SELECT 10 + s.i, 10, s.name, 'site', CASE WHEN dial = 'slc' THEN (100 + s.i)::text END
      FROM unnest(sites) WITH ORDINALITY AS s(name, i);
END
$fn$;

CREATE FUNCTION oracle_checks.note(label text, ok boolean, report text) RETURNS void
    LANGUAGE plpgsql
AS $fn$
BEGIN
    IF ok THEN
        RAISE NOTICE 'ok    %', label;
    ELSE
        RAISE NOTICE 'FAIL  %: %', label, report;
        INSERT INTO oracle_checks.failure VALUES (label, report);
    END IF;
END
$fn$;

-- A long text as a report shows it.
CREATE FUNCTION oracle_checks.shown(t text) RETURNS text
    LANGUAGE sql IMMUTABLE
    RETURN CASE WHEN length(t) > 200 THEN left(t, 80) || ' [' || length(t) || ' characters] ' || right(t, 40)
                ELSE t END;

-- numaudit_oracle.run(customer, scope, sites) gives exactly the rows of the
-- query expected (9 columns), in its order.
CREATE FUNCTION oracle_checks.rows(label text, customer text, scope text, sites text[], expected text)
    RETURNS void
    LANGUAGE plpgsql
AS $fn$
DECLARE
    got text[];
    want text[];
BEGIN
    got := ARRAY(SELECT oracle_checks.shown(ROW(r.hierarchy, r.site, r.internal_number, r.action, r.old_status,
                                                r.old_usage, r.new_status, r.new_usage, r.detail)::text)
                   FROM numaudit_oracle.run(customer, scope, sites) WITH ORDINALITY AS r
                  ORDER BY r.ordinality);
    EXECUTE format('SELECT ARRAY(SELECT oracle_checks.shown(ROW(e.*)::text) FROM (%s) AS e)', expected) INTO want;
    PERFORM oracle_checks.note(label || ' (rows)', got = want,
                               format(E'\n  got  %s\n  want %s', array_to_string(got, E'\n       '),
                                      array_to_string(want, E'\n       ')));
END
$fn$;

-- The counts that audit records: added, updated, unchanged, skipped, conflicts.
CREATE FUNCTION oracle_checks.counts(label text, customer text, scope text, sites text[], expected bigint[])
    RETURNS void
    LANGUAGE plpgsql
AS $fn$
DECLARE
    c record;
BEGIN
    c := numaudit_oracle.counts(customer, scope, sites);
    PERFORM oracle_checks.note(label || ' (counts)',
                               ARRAY[c.added, c.updated, c.unchanged, c.skipped, c.conflicts] = expected,
                               format('got %s, want %s', ARRAY[c.added, c.updated, c.unchanged, c.skipped, c.conflicts],
                                      expected));
END
$fn$;

-- The inventory after the audit: the entries of the nodes given, as
-- "hierarchy_id|internal_number|status|usage" sorted bytewise.
CREATE FUNCTION oracle_checks.inventory(label text, customer text, scope text, sites text[], expected text[])
    RETURNS void
    LANGUAGE plpgsql
AS $fn$
DECLARE
    got text[];
BEGIN
    got := ARRAY(SELECT x FROM (SELECT concat_ws('|', i.hierarchy_id, i.internal_number, i.status,
                                                 coalesce(i.usage, 'NULL')) AS x
                                  FROM numaudit_oracle.inventory_after(customer, scope, sites) AS i) AS y
                  ORDER BY x COLLATE "C");
    expected := ARRAY(SELECT x FROM unnest(expected) AS x ORDER BY x COLLATE "C");
    PERFORM oracle_checks.note(label || ' (inventory)', got = expected,
                               format('got %s, want %s', got, expected));
END
$fn$;

-- 1. ' 5001' is 5001: the entry stays Used, nothing is added.
SELECT oracle_checks.reset('flat', '{London}');
INSERT INTO numaudit.device (id, hierarchy_id, cluster, kind, name) VALUES (1, 11, 'CL1', 'phone', 'SEP1');
INSERT INTO numaudit.device_line (device_id, line_index, pattern) VALUES (1, 1, '5001');
INSERT INTO numaudit.number (id, hierarchy_id, internal_number, status, usage) VALUES (1, 11, ' 5001', 'Used', 'Device');
SELECT oracle_checks.rows('1 entry " 5001", line 5001, scope site', 'Acme', 'site', '{London}',
                          $$SELECT NULL::text, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL WHERE false$$);
SELECT oracle_checks.counts('1 entry " 5001", line 5001, scope site', 'Acme', 'site', '{London}', '{0,0,1,0,0}');
SELECT oracle_checks.inventory('1 entry " 5001", line 5001, scope site', 'Acme', 'site', '{London}',
                               '{"11| 5001|Used|Device"}');
SELECT oracle_checks.rows('1 entry " 5001", line 5001, scope customer', 'P.Acme', 'customer', NULL,
                          $$SELECT NULL::text, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL WHERE false$$);
-- Whitespace around the pattern too (tab before, CR LF after).
UPDATE numaudit.device_line SET pattern = E'\t5001\r\n';
SELECT oracle_checks.counts('1 entry " 5001", line "\t5001\r\n"', 'Acme', 'site', NULL, '{0,0,1,0,0}');

-- 2. The entry '\+4420…' is the number +4420…, written '\+' or '+' by a use;
--    the row shows the read number, the inventory keeps the entry's text.
SELECT oracle_checks.reset('flat', '{London}');
INSERT INTO numaudit.device (id, hierarchy_id, cluster, kind, name) VALUES (1, 11, 'CL1', 'phone', 'SEP1');
INSERT INTO numaudit.device_line (device_id, line_index, pattern) VALUES (1, 1, '\+442070001'), (1, 2, '+442070002');
INSERT INTO numaudit.number (id, hierarchy_id, internal_number, status, usage) VALUES
    (1, 11, '\+442070001', 'Available', NULL),
    (2, 11, '\+442070002', 'Used', 'Device'),
    (3, 11, '\+442070003 ', 'Used', 'Device');
SELECT oracle_checks.rows('2 entries "\+4420…"', 'Acme', 'site', NULL, $$VALUES
    ('P.Acme.London', 'London', '+442070001', 'updated', 'Available', NULL, 'Used', 'Device', NULL),
    ('P.Acme.London', 'London', '+442070003', 'updated', 'Used', 'Device', 'Available', NULL, NULL)$$);
SELECT oracle_checks.inventory('2 entries "\+4420…"', 'Acme', 'site', NULL,
                               '{"11|\\+442070001|Used|Device","11|\\+442070002|Used|Device","11|\\+442070003 |Available|NULL"}');
-- A use '\+442070009' held nowhere is added with the read number.
INSERT INTO numaudit.device_line (device_id, line_index, pattern) VALUES (1, 3, ' \+442070009');
SELECT oracle_checks.rows('2 use " \+442070009" added as +442070009', 'Acme', 'site', NULL, $$VALUES
    ('P.Acme.London', 'London', '+442070001', 'updated', 'Available', NULL, 'Used', 'Device', NULL),
    ('P.Acme.London', 'London', '+442070003', 'updated', 'Used', 'Device', 'Available', NULL, NULL),
    ('P.Acme.London', 'London', '+442070009', 'added', NULL, NULL, 'Used', 'Device', NULL)$$);

-- 3. Invalid patterns: one skipped row per audited owner and read text; a
--    wildcard with whitespace around it is read as the wildcard.
SELECT oracle_checks.reset('flat', '{London,Paris}');
INSERT INTO numaudit.device (id, hierarchy_id, cluster, kind, name) VALUES
    (1, 11, 'CL1', 'phone', 'SEPA'), (2, 12, 'CL1', 'phone', 'SEPB');
INSERT INTO numaudit.device_line (device_id, line_index, pattern) VALUES
    (1, 1, '1003A'), (1, 2, ' 10x1 '), (1, 3, E'10XX\r'), (1, 4, ''), (1, 5, '1\+2'),
    (2, 1, '1003A'), (2, 2, repeat('1', 51)), (2, 3, repeat('1', 50));
INSERT INTO numaudit.service (id, hierarchy_id, cluster, kind, name, pattern) VALUES
    (1, 11, 'CL2', 'hunt_pilot', 'HP1', '1003A'), (2, 11, 'CL1', 'call_park', 'CP', E'\t');
SELECT oracle_checks.rows('3 invalid patterns, scope site London', 'Acme', 'site', '{London}', $$VALUES
    ('P.Acme.London', 'London', '', 'skipped', NULL, NULL, NULL, NULL,
     'invalid pattern: call_park CP (CL1), phone SEPA line 4 (CL1)'),
    ('P.Acme.London', 'London', '1003A', 'skipped', NULL, NULL, NULL, NULL,
     'invalid pattern: hunt_pilot HP1 (CL2), phone SEPA line 1 (CL1)'),
    ('P.Acme.London', 'London', '10XX', 'skipped', NULL, NULL, NULL, NULL,
     'wildcard pattern: phone SEPA line 3 (CL1)'),
    ('P.Acme.London', 'London', '10x1', 'skipped', NULL, NULL, NULL, NULL,
     'invalid pattern: phone SEPA line 2 (CL1)'),
    ('P.Acme.London', 'London', '1\+2', 'skipped', NULL, NULL, NULL, NULL,
     'invalid pattern: phone SEPA line 5 (CL1)')$$);
-- Paris: 51 digits are invalid, 50 are a number (added).
SELECT oracle_checks.rows('3 invalid patterns, scope site Paris', 'Acme', 'site', '{Paris}', $$VALUES
    ('P.Acme.Paris', 'Paris', '1003A', 'skipped', NULL, NULL, NULL, NULL, 'invalid pattern: phone SEPB line 1 (CL1)'),
    ('P.Acme.Paris', 'Paris', repeat('1', 50), 'added', NULL, NULL, 'Used', 'Device', NULL),
    ('P.Acme.Paris', 'Paris', repeat('1', 51), 'skipped', NULL, NULL, NULL, NULL,
     'invalid pattern: phone SEPB line 2 (CL1)')$$);
SELECT oracle_checks.counts('3 invalid patterns, scope customer', 'Acme', 'customer', NULL, '{1,0,0,7,0}');

-- 4. Invalid entries: skipped with detail 'invalid number', whatever their
--    status; the row shows the stored text and the old values.
SELECT oracle_checks.reset('slc', '{London}');
INSERT INTO numaudit.service (id, hierarchy_id, cluster, kind, name, pattern) VALUES
    (1, 11, 'CL1', 'hunt_pilot', 'HP1', '6500');
INSERT INTO numaudit.number (id, hierarchy_id, internal_number, status, usage) VALUES
    (1, 11, '65XX', 'Reserved', NULL),
    (2, 11, 'abc', 'Used', 'Device'),
    (3, 11, ' 12\+3', 'Available', ''),
    (4, 11, '', 'Cooling', 'Hunt_Pilot'),
    (5, 10, 'zz', 'Used', NULL);        -- customer level: not audited by scope site
SELECT oracle_checks.rows('4 invalid entries', 'Acme', 'site', NULL, $$VALUES
    ('P.Acme.London', 'London', '', 'skipped', 'Cooling', 'Hunt_Pilot', NULL, NULL, 'invalid number'),
    ('P.Acme.London', 'London', ' 12\+3', 'skipped', 'Available', '', NULL, NULL, 'invalid number'),
    ('P.Acme.London', 'London', '6500', 'added', NULL, NULL, 'Used-Utility', 'Hunt_Pilot', NULL),
    ('P.Acme.London', 'London', '65XX', 'skipped', 'Reserved', NULL, NULL, NULL, 'invalid number'),
    ('P.Acme.London', 'London', 'abc', 'skipped', 'Used', 'Device', NULL, NULL, 'invalid number')$$);
SELECT oracle_checks.counts('4 invalid entries', 'Acme', 'site', NULL, '{1,0,0,4,0}');
SELECT oracle_checks.inventory('4 invalid entries', 'Acme', 'site', NULL,
    '{"10|zz|Used|NULL","11||Cooling|Hunt_Pilot","11| 12\\+3|Available|","11|65XX|Reserved|NULL","11|abc|Used|Device","11|6500|Used-Utility|Hunt_Pilot"}');

-- 5. Two entries of one node for one number: one conflict row naming both
--    (items sorted bytewise: '" 5001" (id 9)' before '"5001" (id 7)'), both
--    unchanged and counted unchanged, nothing added; reported only at
--    audited nodes, but the number stays held elsewhere.
SELECT oracle_checks.reset('flat', '{London,Paris}');
INSERT INTO numaudit.device (id, hierarchy_id, cluster, kind, name) VALUES
    (1, 11, 'CL1', 'phone', 'SEP1'), (2, 12, 'CL1', 'phone', 'SEP2');
INSERT INTO numaudit.device_line (device_id, line_index, pattern) VALUES
    (1, 1, '5001'), (2, 1, '+442070001');
INSERT INTO numaudit.number (id, hierarchy_id, internal_number, status, usage) VALUES
    (7, 11, '5001', 'Available', NULL),
    (9, 11, ' 5001', 'Reserved', NULL),
    (3, 10, '+442070001', 'Available', NULL),
    (4, 10, '\+442070001', 'Available', NULL);
SELECT oracle_checks.rows('5 duplicate entries, scope site', 'Acme', 'site', NULL, $$VALUES
    ('P.Acme', NULL, '+442070001', 'skipped', NULL, NULL, NULL, NULL, 'held at customer level'),
    ('P.Acme.London', 'London', '5001', 'conflict', NULL, NULL, NULL, NULL,
     'number is held by more than one entry: " 5001" (id 9), "5001" (id 7)')$$);
SELECT oracle_checks.counts('5 duplicate entries, scope site', 'Acme', 'site', NULL, '{0,0,2,1,1}');
SELECT oracle_checks.rows('5 duplicate entries, scope customer', 'Acme', 'customer', NULL, $$VALUES
    ('P.Acme', NULL, '+442070001', 'conflict', NULL, NULL, NULL, NULL,
     'number is held by more than one entry: "+442070001" (id 3), "\+442070001" (id 4)'),
    ('P.Acme.London', 'London', '5001', 'conflict', NULL, NULL, NULL, NULL,
     'number is held by more than one entry: " 5001" (id 9), "5001" (id 7)')$$);
SELECT oracle_checks.counts('5 duplicate entries, scope customer', 'Acme', 'customer', NULL, '{0,0,4,0,2}');

-- 6. Flat, scope site: a number held at another site (selected or not) is
--    not added; the using site reports 'held at site <name>', the first
--    holder in byte order of name. The customer level comes first.
SELECT oracle_checks.reset('flat', '{London,Paris,Oslo,Rome}');
INSERT INTO numaudit.device (id, hierarchy_id, cluster, kind, name) VALUES (1, 11, 'CL1', 'phone', 'SEP1');
INSERT INTO numaudit.device_line (device_id, line_index, pattern) VALUES
    (1, 1, '6001'), (1, 2, '6002'), (1, 3, '6003'), (1, 4, '6004');
INSERT INTO numaudit.number (id, hierarchy_id, internal_number, status, usage) VALUES
    (1, 12, '6001', 'Used', 'Device'),            -- Paris
    (2, 12, '6002', 'Used', 'Device'),            -- Paris and Oslo: Oslo first
    (3, 13, E'6002\t', 'Used', 'Device'),
    (4, 14, '6003', 'Used', 'Device'),            -- Rome and the customer: customer level
    (5, 10, '6003', 'Used', 'Device'),
    (6, 14, '6004x', 'Used', 'Device');           -- invalid: holds nothing
SELECT oracle_checks.rows('6 held at site, scope site London', 'Acme', 'site', '{London}', $$VALUES
    ('P.Acme', NULL, '6003', 'skipped', NULL, NULL, NULL, NULL, 'held at customer level'),
    ('P.Acme.London', 'London', '6001', 'skipped', NULL, NULL, NULL, NULL, 'held at site Paris'),
    ('P.Acme.London', 'London', '6002', 'skipped', NULL, NULL, NULL, NULL, 'held at site Oslo'),
    ('P.Acme.London', 'London', '6004', 'added', NULL, NULL, 'Used', 'Device', NULL)$$);
SELECT oracle_checks.counts('6 held at site, scope site London', 'Acme', 'site', '{London}', '{1,0,0,3,0}');

-- 7. Flat, scope site: a number held nowhere, used by several selected sites,
--    is added once, at the first of them in byte order of name ('Zürich' <
--    'zeta' < 'Éze' bytewise, whatever the collation); the others report
--    'held at site Zürich'. An unselected site that uses it plays no part.
--    In an slc customer, each site adds its own.
SELECT oracle_checks.reset('flat', '{Éze,zeta,Zürich,Berlin}');
INSERT INTO numaudit.service (id, hierarchy_id, cluster, kind, name, pattern) VALUES
    (1, 11, 'CL1', 'call_park', 'CP1', '7001'),
    (2, 12, 'CL1', 'call_park', 'CP2', ' 7001'),
    (3, 13, 'CL1', 'meet_me', 'MM3', '7001'),
    (4, 14, 'CL1', 'call_park', 'CP4', '7001');
SELECT oracle_checks.rows('7 added once, flat', 'Acme', 'site', '{Éze,zeta,Zürich}', $$VALUES
    ('P.Acme.Zürich', 'Zürich', '7001', 'added', NULL, NULL, 'Used-Utility', 'Meet_Me,Call_Park', NULL),
    ('P.Acme.zeta', 'zeta', '7001', 'skipped', NULL, NULL, NULL, NULL, 'held at site Zürich'),
    ('P.Acme.Éze', 'Éze', '7001', 'skipped', NULL, NULL, NULL, NULL, 'held at site Zürich')$$);
SELECT oracle_checks.counts('7 added once, flat', 'Acme', 'site', '{Éze,zeta,Zürich}', '{1,0,0,2,0}');
SELECT oracle_checks.inventory('7 added once, flat', 'Acme', 'site', '{Éze,zeta,Zürich}',
                               '{"13|7001|Used-Utility|Meet_Me,Call_Park"}');
SELECT oracle_checks.rows('7 added once, flat, Éze alone', 'Acme', 'site', '{Éze}', $$VALUES
    ('P.Acme.Éze', 'Éze', '7001', 'added', NULL, NULL, 'Used-Utility', 'Meet_Me,Call_Park', NULL)$$);
UPDATE numaudit.hierarchy SET dial_plan = 'slc' WHERE id = 10;
SELECT oracle_checks.rows('7 added at each site, slc', 'Acme', 'site', '{Éze,zeta,Zürich}', $$VALUES
    ('P.Acme.Zürich', 'Zürich', '7001', 'added', NULL, NULL, 'Used-Utility', 'Meet_Me', NULL),
    ('P.Acme.zeta', 'zeta', '7001', 'added', NULL, NULL, 'Used-Utility', 'Call_Park', NULL),
    ('P.Acme.Éze', 'Éze', '7001', 'added', NULL, NULL, 'Used-Utility', 'Call_Park', NULL)$$);

-- 8. Reported text longer than 10,000 characters is cut to 10,000 and '…':
--    object and cluster names, the read text of a wildcard pattern, the
--    stored text of an invalid entry, old_usage; 10,000 exactly is kept.
SELECT oracle_checks.reset('flat', '{London}');
INSERT INTO numaudit.service (id, hierarchy_id, cluster, kind, name, pattern) VALUES
    (1, 11, 'CL1', 'hunt_pilot', repeat('N', 10001), '99XX'),
    (2, 11, 'CL1', 'hunt_pilot', repeat('é', 10000), '98XX'),
    (3, 11, repeat('C', 10001), 'call_park', 'CP', repeat('1', 10000) || 'X'),
    (4, 11, 'CL1', 'call_park', 'CP2', '5001');
INSERT INTO numaudit.number (id, hierarchy_id, internal_number, status, usage) VALUES
    (1, 11, repeat('7', 10001) || 'x', 'Available', NULL),
    (2, 11, '5001', 'Used', repeat('Device,', 1430));
SELECT oracle_checks.rows('8 long texts', 'Acme', 'site', NULL, format($$VALUES
    ('P.Acme.London', 'London', %L, 'skipped', NULL, NULL, NULL, NULL, %L),
    ('P.Acme.London', 'London', '5001', 'updated', 'Used', %L, 'Used-Utility', 'Call_Park', NULL),
    ('P.Acme.London', 'London', %L, 'skipped', 'Available', NULL, NULL, NULL, 'invalid number'),
    ('P.Acme.London', 'London', '98XX', 'skipped', NULL, NULL, NULL, NULL, %L),
    ('P.Acme.London', 'London', '99XX', 'skipped', NULL, NULL, NULL, NULL, %L)$$,
    repeat('1', 10000) || '…',
    'wildcard pattern: call_park CP (' || repeat('C', 10000) || '…)',
    left(repeat('Device,', 1430), 10000) || '…',
    repeat('7', 10000) || '…',
    'wildcard pattern: hunt_pilot ' || repeat('é', 10000) || ' (CL1)',
    'wildcard pattern: hunt_pilot ' || repeat('N', 10000) || '… (CL1)'));

-- 9. A duplicated device's numbers list names the read text of every line.
SELECT oracle_checks.reset('flat', '{London}');
INSERT INTO numaudit.device (id, hierarchy_id, cluster, kind, name) VALUES
    (1, 11, 'CL1', 'phone', 'SEPD'), (2, 11, 'CL2', 'phone', 'SEPD');
INSERT INTO numaudit.device_line (device_id, line_index, pattern) VALUES
    (1, 1, ' 1001'), (1, 2, '\+4420'), (2, 1, '1001'), (2, 2, '10XX '), (2, 3, 'abc');
SELECT oracle_checks.rows('9 duplicate device numbers', 'Acme', 'customer', NULL, $$VALUES
    ('P.Acme', NULL, NULL, 'conflict', NULL, NULL, NULL, NULL,
     'phone SEPD is configured in more than one cluster: CL1, CL2; numbers +4420, 1001, 10XX, abc'),
    ('P.Acme.London', 'London', '10XX', 'skipped', NULL, NULL, NULL, NULL, 'wildcard pattern: phone SEPD line 2 (CL2)'),
    ('P.Acme.London', 'London', 'abc', 'skipped', NULL, NULL, NULL, NULL, 'invalid pattern: phone SEPD line 3 (CL2)')$$);

-- 10. Rows about an entry show its read number (Reserved and in use).
SELECT oracle_checks.reset('flat', '{London}');
INSERT INTO numaudit.service (id, hierarchy_id, cluster, kind, name, pattern) VALUES
    (1, 11, 'CL1', 'call_park', 'CP', '5003');
INSERT INTO numaudit.number (id, hierarchy_id, internal_number, status, usage) VALUES
    (1, 11, E' 5003\n', 'Reserved', NULL);
SELECT oracle_checks.rows('10 Reserved entry " 5003\n"', 'Acme', 'customer', NULL, $$VALUES
    ('P.Acme.London', 'London', '5003', 'skipped', 'Reserved', NULL, NULL, NULL, 'Reserved')$$);

-- 11. Scope customer: a number a site holds as ' 5004' is not added at the
--     customer level; the site's entry is audited.
SELECT oracle_checks.reset('flat', '{London,Paris}');
INSERT INTO numaudit.service (id, hierarchy_id, cluster, kind, name, pattern) VALUES
    (1, 12, 'CL1', 'call_park', 'CP', '5004');
INSERT INTO numaudit.number (id, hierarchy_id, internal_number, status, usage) VALUES
    (1, 11, ' 5004', 'Available', NULL);
SELECT oracle_checks.rows('11 scope customer, site entry " 5004"', 'Acme', 'customer', NULL, $$VALUES
    ('P.Acme.London', 'London', '5004', 'updated', 'Available', NULL, 'Used-Utility', 'Call_Park', NULL)$$);

DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM oracle_checks.failure) THEN
        RAISE EXCEPTION '% oracle check(s) failed: %', (SELECT count(*) FROM oracle_checks.failure),
                        (SELECT string_agg(f.label, '; ') FROM oracle_checks.failure f);
    END IF;
    RAISE NOTICE 'every oracle check passed';
END
$$;

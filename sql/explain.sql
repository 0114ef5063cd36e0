-- Watching and explaining (0.2.0): uses() says why a number is Used,
-- pattern_number() reads patterns as the audit does, inventory_summary counts
-- entries by status per customer and site, last_run_id() finds this session's
-- run, every object has a comment, and every table is kept by pg_dump.
SET client_min_messages = warning;
DROP EXTENSION IF EXISTS numaudit CASCADE;
CREATE EXTENSION numaudit;
RESET client_min_messages;

-- H > R > Acme (flat): sites London, Paris; H > R > Slc (slc): sites A, B;
-- H > S > Acme: a second customer named Acme (bare name now ambiguous).
INSERT INTO numaudit.hierarchy (id, parent_id, name, kind, dial_plan) VALUES
    (1, NULL, 'H',      'provider', 'flat'),
    (2, 1,    'R',      'reseller', 'flat'),
    (3, 2,    'Acme',   'customer', 'flat'),
    (4, 3,    'London', 'site',     'flat'),
    (5, 3,    'Paris',  'site',     'flat'),
    (6, 2,    'Slc',    'customer', 'slc'),
    (7, 6,    'A',      'site',     'slc'),
    (8, 6,    'B',      'site',     'slc'),
    (9, 1,    'S',      'reseller', 'flat'),
    (10, 9,   'Acme',   'customer', 'flat');
INSERT INTO numaudit.device (id, hierarchy_id, cluster, kind, name) VALUES
    (1, 4, 'CL1', 'phone',          'SEP000000000001'),
    (2, 5, 'CL1', 'device_profile', 'DP-bob'),
    (3, 5, 'CL2', 'phone',          'SEP000000000002'),
    (4, 3, 'CL1', 'remote_destination_profile', 'RDP-amy'),
    (5, 7, 'CL1', 'phone',          'SEP00000000000A'),
    (6, 8, 'CL1', 'phone',          'SEP00000000000B'),
    (7, 10, 'CL1', 'phone',         'SEP0000000000FF');
INSERT INTO numaudit.device_line (device_id, line_index, pattern, partition) VALUES
    (1, 1, '1001', 'PT_A'),
    (1, 2, '\+4420001', 'PT_E164'),
    (2, 1, '1001', 'PT_B'),        -- shared line, other site, other partition
    (3, 1, '+4420001', 'PT_E164'), -- the same number unescaped, other cluster
    (4, 1, '1001', ''),             -- owned by the customer itself
    (5, 1, '500', ''),
    (6, 1, '500', ''),              -- slc: the same number at another site
    (7, 1, '1001', '');             -- the other Acme: never shown for H.R.Acme
INSERT INTO numaudit.service (id, hierarchy_id, cluster, kind, name, pattern, partition) VALUES
    (1, 3, 'CL1', 'hunt_pilot', 'HP-Acme',  '1001', 'PT_A'),
    (2, 4, 'CL1', 'call_park',  'CP-range', '10XX', ''),
    (3, 4, 'CL1', 'meet_me',    'MM',       '1002', '');
INSERT INTO numaudit.number (id, hierarchy_id, internal_number, status, usage) VALUES
    (1, 4, '1001', 'Available', NULL),
    (2, 4, '1002', 'Used', 'Device'),
    (3, 4, '1003', 'Available', NULL),
    (4, 5, '+4420001', 'Reserved', NULL),
    (5, 3, '1999', 'Cooling', NULL),
    (6, 7, '500', 'Used', 'Device'),
    (7, 10, '1001', 'Available', NULL);
SELECT setval('numaudit.number_id_seq', 100);

-- Why is 1001 Used? Lines at both sites and at the customer, and the hunt
-- pilot; not the call-park range 10XX, nor the other customer's phone.
SELECT * FROM numaudit.uses('H.R.Acme', '1001');
-- "\+4420001" and "+4420001" are the same number; partitions do not matter.
SELECT kind, name, cluster, pattern, owner, site FROM numaudit.uses('H.R.Acme', '+4420001');
-- slc: each site's use is shown with its owner.
SELECT kind, name, owner, site FROM numaudit.uses('Slc', '500');
-- A wildcard pattern stands for no number; an unused number has no use.
SELECT count(*) FROM numaudit.uses('H.R.Acme', '10XX');
SELECT count(*) FROM numaudit.uses('H.R.Acme', '1003');

-- Bad input: the same errors as run().
\set VERBOSITY sqlstate
SELECT * FROM numaudit.uses('H.R.Acme', NULL);
SELECT * FROM numaudit.uses(NULL, '1001');
SELECT * FROM numaudit.uses('H.R.Nobody', '1001');
SELECT * FROM numaudit.uses('H.R', '1001');
SELECT * FROM numaudit.uses('Acme', '1001');
\set VERBOSITY default
SELECT * FROM numaudit.uses('Acme', '1001');
-- The session is still usable.
SELECT count(*) FROM numaudit.uses('H.S.Acme', '1001');

-- pattern_number reads patterns as the audit does.
\pset null '(null)'
SELECT p AS pattern, numaudit.pattern_number(p) AS number
  FROM unnest(ARRAY['1001', '\+4420001', '+4420001', '\\+1', '*55', '5*5', '10XX',
                    '[1-2]00', '1!', '1.', '@', '']) AS p;
SELECT numaudit.pattern_number(NULL) IS NULL AS null_is_null;
\pset null ''

-- inventory_summary: one row per customer (all of its entries) and per site.
SELECT customer, site, total, available, used, used_utility, reserved, cooling, share_available
  FROM numaudit.inventory_summary ORDER BY customer, site NULLS FIRST;

-- last_run_id(): none yet; a dry run records nothing; run() and CALL do.
SELECT numaudit.last_run_id() IS NULL AS no_run_yet;
SELECT count(*) FROM numaudit.run('H.R.Acme', 'customer', dry_run => true);
SELECT numaudit.last_run_id() IS NULL AS still_none;
SELECT count(*) FROM numaudit.run('H.R.Acme', 'customer');
SELECT r.id = numaudit.last_run_id() AS is_that_run, r.customer, r.entry_point
  FROM numaudit.audit_run r ORDER BY r.id DESC LIMIT 1;
-- uses() agrees with the audit: after it, every entry of the flat customer
-- that it may change (not Reserved or Cooling, not in a conflict) has the
-- status and usage that the number's uses give.
WITH checked AS (
    SELECT n.internal_number, n.status, n.usage,
           coalesce((SELECT CASE WHEN bool_or(x.status = 'Used') THEN 'Used' WHEN count(*) > 0 THEN 'Used-Utility' END
                       FROM numaudit.uses('H.R.Acme', n.internal_number) x), 'Available') AS status_from_uses,
           (SELECT string_agg(t.usage, ',' ORDER BY t.rank)
              FROM (SELECT k.usage, min(k.rank) AS rank
                      FROM numaudit.uses('H.R.Acme', n.internal_number) y
                      JOIN numaudit.usage_kind k ON k.kind = y.kind GROUP BY k.usage) t) AS usage_from_uses
      FROM numaudit.number n JOIN numaudit.hierarchy h ON h.id = n.hierarchy_id
     WHERE (h.id = 3 OR h.parent_id = 3) AND n.status NOT IN ('Reserved', 'Cooling')
       AND n.internal_number NOT IN (SELECT c.internal_number FROM numaudit.audit_change c
                                      WHERE c.run_id = numaudit.last_run_id() AND c.action = 'conflict'
                                        AND c.internal_number IS NOT NULL))
SELECT count(*) AS entries_checked,
       count(*) FILTER (WHERE (status, usage) IS DISTINCT FROM (status_from_uses, usage_from_uses)) AS disagree,
       count(*) FILTER (WHERE status_from_uses <> 'Available') AS used
  FROM checked;
-- The same answer whatever standard_conforming_strings says ("\+" patterns).
SET standard_conforming_strings = off;
SELECT count(*) FROM numaudit.uses('H.R.Acme', '+4420001');
RESET standard_conforming_strings;
CALL numaudit.audit('Slc', 'site');
SELECT r.id = numaudit.last_run_id() AS is_that_run, r.customer, r.entry_point, r.status
  FROM numaudit.audit_run r ORDER BY r.id DESC LIMIT 1;
SELECT action, hierarchy, internal_number, new_status, new_usage
  FROM numaudit.audit_change WHERE run_id = numaudit.last_run_id() ORDER BY id;

-- After the audit the summary follows the inventory.
SELECT customer, site, total, available, used, used_utility, reserved, cooling, share_available
  FROM numaudit.inventory_summary WHERE customer_id = 3 ORDER BY site NULLS FIRST;

-- Every table, column, view, function and procedure explains itself.
SELECT c.relname AS uncommented
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE n.nspname = 'numaudit' AND c.relkind IN ('r', 'v') AND obj_description(c.oid, 'pg_class') IS NULL
UNION ALL
SELECT c.relname || '.' || a.attname
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
  JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
 WHERE n.nspname = 'numaudit' AND c.relkind IN ('r', 'v') AND col_description(c.oid, a.attnum) IS NULL
UNION ALL
SELECT p.oid::regprocedure::text
  FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
 WHERE n.nspname = 'numaudit' AND obj_description(p.oid, 'pg_proc') IS NULL;
SELECT count(*) AS comments FROM pg_description d JOIN pg_class c ON c.oid = d.objoid
 WHERE d.classoid = 'pg_class'::regclass AND c.relnamespace = 'numaudit'::regnamespace;

-- pg_dump keeps every table and sequence; of usage_kind only added kinds.
SELECT c.relname, c.relkind, coalesce(nullif(e.cond, ''), '(all rows)') AS dumped
  FROM pg_extension x,
       unnest(x.extconfig, x.extcondition) AS e (oid, cond)
  JOIN pg_class c ON c.oid = e.oid
 WHERE x.extname = 'numaudit'
 ORDER BY c.relkind, c.relname;

-- uses() looks numbers up by how they read (0.4.0: the read-number indexes
-- device_line_pattern_read_idx and service_pattern_read_idx, then the
-- customer and its sites). Padded and escaped patterns are found; a
-- backslash that is no "\+" is not; another customer's uses never show.
INSERT INTO numaudit.device_line (device_id, line_index, pattern, partition) VALUES
    (1, 3, E' 5001\t', ''),                   -- London, padded
    (2, 2, E'\r\n\\+4420001 ', ''),           -- Paris, escaped and padded
    (3, 2, repeat(' ', 100) || '5001', ''),   -- Paris, padded past the key's 60 characters
    (3, 3, '\5001', ''),                      -- invalid: its key is that of "\" || 5001
    (3, 4, repeat('5', 1048576), ''),         -- 1 MB: no number, a short key
    (7, 2, ' 5001', '');                      -- the other Acme (H.S.Acme)
INSERT INTO numaudit.service (id, hierarchy_id, cluster, kind, name, pattern, partition) VALUES
    (4, 3, 'CL1', 'hunt_pilot', 'HP-5001', E'\n5001\n', ''),  -- the customer itself
    (5, 10, 'CL1', 'hunt_pilot', 'HP-other', '5001', ''),    -- the other Acme
    (6, 4, 'CL1', 'call_park', 'CP-50XX', ' 50XX', '');      -- a wildcard
SELECT kind, name, length(pattern) AS pattern_length, line_index, owner, site
  FROM numaudit.uses('H.R.Acme', ' 5001');
SELECT kind, name, cluster, replace(replace(pattern, E'\r', '\r'), E'\n', '\n') AS pattern, owner, site
  FROM numaudit.uses('H.R.Acme', '\+4420001');
SELECT kind, name, owner FROM numaudit.uses('H.S.Acme', E'5001\n');
-- For every number any pattern stands for, uses() lists exactly what a
-- reading of every pattern of the customer and its sites finds.
WITH numbers AS (
    SELECT numaudit.pattern_number(pattern) AS n FROM numaudit.device_line
    UNION
    SELECT numaudit.pattern_number(pattern) FROM numaudit.service),
scanned AS (
    SELECT x.n, d.kind, d.name, l.line_index, l.pattern
      FROM numbers x, numaudit.device_line l JOIN numaudit.device d ON d.id = l.device_id
      JOIN numaudit.hierarchy h ON h.id = d.hierarchy_id
     WHERE (h.id = 3 OR h.parent_id = 3) AND numaudit.pattern_number(l.pattern) = x.n
    UNION ALL
    SELECT x.n, v.kind, v.name, NULL, v.pattern
      FROM numbers x, numaudit.service v JOIN numaudit.hierarchy h ON h.id = v.hierarchy_id
     WHERE (h.id = 3 OR h.parent_id = 3) AND numaudit.pattern_number(v.pattern) = x.n),
listed AS (
    SELECT x.n, u.kind, u.name, u.line_index, u.pattern
      FROM numbers x, numaudit.uses('H.R.Acme', x.n) u WHERE x.n IS NOT NULL)
SELECT (SELECT count(*) FROM numbers WHERE n IS NOT NULL) AS numbers,
       (SELECT count(*) FROM listed) AS uses,
       (SELECT count(*) FROM (SELECT * FROM scanned EXCEPT ALL SELECT * FROM listed) m) AS missed,
       (SELECT count(*) FROM (SELECT * FROM listed EXCEPT ALL SELECT * FROM scanned) e) AS extra;
-- The lookup is an index scan: its key is the indexed expression (the plan's
-- scan nodes; the key's whitespace characters would break its lines).
CREATE FUNCTION pg_temp.scans(query text) RETURNS SETOF text LANGUAGE plpgsql AS $$
DECLARE
    line text;
BEGIN
    FOR line IN EXECUTE 'EXPLAIN (COSTS OFF) ' || query LOOP
        IF line ~ 'Scan' THEN
            RETURN NEXT line;
        END IF;
    END LOOP;
END
$$;
SET enable_seqscan = off;
SELECT pg_temp.scans($$SELECT l.device_id FROM numaudit.device_line l
    WHERE left(btrim(l.pattern, E' \t\n\r'), 60) = ANY (ARRAY['+4420001', '\+4420001'])$$);
SELECT pg_temp.scans($$SELECT v.id FROM numaudit.service v
    WHERE left(btrim(v.pattern, E' \t\n\r'), 60) = ANY (ARRAY['5001', '\5001'])$$);
SELECT pg_temp.scans($$SELECT n.id FROM numaudit.number n
    WHERE left(btrim(n.internal_number, E' \t\n\r'), 60) = '1001' AND n.hierarchy_id = 4$$);
RESET enable_seqscan;
-- The indexes' key is pg_catalog's alone: a loader granted only the tables
-- (no numaudit function) still writes lines, services and entries.
SET client_min_messages = warning;
DROP ROLE IF EXISTS regress_numaudit_loader;
RESET client_min_messages;
CREATE ROLE regress_numaudit_loader;
GRANT USAGE ON SCHEMA numaudit TO regress_numaudit_loader;
GRANT INSERT ON numaudit.device_line, numaudit.service, numaudit.number TO regress_numaudit_loader;
GRANT USAGE ON SEQUENCE numaudit.number_id_seq TO regress_numaudit_loader;
SET ROLE regress_numaudit_loader;
INSERT INTO numaudit.device_line (device_id, line_index, pattern) VALUES (1, 9, E' \\+4420009\t');
INSERT INTO numaudit.service (id, hierarchy_id, cluster, kind, name, pattern) VALUES (9, 4, 'CL1', 'meet_me', 'MM9', ' 5009');
INSERT INTO numaudit.number (hierarchy_id, internal_number) VALUES (4, ' 5009');
RESET ROLE;
SELECT kind, name, line_index, site FROM numaudit.uses('H.R.Acme', '+4420009')
UNION ALL
SELECT kind, name, line_index, site FROM numaudit.uses('H.R.Acme', '5009')
 ORDER BY name;
REVOKE ALL ON numaudit.device_line, numaudit.service, numaudit.number FROM regress_numaudit_loader;
REVOKE ALL ON SEQUENCE numaudit.number_id_seq FROM regress_numaudit_loader;
REVOKE USAGE ON SCHEMA numaudit FROM regress_numaudit_loader;
DROP ROLE regress_numaudit_loader;

-- numaudit soak test: the data and the helper functions the pgbench scripts
-- call. Loaded by test/soak/run.sh into a fresh database.
--
--   P > R > Alpha (flat, sites A1..A6)   numbers 2<site><00..59>, customer 29<00..19>
--         > Bravo (flat, sites B1..B4)   numbers 3<site><00..59>, customer 39<00..19>
--         > Lima  (slc,  sites L1..L4)   numbers 10<00..59> at every site
--
-- Schema soak holds the helpers:
--   soak.events       one row per operation: op, sqlstate (NULL when it worked)
--   soak.app_entries  what the application last set on the inventory entries
--                     it wrote (to check that nothing it wrote is lost)
--   soak.audit(kind, c)   an audit of customer c (1 Alpha, 2 Bravo, 3 Lima):
--                     kind site | customer | dry | nowait | rr; it catches
--                     every error and records its SQLSTATE in soak.events
--   soak.app_*()      provisioning DML, one short transaction each
\set ON_ERROR_STOP on
SET client_min_messages = warning;
SELECT setseed(0.4242);

CREATE EXTENSION numaudit;
CREATE SCHEMA soak;

-- ---------------------------------------------------------------------------
-- Hierarchy
-- ---------------------------------------------------------------------------
INSERT INTO numaudit.hierarchy (id, parent_id, name, kind, dial_plan) VALUES
    (1, NULL, 'P', 'provider', 'flat'), (2, 1, 'R', 'reseller', 'flat'),
    (10, 2, 'Alpha', 'customer', 'flat'),
    (20, 2, 'Bravo', 'customer', 'flat'),
    (30, 2, 'Lima', 'customer', 'slc');
INSERT INTO numaudit.hierarchy (id, parent_id, name, kind, site_location_code)
SELECT 10 + k, 10, 'A' || k, 'site', NULL FROM generate_series(1, 6) k
UNION ALL
SELECT 20 + k, 20, 'B' || k, 'site', NULL FROM generate_series(1, 4) k
UNION ALL
SELECT 30 + k, 30, 'L' || k, 'site', (700 + k)::text FROM generate_series(1, 4) k;

-- Customer c (1..3) -> its hierarchy id and path.
CREATE FUNCTION soak.customer_id(c int) RETURNS bigint
    LANGUAGE sql IMMUTABLE AS $$ SELECT (c * 10)::bigint $$;
CREATE FUNCTION soak.path(c int) RETURNS text
    LANGUAGE sql IMMUTABLE AS $$ SELECT 'P.R.' || (ARRAY['Alpha', 'Bravo', 'Lima'])[c] $$;
CREATE FUNCTION soak.site_count(c int) RETURNS int
    LANGUAGE sql IMMUTABLE AS $$ SELECT (ARRAY[6, 4, 4])[c] $$;

-- A random number of node h (a site or a flat customer). Flat customers'
-- sites sometimes use a number of another site of theirs (numbers are unique
-- across a flat customer, any site may use any of them).
CREATE FUNCTION soak.random_number(h bigint) RETURNS text
    LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    c int := h / 10;
    site int := h % 10;
BEGIN
    IF c = 3 THEN
        RETURN '10' || lpad((random() * 59)::int::text, 2, '0');
    END IF;
    IF site = 0 OR random() < 0.05 THEN
        RETURN (c + 1)::text || '9' || lpad((random() * 19)::int::text, 2, '0');
    END IF;
    IF random() < 0.10 THEN
        site := 1 + (random() * (soak.site_count(c) - 1))::int;
    END IF;
    RETURN (c + 1)::text || site::text || lpad((random() * 59)::int::text, 2, '0');
END $$;

-- A random node of customer c that owns configuration: one of its sites, or
-- (flat customers, 1 in 10) the customer itself.
CREATE FUNCTION soak.random_node(c int) RETURNS bigint
    LANGUAGE sql VOLATILE AS $$
    SELECT CASE WHEN c <> 3 AND random() < 0.1 THEN c * 10
                ELSE c * 10 + 1 + (random() * (soak.site_count(c) - 1))::int END::bigint
$$;

CREATE FUNCTION soak.random_status() RETURNS text
    LANGUAGE sql VOLATILE AS $$
    SELECT (ARRAY['Available', 'Available', 'Available', 'Used', 'Used', 'Used-Utility',
                  'Reserved', 'Cooling'])[1 + floor(random() * 8)::int]
$$;

CREATE FUNCTION soak.random_usage(status text) RETURNS text
    LANGUAGE sql VOLATILE AS $$
    SELECT CASE WHEN status = 'Available' AND random() < 0.8 THEN NULL
                ELSE (ARRAY[NULL, 'Device', 'Hunt_Pilot', 'Device,Hunt_Pilot', 'Call_Park'])
                     [1 + floor(random() * 5)::int] END
$$;

CREATE FUNCTION soak.random_mac() RETURNS text
    LANGUAGE sql VOLATILE AS $$
    SELECT 'SEP' || upper(lpad(to_hex((random() * 281474976710655)::bigint), 12, '0'))
$$;

CREATE FUNCTION soak.random_cluster() RETURNS text
    LANGUAGE sql VOLATILE AS $$
    SELECT CASE WHEN random() < 0.03 THEN 'CL2' ELSE 'CL1' END
$$;

-- ---------------------------------------------------------------------------
-- Configuration: phones with 1..3 lines, device profiles, utility services
-- ---------------------------------------------------------------------------
INSERT INTO numaudit.device (hierarchy_id, cluster, kind, name)
SELECT h.id, 'CL1', 'phone', soak.random_mac()
  FROM numaudit.hierarchy h, generate_series(1, 20)
 WHERE h.kind = 'site';
INSERT INTO numaudit.device (hierarchy_id, cluster, kind, name)
SELECT h.id, 'CL1', 'device_profile', 'DP-' || h.name || '-' || i
  FROM numaudit.hierarchy h, generate_series(1, 3) i
 WHERE h.kind = 'site';
INSERT INTO numaudit.device_line (device_id, line_index, pattern, partition)
SELECT d.id, i, soak.random_number(d.hierarchy_id), 'PT-Internal'
  FROM numaudit.device d, generate_series(1, 3) i
 WHERE i = 1 OR random() < 0.3
ON CONFLICT DO NOTHING;
INSERT INTO numaudit.service (hierarchy_id, cluster, kind, name, pattern)
SELECT h.id, 'CL1', k.kind, k.kind || '-' || h.name || '-' || i, soak.random_number(h.id)
  FROM numaudit.hierarchy h, generate_series(1, 2) i,
       (VALUES ('hunt_pilot'), ('call_park'), ('pickup_group'), ('meet_me')) k (kind)
 WHERE h.kind = 'site' OR (h.kind = 'customer' AND h.dial_plan = 'flat');
-- Things the audit reports and leaves alone: a wildcard pattern per customer,
-- a device profile configured in two clusters (Alpha), a number used in two
-- clusters (Bravo).
INSERT INTO numaudit.service (hierarchy_id, cluster, kind, name, pattern)
VALUES (11, 'CL1', 'call_park', 'CP-range-A1', '21[0-5]X'),
       (21, 'CL1', 'call_park', 'CP-range-B1', '31XX'),
       (31, 'CL1', 'directed_call_park', 'DCP-L1', '10*');
INSERT INTO numaudit.device (hierarchy_id, cluster, kind, name)
VALUES (11, 'CL1', 'device_profile', 'DP-dup'), (12, 'CL2', 'device_profile', 'DP-dup'),
       (21, 'CL2', 'phone', 'SEP0000000000B1');
INSERT INTO numaudit.device_line (device_id, line_index, pattern)
SELECT d.id, 1, CASE d.name WHEN 'DP-dup' THEN '2150' ELSE '3150' END
  FROM numaudit.device d WHERE d.name IN ('DP-dup', 'SEP0000000000B1');
INSERT INTO numaudit.service (hierarchy_id, cluster, kind, name, pattern)
VALUES (21, 'CL1', 'hunt_pilot', 'HP-3150', '3150');

-- ---------------------------------------------------------------------------
-- A drifted inventory: about 60% of every node's numbers, random statuses
-- ---------------------------------------------------------------------------
INSERT INTO numaudit.number (hierarchy_id, internal_number, status, usage, description)
SELECT h.id, n.num, s.status, soak.random_usage(s.status), 'initial'
  FROM numaudit.hierarchy h
  CROSS JOIN LATERAL (
      SELECT CASE WHEN h.parent_id = 30 THEN '10' || lpad(i::text, 2, '0')
                  WHEN h.kind = 'customer' THEN (h.id / 10 + 1)::text || '9' || lpad(i::text, 2, '0')
                  ELSE (h.parent_id / 10 + 1)::text || (h.id % 10)::text || lpad(i::text, 2, '0')
             END AS num
        FROM generate_series(0, 59) i
       WHERE (h.kind = 'site' OR i < 20) AND random() < 0.6) n
  CROSS JOIN LATERAL (SELECT soak.random_status() AS status WHERE n.num IS NOT NULL) s
 WHERE h.kind = 'site' OR (h.kind = 'customer' AND h.dial_plan = 'flat');

-- ---------------------------------------------------------------------------
-- Book-keeping
-- ---------------------------------------------------------------------------
CREATE TABLE soak.events (
    id       bigint GENERATED ALWAYS AS IDENTITY,
    at       timestamptz NOT NULL DEFAULT clock_timestamp(),
    op       text NOT NULL,
    sqlstate text,          -- NULL: it worked
    message  text,
    detail   text,          -- a deadlock's detail names the statements involved
    rows     bigint         -- result rows of an audit
);

-- What the application last set on an entry it wrote: the audit never
-- changes the description, nor a Reserved or Cooling status, and never
-- deletes an entry, so at the end every row here must still be in the
-- inventory as recorded (held_status is NULL unless the application set
-- Reserved or Cooling).
CREATE TABLE soak.app_entries (
    number_id       bigint PRIMARY KEY,
    hierarchy_id    bigint NOT NULL,
    internal_number text NOT NULL,
    description     text NOT NULL,
    held_status     text
);

-- The errors expected of an operation: 55P03 of a nowait audit, 40001 of a
-- REPEATABLE READ one. (Deadlocks, 40P01, are counted apart: see run.sh.)
CREATE FUNCTION soak.expected(op text, state text) RETURNS boolean
    LANGUAGE sql IMMUTABLE AS $$
    SELECT (op = 'audit_nowait' AND state = '55P03') OR (op = 'audit_rr' AND state = '40001')
$$;

-- Whether a deadlock (an event of op with that detail) involved an audit: the
-- audit was the victim, or the detail names an audit's statement.
CREATE FUNCTION soak.audit_involved(op text, detail text) RETURNS boolean
    LANGUAGE sql IMMUTABLE AS $$
    SELECT op LIKE 'audit%' OR coalesce(detail ~ '(numaudit\.(run|audit)|soak\.audit)\(', false)
$$;

-- A random non-empty subset of customer c's sites in random order, or NULL
-- (all sites) once in ten.
CREATE FUNCTION soak.random_sites(c int) RETURNS text[]
    LANGUAGE sql VOLATILE AS $$
    SELECT CASE WHEN random() < 0.1 THEN NULL ELSE
           (SELECT array_agg(name ORDER BY r)
              FROM (SELECT h.name, random() AS r
                      FROM numaudit.hierarchy h
                     WHERE h.parent_id = c * 10 AND h.kind = 'site'
                     ORDER BY random()
                     LIMIT 1 + (random() * least(3, soak.site_count(c) - 1))::int) s) END
$$;

-- CALL numaudit.audit's arguments for customer c and a die s: scope customer
-- for a flat customer when s = 0, else scope site over random sites.
CREATE FUNCTION soak.call_scope(c int, s int) RETURNS text
    LANGUAGE sql IMMUTABLE AS $$ SELECT CASE WHEN c <> 3 AND s = 0 THEN 'customer' ELSE 'site' END $$;
CREATE FUNCTION soak.call_sites(c int, s int) RETURNS text[]
    LANGUAGE sql VOLATILE AS $$
    SELECT CASE WHEN soak.call_scope(c, s) = 'customer' THEN NULL ELSE soak.random_sites(c) END
$$;

-- An audit of customer c (1..3), recorded in soak.events with its outcome.
--   site      scope site over random sites
--   customer  scope customer (scope site over random sites for the slc customer)
--   dry       a dry run of either scope
--   nowait    either scope with nowait => true (55P03 expected)
--   rr        either scope; called by audit_rr.sql inside a REPEATABLE READ
--             transaction (40001 expected when it had to wait)
CREATE FUNCTION soak.audit(kind text, c int) RETURNS bigint
    LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    scope text := 'site';
    sites text[];
    n bigint;
    state text;
    msg text;
    det text;
BEGIN
    IF (kind = 'customer' OR (kind IN ('dry', 'nowait', 'rr') AND random() < 0.4)) AND c <> 3 THEN
        scope := 'customer';
    ELSE
        sites := soak.random_sites(c);
    END IF;
    BEGIN
        SELECT count(*) INTO n
          FROM numaudit.run(soak.path(c), scope, sites,
                            dry_run => kind = 'dry', nowait => kind = 'nowait');
    EXCEPTION WHEN OTHERS THEN
        GET STACKED DIAGNOSTICS state = RETURNED_SQLSTATE, msg = MESSAGE_TEXT,
                                det = PG_EXCEPTION_DETAIL;
        INSERT INTO soak.events (op, sqlstate, message, detail)
        VALUES ('audit_' || kind, state, msg, det);
        RETURN -1;
    END;
    INSERT INTO soak.events (op, rows) VALUES ('audit_' || kind, n);
    RETURN n;
END $$;

-- Runs one provisioning change (a short transaction of the application) and
-- records it in soak.events; an error is recorded, not raised.
CREATE FUNCTION soak.app(op text, c int) RETURNS void
    LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    state text;
    msg text;
    det text;
BEGIN
    BEGIN
        EXECUTE format('SELECT soak.%I($1)', op) USING c;
    EXCEPTION WHEN OTHERS THEN
        GET STACKED DIAGNOSTICS state = RETURNED_SQLSTATE, msg = MESSAGE_TEXT,
                                det = PG_EXCEPTION_DETAIL;
        INSERT INTO soak.events (op, sqlstate, message, detail) VALUES (op, state, msg, det);
        RETURN;
    END;
    INSERT INTO soak.events (op) VALUES (op);
END $$;

-- Phones: add one with 1..3 lines, delete one, add a line, delete a line.
-- (Random choices are made first: a volatile function in a WHERE clause would
-- be called again for every row.)
CREATE FUNCTION soak.app_add_phone(c int) RETURNS void
    LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    node bigint := soak.random_node(c);
    dev bigint;
BEGIN
    INSERT INTO numaudit.device (hierarchy_id, cluster, kind, name)
    VALUES (node, soak.random_cluster(), 'phone', soak.random_mac())
    ON CONFLICT DO NOTHING RETURNING id INTO dev;
    IF dev IS NULL THEN RETURN; END IF;
    INSERT INTO numaudit.device_line (device_id, line_index, pattern, partition)
    SELECT dev, i, soak.random_number(node), 'PT-Internal'
      FROM generate_series(1, 1 + (random() * 2)::int) i;
END $$;

CREATE FUNCTION soak.app_del_phone(c int) RETURNS void
    LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    node bigint := soak.random_node(c);
    dev bigint;
BEGIN
    SELECT d.id INTO dev FROM numaudit.device d
     WHERE d.hierarchy_id = node AND d.kind = 'phone' AND d.name <> 'SEP0000000000B1'
     ORDER BY random() LIMIT 1;
    DELETE FROM numaudit.device d WHERE d.id = dev;
END $$;

CREATE FUNCTION soak.app_add_line(c int) RETURNS void
    LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    node bigint := soak.random_node(c);
    dev bigint;
BEGIN
    SELECT d.id INTO dev FROM numaudit.device d WHERE d.hierarchy_id = node
     ORDER BY random() LIMIT 1;
    -- FOR KEY SHARE: a device deleted meanwhile gets no line (no FK error).
    PERFORM FROM numaudit.device d WHERE d.id = dev FOR KEY SHARE;
    IF NOT FOUND THEN RETURN; END IF;
    INSERT INTO numaudit.device_line (device_id, line_index, pattern, partition)
    VALUES (dev, 1 + (random() * 5)::int, soak.random_number(node), 'PT-Internal')
    ON CONFLICT DO NOTHING;
END $$;

CREATE FUNCTION soak.app_del_line(c int) RETURNS void
    LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    node bigint := soak.random_node(c);
    dev bigint;
    idx int;
BEGIN
    SELECT l.device_id, l.line_index INTO dev, idx
      FROM numaudit.device_line l JOIN numaudit.device d ON d.id = l.device_id
     WHERE d.hierarchy_id = node ORDER BY random() LIMIT 1;
    DELETE FROM numaudit.device_line l WHERE l.device_id = dev AND l.line_index = idx;
END $$;

-- Services: point one at another number (now and then a wildcard pattern).
CREATE FUNCTION soak.app_move_service(c int) RETURNS void
    LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    node bigint := soak.random_node(c);
    svc bigint;
    pat text := soak.random_number(node);
BEGIN
    IF random() < 0.05 THEN pat := left(pat, 2) || 'XX'; END IF;
    SELECT s.id INTO svc FROM numaudit.service s
     WHERE s.hierarchy_id = node
       AND s.name NOT IN ('CP-range-A1', 'CP-range-B1', 'DCP-L1', 'HP-3150')
     ORDER BY random() LIMIT 1;
    UPDATE numaudit.service s SET pattern = pat WHERE s.id = svc;
END $$;

-- Inventory: add an entry with a random status, change one's status,
-- describe one, delete one. Each is recorded in soak.app_entries in the same
-- transaction; every statement on numaudit.number changes one row.
CREATE FUNCTION soak.app_add_number(c int) RETURNS void
    LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    node bigint := soak.random_node(c);
    st text := soak.random_status();
    descr text := 'app ' || txid_current();
    r record;
BEGIN
    INSERT INTO numaudit.number (hierarchy_id, internal_number, status, usage, description)
    VALUES (node, soak.random_number(node), st, soak.random_usage(st), descr)
    ON CONFLICT DO NOTHING
    RETURNING id, hierarchy_id, internal_number INTO r;
    IF r.id IS NULL THEN RETURN; END IF;
    INSERT INTO soak.app_entries VALUES
        (r.id, r.hierarchy_id, r.internal_number, descr,
         CASE WHEN st IN ('Reserved', 'Cooling') THEN st END);
END $$;

CREATE FUNCTION soak.random_entry(c int) RETURNS bigint
    LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    node bigint := soak.random_node(c);
    entry bigint;
BEGIN
    SELECT n.id INTO entry FROM numaudit.number n WHERE n.hierarchy_id = node
     ORDER BY random() LIMIT 1;
    RETURN entry;
END $$;

CREATE FUNCTION soak.app_set_status(c int) RETURNS void
    LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    entry bigint := soak.random_entry(c);
    st text := soak.random_status();
    descr text := 'app ' || txid_current();
    r record;
BEGIN
    UPDATE numaudit.number n SET status = st, description = descr
     WHERE n.id = entry
    RETURNING n.id, n.hierarchy_id, n.internal_number INTO r;
    IF r.id IS NULL THEN RETURN; END IF;
    INSERT INTO soak.app_entries VALUES
        (r.id, r.hierarchy_id, r.internal_number, descr,
         CASE WHEN st IN ('Reserved', 'Cooling') THEN st END)
    ON CONFLICT (number_id) DO UPDATE
       SET description = excluded.description, held_status = excluded.held_status;
END $$;

CREATE FUNCTION soak.app_describe(c int) RETURNS void
    LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    entry bigint := soak.random_entry(c);
    descr text := 'app ' || txid_current();
    r record;
BEGIN
    UPDATE numaudit.number n SET description = descr
     WHERE n.id = entry
    RETURNING n.id, n.hierarchy_id, n.internal_number INTO r;
    IF r.id IS NULL THEN RETURN; END IF;
    -- held_status stays what the application last set with a status.
    INSERT INTO soak.app_entries VALUES (r.id, r.hierarchy_id, r.internal_number, descr, NULL)
    ON CONFLICT (number_id) DO UPDATE SET description = excluded.description;
END $$;

CREATE FUNCTION soak.app_del_number(c int) RETURNS void
    LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    entry bigint := soak.random_entry(c);
BEGIN
    DELETE FROM numaudit.number n WHERE n.id = entry;
    DELETE FROM soak.app_entries e WHERE e.number_id = entry;
END $$;

-- Bulk relabelling: one statement that changes the description of every
-- entry of a node, several rows locked in the order of the scan. Only in the
-- load with SOAK_BULK=1 (see run.sh).
CREATE FUNCTION soak.app_bulk_describe(c int) RETURNS void
    LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    node bigint := soak.random_node(c);
    descr text := 'bulk ' || txid_current();
BEGIN
    WITH u AS (
        UPDATE numaudit.number n SET description = descr
         WHERE n.hierarchy_id = node
        RETURNING n.id, n.hierarchy_id, n.internal_number)
    INSERT INTO soak.app_entries
    SELECT u.id, u.hierarchy_id, u.internal_number, descr, NULL FROM u
    ON CONFLICT (number_id) DO UPDATE SET description = excluded.description;
END $$;

SELECT setval(pg_get_serial_sequence('numaudit.hierarchy', 'id'), 100);
ANALYZE;

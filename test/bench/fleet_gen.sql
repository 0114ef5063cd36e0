-- numaudit fleet benchmark (test/bench/fleet.sh): many customers at once, for
-- CALL numaudit.audit_all (SPEC §5). Load gen.sql first (bench.h, bench.num).
--
--   SELECT bench.fleet_generate(customers, numbers_each);  -- configuration + bench.fleet_loaded
--   SELECT bench.fleet_change_lines(step, k);              -- k device lines moved/added/removed
--
-- Tree: FleetProv > FleetRes1 .. FleetRes4 > C00000 .. (customer c under
-- reseller 1 + c % 4; all flat, number management on) > sites S01 ..
-- S<s>, s = numbers_each / 25 between 1 and 10 (100 numbers: 4 sites;
-- 10,000: 10). A customer is on one cluster (CL<1 + c % 4>).
-- Number i (0 <= i < customers * numbers_each) is bench.num(i) ('2' || 9
-- digits), of customer i / numbers_each; within the customer, blocks of up to
-- 100 consecutive numbers dealt round-robin to its sites (DID ranges), and,
-- as in gen.sql, its bucket h = bench.h(i) decides what uses it:
--   h < 700   a line of a phone (80%), device profile (15%) or remote
--             destination profile (5%); four consecutive numbers of a site
--             share one device (1-4 lines)
--   h < 20    ... and a line of a device profile at the customer's next site
--   h % 100 = 99 (and < 700) ... and a meet-me service
--   700-749   a service, of each of the eight service kinds in turn
--   750-999   nothing: spare numbers
-- Per customer also: 2 voicemail pilots at the customer (one with an entry),
-- a CTI route point with a wildcard pattern at its first site; every 100th
-- customer has its first phone also configured in CL9 (a duplicate device).
--
-- bench.fleet_loaded is the inventory as a loader left it, drifted by 5% as
-- gen.sql's bench.loaded (g = bench.h(i, 1)):
--   g < 20      no entry at all (g < 5: the entry is at the customer level)
--   20-39       Available/NULL          40-49  Used/Hunt_Pilot
--   50-59       Used/Device             60-69  Reserved     70-74  Cooling
-- and otherwise what its uses say.
CREATE SCHEMA IF NOT EXISTS bench;

CREATE OR REPLACE FUNCTION bench.fleet_generate(n_cust integer, per integer, n_res integer DEFAULT 4)
    RETURNS text
    LANGUAGE plpgsql AS
$fn$
DECLARE
    s constant integer := least(10, greatest(1, per / 25));
    b constant integer := greatest(1, least(100, per / least(10, greatest(1, per / 25))));
    -- device ids: (customer * 16 + site) * m + the device's index in its site + 1
    m constant bigint := per / 4 + 2;
    service_kinds constant text[] := ARRAY['hunt_pilot', 'pickup_group', 'call_handler',
        'voicemail_pilot', 'meet_me', 'cti_route_point', 'call_park', 'directed_call_park'];
BEGIN
    IF EXISTS (SELECT FROM numaudit.hierarchy) THEN
        RAISE EXCEPTION 'bench.fleet_generate: numaudit.hierarchy is not empty';
    END IF;
    IF n_cust > 100000 OR per::bigint * n_cust >= 1000000000 THEN
        RAISE EXCEPTION 'bench.fleet_generate: at most 100,000 customers and 10^9 numbers';
    END IF;
    -- A loader's bulk load: no per-row foreign key checks (superuser only).
    SET LOCAL session_replication_role = replica;

    -- Ids: provider 1, resellers 2 .., customer c 1000 + c, its site k
    -- 1000000 + c * 16 + k.
    INSERT INTO numaudit.hierarchy (id, parent_id, name, kind, dial_plan) VALUES
        (1, NULL, 'FleetProv', 'provider', 'flat');
    INSERT INTO numaudit.hierarchy (id, parent_id, name, kind, dial_plan)
    SELECT 2 + r, 1, 'FleetRes' || (r + 1), 'reseller', 'flat' FROM generate_series(0, n_res - 1) AS r;
    INSERT INTO numaudit.hierarchy (id, parent_id, name, kind, dial_plan)
    SELECT 1000 + c, 2 + c % n_res, 'C' || lpad(c::text, 5, '0'), 'customer', 'flat'
      FROM generate_series(0, n_cust - 1) AS c;
    INSERT INTO numaudit.hierarchy (id, parent_id, name, kind, site_location_code)
    SELECT 1000000 + c * 16 + k, 1000 + c, 'S' || lpad((k + 1)::text, 2, '0'), 'site', (k + 1)::text
      FROM generate_series(0, n_cust - 1) AS c, generate_series(0, s - 1) AS k;

    CREATE TEMP TABLE fleet_num ON COMMIT DROP AS
    SELECT i, c, site, jj, 1000000 + c * 16 + site AS site_id, 'CL' || (1 + c % 4) AS cluster,
           bench.h(i) AS h, bench.h(i, 1) AS g
      FROM (SELECT i, i / per AS c, (i % per / b) % s AS site,
                   (i % per / b / s) * b + i % per % b AS jj
              FROM generate_series(0, n_cust::bigint * per - 1) AS i) x;

    CREATE TEMP TABLE fleet_dev ON COMMIT DROP AS
    SELECT DISTINCT ON (c, site, jj / 4)
           (c * 16 + site) * m + jj / 4 + 1 AS id, site_id, cluster,
           bench.h((c * 16 + site) * m + jj / 4, 2) AS hq
      FROM fleet_num WHERE h < 700;
    INSERT INTO numaudit.device (id, hierarchy_id, cluster, kind, name)
    SELECT id, site_id, cluster,
           CASE WHEN hq < 800 THEN 'phone' WHEN hq < 950 THEN 'device_profile'
                ELSE 'remote_destination_profile' END,
           CASE WHEN hq < 800 THEN 'SEP' || upper(lpad(to_hex(id), 12, '0'))
                WHEN hq < 950 THEN 'DP-' || id ELSE 'RDP-' || id END
      FROM fleet_dev;
    INSERT INTO numaudit.device_line (device_id, line_index, pattern, partition)
    SELECT (c * 16 + site) * m + jj / 4 + 1, 1 + jj % 4, bench.num(i), 'PT-Internal'
      FROM fleet_num WHERE h < 700;
    -- Lines shared across sites: a device profile at the customer's next site.
    INSERT INTO numaudit.device (id, hierarchy_id, cluster, kind, name)
    SELECT 1000000000000 + i, 1000000 + c * 16 + (site + 1) % s, cluster, 'device_profile', 'SHR-' || i
      FROM fleet_num WHERE h < 20;
    INSERT INTO numaudit.device_line (device_id, line_index, pattern, partition)
    SELECT 1000000000000 + i, 1, bench.num(i), 'PT-Internal' FROM fleet_num WHERE h < 20;

    INSERT INTO numaudit.service (hierarchy_id, cluster, kind, name, pattern)
    SELECT site_id, cluster, service_kinds[1 + i % 8],
           upper(left(service_kinds[1 + i % 8], 2)) || '-' || i, bench.num(i)
      FROM fleet_num WHERE h >= 700 AND h < 750
    UNION ALL
    SELECT site_id, cluster, 'meet_me', 'MM-' || i, bench.num(i)
      FROM fleet_num WHERE h < 700 AND h % 100 = 99
    UNION ALL
    SELECT 1000 + c, 'CL' || (1 + c % 4), 'voicemail_pilot', 'VM-' || (2 * c + k),
           '3' || lpad((2 * c + k)::text, 9, '0')
      FROM generate_series(0, n_cust - 1) AS c, generate_series(0, 1) AS k
    UNION ALL
    SELECT 1000000 + c * 16, 'CL' || (1 + c % 4), 'cti_route_point', 'RP-' || c,
           '9' || lpad(c::text, 5, '0') || 'XXX'
      FROM generate_series(0, n_cust - 1) AS c;

    -- Duplicate devices: every 100th customer's first phone also in CL9.
    INSERT INTO numaudit.device (id, hierarchy_id, cluster, kind, name)
    SELECT 2000000000000 + d.id, d.hierarchy_id, 'CL9', d.kind, d.name
      FROM (SELECT DISTINCT ON (h.parent_id) d.*
              FROM numaudit.device d JOIN numaudit.hierarchy h ON h.id = d.hierarchy_id
             WHERE d.kind = 'phone' AND (h.parent_id - 1000) % 100 = 0 AND d.id < 1000000000000
             ORDER BY h.parent_id, d.id) d;
    INSERT INTO numaudit.device_line (device_id, line_index, pattern, partition)
    SELECT 2000000000000 + l.device_id, l.line_index, l.pattern, 'PT-Copy'
      FROM numaudit.device_line l
     WHERE l.device_id IN (SELECT id - 2000000000000 FROM numaudit.device WHERE cluster = 'CL9');

    DROP TABLE IF EXISTS bench.fleet_loaded;
    CREATE TABLE bench.fleet_loaded AS
    SELECT CASE WHEN n.g < 5 THEN 1000 + n.c ELSE n.site_id END AS hierarchy_id,
           bench.num(n.i) AS internal_number,
           CASE WHEN n.g >= 20 AND n.g < 40 THEN 'Available'
                WHEN n.g >= 40 AND n.g < 60 THEN 'Used'
                WHEN n.g >= 60 AND n.g < 70 THEN 'Reserved'
                WHEN n.g >= 70 AND n.g < 75 THEN 'Cooling'
                WHEN n.h < 700 THEN 'Used'
                WHEN n.h < 750 THEN 'Used-Utility'
                ELSE 'Available' END AS status,
           CASE WHEN n.g >= 20 AND n.g < 40 THEN NULL
                WHEN n.g >= 40 AND n.g < 50 THEN 'Hunt_Pilot'
                WHEN n.g >= 50 AND n.g < 60 THEN 'Device'
                WHEN n.g >= 60 AND n.g < 75 THEN NULL
                WHEN n.h < 700 AND n.h % 100 = 99 THEN 'Device,Meet_Me'
                WHEN n.h < 700 THEN 'Device'
                WHEN n.h < 750 THEN (SELECT k.usage FROM numaudit.usage_kind k
                                      WHERE k.kind = service_kinds[1 + n.i % 8])
                ELSE NULL END AS usage,
           'loaded ' || n.i AS description
      FROM fleet_num n WHERE n.g >= 20 OR n.g < 5
    UNION ALL
    SELECT 1000 + c, '3' || lpad((2 * c)::text, 9, '0'), 'Used-Utility', 'Voicemail_Pilot', 'vm ' || c
      FROM generate_series(0, n_cust - 1) AS c;

    -- Spare numbers (no use), per customer, for bench.fleet_change_lines.
    DROP TABLE IF EXISTS bench.fleet_spare;
    CREATE TABLE bench.fleet_spare AS
    SELECT i, 1000 + c AS customer_id, bench.num(i) AS num, false AS used
      FROM fleet_num WHERE h >= 750;
    CREATE UNIQUE INDEX ON bench.fleet_spare (i);
    CREATE INDEX ON bench.fleet_spare (customer_id, i) WHERE NOT used;

    PERFORM setval(pg_get_serial_sequence('numaudit.hierarchy', 'id'), (SELECT max(id) FROM numaudit.hierarchy));
    PERFORM setval(pg_get_serial_sequence('numaudit.device', 'id'), (SELECT max(id) FROM numaudit.device));
    RETURN format('%s customers x %s numbers (%s sites each): %s devices, %s lines, %s services; loaded inventory %s entries',
                  n_cust, per, s, (SELECT count(*) FROM numaudit.device),
                  (SELECT count(*) FROM numaudit.device_line),
                  (SELECT count(*) FROM numaudit.service), (SELECT count(*) FROM bench.fleet_loaded));
END
$fn$;

-- k device lines changed, spread over the fleet (step makes the choice;
-- each step another), as incremental.sql's bench.change_lines does for one
-- customer: a third moved to a spare number of the same customer (UPDATE of
-- the pattern), a third added on a device (INSERT, line_index 100 + step, a
-- spare number of the device's customer), a third removed (DELETE). In the
-- caller's transaction. Returns what it did and over how many customers.
CREATE OR REPLACE FUNCTION bench.fleet_change_lines(step integer, k integer) RETURNS text
    LANGUAGE plpgsql AS
$fn$
DECLARE
    k_move constant integer := k / 3;
    k_add constant integer := k / 3;
    k_del constant integer := k - 2 * (k / 3);
    moved bigint;
    added bigint;
    removed bigint;
    customers bigint;
BEGIN
    DROP TABLE IF EXISTS pg_temp.fc_pick, pg_temp.fc_move, pg_temp.fc_add;
    -- Lines of the generated devices (not the shared-line or CL9 copies),
    -- with their customer.
    CREATE TEMP TABLE fc_pick AS
    SELECT row_number() OVER () AS rn, x.*
      FROM (SELECT l.device_id, l.line_index, h.parent_id AS customer_id
              FROM numaudit.device_line l
              JOIN numaudit.device d ON d.id = l.device_id
              JOIN numaudit.hierarchy h ON h.id = d.hierarchy_id
             WHERE l.device_id < 1000000000000
             ORDER BY hashint8(l.device_id * 8 + l.line_index + step * 1000003::bigint)
             LIMIT k_move + k_del) x;
    -- The moved lines, each with the next spare number of its customer.
    CREATE TEMP TABLE fc_move AS
    SELECT p.device_id, p.line_index, s.i, s.num
      FROM (SELECT p.*, row_number() OVER (PARTITION BY p.customer_id ORDER BY p.rn) AS r
              FROM fc_pick p WHERE p.rn <= k_move) p
      JOIN (SELECT s.*, row_number() OVER (PARTITION BY s.customer_id ORDER BY s.i) AS r
              FROM bench.fleet_spare s
             WHERE NOT s.used AND s.customer_id IN (SELECT customer_id FROM fc_pick)) s
        ON s.customer_id = p.customer_id AND s.r = p.r;
    UPDATE bench.fleet_spare s SET used = true FROM fc_move c WHERE c.i = s.i;
    CREATE TEMP TABLE fc_add AS
    SELECT d.id, s.i, s.num, d.customer_id
      FROM (SELECT d.id, h.parent_id AS customer_id,
                   row_number() OVER (PARTITION BY h.parent_id ORDER BY hashint8(d.id + step * 1000003::bigint)) AS r
              FROM (SELECT d.id, d.hierarchy_id FROM numaudit.device d WHERE d.id < 1000000000000
                     ORDER BY hashint8(d.id + step * 1000003::bigint) LIMIT k_add) d
              JOIN numaudit.hierarchy h ON h.id = d.hierarchy_id) d
      JOIN (SELECT s.*, row_number() OVER (PARTITION BY s.customer_id ORDER BY s.i) AS r
              FROM bench.fleet_spare s WHERE NOT s.used) s
        ON s.customer_id = d.customer_id AND s.r = d.r;
    UPDATE bench.fleet_spare s SET used = true FROM fc_add c WHERE c.i = s.i;

    UPDATE numaudit.device_line l SET pattern = c.num
      FROM fc_move c WHERE l.device_id = c.device_id AND l.line_index = c.line_index;
    GET DIAGNOSTICS moved = ROW_COUNT;
    INSERT INTO numaudit.device_line (device_id, line_index, pattern, partition)
    SELECT id, 100 + step, num, 'PT-Internal' FROM fc_add;
    GET DIAGNOSTICS added = ROW_COUNT;
    DELETE FROM numaudit.device_line l USING fc_pick p
     WHERE p.rn > k_move AND l.device_id = p.device_id AND l.line_index = p.line_index;
    GET DIAGNOSTICS removed = ROW_COUNT;
    SELECT count(DISTINCT c) INTO customers
      FROM (SELECT customer_id AS c FROM fc_pick UNION ALL SELECT customer_id FROM fc_add) x;
    DROP TABLE fc_pick, fc_move, fc_add;
    RETURN format('%s lines moved, %s added, %s removed, over %s customers', moved, added, removed, customers);
END
$fn$;

-- numaudit benchmark: a deterministic, realistic flat customer.
--
--   SELECT bench.generate(n_numbers, n_sites);   -- configuration + bench.loaded
--
-- Tree: BenchProv > BenchRes > Bench (flat) > sites B0001 .. B<n_sites>, in
-- four clusters (site k is in cluster CL<1 + k % 4>). Number i (0 <= i < n)
-- is '2' || 9 digits of i, belongs to a site by blocks of 100 consecutive
-- numbers dealt round-robin to the sites (a site's DID ranges), and its bucket
-- h = hash(i) mod 1000 decides what uses it:
--   h < 700   a line of a phone (80%), device profile (15%) or remote
--             destination profile (5%); four consecutive numbers of a site
--             share one device, so devices have 1-4 lines
--   h < 20    ... and a line of a device profile at another site of the same
--             cluster (a line shared across sites)
--   h % 100 = 99 (and < 700) ... and a meet-me service (Device,Meet_Me)
--   700-749   a service, of each of the eight service kinds in turn
--   750-999   nothing: spare numbers the provider holds
-- Extras: 50 voicemail pilots owned by the customer itself; on every tenth
-- site a CTI route point with a wildcard pattern; 5 phones also configured in
-- cluster CL9 (duplicate devices) and 5 numbers also used by a hunt pilot in
-- CL9 (numbers in two clusters): conflicts.
--
-- bench.loaded is the inventory as a provider's loader left it: one entry per
-- number at its site, 5% drifted (g = a second hash mod 1000):
--   g < 20      no entry at all (g < 5: the entry is at the customer level)
--   20-39       Available/NULL          40-49  Used/Hunt_Pilot
--   50-59       Used/Device             60-69  Reserved     70-74  Cooling
-- and otherwise what its uses say. The "first audit" case starts from an
-- empty inventory instead.
CREATE SCHEMA IF NOT EXISTS bench;

CREATE OR REPLACE FUNCTION bench.h(i bigint, salt bigint DEFAULT 0) RETURNS integer
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN (((i + salt * 7919) * 2654435761) % 4294967296 / 4096 % 1000)::integer;

CREATE OR REPLACE FUNCTION bench.num(i bigint) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN '2' || lpad(i::text, 9, '0');

CREATE OR REPLACE FUNCTION bench.generate(n integer, n_sites integer DEFAULT 1000)
    RETURNS text
    LANGUAGE plpgsql AS
$fn$
DECLARE
    s constant integer := n_sites;
    cust constant bigint := 3;
    service_kinds constant text[] := ARRAY['hunt_pilot', 'pickup_group', 'call_handler',
        'voicemail_pilot', 'meet_me', 'cti_route_point', 'call_park', 'directed_call_park'];
BEGIN
    IF EXISTS (SELECT FROM numaudit.hierarchy) THEN
        RAISE EXCEPTION 'bench.generate: numaudit.hierarchy is not empty';
    END IF;
    IF s % 4 <> 0 THEN
        RAISE EXCEPTION 'bench.generate: n_sites must be a multiple of 4';
    END IF;
    -- A loader's bulk load: no per-row foreign key checks (superuser only).
    SET LOCAL session_replication_role = replica;

    INSERT INTO numaudit.hierarchy (id, parent_id, name, kind, dial_plan) VALUES
        (1, NULL, 'BenchProv', 'provider', 'flat'),
        (2, 1, 'BenchRes', 'reseller', 'flat'),
        (cust, 2, 'Bench', 'customer', 'flat');
    INSERT INTO numaudit.hierarchy (id, parent_id, name, kind, site_location_code)
    SELECT cust + 1 + k, cust, 'B' || lpad((k + 1)::text, 4, '0'), 'site', (k + 1)::text
      FROM generate_series(0, s - 1) AS k;

    -- Sites hold blocks of consecutive numbers (DID ranges), blocks of 100
    -- dealt round-robin (smaller blocks when there are fewer numbers).
    CREATE TEMP TABLE gen_num ON COMMIT DROP AS
    SELECT i, (i / b) % s AS site, (i / b / s) * b + i % b AS j, bench.h(i) AS h,
           bench.h(i, 1) AS g
      FROM generate_series(0, n - 1) AS i,
           LATERAL (SELECT greatest(1, least(100, n / s)) AS b) AS block;

    -- Devices: (site, j / 4) for the device numbers; id from that key.
    CREATE TEMP TABLE gen_dev ON COMMIT DROP AS
    SELECT DISTINCT ON (site, j / 4)
           (site::bigint * 1000000 + j / 4 + 1) AS id, site, j / 4 AS q,
           bench.h(site::bigint * 1000003 + j / 4, 2) AS hq
      FROM gen_num WHERE h < 700;
    INSERT INTO numaudit.device (id, hierarchy_id, cluster, kind, name)
    SELECT id, cust + 1 + site, 'CL' || (1 + site % 4),
           CASE WHEN hq < 800 THEN 'phone' WHEN hq < 950 THEN 'device_profile'
                ELSE 'remote_destination_profile' END,
           CASE WHEN hq < 800 THEN 'SEP' || upper(lpad(to_hex(id), 12, '0'))
                WHEN hq < 950 THEN 'DP-' || id ELSE 'RDP-' || id END
      FROM gen_dev;
    INSERT INTO numaudit.device_line (device_id, line_index, pattern, partition)
    SELECT site::bigint * 1000000 + j / 4 + 1, 1 + j % 4, bench.num(i), 'PT-Internal'
      FROM gen_num WHERE h < 700;
    -- Lines shared across sites: a device profile at site + 4 (same cluster).
    INSERT INTO numaudit.device (id, hierarchy_id, cluster, kind, name)
    SELECT 2000000000 + i, cust + 1 + (site + 4) % s, 'CL' || (1 + site % 4), 'device_profile',
           'SHR-' || i
      FROM gen_num WHERE h < 20;
    INSERT INTO numaudit.device_line (device_id, line_index, pattern, partition)
    SELECT 2000000000 + i, 1, bench.num(i), 'PT-Internal' FROM gen_num WHERE h < 20;

    -- Services of every kind, meet-me numbers on phones, voicemail pilots of
    -- the customer, wildcard route points.
    INSERT INTO numaudit.service (hierarchy_id, cluster, kind, name, pattern)
    SELECT cust + 1 + site, 'CL' || (1 + site % 4), service_kinds[1 + i % 8],
           upper(left(service_kinds[1 + i % 8], 2)) || '-' || i, bench.num(i)
      FROM gen_num WHERE h >= 700 AND h < 750
    UNION ALL
    SELECT cust + 1 + site, 'CL' || (1 + site % 4), 'meet_me', 'MM-' || i, bench.num(i)
      FROM gen_num WHERE h < 700 AND h % 100 = 99
    UNION ALL
    SELECT cust, 'CL1', 'voicemail_pilot', 'VM-' || k, '3' || lpad(k::text, 9, '0')
      FROM generate_series(0, 49) AS k
    UNION ALL
    SELECT cust + 1 + k, 'CL' || (1 + k % 4), 'cti_route_point', 'RP-' || k,
           '9' || lpad(k::text, 4, '0') || 'XXX'
      FROM generate_series(0, s - 1, 10) AS k;

    -- Conflicts: five phones also in CL9, five numbers also a CL9 hunt pilot.
    INSERT INTO numaudit.device (id, hierarchy_id, cluster, kind, name)
    SELECT 3000000000 + d.id, d.hierarchy_id, 'CL9', d.kind, d.name
      FROM (SELECT * FROM numaudit.device WHERE kind = 'phone' ORDER BY id LIMIT 5) d;
    INSERT INTO numaudit.device_line (device_id, line_index, pattern, partition)
    SELECT 3000000000 + l.device_id, l.line_index, l.pattern, 'PT-Copy'
      FROM numaudit.device_line l WHERE l.device_id IN (SELECT id - 3000000000 FROM numaudit.device
                                                        WHERE cluster = 'CL9');
    INSERT INTO numaudit.service (hierarchy_id, cluster, kind, name, pattern)
    SELECT cust + 1 + site, 'CL9', 'hunt_pilot', 'HP-CL9-' || i, bench.num(i)
      FROM (SELECT * FROM gen_num WHERE h >= 100 AND h < 700 ORDER BY i LIMIT 5) x;

    -- The loaded inventory (see above), kept aside: the benchmark copies it
    -- into numaudit.number for the drift case.
    DROP TABLE IF EXISTS bench.loaded;
    CREATE TABLE bench.loaded AS
    SELECT CASE WHEN n.g < 5 THEN cust ELSE cust + 1 + n.site END AS hierarchy_id,
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
      FROM gen_num n WHERE n.g >= 20 OR n.g < 5
    UNION ALL
    SELECT cust, '3' || lpad(k::text, 9, '0'), 'Used-Utility', 'Voicemail_Pilot', 'vm ' || k
      FROM generate_series(0, 49, 2) AS k;

    PERFORM setval(pg_get_serial_sequence('numaudit.hierarchy', 'id'), cust + s);
    PERFORM setval(pg_get_serial_sequence('numaudit.device', 'id'),
                   (SELECT max(id) FROM numaudit.device));
    RETURN format('%s numbers, %s sites: %s devices, %s lines, %s services; loaded inventory %s entries',
                  n, s, (SELECT count(*) FROM numaudit.device),
                  (SELECT count(*) FROM numaudit.device_line),
                  (SELECT count(*) FROM numaudit.service), (SELECT count(*) FROM bench.loaded));
END
$fn$;

-- numaudit fault tests: a large flat customer, built set-based.
--
--   psql -v n=1000000 -v sites=1000 -f test/faults/gen_large.sql
--
-- defines public.fault_gen_large(n_entries, n_sites) and, when the psql
-- variable n is set, calls it (sites defaults to 1000). The database must have
-- numaudit installed and no other data in its tables (ids are supplied here).
--
-- Tree: FaultProv > FaultRes > Big (flat) > sites S0001 .. S<n_sites>.
-- Entry i (0 <= i < n_entries) is number 10000000+i at site 1 + i % n_sites;
-- j = i / n_sites is its index within the site, and decides what it is:
--   j % 10 in 0..5  a phone (CL1) with one line            -> Used / Device
--   j % 10 = 6      a hunt pilot (CL1)                      -> Used-Utility / Hunt_Pilot
--   j % 10 = 7      a device profile line and a call park   -> Used / Device,Call_Park
--   j % 10 in 8, 9  nothing                                 -> Available / NULL
-- and the inventory drifts (every site gets each kind of drift at j = 0, 13,
-- 25, 39, so every site has something to change):
--   j % 50 = 0      entry says Available/NULL              (updated)
--   j % 50 = 25     entry says Used/Hunt_Pilot (a phone)   (updated)
--   j % 50 = 39     entry says Used/Device (nothing uses it) (updated)
--   j % 50 = 13     no entry at all (a phone)              (added)
--   j % 500 = 101   entry Reserved (a phone)               (skipped)
-- Also: 100 voicemail pilots owned by the customer itself (entries at the
-- customer level for the even ones, none for the odd ones: scope customer
-- adds them), and the first 5 phones copied into cluster CL2 (duplicate
-- devices: conflicts, their numbers left alone).
CREATE OR REPLACE FUNCTION public.fault_gen_large(n_entries integer, n_sites integer DEFAULT 1000)
    RETURNS text
    LANGUAGE plpgsql AS
$fn$
DECLARE
    s constant integer := n_sites;
BEGIN
    IF EXISTS (SELECT FROM numaudit.hierarchy) THEN
        RAISE EXCEPTION 'fault_gen_large: numaudit.hierarchy is not empty';
    END IF;
    -- A loader's bulk load: no per-row foreign key checks (superuser only).
    SET LOCAL session_replication_role = replica;

    INSERT INTO numaudit.hierarchy (id, parent_id, name, kind, dial_plan) VALUES
        (1, NULL, 'FaultProv', 'provider', 'flat'),
        (2, 1,    'FaultRes',  'reseller', 'flat'),
        (3, 2,    'Big',       'customer', 'flat');
    INSERT INTO numaudit.hierarchy (id, parent_id, name, kind, dial_plan, site_location_code)
    SELECT 3 + k, 3, 'S' || lpad(k::text, 4, '0'), 'site', 'flat', k::text
      FROM generate_series(1, s) AS k;

    -- Devices: id i+1 for entry i.
    INSERT INTO numaudit.device (id, hierarchy_id, cluster, kind, name)
    SELECT i + 1, 4 + i % s, 'CL1',
           CASE WHEN (i / s) % 10 = 7 THEN 'device_profile' ELSE 'phone' END,
           CASE WHEN (i / s) % 10 = 7 THEN 'DP-' || i
                ELSE 'SEP' || lpad(upper(to_hex(i)), 12, '0') END
      FROM generate_series(0, n_entries - 1) AS i
     WHERE (i / s) % 10 <= 7 AND (i / s) % 10 <> 6;
    INSERT INTO numaudit.device_line (device_id, line_index, pattern, partition)
    SELECT i + 1, 1, (10000000 + i)::text, 'PT-Internal'
      FROM generate_series(0, n_entries - 1) AS i
     WHERE (i / s) % 10 <= 7 AND (i / s) % 10 <> 6;
    -- Duplicate devices: the first 5 phones also configured in CL2.
    INSERT INTO numaudit.device (id, hierarchy_id, cluster, kind, name)
    SELECT n_entries + 1 + d.id, d.hierarchy_id, 'CL2', d.kind, d.name
      FROM numaudit.device d WHERE d.kind = 'phone' ORDER BY d.id LIMIT 5;
    INSERT INTO numaudit.device_line (device_id, line_index, pattern, partition)
    SELECT n_entries + 1 + l.device_id, l.line_index, l.pattern, 'PT-Copy'
      FROM numaudit.device_line l
     WHERE l.device_id IN (SELECT d.id - n_entries - 1 FROM numaudit.device d
                            WHERE d.cluster = 'CL2');

    -- Services: hunt pilots, call parks, and the customer's voicemail pilots.
    INSERT INTO numaudit.service (id, hierarchy_id, cluster, kind, name, pattern)
    SELECT i + 1, 4 + i % s, 'CL1',
           CASE WHEN (i / s) % 10 = 6 THEN 'hunt_pilot' ELSE 'call_park' END,
           CASE WHEN (i / s) % 10 = 6 THEN 'HP-' ELSE 'CP-' END || i,
           (10000000 + i)::text
      FROM generate_series(0, n_entries - 1) AS i
     WHERE (i / s) % 10 IN (6, 7);
    INSERT INTO numaudit.service (id, hierarchy_id, cluster, kind, name, pattern)
    SELECT n_entries + 1 + k, 3, 'CL1', 'voicemail_pilot', 'VM-' || k, (9000000 + k)::text
      FROM generate_series(0, 99) AS k;

    -- The inventory.
    INSERT INTO numaudit.number (id, hierarchy_id, internal_number, status, usage, description,
                                 updated_at)
    SELECT i + 1, 4 + i % s, (10000000 + i)::text,
           CASE WHEN (i / s) % 500 = 101 THEN 'Reserved'
                WHEN (i / s) % 50 = 0 THEN 'Available'
                WHEN (i / s) % 50 = 25 THEN 'Used'
                WHEN (i / s) % 50 = 39 THEN 'Used'
                WHEN (i / s) % 10 <= 5 THEN 'Used'
                WHEN (i / s) % 10 = 6 THEN 'Used-Utility'
                WHEN (i / s) % 10 = 7 THEN 'Used'
                ELSE 'Available' END,
           CASE WHEN (i / s) % 500 = 101 THEN NULL
                WHEN (i / s) % 50 = 0 THEN NULL
                WHEN (i / s) % 50 = 25 THEN 'Hunt_Pilot'
                WHEN (i / s) % 50 = 39 THEN 'Device'
                WHEN (i / s) % 10 <= 5 THEN 'Device'
                WHEN (i / s) % 10 = 6 THEN 'Hunt_Pilot'
                WHEN (i / s) % 10 = 7 THEN 'Device,Call_Park'
                ELSE NULL END,
           'entry ' || i, '2000-01-01 00:00:00+00'
      FROM generate_series(0, n_entries - 1) AS i
     WHERE (i / s) % 50 <> 13;
    INSERT INTO numaudit.number (id, hierarchy_id, internal_number, status, usage, description,
                                 updated_at)
    SELECT n_entries + 1 + k, 3, (9000000 + k)::text, 'Used-Utility', 'Voicemail_Pilot',
           'customer vm ' || k, '2000-01-01 00:00:00+00'
      FROM generate_series(0, 99, 2) AS k;

    PERFORM setval(pg_get_serial_sequence('numaudit.hierarchy', 'id'), 3 + s);
    PERFORM setval(pg_get_serial_sequence('numaudit.device', 'id'),
                   (SELECT max(id) FROM numaudit.device));
    PERFORM setval(pg_get_serial_sequence('numaudit.service', 'id'),
                   (SELECT max(id) FROM numaudit.service));
    PERFORM setval(pg_get_serial_sequence('numaudit.number', 'id'),
                   (SELECT max(id) FROM numaudit.number));
    RETURN format('fault_gen_large: customer FaultProv.FaultRes.Big, %s sites, %s entries, '
                  '%s devices, %s lines, %s services',
                  s, (SELECT count(*) FROM numaudit.number), (SELECT count(*) FROM numaudit.device),
                  (SELECT count(*) FROM numaudit.device_line),
                  (SELECT count(*) FROM numaudit.service));
END
$fn$;

\if :{?n}
\if :{?sites}
\else
\set sites 1000
\endif
SELECT public.fault_gen_large(:n, :sites);
ANALYZE numaudit.hierarchy, numaudit.device, numaudit.device_line, numaudit.service,
        numaudit.number;
\endif

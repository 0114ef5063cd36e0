-- numaudit sharding example: sample customers for a shard.
--
--   SELECT numaudit_sample.add_customer('Provider1.ResellerA.Acme', 1000000000000, 3, 'flat', 1);
--
-- add_customer(path, id_base, sites, dial_plan, seed) adds one customer
-- with its provider and reseller (found by name, or added), its sites, and
-- its devices, services and drifted inventory, every row with an explicit
-- id from id_base on (keep id_base inside the shard's id range, shard.sql,
-- and a million apart between customers). Per site S<k>: four phones of
-- one line each; a hunt pilot and a wildcard call park; inventory entries
-- that are correct, Available though used, missing, Reserved though used,
-- and Used though nobody uses them. At customer level a voicemail pilot and
-- (flat customers) its entry; an odd seed adds a device profile configured
-- in two clusters (a conflict). Numbers of a flat customer are unique in it;
-- an slc customer's sites reuse the same extensions.
\set ON_ERROR_STOP 1

CREATE SCHEMA IF NOT EXISTS numaudit_sample;

CREATE OR REPLACE FUNCTION numaudit_sample.add_customer(path text, id_base bigint, n_sites integer,
                                                        dial_plan text, seed integer)
    RETURNS bigint
    LANGUAGE plpgsql AS
$fn$
DECLARE
    part text[] := string_to_array(path, '.');
    provider_id bigint;
    reseller_id bigint;
    customer_id bigint := id_base + 3;
    site_id bigint;
    dev bigint;
    num text;
    k integer;
    d integer;
BEGIN
    IF cardinality(part) <> 3 THEN
        RAISE EXCEPTION 'add_customer: path must be Provider.Reseller.Customer, not %', path;
    END IF;
    SELECT h.id INTO provider_id FROM numaudit.hierarchy h WHERE h.parent_id IS NULL AND h.name = part[1];
    IF provider_id IS NULL THEN
        provider_id := id_base + 1;
        INSERT INTO numaudit.hierarchy (id, parent_id, name, kind) VALUES (provider_id, NULL, part[1], 'provider');
    END IF;
    SELECT h.id INTO reseller_id FROM numaudit.hierarchy h WHERE h.parent_id = provider_id AND h.name = part[2];
    IF reseller_id IS NULL THEN
        reseller_id := id_base + 2;
        INSERT INTO numaudit.hierarchy (id, parent_id, name, kind) VALUES (reseller_id, provider_id, part[2], 'reseller');
    END IF;
    INSERT INTO numaudit.hierarchy (id, parent_id, name, kind, dial_plan)
        VALUES (customer_id, reseller_id, part[3], 'customer', dial_plan);

    FOR k IN 1 .. n_sites LOOP
        site_id := id_base + 10 + k;
        INSERT INTO numaudit.hierarchy (id, parent_id, name, kind, site_location_code)
            VALUES (site_id, customer_id, 'S' || k, 'site',
                    CASE WHEN dial_plan = 'slc' THEN (100 + k)::text END);
        FOR d IN 0 .. 3 LOOP
            dev := id_base + 1000 + k * 10 + d;
            -- flat: <seed><site><d> unique in the customer; slc: 20<d> at every site
            num := CASE WHEN dial_plan = 'slc' THEN '20' || d ELSE (seed * 1000 + k * 100 + d)::text END;
            INSERT INTO numaudit.device (id, hierarchy_id, cluster, kind, name)
                VALUES (dev, site_id, 'CL' || (1 + k % 2), 'phone',
                        'SEP' || upper(lpad(to_hex(dev % 281474976710656), 12, '0')));
            INSERT INTO numaudit.device_line (device_id, line_index, pattern, partition)
                VALUES (dev, 1, num, 'PT-Internal');
            -- d = 0 correct, 1 Available though used, 2 missing, 3 Reserved though used
            IF d <> 2 THEN
                INSERT INTO numaudit.number (id, hierarchy_id, internal_number, status, usage, description)
                    VALUES (id_base + 5000 + k * 10 + d, site_id, num,
                            (ARRAY['Used', 'Available', NULL, 'Reserved'])[d + 1],
                            CASE WHEN d = 0 THEN 'Device' END, 'seed ' || seed);
            END IF;
        END LOOP;
        num := CASE WHEN dial_plan = 'slc' THEN '250' ELSE (seed * 1000 + k * 100 + 50)::text END;
        INSERT INTO numaudit.service (id, hierarchy_id, cluster, kind, name, pattern, partition) VALUES
            (id_base + 3000 + k * 10, site_id, 'CL' || (1 + k % 2), 'hunt_pilot',
             'HP-' || part[3] || '-S' || k, num, 'PT-Internal'),
            (id_base + 3000 + k * 10 + 1, site_id, 'CL' || (1 + k % 2), 'call_park',
             'CP-' || part[3] || '-S' || k, left(num, 2) || 'XX', 'PT-Internal');
        INSERT INTO numaudit.number (id, hierarchy_id, internal_number, status, usage) VALUES
            -- a hunt pilot's number recorded as a device: Used-Utility Hunt_Pilot
            (id_base + 5000 + k * 10 + 5, site_id, num, 'Used', 'Device'),
            -- nobody uses it: Available
            (id_base + 5000 + k * 10 + 6, site_id,
             CASE WHEN dial_plan = 'slc' THEN '290' ELSE (seed * 1000 + k * 100 + 90)::text END,
             'Used', 'Device');
    END LOOP;

    num := '+4420' || lpad((seed * 1000 + 999)::text, 6, '0');
    INSERT INTO numaudit.service (id, hierarchy_id, cluster, kind, name, pattern, partition)
        VALUES (id_base + 3000, customer_id, 'CL1', 'voicemail_pilot', 'VM-' || part[3], '\' || num, 'PT-Internal');
    IF dial_plan = 'flat' THEN
        INSERT INTO numaudit.number (id, hierarchy_id, internal_number, status)
            VALUES (id_base + 5000, customer_id, num, 'Available');
    END IF;
    IF seed % 2 = 1 THEN
        INSERT INTO numaudit.device (id, hierarchy_id, cluster, kind, name) VALUES
            (id_base + 1001, id_base + 11, 'CL1', 'device_profile', 'DP-dup-' || part[3]),
            (id_base + 1002, id_base + 11, 'CL9', 'device_profile', 'DP-dup-' || part[3]);
        INSERT INTO numaudit.device_line (device_id, line_index, pattern) VALUES
            (id_base + 1001, 1, (seed * 1000 + 177)::text),
            (id_base + 1002, 1, (seed * 1000 + 177)::text);
    END IF;

    -- Rows added later without an id get ids past these.
    PERFORM setval(pg_get_serial_sequence('numaudit.' || t, 'id'),
                   greatest((SELECT last_value FROM pg_sequences
                              WHERE schemaname = 'numaudit' AND sequencename = t || '_id_seq'),
                            m))
       FROM (VALUES ('hierarchy', (SELECT max(id) FROM numaudit.hierarchy)),
                    ('device', (SELECT max(id) FROM numaudit.device)),
                    ('service', (SELECT max(id) FROM numaudit.service)),
                    ('number', (SELECT max(id) FROM numaudit.number))) AS v (t, m);
    RETURN customer_id;
END
$fn$;

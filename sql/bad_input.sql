-- Bad input (SPEC §2, bad-input table): every case gets a clear error with
-- the documented SQLSTATE, changes nothing and leaves the session usable.
-- Each failing statement is followed by \echo :LAST_ERROR_SQLSTATE so the
-- SQLSTATE is part of the expected output; the message, DETAIL and HINT are
-- shown by psql itself.
SET client_min_messages = warning;
DROP EXTENSION IF EXISTS numaudit CASCADE;
CREATE EXTENSION numaudit;
RESET client_min_messages;
\set SHOW_CONTEXT never
\set VERBOSITY default

-- Provider1
--   ResellerA: Acme (flat; sites London, Paris), Globex (slc; site Berlin),
--              Initech (number management off; site Austin)
--   ResellerB: Acme (flat; site Madrid)   -- a second customer named Acme
--   Hooli (customer directly under the provider; 200 sites S001..S200)
-- Provider2
--   ResellerC: Wayne (customer; site Gotham), Stark (customer, no sites;
--              Globex also has a site named Stark)
INSERT INTO numaudit.hierarchy (id, parent_id, name, kind, number_management, dial_plan, site_location_code) VALUES
    (1,  NULL, 'Provider1', 'provider', true,  'flat', NULL),
    (2,  1,    'ResellerA', 'reseller', true,  'flat', NULL),
    (3,  2,    'Acme',      'customer', true,  'flat', NULL),
    (4,  3,    'London',    'site',     true,  'flat', NULL),
    (5,  3,    'Paris',     'site',     true,  'flat', NULL),
    (6,  2,    'Globex',    'customer', true,  'slc',  NULL),
    (7,  6,    'Berlin',    'site',     true,  'flat', '101'),
    (8,  2,    'Initech',   'customer', false, 'flat', NULL),
    (9,  8,    'Austin',    'site',     true,  'flat', NULL),
    (10, 1,    'ResellerB', 'reseller', true,  'flat', NULL),
    (11, 10,   'Acme',      'customer', true,  'flat', NULL),
    (12, 11,   'Madrid',    'site',     true,  'flat', NULL),
    (13, 1,    'Hooli',     'customer', true,  'flat', NULL),
    (20, NULL, 'Provider2', 'provider', true,  'flat', NULL),
    (21, 20,   'ResellerC', 'reseller', true,  'flat', NULL),
    (22, 21,   'Wayne',     'customer', true,  'flat', NULL),
    (23, 22,   'Gotham',    'site',     true,  'flat', NULL),
    (24, 21,   'Stark',     'customer', true,  'flat', NULL),
    (25, 6,    'Stark',     'site',     true,  'flat', '102');  -- a site named like a customer
INSERT INTO numaudit.hierarchy (id, parent_id, name, kind)
SELECT 1000 + i, 13, 'S' || lpad(i::text, 3, '0'), 'site' FROM generate_series(1, 200) AS i;

-- Uses: every customer has something to audit, so that a call that is
-- wrongly accepted would show up as changed inventory.
INSERT INTO numaudit.device (id, hierarchy_id, cluster, kind, name) VALUES
    (1, 4,  'CL1', 'phone', 'SEP000000000001'),
    (2, 7,  'CL1', 'phone', 'SEP000000000002'),
    (3, 9,  'CL1', 'phone', 'SEP000000000003'),
    (4, 12, 'CL1', 'phone', 'SEP000000000004'),
    (5, 23, 'CL1', 'phone', 'SEP000000000005');
INSERT INTO numaudit.device_line (device_id, line_index, pattern) VALUES
    (1, 1, '1001'), (2, 1, '2001'), (3, 1, '3001'), (4, 1, '4001'), (5, 1, '5001');
INSERT INTO numaudit.service (id, hierarchy_id, cluster, kind, name, pattern) VALUES
    (1, 3,    'CL1', 'hunt_pilot', 'HP-Acme',  '1900'),
    (2, 1001, 'CL1', 'hunt_pilot', 'HP-Hooli', '6001');
INSERT INTO numaudit.number (id, hierarchy_id, internal_number, status, usage) VALUES
    (1, 4,  '1001', 'Available', NULL),
    (2, 5,  '1002', 'Used',      'Device'),
    (3, 7,  '2001', 'Available', NULL),
    (4, 9,  '3001', 'Available', NULL),
    (5, 12, '4001', 'Available', NULL),
    (6, 23, '5001', 'Available', NULL);
-- As a loader that supplies ids does, move the identity past them.
SELECT setval(pg_get_serial_sequence('numaudit.number', 'id'), max(id)) FROM numaudit.number;

-- A fingerprint of everything an audit could write; compared, never printed.
CREATE FUNCTION pg_temp.state() RETURNS text LANGUAGE sql AS $$
    SELECT concat_ws(' / ',
        (SELECT string_agg(concat_ws('|', n.id, n.hierarchy_id, n.internal_number, n.status,
                                     n.usage, n.description, n.updated_at, n.xmin), ';' ORDER BY n.id)
           FROM numaudit.number n),
        (SELECT count(*) FROM numaudit.audit_run),
        (SELECT count(*) FROM numaudit.audit_change))
$$;
SELECT (SELECT count(*) FROM numaudit.number) AS numbers,
       (SELECT count(*) FROM numaudit.audit_run) AS runs,
       (SELECT count(*) FROM numaudit.audit_change) AS changes;
SELECT pg_temp.state() AS before \gset

--
-- customer or scope NULL, unknown scope: 22023
--
SELECT * FROM numaudit.run(NULL, 'customer');
\echo :LAST_ERROR_SQLSTATE
SELECT 1 AS session_still_works;
SELECT * FROM numaudit.run('Provider1.ResellerA.Acme', NULL);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM numaudit.run('Provider1.ResellerA.Acme', 'region');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM numaudit.run('Provider1.ResellerA.Acme', '');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM numaudit.run('Provider1.ResellerA.Acme', 'sites');
\echo :LAST_ERROR_SQLSTATE
SELECT pg_temp.state() = :'before' AS nothing_changed;

-- The scope is case-insensitive (dry runs: they report and write nothing).
SELECT hierarchy, internal_number, action, new_status FROM numaudit.run('Provider1.ResellerA.Acme', 'SITE', dry_run => true);
SELECT hierarchy, internal_number, action, new_status FROM numaudit.run('Provider1.ResellerA.Acme', 'Customer', dry_run => true);
SELECT hierarchy, internal_number, action, new_status FROM numaudit.run('Provider1.ResellerA.Acme', 'cUsToMeR', dry_run => true);
SELECT pg_temp.state() = :'before' AS nothing_changed;

--
-- sites: only with scope site; no NULL or duplicate name; at most 200: 22023
--
SELECT * FROM numaudit.run('Provider1.ResellerA.Acme', 'customer', ARRAY['London']);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM numaudit.run('Provider1.ResellerA.Acme', 'Customer', ARRAY['London', 'Paris']);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM numaudit.run('Provider1.ResellerA.Acme', 'site', ARRAY['London', NULL]);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM numaudit.run('Provider1.ResellerA.Acme', 'site', ARRAY[NULL]::text[]);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM numaudit.run('Provider1.ResellerA.Acme', 'site', ARRAY['London', 'Paris', 'London']);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM numaudit.run('Provider1.Hooli', 'site',
    (SELECT array_agg('S' || lpad(i::text, 3, '0') ORDER BY i) FROM generate_series(1, 201) AS i));
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM numaudit.run('Provider1.ResellerA.Acme', 'site', ARRAY[['London'], ['Paris']]);
\echo :LAST_ERROR_SQLSTATE
SELECT 1 AS session_still_works;
SELECT pg_temp.state() = :'before' AS nothing_changed;

-- 200 sites is the limit, not past it: all 200 of Hooli's sites named.
SELECT hierarchy, site, internal_number, action, new_status, new_usage
  FROM numaudit.run('Provider1.Hooli', 'site',
       (SELECT array_agg('S' || lpad(i::text, 3, '0') ORDER BY i) FROM generate_series(1, 200) AS i),
       dry_run => true);
-- An empty sites array is the same as NULL, with either scope.
SELECT hierarchy, internal_number, action FROM numaudit.run('Provider1.ResellerA.Acme', 'site', '{}', dry_run => true);
SELECT hierarchy, internal_number, action FROM numaudit.run('Provider1.ResellerA.Acme', 'customer', '{}', dry_run => true);
SELECT pg_temp.state() = :'before' AS nothing_changed;

--
-- no such customer; no such site under that customer: 42704
--
SELECT * FROM numaudit.run('Nobody', 'customer');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM numaudit.run('Provider1.ResellerA.Nobody', 'site');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM numaudit.run('provider1.reseller-a.acme', 'site');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM numaudit.run('Provider1.ResellerA.Acme', 'site', ARRAY['Rome']);
\echo :LAST_ERROR_SQLSTATE
-- site names are matched exactly
SELECT * FROM numaudit.run('Provider1.ResellerA.Acme', 'site', ARRAY['london']);
\echo :LAST_ERROR_SQLSTATE
-- a site of another customer is not a site of this one
SELECT * FROM numaudit.run('Provider1.ResellerA.Acme', 'site', ARRAY['London', 'Berlin']);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM numaudit.run('Provider2.ResellerC.Wayne', 'site', ARRAY['Madrid']);
\echo :LAST_ERROR_SQLSTATE
-- a customer with no sites has none to name
SELECT * FROM numaudit.run('Provider2.ResellerC.Stark', 'site', ARRAY['Gotham']);
\echo :LAST_ERROR_SQLSTATE
SELECT 1 AS session_still_works;
SELECT pg_temp.state() = :'before' AS nothing_changed;

--
-- a name or path of a node that is not a customer: 42809
--
SELECT * FROM numaudit.run('Provider1', 'customer');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM numaudit.run('Provider1.ResellerA', 'customer');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM numaudit.run('ResellerB', 'site');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM numaudit.run('Provider1.ResellerA.Acme.London', 'site');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM numaudit.run('Berlin', 'site');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM numaudit.run('Gotham', 'customer');
\echo :LAST_ERROR_SQLSTATE
SELECT 1 AS session_still_works;
SELECT pg_temp.state() = :'before' AS nothing_changed;

--
-- a bare name shared by several customers: 22023, use the path
--
SELECT * FROM numaudit.run('Acme', 'site');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM numaudit.run('Acme', 'customer', dry_run => true);
\echo :LAST_ERROR_SQLSTATE
SELECT pg_temp.state() = :'before' AS nothing_changed;
-- The same customers reached by their paths work.
SELECT hierarchy, site, internal_number, action, new_status, new_usage
  FROM numaudit.run('Provider1.ResellerA.Acme', 'site', dry_run => true);
SELECT hierarchy, site, internal_number, action, new_status, new_usage
  FROM numaudit.run('Provider1.ResellerB.Acme', 'site', dry_run => true);
-- A bare name that exactly one customer has works.
SELECT hierarchy, site, internal_number, action, new_status, new_usage
  FROM numaudit.run('Wayne', 'customer', dry_run => true);
-- A bare name of one customer and of a site elsewhere names the customer.
SELECT count(*) FROM numaudit.run('Stark', 'customer', dry_run => true);
SELECT count(*) FROM numaudit.run('Stark', 'site', dry_run => true);
SELECT * FROM numaudit.run('Stark', 'site', ARRAY['Stark'], dry_run => true);
\echo :LAST_ERROR_SQLSTATE
SELECT pg_temp.state() = :'before' AS nothing_changed;

--
-- number management disabled: 55000
--
SELECT * FROM numaudit.run('Provider1.ResellerA.Initech', 'customer');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM numaudit.run('Initech', 'site', ARRAY['Austin']);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM numaudit.run('Initech', 'site', dry_run => true);
\echo :LAST_ERROR_SQLSTATE

--
-- scope customer for an slc customer: 55000, use scope site
--
SELECT * FROM numaudit.run('Provider1.ResellerA.Globex', 'customer');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM numaudit.run('Globex', 'CUSTOMER', dry_run => true);
\echo :LAST_ERROR_SQLSTATE
SELECT 1 AS session_still_works;
SELECT pg_temp.state() = :'before' AS nothing_changed;
-- scope site is what works for it
SELECT hierarchy, site, internal_number, action, new_status, new_usage
  FROM numaudit.run('Globex', 'site', dry_run => true);

--
-- An error inside the caller's transaction: the transaction is aborted as
-- usual and rolls back cleanly; nothing of it remains.
--
BEGIN;
SELECT count(*) FROM numaudit.run('Provider2.ResellerC.Wayne', 'customer');
SELECT * FROM numaudit.run('Provider1', 'customer');
\echo :LAST_ERROR_SQLSTATE
ROLLBACK;
SELECT pg_temp.state() = :'before' AS nothing_changed;

--
-- The procedure rejects the same input the same way, before it records any
-- run: no audit_run row, nothing changed.
--
CALL numaudit.audit(NULL, 'site');
\echo :LAST_ERROR_SQLSTATE
CALL numaudit.audit('Provider1.ResellerA.Acme', NULL);
\echo :LAST_ERROR_SQLSTATE
CALL numaudit.audit('Provider1.ResellerA.Acme', 'everything');
\echo :LAST_ERROR_SQLSTATE
CALL numaudit.audit('Provider1.ResellerA.Acme', 'customer', ARRAY['London']);
\echo :LAST_ERROR_SQLSTATE
CALL numaudit.audit('Provider1.ResellerA.Acme', 'site', ARRAY['London', NULL]);
\echo :LAST_ERROR_SQLSTATE
CALL numaudit.audit('Provider1.ResellerA.Acme', 'site', ARRAY['Paris', 'Paris']);
\echo :LAST_ERROR_SQLSTATE
SELECT array_agg('S' || lpad(i::text, 3, '0') ORDER BY i) AS too_many
  FROM generate_series(1, 201) AS i \gset
CALL numaudit.audit('Provider1.Hooli', 'site', :'too_many');
\echo :LAST_ERROR_SQLSTATE
CALL numaudit.audit('Nobody', 'site');
\echo :LAST_ERROR_SQLSTATE
CALL numaudit.audit('Provider1.ResellerA.Acme', 'site', ARRAY['Madrid']);
\echo :LAST_ERROR_SQLSTATE
CALL numaudit.audit('Provider1.ResellerA', 'customer');
\echo :LAST_ERROR_SQLSTATE
CALL numaudit.audit('London', 'site');
\echo :LAST_ERROR_SQLSTATE
CALL numaudit.audit('Acme', 'site');
\echo :LAST_ERROR_SQLSTATE
CALL numaudit.audit('Initech', 'site');
\echo :LAST_ERROR_SQLSTATE
CALL numaudit.audit('Globex', 'customer');
\echo :LAST_ERROR_SQLSTATE
-- and inside a transaction block (where it runs as one transaction)
BEGIN;
CALL numaudit.audit('Globex', 'customer');
\echo :LAST_ERROR_SQLSTATE
ROLLBACK;
SELECT 1 AS session_still_works;
SELECT count(*) AS audit_runs FROM numaudit.audit_run;
SELECT pg_temp.state() = :'before' AS nothing_changed;

-- After all that, good input still works, in this same session, and the
-- scope is recorded in its canonical spelling.
CALL numaudit.audit('Wayne', 'Site');
SELECT customer, scope, sites, status, error, sites_total, sites_done,
       added, updated, unchanged, skipped, conflicts
  FROM numaudit.audit_run ORDER BY id;
SELECT hierarchy, site, internal_number, action, old_status, new_status, new_usage
  FROM numaudit.run('Provider1.ResellerA.Acme', 'CUSTOMER');
SELECT customer, scope, sites, status, sites_total, sites_done,
       added, updated, unchanged, skipped, conflicts
  FROM numaudit.audit_run ORDER BY id;
SELECT h.name, n.internal_number, n.status, n.usage
  FROM numaudit.number n JOIN numaudit.hierarchy h ON h.id = n.hierarchy_id
 ORDER BY n.hierarchy_id, n.internal_number;

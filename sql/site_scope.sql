-- site_scope: SPEC §3 "Scope site" for a flat customer.
SET client_min_messages = warning;
DROP EXTENSION IF EXISTS numaudit CASCADE;
CREATE EXTENSION numaudit;
RESET client_min_messages;

-- Provider1 > ResellerA > Acme (flat) > London, Paris, Rome.
INSERT INTO numaudit.hierarchy (id, parent_id, name, kind, dial_plan) VALUES
    (1,  NULL, 'Provider1', 'provider', 'flat'),
    (2,  1,    'ResellerA', 'reseller', 'flat'),
    (10, 2,    'Acme',      'customer', 'flat'),
    (11, 10,   'London',    'site',     'flat'),
    (12, 10,   'Paris',     'site',     'flat'),
    (13, 10,   'Rome',      'site',     'flat');

INSERT INTO numaudit.device (id, hierarchy_id, cluster, kind, name) VALUES
    (101, 11, 'CL1', 'phone', 'SEP000000000101'),   -- London
    (102, 12, 'CL1', 'phone', 'SEP000000000102'),   -- Paris
    (103, 10, 'CL1', 'phone', 'SEP000000000103'),   -- customer level
    (104, 11, 'CL1', 'phone', 'SEPDDDDDDDDDDDD'),   -- duplicate phone: London CL1 ...
    (105, 13, 'CL2', 'phone', 'SEPDDDDDDDDDDDD'),   -- ... and Rome CL2
    (106, 11, 'CL1', 'phone', 'SEP000000000106'),   -- London
    (107, 11, 'CL1', 'phone', 'SEP000000000107'),   -- London
    (108, 13, 'CL1', 'phone', 'SEP000000000108');   -- Rome

INSERT INTO numaudit.device_line (device_id, line_index, pattern) VALUES
    (101, 1, '1001'),
    (101, 2, '1005'),
    (101, 3, '2002'),
    (101, 4, '4001'),
    (102, 1, '2001'),
    (102, 2, '1005'),
    (102, 3, '2002'),
    (102, 4, '6001'),
    (102, 5, '2003'),
    (103, 1, '1003'),
    (104, 1, '6001'),
    (105, 1, '6001'),
    (106, 1, '6002'),
    (107, 1, '1002');

INSERT INTO numaudit.service (id, hierarchy_id, cluster, kind, name, pattern) VALUES
    (201, 10, 'CL1', 'hunt_pilot', 'HP1004', '1004'),   -- customer level, never added
    (202, 12, 'CL1', 'call_park',  'CP55',   '55XX'),   -- Paris wildcard
    (203, 11, 'CL1', 'call_park',  'CP66',   '66XX'),   -- London wildcard
    (204, 13, 'CL1', 'hunt_pilot', 'HP3002', '3002'),   -- Rome
    (205, 11, 'CL1', 'hunt_pilot', 'HP2003', '2003'),   -- London
    (206, 13, 'CL2', 'hunt_pilot', 'HP6002', '6002');   -- 6002: CL1 (London) and CL2 (Rome)

INSERT INTO numaudit.number (id, hierarchy_id, internal_number, status, usage, description, updated_at) VALUES
    (301, 12, '1001', 'Available', NULL,     'p1001',     '2000-01-01 00:00+00'),
    (302, 12, '1003', 'Available', NULL,     NULL,        '2000-01-01 00:00+00'),
    (303, 10, '1005', 'Available', NULL,     'cust-held', '2000-01-01 00:00+00'),
    (304, 10, '1006', 'Used',      'Device', NULL,        '2000-01-01 00:00+00'),
    (305, 13, '3001', 'Used',      'Device', 'r3001',     '2000-01-01 00:00+00'),
    (306, 12, '4001', 'Reserved',  NULL,     NULL,        '2000-01-01 00:00+00'),
    (307, 12, '6002', 'Available', NULL,     NULL,        '2000-01-01 00:00+00'),
    (308, 11, '1001', 'Used',      'Device', NULL,        '2000-01-01 00:00+00'),
    (309, 13, '3002', 'Available', NULL,     NULL,        '2000-01-01 00:00+00'),
    (311, 11, '2001', 'Available', NULL,     'l2001',     '2000-01-01 00:00+00'),
    -- 1001 is held at the customer level too, but London and Paris hold
    -- their own entries: those are audited and no "held" row appears.
    (312, 10, '1001', 'Available', NULL,     'cust 1001', '2000-01-01 00:00+00');

-- Dry run of one site, Paris:
--  * Paris entries are audited against all uses of the flat customer:
--    1001 (a London phone) and 1003 (a customer-level phone) become Used;
--    4001 (Reserved) is in use by London: skipped with detail Reserved;
--  * additions only for Paris's own uses: 2002, 2003 (2003 gets the
--    usage of all uses: Paris phone + London hunt pilot); not 1002 (London's
--    own) nor 1004 (a customer-level use); 2001, a Paris phone's number, is
--    held by London: skipped, "held at site London", nothing added (a flat
--    customer's numbers are unique; 0.2.0 added a second entry at Paris);
--  * 1005 used by Paris (and London) is held at customer level: one skipped
--    row, hierarchy = the customer's path, site NULL; no Paris entry;
--  * conflicts of the whole flat customer are reported although they involve
--    London and Rome: duplicate phone (6001, which Paris also uses: not
--    added) and 6002 in CL1 and CL2 (Paris entry 6002 left unchanged);
--  * Paris's wildcard 55XX reported, London's 66XX not.
SELECT * FROM numaudit.run('Acme', 'site', ARRAY['Paris'], dry_run => true);
-- Nothing written.
SELECT count(*) AS entries, count(*) FILTER (WHERE updated_at <> '2000-01-01 00:00+00') AS touched
  FROM numaudit.number;
SELECT count(*) AS runs FROM numaudit.audit_run;

-- The same for real, scope spelt 'SITE' (case-insensitive): the same rows.
SELECT * FROM numaudit.run('Provider1.ResellerA.Acme', 'SITE', ARRAY['Paris']);
-- Only Paris entries changed or were added; London, Rome and the customer
-- level are untouched (1006 stays Used although nothing uses it, 1005 stays
-- Available although in use, Rome's 3001 stays Used).
SELECT hierarchy_id, internal_number, status, usage, description
  FROM numaudit.number
 ORDER BY hierarchy_id, internal_number COLLATE "C";
SELECT hierarchy_id, internal_number FROM numaudit.number
 WHERE updated_at <> '2000-01-01 00:00+00'
 ORDER BY hierarchy_id, internal_number COLLATE "C";

-- A named subset, London and Rome (given out of order):
--  * London: 2001 (a Paris phone) becomes Used; 1002 is added at London
--    (London's own use, held nowhere); 2002, 2003 and 4001, London's uses too,
--    are held by Paris: skipped, "held at site Paris", nothing added; 1005
--    held at customer level again; 66XX wildcard;
--  * Rome: 3001 unused -> Available; 3002 -> Used-Utility;
--  * 6001 and 6002 in conflict: nothing added at London or Rome;
--  * Paris is not audited: no Paris row.
SELECT * FROM numaudit.run('Acme', 'site', ARRAY['Rome', 'London']);
SELECT hierarchy_id, internal_number, status, usage, description
  FROM numaudit.number
 ORDER BY hierarchy_id, internal_number COLLATE "C";

-- sites NULL means every site: a new use at each site gets an entry at that
-- site (7001 London, 7002 Paris, 7003 Rome); a new customer-level use (7000)
-- gets none. Scope spelt 'Site'.
INSERT INTO numaudit.device_line (device_id, line_index, pattern) VALUES
    (101, 10, '7001'), (102, 10, '7002'), (108, 10, '7003'), (103, 10, '7000');
SELECT * FROM numaudit.run('Acme', 'Site', NULL);

-- sites '{}' is the same as NULL: every site.
INSERT INTO numaudit.device_line (device_id, line_index, pattern) VALUES
    (101, 11, '7101'), (102, 11, '7102'), (108, 11, '7103'), (103, 11, '7100');
SELECT * FROM numaudit.run('Acme', 'site', '{}');

-- Final inventory: customer-level entries never audited (1005 Available,
-- 1006 Used) and never added (1004, 1003, 7000, 7100); descriptions kept.
SELECT hierarchy_id, internal_number, status, usage, description
  FROM numaudit.number
 ORDER BY hierarchy_id, internal_number COLLATE "C";

-- A further run of all sites changes nothing: only the conflicts, the
-- numbers held at customer level or at another site, the Reserved entry in
-- use and the wildcards come back; no entry's updated_at moves.
UPDATE numaudit.number SET updated_at = '2000-01-01 00:00+00';
SELECT * FROM numaudit.run('Acme', 'site');
SELECT count(*) FILTER (WHERE updated_at <> '2000-01-01 00:00+00') AS touched,
       count(*) AS entries
  FROM numaudit.number;

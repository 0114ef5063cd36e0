-- slc: SPEC §3 for a customer with an slc (Site Location Code) dial plan,
-- audited with scope site: each site stands on its own.
SET client_min_messages = warning;
DROP EXTENSION IF EXISTS numaudit CASCADE;
CREATE EXTENSION numaudit;
RESET client_min_messages;

-- Provider1 > ResellerA > Acme (slc) > London (101), Paris (102), Rome (103).
-- The site location codes play no part in the audit.
INSERT INTO numaudit.hierarchy (id, parent_id, name, kind, dial_plan, site_location_code) VALUES
    (1,  NULL, 'Provider1', 'provider', 'flat', NULL),
    (2,  1,    'ResellerA', 'reseller', 'flat', NULL),
    (10, 2,    'Acme',      'customer', 'slc',  NULL),
    (11, 10,   'London',    'site',     'flat', '101'),
    (12, 10,   'Paris',     'site',     'flat', '102'),
    (13, 10,   'Rome',      'site',     'flat', '103');

INSERT INTO numaudit.device (id, hierarchy_id, cluster, kind, name) VALUES
    (101, 11, 'CL1', 'phone',          'SEP000000000101'),  -- London
    (103, 11, 'CL1', 'phone',          'SEP112233445566'),  -- same phone name in London CL1 ...
    (104, 12, 'CL2', 'phone',          'SEP112233445566'),  -- ... and Paris CL2: two sites, no conflict
    (105, 13, 'CL1', 'phone',          'SEP000000000105'),  -- Rome
    (106, 13, 'CL1', 'device_profile', 'DPROME'),           -- duplicate device profile
    (107, 13, 'CL2', 'device_profile', 'DPROME'),           -- within Rome: a conflict
    (108, 10, 'CL1', 'phone',          'SEP000000000108');  -- customer level

INSERT INTO numaudit.device_line (device_id, line_index, pattern) VALUES
    (101, 1, '1001'),
    (101, 2, '2001'),
    (101, 3, '1003'),
    (101, 4, '5001'),
    (101, 5, '4002'),
    (101, 6, '1002'),
    (101, 7, '4001'),
    (103, 1, '1004'),
    (104, 1, '1004'),
    (105, 1, '3001'),
    (106, 1, '3002'),
    (107, 1, '3003'),
    (108, 1, '5003');

INSERT INTO numaudit.service (id, hierarchy_id, cluster, kind, name, pattern) VALUES
    (201, 12, 'CL2', 'hunt_pilot', 'HP2001', '2001'),  -- 2001: London CL1, Paris CL2: no conflict
    (202, 12, 'CL2', 'hunt_pilot', 'HP1003', '1003'),
    (203, 13, 'CL2', 'hunt_pilot', 'HP3001', '3001'),  -- 3001: Rome CL1 and CL2: a conflict
    (204, 12, 'CL2', 'call_park',  'CPX',    '77XX'),  -- Paris wildcard
    (205, 12, 'CL2', 'hunt_pilot', 'HP5001', '5001');

INSERT INTO numaudit.number (id, hierarchy_id, internal_number, status, usage, description, updated_at) VALUES
    (301, 11, '1001', 'Available',    NULL,         'l1001', '2000-01-01 00:00+00'),
    (302, 12, '1001', 'Available',    NULL,         'p1001', '2000-01-01 00:00+00'),
    (303, 12, '1002', 'Used',         'Device',     'moved', '2000-01-01 00:00+00'),
    (304, 11, '2001', 'Available',    NULL,         NULL,    '2000-01-01 00:00+00'),
    (305, 12, '2001', 'Available',    NULL,         NULL,    '2000-01-01 00:00+00'),
    (306, 13, '3001', 'Available',    NULL,         NULL,    '2000-01-01 00:00+00'),
    (307, 13, '3002', 'Used-Utility', 'Hunt_Pilot', NULL,    '2000-01-01 00:00+00'),
    (308, 10, '5001', 'Available',    NULL,         'cust',  '2000-01-01 00:00+00'),
    (309, 10, '5002', 'Used',         'Device',     NULL,    '2000-01-01 00:00+00'),
    (310, 11, '5003', 'Available',    NULL,         NULL,    '2000-01-01 00:00+00'),
    (311, 12, '4001', 'Reserved',     NULL,         NULL,    '2000-01-01 00:00+00'),
    (312, 11, '4002', 'Cooling',      'Device',     NULL,    '2000-01-01 00:00+00'),
    (313, 13, '3004', 'Used',         'Device',     NULL,    '2000-01-01 00:00+00');

-- Dry run of London alone:
--  * London entries are audited against London's own uses only: 1001 and
--    2001 become Used Device; 5003 stays Available although a
--    customer-level phone uses it (not London's use);
--  * London's own uses without a London entry are added: 1002, 1003, 1004,
--    4001 (although Paris holds 1002 and 4001);
--  * 5001 held at customer level: skipped, hierarchy = customer, site NULL;
--  * 4002 Cooling in use at London: skipped, detail Cooling;
--  * SEP112233445566 in London CL1 and Paris CL2 is no conflict (two
--    sites), and Rome's conflicts are not looked for (Rome not audited).
SELECT * FROM numaudit.run('Acme', 'site', ARRAY['London'], dry_run => true);
-- Nothing written.
SELECT count(*) AS entries, count(*) FILTER (WHERE updated_at <> '2000-01-01 00:00+00') AS touched
  FROM numaudit.number;
SELECT count(*) AS runs FROM numaudit.audit_run;

-- For real: the same rows; only London entries change or appear.
SELECT * FROM numaudit.run('Provider1.ResellerA.Acme', 'site', ARRAY['London']);
SELECT hierarchy_id, internal_number, status, usage, description
  FROM numaudit.number
 ORDER BY hierarchy_id, internal_number COLLATE "C";

-- All sites (sites NULL):
--  * London: nothing to change any more (held 5001 and Cooling 4002 again);
--  * Paris: 1001 stays Available although London uses it; 1002 (used at
--    London only) becomes Available; 2001 becomes Used-Utility Hunt_Pilot
--    (only Paris's hunt pilot counts, no conflict with London's CL1 phone);
--    1003 added as Used-Utility Hunt_Pilot (London's 1003 is Used Device);
--    1004 added; 4001 Reserved not in use at Paris: unchanged, not reported;
--    5001 used at Paris too but reported held once; 77XX wildcard;
--  * Rome: conflicts reported with hierarchy and site = Rome: the duplicate
--    device profile DPROME (3002, 3003) and 3001 in CL1 and CL2; entries
--    3001 and 3002 left unchanged, 3003 not added; 3004 unused -> Available.
SELECT * FROM numaudit.run('Acme', 'site', NULL);
SELECT hierarchy_id, internal_number, status, usage, description
  FROM numaudit.number
 ORDER BY hierarchy_id, internal_number COLLATE "C";

-- Customer-level entries are never audited: 5002 stays Used with nothing
-- using it, 5001 stays Available. A further run changes nothing; Paris
-- alone reports no Rome conflict.
UPDATE numaudit.number SET updated_at = '2000-01-01 00:00+00';
SELECT * FROM numaudit.run('Acme', 'site', '{}');
SELECT * FROM numaudit.run('Acme', 'site', ARRAY['Paris']);
SELECT count(*) FILTER (WHERE updated_at <> '2000-01-01 00:00+00') AS touched,
       count(*) AS entries
  FROM numaudit.number;

-- flat_customer: SPEC §3 for a flat customer audited with scope customer.
SET client_min_messages = warning;
DROP EXTENSION IF EXISTS numaudit CASCADE;
CREATE EXTENSION numaudit;
RESET client_min_messages;

-- Tenant tree: Provider1 > ResellerA > Acme (flat) > London, Paris;
-- Provider1 > ResellerB > Globex > Berlin, and a site that is named "Acme"
-- (so the bare name "Acme" names a customer and a site).
-- London has a site_location_code: it means nothing for a flat customer.
INSERT INTO numaudit.hierarchy (id, parent_id, name, kind, dial_plan, site_location_code) VALUES
    (1,  NULL, 'Provider1', 'provider', 'flat', NULL),
    (2,  1,    'ResellerA', 'reseller', 'flat', NULL),
    (3,  1,    'ResellerB', 'reseller', 'flat', NULL),
    (10, 2,    'Acme',      'customer', 'flat', NULL),
    (11, 10,   'London',    'site',     'flat', 'LON'),
    (12, 10,   'Paris',     'site',     'flat', NULL),
    (20, 3,    'Globex',    'customer', 'flat', NULL),
    (21, 20,   'Berlin',    'site',     'flat', NULL),
    (22, 20,   'Acme',      'site',     'flat', NULL);

-- Devices. Clusters CL1 and CL2.
INSERT INTO numaudit.device (id, hierarchy_id, cluster, kind, name) VALUES
    (101, 11, 'CL1', 'phone',                      'SEP000000000101'),
    (102, 11, 'CL1', 'device_profile',             'DP1001'),
    (103, 12, 'CL1', 'phone',                      'SEP000000000103'),
    (104, 12, 'CL1', 'remote_destination_profile', 'RDP1003'),
    (105, 12, 'CL1', 'phone',                      'SEP000000000105'),
    (106, 10, 'CL1', 'phone',                      'SEP000000000106'),  -- customer-level device
    (107, 11, 'CL1', 'phone',                      'SEP000000000107'),
    (108, 12, 'CL1', 'phone',                      'SEP000000000108'),
    (109, 11, 'CL1', 'cti_route_point',            'CTIRP2005'),
    (110, 11, 'CL1', 'phone',                      'SEP000000000110'),
    (111, 12, 'CL1', 'phone',                      'SEP000000000111'),
    (112, 11, 'CL1', 'phone',                      'SEP000000000112'),
    -- conflicts
    (120, 11, 'CL1', 'device_profile',             'DPDUP'),
    (121, 12, 'CL2', 'device_profile',             'DPDUP'),
    (122, 11, 'CL1', 'phone',                      'SEPAABBCCDDEEFF'),
    (123, 12, 'CL2', 'phone',                      'SEPAABBCCDDEEFF'),
    (124, 11, 'CL1', 'phone',                      'SEP000000000124'),
    -- Globex: same number as Acme's 1001, in another cluster: another customer,
    -- so neither a use of Acme nor a conflict.
    (130, 21, 'CL2', 'phone',                      'SEP000000000130');

INSERT INTO numaudit.device_line (device_id, line_index, pattern, partition) VALUES
    (101, 1, '1001', 'PT_INTERNAL'),
    (101, 2, '1010', 'PT_INTERNAL'),            -- shared line (also on 105, Paris)
    (102, 1, '1001', 'PT_INTERNAL'),            -- phone + device_profile: Device once
    (103, 1, '1002', 'PT_INTERNAL'),
    (104, 1, '1003', 'PT_INTERNAL'),
    (105, 1, '1006', 'PT_INTERNAL'),
    (105, 2, '1010', 'PT_INTERNAL'),
    (106, 1, '1008', 'PT_INTERNAL'),
    (107, 1, '1005', 'PT_INTERNAL'),
    (107, 2, '1007', 'PT_INTERNAL'),
    (108, 1, '1004', 'PT_INTERNAL'),
    (108, 2, '4001', 'PT_INTERNAL'),
    (109, 1, '2005', 'PT_INTERNAL'),
    (110, 1, '\+442071234567', 'PT_E164'),
    (110, 2, '\+442071230000', 'PT_E164'),
    (111, 1, '1012', 'PT_A'),
    (112, 1, '50XX', 'PT_INTERNAL'),
    (120, 1, '6001', ''),
    (121, 1, '6002', ''),
    (122, 1, '6003', ''),
    (123, 1, '6003', ''),
    (124, 1, '6004', ''),
    (130, 1, '1001', '');

INSERT INTO numaudit.service (id, hierarchy_id, cluster, kind, name, pattern, partition) VALUES
    (201, 12, 'CL1', 'hunt_pilot',         'HP1002',  '1002', ''),
    (202, 12, 'CL1', 'hunt_pilot',         'HP1004',  '1004', ''),
    (203, 12, 'CL1', 'meet_me',            'MM1004',  '1004', ''),
    (204, 11, 'CL1', 'pickup_group',       'PG2001',  '2001', ''),
    (205, 11, 'CL1', 'call_handler',       'CH2002',  '2002', ''),
    (206, 10, 'CL1', 'voicemail_pilot',    'VM2003',  '2003', ''),   -- customer-level service
    (207, 11, 'CL1', 'meet_me',            'MM2004',  '2004', ''),
    (208, 11, 'CL1', 'call_park',          'CP2006',  '2006', ''),
    (209, 11, 'CL1', 'directed_call_park', 'DCP2007', '2007', ''),
    -- 2010: three utility kinds, inserted against rank order
    (210, 11, 'CL1', 'call_park',          'CP2010',  '2010', ''),
    (211, 11, 'CL1', 'pickup_group',       'PG2010',  '2010', ''),
    (212, 12, 'CL1', 'hunt_pilot',         'HP2010',  '2010', ''),
    (213, 10, 'CL1', 'hunt_pilot',         'HP1009',  '1009', ''),   -- customer-level service
    (214, 12, 'CL1', 'hunt_pilot',         'HP4002',  '4002', ''),
    (215, 11, 'CL1', 'hunt_pilot',         'HP44',    '+442071230000', 'PT_E164'),
    (216, 12, 'CL1', 'hunt_pilot',         'HP1012',  '1012', 'PT_B'),
    (217, 10, 'CL1', 'meet_me',            'MM57',    '*57',  ''),   -- leading * : a number
    -- wildcard patterns, one per wildcard character
    (218, 11, 'CL1', 'call_park',          'CPX1',    '52[1', ''),
    (219, 11, 'CL1', 'call_park',          'CPX2',    '53]',  ''),
    (220, 11, 'CL1', 'call_park',          'CPX3',    '54!',  ''),
    (221, 12, 'CL1', 'hunt_pilot',         'HPX4',    '55.1', ''),
    (222, 12, 'CL1', 'hunt_pilot',         'HPX5',    '@',    ''),
    (223, 10, 'CL1', 'call_park',          'CPX6',    '56*',  ''),
    (224, 10, 'CL1', 'directed_call_park', 'DCPX7',   '56*',  ''),
    (225, 12, 'CL1', 'call_park',          'CPX8',    '56*',  ''),
    (226, 10, 'CL1', 'hunt_pilot',         'HPX9',    '\+4420XXXX', ''),
    -- 6004 is also on phone 124 in CL1: one number in two clusters
    (227, 12, 'CL2', 'hunt_pilot',         'HP6004',  '6004', '');

-- Inventory. Every row starts with updated_at 2000-01-01 so that the rows the
-- audit changes can be told apart.
INSERT INTO numaudit.number (id, hierarchy_id, internal_number, status, usage, description, updated_at) VALUES
    (301, 11, '1001',          'Available',    NULL,         'desc 1001',     '2000-01-01 00:00+00'),
    (302, 10, '1002',          'Available',    NULL,         'reception',     '2000-01-01 00:00+00'),
    (303, 11, '1005',          'Used',         'Device',     'already right', '2000-01-01 00:00+00'),
    (304, 11, '1006',          'Available',    NULL,         NULL,            '2000-01-01 00:00+00'),
    (305, 12, '1006',          'Used-Utility', 'Hunt_Pilot', NULL,            '2000-01-01 00:00+00'),
    (306, 10, '1007',          'Available',    NULL,         'cust 1007',     '2000-01-01 00:00+00'),
    (307, 11, '1007',          'Available',    NULL,         'site 1007',     '2000-01-01 00:00+00'),
    (308, 12, '1008',          'Available',    NULL,         NULL,            '2000-01-01 00:00+00'),
    (309, 12, '1004',          'Available',    'Device',     NULL,            '2000-01-01 00:00+00'),
    (310, 11, '2001',          'Available',    NULL,         NULL,            '2000-01-01 00:00+00'),
    (311, 11, '2002',          'Used',         'Device',     NULL,            '2000-01-01 00:00+00'),
    (312, 10, '2010',          'Used-Utility', 'Hunt_Pilot', NULL,            '2000-01-01 00:00+00'),
    (313, 11, '3001',          'Used',         'Device',     'left company',  '2000-01-01 00:00+00'),
    (314, 10, '3002',          'Used-Utility', 'Hunt_Pilot', NULL,            '2000-01-01 00:00+00'),
    (315, 10, '3003',          'Available',    NULL,         'spare',         '2000-01-01 00:00+00'),
    (316, 12, '4001',          'Reserved',     'Device',     'VIP',           '2000-01-01 00:00+00'),
    (317, 10, '4002',          'Cooling',      NULL,         NULL,            '2000-01-01 00:00+00'),
    (318, 11, '4003',          'Reserved',     NULL,         NULL,            '2000-01-01 00:00+00'),
    (319, 12, '4004',          'Cooling',      'Device',     NULL,            '2000-01-01 00:00+00'),
    (320, 11, '+442071234567', 'Available',    NULL,         'DDI',           '2000-01-01 00:00+00'),
    (321, 10, '50XX',          'Available',    NULL,         NULL,            '2000-01-01 00:00+00'),
    (322, 11, '6001',          'Available',    NULL,         NULL,            '2000-01-01 00:00+00'),
    (323, 10, '6003',          'Used-Utility', 'Hunt_Pilot', NULL,            '2000-01-01 00:00+00'),
    (324, 12, '6004',          'Available',    NULL,         NULL,            '2000-01-01 00:00+00'),
    (325, 10, '2003',          'Available',    NULL,         NULL,            '2000-01-01 00:00+00'),
    (330, 21, '1001',          'Available',    NULL,         NULL,            '2000-01-01 00:00+00'),
    (331, 21, '1003',          'Available',    NULL,         NULL,            '2000-01-01 00:00+00');

-- Dry run, customer given by its bare name ("Acme" is also a site of Globex:
-- the one customer of that name wins). Every rule of §3 shows up here:
--  * status/usage derivation: Used beats Used-Utility; distinct tokens joined
--    in rank order (1001 phone+device_profile -> Device; 1002 phone+hunt_pilot
--    -> Device,Hunt_Pilot; 1004 -> Device,Hunt_Pilot,Meet_Me; 2010 ->
--    Hunt_Pilot,Pickup_Group_Pilot,Call_Park; 1003 remote_destination_profile
--    -> Device); every shipped utility kind (2001 pickup_group, 2002
--    call_handler, 2003 voicemail_pilot, 2004 meet_me, 2005 cti_route_point,
--    2006 call_park, 2007 directed_call_park, 1009 hunt_pilot); unused
--    entries become Available with blank usage (3001, 3002);
--  * site entries updated, no customer entry added (1001, 1006 at two sites);
--  * customer entry updated (1002, 2003, 2010), added when there is no entry
--    anywhere (1003, 1009, 1010, ...); 1007 held at customer and site: both
--    are audited;
--  * customer-level device (1008 -> Paris entry) and service (1009, 2003);
--  * shared line 1010 on phones of London and Paris: one entry, no conflict;
--  * Reserved 4001 / Cooling 4002 in use: skipped, detail = status; 4003 and
--    4004 not in use: unchanged, not reported;
--  * wildcards X [ ] ! . @ and * after the first character: skipped, one row
--    per owner and pattern (56* twice at Acme -> one row naming both);
--    '\+4420XXXX' reported as '+4420XXXX'; the entry 50XX is no number:
--    reported skipped ("invalid number") and left as it is (0.2.0 audited it
--    like a number);
--  * '\+' patterns: '\+442071234567' is the entry '+442071234567';
--    '\+442071230000' and '+442071230000' are one number;
--  * leading * is a number ('*57' added);
--  * partitions: 1012 in PT_A and PT_B is one number, one entry, no conflict;
--  * conflicts, each once: duplicate device_profile DPDUP (6001, 6002),
--    duplicate phone SEPAABBCCDDEEFF (6003; no second row for 6003),
--    6004 in CL1 and CL2. 6001/6003/6004 entries unchanged, 6002 not added.
SELECT * FROM numaudit.run('Acme', 'customer', dry_run => true);

-- Dry run wrote nothing: no entry changed or added, no history.
SELECT count(*) AS entries, count(*) FILTER (WHERE updated_at <> '2000-01-01 00:00+00') AS touched
  FROM numaudit.number;
SELECT count(*) AS runs FROM numaudit.audit_run;

-- The real run, customer given by its full path: the same rows.
BEGIN;
SELECT * FROM numaudit.run('Provider1.ResellerA.Acme', 'customer');

-- updated_at is now() on exactly the changed and added rows; every other row
-- keeps its old updated_at.
SELECT n.hierarchy_id, n.internal_number,
       CASE WHEN n.updated_at = now() THEN 'now'
            WHEN n.updated_at = '2000-01-01 00:00+00' THEN 'old'
            ELSE 'other' END AS updated_at
  FROM numaudit.number n
 ORDER BY n.hierarchy_id, n.internal_number COLLATE "C";
COMMIT;

-- Resulting inventory: status/usage as reported above, descriptions
-- untouched, nothing deleted, Globex untouched.
SELECT hierarchy_id, internal_number, status, usage, description
  FROM numaudit.number
 ORDER BY hierarchy_id, internal_number COLLATE "C";

-- Re-run (scope in another case, sites '{}' accepted with scope customer):
-- nothing added or updated any more, no row's updated_at moves; only the
-- same skipped and conflict rows come back.
UPDATE numaudit.number SET updated_at = '2000-01-01 00:00+00';
SELECT action, count(*) FROM numaudit.run('Acme', 'Customer', '{}') GROUP BY action ORDER BY action;
SELECT count(*) FILTER (WHERE updated_at <> '2000-01-01 00:00+00') AS touched FROM numaudit.number;

-- Another customer is audited only against its own uses: Globex's 1001 is
-- Used (its own phone), its 1003 stays Available although Acme uses 1003.
SELECT * FROM numaudit.run('Globex', 'customer');
-- Idempotent: a second run of a customer without conflicts, wildcards or
-- Reserved/Cooling entries in use returns no rows.
SELECT * FROM numaudit.run('Provider1.ResellerB.Globex', 'customer');
SELECT hierarchy_id, internal_number, status, usage, description
  FROM numaudit.number WHERE hierarchy_id IN (20, 21, 22)
 ORDER BY hierarchy_id, internal_number COLLATE "C";

-- An exact path wins over a bare name: a customer literally named
-- "Provider1.ResellerA.Acme" under ResellerB does not hide Acme's path.
-- Names can no longer hold a "." (SPEC §3 "The tree"), so only a row written
-- before 0.3.0 is named so: it is inserted with the check off.
\set VERBOSITY terse
INSERT INTO numaudit.hierarchy (id, parent_id, name, kind) VALUES (30, 3, 'Provider1.ResellerA.Acme', 'customer');
\set VERBOSITY default
SET session_replication_role = replica;
INSERT INTO numaudit.hierarchy (id, parent_id, name, kind) VALUES (30, 3, 'Provider1.ResellerA.Acme', 'customer');
RESET session_replication_role;
SELECT DISTINCT hierarchy FROM numaudit.run('Provider1.ResellerA.Acme', 'customer', dry_run => true) ORDER BY 1;
DELETE FROM numaudit.hierarchy WHERE id = 30;

-- Never delete: once every device and service of Acme is gone, every entry
-- is kept; the ones that were in use become Available with blank usage;
-- Reserved/Cooling entries stay as they are; descriptions stay.
DELETE FROM numaudit.device WHERE hierarchy_id IN (10, 11, 12);
DELETE FROM numaudit.service WHERE hierarchy_id IN (10, 11, 12);
SELECT count(*) AS entries FROM numaudit.number;
SELECT * FROM numaudit.run('Acme', 'customer');
SELECT count(*) AS entries FROM numaudit.number;
SELECT hierarchy_id, internal_number, status, usage, description
  FROM numaudit.number
 ORDER BY hierarchy_id, internal_number COLLATE "C";

-- A duplicate device is found whatever its lines' patterns: phone
-- SEP0000000001CC is in CL1 (London, wildcard line 65XX) and in CL2 (Paris,
-- line 6005). One conflict row naming both patterns; 6005 is not added; the
-- wildcard is still reported as skipped.
INSERT INTO numaudit.device (id, hierarchy_id, cluster, kind, name) VALUES
    (140, 11, 'CL1', 'phone', 'SEP0000000001CC'),
    (141, 12, 'CL2', 'phone', 'SEP0000000001CC');
INSERT INTO numaudit.device_line (device_id, line_index, pattern) VALUES
    (140, 1, '65XX'),
    (141, 1, '6005');
SELECT * FROM numaudit.run('Acme', 'customer');
SELECT count(*) AS entries_6005 FROM numaudit.number WHERE internal_number = '6005';

-- Usage kinds added by users count like the shipped ones, and tokens follow
-- rank order: teams (Used, rank 0) comes before Hunt_Pilot; webex
-- (Used-Utility, rank 12) after Call_Park.
INSERT INTO numaudit.usage_kind (kind, status, usage, rank) VALUES
    ('teams', 'Used', 'Teams', 0),
    ('webex', 'Used-Utility', 'Webex', 12);
INSERT INTO numaudit.service (id, hierarchy_id, cluster, kind, name, pattern) VALUES
    (240, 11, 'CL1', 'hunt_pilot', 'HP8001', '8001'),
    (241, 11, 'CL1', 'teams',      'T8001',  '8001'),
    (242, 12, 'CL1', 'webex',      'W8002',  '8002'),
    (243, 12, 'CL1', 'webex',      'W8003',  '8003'),
    (244, 10, 'CL1', 'call_park',  'CP8003', '8003');
SELECT * FROM numaudit.run('Acme', 'customer');
SELECT hierarchy_id, internal_number, status, usage, description
  FROM numaudit.number WHERE internal_number LIKE '8%'
 ORDER BY hierarchy_id, internal_number COLLATE "C";

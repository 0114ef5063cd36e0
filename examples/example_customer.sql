-- numaudit bundled example: two customers with a drifted number inventory.
--
-- Load it into a database where CREATE EXTENSION numaudit has run:
--   psql -d numaudit_demo -f examples/example_customer.sql
-- test/scripts/demo.sh does that in a fresh database and then audits it.
--
--   Provider1
--   ├── ResellerA
--   │   └── Acme      (flat dial plan)  sites London, Paris, Berlin
--   └── ResellerB
--       └── Globex    (slc dial plan)   sites NewYork (SLC 212), Chicago (SLC 312)
--
-- Ids are explicit so that the comments below can refer to them; the identity
-- sequences are moved past them at the end, so rows added later without an
-- id get fresh ones.

BEGIN;

-- ---------------------------------------------------------------------------
-- The tenant tree
-- ---------------------------------------------------------------------------
INSERT INTO numaudit.hierarchy (id, parent_id, name, kind, dial_plan, site_location_code) VALUES
    ( 1, NULL, 'Provider1', 'provider', 'flat', NULL),
    ( 2,    1, 'ResellerA', 'reseller', 'flat', NULL),
    ( 3,    1, 'ResellerB', 'reseller', 'flat', NULL),
    -- Acme: flat dial plan, numbers are unique across the whole customer.
    (10,    2, 'Acme',      'customer', 'flat', NULL),
    (11,   10, 'London',    'site',     'flat', NULL),
    (12,   10, 'Paris',     'site',     'flat', NULL),
    (13,   10, 'Berlin',    'site',     'flat', NULL),
    -- Globex: Site Location Code dial plan, every site has its own extensions.
    (20,    3, 'Globex',    'customer', 'slc',  NULL),
    (21,   20, 'NewYork',   'site',     'flat', '212'),
    (22,   20, 'Chicago',   'site',     'flat', '312');

-- ---------------------------------------------------------------------------
-- Acme's devices. London and Paris are on cluster EMEA-1, Berlin on EMEA-2.
-- ---------------------------------------------------------------------------
INSERT INTO numaudit.device (id, hierarchy_id, cluster, kind, name) VALUES
    -- London
    (101, 11, 'EMEA-1', 'phone',                      'SEP00A1B2C3D401'),
    (102, 11, 'EMEA-1', 'phone',                      'SEP00A1B2C3D402'),
    (103, 11, 'EMEA-1', 'phone',                      'SEP00A1B2C3D403'),
    (104, 11, 'EMEA-1', 'device_profile',             'DP-asmith'),
    (105, 11, 'EMEA-1', 'remote_destination_profile', 'RDP-asmith'),
    (106, 11, 'EMEA-1', 'device_profile',             'DP-jdoe'),
    -- Paris
    (111, 12, 'EMEA-1', 'phone',                      'SEP00B1C2D3E411'),
    (112, 12, 'EMEA-1', 'phone',                      'SEP00B1C2D3E412'),
    (113, 12, 'EMEA-1', 'device_profile',             'DP-mdupont'),
    -- Berlin
    (121, 13, 'EMEA-2', 'phone',                      'SEP00C1D2E3F421'),
    (122, 13, 'EMEA-2', 'phone',                      'SEP00C1D2E3F422'),
    -- The same device profile again, in the other cluster: a conflict.
    (123, 13, 'EMEA-2', 'device_profile',             'DP-jdoe');

INSERT INTO numaudit.device_line (device_id, line_index, pattern, partition) VALUES
    (101, 1, '1001', 'PT-Internal'),
    (102, 1, '1002', 'PT-Internal'),
    (102, 2, '1050', 'PT-Internal'),      -- shared line with SEP00A1B2C3D403
    (103, 1, '1003', 'PT-Internal'),
    (103, 2, '1050', 'PT-Internal'),
    (103, 3, '1000', 'PT-Reception'),     -- also the reception hunt pilot's number
    (104, 1, '1004 ', 'PT-Internal'),     -- a trailing space from the export: still 1004
    (105, 1, '1004', 'PT-Internal'),      -- the RDP rings the same number
    (106, 1, '1010', 'PT-Internal'),
    (111, 1, '2101', 'PT-Internal'),
    (111, 2, '21O5', 'PT-Internal'),      -- a typo (letter O): no number, reported, counts for nothing
    (112, 1, '2102', 'PT-Internal'),
    (112, 2, '2103', 'PT-Internal'),
    (113, 1, '2104', 'PT-Internal'),
    (121, 1, '3101', 'PT-Internal'),
    (121, 2, '3102', 'PT-Internal'),
    (122, 1, '3103', 'PT-Internal'),
    (123, 1, '1010', 'PT-Internal');

-- ---------------------------------------------------------------------------
-- Acme's utility services
-- ---------------------------------------------------------------------------
INSERT INTO numaudit.service (id, hierarchy_id, cluster, kind, name, pattern, partition) VALUES
    -- customer level
    (201, 10, 'EMEA-1', 'voicemail_pilot',    'VM-Acme',             '\+442070009999', 'PT-Internal'),
    (202, 10, 'EMEA-1', 'meet_me',            'MeetMe-Acme',         '9000',  'PT-Internal'),
    -- London
    (211, 11, 'EMEA-1', 'hunt_pilot',         'HP-London-Reception', '1000',  'PT-Internal'),
    (212, 11, 'EMEA-1', 'meet_me',            'MeetMe-London',       '1080',  'PT-Internal'),
    (213, 11, 'EMEA-1', 'call_park',          'CP-London-1',         '1090',  'PT-Internal'),
    -- Paris
    (221, 12, 'EMEA-1', 'call_park',          'CP-Paris',            '20XX',  'PT-Internal'),
    (222, 12, 'EMEA-1', 'pickup_group',       'PU-Paris',            '2180',  'PT-Internal'),
    (223, 12, 'EMEA-1', 'cti_route_point',    'CTI-Paris-IVR',       '2190',  'PT-Internal'),
    -- Berlin
    (231, 13, 'EMEA-2', 'hunt_pilot',         'HP-Berlin-Sales',     '3000',  'PT-Internal'),
    (232, 13, 'EMEA-2', 'call_handler',       'CH-Berlin-AA',        '3001',  'PT-Internal'),
    (233, 13, 'EMEA-2', 'directed_call_park', 'DCP-Berlin',          '3090',  'PT-Internal');

-- ---------------------------------------------------------------------------
-- Acme's inventory, drifted from the configuration above. What an audit
-- should make of each entry is noted on the right.
-- ---------------------------------------------------------------------------
INSERT INTO numaudit.number (id, hierarchy_id, internal_number, status, usage, description) VALUES
    -- customer level
    ( 1, 10, '\+442070009999', 'Available',   NULL,                 'Voicemail'),          -- escaped as exports write it: +442070009999, Used-Utility Voicemail_Pilot (scope customer only)
    ( 2, 10, '3001',          'Available',    NULL,                 'Berlin auto attendant'), -- held at customer level: scope site adds no Berlin entry
    -- London
    ( 3, 11, '1000',          'Used-Utility', 'Hunt_Pilot',         'Reception'),          -- Used Device,Hunt_Pilot
    ( 4, 11, '1001',          'Used',         'Device',             NULL),                 -- correct
    ( 5, 11, '1002',          'Available',    NULL,                 NULL),                 -- Used Device
    ( 6, 11, '1003',          'Used',         'Device',             NULL),                 -- correct
    ( 7, 11, '1004',          'Used',         'Device',             'A. Smith'),           -- correct
    ( 8, 11, '1010',          'Available',    NULL,                 'J. Doe'),             -- conflict: left unchanged
    ( 9, 11, '1080',          'Used',         'Device',             'Conference'),         -- Used-Utility Meet_Me
    (10, 11, '1090',          'Reserved',     NULL,                 'Park slot'),          -- Reserved and in use: skipped
    (11, 11, '1095',          'Used',         'Device',             'Former employee'),    -- nobody uses it: Available
    (12, 11, '1096',          'Reserved',     NULL,                 'Kept for the CEO'),   -- Reserved, unused: unchanged
    -- Paris
    (13, 12, '2050',          'Available',    NULL,                 NULL),                 -- only the 20XX park range covers it: stays Available
    (14, 12, '2101',          'Used',         'Device',             NULL),                 -- correct
    (15, 12, '2103',          'Cooling',      'Device',             'Recently released'),  -- Cooling and in use: skipped
    (16, 12, '2104',          'Used',         'Device',             'M. Dupont'),          -- correct
    (17, 12, '2180',          'Used-Utility', 'Pickup_Group_Pilot', NULL),                 -- correct
    -- Berlin
    (18, 13, '3000',          'Used-Utility', 'Hunt_Pilot',         'Sales'),              -- correct
    (19, 13, '3090',          'Used',         'Device',             NULL),                 -- Used-Utility Directed_Call_Park
    (20, 13, '3101',          'Used',         'Device',             NULL),                 -- correct
    (21, 13, '3103',          'Available',    NULL,                 NULL),                 -- Used Device
    (22, 13, '3199',          'Used-Utility', 'Hunt_Pilot',         'Old hunt group');     -- nobody uses it: Available
-- Used but missing from the inventory: 1050 (London), 2102 and 2190 (Paris),
-- 3102 (Berlin), 9000 (customer level).

-- ---------------------------------------------------------------------------
-- Globex (slc): the same extension may exist at every site; an entry counts
-- only the uses of the site that holds it.
-- ---------------------------------------------------------------------------
INSERT INTO numaudit.device (id, hierarchy_id, cluster, kind, name) VALUES
    (301, 21, 'AMER-1', 'phone', 'SEP00D1E2F3A501'),
    (302, 21, 'AMER-1', 'phone', 'SEP00D1E2F3A502'),
    (311, 22, 'AMER-1', 'phone', 'SEP00E1F2A3B611'),
    (312, 22, 'AMER-1', 'phone', 'SEP00E1F2A3B612');

INSERT INTO numaudit.device_line (device_id, line_index, pattern, partition) VALUES
    (301, 1, '1001', 'PT-NY'),
    (302, 1, '1002', 'PT-NY'),
    (311, 1, '1001', 'PT-CHI'),
    (312, 1, '1099', 'PT-CHI'),
    (312, 2, '1003', 'PT-CHI');

INSERT INTO numaudit.service (id, hierarchy_id, cluster, kind, name, pattern, partition) VALUES
    (301, 21, 'AMER-1', 'hunt_pilot',      'HP-NY-Front',  '1000',           'PT-NY'),
    (302, 22, 'AMER-1', 'voicemail_pilot', 'VM-Chicago',   '\+13125550199',  'PT-CHI');

INSERT INTO numaudit.number (id, hierarchy_id, internal_number, status, usage, description) VALUES
    (101, 20, '1099',          'Used',      'Device', 'Chicago lobby (held centrally)'), -- held at customer level
    -- NewYork
    (102, 21, '1000',          'Available', NULL,     'Front desk'),  -- Used-Utility Hunt_Pilot
    (103, 21, '1001',          'Used',      'Device', NULL),          -- correct
    -- Chicago
    (104, 22, '1001',          'Available', NULL,     NULL),          -- Used Device (Chicago's own phone)
    (105, 22, '1002',          'Used',      'Device', NULL);          -- only NewYork uses 1002: Available
-- Used but missing: NewYork 1002; Chicago 1003 and +13125550199.

-- Rows added later without an id get ids past the ones used above.
SELECT setval(pg_get_serial_sequence('numaudit.hierarchy', 'id'), (SELECT max(id) FROM numaudit.hierarchy));
SELECT setval(pg_get_serial_sequence('numaudit.device', 'id'),    (SELECT max(id) FROM numaudit.device));
SELECT setval(pg_get_serial_sequence('numaudit.service', 'id'),   (SELECT max(id) FROM numaudit.service));
SELECT setval(pg_get_serial_sequence('numaudit.number', 'id'),    (SELECT max(id) FROM numaudit.number));

COMMIT;

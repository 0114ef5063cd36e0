-- differential_regressions: disagreements found by the differential test
-- (test/differential/run.sh), each reduced to a minimal case, with the
-- output SPEC.md and BEHAVIOUR.md call for.
SET client_min_messages = warning;
DROP EXTENSION IF EXISTS numaudit CASCADE;
CREATE EXTENSION numaudit;
RESET client_min_messages;
\set SHOW_CONTEXT never

--
-- 1. CALL numaudit.audit, scope site, on a flat customer that has no site
--    (found as seed 3, scenario 248). A flat customer's conflicts are looked
--    for among all of its uses and all reported, whatever the scope
--    (BEHAVIOUR.md, "Which entries and uses"), and audit follows the rules
--    of run: numaudit.run reports both conflicts below, so CALL
--    numaudit.audit must record them too (audit_change rows, audit_run
--    conflicts 2, the NOTICE's "conflicts 2"), although there is no site to
--    audit (sites 0/0).
--
INSERT INTO numaudit.hierarchy (id, parent_id, name, kind, dial_plan) VALUES
    (1, NULL, 'P',    'provider', 'flat'),
    (2, 1,    'R',    'reseller', 'flat'),
    (3, 2,    'Acme', 'customer', 'flat');
-- Phone SEP0000000000AA in CL1 and CL2: a duplicate device. Number 1001 on a
-- phone in CL1 and a hunt pilot in CL2: a number in two clusters.
INSERT INTO numaudit.device (id, hierarchy_id, cluster, kind, name) VALUES
    (1, 3, 'CL1', 'phone', 'SEP000000000001'),
    (2, 3, 'CL1', 'phone', 'SEP0000000000AA'),
    (3, 3, 'CL2', 'phone', 'SEP0000000000AA');
INSERT INTO numaudit.device_line (device_id, line_index, pattern) VALUES
    (1, 1, '1001'),
    (2, 1, '1002'),
    (3, 1, '1002');
INSERT INTO numaudit.service (id, hierarchy_id, cluster, kind, name, pattern) VALUES
    (1, 3, 'CL2', 'hunt_pilot', 'HP', '1001');
-- What numaudit.run reports (and records, not dry: one audit_run row).
BEGIN;
SELECT * FROM numaudit.run('Acme', 'site');
SELECT entry_point, scope, status, sites_total, sites_done, added, updated, unchanged, skipped, conflicts
  FROM numaudit.audit_run;
ROLLBACK;
-- CALL numaudit.audit must report and record the same.
CALL numaudit.audit('Acme', 'site');
SELECT entry_point, scope, status, sites_total, sites_done, added, updated, unchanged, skipped, conflicts
  FROM numaudit.audit_run;
SELECT hierarchy, site, internal_number, action, old_status, old_usage, new_status, new_usage, detail
  FROM numaudit.audit_change
 ORDER BY hierarchy COLLATE "C", internal_number COLLATE "C" NULLS FIRST, detail COLLATE "C";

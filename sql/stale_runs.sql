-- A run of CALL numaudit.audit whose session ended (killed, crashed) stays
-- 'running'; the next numaudit.audit marks it failed, because nobody holds
-- its run lock (advisory, objsubid 20035). Live runs and run() rows are left
-- alone (a live run holds its lock: isolation spec stale_runs), and no lock
-- outlives a call.
SET client_min_messages = warning;
DROP EXTENSION IF EXISTS numaudit CASCADE;
CREATE EXTENSION numaudit;
RESET client_min_messages;
INSERT INTO numaudit.hierarchy (id, parent_id, name, kind) VALUES
    (1, NULL, 'P', 'provider'), (2, 1, 'Acme', 'customer'), (3, 2, 'London', 'site');
INSERT INTO numaudit.device (id, hierarchy_id, cluster, kind, name) VALUES
    (1, 3, 'CL1', 'phone', 'SEP000000000001');
INSERT INTO numaudit.device_line (device_id, line_index, pattern) VALUES (1, 1, '1001');
-- Rows as a dead session would leave them: an audit() run and a run() row.
INSERT INTO numaudit.audit_run (id, customer, scope, status, entry_point, customer_id, sites_total)
VALUES (101, 'P.Acme', 'site', 'running', 'audit', 2, 1),
       (102, 'P.Acme', 'customer', 'running', 'run', 2, 1);
SELECT setval(pg_get_serial_sequence('numaudit.audit_run', 'id'), 200);
CALL numaudit.audit('Acme', 'site');
SELECT id, status, error, finished_at IS NOT NULL AS finished
  FROM numaudit.audit_run ORDER BY id;
-- Nothing of numaudit's is left locked by the calls.
SELECT count(*) AS numaudit_locks FROM pg_locks
 WHERE locktype = 'advisory' AND objsubid IN (20033, 20034, 20035);

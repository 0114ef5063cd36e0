#!/usr/bin/env bash
# Fault test (f): a sweep of CALL numaudit.audit_all cut short.
#
# A fleet of FAULT_FLEET customers (default 12), each audit slowed to about
# 0.5 s by a statement trigger on the inventory, so that a sweep takes a few
# seconds and can be hit while it audits a customer:
#   cancel     pg_cancel_backend of the sweeping session mid-audit: it gets 57014; the
#              customer it was auditing is recorded failed (the cancel in its
#              detail, its run failed); the session holds no numaudit lock and
#              is usable; the sweep stays open with the rest left; a second
#              call in the same session goes on with the same sweep and closes
#              it, auditing every other customer once.
#   terminate  pg_terminate_backend of a sweeping session mid-audit: its customer stays
#              taken by a session that is gone until the next call joins the
#              sweep, which records it failed (interrupted) and audits the rest.
# Each customer is audited at most once per sweep, whatever happens.
#   bash test/faults/sweep.sh        (as root or as postgres)
source "$(dirname "$0")/lib.sh"

FLEET=${FAULT_FLEET:-12}
fault_start sweep "${FAULT_PORT:-54348}"

psql_ -v ON_ERROR_STOP=1 -q <<SQL
INSERT INTO numaudit.hierarchy (id, parent_id, name, kind)
SELECT 1, NULL, 'Fleet', 'provider'
UNION ALL SELECT 1000 + i, 1, 'C' || lpad(i::text, 3, '0'), 'customer' FROM generate_series(1, $FLEET) i
UNION ALL SELECT 2000 + i, 1000 + i, 'S', 'site' FROM generate_series(1, $FLEET) i;
INSERT INTO numaudit.device (id, hierarchy_id, cluster, kind, name)
SELECT i, 2000 + i, 'CL1', 'phone', 'SEP' || lpad(i::text, 12, '0') FROM generate_series(1, $FLEET) i;
INSERT INTO numaudit.device_line (device_id, line_index, pattern)
SELECT i, 1, (5000 + i)::text FROM generate_series(1, $FLEET) i;
INSERT INTO numaudit.number (hierarchy_id, internal_number)
SELECT 2000 + i, (5000 + i)::text FROM generate_series(1, $FLEET) i;
CREATE FUNCTION public.slow() RETURNS trigger LANGUAGE plpgsql AS
\$\$ BEGIN PERFORM pg_sleep(0.5); RETURN NULL; END \$\$;
CREATE TRIGGER slow AFTER UPDATE ON numaudit.number FOR EACH STATEMENT EXECUTE FUNCTION public.slow();
SQL

# Waits until the session with application_name $1 is inside the audit of a
# customer of a sweep (sweep_activity; in the slow trigger); prints its pid.
wait_sweeping() {
    local pid
    for _ in $(seq 1 200); do
        pid=$(q "SELECT a.pid FROM numaudit.sweep_activity s JOIN pg_stat_activity a ON a.pid = s.pid
                  WHERE a.application_name = '$1' AND s.run_id IS NOT NULL
                    AND a.wait_event = 'PgSleep' LIMIT 1")
        [ -n "$pid" ] && { echo "$pid"; return 0; }
        sleep 0.05
    done
    return 1
}
reset_fleet() {
    q "UPDATE numaudit.number SET status = 'Available', usage = NULL" >/dev/null
}

# --- cancel ------------------------------------------------------------------
out=$(mktemp)
PGAPPNAME=sweeper psql_ -qAt >"$out" 2>&1 <<'SQL' &
CALL numaudit.audit_all('Fleet');
\echo STATE :SQLSTATE
\echo LOCKS
SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND objsubid BETWEEN 20033 AND 20036
   AND pid = pg_backend_pid();
\echo NEXT
CALL numaudit.audit_all('Fleet');
\echo NEXT_STATE :SQLSTATE
SQL
bg=$!
pid=$(wait_sweeping sweeper) || { fail "cancel: the sweep never started a customer"; wait $bg; fault_finish; }
q "SELECT pg_cancel_backend($pid)" >/dev/null
wait $bg
check "\"$(grep '^STATE' "$out")\" == 'STATE 57014'" "cancel: the sweeping session got 57014"
check "\"$(grep -A1 '^LOCKS' "$out" | tail -1)\" == 0" "cancel: the session holds no numaudit lock afterwards"
check "\"$(grep '^NEXT_STATE' "$out")\" == 'NEXT_STATE 00000'" "cancel: the next audit_all in the same session succeeded"
sweeps=$(q "SELECT count(*) || '|' || min(status) FROM numaudit.sweep")
check "\"$sweeps\" == '1|done'" "cancel: one sweep, taken up again and closed by the next call ($sweeps)"
states=$(q "SELECT string_agg(state || ':' || n, ' ' ORDER BY state) FROM
             (SELECT state, count(*) AS n FROM numaudit.sweep_customer GROUP BY state) s")
check "\"$states\" == 'done:$((FLEET - 1)) failed:1'" "cancel: every other customer done, the one cancelled failed ($states)"
detail=$(q "SELECT detail FROM numaudit.sweep_customer WHERE state = 'failed'")
check "\"$detail\" == *'canceling statement'*'57014'*" "cancel: its detail says so: $detail"
runs=$(q "SELECT count(*) || '|' || max(n) FROM (SELECT customer_id, count(*) AS n FROM numaudit.audit_run GROUP BY 1) x")
check "\"$runs\" == '$FLEET|1'" "cancel: each customer audited once ($runs: customers|most runs)"
failed_run=$(q "SELECT r.status FROM numaudit.sweep_customer c JOIN numaudit.audit_run r ON r.id = c.run_id
                 WHERE c.state = 'failed'")
check "\"$failed_run\" == 'failed'" "cancel: its run is recorded failed"
rm -f "$out"

# --- terminate ---------------------------------------------------------------
reset_fleet
PGAPPNAME=doomed psql_ -qAt -c "CALL numaudit.audit_all('Fleet', incremental => false)" >/dev/null 2>&1 &
bg=$!
pid=$(wait_sweeping doomed) || { fail "terminate: the sweep never started a customer"; wait $bg; fault_finish; }
q "SELECT pg_terminate_backend($pid)" >/dev/null
wait $bg || true
for _ in $(seq 1 100); do
    [ "$(q "SELECT count(*) FROM pg_stat_activity WHERE pid = $pid")" = 0 ] && break
    sleep 0.05
done
dead=$(q "SELECT count(*) FILTER (WHERE NOT alive) || '|' || count(*) FROM numaudit.sweep_activity")
check "\"$dead\" == '1|1'" "terminate: its customer shows as held by a session that is gone ($dead)"
# The next call with the same arguments joins the sweep the doomed session
# opened.
q "CALL numaudit.audit_all('Fleet', incremental => false)" >/dev/null 2>&1
last=$(q "SELECT max(id) FROM numaudit.sweep")
states=$(q "SELECT string_agg(state || ':' || n, ' ' ORDER BY state) FROM
             (SELECT state, count(*) AS n FROM numaudit.sweep_customer WHERE sweep_id = $last GROUP BY state) s")
status=$(q "SELECT status FROM numaudit.sweep WHERE id = $last")
sweeps=$(q "SELECT count(*) FROM numaudit.sweep WHERE NOT incremental")
check "\"$status|$states|$sweeps\" == 'done|done:$((FLEET - 1)) failed:1|1'" "terminate: the next call went on with the same sweep and closed it ($status|$states|$sweeps)"
detail=$(q "SELECT detail FROM numaudit.sweep_customer WHERE sweep_id = $last AND state = 'failed'")
check "\"$detail\" == 'interrupted: '*" "terminate: the abandoned customer recorded failed: $detail"
twice=$(q "SELECT count(*) FROM (SELECT customer_id FROM numaudit.audit_run WHERE sweep_id = $last
                                  GROUP BY 1 HAVING count(*) > 1) x")
check "\"$twice\" == 0" "terminate: no customer audited twice in the sweep"
left=$(q "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND objsubid BETWEEN 20033 AND 20036")
check "\"$left\" == 0" "no numaudit advisory lock left"

fault_finish

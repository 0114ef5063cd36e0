#!/usr/bin/env bash
# pg_cron integration: a cluster with shared_preload_libraries = 'pg_cron'
# (Debian package postgresql-15-cron), an audit scheduled with
# cron.schedule_in_database as the lone CALL numaudit.audit, every minute.
#   1. The first scheduled run succeeds: cron.job_run_details says so, and
#      numaudit.audit_run has its row (entry point audit, done).
#   2. A run that overlaps a running audit (another session holds the
#      customer's lock for two minute boundaries) waits on numaudit's advisory
#      lock, as documented; pg_cron never runs two of the job at once, so
#      nothing piles up; once the lock is free the waiting run completes.
#   3. A fleet (CALL numaudit.audit_all, SPEC §5): two jobs with the same
#      schedule and arguments start together on 400 customers, join one
#      sweep and finish it together: both succeed, both sessions audited
#      customers, every customer is audited exactly once, the sweep is done.
# Takes about four and a half minutes (pg_cron's unit is the minute).
#   bash test/cron/run.sh        (as root or as postgres)
set -euo pipefail
REPO_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
. "$REPO_DIR/test/scripts/checks.sh"
PGDIR=${CRON_PGDIR:-/tmp/numaudit-cron}
PORT=${CRON_PGPORT:-54380}
CUST=Provider1.ResellerA.Acme


eval "$(NUMAUDIT_PGDIR=$PGDIR NUMAUDIT_PGPORT=$PORT NUMAUDIT_PRELOAD=pg_cron \
    "$REPO_DIR/test/scripts/cluster.sh" start)"
export PGHOST PGPORT PGUSER
cleanup() {
    local p
    for p in $(jobs -p); do kill "$p" 2>/dev/null || true; done
    NUMAUDIT_PGDIR=$PGDIR NUMAUDIT_PGPORT=$PORT "$REPO_DIR/test/scripts/cluster.sh" stop || true
}
trap cleanup EXIT

psql_ -q -d postgres -c 'CREATE EXTENSION pg_cron' -c 'CREATE DATABASE cronaudit'
psql_ -q -d cronaudit -c 'CREATE EXTENSION numaudit' -f "$REPO_DIR/examples/example_customer.sql" >/dev/null
JOB=$(q postgres "SELECT cron.schedule_in_database('numaudit-acme', '* * * * *',
                      \$\$CALL numaudit.audit('$CUST', 'site')\$\$, 'cronaudit')")
log "[cron] pg_cron $(q postgres "SELECT extversion FROM pg_extension WHERE extname = 'pg_cron'"), job $JOB: every minute, CALL numaudit.audit('$CUST', 'site') in database cronaudit"

runs() { # STATUS: how many runs of the job have it
    q postgres "SELECT count(*) FROM cron.job_run_details WHERE jobid = $JOB AND status = '$1'"
}

# 1. The first run.
for _ in $(seq 1 150); do
    [ "$(runs succeeded)" -ge 1 ] || [ "$(runs failed)" -ge 1 ] && break
    sleep 1
done
detail=$(q postgres "SELECT concat_ws('|', status, return_message) FROM cron.job_run_details
                      WHERE jobid = $JOB ORDER BY runid LIMIT 1")
[ "$detail" = "succeeded|CALL" ] && pass "first scheduled run: cron.job_run_details '$detail'" ||
    fail "first scheduled run: cron.job_run_details '$detail', expected 'succeeded|CALL'"
row=$(q cronaudit "SELECT concat_ws('|', entry_point, status, run_by, sites_done || '/' || sites_total)
                     FROM numaudit.audit_run ORDER BY id LIMIT 1")
[[ $row == "audit|done|postgres|"* ]] && pass "its numaudit.audit_run row: '$row'" ||
    fail "its numaudit.audit_run row: '$row', expected audit|done|postgres|…"

# 2. Overlap: another session holds the customer's lock across two minute
# boundaries (a customer-scope dry run in an open transaction).
HOLD=${CRON_HOLD_SECONDS:-125}
psql_ -qAt -d cronaudit >/dev/null 2>&1 <<SQL &
SET application_name = 'cron_holder';
BEGIN;
SELECT count(*) FROM numaudit.run('$CUST', 'customer', dry_run => true);
SELECT pg_sleep($HOLD);
COMMIT;
SQL
HOLDER=$!
started=$(date +%s)
max_running=0
max_calls=0
seen_wait=no
while kill -0 "$HOLDER" 2>/dev/null; do
    r=$(runs running)
    c=$(q cronaudit "SELECT count(*) FROM pg_stat_activity WHERE datname = 'cronaudit'
                      AND query LIKE 'CALL numaudit.audit%' AND state = 'active'")
    w=$(q cronaudit "SELECT count(*) FROM pg_stat_activity WHERE datname = 'cronaudit'
                      AND query LIKE 'CALL numaudit.audit%' AND wait_event_type = 'Lock'
                      AND wait_event = 'advisory'")
    [ "$r" -gt "$max_running" ] && max_running=$r
    [ "$c" -gt "$max_calls" ] && max_calls=$c
    [ "$w" -ge 1 ] && seen_wait=yes
    sleep 2
done
log "[cron] lock held for $(($(date +%s) - started)) s: at most $max_running run(s) of the job running and $max_calls CALL(s) active at once; a run waited on the advisory lock: $seen_wait"
[ "$seen_wait" = yes ] && pass "the overlapping run waited for the running audit (advisory lock)" ||
    fail "no scheduled run was seen waiting for the running audit"
[ "$max_running" -le 1 ] && [ "$max_calls" -le 1 ] &&
    pass "no pile-up: never more than one run of the job at once" ||
    fail "runs piled up: $max_running running, $max_calls CALLs active at once"

# Once the lock is free the waiting run (and any one queued behind it) ends.
for _ in $(seq 1 90); do
    [ "$(runs running)" = 0 ] && [ "$(runs starting)" = 0 ] && break
    sleep 1
done
summary=$(q postgres "SELECT string_agg(status || ':' || n, ' ' ORDER BY status) FROM
                        (SELECT status, count(*) AS n FROM cron.job_run_details
                          WHERE jobid = $JOB GROUP BY status) s")
log "[cron] job runs: $summary"
[ "$(runs failed)" = 0 ] && [ "$(runs running)" = 0 ] && [ "$(runs succeeded)" -ge 2 ] &&
    pass "every run of the job succeeded ($summary)" || fail "job runs: $summary"
audits=$(q cronaudit "SELECT string_agg(status || ':' || n, ' ' ORDER BY status) FROM
                        (SELECT status, count(*) AS n FROM numaudit.audit_run
                          WHERE entry_point = 'audit' GROUP BY status) s")
[[ $audits =~ ^done:[0-9]+$ ]] && pass "numaudit.audit_run: $audits (none failed or left running)" ||
    fail "numaudit.audit_run: $audits"
q postgres "SELECT cron.unschedule($JOB)" >/dev/null

# 3. A fleet: two jobs, one sweep.
FLEET=${CRON_FLEET:-400}
psql_ -q -d postgres -c 'CREATE DATABASE cronfleet'
psql_ -q -d cronfleet <<SQL
CREATE EXTENSION numaudit;
INSERT INTO numaudit.hierarchy (id, parent_id, name, kind)
SELECT 1, NULL, 'Fleet', 'provider'
UNION ALL SELECT 2, 1, 'Resellers', 'reseller'
UNION ALL SELECT 1000 + i, 2, 'C' || lpad(i::text, 4, '0'), 'customer' FROM generate_series(1, $FLEET) i
UNION ALL SELECT 100000 + 10 * i + s, 1000 + i, 'S' || s, 'site'
            FROM generate_series(1, $FLEET) i, generate_series(1, 2) s;
INSERT INTO numaudit.device (id, hierarchy_id, cluster, kind, name)
SELECT 100 * i + 10 * s + d, 100000 + 10 * i + s, 'CL1', 'phone',
       'SEP' || lpad((100 * i + 10 * s + d)::text, 12, '0')
  FROM generate_series(1, $FLEET) i, generate_series(1, 2) s, generate_series(1, 5) d;
INSERT INTO numaudit.device_line (device_id, line_index, pattern)
SELECT id, 1, (1000000 + id)::text FROM numaudit.device;
-- Each site's inventory: its five numbers in use (still Available) and five spare.
INSERT INTO numaudit.number (hierarchy_id, internal_number)
SELECT 100000 + 10 * i + s, (1000000 + 100 * i + 10 * s + d)::text
  FROM generate_series(1, $FLEET) i, generate_series(1, 2) s, generate_series(1, 10) d;
SQL
JOBS=()
for n in 1 2; do
    JOBS+=("$(q postgres "SELECT cron.schedule_in_database('numaudit-fleet-$n', '* * * * *',
                           \$\$CALL numaudit.audit_all('Fleet', older_than => '1 hour')\$\$, 'cronfleet')")")
done
log "[cron] jobs ${JOBS[*]}: every minute, CALL numaudit.audit_all('Fleet', older_than => '1 hour') on $FLEET customers"
fleet_runs() { # JOB STATUS
    q postgres "SELECT count(*) FROM cron.job_run_details WHERE jobid = $1 AND status = '$2'"
}
for _ in $(seq 1 180); do
    finished=0
    for j in "${JOBS[@]}"; do
        [ "$(fleet_runs "$j" succeeded)" -ge 1 ] || [ "$(fleet_runs "$j" failed)" -ge 1 ] && finished=$((finished + 1))
    done
    [ "$finished" = 2 ] && break
    sleep 1
done
for j in "${JOBS[@]}"; do q postgres "SELECT cron.unschedule($j)" >/dev/null; done
for j in "${JOBS[@]}"; do
    detail=$(q postgres "SELECT concat_ws('|', status, return_message) FROM cron.job_run_details
                          WHERE jobid = $j ORDER BY runid LIMIT 1")
    [ "$detail" = "succeeded|CALL" ] && pass "fleet job $j: cron.job_run_details '$detail'" ||
        fail "fleet job $j: cron.job_run_details '$detail', expected 'succeeded|CALL'"
done
sweep=$(q cronfleet "SELECT concat_ws('|', count(*), min(status), max(status), sum(customers))
                       FROM numaudit.sweep WHERE customers > 0")
[ "$sweep" = "1|done|done|$FLEET" ] && pass "one sweep of the $FLEET customers, done: '$sweep'" ||
    fail "sweeps with customers (count|status|status|customers): '$sweep', expected '1|done|done|$FLEET'"
shared=$(q cronfleet "SELECT concat_ws('|', count(DISTINCT c.pid), min(n), max(n)) FROM numaudit.sweep_customer c,
                        LATERAL (SELECT count(*) AS n FROM numaudit.sweep_customer x
                                  WHERE x.sweep_id = c.sweep_id AND x.pid = c.pid) p")
[[ $shared =~ ^2\|[1-9][0-9]*\|[1-9][0-9]*$ ]] && pass "both jobs' sessions audited customers (sessions|fewest|most): '$shared'" ||
    fail "sessions that audited customers (sessions|fewest|most): '$shared', expected two, each with some"
once=$(q cronfleet "SELECT concat_ws('|', count(*), min(n), max(n), bool_and(all_done)) FROM
                      (SELECT r.customer_id, count(*) AS n, bool_and(r.status = 'done' AND r.sweep_id IS NOT NULL) AS all_done
                         FROM numaudit.audit_run r GROUP BY r.customer_id) x")
[ "$once" = "$FLEET|1|1|t" ] && pass "every customer audited exactly once, done, in the sweep: '$once'" ||
    fail "audits per customer (customers|min|max|all done in a sweep): '$once', expected '$FLEET|1|1|t'"
used=$(q cronfleet "SELECT count(*) FILTER (WHERE status = 'Used') || '/' || count(*) FROM numaudit.number")
[ "$used" = "$((FLEET * 10))/$((FLEET * 20))" ] && pass "the fleet's inventory audited: $used entries Used" ||
    fail "Used entries: $used, expected $((FLEET * 10))/$((FLEET * 20))"

finish cron

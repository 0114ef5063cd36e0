#!/usr/bin/env bash
# Soak test of numaudit under concurrent load:
#   test/soak/run.sh [seconds] [clients]        (default 300 s, 8 clients)
#
# Starts a throwaway cluster of its own (NUMAUDIT_PGDIR, default
# /tmp/numaudit-pg-soak; NUMAUDIT_PGPORT, default 54350), loads
# test/soak/setup.sql (three customers, two flat and one slc, with a drifted
# inventory) and runs pgbench with the scripts in test/soak/scripts: site-scope
# audits of random overlapping site sets, customer-scope audits, CALL
# numaudit.audit, dry runs, nowait audits, REPEATABLE READ audits, and
# provisioning DML (phones and lines added and deleted, services moved,
# entries added with random statuses including Reserved and Cooling, statuses
# and descriptions changed, entries deleted). Then it stops the load, runs one
# final audit per customer (scope customer for the flat ones, scope site for
# the slc one) and checks:
#   a. no unexpected error: the audits' errors are caught and counted by
#      SQLSTATE in soak.events; only 55P03 (nowait) and 40001 (REPEATABLE READ)
#      are expected; no deadlock (40P01) anywhere, server log included; no
#      pgbench client aborted, no failed pgbench transaction;
#   b. convergence: a further dry run of each customer reports nothing to add
#      or update;
#   c. no advisory lock left; d. no audit_run row left 'running';
#   e. nothing the application wrote is lost: every entry it wrote is there
#      with the description (and the Reserved / Cooling status) it set; no
#      audit changed a Reserved or Cooling entry.
# Prints the figures (transactions, audits, errors by SQLSTATE, duration) and
# exits non-zero when a check fails. The cluster is stopped at the end; its
# server log and pgbench's output stay in NUMAUDIT_PGDIR.
#
# The application's statements on numaudit.number change one row each (an
# application transaction that holds row locks on several entries can
# deadlock with an audit writing the same entries in another order). SOAK_BULK=1
# adds two scripts that do hold several: app_bulk (every entry of a node in
# one statement) and app_pair (two entries, one statement each, in one
# transaction).
#
# Needs pgbench (postgresql-client-15) and the extension installed
# (make install). Run by ctest as the test "soak" (60 s, 4 clients).
set -euo pipefail
cd "$(dirname "$0")/../.."

seconds=${1:-300}
clients=${2:-8}
export NUMAUDIT_PGDIR=${NUMAUDIT_PGDIR:-/tmp/numaudit-pg-soak}
export NUMAUDIT_PGPORT=${NUMAUDIT_PGPORT:-54350}
bindir=$("${PG_CONFIG:-/usr/lib/postgresql/15/bin/pg_config}" --bindir)
db=numaudit_soak

eval "$(test/scripts/cluster.sh start)"
trap 'test/scripts/cluster.sh stop' EXIT
out=$NUMAUDIT_PGDIR
log=$out/server.log
psql() { "$bindir/psql" -X -q -v ON_ERROR_STOP=1 "$@"; }
q() { psql -At -d "$db" -c "$1"; }

# SQLSTATE and application in the server log; lock waits over
# deadlock_timeout (and any deadlock, even one a PL/pgSQL block caught) logged.
psql -d postgres -c "ALTER SYSTEM SET log_line_prefix = '%m [%p] %e %a: '" \
    -c "ALTER SYSTEM SET log_lock_waits = on" -c "SELECT pg_reload_conf()" >/dev/null
"$bindir/createdb" "$db"
psql -d "$db" -f test/soak/setup.sql >/dev/null

scripts=(
    audit_site@10 audit_customer@3 audit_dry@3 audit_nowait@3 audit_rr@2 audit_plain@3
    call_audit@3 app_phone@10 app_service@4 app_number@12
)
[ "${SOAK_BULK:-0}" = 1 ] && scripts+=(app_bulk@3 app_pair@6)
args=()
for s in "${scripts[@]}"; do args+=(-f "test/soak/scripts/${s%@*}.sql@${s#*@}"); done
jobs=$((clients < 2 ? clients : 2))

echo "numaudit soak: $seconds s, $clients clients, database $db on $PGHOST:$PGPORT"
q "SELECT 'before: ' || (SELECT count(*) FROM numaudit.number) || ' entries, '
          || (SELECT count(*) FROM numaudit.device_line) || ' lines, '
          || (SELECT count(*) FROM numaudit.service) || ' services'"
started=$(date +%s)
set +e
PGOPTIONS='-c client_min_messages=warning' "$bindir/pgbench" -n -c "$clients" -j "$jobs" \
    -T "$seconds" -P "$(( seconds < 60 ? 10 : 30 ))" --max-tries=1 --failures-detailed \
    "${args[@]}" "$db" >"$out/pgbench.log" 2>&1
pgbench_rc=$?
set -e
# Wait for anything pgbench left running (it does not wait for a statement in
# flight when the time is up) to end before checking.
for _ in $(seq 120); do
    busy=$(q "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()
                AND pid <> pg_backend_pid() AND backend_type = 'client backend'")
    [ "$busy" = 0 ] && break
    sleep 1
done
load_seconds=$(( $(date +%s) - started ))

# Rows a dry run of every customer would add or update (scope customer for
# the flat customers, scope site for slc).
pending_count() {
    q "SELECT coalesce(sum(n), 0) FROM generate_series(1, 3) c
       CROSS JOIN LATERAL (SELECT count(*) AS n
         FROM numaudit.run(soak.path(c), CASE WHEN c = 3 THEN 'site' ELSE 'customer' END,
                           dry_run => true)
        WHERE action IN ('added', 'updated')) d"
}
drift=$(pending_count)

# Final audits: scope customer for the flat customers, scope site for slc.
final=$(q "SELECT string_agg(format('%s %s: %s', p, sc, coalesce(r, 'nothing to do')), E'\n' ORDER BY c)
             FROM (SELECT c, soak.path(c) AS p, CASE WHEN c = 3 THEN 'site' ELSE 'customer' END AS sc
                     FROM generate_series(1, 3) c) x
             CROSS JOIN LATERAL (
               SELECT string_agg(action || ' ' || n, ', ' ORDER BY action) AS r
                 FROM (SELECT action, count(*) AS n FROM numaudit.run(x.p, x.sc)
                        GROUP BY action) a) y")
# b. a further dry run has nothing to add or update
pending=$(pending_count)
pending_rows=$(q "SELECT string_agg(format('  %s %s %s: %s/%s -> %s/%s', hierarchy, internal_number,
                         action, old_status, old_usage, new_status, new_usage), E'\n')
             FROM generate_series(1, 3) c
             CROSS JOIN LATERAL numaudit.run(soak.path(c), CASE WHEN c = 3 THEN 'site' ELSE 'customer' END,
                                             dry_run => true)
            WHERE action IN ('added', 'updated')")
# b'. the inventory equals what the independent SQL oracle of the audit
# (test/differential/oracle.sql) says it should be after an audit of each
# customer: rows in one and not the other, over the three customers.
psql -d "$db" -f test/differential/oracle.sql >/dev/null
oracle_diff=$(q "SELECT coalesce(sum(n), 0) FROM generate_series(1, 3) c
       CROSS JOIN LATERAL (
         SELECT count(*) AS n FROM (
           (SELECT * FROM numaudit_oracle.inventory_after(soak.path(c),
                             CASE WHEN c = 3 THEN 'site' ELSE 'customer' END)
            EXCEPT ALL
            SELECT hierarchy_id, internal_number, status, usage, description FROM numaudit.number)
           UNION ALL
           (SELECT hierarchy_id, internal_number, status, usage, description FROM numaudit.number
            EXCEPT ALL
            SELECT * FROM numaudit_oracle.inventory_after(soak.path(c),
                             CASE WHEN c = 3 THEN 'site' ELSE 'customer' END))) d) x")
# c. advisory locks left (any class), d. runs left running
locks=$(q "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'")
running=$(q "SELECT count(*) FROM numaudit.audit_run WHERE status = 'running'")
failed_runs=$(q "SELECT count(*) FROM numaudit.audit_run WHERE status = 'failed'")
# e. nothing the application wrote is lost or overwritten
lost=$(q "SELECT count(*) FROM soak.app_entries e LEFT JOIN numaudit.number n ON n.id = e.number_id
           WHERE n.id IS NULL OR n.hierarchy_id <> e.hierarchy_id
              OR n.internal_number <> e.internal_number OR n.description IS DISTINCT FROM e.description
              OR (e.held_status IS NOT NULL AND n.status <> e.held_status)")
tracked=$(q "SELECT count(*) FROM soak.app_entries")
held_changed=$(q "SELECT count(*) FROM numaudit.audit_change
                   WHERE action IN ('updated', 'added') AND old_status IN ('Reserved', 'Cooling')")
noop_updates=$(q "SELECT count(*) FROM numaudit.audit_change WHERE action = 'updated'
                   AND old_status = new_status AND old_usage IS NOT DISTINCT FROM new_usage")
# a. errors. Deadlocks (40P01) are counted apart, by whether an audit took
# part (see soak.audit_involved).
unexpected=$(q "SELECT count(*) FROM soak.events WHERE sqlstate IS NOT NULL AND sqlstate <> '40P01'
                   AND NOT soak.expected(op, sqlstate)")
dl_audit=$(q "SELECT count(*) FROM soak.events WHERE sqlstate = '40P01' AND soak.audit_involved(op, detail)")
dl_app=$(q "SELECT count(*) FROM soak.events WHERE sqlstate = '40P01' AND NOT soak.audit_involved(op, detail)")
aborted=$(grep -c 'aborted in command' "$out/pgbench.log" || true)
failed_tx=$(sed -n 's/^number of failed transactions: \([0-9]*\).*/\1/p' "$out/pgbench.log" | head -1)
# Deadlocks nobody caught (a pgbench transaction failed): the victim's ERROR
# and the DETAIL lines after it, which name every process's statement.
read -r log_dl_audit log_dl_app < <(awk '
    function flush() { if (inb) { if (aud) a++; else o++ } inb = 0 }
    /^[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9] / {
        match($0, /\[[0-9]+\]/); p = substr($0, RSTART, RLENGTH)
        if (inb && (p != pid || $0 ~ /(ERROR|LOG|FATAL|WARNING):/)) flush()
        if ($0 ~ / 40P01 .*ERROR:  deadlock detected/) { inb = 1; pid = p; aud = 0 }
    }
    inb && /(numaudit\.(run|audit)|soak\.audit)\(/ { aud = 1 }
    END { flush(); print a + 0, o + 0 }' "$log")
# Every deadlock's victim logs "detected deadlock" (log_lock_waits), caught or not.
log_deadlocks=$(grep -c 'detected deadlock' "$log" || true)
log_errors=$({ grep -E '\] [0-9A-Z]{5} [^ ]*: (ERROR|FATAL|PANIC):' "$log" || true; } |
             sed -E 's/^.*\] ([0-9A-Z]{5}) [^ ]*: (ERROR|FATAL|PANIC):.*$/\2 \1/' | sort | uniq -c |
             awk '{printf "%s%s %s x%s", sep, $2, $3, $1; sep=", "}')
other_log_errors=$({ grep -E '\] [0-9A-Z]{5} [^ ]*: (ERROR|FATAL|PANIC):' "$log" || true; } |
                   grep -vc '\] 40P01 ' || true)
crashes=$(grep -cE 'PANIC|terminated by signal|server process .* was terminated' "$log" || true)

{
    echo
    echo "== figures"
    echo "load: $load_seconds s (pgbench -T $seconds, $clients clients, exit status $pgbench_rc)"
    sed -n -e 's/^\(number of transactions actually processed: .*\)/pgbench: \1/p' \
        -e 's/^\(number of failed transactions: .*\)/pgbench: \1/p' \
        -e 's/^\(number of serialization failures: .*\)/pgbench: \1/p' \
        -e 's/^\(number of deadlock failures: .*\)/pgbench: \1/p' \
        -e 's/^\(tps = .*\)/pgbench: \1/p' "$out/pgbench.log"
    awk '/^SQL script [0-9]+:/ {name=$4; sub(".*/", "", name)}
         /^ - [0-9]+ transactions/ {printf "  %-20s %8s transactions\n", name, $2}' "$out/pgbench.log"
    echo "operations by outcome (soak.events; ok = worked, else SQLSTATE):"
    psql -d "$db" -c "SELECT op, count(*) FILTER (WHERE sqlstate IS NULL) AS ok,
                             coalesce(string_agg(DISTINCT sqlstate, ' ') FILTER (WHERE sqlstate IS NOT NULL), '') AS errors,
                             count(*) FILTER (WHERE sqlstate IS NOT NULL) AS failed,
                             count(*) FILTER (WHERE sqlstate = '40P01') AS deadlocks,
                             count(*) FILTER (WHERE sqlstate IS NOT NULL AND sqlstate <> '40P01'
                                                AND NOT soak.expected(op, sqlstate)) AS unexpected,
                             coalesce(sum(rows), 0) AS result_rows
                        FROM soak.events GROUP BY op ORDER BY op"
    echo "errors by SQLSTATE:"
    psql -d "$db" -c "SELECT sqlstate, op, count(*),
                             count(*) FILTER (WHERE sqlstate = '40P01' AND soak.audit_involved(op, detail))
                               AS with_audit,
                             min(message) AS example
                        FROM soak.events WHERE sqlstate IS NOT NULL GROUP BY 1, 2 ORDER BY 1, 2"
    echo "audit_run rows (audits that wrote):"
    psql -d "$db" -c "SELECT entry_point, scope, status, count(*), sum(added) AS added,
                             sum(updated) AS updated, sum(skipped) AS skipped, sum(conflicts) AS conflicts
                        FROM numaudit.audit_run GROUP BY 1, 2, 3 ORDER BY 1, 2, 3"
    q "SELECT 'after: ' || (SELECT count(*) FROM numaudit.number) || ' entries, '
              || (SELECT count(*) FROM numaudit.device_line) || ' lines, '
              || (SELECT count(*) FROM numaudit.audit_change) || ' audit_change rows'"
    echo "server log: ${log_errors:-no ERROR/FATAL/PANIC line}"
    echo "left to do when the load stopped: $drift rows to add or update"
    echo "final audits:"
    echo "$final" | sed 's/^/  /'
} | tee "$out/summary.txt"

fail=0
check() {  # check NAME OK? DETAIL
    if [ "$2" = 1 ]; then echo "ok    $1 ($3)"; else echo "FAIL  $1 ($3)"; fail=1; fi
}
{
    echo
    echo "== checks"
    check "no unexpected error" "$([ "$unexpected" = 0 ] && echo 1)" "$unexpected unexpected in soak.events"
    check "no deadlock involving an audit" "$([ $((dl_audit + log_dl_audit)) = 0 ] && echo 1)" \
        "$dl_audit caught, $log_dl_audit failed pgbench transactions; $log_deadlocks deadlocks in the server log"
    if [ "${SOAK_BULK:-0}" = 1 ]; then
        echo "info  deadlocks between application transactions (SOAK_BULK=1): $((dl_app + log_dl_app))"
    else
        check "no deadlock between application transactions" "$([ $((dl_app + log_dl_app)) = 0 ] && echo 1)" \
            "$dl_app caught, $log_dl_app failed pgbench transactions"
    fi
    check "pgbench clean" "$([ "$pgbench_rc" = 0 ] && [ "$aborted" = 0 ] \
                              && [ "${failed_tx:-0}" = $((log_dl_audit + log_dl_app)) ] && echo 1)" \
        "exit status $pgbench_rc, $aborted clients aborted, ${failed_tx:-?} failed transactions (deadlocks)"
    check "no server crash" "$([ "$crashes" = 0 ] && echo 1)" "$crashes PANIC/terminated lines"
    check "no error in the server log but deadlocks" "$([ "$other_log_errors" = 0 ] && echo 1)" \
        "${log_errors:-none}; every expected error is caught and counted, so none reaches the log"
    check "converged" "$([ "$pending" = 0 ] && echo 1)" "$pending rows a further dry run would add or update"
    [ "$pending" = 0 ] || echo "$pending_rows"
    check "inventory equals the oracle's" "$([ "$oracle_diff" = 0 ] && echo 1)" \
        "$oracle_diff rows differ from test/differential/oracle.sql's inventory after an audit"
    check "no advisory lock left" "$([ "$locks" = 0 ] && echo 1)" "$locks"
    check "no run left running" "$([ "$running" = 0 ] && echo 1)" "$running running, $failed_runs failed"
    check "no failed run" "$([ "$failed_runs" = 0 ] && echo 1)" "$failed_runs"
    check "nothing lost" "$([ "$lost" = 0 ] && echo 1)" "$lost of $tracked entries the application wrote differ"
    check "Reserved/Cooling untouched" "$([ "$held_changed" = 0 ] && echo 1)" "$held_changed audit changes"
    check "no no-op update" "$([ "$noop_updates" = 0 ] && echo 1)" "$noop_updates"
    [ "$fail" = 0 ] && echo "soak: all checks passed" || echo "soak: FAILED (see $out/pgbench.log, $log)"
} | tee -a "$out/summary.txt"
grep -q '^soak: all checks passed' "$out/summary.txt"

#!/usr/bin/env bash
# The application examples (examples/app) against a real cluster, on the
# bundled example data (examples/example_customer.sql):
#   1. audit_and_report.py on Acme: exit 0; its summary line has the counts of
#      the audit_run row; the changes it prints are that run's audit_change
#      rows; the notification payload it took matches the row, key by key.
#   2. A second run, while another session holds Acme's site locks and
#      commits a numaudit.run of Globex: the Globex notification reaches the
#      example first and is ignored (other pid); the example reports its own
#      run, converged (added 0, updated 0). Then a run with --dsn and --sites.
#   3. Failures exit 1 with the SQLSTATE: no such customer (42704), number
#      management off (55000), both leaving no run; a run that starts and
#      fails on lock_timeout (55P03) is reported from its 'failed' payload,
#      with the error of its audit_run row. Bad arguments exit 2.
#   4. numaudit.notify = off: no notification, the example says so (exit 1).
#   5. audit_and_report.sql prints exactly the run (numaudit.last_run_id()),
#      its changes and numaudit.uses of a number.
# Takes about 15 seconds.
#   bash test/app/run.sh        (as root or as postgres; needs python3-psycopg2)
set -euo pipefail
REPO_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
. "$REPO_DIR/test/scripts/checks.sh"
PGDIR=${APP_PGDIR:-/tmp/numaudit-app}
PORT=${APP_PGPORT:-54394}
CUST=Provider1.ResellerA.Acme
GLOBEX=Provider1.ResellerB.Globex
PY=$REPO_DIR/examples/app/audit_and_report.py
SQL_EXAMPLE=$REPO_DIR/examples/app/audit_and_report.sql

check() { # DESCRIPTION ACTUAL EXPECTED
    if [ "$2" = "$3" ]; then pass "$1"; else
        fail "$1"
        diff <(printf '%s\n' "$3") <(printf '%s\n' "$2") | sed 's/^/      /' || true
    fi
}

# A python3 with psycopg2: $PYTHON, else python3, else Debian's (when python3
# on the PATH is another one, e.g. pyenv's).
if [ -z "${PYTHON:-}" ]; then
    for p in python3 /usr/bin/python3; do
        if "$p" -c 'import psycopg2' 2>/dev/null; then
            PYTHON=$p
            break
        fi
    done
fi
if [ -z "${PYTHON:-}" ] || ! "$PYTHON" -c 'import psycopg2' 2>/dev/null; then
    log "FAIL: no python3 that can import psycopg2 (apt-get install python3-psycopg2)"
    exit 1
fi

eval "$(NUMAUDIT_PGDIR=$PGDIR NUMAUDIT_PGPORT=$PORT "$REPO_DIR/test/scripts/cluster.sh" start)"
export PGHOST PGPORT PGUSER
unset PGDATABASE PGOPTIONS PGAPPNAME
WORK=$(mktemp -d)
cleanup() {
    local p
    exec 3>&- 2>/dev/null || true
    for p in $(jobs -p); do kill "$p" 2>/dev/null || true; done
    NUMAUDIT_PGDIR=$PGDIR NUMAUDIT_PGPORT=$PORT "$REPO_DIR/test/scripts/cluster.sh" stop || true
    rm -rf "$WORK"
}
trap cleanup EXIT
started=$SECONDS

psql_ -q -d postgres -c 'CREATE DATABASE app_py' -c 'CREATE DATABASE app_sql'
for db in app_py app_sql; do
    psql_ -q -d $db -c 'CREATE EXTENSION numaudit' -f "$REPO_DIR/examples/example_customer.sql" >/dev/null
done
log "[app] numaudit $(q app_py "SELECT extversion FROM pg_extension WHERE extname = 'numaudit'"), psycopg2 $("$PYTHON" -c 'import psycopg2; print(psycopg2.__version__)')"

# app NAME ARGS...: runs the Python example on app_py; $WORK/NAME.out and
# .err hold its stdout and stderr, RC its exit status.
app() {
    local name=$1
    shift
    set +e
    PGDATABASE=${PGDATABASE:-app_py} "$PYTHON" "$PY" "$@" >"$WORK/$name.out" 2>"$WORK/$name.err"
    RC=$?
    set -e
}
runs() { q app_py "SELECT count(*) FROM numaudit.audit_run"; }
wait_until() { # SECONDS COMMAND...: polls COMMAND every 0.2 s
    local deadline=$((SECONDS + $1))
    shift
    until "$@"; do
        [ $SECONDS -lt $deadline ] || return 1
        sleep 0.2
    done
}
# holder_start DB: a psql session reading its commands from fd 3, output in
# $WORK/holder.out; holder_end sends its last command and waits for it.
holder_start() {
    rm -f "$WORK/holder.in" "$WORK/holder.out"
    mkfifo "$WORK/holder.in"
    psql_ -qAt -d "$1" <"$WORK/holder.in" >"$WORK/holder.out" 2>&1 &
    HOLDER=$!
    exec 3>"$WORK/holder.in"
}
holder_end() {
    printf '%s\n' "$1" >&3
    exec 3>&-
    wait "$HOLDER" || fail "holder session: $(cat "$WORK/holder.out")"
}
holder_has() { grep -q "^$1" "$WORK/holder.out"; }
app_waits() { # the example's CALL waits on an advisory lock
    [ "$(q app_py "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'numaudit_app_test'
                     AND query LIKE 'CALL numaudit.audit%' AND wait_event = 'advisory'")" = 1 ]
}

# check_run NAME: the example's output of run NAME against the database.
# Sets RUN_ID.
check_run() {
    local name=$1 summary row changes expected payload bad
    summary=$(head -n 1 "$WORK/$name.out")
    RUN_ID=$(sed -n 's/^run \([0-9][0-9]*\) of .*/\1/p' <<<"$summary")
    if [ -z "$RUN_ID" ]; then
        fail "$name: no summary line: '$summary'"
        return
    fi
    row=$(q app_py "SELECT format('run %s of %s (scope %s) %s: sites %s/%s, added %s, updated %s, unchanged %s, skipped %s, conflicts %s',
                                  id, customer, scope, status, sites_done, sites_total, added, updated, unchanged, skipped, conflicts)
                      FROM numaudit.audit_run WHERE id = $RUN_ID")
    check "$name: summary '$summary' = its audit_run row" "$summary" "$row"
    changes=$(tail -n +2 "$WORK/$name.out")
    expected=$(printf 'hierarchy\tsite\tinternal_number\taction\told_status\told_usage\tnew_status\tnew_usage\tdetail\n'
        psql_ -qAt -F $'\t' -d app_py -c "SELECT hierarchy, site, internal_number, action, old_status, old_usage,
                                                 new_status, new_usage, detail
                                            FROM numaudit.audit_change WHERE run_id = $RUN_ID ORDER BY id")
    check "$name: the $(($(wc -l <<<"$changes") - 1)) change(s) printed = audit_change of run $RUN_ID" "$changes" "$expected"
    payload=$(sed -n 's/^numaudit: notification of this session: //p' "$WORK/$name.err")
    # Every key of the interface, each equal to the row's column (as JSON;
    # timestamps as timestamptz values).
    bad=$(psql_ -qAt -d app_py -v payload="$payload" -v id="$RUN_ID" <<'SQL'
SELECT coalesce(string_agg(f, ', '), '') FROM (
  SELECT unnest(ARRAY[
    CASE WHEN ARRAY(SELECT jsonb_object_keys(p) ORDER BY 1) <> ARRAY['added', 'conflicts', 'customer',
              'entry_point', 'error', 'finished_at', 'run_by', 'run_id', 'scope', 'sites', 'sites_done',
              'sites_total', 'skipped', 'started_at', 'status', 'unchanged', 'updated']
         THEN 'keys ' || array_to_string(ARRAY(SELECT jsonb_object_keys(p) ORDER BY 1), ',') END,
    CASE WHEN p->'run_id' <> to_jsonb(r.id) THEN 'run_id' END,
    CASE WHEN p->'customer' <> to_jsonb(r.customer) THEN 'customer' END,
    CASE WHEN p->'scope' <> to_jsonb(r.scope) THEN 'scope' END,
    CASE WHEN p->'sites' <> coalesce(to_jsonb(r.sites), 'null') THEN 'sites' END,
    CASE WHEN p->'entry_point' <> '"audit"' OR r.entry_point <> 'audit' THEN 'entry_point' END,
    CASE WHEN p->'status' <> to_jsonb(r.status) THEN 'status' END,
    CASE WHEN p->'run_by' <> to_jsonb(r.run_by) THEN 'run_by' END,
    CASE WHEN (p->>'started_at')::timestamptz IS DISTINCT FROM r.started_at THEN 'started_at' END,
    CASE WHEN (p->>'finished_at')::timestamptz IS DISTINCT FROM r.finished_at THEN 'finished_at' END,
    CASE WHEN p->'sites_total' <> to_jsonb(r.sites_total) THEN 'sites_total' END,
    CASE WHEN p->'sites_done' <> to_jsonb(r.sites_done) THEN 'sites_done' END,
    CASE WHEN p->'added' <> to_jsonb(r.added) THEN 'added' END,
    CASE WHEN p->'updated' <> to_jsonb(r.updated) THEN 'updated' END,
    CASE WHEN p->'unchanged' <> to_jsonb(r.unchanged) THEN 'unchanged' END,
    CASE WHEN p->'skipped' <> to_jsonb(r.skipped) THEN 'skipped' END,
    CASE WHEN p->'conflicts' <> to_jsonb(r.conflicts) THEN 'conflicts' END,
    CASE WHEN p->'error' <> coalesce(to_jsonb(r.error), 'null') THEN 'error' END]) AS f
    FROM (SELECT :'payload'::jsonb AS p) j, numaudit.audit_run r
   WHERE r.id = :id) x
SQL
    ) || bad="payload not checked: '$payload'"
    check "$name: the notification's payload = the row, every key" "$bad" ""
}

# 1. A first run: it has changes.
app first "$CUST" -v
check "first run: exit status" "$RC" 0
check_run first
FIRST=$RUN_ID
[[ $(head -n 1 "$WORK/first.out") =~ added\ [1-9].*updated\ [1-9] ]] &&
    pass "first run added and updated entries" || fail "first run changed nothing: $(head -n 1 "$WORK/first.out")"
grep -q '^numaudit: ignoring' "$WORK/first.err" && fail "first run ignored a notification: $(cat "$WORK/first.err")"
check "numaudit.last_run_id() is NULL in a session that ran no audit" \
    "$(q app_py 'SELECT numaudit.last_run_id() IS NULL')" t

# 2. Converged, with another session's notification arriving first: it
# commits a Globex run while the example's CALL waits for its Acme lock.
holder_start app_py
printf '%s\n' 'BEGIN;' "SELECT 'pid ' || pg_backend_pid();" \
    "SELECT 'globex ' || count(*) FROM numaudit.run('$GLOBEX', 'site');" \
    "SELECT 'run ' || numaudit.last_run_id();" \
    "SELECT 'held ' || count(*) FROM numaudit.run('$CUST', 'site', dry_run => true);" >&3
wait_until 30 holder_has held || fail "holder: $(cat "$WORK/holder.out")"
HOLDER_PID=$(sed -n 's/^pid //p' "$WORK/holder.out")
GLOBEX_RUN=$(sed -n 's/^run //p' "$WORK/holder.out")
set +e
PGDATABASE=app_py PGAPPNAME=numaudit_app_test "$PYTHON" "$PY" "$CUST" -v >"$WORK/second.out" 2>"$WORK/second.err" &
APP=$!
set -e
if wait_until 30 app_waits; then
    pass "second run: the example's CALL waits for the other session's lock on Acme"
else
    fail "second run: the example's CALL was never seen waiting for the other session"
fi
holder_end 'COMMIT;'
RC=0
wait "$APP" || RC=$?
check "second run: exit status" "$RC" 0
check "the other session's run of Globex (pid $HOLDER_PID) is committed" \
    "$(q app_py "SELECT concat_ws('|', customer, entry_point, status) FROM numaudit.audit_run WHERE id = ${GLOBEX_RUN:-0}")" \
    "$GLOBEX|run|done"
check "second run: the Globex run's notification, committed while the CALL waited, was the one ignored" \
    "$(grep '^numaudit: ignoring' "$WORK/second.err" || true)" \
    "numaudit: ignoring run $GLOBEX_RUN of another session (pid $HOLDER_PID)"
check_run second
check "second run: converged" "$(head -n 1 "$WORK/second.out" | grep -o 'added [0-9]*, updated [0-9]*')" \
    "added 0, updated 0"
[ "$RUN_ID" -gt "$FIRST" ] && [ "$RUN_ID" != "$GLOBEX_RUN" ] && pass "second run: run $RUN_ID is a new run" ||
    fail "second run: run id $RUN_ID (first $FIRST, Globex $GLOBEX_RUN)"

# Connection by --dsn (it overrides PGDATABASE), and --sites.
PGDATABASE=postgres app third "$CUST" --dsn 'dbname=app_py' --sites London Paris -v
check "run with --dsn and --sites London Paris: exit status" "$RC" 0
check_run third
check "its audit_run row: sites, sites_total" \
    "$(q app_py "SELECT concat_ws('|', sites, sites_total) FROM numaudit.audit_run WHERE id = ${RUN_ID:-0}")" \
    "{London,Paris}|2"

# 3. Failures.
before=$(runs)
app nocustomer NoSuchCustomer
check "no such customer: exit status" "$RC" 1
grep -q '^numaudit: SQLSTATE 42704: ' "$WORK/nocustomer.err" &&
    pass "no such customer: $(grep SQLSTATE "$WORK/nocustomer.err")" ||
    fail "no such customer: stderr '$(cat "$WORK/nocustomer.err")'"
check "no such customer: nothing on stdout" "$(cat "$WORK/nocustomer.out")" ""
check "no such customer: no run recorded" "$(runs)" "$before"

q app_py "UPDATE numaudit.hierarchy SET number_management = false WHERE id = 20"
app nomanagement "$GLOBEX" -v
q app_py "UPDATE numaudit.hierarchy SET number_management = true WHERE id = 20"
check "number management off: exit status" "$RC" 1
grep -q '^numaudit: SQLSTATE 55000: ' "$WORK/nomanagement.err" &&
    pass "number management off: $(grep SQLSTATE "$WORK/nomanagement.err")" ||
    fail "number management off: stderr '$(cat "$WORK/nomanagement.err")'"
check "number management off: nothing on stdout" "$(cat "$WORK/nomanagement.out")" ""
check "number management off: no run recorded" "$(runs)" "$before"

# A run that starts, then fails: another session holds Acme's customer lock
# and the example's session has lock_timeout = 500 ms.
holder_start app_py
printf '%s\n' 'BEGIN;' "SELECT 'held ' || count(*) FROM numaudit.run('$CUST', 'customer', dry_run => true);" >&3
wait_until 30 holder_has held || fail "holder: $(cat "$WORK/holder.out")"
PGOPTIONS='-c lock_timeout=500' app timeout "$CUST" -v
holder_end 'ROLLBACK;'
check "failed run (lock timeout): exit status" "$RC" 1
check_run timeout
check "failed run: its audit_run row is failed" \
    "$(q app_py "SELECT status FROM numaudit.audit_run WHERE id = ${RUN_ID:-0}")" failed
[[ $(head -n 1 "$WORK/timeout.out") == *") failed: "* ]] && pass "failed run: the summary says failed" ||
    fail "failed run: summary '$(head -n 1 "$WORK/timeout.out")'"
error=$(q app_py "SELECT error FROM numaudit.audit_run WHERE id = ${RUN_ID:-0}")
grep -qxF "numaudit: run $RUN_ID failed: $error" "$WORK/timeout.err" &&
    pass "failed run: the run's error is printed: '$error'" ||
    fail "failed run: the error '$error' is not printed: '$(cat "$WORK/timeout.err")'"
grep -q '^numaudit: SQLSTATE 55P03: ' "$WORK/timeout.err" &&
    pass "failed run: $(grep '^numaudit: SQLSTATE' "$WORK/timeout.err")" ||
    fail "failed run: no SQLSTATE 55P03 in '$(cat "$WORK/timeout.err")'"

app badargs
check "no customer argument: exit status 2 (argparse)" "$RC" 2

# 4. numaudit.notify = off: the run happens, no notification comes.
before=$(runs)
PGOPTIONS='-c numaudit.notify=off' app quiet "$CUST" --wait 1
check "numaudit.notify = off: exit status" "$RC" 1
grep -q "^numaudit: no notification from this session's run" "$WORK/quiet.err" &&
    pass "numaudit.notify = off: the example says no notification came" ||
    fail "numaudit.notify = off: stdout '$(cat "$WORK/quiet.out")', stderr '$(cat "$WORK/quiet.err")'"
check "numaudit.notify = off: the run itself was done" \
    "$(q app_py "SELECT count(*) || '|' || string_agg(status, ',') FROM numaudit.audit_run WHERE id > ${before:-0}")" "1|done"

# 5. The psql example, on its own database: exactly the run, its changes and
# the uses of a number (unaligned, tuples only, quiet, for the comparison).
sql_example() { # NAME PSQL-ARGS...
    local name=$1
    shift
    set +e
    psql_ -qAt -d app_sql "$@" -f "$SQL_EXAMPLE" >"$WORK/$name.out" 2>"$WORK/$name.err"
    RC=$?
    set -e
}
expected_sql_output() { # RUN_ID NUMBER
    echo 'The run:'
    q app_sql "SELECT id, customer, scope, entry_point, status, sites_done, sites_total, added, updated,
                      unchanged, skipped, conflicts, run_by, started_at, finished_at, error
                 FROM numaudit.audit_run WHERE id = $1"
    echo 'Its changes:'
    q app_sql "SELECT hierarchy, site, internal_number, action, old_status, old_usage, new_status, new_usage, detail
                 FROM numaudit.audit_change WHERE run_id = $1 ORDER BY id"
    echo "Why $2 has its status and usage (numaudit.uses):"
    q app_sql "SELECT * FROM numaudit.uses('$CUST', '$2')"
}
newest_run() {
    SQL_RUN=$(q app_sql "SELECT max(id) FROM numaudit.audit_run")
    check "$1: the newest run is a done audit of Acme" \
        "$(q app_sql "SELECT concat_ws('|', entry_point, status, customer) FROM numaudit.audit_run WHERE id = $SQL_RUN")" \
        "audit|done|$CUST"
}

sql_example sql1 -v customer="$CUST"
check "psql example: exit status" "$RC" 0
newest_run "psql example"
number=$(q app_sql "SELECT internal_number FROM numaudit.audit_change WHERE run_id = $SQL_RUN
                     AND action IN ('added', 'updated') ORDER BY id LIMIT 1")
check "psql example: prints run $SQL_RUN, its $(q app_sql "SELECT count(*) FROM numaudit.audit_change WHERE run_id = $SQL_RUN") changes and the uses of $number" \
    "$(cat "$WORK/sql1.out")" "$(expected_sql_output "$SQL_RUN" "$number")"
[ "$(q app_sql "SELECT count(*) FROM numaudit.uses('$CUST', '$number')")" -gt 0 ] &&
    pass "psql example: $number has uses" || fail "psql example: $number has no uses"

sql_example sql2 -v customer="$CUST" -v number=1000
check "psql example, again, -v number=1000: exit status" "$RC" 0
newest_run "psql example, again"
check "psql example, again: prints run $SQL_RUN, its changes and the uses of 1000" \
    "$(cat "$WORK/sql2.out")" "$(expected_sql_output "$SQL_RUN" 1000)"
check "psql example, again: converged" \
    "$(q app_sql "SELECT count(*) FROM numaudit.audit_change WHERE run_id = $SQL_RUN AND action IN ('added', 'updated')")" 0
check "numaudit.uses('$CUST', '1000'): London's phone line 3 and reception hunt pilot" \
    "$(q app_sql "SELECT string_agg(concat_ws(' ', kind, name, line_index, status, usage, site), '; ')
                    FROM numaudit.uses('$CUST', '1000')")" \
    "phone SEP00A1B2C3D403 3 Used Device London; hunt_pilot HP-London-Reception Used-Utility Hunt_Pilot London"

# As documented: plain psql, default output.
set +e
"$PG_BINDIR/psql" -X -d app_sql -v customer="$CUST" -f "$SQL_EXAMPLE" >"$WORK/sql3.out" 2>"$WORK/sql3.err"
RC=$?
set -e
check "psql example, default output: exit status" "$RC" 0
newest_run "psql example, default output"
grep -qE "^ +$SQL_RUN \| $CUST +\| site " "$WORK/sql3.out" && grep -q '^The run added or updated no entry.$' "$WORK/sql3.out" &&
    pass "psql example, default output: shows run $SQL_RUN, and that it changed no entry" ||
    fail "psql example, default output: $(cat "$WORK/sql3.out" "$WORK/sql3.err")"

sql_example sql4
[ "$RC" != 0 ] && grep -q 'ERROR:  usage: psql -v customer=' "$WORK/sql4.err" &&
    pass "psql example without -v customer: exit status $RC, prints its usage" ||
    fail "psql example without -v customer: exit status $RC, $(cat "$WORK/sql4.out" "$WORK/sql4.err")"

log "[app] $((SECONDS - started)) s"
finish app

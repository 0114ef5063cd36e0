#!/usr/bin/env bash
# numaudit fleet benchmark (issue 13 item 4): CALL numaudit.audit_all over a
# whole fleet, by one session and by two sessions sharing the sweep. For each
# fleet (FLEET_SIZES, default "10000x100 100x10000": customers x numbers
# each; fleet_gen.sql, one provider, four resellers, flat customers with a
# few sites, 5% of the inventory drifted):
#   full         CALL numaudit.audit_all(incremental => false) on the freshly
#                loaded fleet: before each one the inventory is put back as
#                loaded and the history emptied (audit_run, audit_change,
#                sweep, sweep_customer, baseline, pending_change), so each
#                does the same work (every customer never audited: scope site);
#   incr_noop    CALL numaudit.audit_all() (incremental) with nothing changed
#                since the last sweep: the floor; after a committed full
#                sweep and a committed incremental one (every customer's
#                baseline);
#   incr_change  CALL numaudit.audit_all() after FLEET_CHANGE (0.001) of the
#                numbers' device lines changed by DML spread over the fleet
#                (bench.fleet_change_lines: moved, added, removed; committed;
#                another choice before every sweep, as the sweep consumes them).
# Each with 1 session and with 2 sessions started together (two psql
# processes in the background, the same CALL; they join one sweep); the time
# is the wall clock from the start until every session returned. Each is
# repeated FLEET_REPS times (3), 1 and 2 sessions alternating; the report
# gives medians. After every sweep the benchmark checks, and fails otherwise:
# one sweep was made, it is done, every customer of the fleet has exactly one
# audit_run of it, none failed, and (fleets of 10 customers a session and
# more) every session audited some.
# Also per sweep: the WAL it wrote, the transactions committed, and the
# machine's CPU use (/proc/stat). With FLEET_WAITS=1 (default), one more
# full sweep per fleet and number of sessions, not timed, while
# pg_stat_activity is sampled every 20 ms: the wait events of the sweeping
# sessions (fleet_waits.csv).
#
#   bash test/bench/fleet.sh        # 2 x 1M, 3 repetitions: about 1.5 hours on 2 cores
#   FLEET_SIZES="200x20 4x500" FLEET_REPS=1 bash test/bench/fleet.sh   # smoke
#
# FLEET_OUT (test/bench/results): fleet.csv, fleet.log, fleet_waits.csv;
# FLEET_PLOT (FLEET_OUT/fleet.png; docs/fleet.png is the 1M run's).
# Its own cluster (lib.sh's settings): FLEET_PGDIR (/tmp/numaudit-bench-fleet),
# FLEET_PGPORT (54420).
set -euo pipefail

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_DIR=$(cd "$BENCH_DIR/../.." && pwd)
export PG_CONFIG=${PG_CONFIG:-/usr/lib/postgresql/15/bin/pg_config}
PG_BINDIR=$("$PG_CONFIG" --bindir)
SIZES=${FLEET_SIZES:-"10000x100 100x10000"}
REPS=${FLEET_REPS:-3}
CHANGE=${FLEET_CHANGE:-0.001}
WAITS=${FLEET_WAITS:-1}
OUT=${FLEET_OUT:-$BENCH_DIR/results}
PLOT=${FLEET_PLOT:-$OUT/fleet.png}
PGDIR=${FLEET_PGDIR:-/tmp/numaudit-bench-fleet}
PORT=${FLEET_PGPORT:-54420}
export PGDATABASE=fleet PGOPTIONS='-c client_min_messages=warning'

as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
psql_() { "$PG_BINDIR/psql" -X -v ON_ERROR_STOP=1 "$@"; }
q() { psql_ -qAt -c "$1"; }
log() { printf '%s\n' "$*" | tee -a "$OUT/fleet.log"; }
secs_since() { awk "BEGIN {printf \"%.2f\", $(date +%s.%N) - $1}"; }
cpu_ticks() { awk '/^cpu / {print $2 + $3 + $4 + $7 + $8 + $9, $2 + $3 + $4 + $5 + $6 + $7 + $8 + $9}' /proc/stat; }

mkdir -p "$OUT"
: >"$OUT/fleet.log"
CSV=$OUT/fleet.csv
WCSV=$OUT/fleet_waits.csv
echo "fleet,customers,numbers,entries,case,sessions,rep,secs,sweep_id,by_session,modes,written,wal_mb,commits,cpu_pct" >"$CSV"
echo "fleet,sessions,wait,samples" >"$WCSV"
TMP=$(mktemp -d)
chmod 755 "$TMP"
. "$BENCH_DIR/lib.sh"
bench_cluster_start
trap 'rm -rf "$TMP"; NUMAUDIT_PGDIR=$PGDIR NUMAUDIT_PGPORT=$PORT "$REPO_DIR/test/scripts/cluster.sh" stop' EXIT

log "numaudit fleet benchmark $(date -u +%Y-%m-%dT%H:%MZ) on $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), $(psql_ -qAt -d postgres -c 'SELECT version()' | cut -d, -f1)"
log "cluster: $(psql_ -qAt -d postgres -c "SELECT string_agg(name || '=' || setting || coalesce(unit, ''), ' ' ORDER BY name) FROM pg_settings
      WHERE name IN ('shared_buffers', 'fsync', 'synchronous_commit', 'wal_level', 'max_wal_size', 'checkpoint_timeout', 'jit', 'work_mem', 'huge_pages', 'full_page_writes')")"
FAILED=0
fail() { log "CHECK FAILED: $*"; FAILED=1; }

# restore: the inventory as loaded, no history, no baselines or marks;
# vacuumed and checkpointed as after a loader's run.
restore() {
    psql_ -q <<SQL >/dev/null
TRUNCATE numaudit.audit_change, numaudit.audit_run, numaudit.sweep_customer, numaudit.sweep,
         numaudit.baseline, numaudit.pending_change, numaudit.number CASCADE;
INSERT INTO numaudit.number (hierarchy_id, internal_number, status, usage, description)
SELECT hierarchy_id, internal_number, status, usage, description FROM bench.fleet_loaded ORDER BY 1, 2;
VACUUM (ANALYZE) numaudit.number, numaudit.audit_run, numaudit.audit_change, numaudit.sweep,
       numaudit.sweep_customer, numaudit.baseline, numaudit.pending_change;
CHECKPOINT;
SQL
}
settle() {  # after committed changes and sweeps: as a loader's run leaves the tables
    psql_ -q -c 'VACUUM (ANALYZE) numaudit.device_line, numaudit.device, numaudit.number, numaudit.pending_change,
                   numaudit.baseline, numaudit.audit_run, numaudit.audit_change, numaudit.sweep, numaudit.sweep_customer' \
        -c 'CHECKPOINT' >/dev/null
}

# sweep CASE SESSIONS REP INCREMENTAL [untimed]: CALL numaudit.audit_all by
# SESSIONS psql processes started together; records the wall clock until all
# returned, then checks the sweep.
sweep() {
    local case_=$1 n=$2 rep=$3 inc=$4 tag=${5:-} before t0 secs s pids=() rc=0 cpu0 cpu1 stats0 stats1
    before=$(q "SELECT coalesce(max(id), 0) FROM numaudit.sweep")
    stats0=$(q "SELECT (SELECT wal_bytes FROM pg_stat_wal) || ' ' || (SELECT xact_commit FROM pg_stat_database WHERE datname = current_database())")
    cpu0=$(cpu_ticks)
    t0=$(date +%s.%N)
    for s in $(seq 1 "$n"); do
        PGOPTIONS='-c client_min_messages=notice' psql_ -qAt -c "CALL numaudit.audit_all(incremental => $inc)" \
            >"$TMP/s$s.out" 2>&1 &
        pids+=($!)
    done
    for s in "${pids[@]}"; do wait "$s" || rc=1; done
    secs=$(secs_since "$t0")
    cpu1=$(cpu_ticks)
    # the statistics of the sweep's transactions reach the views at their end
    sleep 0.6
    stats1=$(q "SELECT (SELECT wal_bytes FROM pg_stat_wal) || ' ' || (SELECT xact_commit FROM pg_stat_database WHERE datname = current_database())")
    local cpu_pct wal_mb commits
    cpu_pct=$(echo "$cpu0 $cpu1" | awk '{printf "%.0f", 100 * ($3 - $1) / ($4 - $2) }')
    read -r wal_mb commits <<<"$(echo "$stats0 $stats1" | awk '{printf "%.1f %d", ($3 - $1) / 1048576, $4 - $2}')"
    for s in $(seq 1 "$n"); do sed "s/^/    session $s: /" "$TMP/s$s.out" >>"$OUT/fleet.log"; done
    [ "$rc" = 0 ] || { cat "$TMP"/s*.out >&2; fail "$FLEET $case_ $n sessions rep $rep: a session's CALL failed"; return 0; }
    local chk
    chk=$(psql_ -qAt -F' ' <<SQL
WITH s AS (SELECT x.* FROM numaudit.sweep x WHERE x.id > $before),
     sw AS (SELECT max(id) AS id FROM s),
     cust AS (SELECT c.id, (SELECT count(*) FROM numaudit.audit_run r, sw WHERE r.customer_id = c.id AND r.sweep_id = sw.id) AS runs
                FROM numaudit.hierarchy c WHERE c.kind = 'customer')
SELECT (SELECT count(*) FROM s),
       (SELECT id FROM sw),
       coalesce((SELECT x.status FROM s x, sw WHERE x.id = sw.id), '-'),
       (SELECT count(*) FROM cust WHERE runs = 1),
       (SELECT count(*) FROM cust WHERE runs <> 1),
       (SELECT count(*) FROM numaudit.audit_run r, sw WHERE r.sweep_id = sw.id AND r.status <> 'done'),
       (SELECT count(DISTINCT c.pid) FROM numaudit.sweep_customer c, sw WHERE c.sweep_id = sw.id AND c.state = 'done'),
       coalesce((SELECT string_agg(k::text, '/' ORDER BY k DESC) FROM (SELECT count(*) AS k FROM numaudit.sweep_customer c, sw
                 WHERE c.sweep_id = sw.id AND c.state = 'done' GROUP BY c.pid) x), '-'),
       coalesce((SELECT string_agg(mode || ':' || k, '/' ORDER BY mode) FROM (SELECT r.mode, count(*) AS k FROM numaudit.audit_run r, sw
                 WHERE r.sweep_id = sw.id GROUP BY r.mode) x), '-'),
       (SELECT coalesce(sum(r.added + r.updated), 0) FROM numaudit.audit_run r, sw WHERE r.sweep_id = sw.id)
SQL
)
    local sweeps sweep_id status once bad failed sessions by_session modes written
    read -r sweeps sweep_id status once bad failed sessions by_session modes written <<<"$chk"
    local what="$FLEET $case_ $n session(s) rep $rep"
    [ "$sweeps" = 1 ] || fail "$what: $sweeps sweeps made, not one"
    [ "$status" = done ] || fail "$what: sweep $sweep_id is $status, not done"
    [ "$bad" = 0 ] || fail "$what: $bad customers audited not exactly once (sweep $sweep_id)"
    [ "$once" = "$NCUST" ] || fail "$what: $once customers audited once, of $NCUST"
    if [ "$failed" != 0 ]; then
        fail "$what: $failed runs failed"
        q "SELECT '    failed: ' || r.customer || ' (run ' || r.id || ', ' || r.status || '): ' || coalesce(r.error, '?')
             FROM numaudit.audit_run r WHERE r.sweep_id = $sweep_id AND r.status <> 'done' ORDER BY r.id" | tee -a "$OUT/fleet.log"
    fi
    if [ "$sessions" != "$n" ]; then
        if [ "$NCUST" -ge $((10 * n)) ]; then fail "$what: $sessions of $n sessions audited customers"
        else log "  note: $what: $sessions of $n sessions audited customers (a fleet this small may not reach both)"; fi
    fi
    [ -n "$tag" ] && case_="$case_$tag"
    echo "$FLEET,$NCUST,$NNUM,$NENT,$case_,$n,$rep,$secs,$sweep_id,$by_session,$modes,$written,$wal_mb,$commits,$cpu_pct" >>"$CSV"
    log "$(printf '  %-12s %d session(s) rep %d: %8.2f s  sweep %s, customers by session %s, runs %s, entries written %s, WAL %s MB, %s commits, CPU %s%%' \
        "$case_" "$n" "$rep" "$secs" "$sweep_id" "$by_session" "$modes" "$written" "$wal_mb" "$commits" "$cpu_pct")"
}
order() { [ $(($1 % 2)) = 1 ] && echo "1 2" || echo "2 1"; }

# waits SESSIONS: one more full sweep (untimed, restored first) while
# pg_stat_activity is sampled every 20 ms: what the sweeping sessions wait
# on ("CPU": active, no wait event).
waits() {
    local n=$1 wpid
    restore
    "$PG_BINDIR/psql" -X -qAt -P pager=off >"$TMP/waits.txt" 2>/dev/null <<SQL &
SELECT coalesce(wait_event_type || ':' || wait_event, 'CPU') FROM pg_stat_activity
 WHERE query LIKE 'CALL numaudit.audit_all%' AND state = 'active' AND pid <> pg_backend_pid()
\watch 0.02
SQL
    wpid=$!
    sweep full_waits "$n" 1 false
    kill "$wpid" 2>/dev/null || true
    wait "$wpid" 2>/dev/null || true
    LC_ALL=C tr -cd '[:print:]\n' <"$TMP/waits.txt" | awk 'NF && !/^Time/' | sort | uniq -c | sort -rn |
        awk -v f="$FLEET" -v n="$n" '{print f "," n "," $2 "," $1}' >>"$WCSV"
    log "  wait events of the sweeping sessions, $n session(s) (samples every 20 ms): $(awk -F, -v f="$FLEET" -v n="$n" '$1 == f && $2 == n {printf "%s %s  ", $3, $4}' "$WCSV")"
}

for size in $SIZES; do
    NCUST=${size%x*}
    PER=${size#*x}
    FLEET=$size
    NNUM=$((NCUST * PER))
    log ""
    log "== fleet $FLEET: $NCUST customers x $PER numbers (load $(cut -d' ' -f1-3 /proc/loadavg))"
    psql_ -q -d postgres -c 'DROP DATABASE IF EXISTS fleet WITH (FORCE)' -c 'CREATE DATABASE fleet' >/dev/null
    q 'CREATE EXTENSION numaudit' >/dev/null
    psql_ -q -f "$BENCH_DIR/gen.sql" -f "$BENCH_DIR/fleet_gen.sql" >/dev/null
    t=$(date +%s.%N)
    log "  $(q "SELECT bench.fleet_generate($NCUST, $PER)")"
    restore
    q 'VACUUM (ANALYZE)' >/dev/null
    NENT=$(q 'SELECT count(*) FROM numaudit.number')
    log "  generated and loaded in $(secs_since "$t") s"

    # --- full sweeps of the loaded fleet --------------------------------------
    for rep in $(seq 1 "$REPS"); do
        for n in $(order "$rep"); do
            restore
            sweep full "$n" "$rep" false
        done
    done
    if [ "$WAITS" = 1 ]; then waits 1; waits 2; fi

    # --- incremental sweeps ----------------------------------------------------
    restore
    t=$(date +%s.%N)
    sweep baseline_full 1 1 false
    sweep baseline_incr 1 1 true
    settle
    log "  baselines: a full sweep and an incremental one, committed, in $(secs_since "$t") s"
    for rep in $(seq 1 "$REPS"); do
        for n in $(order "$rep"); do
            sweep incr_noop "$n" "$rep" true
            settle
        done
    done
    k=$(awk "BEGIN {k = int($CHANGE * $NNUM + 0.5); print (k < 3 ? 3 : k)}")
    step=0
    for rep in $(seq 1 "$REPS"); do
        for n in $(order "$rep"); do
            step=$((step + 1))
            log "  change $step: $(q "SELECT bench.fleet_change_lines($step, $k)")"
            settle
            sweep incr_change "$n" "$rep" true
            settle
        done
    done
done

# --- the tables, the derived figures and the plot -------------------------------
bash "$BENCH_DIR/fleet_report.sh" "$CSV" "$PLOT" | tee -a "$OUT/fleet.log"
if [ "$FAILED" != 0 ]; then
    log "fleet: FAILED (see CHECK FAILED above)"
    exit 1
fi
log "fleet: every sweep audited every customer exactly once"

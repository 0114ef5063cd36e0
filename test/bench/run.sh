#!/usr/bin/env bash
# numaudit benchmark: numaudit against the best plain SQL, a row-by-row
# PL/pgSQL audit and the scan floor, on one generated flat customer per size.
#
#   bash test/bench/run.sh                  # sizes 10000 100000 1000000
#   BENCH_SIZES="10000" bash test/bench/run.sh
#
# BENCH_ONLY: a regular expression; only contenders whose "name scope"
# matches run (e.g. BENCH_ONLY='numaudit' while profiling).
# BENCH_RBR_MAX (default 1000000): largest size the row-by-row audit runs at
# (it needs minutes per case at 1M). BENCH_OUT (default test/bench/results):
# where results.csv, the log and performance.png go.
#
# Each measurement runs in a fresh session on a freshly restored inventory
# and records wall time, inventory tuples inserted/updated, history rows, WAL
# bytes and the backend's peak private memory. Every contender of one scope
# must leave the same inventory (checked: the benchmark fails otherwise), and
# a no-op run must write no inventory tuple.
set -euo pipefail

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_DIR=$(cd "$BENCH_DIR/../.." && pwd)
export PG_CONFIG=${PG_CONFIG:-/usr/lib/postgresql/15/bin/pg_config}
PG_BINDIR=$("$PG_CONFIG" --bindir)
SIZES=${BENCH_SIZES:-"10000 100000 1000000"}
RBR_MAX=${BENCH_RBR_MAX:-1000000}
OUT=${BENCH_OUT:-$BENCH_DIR/results}
PGDIR=${BENCH_PGDIR:-/tmp/numaudit-bench}
PORT=${BENCH_PGPORT:-54370}
CUST=Bench
export PGDATABASE=bench

as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
psql_() { "$PG_BINDIR/psql" -X -v ON_ERROR_STOP=1 "$@"; }
q() { psql_ -qAt -c "$1"; }
log() { printf '%s\n' "$*" | tee -a "$OUT/bench.log"; }

mkdir -p "$OUT"
: >"$OUT/bench.log"
if [ -z "${BENCH_NO_SETUP:-}" ]; then
    bash "$REPO_DIR/test/scripts/setup.sh"
fi
command -v gnuplot >/dev/null || {
    if [ "$(id -u)" = 0 ]; then
        apt-get install -y -q gnuplot-nox >/dev/null 2>&1 ||
            { apt-get update -q >/dev/null && apt-get install -y -q gnuplot-nox >/dev/null; }
    fi
}

. "$BENCH_DIR/lib.sh"
bench_cluster_start

log "numaudit benchmark $(date -u +%Y-%m-%dT%H:%MZ) on $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(psql_ -qAt -d postgres -c 'SELECT version()' | cut -d, -f1)"
CSV=$OUT/results.csv
echo "size,contender,scope,case,seconds,inv_inserted,inv_updated,history_rows,wal_bytes,peak_mb,rows,inventory" >"$CSV"

# measure SIZE CONTENDER SCOPE CASE SQL: runs SQL in a fresh session.
measure() {
    local size=$1 name=$2 scope=$3 case_=$4 sql=$5 res pid peak=0 sampler
    res=$(mktemp)
    psql_ -qAt -o /dev/null >"$res" 2>&1 <<SQL &
\o $res.pid
SELECT pg_backend_pid();
\o $res.before
SELECT pg_current_wal_insert_lsn(), n_tup_ins, n_tup_upd,
       (SELECT n_tup_ins FROM pg_stat_user_tables WHERE relid = 'numaudit.audit_change'::regclass)
  FROM pg_stat_user_tables WHERE relid = 'numaudit.number'::regclass;
\o
SELECT pg_sleep(0.3);
SELECT extract(epoch FROM clock_timestamp()) AS t0 \gset
\o $res.rows
$sql;
\o $res.time
SELECT round((extract(epoch FROM clock_timestamp()) - :t0)::numeric, 3);
\o
SELECT pg_stat_force_next_flush();
SELECT pg_stat_clear_snapshot();
\o $res.after
SELECT pg_current_wal_insert_lsn(), n_tup_ins, n_tup_upd,
       (SELECT n_tup_ins FROM pg_stat_user_tables WHERE relid = 'numaudit.audit_change'::regclass),
       (SELECT regexp_replace(pg_read_file('/proc/self/status'), '.*VmHWM:\s+(\d+).*', '\1')),
       (SELECT regexp_replace(pg_read_file('/proc/self/status'), '.*RssShmem:\s+(\d+).*', '\1'))
  FROM pg_stat_user_tables WHERE relid = 'numaudit.number'::regclass;
SQL
    local client=$!
    for _ in $(seq 1 100); do [ -s "$res.pid" ] && break; sleep 0.05; done
    pid=$(cat "$res.pid")
    # Peak private memory, sampled (VmHWM below also counts shared buffers).
    (
        m=0
        while kill -0 "$client" 2>/dev/null; do
            v=$(awk '/^RssAnon:/ {print $2}' "/proc/$pid/status" 2>/dev/null || echo 0)
            [ -n "$v" ] && [ "$v" -gt "$m" ] && m=$v
            echo "$m" >"$res.peak"
            sleep 0.05
        done
    ) &
    sampler=$!
    if ! wait "$client"; then
        cat "$res" >&2
        echo "bench: $name $scope $case_ failed" >&2
        exit 1
    fi
    wait "$sampler" || true
    local secs b a lsn0 ins0 upd0 h0 lsn1 ins1 upd1 h1 hwm shm wal rows inv
    secs=$(cat "$res.time")
    IFS='|' read -r lsn0 ins0 upd0 h0 <"$res.before"
    IFS='|' read -r lsn1 ins1 upd1 h1 hwm shm <"$res.after"
    wal=$(q "SELECT pg_wal_lsn_diff('$lsn1', '$lsn0')::bigint")
    peak=$(cat "$res.peak" 2>/dev/null || echo 0)
    # The sample misses short peaks; VmHWM less the shared memory touched
    # by the end is a lower bound of the true peak: take the larger.
    [ $((hwm - shm)) -gt "$peak" ] && peak=$((hwm - shm))
    rows=$(grep -c . "$res.rows" || true)
    inv=$(q "SELECT md5(string_agg(hierarchy_id || '|' || internal_number || '|' || status || '|' || coalesce(usage, '~'), ',' ORDER BY hierarchy_id, internal_number)) FROM numaudit.number")
    echo "$size,$name,$scope,$case_,$secs,$((ins1 - ins0)),$((upd1 - upd0)),$(( ${h1:-0} - ${h0:-0} )),$wal,$(awk "BEGIN {printf \"%.1f\", $peak / 1024}"),$rows,$inv" >>"$CSV"
    log "$(printf '%8s %-18s %-8s %-6s %9.3f s  ins %8d upd %8d hist %8d  WAL %6.1f MB  peak %7.1f MB' \
        "$size" "$name" "$scope" "$case_" "$secs" $((ins1 - ins0)) $((upd1 - upd0)) $(( ${h1:-0} - ${h0:-0} )) \
        "$(awk "BEGIN {print $wal / 1048576}")" "$(awk "BEGIN {print $peak / 1024}")")"
    rm -f "$res" "$res".*
}

# contender NAME SCOPE SQL SIZE: first audit, drift, then no-op (second run).
contender() {
    local name=$1 scope=$2 sql=$3 size=$4
    [[ "$name $scope" =~ ${BENCH_ONLY:-.} ]] || return 0
    restore empty
    measure "$size" "$name" "$scope" first "$sql"
    restore loaded
    measure "$size" "$name" "$scope" drift "$sql"
    measure "$size" "$name" "$scope" noop "$sql"
}

for size in $SIZES; do
    psql_ -q -d postgres -c 'DROP DATABASE IF EXISTS bench' -c 'CREATE DATABASE bench' >/dev/null
    q 'CREATE EXTENSION numaudit' >/dev/null
    psql_ -q -f "$BENCH_DIR/reading.sql" >/dev/null
    psql_ -q -f "$BENCH_DIR/gen.sql" >/dev/null
    psql_ -q -f "$BENCH_DIR/contenders.sql" >/dev/null
    psql_ -q -f "$BENCH_DIR/set_based.sql" >/dev/null
    t0=$(date +%s.%N)
    log "$size: $(q "SELECT bench.generate($size, 1000)")"
    q 'VACUUM (ANALYZE)' >/dev/null
    log "$size: generated in $(awk "BEGIN {printf \"%.1f\", $(date +%s.%N) - $t0}") s"

    restore loaded
    measure "$size" scan_floor - read "SELECT bench.scan_floor('$CUST')"
    contender numaudit_run customer "SELECT * FROM numaudit.run('$CUST', 'customer')" "$size"
    contender numaudit_run site "SELECT * FROM numaudit.run('$CUST', 'site')" "$size"
    contender numaudit_audit site "CALL numaudit.audit('$CUST', 'site')" "$size"
    contender set_based_sql customer "SELECT bench.sql_audit('$CUST', 'customer')" "$size"
    contender set_based_sql site "SELECT bench.sql_audit('$CUST', 'site')" "$size"
    if [ "$size" -le "$RBR_MAX" ]; then
        contender row_by_row site "SELECT bench.rbr_audit('$CUST')" "$size"
    fi
done

# Checks: one inventory per scope and case; no-op runs write no inventory.
bad=$(awk -F, 'NR > 1 && $3 != "-" {
        k = $1 "," $3 "," $4
        if (k in inv && inv[k] != $12) print "inventory differs: " k " " $2
        inv[k] = $12
        if ($4 == "noop" && ($6 != 0 || $7 != 0)) print "no-op wrote the inventory: " $1 " " $2 " " $3
    }' "$CSV")
if [ -n "$bad" ]; then
    log "$bad"
    log "bench: FAILED"
    exit 1
fi
log "bench: every contender left the same inventory; no-op runs wrote no inventory tuple"
bash "$BENCH_DIR/report.sh" "$CSV" "$OUT" | tee -a "$OUT/bench.log"

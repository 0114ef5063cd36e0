#!/usr/bin/env bash
# numaudit benchmark of incremental audits (issue 12), on the benchmark's
# generated flat customer (gen.sql), in ONE run so that every ratio is taken
# within it:
#   0. a full audit (scope customer, committed) of the loaded inventory: the
#      baseline; then the no-op: full and incremental (no marks);
#   1.-3. the curve: for each fraction of the numbers (INCR_FRACTIONS, default
#      0.0001 0.001 0.01 0.03 0.1), that many device lines changed by DML
#      (bench.change_lines: a third moved to a spare number, a third added,
#      a third removed), committed; then the full and the incremental audit
#      of that state, alternating; then a committed incremental audit, which
#      consumes the marks and is the next step's baseline. 0.1% is item 1
#      (incremental against the full no-op);
#   2. the benchmark's 5% drift made by DML after the baseline
#      (bench.drift_like_loaded: the inventory made as bench.loaded): the
#      incremental audit against the set-based SQL's full drift audit
#      (bench.sql_audit, scope customer) and numaudit's full one;
#   4. tracking's overhead: (a) a bulk load of INCR_LOAD_LINES (100,000)
#      device lines, INSERT ... SELECT and COPY, with and without a baseline,
#      with the tracking triggers enabled and disabled (ALTER TABLE ...
#      DISABLE TRIGGER USER in the rolled-back transaction); (b) one-row
#      changes (INSERT, UPDATE, DELETE of a device line and of an entry):
#      pgbench, one client, INCR_LAT_SECS (10) per script and mode, median
#      latency of the transaction (BEGIN; the change; ROLLBACK), the tracking
#      triggers enabled and disabled (committed, then enabled again), two
#      rounds; (c) numaudit.uses() at this size, 20 numbers, 5 calls each.
# Every audit measured runs in a new session in a transaction that is rolled
# back (BEGIN; the audit; ROLLBACK): each repetition does the same work on the
# same committed state and marks. Times are the server's clock around the
# one statement. Each audit is repeated INCR_REPS times (5), the variants
# alternating; the tables give medians. The first repetition of each full and
# incremental audit also compares the inventory each leaves (md5): the
# benchmark fails if an incremental audit leaves another one than the full.
#
#   bash test/bench/incremental.sh            # 1,000,000 numbers
#   INCR_SIZE=10000 INCR_REPS=2 INCR_LAT_SECS=1 bash test/bench/incremental.sh
#   INCR_PARTS=tracking bash test/bench/incremental.sh   # the baseline, then 4. only
#   INCR_PARTS=audits bash test/bench/incremental.sh     # 0.-3. only
#
# INCR_PARTS: all (default), or tracking: the committed full audit (the
# baseline) and 4. (a)-(c), skipping the no-op, the drift and the curve (and
# the plot): tracking's overhead before and after a change to the triggers,
# in a few minutes; or audits: 0.-3. without 4.
# INCR_OUT (test/bench/results): incremental.csv, incremental.log;
# INCR_PLOT (INCR_OUT/incremental.png): the curve, by gnuplot.
# Its own cluster: INCR_PGDIR (/tmp/numaudit-bench-incr), INCR_PGPORT (54372).
set -euo pipefail

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_DIR=$(cd "$BENCH_DIR/../.." && pwd)
export PG_CONFIG=${PG_CONFIG:-/usr/lib/postgresql/15/bin/pg_config}
PG_BINDIR=$("$PG_CONFIG" --bindir)
SIZE=${INCR_SIZE:-1000000}
REPS=${INCR_REPS:-5}
FRACTIONS=${INCR_FRACTIONS:-"0.0001 0.001 0.01 0.03 0.1"}
LOAD_LINES=${INCR_LOAD_LINES:-100000}
LAT_SECS=${INCR_LAT_SECS:-10}
PARTS=${INCR_PARTS:-all}
case "$PARTS" in all | tracking | audits) ;; *) echo "INCR_PARTS: all, tracking or audits" >&2; exit 2 ;; esac
OUT=${INCR_OUT:-$BENCH_DIR/results}
PLOT=${INCR_PLOT:-$OUT/incremental.png}
PGDIR=${INCR_PGDIR:-/tmp/numaudit-bench-incr}
PORT=${INCR_PGPORT:-54372}
CUST=Bench
export PGDATABASE=bench PGOPTIONS='-c client_min_messages=warning'

as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
psql_() { "$PG_BINDIR/psql" -X -v ON_ERROR_STOP=1 "$@"; }
q() { psql_ -qAt -c "$1"; }
log() { printf '%s\n' "$*" | tee -a "$OUT/incremental.log"; }
secs_since() { awk "BEGIN {printf \"%.2f\", $(date +%s.%N) - $1}"; }

mkdir -p "$OUT"
: >"$OUT/incremental.log"
CSV=$OUT/incremental.csv
echo "size,part,case,variant,rep,value,unit,mode,marks,rows" >"$CSV"
. "$BENCH_DIR/lib.sh"
bench_cluster_start

log "numaudit incremental benchmark $(date -u +%Y-%m-%dT%H:%MZ) on $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), $(psql_ -qAt -d postgres -c 'SELECT version()' | cut -d, -f1)"
log "huge pages (huge_pages = ${BENCH_HUGE_PAGES:-try}; the server's shared memory in 2 MB pages when the kernel has them): $(grep -E '^HugePages_(Total|Free|Rsvd)' /proc/meminfo | tr -s ' ' | paste -sd' ')"
psql_ -q -d postgres -c 'DROP DATABASE IF EXISTS bench' -c 'CREATE DATABASE bench' >/dev/null
q 'CREATE EXTENSION numaudit' >/dev/null
psql_ -q -f "$BENCH_DIR/reading.sql" -f "$BENCH_DIR/gen.sql" -f "$BENCH_DIR/set_based.sql" \
    -f "$BENCH_DIR/incremental.sql" >/dev/null
t0=$(date +%s.%N)
log "$SIZE: $(q "SELECT bench.generate($SIZE, 1000)")"
q "INSERT INTO numaudit.number (hierarchy_id, internal_number, status, usage, description)
   SELECT hierarchy_id, internal_number, status, usage, description FROM bench.loaded ORDER BY 1, 2" >/dev/null
q "SELECT bench.incr_setup($SIZE)" >/dev/null
q 'VACUUM (ANALYZE)' >/dev/null
log "$SIZE: generated and loaded in $(secs_since "$t0") s"

marks() {
    q "SELECT count(*) FROM numaudit.pending_change WHERE customer_id = 3 AND NOT seen_customer"
}
settle() {  # after committed changes: as a loader's run leaves the tables
    psql_ -q -c 'VACUUM (ANALYZE) numaudit.device_line, numaudit.device, numaudit.number, numaudit.pending_change, numaudit.baseline, numaudit.audit_run, numaudit.audit_change' \
        -c 'CHECKPOINT' >/dev/null
}
INV_MD5="SELECT md5(string_agg(hierarchy_id || '|' || internal_number || '|' || status || '|' || coalesce(usage, '~'), ',' ORDER BY hierarchy_id, internal_number)) FROM numaudit.number"

# audit PART CASE VARIANT REP SQL CHECK: SQL (a query of one value) in a new
# session, in a transaction rolled back; records seconds, the run's mode, the
# pending marks and the value; with CHECK=1 prints the inventory's md5.
audit() {
    local part=$1 case_=$2 variant=$3 rep=$4 sql=$5 check=${6:-0} out secs mode n md5 m
    m=$(marks)
    local warmup=
    # *_warm: the same audit once before in that session (rolled back), as a
    # pooled application's connection runs it; the others are a new
    # session's first audit, as pg_cron's or a DBA's psql.
    [[ $variant == *_warm ]] && warmup="BEGIN; $sql \\gset w_
ROLLBACK;"
    # incremental_forced: incremental whatever the number of marks (the
    # hidden numaudit.incremental_share at 1), to time it past the point
    # where numaudit switches to a full audit by itself.
    [[ $variant == incremental_forced ]] && warmup="SET numaudit.incremental_share = 1;"
    out=$(psql_ -qAt <<SQL
SET client_min_messages = warning;
$warmup
BEGIN;
SELECT extract(epoch FROM clock_timestamp()) AS t0 \gset
$sql \gset r_
SELECT round((extract(epoch FROM clock_timestamp()) - :t0)::numeric, 4) AS secs \gset
SELECT :secs || '|' || coalesce((SELECT mode FROM numaudit.audit_run ORDER BY id DESC LIMIT 1), '-') || '|' || :'r_n'
       || '|' || CASE WHEN $check = 1 THEN ($INV_MD5) ELSE '-' END;
ROLLBACK;
SQL
)
    read -r secs mode n md5 <<<"${out//|/ }"
    [[ $variant == set_based_sql ]] && mode=sql
    echo "$SIZE,$part,$case_,$variant,$rep,$secs,s,$mode,$m,$n" >>"$CSV"
    log "$(printf '  %-7s %-10s %-14s rep %d: %9.4f s  mode %-11s marks %7d rows %7d' "$part" "$case_" "$variant" "$rep" "$secs" "$mode" "$m" "$n")"
    [ "$check" = 1 ] && echo "$md5" >"$OUT/.md5.$variant"
    return 0
}
RUN_FULL="SELECT count(*) AS n FROM numaudit.run('$CUST', 'customer')"
RUN_INCR="SELECT count(*) AS n FROM numaudit.run('$CUST', 'customer', incremental => true)"
RUN_SQL="SELECT bench.sql_audit('$CUST', 'customer') AS n"
FAILED=0
same_inventory() {  # label variants...: the md5s of their first repetitions
    local first=$2 v
    for v in "${@:3}"; do
        if [ "$(cat "$OUT/.md5.$first")" != "$(cat "$OUT/.md5.$v")" ]; then
            log "MISMATCH ($1): $v left another inventory than $first"
            FAILED=1
        fi
    done
}
rebaseline() {  # a committed incremental audit consumes the marks
    local t out
    t=$(date +%s.%N)
    out=$(q "SELECT count(*) FROM numaudit.run('$CUST', 'customer', incremental => true)")
    log "  rebaseline: committed incremental audit, $out rows, mode $(q 'SELECT mode FROM numaudit.audit_run ORDER BY id DESC LIMIT 1'), $(secs_since "$t") s; marks left $(marks)"
    settle
}

# --- 0. the baseline and the no-op -------------------------------------------
t=$(date +%s.%N)
log "baseline: full audit (committed) of the loaded inventory: $(q "SELECT count(*) FROM numaudit.run('$CUST', 'customer')") rows in $(secs_since "$t") s"
settle
log "tracking: $(q "SELECT format('%s %s entries=%s pending=%s next=%s', t.customer, t.scope, b.entries, t.pending, t.next_audit)
                   FROM numaudit.tracking t LEFT JOIN numaudit.baseline b ON b.run_id = t.baseline_run_id
                  WHERE t.scope = 'customer'")"
if [ "$PARTS" != tracking ]; then
for rep in $(seq 1 "$REPS"); do
    c=$([ "$rep" = 1 ] && echo 1 || echo 0)
    audit noop noop full "$rep" "$RUN_FULL" "$c"
    audit noop noop incremental "$rep" "$RUN_INCR" "$c"
    audit noop noop incremental_warm "$rep" "$RUN_INCR"
done
same_inventory noop full incremental

# --- 2. the benchmark's 5% drift, made by DML --------------------------------
t=$(date +%s.%N)
log "drift5: $(q 'SELECT bench.drift_like_loaded()') in $(secs_since "$t") s (committed)"
settle
for rep in $(seq 1 "$REPS"); do
    c=$([ "$rep" = 1 ] && echo 1 || echo 0)
    audit drift5 drift5 incremental "$rep" "$RUN_INCR" "$c"
    audit drift5 drift5 set_based_sql "$rep" "$RUN_SQL" "$c"
    audit drift5 drift5 full "$rep" "$RUN_FULL" "$c"
    audit drift5 drift5 incremental_warm "$rep" "$RUN_INCR"
    audit drift5 drift5 incremental_forced "$rep" "$RUN_INCR" "$c"
done
same_inventory drift5 full incremental set_based_sql incremental_forced
rebaseline

# --- 1., 3. the curve ---------------------------------------------------------
step=0
for f in $FRACTIONS; do
    step=$((step + 1))
    k=$(awk "BEGIN {k = int($f * $SIZE + 0.5); print (k < 3 ? 3 : k)}")
    t=$(date +%s.%N)
    log "curve $f: $(q "SELECT bench.change_lines($step, $k)") in $(secs_since "$t") s (committed)"
    settle
    for rep in $(seq 1 "$REPS"); do
        c=$([ "$rep" = 1 ] && echo 1 || echo 0)
        if [ $((rep % 2)) = 1 ]; then
            audit curve "$f" full "$rep" "$RUN_FULL" "$c"
            audit curve "$f" incremental "$rep" "$RUN_INCR" "$c"
        else
            audit curve "$f" incremental "$rep" "$RUN_INCR" "$c"
            audit curve "$f" full "$rep" "$RUN_FULL" "$c"
        fi
        audit curve "$f" incremental_warm "$rep" "$RUN_INCR"
        audit curve "$f" incremental_forced "$rep" "$RUN_INCR" "$c"
    done
    same_inventory "curve $f" full incremental incremental_forced
    rebaseline
done
rm -f "$OUT"/.md5.*
fi  # PARTS != tracking

if [ "$PARTS" != audits ]; then
# --- 4a. bulk load of device lines --------------------------------------------
COPYFILE=$PGDIR/stage.copy
q "DROP TABLE IF EXISTS bench.stage;
   CREATE TABLE bench.stage AS
   SELECT l.device_id, l.line_index + 200 * g AS line_index, l.pattern, l.partition
     FROM generate_series(1, 1 + $LOAD_LINES / (SELECT count(*) FROM numaudit.device_line)::integer) AS g,
          LATERAL (SELECT * FROM numaudit.device_line ORDER BY device_id, line_index) l
    ORDER BY g, l.device_id, l.line_index LIMIT $LOAD_LINES" >/dev/null
q "VACUUM ANALYZE bench.stage" >/dev/null
q "COPY bench.stage TO '$COPYFILE'" >/dev/null
log "load: $(q 'SELECT count(*) FROM bench.stage') device lines staged (bench.stage, and $COPYFILE for COPY)"
load() {  # method baseline(with|without) tracking(on|off) rep
    local stmt pre="" s
    [ "$1" = insert_select ] && stmt="INSERT INTO numaudit.device_line SELECT * FROM bench.stage" ||
        stmt="COPY numaudit.device_line FROM '$COPYFILE'"
    [ "$2" = without ] && pre="DELETE FROM numaudit.baseline;"
    [ "$3" = off ] && pre="$pre ALTER TABLE numaudit.device_line DISABLE TRIGGER USER;"
    s=$(psql_ -qAt <<SQL
BEGIN;
$pre
SELECT extract(epoch FROM clock_timestamp()) AS t0 \gset
$stmt;
SELECT round((extract(epoch FROM clock_timestamp()) - :t0)::numeric, 4);
ROLLBACK;
SQL
)
    psql_ -q -c 'VACUUM numaudit.device_line, numaudit.pending_change' -c CHECKPOINT >/dev/null
    echo "$SIZE,load,$1 $2 baseline,tracking $3,$4,$s,s,-,-,$LOAD_LINES" >>"$CSV"
    log "$(printf '  load    %-14s %-7s baseline  tracking %-3s rep %d: %8.3f s' "$1" "$2" "$3" "$4" "$s")"
}
for rep in 1 2 3; do
    for method in insert_select copy; do
        for base in with without; do
            if [ $((rep % 2)) = 1 ]; then load $method $base on $rep; load $method $base off $rep
            else load $method $base off $rep; load $method $base on $rep; fi
        done
    done
done

# --- 4b. one-row changes under pgbench ----------------------------------------
q "DROP TABLE IF EXISTS bench.pick_line, bench.pick_num;
   CREATE TABLE bench.pick_line AS
   SELECT row_number() OVER () AS k, x.* FROM (
       SELECT l.device_id, l.line_index, bench.num($SIZE + row_number() OVER ()) AS num
         FROM numaudit.device_line l WHERE l.device_id < 2000000000
        ORDER BY hashint8(l.device_id * 8 + l.line_index) LIMIT 1000) x;
   CREATE TABLE bench.pick_num AS
   SELECT row_number() OVER () AS k, x.* FROM (
       SELECT n.id, n.hierarchy_id, '5' || lpad(n.id::text, 9, '0') AS num
         FROM numaudit.number n ORDER BY hashint8(n.id) LIMIT 1000) x;
   CREATE UNIQUE INDEX ON bench.pick_line (k);
   CREATE UNIQUE INDEX ON bench.pick_num (k);
   ANALYZE bench.pick_line, bench.pick_num" >/dev/null
lat_dir=$(mktemp -d)
chmod 755 "$lat_dir"
write_script() {  # name statement
    printf '\\set k random(1, 1000)\nBEGIN;\n%s;\nROLLBACK;\n' "$2" >"$lat_dir/$1.sql"
}
write_script line_insert "INSERT INTO numaudit.device_line (device_id, line_index, pattern) SELECT device_id, 300, num FROM bench.pick_line WHERE k = :k"
write_script line_update "UPDATE numaudit.device_line l SET pattern = p.num FROM bench.pick_line p WHERE p.k = :k AND l.device_id = p.device_id AND l.line_index = p.line_index"
write_script line_delete "DELETE FROM numaudit.device_line l USING bench.pick_line p WHERE p.k = :k AND l.device_id = p.device_id AND l.line_index = p.line_index"
write_script entry_insert "INSERT INTO numaudit.number (hierarchy_id, internal_number) SELECT hierarchy_id, num FROM bench.pick_num WHERE k = :k"
write_script entry_update "UPDATE numaudit.number n SET status = CASE n.status WHEN 'Reserved' THEN 'Cooling' ELSE 'Reserved' END FROM bench.pick_num p WHERE p.k = :k AND n.id = p.id"
write_script entry_delete "DELETE FROM numaudit.number n USING bench.pick_num p WHERE p.k = :k AND n.id = p.id"
TRACK_TRIGGERS="SELECT format('ALTER TABLE numaudit.%I %s TRIGGER %I;', c.relname, \$1, t.tgname)
                  FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
                 WHERE c.relname IN ('device_line', 'number') AND t.tgname LIKE '%\\_track\\_%'"
tracking() {  # on|off: the tracking triggers of device_line and number
    local what=$([ "$1" = on ] && echo 'ENABLE ALWAYS' || echo DISABLE)
    q "PREPARE tt(text) AS $TRACK_TRIGGERS; EXECUTE tt('$what')" | psql_ -q >/dev/null
}
log "latency: pgbench, 1 client, $LAT_SECS s per script and mode; baseline rows $(q 'SELECT count(*) FROM numaudit.baseline')"
for round in 1 2; do
    for s in line_insert line_update line_delete entry_insert entry_update entry_delete; do
        for mode in on off; do
            [ $((round % 2)) = 0 ] && mode=$([ "$mode" = on ] && echo off || echo on)
            tracking "$mode"
            rm -f "$lat_dir"/log.*
            "$PG_BINDIR/pgbench" -n -c 1 -T "$LAT_SECS" -f "$lat_dir/$s.sql" -l --log-prefix="$lat_dir/log" bench >/dev/null 2>"$lat_dir/err" ||
                { cat "$lat_dir/err" >&2; exit 1; }
            ms=$(cat "$lat_dir"/log.* | awk '{print $3 / 1000}' | sort -n | awk '{v[NR] = $1} END {m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; print m, NR}')
            set -- $ms
            echo "$SIZE,latency,$s,tracking $mode,$round,$1,ms,-,-,$2" >>"$CSV"
            log "$(printf '  latency %-13s tracking %-3s round %d: median %7.3f ms over %d transactions' "$s" "$mode" "$round" "$1" "$2")"
        done
    done
done
tracking on
[ "$(q "SELECT count(*) FROM pg_trigger WHERE tgname LIKE '%\_track\_%' AND tgenabled <> 'A'")" = 0 ] ||
    { log "tracking triggers left disabled"; exit 1; }
rm -rf "$lat_dir"

# --- 4c. uses() -----------------------------------------------------------------
psql_ -qAt <<SQL | tee -a "$CSV" | awk -F, '{printf "  uses()  %s calls: median %s ms\n", $10, $6}' | tee -a "$OUT/incremental.log"
CREATE TEMP TABLE t (n text, ms float8);
DO \$\$
DECLARE
    x text;
    t0 timestamptz;
    c bigint;
BEGIN
    FOR x IN SELECT bench.num(k * ($SIZE / 20) + 7) FROM generate_series(0, 19) k LOOP
        PERFORM count(*) FROM numaudit.uses('$CUST', x);
        FOR r IN 1..5 LOOP
            t0 := clock_timestamp();
            SELECT count(*) INTO c FROM numaudit.uses('$CUST', x);
            INSERT INTO t VALUES (x, extract(epoch FROM clock_timestamp() - t0) * 1000);
        END LOOP;
    END LOOP;
END
\$\$;
SELECT format('$SIZE,uses,uses,-,1,%s,ms,-,-,%s', round(percentile_cont(0.5) WITHIN GROUP (ORDER BY ms)::numeric, 3), count(*)) FROM t;
SQL
fi  # PARTS != audits

# --- the tables ---------------------------------------------------------------------
[ "$PARTS" != tracking ] || PLOT=/dev/null
bash "$BENCH_DIR/incremental_report.sh" "$CSV" "$PLOT" | tee -a "$OUT/incremental.log"
if [ "$FAILED" != 0 ]; then
    log "incremental: FAILED (an incremental audit left another inventory than the full one)"
    exit 1
fi
log "incremental: every incremental audit left the inventory the full audit left"

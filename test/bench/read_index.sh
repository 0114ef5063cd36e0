#!/usr/bin/env bash
# What the read-number indexes of 0.4.0 buy and cost, on the benchmark's
# generated flat customer (test/bench/gen.sql), against a running cluster
# (PGHOST/PGPORT/PGUSER; numaudit 0.4.0 installed, its scripts for 0.3.0 too):
#   1. numaudit.uses() at N entries (READIDX_SIZE, default 1000000): a
#      database created at 0.3.0, then updated to 0.4.0 (the update's time is
#      the indexes' build); READIDX_NUMBERS numbers (default 20) spread over
#      the customer, each called once to warm up, then 5 times: median, min
#      and max of those calls, in ms, measured in the server; and the plan of
#      uses()'s query (auto_explain).
#   2. a bulk load of 100,000 device lines into that database (INSERT ...
#      SELECT from a staging table), with and without
#      device_line_pattern_read_idx, alternating, best of 3.
#   3. numaudit.run's first audit (empty inventory, scope customer) at
#      100,000 entries, with and without number_internal_number_read_idx,
#      alternating, best of 3.
# Each trial without an index drops it in a transaction that is rolled back.
#   bash test/bench/read_index.sh
set -euo pipefail
REPO_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
. "$REPO_DIR/test/scripts/checks.sh"
SIZE=${READIDX_SIZE:-1000000}
NUMBERS=${READIDX_NUMBERS:-20}
DB=numaudit_readidx
DB100K=numaudit_readidx_100k

fresh_db() {  # name, CREATE EXTENSION clause, size
    "$PG_BINDIR/dropdb" --if-exists "$1"
    "$PG_BINDIR/createdb" "$1"
    psql_ -q -d "$1" -c "CREATE EXTENSION numaudit $2" -f "$REPO_DIR/test/bench/gen.sql" >/dev/null
    q "$1" "SELECT bench.generate($3, 1000)" >/dev/null
    psql_ -q -d "$1" >/dev/null <<'SQL'
INSERT INTO numaudit.number (hierarchy_id, internal_number, status, usage, description)
SELECT hierarchy_id, internal_number, status, usage, description FROM bench.loaded ORDER BY 1, 2;
VACUUM (ANALYZE) numaudit.number, numaudit.device_line, numaudit.service, numaudit.device;
CHECKPOINT;
SQL
}

time_uses() {  # label
    psql_ -qAt -d $DB <<SQL
CREATE TEMP TABLE t (n text, uses bigint, ms float8);
DO \$\$
DECLARE
    x text;
    t0 timestamptz;
    c bigint;
BEGIN
    FOR x IN SELECT bench.num(k * ($SIZE / $NUMBERS) + 7) FROM generate_series(0, $NUMBERS - 1) k LOOP
        PERFORM count(*) FROM numaudit.uses('Bench', x);
        FOR r IN 1..5 LOOP
            t0 := clock_timestamp();
            SELECT count(*) INTO c FROM numaudit.uses('Bench', x);
            INSERT INTO t VALUES (x, c, extract(epoch FROM clock_timestamp() - t0) * 1000);
        END LOOP;
    END LOOP;
END
\$\$;
SELECT format('$1: uses() of %s numbers (%s uses in all), 5 calls each: median %s ms, min %s, max %s',
              count(DISTINCT n), sum(uses) / 5,
              round(percentile_cont(0.5) WITHIN GROUP (ORDER BY ms)::numeric, 2),
              round(min(ms)::numeric, 2), round(max(ms)::numeric, 2))
  FROM t;
SQL
}

# --- 1. uses() before and after the update -----------------------------------
# (READIDX_FROM=2 or 3 starts there; 2 needs the database a run with
# READIDX_KEEP=1 left.)
if [ "${READIDX_FROM:-1}" -le 1 ]; then
t0=$(date +%s.%N)
fresh_db $DB "VERSION '0.3.0'" "$SIZE"
log "$SIZE entries generated and loaded at 0.3.0 in $(awk "BEGIN {printf \"%.1f\", $(date +%s.%N) - $t0}") s"
log "$(q $DB "SELECT format('%s device lines, %s services, %s entries', (SELECT count(*) FROM numaudit.device_line),
                             (SELECT count(*) FROM numaudit.service), (SELECT count(*) FROM numaudit.number))")"
time_uses "0.3.0"
t0=$(date +%s.%N)
q $DB "ALTER EXTENSION numaudit UPDATE TO '0.4.0'" >/dev/null
log "ALTER EXTENSION numaudit UPDATE TO '0.4.0' (builds the three indexes): $(awk "BEGIN {printf \"%.1f\", $(date +%s.%N) - $t0}") s"
log "$(q $DB "SELECT string_agg(format('%s %s', c.relname, pg_size_pretty(pg_relation_size(c.oid))), ', ' ORDER BY c.relname)
               FROM pg_class c WHERE c.relname LIKE '%\_read\_idx'")"
time_uses "0.4.0, before ANALYZE"
q $DB "ANALYZE numaudit.device_line, numaudit.service, numaudit.number" >/dev/null
time_uses "0.4.0, after ANALYZE"
log "the plan of uses()'s query (auto_explain, one call):"
psql_ -qAt -d $DB 2>&1 >/dev/null <<'SQL' | grep -E '(Scan|Join|Loop|Append|Sort|Aggregate|Cond|Filter|Result|CTE)' | grep -v -E '^ *(WHERE|AND|FROM|JOIN|SELECT|UNION|WITH|ORDER)'
LOAD 'auto_explain';
SET auto_explain.log_min_duration = 0;
SET auto_explain.log_nested_statements = on;
SET auto_explain.log_analyze = on;
SET auto_explain.log_timing = off;
SET auto_explain.log_level = notice;
SELECT count(*) FROM numaudit.uses('Bench', '2000000000');
SQL
fi

# --- 2. bulk load of 100,000 device lines ------------------------------------
if [ "${READIDX_FROM:-1}" -le 2 ]; then
q $DB "DROP TABLE IF EXISTS bench.stage;
       CREATE TABLE bench.stage AS
       SELECT device_id, line_index + 100 AS line_index, pattern, partition
         FROM numaudit.device_line ORDER BY device_id, line_index LIMIT 100000" >/dev/null
q $DB "VACUUM ANALYZE bench.stage" >/dev/null
load_lines() {  # with|without
    local drop=""
    [ "$1" = without ] && drop="DROP INDEX numaudit.device_line_pattern_read_idx;"
    psql_ -qAt -d $DB <<SQL
BEGIN;
$drop
SELECT extract(epoch FROM clock_timestamp()) AS t0 \gset
INSERT INTO numaudit.device_line SELECT * FROM bench.stage;
SELECT round((extract(epoch FROM clock_timestamp()) - :t0)::numeric, 3);
ROLLBACK;
VACUUM numaudit.device_line;
CHECKPOINT;
SQL
}
with=() without=()
for i in 1 2 3; do
    with+=("$(load_lines with)")
    without+=("$(load_lines without)")
done
log "bulk load of 100,000 device lines (INSERT ... SELECT), s: with the index ${with[*]}; without ${without[*]}"
fi

# --- 3. numaudit.run's first audit at 100,000 entries -------------------------
fresh_db $DB100K "" 100000
q $DB100K "TRUNCATE numaudit.audit_change, numaudit.audit_run, numaudit.number" >/dev/null
q $DB100K "VACUUM (ANALYZE) numaudit.number" >/dev/null
q $DB100K "CHECKPOINT" >/dev/null
first_audit() {  # with|without
    local drop=""
    [ "$1" = without ] && drop="DROP INDEX numaudit.number_internal_number_read_idx;"
    psql_ -qAt -d $DB100K <<SQL
BEGIN;
$drop
SELECT extract(epoch FROM clock_timestamp()) AS t0 \gset
SELECT count(*) FROM numaudit.run('Bench', 'customer') \g /dev/null
SELECT round((extract(epoch FROM clock_timestamp()) - :t0)::numeric, 3);
ROLLBACK;
VACUUM numaudit.number;
CHECKPOINT;
SQL
}
with=() without=()
for i in 1 2 3; do
    with+=("$(first_audit with)")
    without+=("$(first_audit without)")
done
log "first audit (run, scope customer, empty inventory) at 100,000 entries, s: with the index ${with[*]}; without ${without[*]}"

"$PG_BINDIR/dropdb" --if-exists $DB100K
[ -n "${READIDX_KEEP:-}" ] || "$PG_BINDIR/dropdb" --if-exists $DB

#!/usr/bin/env bash
# numaudit benchmark, A/B: numaudit.run of two builds of the library on the
# same benchmark data, measured in alternating order, round after round, so
# that the load of a shared machine falls on both alike.
#
#   bash test/bench/ab.sh OLD_LIBRARY [ROUNDS] [SIZE]
#   e.g. bash test/bench/ab.sh numaudit_old020 5 1000000
#
# OLD_LIBRARY is a build of numaudit.so installed under another name in
# $libdir (make, then cp numaudit.so "$(pg_config --pkglibdir)/NAME.so"); its
# run() is declared as bench.run_old with the installed run()'s signature.
# Each measurement runs in a fresh session, which loads one library only.
# Cases: first audit (empty inventory), 5% drift, no-op, for scope customer
# and site. Prints each time, then per case the median of each build and
# the ratio new/old; BENCH_AB_OUT (default test/bench/results) gets ab.csv.
set -euo pipefail

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_DIR=$(cd "$BENCH_DIR/../.." && pwd)
OLD=${1:?usage: $0 OLD_LIBRARY [ROUNDS] [SIZE]}
ROUNDS=${2:-5}
SIZE=${3:-1000000}
export PG_CONFIG=${PG_CONFIG:-/usr/lib/postgresql/15/bin/pg_config}
PG_BINDIR=$("$PG_CONFIG" --bindir)
OUT=${BENCH_AB_OUT:-$BENCH_DIR/results}
PGDIR=${BENCH_PGDIR:-/tmp/numaudit-bench-ab}
PORT=${BENCH_PGPORT:-54371}
CUST=Bench
export PGDATABASE=bench

[ -f "$("$PG_CONFIG" --pkglibdir)/$OLD.so" ] || { echo "ab: no $OLD.so in $("$PG_CONFIG" --pkglibdir)" >&2; exit 2; }
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
psql_() { "$PG_BINDIR/psql" -X -v ON_ERROR_STOP=1 "$@"; }
q() { psql_ -qAt -c "$1"; }

mkdir -p "$OUT"
. "$BENCH_DIR/lib.sh"
bench_cluster_start

psql_ -q -d postgres -c 'DROP DATABASE IF EXISTS bench' -c 'CREATE DATABASE bench' >/dev/null
q 'CREATE EXTENSION numaudit' >/dev/null
psql_ -q -f "$BENCH_DIR/reading.sql" -f "$BENCH_DIR/gen.sql" >/dev/null
echo "ab: $(q "SELECT bench.generate($SIZE, 1000)")"
q 'VACUUM (ANALYZE)' >/dev/null
# The old build's run(), declared as the installed one is.
q "SELECT format('CREATE FUNCTION bench.run_old(%s) RETURNS TABLE (%s) LANGUAGE C VOLATILE PARALLEL UNSAFE
                  SET search_path = pg_catalog, pg_temp AS %L, ''numaudit_run''',
                 pg_get_function_arguments(p.oid),
                 (SELECT string_agg(format('%I %s', n, format_type(t, NULL)), ', ' ORDER BY o)
                    FROM unnest(p.proargnames, p.proallargtypes::oid[], p.proargmodes::text[])
                         WITH ORDINALITY AS a (n, t, m, o) WHERE m = 't'),
                 '\$libdir/$OLD')
   FROM pg_proc p WHERE p.oid = 'numaudit.run(text, text, text[], boolean, boolean, boolean)'::regprocedure" >"$OUT/ab_def.sql"
psql_ -q -f "$OUT/ab_def.sql" >/dev/null

measure() {  # function scope -> "seconds rows", in a fresh session
    psql_ -qAt <<SQL | tail -1
SELECT extract(epoch FROM clock_timestamp()) AS t0 \gset
SELECT count(*) AS n FROM $1('$CUST', '$2') \gset
SELECT round((extract(epoch FROM clock_timestamp()) - :t0)::numeric, 3) || ' ' || :n;
SQL
}
CSV=$OUT/ab.csv
echo "round,build,scope,case,seconds" >"$CSV"
for r in $(seq 1 "$ROUNDS"); do
    builds=(new old)
    [ $((r % 2)) = 0 ] && builds=(old new)
    for scope in customer site; do
        for b in "${builds[@]}"; do
            fn=numaudit.run
            [ "$b" = old ] && fn=bench.run_old
            restore empty
            read -r first first_rows <<<"$(measure $fn $scope)"
            restore loaded
            read -r drift drift_rows <<<"$(measure $fn $scope)"
            read -r noop noop_rows <<<"$(measure $fn $scope)"
            printf 'round %s %-3s %-8s first %7.3f s (%s rows)  drift %7.3f s (%s rows)  noop %7.3f s (%s rows)\n' \
                "$r" "$b" "$scope" "$first" "$first_rows" "$drift" "$drift_rows" "$noop" "$noop_rows"
            printf '%s,%s,%s,first,%s\n%s,%s,%s,drift,%s\n%s,%s,%s,noop,%s\n' \
                "$r" "$b" "$scope" "$first" "$r" "$b" "$scope" "$drift" "$r" "$b" "$scope" "$noop" >>"$CSV"
        done
    done
done
python3 - "$CSV" <<'PY'
import csv, statistics, sys
rows = list(csv.DictReader(open(sys.argv[1])))
print("\n| scope | case | old median (s) | new median (s) | new / old |")
print("|---|---|---|---|---|")
for scope in ("customer", "site"):
    for case in ("first", "drift", "noop"):
        t = {b: [float(r["seconds"]) for r in rows if r["scope"] == scope and r["case"] == case and r["build"] == b]
             for b in ("old", "new")}
        o, n = statistics.median(t["old"]), statistics.median(t["new"])
        print(f"| {scope} | {case} | {o:.3f} | {n:.3f} | {n / o:.3f} |")
PY

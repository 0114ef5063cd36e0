#!/usr/bin/env bash
# numaudit benchmark, instructions: one no-op audit of the benchmark customer
# by each of two builds of the library, counted by valgrind's callgrind in a
# single-user `postgres --single` (the whole process: deterministic, unlike
# wall time on a shared machine).
#
#   bash test/bench/callgrind.sh [DATA_DIR]
#
# DATA_DIR (default /tmp/numaudit-bench-ab/data) is the cluster test/bench/ab.sh
# leaves behind, stopped: its database `bench` holds the benchmark customer
# with an audited inventory (so every run is a no-op) and bench.run_old(), the
# other build's run(). Prints, per scope, the instructions of each build and
# the ratio new/old. Takes a few minutes per run at 1M entries.
set -euo pipefail

DATA=${1:-/tmp/numaudit-bench-ab/data}
export PG_CONFIG=${PG_CONFIG:-/usr/lib/postgresql/15/bin/pg_config}
PG_BINDIR=$("$PG_CONFIG" --bindir)
OUT=$(mktemp -d /tmp/numaudit-callgrind.XXXXXX)
chown postgres: "$OUT" 2>/dev/null || true
[ -f "$DATA/PG_VERSION" ] || { echo "callgrind: no cluster in $DATA (run test/bench/ab.sh first)" >&2; exit 2; }
[ -f "$DATA/postmaster.pid" ] && { echo "callgrind: the cluster in $DATA is running; stop it first" >&2; exit 2; }
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

count() {  # FUNCTION SCOPE -> instructions of one single-user run
    local f=$1 scope=$2 file="$OUT/$1.$2.out"
    echo "SELECT count(*) FROM $f('Bench', '$scope');" |
        as_pg valgrind --tool=callgrind --callgrind-out-file="$file" \
            "$PG_BINDIR/postgres" --single -D "$DATA" -c shared_buffers=256MB bench \
            >"$OUT/$1.$2.log" 2>&1
    sed -n 's/^summary: //p' "$file"
}

warm() {  # FUNCTION SCOPE: one run without valgrind
    echo "SELECT count(*) FROM $1('Bench', '$2');" |
        as_pg "$PG_BINDIR/postgres" --single -D "$DATA" -c shared_buffers=256MB bench >/dev/null 2>&1
}

# One uncounted run each first, so that both builds meet the same inventory
# and history; then the counted runs.
printf '%-9s %16s %16s %8s\n' scope old new new/old
for scope in customer site; do
    warm bench.run_old "$scope"
    warm numaudit.run "$scope"
    old=$(count bench.run_old "$scope")
    new=$(count numaudit.run "$scope")
    printf '%-9s %16s %16s %8s\n' "$scope" "$old" "$new" "$(awk -v a="$new" -v b="$old" 'BEGIN { printf "%.3f", a / b }')"
done
echo "callgrind: outputs in $OUT"

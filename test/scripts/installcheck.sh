#!/usr/bin/env bash
# Runs `make installcheck` (PGXS REGRESS and ISOLATION, see the Makefile)
# against the running cluster named by PGHOST/PGPORT/PGUSER, with numaudit
# installed into the PostgreSQL of PG_CONFIG:
#   test/scripts/installcheck.sh [regress|isolation|all]   # default all
# regress: the pg_regress tests (sql/, expected/; output in results/);
# isolation: the isolation specs (test/isolation/specs, test/isolation/expected;
# output in test/isolation/output_iso). On failure it prints the diffs.
set -euo pipefail
cd "$(dirname "$0")/../.."

export PG_CONFIG=${PG_CONFIG:-/usr/lib/postgresql/15/bin/pg_config}
suite=${1:-all}
regress_diffs=regression.diffs
isolation_diffs=test/isolation/output_iso/regression.diffs
case "$suite" in
regress) select=(ISOLATION=) diffs=("$regress_diffs") ;;  # an empty ISOLATION: PGXS skips the specs
isolation) select=(REGRESS=) diffs=("$isolation_diffs") ;;
all) select=() diffs=("$regress_diffs" "$isolation_diffs") ;;
*)
    echo "usage: $0 [regress|isolation|all]" >&2
    exit 2
    ;;
esac

# Both pg_regress and pg_isolation_regress take EXTRA_REGRESS_OPTS.
conn="--host=${PGHOST:-/tmp/numaudit-pg} --port=${PGPORT:-54329} --user=${PGUSER:-postgres}"
rm -f "${diffs[@]}"  # none left from an earlier run
status=0
make -s installcheck PG_CONFIG="$PG_CONFIG" EXTRA_REGRESS_OPTS="$conn" "${select[@]}" || status=$?
if [ "$status" != 0 ]; then
    for f in "${diffs[@]}"; do
        if [ -s "$f" ]; then
            echo "=== $f"
            head -c 20000 "$f"
        fi
    done
fi
exit "$status"

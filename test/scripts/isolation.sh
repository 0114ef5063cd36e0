#!/usr/bin/env bash
# Runs the isolation specs (test/isolation/specs, expected/) with
# pg_isolation_regress against the running cluster named by PGHOST/PGPORT.
set -euo pipefail
cd "$(dirname "$0")/../.."
tests=$(sed -n 's/^ISOLATION_TESTS = //p' sources.mk)
pgxs_dir=$(dirname "$("${PG_CONFIG:-/usr/lib/postgresql/15/bin/pg_config}" --pgxs)")/..
out=test/isolation/results
rm -rf "$out" && mkdir -p "$out"
"$pgxs_dir/test/isolation/pg_isolation_regress" \
    --host="${PGHOST:-/tmp/numaudit-pg}" --port="${PGPORT:-54329}" --user="${PGUSER:-postgres}" \
    --inputdir=test/isolation --outputdir="$out" --dbname=numaudit_isolation \
    $tests || {
    status=$?
    [ -f "$out/regression.diffs" ] && head -c 20000 "$out/regression.diffs"
    exit $status
}

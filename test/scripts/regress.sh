#!/usr/bin/env bash
# Runs the pg_regress suite (sql/, expected/) against the running cluster
# named by PGHOST/PGPORT/PGUSER, with numaudit installed.
set -euo pipefail
cd "$(dirname "$0")/../.."
make -s installcheck REGRESS_OPTS="--host=${PGHOST:-/tmp/numaudit-pg} --port=${PGPORT:-54329} --user=${PGUSER:-postgres}" || {
    status=$?
    [ -f regression.diffs ] && head -c 20000 regression.diffs
    exit $status
}

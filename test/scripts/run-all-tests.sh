#!/usr/bin/env bash
# Runs every numaudit test suite on a fresh Debian 12 machine (as root):
# installs what is missing, builds and installs the extension, starts a
# throwaway cluster, then runs under ctest the GoogleTest unit tests of the
# core, the pg_regress suite and the isolation specs.
set -euo pipefail
cd "$(dirname "$0")/../.."

bash test/scripts/setup.sh

build=${NUMAUDIT_BUILD_DIR:-build}
cmake -S . -B "$build" -DPG_CONFIG="${PG_CONFIG:-/usr/lib/postgresql/15/bin/pg_config}" >/dev/null
cmake --build "$build" -j"$(nproc)" >/dev/null

export NUMAUDIT_PGDIR=${NUMAUDIT_PGDIR:-/tmp/numaudit-pg-test}
export NUMAUDIT_PGPORT=${NUMAUDIT_PGPORT:-54330}
eval "$(test/scripts/cluster.sh start)"
trap 'test/scripts/cluster.sh stop' EXIT

ctest --test-dir "$build" --output-on-failure

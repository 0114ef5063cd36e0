#!/usr/bin/env bash
# Runs numaudit's test suites under ctest, on a fresh Debian 12 machine (as
# root): installs what is missing, builds and installs the extension with
# PGXS (setup.sh), builds the core and its unit tests with CMake, starts a
# throwaway cluster, then runs ctest and stops the cluster.
#   bash test/scripts/run-all-tests.sh           # the full suite (about 15 minutes)
#   bash test/scripts/run-all-tests.sh --quick   # the quick tier (ctest -L quick: tests 20-40 s, about 2 minutes with the build)
# The full suite is every test of CMakeLists.txt; [quick] marks the quick tier:
#   format          clang-format 14 check of src/ and test/unit/ (format-check.sh)  [quick]
#   unit tests      the GoogleTest tests of the pure core, one ctest test each     [quick]
#   regress         the pg_regress tests, make installcheck (installcheck.sh)      [quick]
#   isolation       the isolation specs, make installcheck (installcheck.sh)       [quick]
#   differential    300 random scenarios against the SQL oracle (test/differential) [quick]
#   incremental_diff  incremental audits against full audits, 20 scenarios of 10 rounds
#                   of random DML (test/differential/incremental.sh)              [quick]
#   upgrade         0.1.0 and 0.2.0 databases updated to 0.3.0 (test/upgrade)
#   notify          who hears NOTIFY numaudit, and when (test/notify, Python)
#   dump_restore    pg_dump / pg_restore round trip (test/dump; port 54393)
#   app_example     the application examples, psql and Python (test/app; port 54394)
#   soak            pgbench soak, 60 s with 4 clients (test/soak)
#   bench_smoke     the benchmark at 10,000 entries, every contender (test/bench; port 54370)
#   cron            pg_cron integration, audit and audit_all, about 4.5 minutes (test/cron; port 54380)
#   sharding        PL/Proxy sharding example: proxy and two shards, outage, moving a customer
#                   (examples/sharding/test.sh; ports 54395-54397)
#   faults          cancel, crash, memory, many failures, exception types (test/faults;
#                   ports 54343-54348)
#   unit_sanitized  the unit tests under ASan and UBSan (sanitize.sh, build-asan/)
#   valgrind        regress and isolation under valgrind memcheck (test/valgrind; port 54360)
# The first six, upgrade and notify use the cluster started here; soak starts
# a fresh one in its place (NUMAUDIT_PGDIR) and stops it.
# PG_CONFIG (default /usr/lib/postgresql/15/bin/pg_config) names the
# PostgreSQL that is built against, installed into and tested, and nothing
# else is; NUMAUDIT_BUILD_DIR (default build) the CMake build directory;
# NUMAUDIT_PGDIR and NUMAUDIT_PGPORT (default /tmp/numaudit-pg-test, 54330)
# the cluster. Any other argument is passed to ctest.
set -euo pipefail
cd "$(dirname "$0")/../.."

ctest_args=()
for arg in "$@"; do
    case "$arg" in
    --quick) ctest_args+=(-L quick) ;;
    *) ctest_args+=("$arg") ;;
    esac
done

export PG_CONFIG=${PG_CONFIG:-/usr/lib/postgresql/15/bin/pg_config}
bash test/scripts/setup.sh

build=${NUMAUDIT_BUILD_DIR:-build}
cmake -S . -B "$build" -DPG_CONFIG="$PG_CONFIG" >/dev/null
cmake --build "$build" -j"$(nproc)" >/dev/null

export NUMAUDIT_PGDIR=${NUMAUDIT_PGDIR:-/tmp/numaudit-pg-test}
export NUMAUDIT_PGPORT=${NUMAUDIT_PGPORT:-54330}
eval "$(test/scripts/cluster.sh start)"
trap 'test/scripts/cluster.sh stop' EXIT

ctest --test-dir "$build" --output-on-failure "${ctest_args[@]}"

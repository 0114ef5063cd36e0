#!/usr/bin/env bash
# Builds the pure core and its GoogleTest suite with AddressSanitizer (and
# LeakSanitizer) plus UndefinedBehaviorSanitizer, and runs it; any report
# fails the run.
set -euo pipefail
cd "$(dirname "$0")/../.."
build=${NUMAUDIT_ASAN_BUILD_DIR:-build-asan}
cmake -S . -B "$build" -DNUMAUDIT_SANITIZE=ON \
    -DPG_CONFIG="${PG_CONFIG:-/usr/lib/postgresql/15/bin/pg_config}" >/dev/null
cmake --build "$build" -j"$(nproc)" --target numaudit_unit_tests >/dev/null
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
"$build/numaudit_unit_tests" --gtest_brief=1

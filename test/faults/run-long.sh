#!/usr/bin/env bash
# The fault measurements at full size: cancel latency and crash recovery on a
# 1,000,000-entry flat customer over 1,000 sites (5 tries of each kind of
# cancel), memory exhaustion on 200,000 entries, 1,000 failing calls, and the
# exception catalogue. Takes a long while (tens of minutes); prints every
# figure and a summary of the key ones at the end. Output also goes to
# test/faults/results/run-long-<timestamp>.log.
#   bash test/faults/run-long.sh
set -uo pipefail
cd "$(dirname "$0")"
mkdir -p results
log=results/run-long-$(date +%Y%m%d-%H%M%S).log
n=${FAULT_N:-1000000}
tries=${FAULT_TRIES:-5}
{
    echo "numaudit fault measurements, $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"
    failed=()
    for t in "cancel:env FAULT_N=$n FAULT_TRIES=$tries FAULT_CANCEL_MAX=${FAULT_CANCEL_MAX:-1.0} bash ./cancel.sh" \
             "crash:env FAULT_N=$n bash ./crash.sh" \
             "oom:env FAULT_N=200000 FAULT_SITES=1000 bash ./oom.sh" \
             "failures:bash ./failures.sh" \
             "exceptions:bash ./exceptions.sh"; do
        name=${t%%:*}
        t0=$(date +%s)
        printf '\n===== %s\n' "$name"
        ${t#*:}
        rc=$?
        printf '===== %s: %s (%s s)\n' "$name" "$([ $rc = 0 ] && echo passed || echo FAILED)" "$(($(date +%s) - t0))"
        [ $rc = 0 ] || failed+=("$name")
    done
    echo
    [ ${#failed[@]} -eq 0 ] && echo "all passed" || echo "FAILED: ${failed[*]}"
    [ ${#failed[@]} -eq 0 ]
} 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}
echo "log: test/faults/$log"
exit "$rc"

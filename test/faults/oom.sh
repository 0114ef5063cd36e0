#!/usr/bin/env bash
# Fault test (c): memory exhaustion inside the C++ core.
#
# A small numaudit.max_memory makes the core's allocator (ContextResource)
# throw std::bad_alloc. On a flat customer of FAULT_N entries (default
# 50,000) over FAULT_SITES sites (default 100) it checks that this becomes a
# clean ERROR with SQLSTATE 53200 and numaudit's message, detail and hint,
# that it changes nothing (every node as before, no history row of run, no
# lock), and that the session stays usable (the next call, and finally a
# real audit, succeed in the same session). Limits tried: 1 MB, and just below
# the smallest limit a real run needs -- when that is above what a dry run
# needs, the real run fails after it began writing the inventory. Also
# CALL numaudit.audit with 1 MB: its run is marked failed in its first unit.
#   bash test/faults/oom.sh
source "$(dirname "$0")/lib.sh"

N=${FAULT_N:-50000}
SITES=${FAULT_SITES:-100}
CUST=FaultProv.FaultRes.Big

fault_start oom "${FAULT_PORT:-54345}"
fault_generate "$N" "$SITES"
log "[oom] $(q "SELECT fault_prepare('customer')")"

# Does a run (dry or real, rolled back) succeed with this limit?
fits() { # MB DRY(true|false)
    psql_ -qAt -v ON_ERROR_STOP=1 >/dev/null 2>&1 <<SQL
BEGIN;
SET LOCAL numaudit.max_memory = $1;
SELECT count(*) FROM numaudit.run('$CUST', 'customer', dry_run => $2);
ROLLBACK;
SQL
}
# Smallest limit in MB that suffices (doubling, then bisection).
threshold() { # DRY
    local lo=0 hi=1 mid
    until fits "$hi" "$1"; do
        lo=$hi
        hi=$((hi * 2))
        [ "$hi" -gt 65536 ] && { echo "none"; return; }
    done
    while [ $((hi - lo)) -gt 1 ]; do
        mid=$(((lo + hi) / 2))
        if fits "$mid" "$1"; then hi=$mid; else lo=$mid; fi
    done
    echo "$hi"
}
M_DRY=$(threshold true)
M_REAL=$(threshold false)
log "[oom] smallest numaudit.max_memory that suffices: dry run ${M_DRY} MB, real run ${M_REAL} MB"
[[ $M_REAL =~ ^[0-9]+$ ]] || { fail "no limit up to 64 GB lets the run succeed"; fault_finish; }
check "$M_REAL -gt 1" "the real run needs more than 1 MB (so 1 MB must fail)"

SQL_FILE=$FAULT_PGDIR/oom.sql
OUT=$FAULT_PGDIR/oom.out
# One session: the failing call, then in the same session its outcome, a
# next call, and (FINAL=1) a real audit.
oom_session() { # LIMIT_MB STATEMENT FINAL
    cat >"$SQL_FILE" <<SQL
\\set VERBOSITY verbose
SET numaudit.max_memory = $1;
$2
\\echo STATE :SQLSTATE
SELECT 'LOCKS ' || public.fault_locks();
RESET numaudit.max_memory;
SELECT 'NEXT ' || count(*) FROM numaudit.run('$CUST', 'site', ARRAY['S0001'], dry_run => true, nowait => true);
\\echo NEXTSTATE :SQLSTATE
SQL
    if [ "$3" = 1 ]; then
        cat >>"$SQL_FILE" <<SQL
SELECT 'REAL ' || count(*) FILTER (WHERE action IN ('added', 'updated')) FROM numaudit.run('$CUST', 'customer');
\\echo REALSTATE :SQLSTATE
SELECT 'AGAIN ' || count(*) FILTER (WHERE action IN ('added', 'updated')) FROM numaudit.run('$CUST', 'customer');
SQL
    fi
    psql_ -qAt -f "$SQL_FILE" >"$OUT" 2>&1
}

check_oom_error() { # LABEL
    local state
    state=$(field "$OUT" STATE)
    [ "$state" = 53200 ] || { fail "$1: SQLSTATE '$state', expected 53200"; sed 's/^/    /' "$OUT"; }
    # The message states the limit in force (0.3.0).
    grep -q 'ERROR:  53200: numaudit: out of memory: the audit needs more than numaudit.max_memory = [0-9]*MB$' "$OUT" ||
        fail "$1: message is not 'numaudit: out of memory: the audit needs more than numaudit.max_memory = ...'"
    grep -q 'DETAIL:  It changed nothing.' "$OUT" || fail "$1: no DETAIL"
    grep -q "HINT:  Raise numaudit.max_memory (SET numaudit.max_memory = '2GB'), or audit fewer sites at a time." "$OUT" || fail "$1: no HINT"
    [ "$(field "$OUT" LOCKS)" = 0 ] || fail "$1: numaudit locks left: $(field "$OUT" LOCKS)"
    [ "$(field "$OUT" NEXTSTATE)" = 00000 ] || fail "$1: the next call in the session failed"
}

RUNS0=$(q "SELECT count(*) FROM numaudit.audit_run")
limits=(1)
[ "$M_REAL" -gt 2 ] && limits+=($((M_REAL / 2)))
[ "$((M_REAL - 1))" -gt 1 ] && limits+=($((M_REAL - 1)))
for L in "${limits[@]}"; do
    phase="reading/planning"
    [ "$M_DRY" != none ] && [ "$L" -ge "$M_DRY" ] && phase="writing (a dry run fits in $L MB)"
    label="run, max_memory ${L} MB"
    oom_session "$L" "SELECT count(*) FROM numaudit.run('$CUST', 'customer');" 0
    check_oom_error "$label"
    counts=$(q "SELECT fault_state_counts()")
    runs=$(( $(q "SELECT count(*) FROM numaudit.audit_run") - RUNS0 ))
    [[ $counts == *"after=0 both="*" neither=0" ]] || fail "$label: inventory changed: $counts"
    [ "$runs" = 0 ] || fail "$label: $runs audit_run row(s) left"
    log "  $label: SQLSTATE $(field "$OUT" STATE), fails while $phase; nodes $counts; history rows $runs; locks $(field "$OUT" LOCKS); next call ok"
done
grep -E 'ERROR|DETAIL|HINT' "$OUT" | sed -E 's/^psql:[^ ]+ //; s/^/    /'

label="dry run, max_memory 1 MB"
oom_session 1 "SELECT count(*) FROM numaudit.run('$CUST', 'customer', dry_run => true);" 0
check_oom_error "$label"
log "  $label: SQLSTATE $(field "$OUT" STATE)"

# The procedure: fails in its first unit (which plans the whole run of this
# flat customer, before any site) and records it.
label="CALL numaudit.audit site scope, max_memory 1 MB"
oom_session 1 "CALL numaudit.audit('$CUST', 'site');" 0
check_oom_error "$label"
run=$(q "SELECT concat_ws('|', status, sites_done, coalesce(current_site, '-'), error)
           FROM numaudit.audit_run WHERE entry_point = 'audit' ORDER BY id DESC LIMIT 1")
[ "$run" = "failed|0|-|numaudit: out of memory: the audit needs more than numaudit.max_memory = 1MB (SQLSTATE 53200)" ] ||
    fail "$label: audit_run row is '$run'"
counts=$(q "SELECT fault_state_counts()")
[[ $counts == *"after=0 both="*" neither=0" ]] || fail "$label: inventory changed: $counts"
log "  $label: SQLSTATE $(field "$OUT" STATE); audit_run '$run'; nodes $counts"

# Finally, in the session of a failure, a real audit succeeds and converges.
label="real audit in the session of a 53200"
oom_session 1 "SELECT count(*) FROM numaudit.run('$CUST', 'customer');" 1
check_oom_error "$label"
[ "$(field "$OUT" REALSTATE)" = 00000 ] || fail "$label: the real audit failed: $(cat "$OUT")"
[ "$(field "$OUT" AGAIN)" = 0 ] || fail "$label: a second audit still changed $(field "$OUT" AGAIN) rows"
counts=$(q "SELECT fault_state_counts()")
[[ $counts == "before=0 after="*" neither=0" ]] || fail "$label: not converged: $counts"
log "  $label: changed $(field "$OUT" REAL) rows, then $(field "$OUT" AGAIN); nodes $counts"
fault_finish

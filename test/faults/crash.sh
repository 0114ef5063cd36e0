#!/usr/bin/env bash
# Fault test (b): the server dies in the middle of a large audit.
#
# On a flat customer of FAULT_N entries (default 200,000) over FAULT_SITES
# sites (default 1,000):
#   run-kill-read     kill -9 of the backend running numaudit.run (scope
#                     customer) while it reads and plans (half a dry run's time)
#   run-kill-write    kill -9 of that backend once it has started writing the
#                     inventory (it holds RowExclusiveLock on numaudit.number)
#   run-immediate     pg_ctl stop -m immediate once numaudit.run writes
#   proc-kill-write   kill -9 of the backend running CALL numaudit.audit
#                     (scope site) once 2+ sites are committed and it writes
#                     the next one
#   proc-immediate    pg_ctl stop -m immediate once CALL numaudit.audit has
#                     committed 3+ sites, part-way through the next
# After crash recovery (or restart) it checks: every node wholly before or
# wholly after the audit (per a dry run computed before), for run nothing at
# all (one transaction), for the procedure exactly the first sites_done sites
# of its audit_run row; no numaudit advisory lock; the next audit succeeds
# and converges (a second run adds and updates nothing). It reports what the
# interrupted procedure's audit_run row says, and the recovery time.
#   bash test/faults/crash.sh        (as root: it kills a postgres process)
source "$(dirname "$0")/lib.sh"

N=${FAULT_N:-200000}
SITES=${FAULT_SITES:-1000}
CUST=FaultProv.FaultRes.Big

fault_start crash "${FAULT_PORT:-54344}"
fault_generate "$N" "$SITES"

fault_measure_durations "$CUST"
log "[crash] customer scope: dry run ${D_DRY} s, full run ${D_RUN} s; one site of CALL numaudit.audit: ${D_STEP} s"

SESSION_OUT=$FAULT_PGDIR/session.out
declare -a OUTCOMES=()

start_audit() { # STATEMENT
    printf "SET application_name = 'fault_audit';\n%s\n" "$1" >"$FAULT_PGDIR/session.sql"
    psql_ -qAt -f "$FAULT_PGDIR/session.sql" >"$SESSION_OUT" 2>&1 &
    BG=$!
}


wait_sites_done() { # K
    local i ndone
    for i in $(seq 1 3000); do
        ndone=$(q "SELECT sites_done FROM numaudit.audit_run WHERE status = 'running' ORDER BY id DESC LIMIT 1")
        [ -n "$ndone" ] && [ "$ndone" -ge "$1" ] && return 0
        sleep 0.02
    done
    return 1
}

# kill -9 PID or stop -m immediate; then waits for the server; prints what
# happened.
crash() { # kill PID | immediate
    local t0 t1 how
    if [ "$1" = kill ]; then
        kill -9 "$2"
        t0=$(now)
        wait "$BG" 2>/dev/null
        fault_wait_ready || fail "server not back after kill -9"
        t1=$(now)
        how="kill -9 of backend $2; server accepting connections again after $(calc "$t1 - $t0") s (crash recovery)"
    else
        fault_pg_stop_immediate
        wait "$BG" 2>/dev/null
        t0=$(now)
        fault_pg_start || fail "server does not start after immediate stop"
        fault_wait_ready || fail "server not ready after restart"
        t1=$(now)
        how="pg_ctl stop -m immediate; restart with recovery took $(calc "$t1 - $t0") s"
    fi
    log "    $how"
    log "    audit session said: $(grep -v '^SET$' "$SESSION_OUT" | tr '\n' ' ' | head -c 300)"
}

# The next audit converges: FIRST (must succeed), then SECOND (must add and
# update nothing); every node is then as the dry run said.
converge() { # LABEL SCOPE
    local first second counts
    first=$(q "SELECT count(*) FILTER (WHERE action = 'added') || ' added, '
                   || count(*) FILTER (WHERE action = 'updated') || ' updated'
              FROM numaudit.run('$CUST', '$2')" 2>&1) || { fail "$1: next audit failed: $first"; return; }
    second=$(q "SELECT count(*) FROM numaudit.run('$CUST', '$2') WHERE action IN ('added', 'updated')" 2>&1)
    counts=$(q "SELECT fault_state_counts()")
    [ "$second" = 0 ] || fail "$1: a second run still added/updated $second row(s)"
    [[ $counts == "before=0 after="*" neither=0" ]] || fail "$1: not converged: $counts"
    log "    next audit numaudit.run('$2'): $first; second run: $second added/updated; nodes $counts"
}

restore() {
    q "SELECT fault_restore()" >/dev/null
    local c
    c=$(q "SELECT fault_state_counts()")
    [[ $c == *"after=0 both="*" neither=0" ]] || fail "restore failed: $c"
}

# --- numaudit.run, scope customer -------------------------------------------
log "[crash] $(q "SELECT fault_prepare('customer')")"
run_scenario() { # NAME HOW(kill|immediate) WHEN(read|write)
    local name=$1 pid counts runs runs0 locks
    log "  $name:"
    runs0=$(q "SELECT count(*) FROM numaudit.audit_run WHERE entry_point = 'run'")
    start_audit "SELECT count(*) FROM numaudit.run('$CUST', 'customer');"
    pid=$(wait_backend fault_audit '%numaudit.run(%') || { fail "$name: audit did not start"; return; }
    if [ "$3" = read ]; then
        sleep "$(calc "$D_DRY * 0.5")"
        [ "$(q "SELECT count(*) FROM pg_locks WHERE pid = $pid AND relation = 'numaudit.number'::regclass
                   AND mode = 'RowExclusiveLock'")" = 0 ] || log "    (it was already writing)"
    else
        wait_writing "$pid" "$BG" || { fail "$name: never saw the audit write"; wait "$BG"; return; }
    fi
    crash "$2" "$pid"
    counts=$(q "SELECT fault_state_counts()")
    runs=$(q "SELECT count(*) FROM numaudit.audit_run WHERE entry_point = 'run'")
    locks=$(q "SELECT fault_locks()")
    [[ $counts == *"after=0 both="*" neither=0" ]] || fail "$name: inventory not as before: $counts"
    runs=$((runs - runs0))
    [ "$runs" = 0 ] || fail "$name: $runs audit_run row(s) of the killed run survived"
    [ "$locks" = 0 ] || fail "$name: $locks numaudit lock(s)"
    log "    after recovery: nodes $counts, new audit_run rows: $runs, locks: $locks"
    OUTCOMES+=("$name: nodes $counts; run rows $runs; locks $locks")
    converge "$name" customer
    restore
}
run_scenario run-kill-read kill read
run_scenario run-kill-write kill write
run_scenario run-immediate immediate write

# --- CALL numaudit.audit, scope site -----------------------------------------
log "[crash] $(q "SELECT fault_prepare('site')")"
proc_scenario() { # NAME HOW K
    local name=$1 pid run id status ndone cur err counts bad locks later
    log "  $name:"
    start_audit "CALL numaudit.audit('$CUST', 'site');"
    pid=$(wait_backend fault_audit 'CALL numaudit.audit%') || { fail "$name: audit did not start"; return; }
    wait_sites_done "$3" || { fail "$name: the audit did not reach $3 sites"; return; }
    if [ "$2" = kill ]; then
        wait_writing "$pid" "$BG" || { fail "$name: never saw the audit write"; wait "$BG"; return; }
    else
        sleep "$(calc "$D_STEP * 0.4")"
    fi
    crash "$2" "$pid"
    run=$(q "SELECT concat_ws('|', id, status, sites_done, current_site, error)
               FROM numaudit.audit_run ORDER BY id DESC LIMIT 1")
    IFS='|' read -r id status ndone cur err <<<"$run"
    counts=$(q "SELECT fault_state_counts()")
    locks=$(q "SELECT fault_locks()")
    [[ $counts == "before=$((SITES - ndone)) after=$ndone both=1 neither=0" ]] ||
        fail "$name: sites not wholly before/after, or not as many after as sites_done=$ndone: $counts"
    bad=$(q "SELECT count(*) FROM (SELECT state, row_number() OVER (ORDER BY name) AS rn
                                     FROM fault_states() WHERE name <> 'Big') s
              WHERE (rn <= $ndone) <> (state = 'after')")
    [ "$bad" = 0 ] || fail "$name: $bad site(s) after/before out of order"
    [ "$locks" = 0 ] || fail "$name: $locks numaudit lock(s)"
    log "    after recovery: nodes $counts (sites_done $ndone), locks $locks"
    log "    its audit_run row: id $id, status '$status', current_site $cur, error '${err}'"
    # A new CALL (a few sites, done and not done) works; what does the old row say then?
    local call
    call=$(psql_ -qAt -v ON_ERROR_STOP=1 -c "CALL numaudit.audit('$CUST', 'site', ARRAY['S0001', 'S$(printf '%04d' $((ndone + 1)))'])" 2>&1) ||
        fail "$name: a new CALL numaudit.audit failed: $call"
    later=$(q "SELECT concat_ws('|', status, error) FROM numaudit.audit_run WHERE id = $id")
    log "    a new CALL numaudit.audit: $(echo "$call" | sed 's/^NOTICE:  //' | tr '\n' ' ')"
    log "    the interrupted row after that new CALL: '$later'"
    [[ $later == failed\|* ]] || fail "$name: the interrupted run is still '$later' after the next CALL (stale-run detection)"
    OUTCOMES+=("$name: nodes $counts (sites_done $ndone); locks $locks; its audit_run row '$status' right after recovery, '$later' after the next CALL")
    converge "$name" site
    restore
}
proc_scenario proc-kill-write kill 2
proc_scenario proc-immediate immediate 3

log ""
log "[crash] outcomes ($N entries, $SITES sites):"
for o in "${OUTCOMES[@]}"; do log "  $o"; done
log "[crash] server log, crash and recovery lines:"
grep -E 'terminated by signal|was interrupted|redo (starts|done)|database system is ready|not properly shut down|automatic recovery' \
    "$FAULT_PGDIR/server.log" | sed 's/^/  /' | tail -n 30
fault_finish

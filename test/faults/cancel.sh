#!/usr/bin/env bash
# Fault test (a): cancelling a large audit.
#
# On a flat customer of FAULT_N entries (default 200,000) over FAULT_SITES
# sites (default 1,000), cancels audits part-way, FAULT_TRIES times each:
#   run-cancel     SELECT numaudit.run(customer scope), pg_cancel_backend
#   run-timeout    the same, stopped by statement_timeout
#   (and once more, run-cancel as soon as the run has begun writing)
#   proc-cancel    CALL numaudit.audit(site scope, all sites), pg_cancel_backend
#                  while it works on its 2nd..4th site
#   proc-timeout   the same, stopped by statement_timeout
# and measures the cancel latency: from pg_cancel_backend (or the moment the
# timeout is due) to the error coming back to the audit's session, as seen
# by that session's next statement. Prints min/median/max per kind and fails
# when the largest exceeds FAULT_CANCEL_MAX seconds (default 1.0).
#
# After each cancel it checks, in the audit's own session: SQLSTATE 57014,
# no numaudit advisory lock held by anyone, and that the next call works.
# Then: for run, nothing partial (every node exactly as before, no audit_run
# row); for the procedure, each site wholly before or wholly after (per a dry
# run computed beforehand), the sites after are exactly the first sites_done
# in the procedure's order, and its audit_run row says failed, with the site
# it was working on and SQLSTATE 57014 -- also when cancelled between two
# sites (held there by a slow trigger on audit_run).
#   bash test/faults/cancel.sh        (as root or as postgres)
source "$(dirname "$0")/lib.sh"

N=${FAULT_N:-200000}
SITES=${FAULT_SITES:-1000}
TRIES=${FAULT_TRIES:-3}
MAX_LATENCY=${FAULT_CANCEL_MAX:-1.0}
CUST=FaultProv.FaultRes.Big

fault_start cancel "${FAULT_PORT:-54343}"
fault_generate "$N" "$SITES"

fault_measure_durations "$CUST"
log "[cancel] customer scope: dry run ${D_DRY} s, full run ${D_RUN} s (so writing takes ~$(calc "$D_RUN - $D_DRY") s); CALL numaudit.audit: first unit (plans every site) ~${D_PLAN} s, then ${D_STEP} s per site"
log "[cancel] $(q "SELECT fault_prepare('site')")"

declare -a LAT_RUN_CANCEL=() LAT_RUN_TIMEOUT=() LAT_PROC_CANCEL=() LAT_PROC_TIMEOUT=()
TRY_SQL=$FAULT_PGDIR/try.sql
TRY_OUT=$FAULT_PGDIR/try.out

# The audit's session: the audit, then (same session) its SQLSTATE, the time
# the error came back, locks, the last history row and a next call.
write_session() { # STATEMENT TIMEOUT_MS(0 = none)
    {
        echo "SET application_name = 'fault_audit';"
        [ "$2" != 0 ] && echo "SET statement_timeout = $2;"
        cat <<SQL
SELECT 'PID ' || pg_backend_pid();
SELECT 'T0 ' || extract(epoch FROM clock_timestamp());
$1
\\echo STATE :SQLSTATE
SELECT 'T1 ' || extract(epoch FROM clock_timestamp());
RESET statement_timeout;
SELECT 'LOCKS ' || public.fault_locks();
SELECT 'RUN ' || concat_ws('|', id, entry_point, status, sites_done, coalesce(current_site, '-'), error)
  FROM numaudit.audit_run ORDER BY id DESC LIMIT 1;
SELECT 'NEXT ' || count(*) FROM numaudit.run('$CUST', 'site', ARRAY['S0001'], dry_run => true, nowait => true);
\\echo NEXTSTATE :SQLSTATE
SQL
    } >"$TRY_SQL"
}

# Sends pg_cancel_backend; sets TDUE (the server time right after it) and
# PHASE (writing: the audit already holds RowExclusiveLock on the inventory).
cancel_now() { # PID
    local r
    r=$(q "SELECT CASE WHEN EXISTS (SELECT FROM pg_locks l WHERE l.pid = $1 AND l.locktype = 'relation'
                                       AND l.relation = 'numaudit.number'::regclass
                                       AND l.mode = 'RowExclusiveLock')
                       THEN 'writing' ELSE 'reading/planning' END
                  || '|' || pg_cancel_backend($1) || '|' || extract(epoch FROM clock_timestamp())")
    PHASE=${r%%|*}
    TDUE=${r##*|}
}

# Common checks of one try; sets TRY_STATE and TRY_LAT (the latency, or
# MISSED when the audit finished before the cancel).
finish_try() { # LABEL T_DUE(server epoch, or empty to use T0 + TIMEOUT_S) TIMEOUT_S
    local label=$1 tdue=$2 t0 t1
    TRY_STATE=$(field "$TRY_OUT" STATE)
    t0=$(field "$TRY_OUT" T0)
    t1=$(field "$TRY_OUT" T1)
    [ -z "$tdue" ] && tdue=$(calc "$t0 + $3" %.6f)
    if [ "$TRY_STATE" = 00000 ]; then
        # Finished: fine if it ended before the cancel was due (or so soon
        # after that nothing could stop it); a statement that ran on for more
        # than MAX_LATENCY past the cancel and succeeded lost the cancel.
        if [ "$(calc "$t1 - $tdue > $MAX_LATENCY" %d)" = 1 ]; then
            fail "$label: the cancel was lost: due at $tdue, the statement still ran until $t1 and succeeded"
        else
            log "        $label: the audit finished before the cancel took effect (T1 - due = $(calc "$t1 - $tdue")s; missed)"
        fi
        TRY_LAT=MISSED
        return
    fi
    [ "$TRY_STATE" = 57014 ] || { fail "$label: SQLSTATE $TRY_STATE, expected 57014"; cat "$TRY_OUT" >&2; }
    grep -q 'ERROR:  canceling statement due to' "$TRY_OUT" || fail "$label: no cancel error in $(head -c 600 "$TRY_OUT")"
    [ "$(field "$TRY_OUT" LOCKS)" = 0 ] || fail "$label: numaudit advisory locks left: $(field "$TRY_OUT" LOCKS)"
    [ "$(field "$TRY_OUT" NEXTSTATE)" = 00000 ] && [ -n "$(field "$TRY_OUT" NEXT)" ] ||
        fail "$label: the next call in the same session failed: $(grep -A2 NEXT "$TRY_OUT" | head -c 400)"
    TRY_LAT=$(calc "$t1 - $tdue")
    # When the server logged the error (after numaudit's C++ frames were
    # unwound, before the transaction was aborted): splits the latency.
    local logged te
    logged=$(grep -E "\[$(field "$TRY_OUT" PID)\] ERROR:  canceling statement" "$FAULT_PGDIR/server.log" |
        tail -n 1 | cut -c1-27)
    TRY_SPLIT=""
    if [ -n "$logged" ] && te=$(date -d "$logged" +%s.%N 2>/dev/null); then
        TRY_SPLIT=" (error raised and logged after $(calc "$te - $tdue")s, back in the session $(calc "$t1 - $te")s later)"
    fi
}

# --- numaudit.run, scope customer: one transaction, nothing may stay --------
try_run() { # METHOD(cancel|timeout|cancel-writing) DELAY(s) WHAT
    local method=$1 delay=$2 ms=0 pid qstart tdue="" lat counts runs runs0 label
    runs0=$(q "SELECT count(*) FROM numaudit.audit_run WHERE entry_point = 'run'")
    [ "$method" = timeout ] && ms=$(calc "$delay * 1000" %.0f)
    label="run-$method after ${delay}s ($3)"
    write_session "SELECT 'ROWS ' || count(*) FROM numaudit.run('$CUST', 'customer');" "$ms"
    psql_ -qAt -f "$TRY_SQL" >"$TRY_OUT" 2>&1 &
    local bg=$!
    if [ "$method" = cancel-writing ]; then
        pid=$(wait_backend fault_audit '%numaudit.run(%customer%') || { fail "$label: audit never started"; wait $bg; return; }
        wait_writing "$pid" "$bg" || { fail "$label: never saw the audit write"; wait $bg; return; }
        cancel_now "$pid"
        tdue=$TDUE
        label="$label [$PHASE]"
    elif [ "$method" = cancel ]; then
        pid=$(wait_backend fault_audit '%numaudit.run(%customer%') || { fail "$label: audit never started"; wait $bg; return; }
        qstart=$(q "SELECT extract(epoch FROM query_start) FROM pg_stat_activity WHERE pid = $pid")
        sleep "$(calc "$qstart + $delay - $(now)" %.3f | sed 's/^-.*/0/')"
        cancel_now "$pid"
        tdue=$TDUE
        label="$label [$PHASE]"
    fi
    wait $bg
    finish_try "$label" "$tdue" "$(calc "$ms / 1000")"
    lat=$TRY_LAT
    if [ "$lat" = MISSED ]; then
        q "SELECT fault_restore()" >/dev/null
        return 1
    fi
    counts=$(q "SELECT fault_state_counts()")
    runs=$(($(q "SELECT count(*) FROM numaudit.audit_run WHERE entry_point = 'run'") - runs0))
    [[ $counts == *"after=0 "*"neither=0" ]] || fail "$label: inventory changed: $counts"
    [ "$runs" = 0 ] || fail "$label: $runs audit_run row(s) of run left"
    log "  $label: latency ${lat}s$TRY_SPLIT, SQLSTATE $TRY_STATE, nodes $counts, locks $(field "$TRY_OUT" LOCKS), next call ok"
    if [ "$method" = timeout ]; then LAT_RUN_TIMEOUT+=("$lat"); else LAT_RUN_CANCEL+=("$lat"); fi
}

# --- CALL numaudit.audit, scope site: committed per site --------------------
try_proc() { # METHOD K(sites to let finish) FRACTION(of the next site)
    local method=$1 k=$2 frac=$3 ms=0 pid tdue="" lat label run id status ndone cur err want_site bad
    label="proc-$method after $k site(s) + $(calc "$frac * 100" %.0f)%"
    # A timeout lands in the first unit (K = 0: at FRACTION of its planning)
    # or in the site after the first K.
    if [ "$method" = timeout ]; then
        if [ "$k" = 0 ]; then
            ms=$(calc "$frac * $D_PLAN * 1000" %.0f)
            label="proc-timeout $(calc "$frac * 100" %.0f)% into planning the run"
        else
            ms=$(calc "($D_PLAN + ($k + $frac) * $D_STEP) * 1000 + 50" %.0f)
        fi
    fi
    write_session "CALL numaudit.audit('$CUST', 'site');" "$ms"
    psql_ -qAt -f "$TRY_SQL" >"$TRY_OUT" 2>&1 &
    local bg=$!
    if [ "$method" = cancel ]; then
        pid=$(wait_backend fault_audit 'CALL numaudit.audit%') || { fail "$label: audit never started"; wait $bg; return; }
        local i
        for i in $(seq 1 3000); do
            ndone=$(q "SELECT sites_done FROM numaudit.audit_run WHERE status = 'running' ORDER BY id DESC LIMIT 1")
            [ -n "$ndone" ] && [ "$ndone" -ge "$k" ] && break
            sleep 0.02
        done
        sleep "$(calc "$frac * $D_STEP")"
        cancel_now "$pid"
        tdue=$TDUE
        label="$label [$PHASE]"
    fi
    wait $bg
    finish_try "$label" "$tdue" "$(calc "$ms / 1000")"
    lat=$TRY_LAT
    if [ "$lat" = MISSED ]; then
        fail "$label: the whole procedure finished before the cancel"
        q "SELECT fault_restore()" >/dev/null
        return
    fi
    run=$(field "$TRY_OUT" RUN)
    IFS='|' read -r id _ status ndone cur err <<<"$run"
    [ "$status" = failed ] || fail "$label: audit_run $id is '$status', expected failed: $run"
    if [ "$cur" = - ]; then
        # In the first unit, before any site: no site named, nothing written.
        [ "$ndone" = 0 ] || fail "$label: failed outside a site after $ndone site(s)"
        [[ $err =~ ^canceling\ statement\ due\ to\ (user\ request|statement\ timeout)\ \(SQLSTATE\ 57014\)$ ]] ||
            fail "$label: audit_run.error is '$err', expected 'canceling statement due to ... (SQLSTATE 57014)'"
        cur="(planning)"
    else
        want_site="S$(printf '%04d' $((ndone + 1)))"
        [[ $err =~ ^site\ $want_site:\ canceling\ statement\ due\ to\ (user\ request|statement\ timeout)\ \(SQLSTATE\ 57014\)$ ]] ||
            fail "$label: audit_run.error is '$err', expected 'site $want_site: canceling statement due to ... (SQLSTATE 57014)'"
        [ "$cur" = "$want_site" ] || fail "$label: audit_run.current_site '$cur', expected $want_site"
    fi
    local counts
    counts=$(q "SELECT fault_state_counts()")
    [[ $counts == "before=$((SITES - ndone)) after=$ndone both=1 neither=0" ]] ||
        fail "$label: sites not wholly before/after, or not as many after as sites_done=$ndone: $counts"
    # The sites after are exactly the first `done` sites in the procedure's order (by name).
    bad=$(q "SELECT count(*) FROM (SELECT state, row_number() OVER (ORDER BY name) AS rn
                                     FROM fault_states() WHERE name <> 'Big') s
              WHERE (rn <= $ndone) <> (state = 'after')")
    [ "$bad" = 0 ] || fail "$label: $bad site(s) out of order (after vs sites_done)"
    log "  $label: latency ${lat}s$TRY_SPLIT, SQLSTATE $TRY_STATE, run $id $status at $cur (sites_done $ndone), nodes $counts, locks $(field "$TRY_OUT" LOCKS), next call ok"
    log "        error: $err"
    if [ "$method" = cancel ]; then LAT_PROC_CANCEL+=("$lat"); else LAT_PROC_TIMEOUT+=("$lat"); fi
    q "SELECT fault_restore()" >/dev/null
    [ "$(q "SELECT fault_state_counts()")" = "before=$SITES after=0 both=1 neither=0" ] || fail "restore failed"
}

# Cancel points alternate between reading/planning (a fraction of the dry
# run's time) and writing (a fraction of the rest of the run).
FRACS=(0.5 0.3 0.8 0.6 0.2 0.9 0.65 0.45 0.35 0.75)
log "[cancel] numaudit.run('$CUST', 'customer') cancelled part-way, $TRIES tries each"
for ((t = 0; t < TRIES; t++)); do
    f=${FRACS[$((t % ${#FRACS[@]}))]}
    if ((t % 2 == 0)); then
        d=$(calc "$D_DRY * $f")
        what="$(calc "$f * 100" %.0f)% into reading/planning"
    else
        d=$(calc "$D_DRY + $f * ($D_RUN - $D_DRY)")
        what="$(calc "$f * 100" %.0f)% into writing"
    fi
    try_run cancel "$d" "$what" || try_run cancel "$(calc "$d / 2")" "$what, again at half" ||
        fail "run-cancel: missed twice"
    try_run timeout "$d" "$what" || try_run timeout "$(calc "$d / 2")" "$what, again at half" ||
        fail "run-timeout: missed twice"
done
# And once as soon as it has begun writing the inventory.
try_run cancel-writing 0 "as soon as it writes" || fail "run-cancel once it writes: missed"
log "[cancel] CALL numaudit.audit('$CUST', 'site') cancelled part-way, $TRIES tries each"
for ((t = 0; t < TRIES; t++)); do
    f=${FRACS[$((t % ${#FRACS[@]}))]}
    try_proc cancel $((1 + t % 3)) "$f"
    try_proc timeout $((t % 3)) "$f"
done

# --- CALL numaudit.audit cancelled between two sites ------------------------
# A DBA's trigger on numaudit.audit_run that takes its time when the
# procedure marks site S0003 as current holds it in _audit_mark, at the end
# of S0002's transaction: cancelled there, the run must still end up failed,
# with SQLSTATE 57014, and S0002 rolled back.
try_between() {
    local label="proc-cancel between sites (in _audit_mark)" pid run id status ndone cur err counts i
    q "CREATE FUNCTION public.fault_slow_mark() RETURNS trigger LANGUAGE plpgsql AS \$\$
       BEGIN
           IF NEW.current_site IS DISTINCT FROM OLD.current_site AND NEW.current_site = 'S0003' THEN
               PERFORM pg_sleep(30);
           END IF;
           RETURN NEW;
       END \$\$;
       CREATE TRIGGER fault_slow_mark BEFORE UPDATE ON numaudit.audit_run
           FOR EACH ROW EXECUTE FUNCTION public.fault_slow_mark()" >/dev/null
    write_session "CALL numaudit.audit('$CUST', 'site');" 0
    psql_ -qAt -f "$TRY_SQL" >"$TRY_OUT" 2>&1 &
    local bg=$!
    pid=$(wait_backend fault_audit 'CALL numaudit.audit%') || { fail "$label: audit never started"; wait $bg; return; }
    for i in $(seq 1 3000); do
        [ "$(q "SELECT count(*) FROM pg_stat_activity WHERE pid = $pid AND wait_event = 'PgSleep'")" = 1 ] && break
        sleep 0.05
    done
    cancel_now "$pid"
    wait $bg
    finish_try "$label" "$TDUE" 0
    run=$(field "$TRY_OUT" RUN)
    IFS='|' read -r id _ status ndone cur err <<<"$run"
    counts=$(q "SELECT fault_state_counts()")
    # S0003 is marked in S0002's transaction (one commit per site): a cancel
    # there rolls S0002 back too, and the run fails at S0002.
    [[ $counts == "before=$((SITES - 1)) after=1 both=1 neither=0" ]] ||
        fail "$label: expected S0001 after and every other site before: $counts"
    [[ $err == "site S0002: "* ]] || fail "$label: error '$err' does not name S0002"
    log "  $label: latency ${TRY_LAT}s, SQLSTATE $TRY_STATE, nodes $counts, locks $(field "$TRY_OUT" LOCKS)"
    log "        its audit_run row: status '$status', sites_done $ndone, current_site '$cur', error '$err'"
    [ "$status" = failed ] && [[ $err == *"canceling statement due to user request (SQLSTATE 57014)" ]] ||
        fail "$label: the run's audit_run row is '$status' with error '$err' (session alive and idle), expected failed with SQLSTATE 57014"
    q "DROP TRIGGER fault_slow_mark ON numaudit.audit_run" >/dev/null
    q "SELECT fault_restore()" >/dev/null
}
try_between

log ""
log "[cancel] cancel latency (s), $N entries, $SITES sites (goal <= $MAX_LATENCY s):"
log "  run  + pg_cancel_backend : $(stats "${LAT_RUN_CANCEL[@]}")"
log "  run  + statement_timeout : $(stats "${LAT_RUN_TIMEOUT[@]}")"
log "  CALL + pg_cancel_backend : $(stats "${LAT_PROC_CANCEL[@]}")"
log "  CALL + statement_timeout : $(stats "${LAT_PROC_TIMEOUT[@]}")"
all=("${LAT_RUN_CANCEL[@]}" "${LAT_RUN_TIMEOUT[@]}" "${LAT_PROC_CANCEL[@]}" "${LAT_PROC_TIMEOUT[@]}")
[ ${#all[@]} -gt 0 ] || fail "no latency measured"
worst=$(max_of "${all[@]}")
if [ "$(calc "$worst <= $MAX_LATENCY" %d)" = 1 ]; then
    pass "largest cancel latency ${worst}s <= ${MAX_LATENCY}s"
else
    fail "largest cancel latency ${worst}s exceeds the goal of ${MAX_LATENCY}s ($(printf '%s\n' "${all[@]}" |
        awk -v m="$MAX_LATENCY" '$1 > m' | wc -l) of ${#all[@]} cancels above it)"
fi
check "\$(q 'SELECT public.fault_locks()') == 0" "no numaudit advisory lock held at the end"
fault_finish

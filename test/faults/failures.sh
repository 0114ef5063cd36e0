#!/usr/bin/env bash
# Fault test (d): many failing calls in one session do not grow its memory.
#
# One session makes FAULT_CALLS (default 1,000) failing calls, cycling
# through twelve kinds: bad input (22023 x3, 42704 x2, 42809 x2), nowait
# against the locks of another session that holds an audit of site S0001 open
# (55P03 x2), numaudit.max_memory = 1 MB (53200, run), and the procedure
# (CALL numaudit.audit with bad input: 22023; with 1 MB: 53200). After a
# warm-up round of the same calls it measures the backend's memory --
# VmRSS, RssAnon (private memory), RssShmem from /proc/<pid>/status, and the
# total of pg_backend_memory_contexts -- before and after, prints both, and
# fails when RssAnon, VmRSS or the contexts grew by more than
# FAULT_MEM_BOUND_KB (default 5120 KB), or when any call did not fail with
# its expected SQLSTATE.
#   bash test/faults/failures.sh        (reads /proc of the server: same host)
source "$(dirname "$0")/lib.sh"

N=${FAULT_N:-20000}
SITES=${FAULT_SITES:-100}
CALLS=${FAULT_CALLS:-1000}
WARMUP=${FAULT_WARMUP:-120}
BOUND_KB=${FAULT_MEM_BOUND_KB:-5120}
CUST=FaultProv.FaultRes.Big

fault_start failures "${FAULT_PORT:-54346}"
fault_generate "$N" "$SITES"

# The other session: an audit of S0001 held open (customer lock shared, site
# S0001 exclusive) until this test ends.
"$PG_BINDIR/psql" -X -qAt >/dev/null 2>&1 <<SQL &
SET application_name = 'fault_holder';
BEGIN;
SELECT count(*) FROM numaudit.run('$CUST', 'site', ARRAY['S0001'], dry_run => true);
SELECT pg_sleep(3600);
SQL
HOLDER=$!
for i in $(seq 1 300); do
    [ "$(q "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'fault_holder'
              AND query LIKE '%pg_sleep%'")" = 1 ] && break
    sleep 0.1
done
HOLDER_LOCKS=$(q "SELECT string_agg(objsubid || ':' || mode, ', ' ORDER BY objsubid) FROM pg_locks
                   WHERE locktype = 'advisory' AND objsubid IN (20033, 20034)")
log "[failures] another session holds: $HOLDER_LOCKS"
[ -n "$HOLDER_LOCKS" ] || fail "the holder session holds no numaudit lock"

# The twelve kinds of failing call and their SQLSTATEs.
KIND_SQL=(
    "SELECT * FROM numaudit.run('$CUST', 'bogus');"
    "SELECT * FROM numaudit.run(NULL, 'site');"
    "SELECT * FROM numaudit.run('$CUST', 'customer', ARRAY['S0002']);"
    "SELECT * FROM numaudit.run('FaultProv.FaultRes.Nope', 'site');"
    "SELECT * FROM numaudit.run('$CUST', 'site', ARRAY['Nowhere']);"
    "SELECT * FROM numaudit.run('FaultProv', 'site');"
    "SELECT * FROM numaudit.run('$CUST.S0002', 'customer');"
    "SELECT * FROM numaudit.run('$CUST', 'customer', dry_run => true, nowait => true);"
    "SELECT * FROM numaudit.run('$CUST', 'site', ARRAY['S0001'], nowait => true);"
    "SET numaudit.max_memory = 1; SELECT * FROM numaudit.run('$CUST', 'site', ARRAY['S0002']);"
    "CALL numaudit.audit('$CUST', 'Bogus');"
    "SET numaudit.max_memory = 1; CALL numaudit.audit('$CUST', 'site', ARRAY['S0003']);"
)
KIND_STATE=(22023 22023 22023 42704 42704 42809 42809 55P03 55P03 53200 22023 53200)
K=${#KIND_SQL[@]}

SQL_FILE=$FAULT_PGDIR/failures.sql
OUT=$FAULT_PGDIR/failures.out
calls() { # COUNT
    local i k
    for ((i = 0; i < $1; i++)); do
        k=$((i % K))
        # A statement of its own each (psql sends ";"-separated commands one by one).
        printf '%s\n\\echo K%d :SQLSTATE\nRESET numaudit.max_memory;\n' "${KIND_SQL[$k]}" "$k"
    done
}
measure() { # LABEL
    cat <<SQL
SELECT '$1 CTX ' || sum(total_bytes) FROM pg_backend_memory_contexts;
\\! grep -E '^(VmRSS|RssAnon|RssShmem|VmHWM):' /proc/\$FAULT_BACKEND/status | tr -s ' \\t' ' ' | sed 's/^/$1 /'
SQL
}
{
    echo '\set VERBOSITY terse'
    echo "SET application_name = 'fault_failures';"
    echo 'SELECT pg_backend_pid() AS pid \gset'
    echo '\setenv FAULT_BACKEND :pid'
    echo "SELECT 'PID ' || :pid;"
    calls "$WARMUP"
    echo '\echo END_WARMUP'
    measure BEFORE
    calls "$CALLS"
    echo '\echo END_CALLS'
    measure AFTER
    echo "SELECT 'NEXT ' || count(*) FROM numaudit.run('$CUST', 'site', ARRAY['S0002'], dry_run => true);"
    echo '\echo NEXTSTATE :SQLSTATE'
} >"$SQL_FILE"

t0=$(now)
psql_ -qAt -f "$SQL_FILE" >"$OUT" 2>&1
t1=$(now)
log "[failures] $WARMUP warm-up + $CALLS measured failing calls in one session (backend $(field "$OUT" PID)) in $(calc "$t1 - $t0") s"

# Every call failed with its SQLSTATE (measured part only).
sed -n '/^END_WARMUP$/,/^END_CALLS$/p' "$OUT" | grep -E '^K[0-9]+ ' >"$FAULT_PGDIR/states.txt"
total=$(wc -l <"$FAULT_PGDIR/states.txt")
check "$total == $CALLS" "$CALLS calls measured ($total SQLSTATE lines)"
wrong=0
for ((k = 0; k < K; k++)); do
    got=$(grep -E "^K$k " "$FAULT_PGDIR/states.txt" | cut -d' ' -f2 | sort | uniq -c | tr -s ' ' | tr '\n' ';')
    n_ok=$(grep -cE "^K$k ${KIND_STATE[$k]}$" "$FAULT_PGDIR/states.txt")
    n_all=$(grep -cE "^K$k " "$FAULT_PGDIR/states.txt")
    [ "$n_ok" = "$n_all" ] || { wrong=$((wrong + n_all - n_ok)); fail "kind $k (${KIND_SQL[$k]}): expected ${KIND_STATE[$k]}, got$got"; }
done
log "[failures] SQLSTATEs of the $total calls: $(cut -d' ' -f2 "$FAULT_PGDIR/states.txt" | sort | uniq -c | awk '{printf "%s x%s  ", $2, $1}')"
check "$wrong == 0" "every call failed with its expected SQLSTATE"
[ "$(field "$OUT" NEXTSTATE)" = 00000 ] || fail "the session's next call after the failures failed"

kb() { # LABEL KEY -> value in kB
    case $2 in
    CTX) echo $(($(field "$OUT" "$1 CTX" | cut -d' ' -f2) / 1024)) ;;
    *) grep -E "^$1 $2: " "$OUT" | awk '{print $3}' ;;
    esac
}
log ""
log "[failures] backend memory, before -> after $CALLS failing calls (kB):"
for key in VmRSS RssAnon RssShmem VmHWM CTX; do
    b=$(kb BEFORE $key)
    a=$(kb AFTER $key)
    name=$key
    [ "$key" = CTX ] && name="memory contexts (pg_backend_memory_contexts total)"
    log "  $(printf '%-52s' "$name") $(printf '%8s' "$b") -> $(printf '%8s' "$a")  growth $((a - b)) kB"
    case $key in
    VmRSS | RssAnon | CTX) check "$((a - b)) -le $BOUND_KB" "$name grew by <= $BOUND_KB kB" ;;
    esac
done
check "\$(q \"SELECT count(*) FROM numaudit.number WHERE updated_at > '2001-01-01'\") == 0" "no inventory entry was changed by the failing calls"
q "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'fault_holder'" >/dev/null
wait "$HOLDER" 2>/dev/null
fault_finish

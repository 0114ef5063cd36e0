#!/usr/bin/env bash
# Fault test (e): every kind of C++ exception numaudit's guard handles,
# triggered through SQL, with the SQLSTATE it becomes.
#
# guarded_entry()/capture_exception() (src/backend/guard.cpp) turns
#   PgError (a PostgreSQL ERROR caught by pg_call)  -> that very error, re-thrown
#   core::AuditError                                -> its own SQLSTATE
#   std::bad_alloc                                  -> 53200
#   other std::exception                            -> XX000 with what()
#   anything else                                   -> XX000 "unexpected C++ exception"
# Each case below runs in a fresh session that, after the error, makes one
# more audit call (which must work), and checks the SQLSTATE, the message and
# that the error never degrades into the generic XX000 of the last two rows
# (unless expected), nor leaves PostgreSQL's error stack changed (guard's
# WARNING). Cases that write check the inventory is unchanged.
#   bash test/faults/exceptions.sh
source "$(dirname "$0")/lib.sh"

N=${FAULT_N:-50000}
SITES=${FAULT_SITES:-10}
CUST=FaultProv.FaultRes.Big

fault_start exceptions "${FAULT_PORT:-54347}"
fault_generate "$N" "$SITES"
q "INSERT INTO numaudit.hierarchy (parent_id, name, kind, number_management)
   VALUES (2, 'Off', 'customer', false)" >/dev/null
log "[exceptions] $(q "SELECT fault_prepare('site')")"

OUT=$FAULT_PGDIR/case.out
declare -a TABLE=()

# Runs SQL (after SETUP) in a fresh session, expects SQLSTATE and a message
# matching the ERE MSG; then the session must still audit.
expect_error() { # TYPE SQLSTATE MSG_ERE SQL [SETUP]
    local type=$1 want=$2 msg=$3 sql=$4 setup=${5:-} state line
    psql_ -qAt >"$OUT" 2>&1 <<SQL
\\set VERBOSITY verbose
$setup
$sql
\\echo STATE :SQLSTATE
ROLLBACK;
RESET ALL;
RESET ROLE;
SELECT 'NEXT ' || count(*) FROM numaudit.run('$CUST', 'site', ARRAY['S0001'], dry_run => true);
\\echo NEXTSTATE :SQLSTATE
SQL
    state=$(field "$OUT" STATE)
    line=$(grep -m1 -E 'ERROR:  ' "$OUT" | sed -E 's/^psql:[^ ]+ //; s/^ERROR:  [0-9A-Z]{5}: //')
    if [ "$state" = "$want" ] && [[ $line =~ $msg ]]; then
        pass "$type -> $state: $line"
    else
        fail "$type: expected $want /$msg/, got $state: $line"
        sed 's/^/    /' "$OUT"
    fi
    [ "$(field "$OUT" NEXTSTATE)" = 00000 ] || fail "$type: the session could not audit after the error"
    grep -q 'unexpected C++ exception' "$OUT" && [ "$want" != XX000 ] && fail "$type: became a generic C++ error"
    grep -q "left PostgreSQL's error stack changed" "$OUT" && fail "$type: a C++ exception unwound through PG_TRY"
    TABLE+=("$(printf '%-44s %s  %s' "$type" "$state" "${line:0:110}")")
}
unchanged() { # LABEL
    local c
    c=$(q "SELECT fault_state_counts()")
    [[ $c == *"after=0 both="*" neither=0" ]] || fail "$1: inventory changed: $c"
}

log "[exceptions] core::AuditError"
expect_error "AuditError: unknown scope" 22023 'scope' \
    "SELECT * FROM numaudit.run('$CUST', 'bogus');"
expect_error "AuditError: NULL customer" 22023 'customer' \
    "SELECT * FROM numaudit.run(NULL, 'site');"
expect_error "AuditError: 201 sites" 22023 'too many sites' \
    "SELECT * FROM numaudit.run('$CUST', 'site', ARRAY(SELECT 'S' || g FROM generate_series(1, 201) g));"
expect_error "AuditError: no such customer" 42704 'Nope' \
    "SELECT * FROM numaudit.run('Nope', 'site');"
expect_error "AuditError: no such site" 42704 'Nowhere' \
    "SELECT * FROM numaudit.run('$CUST', 'site', ARRAY['Nowhere']);"
expect_error "AuditError: not a customer" 42809 'FaultRes' \
    "SELECT * FROM numaudit.run('FaultProv.FaultRes', 'site');"
expect_error "AuditError: number management off" 55000 'Off|number management' \
    "SELECT * FROM numaudit.run('FaultProv.FaultRes.Off', 'site');"
expect_error "AuditError via CALL (in _audit_start)" 22023 'scope' \
    "CALL numaudit.audit('$CUST', 'bogus');"

# 55P03 and 40001 need another session holding S0001's lock.
hold() { # SECONDS
    "$PG_BINDIR/psql" -X -qAt >/dev/null 2>&1 <<SQL &
SET application_name = 'fault_holder';
BEGIN;
SELECT count(*) FROM numaudit.run('$CUST', 'site', ARRAY['S0001'], dry_run => true);
SELECT pg_sleep($1);
COMMIT;
SQL
    HOLDER=$!
    local i
    for i in $(seq 1 300); do
        [ "$(q "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'fault_holder'
                  AND query LIKE '%pg_sleep%'")" = 1 ] && return 0
        sleep 0.05
    done
    fail "holder did not start"
}
hold 5
expect_error "AuditError: nowait, lock held elsewhere" 55P03 'another audit|is running' \
    "SELECT * FROM numaudit.run('$CUST', 'site', ARRAY['S0001'], nowait => true);"
wait "$HOLDER" 2>/dev/null
hold 2
expect_error "AuditError: waited under REPEATABLE READ" 40001 'serialize' \
    "SELECT * FROM numaudit.run('$CUST', 'site', ARRAY['S0001'], dry_run => true);" \
    "BEGIN ISOLATION LEVEL REPEATABLE READ;"
wait "$HOLDER" 2>/dev/null

# (AuditError XX000, numaudit's internal errors -- "node is not part of the
# audit", "use of unknown kind" -- guard invariants that the schema's foreign
# keys and checks keep from happening: not reachable from SQL.)

log "[exceptions] std::bad_alloc"
expect_error "std::bad_alloc: max_memory, run" 53200 'numaudit: out of memory' \
    "SELECT * FROM numaudit.run('$CUST', 'site');" "SET numaudit.max_memory = 1;"
expect_error "std::bad_alloc: max_memory, CALL" 53200 'numaudit: out of memory' \
    "CALL numaudit.audit('$CUST', 'site');" "SET numaudit.max_memory = 1;"
# The hidden test-only numaudit.fault_injection: the copy of an argument into
# a std::string fails (outside PG_TRY, so the error stack stays intact).
expect_error "std::bad_alloc: injected, argument copy" 53200 'numaudit: out of memory' \
    "SELECT * FROM numaudit.run('$CUST', 'site');" "SET numaudit.fault_injection = argument_alloc;"
expect_error "std::bad_alloc: injected, site name, CALL" 53200 'numaudit: out of memory' \
    "CALL numaudit.audit('$CUST', 'site', ARRAY['S0001']);" \
    "SET numaudit.fault_injection = array_argument_alloc;"
unchanged "std::bad_alloc"

log "[exceptions] PostgreSQL errors raised inside pg_call (PgError, re-thrown as they were)"
expect_error "PgError: statement_timeout" 57014 'canceling statement due to statement timeout' \
    "SELECT * FROM numaudit.run('$CUST', 'customer');" "SET statement_timeout = 30;"
grep -q 'LOCATION:  ProcessInterrupts, postgres.c' "$OUT" && pass "  ... with PostgreSQL's own error location (ProcessInterrupts)" ||
    fail "57014 lost its original LOCATION: $(grep LOCATION "$OUT")"
# A DBA's CHECK constraint on the inventory that the audit's UPDATE violates.
q "ALTER TABLE numaudit.number ADD CONSTRAINT fault_frozen CHECK (updated_at = '2000-01-01 00:00:00+00') NOT VALID" >/dev/null
expect_error "PgError: CHECK constraint (run)" 23514 'violates check constraint "fault_frozen"' \
    "SELECT * FROM numaudit.run('$CUST', 'site');"
expect_error "PgError: CHECK constraint (CALL)" 23514 'violates check constraint "fault_frozen"' \
    "CALL numaudit.audit('$CUST', 'site');"
run=$(q "SELECT concat_ws('|', status, sites_done, error) FROM numaudit.audit_run WHERE entry_point = 'audit' ORDER BY id DESC LIMIT 1")
[[ $run == "failed|0|site S0001: new row for relation \"number\" violates check constraint \"fault_frozen\" (SQLSTATE 23514)" ]] &&
    pass "  ... CALL's audit_run row: $run" || fail "CALL's audit_run row: $run"
q "ALTER TABLE numaudit.number DROP CONSTRAINT fault_frozen" >/dev/null
unchanged "23514"
# A user trigger raising its own SQLSTATE, detail and hint.
q "CREATE FUNCTION public.fault_refuse() RETURNS trigger LANGUAGE plpgsql AS \$\$
   BEGIN RAISE EXCEPTION 'inventory frozen by trigger' USING ERRCODE = 'FA123',
         DETAIL = 'fault detail', HINT = 'fault hint'; END \$\$;
   CREATE TRIGGER fault_refuse BEFORE UPDATE ON numaudit.number
       FOR EACH ROW EXECUTE FUNCTION public.fault_refuse()" >/dev/null
expect_error "PgError: trigger's own SQLSTATE" FA123 'inventory frozen by trigger' \
    "SELECT * FROM numaudit.run('$CUST', 'site');"
grep -q 'DETAIL:  fault detail' "$OUT" && grep -q 'HINT:  fault hint' "$OUT" &&
    pass "  ... with the trigger's DETAIL and HINT" || fail "trigger's DETAIL/HINT lost"
q "DROP TRIGGER fault_refuse ON numaudit.number" >/dev/null
# A role that may call numaudit.run but not read its tables (not a member of
# numaudit_auditor): the first read inside the audit fails.
q "CREATE ROLE fault_user; GRANT USAGE ON SCHEMA numaudit TO fault_user;
   GRANT EXECUTE ON FUNCTION numaudit.run(text, text, text[], boolean, boolean, boolean) TO fault_user" >/dev/null
expect_error "PgError: permission denied in SPI" 42501 'permission denied for table' \
    "SELECT * FROM numaudit.run('$CUST', 'site');" "SET ROLE fault_user;"
unchanged "PgError"

log ""
log "[exceptions] other std::exception and unknown exceptions: not reachable from SQL --"
log "  every throw in src/ is core::AuditError, PgError or std::bad_alloc (ContextResource),"
log "  and no std::length_error/out_of_range path is reachable: ContextResource"
log "  throws bad_alloc before any size limit of a container is reached."
log ""
log "[exceptions] summary (type, SQLSTATE, message):"
for t in "${TABLE[@]}"; do log "  $t"; done
check "\$(q 'SELECT public.fault_locks()') == 0" "no numaudit advisory lock held at the end"
fault_finish

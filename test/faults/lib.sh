# Shared by the fault tests (sourced, not run). Each test starts its own
# throwaway cluster through test/scripts/cluster.sh with a private directory
# and port, loads numaudit and test/faults/lib.sql into database `faults`,
# and stops the cluster when it exits.
#   fault_start NAME PORT      start the cluster (trap stops it on exit)
#   q SQL                      one query, unaligned tuples only, stops on error
#   fail MSG / pass MSG / check COND MSG
#   fault_finish               prints the verdict, exits 1 if anything failed
set -uo pipefail

FAULTS_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_DIR=$(cd "$FAULTS_DIR/../.." && pwd)
export PG_CONFIG=${PG_CONFIG:-/usr/lib/postgresql/15/bin/pg_config}
PG_BINDIR=$("$PG_CONFIG" --bindir)
FAILURES=0
export PGDATABASE=faults

as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

# psql without ~/.psqlrc; q: one query, ON_ERROR_STOP so that helpers fail loudly.
psql_() { "$PG_BINDIR/psql" -X "$@"; }
q() { psql_ -v ON_ERROR_STOP=1 -qAt -c "$1"; }

log() { printf '%s\n' "$*"; }
fail() {
    FAILURES=$((FAILURES + 1))
    printf 'FAIL: %s\n' "$*"
}
pass() { printf 'ok:   %s\n' "$*"; }
check() { # check "<test expression for [[ ]]>" message
    if eval "[[ $1 ]]"; then pass "$2"; else fail "$2 [$1]"; fi
}

fault_stop() {
    if [ -n "${FAULT_PGDIR:-}" ] && [ -f "$FAULT_PGDIR/data/postmaster.pid" ]; then
        NUMAUDIT_PGDIR=$FAULT_PGDIR NUMAUDIT_PGPORT=$FAULT_PGPORT \
            "$REPO_DIR/test/scripts/cluster.sh" stop || true
    fi
}

fault_cleanup() {
    # Background jobs this test started (by pid), then the cluster.
    local p
    for p in $(jobs -p); do kill "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    fault_stop
}

fault_start() { # NAME PORT
    FAULT_NAME=$1
    FAULT_PGDIR=/tmp/numaudit-fault-$1
    FAULT_PGPORT=$2
    # One run per cluster at a time: cluster.sh start would wipe the cluster
    # of a run in progress (a second run-ci.sh, ctest and run-long.sh...).
    exec {FAULT_LOCK_FD}>"/tmp/numaudit-fault-$1.lock"
    if ! flock -n "$FAULT_LOCK_FD"; then
        log "[$1] another run of this test is using $FAULT_PGDIR; waiting for it"
        flock -w 7200 "$FAULT_LOCK_FD" || { log "[$1] gave up waiting"; exit 1; }
    fi
    trap fault_cleanup EXIT
    trap 'exit 130' INT TERM
    eval "$(NUMAUDIT_PGDIR=$FAULT_PGDIR NUMAUDIT_PGPORT=$FAULT_PGPORT \
        "$REPO_DIR/test/scripts/cluster.sh" start)"
    export PGHOST PGPORT PGUSER
    # Enough memory for a 1M-entry customer without swapping to disk.
    cat >>"$FAULT_PGDIR/data/postgresql.conf" <<CONF
shared_buffers = 512MB
max_wal_size = 4GB
checkpoint_timeout = 30min
CONF
    as_pg "$PG_BINDIR/pg_ctl" -D "$FAULT_PGDIR/data" -l "$FAULT_PGDIR/server.log" -w restart >/dev/null
    psql_ -v ON_ERROR_STOP=1 -q -d postgres -c 'CREATE DATABASE faults'
    q 'CREATE EXTENSION numaudit'
    psql_ -v ON_ERROR_STOP=1 -q -f "$FAULTS_DIR/lib.sql" >/dev/null
    log "[$FAULT_NAME] cluster $FAULT_PGDIR port $FAULT_PGPORT, numaudit $(q "SELECT extversion FROM pg_extension WHERE extname = 'numaudit'")"
}

# Builds the large flat customer FaultProv.FaultRes.Big: N entries, SITES sites.
fault_generate() { # N [SITES]
    local t0 t1
    t0=$(now)
    psql_ -v ON_ERROR_STOP=1 -qAt -v n="$1" -v sites="${2:-1000}" -f "$FAULTS_DIR/gen_large.sql" | grep -v '^$' || true
    # As after a loader's VACUUM: hint bits set, so the first audit is not slower.
    q 'VACUUM (ANALYZE) numaudit.hierarchy, numaudit.device, numaudit.device_line, numaudit.service, numaudit.number' >/dev/null
    q 'CHECKPOINT' >/dev/null
    t1=$(now)
    log "[$FAULT_NAME] generated in $(calc "$t1 - $t0") s"
}

# Server restart after a crash or an immediate shutdown (keeps the data).
fault_pg_start() {
    as_pg "$PG_BINDIR/pg_ctl" -D "$FAULT_PGDIR/data" -l "$FAULT_PGDIR/server.log" -w -t 300 start >/dev/null
}
fault_pg_stop_immediate() {
    as_pg "$PG_BINDIR/pg_ctl" -D "$FAULT_PGDIR/data" -m immediate -w stop >/dev/null
}
# Waits until the server accepts connections again (after a backend crash).
fault_wait_ready() {
    local i
    for i in $(seq 1 600); do
        if "$PG_BINDIR/pg_isready" -q -h "$PGHOST" -p "$PGPORT" && q 'SELECT 1' >/dev/null 2>&1; then
            return 0
        fi
        sleep 0.1
    done
    return 1
}

now() { date +%s.%N; }
# Arithmetic on decimals: calc "1.5 * 2" -> 3.000 (FMT: printf format).
calc() { awk "BEGIN { printf \"${2:-%.3f}\", $1 }"; }

# min/median/max of the numbers given as arguments.
stats() {
    printf '%s\n' "$@" | sort -g | awk '
        { v[NR] = $1 }
        END {
            if (NR == 0) { print "n=0"; exit }
            med = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
            printf "n=%d min=%.3f median=%.3f max=%.3f", NR, v[1], med, v[NR]
        }'
}
max_of() { printf '%s\n' "$@" | sort -g | tail -n 1; }

# Waits (up to 60 s) for a backend of application APP running a statement that
# matches PATTERN (SQL LIKE); prints its pid.
wait_backend() { # APP PATTERN
    local pid i
    for i in $(seq 1 600); do
        pid=$(q "SELECT pid FROM pg_stat_activity WHERE application_name = '$1'
                   AND state = 'active' AND query LIKE '$2' LIMIT 1")
        if [ -n "$pid" ]; then
            echo "$pid"
            return 0
        fi
        sleep 0.1
    done
    return 1
}

# Waits (up to 60 s) until backend PID holds RowExclusiveLock on
# numaudit.number: it has begun writing the inventory in its current
# transaction. Gives up when the client process BGPID ends.
wait_writing() { # PID BGPID
    local i
    for i in $(seq 1 6000); do
        [ "$(q "SELECT count(*) FROM pg_locks l WHERE l.pid = $1 AND l.locktype = 'relation'
                  AND l.relation = 'numaudit.number'::regclass AND l.mode = 'RowExclusiveLock'")" = 1 ] && return 0
        kill -0 "$2" 2>/dev/null || return 1
        sleep 0.01
    done
    return 1
}

# Value of "KEY value" in a psql output file (last occurrence).
field() { grep -E "^$2 " "$1" | tail -n 1 | cut -d' ' -f2-; }

fault_finish() {
    if [ "$FAILURES" -gt 0 ]; then
        log "[$FAULT_NAME] FAILED: $FAILURES check(s)"
        exit 1
    fi
    log "[$FAULT_NAME] PASSED"
    exit 0
}

# fault_measure_durations CUSTOMER: sets D_DRY (a customer-scope dry run:
# reading and planning), D_RUN (a whole customer-scope run, rolled back),
# D_PLAN (a site-scope dry run of every site: what the first unit of CALL
# numaudit.audit does before any site) and D_STEP (one site of CALL
# numaudit.audit once planned: a whole CALL in one transaction, less D_PLAN,
# per site), in seconds.
fault_measure_durations() {
    local CUST=$1 call nsites
D_DRY=$(psql_ -v ON_ERROR_STOP=1 -qAt <<SQL
SELECT extract(epoch FROM clock_timestamp()) AS t0 \gset
SELECT count(*) FROM numaudit.run('$CUST', 'customer', dry_run => true) \g /dev/null
SELECT round((extract(epoch FROM clock_timestamp()) - :t0)::numeric, 3);
SQL
)
D_RUN=$(psql_ -v ON_ERROR_STOP=1 -qAt <<SQL
BEGIN;
SELECT extract(epoch FROM clock_timestamp()) AS t0 \gset
SELECT count(*) FROM numaudit.run('$CUST', 'customer') \g /dev/null
SELECT round((extract(epoch FROM clock_timestamp()) - :t0)::numeric, 3);
ROLLBACK;
SQL
)
D_PLAN=$(psql_ -v ON_ERROR_STOP=1 -qAt <<SQL
SELECT extract(epoch FROM clock_timestamp()) AS t0 \gset
SELECT count(*) FROM numaudit.run('$CUST', 'site', dry_run => true) \g /dev/null
SELECT round((extract(epoch FROM clock_timestamp()) - :t0)::numeric, 3);
SQL
)
call=$(psql_ -v ON_ERROR_STOP=1 -qAt <<SQL 2>/dev/null
BEGIN;
SELECT extract(epoch FROM clock_timestamp()) AS t0 \gset
CALL numaudit.audit('$CUST', 'site');
SELECT round((extract(epoch FROM clock_timestamp()) - :t0)::numeric, 3);
ROLLBACK;
SQL
)
    nsites=$(q "SELECT count(*) FROM numaudit.hierarchy s JOIN numaudit.hierarchy c ON c.id = s.parent_id
                 WHERE s.kind = 'site' AND c.name = '${CUST##*.}'")
    D_STEP=$(calc "($call - $D_PLAN) / $nsites")
    [ "$(calc "$D_STEP < 0.001" %d)" = 1 ] && D_STEP=0.001
    return 0
}

# Shared helpers of the shell test scripts (sourced, not run): psql without
# the user's psqlrc and stopping at the first error, one-value queries, and
# ok/FAIL lines counted in FAILURES; `finish NAME` ends the script with the
# verdict. The sourcing script sets REPO_DIR first.
export PG_CONFIG=${PG_CONFIG:-/usr/lib/postgresql/15/bin/pg_config}
PG_BINDIR=$("$PG_CONFIG" --bindir)
FAILURES=0

psql_() { "$PG_BINDIR/psql" -X -v ON_ERROR_STOP=1 "$@"; }
q() { psql_ -qAt -d "$1" -c "$2"; }  # DATABASE SQL: its output, unaligned
log() { printf '%s\n' "$*"; }
pass() { printf 'ok:   %s\n' "$*"; }
fail() {
    FAILURES=$((FAILURES + 1))
    printf 'FAIL: %s\n' "$*"
}
finish() {  # NAME
    if [ "$FAILURES" -gt 0 ]; then
        log "[$1] FAILED: $FAILURES check(s)"
        exit 1
    fi
    log "[$1] PASSED"
}

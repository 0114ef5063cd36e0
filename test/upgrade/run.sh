#!/usr/bin/env bash
# Upgrade test, against the running test cluster (PGHOST/PGPORT/PGUSER):
#   1. A database at 0.1.0 with data and history keeps working with the new
#      library before it is updated (the library serves both versions).
#   2. ALTER EXTENSION numaudit UPDATE brings it to 0.2.0 with every row kept
#      and a catalog equal to a fresh CREATE EXTENSION (test/upgrade/catalog.sql).
#   3. After the update, audits give the same rows as in a fresh 0.2.0
#      database with the same data, and the 0.2.0 functions work.
set -euo pipefail
REPO_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
. "$REPO_DIR/test/scripts/checks.sh"
OLD=numaudit_upgrade_old
FRESH=numaudit_upgrade_fresh
OUT=$(mktemp -d)

check_eq() {  # description, expected, actual
    if [ "$2" = "$3" ]; then pass "$1"; else fail "$1: expected '$2', got '$3'"; fi
}
# Every row of every table, in key order, as one checksum per table.
data_sums() {
    q "$1" "SELECT string_agg(format('%s %s', t, (SELECT md5(string_agg(x, E'\n' ORDER BY x))
                                                 FROM numaudit_rows(t) x)), E'\n' ORDER BY t)
              FROM unnest(ARRAY['hierarchy', 'usage_kind', 'device', 'device_line', 'service',
                                'number', 'audit_run', 'audit_change']) t"
}
# The audits both databases run, with their result rows.
audits() {
    psql_ -qAt -d "$1" <<'SQL'
SELECT 'run', r.* FROM numaudit.run('Provider1.ResellerA.Acme', 'customer', dry_run => true) r
 ORDER BY r::text;
SELECT 'site', r.* FROM numaudit.run('Provider1.ResellerB.Globex', 'site') r ORDER BY r::text;
SQL
}
cleanup() {
    for db in $OLD $FRESH; do "$PG_BINDIR/dropdb" --if-exists "$db" 2>/dev/null || true; done
    rm -rf "$OUT"
}
trap cleanup EXIT

setup_db() {  # name, CREATE EXTENSION clause
    "$PG_BINDIR/dropdb" --if-exists "$1" 2>/dev/null
    "$PG_BINDIR/createdb" "$1"
    psql_ -q -d "$1" -c "CREATE EXTENSION numaudit $2" -f "$REPO_DIR/examples/example_customer.sql" >/dev/null
    # Any numaudit table's rows as text (a test helper in schema public).
    q "$1" "CREATE FUNCTION numaudit_rows(t text) RETURNS SETOF text LANGUAGE plpgsql AS
            \$\$ BEGIN RETURN QUERY EXECUTE format('SELECT x::text FROM numaudit.%I x', t); END \$\$" >/dev/null
}

# --- 1. 0.1.0 with data and history, audited with the new library -----------
setup_db $OLD "VERSION '0.1.0'"
check_eq "old database is at 0.1.0" "0.1.0" "$(q $OLD "SELECT extversion FROM pg_extension WHERE extname = 'numaudit'")"
q $OLD "SELECT count(*) FROM numaudit.run('Provider1.ResellerA.Acme', 'customer')" >/dev/null
psql_ -q -d $OLD -c "CALL numaudit.audit('Provider1.ResellerB.Globex', 'site')" 2>"$OUT/call.err"
check_eq "0.1.0 with the new library: run and CALL recorded" "run|done audit|done" \
    "$(q $OLD "SELECT string_agg(entry_point || '|' || status, ' ' ORDER BY id) FROM numaudit.audit_run")"
# The new library sends no NOTIFY for a database still at 0.1.0, so a run
# there can still be part of a prepared transaction.
check_eq "0.1.0 with the new library: a run can be prepared for two-phase commit" "prepared" \
    "$(psql_ -qAt -d $OLD -c "BEGIN" -c "SELECT count(*) FROM numaudit.run('Provider1.ResellerA.Acme', 'customer')" \
        -c "PREPARE TRANSACTION 'numaudit_upgrade'" -c "COMMIT PREPARED 'numaudit_upgrade'" \
        -c "SELECT 'prepared'" 2>&1 | tail -1)"
before=$(data_sums $OLD)

# --- 2. the update ----------------------------------------------------------
q $OLD "ALTER EXTENSION numaudit UPDATE" >/dev/null
check_eq "updated to the default version" "0.2.0" \
    "$(q $OLD "SELECT extversion FROM pg_extension WHERE extname = 'numaudit'")"
check_eq "every row kept by the update" "$before" "$(data_sums $OLD)"

setup_db $FRESH ""
check_eq "fresh database is at 0.2.0" "0.2.0" "$(q $FRESH "SELECT extversion FROM pg_extension WHERE extname = 'numaudit'")"
psql_ -q -d $OLD -f "$REPO_DIR/test/upgrade/catalog.sql" >"$OUT/old.cat"
psql_ -q -d $FRESH -f "$REPO_DIR/test/upgrade/catalog.sql" >"$OUT/fresh.cat"
if [ "$(wc -l <"$OUT/fresh.cat")" -lt 300 ]; then
    fail "catalog snapshot too small ($(wc -l <"$OUT/fresh.cat") lines)"
elif diff -u "$OUT/fresh.cat" "$OUT/old.cat" >"$OUT/cat.diff"; then
    pass "catalog after update equals a fresh install ($(wc -l <"$OUT/fresh.cat") lines compared)"
else
    fail "catalog after update differs from a fresh install:"
    head -60 "$OUT/cat.diff"
fi

# --- 3. it works as a fresh 0.2.0 does ----------------------------------------
# Bring the fresh database to the same inventory and history first.
q $FRESH "SELECT count(*) FROM numaudit.run('Provider1.ResellerA.Acme', 'customer')" >/dev/null
psql_ -q -d $FRESH -c "CALL numaudit.audit('Provider1.ResellerB.Globex', 'site')" 2>/dev/null
check_eq "same inventory as a fresh 0.2.0 database" \
    "$(q $FRESH "SELECT md5(string_agg(format('%s %s %s %s %s', x.id, x.hierarchy_id, x.internal_number, x.status, x.usage), ',' ORDER BY x.id)) FROM numaudit.number x")" \
    "$(q $OLD "SELECT md5(string_agg(format('%s %s %s %s %s', x.id, x.hierarchy_id, x.internal_number, x.status, x.usage), ',' ORDER BY x.id)) FROM numaudit.number x")"
audits $FRESH >"$OUT/fresh.audits"
audits $OLD >"$OUT/old.audits"
check_eq "audits after the update return what a fresh install returns" \
    "$(cat "$OUT/fresh.audits")" "$(cat "$OUT/old.audits")"
for fn in "SELECT count(*) FROM numaudit.uses('Provider1.ResellerA.Acme', '1001')" \
          "SELECT count(*) FROM numaudit.inventory_summary" \
          "SELECT numaudit.last_run_id() IS NULL" \
          "SELECT numaudit.pattern_number('\\+1001')"; do
    check_eq "after the update: $fn" "$(q $FRESH "$fn")" "$(q $OLD "$fn")"
done
check_eq "uses() explains a used number" "t" \
    "$(q $OLD "SELECT count(*) > 0 FROM numaudit.uses('Provider1.ResellerA.Acme', '1001')")"

# The packaging says the same version everywhere.
control=$(sed -n "s/^default_version = '\(.*\)'/\1/p" "$REPO_DIR/extension/numaudit.control")
check_eq "META.json's version is the control file's" "$control" \
    "$(/usr/bin/python3 -c 'import json, sys; m = json.load(open(sys.argv[1])); print(m["version"] if m["provides"]["numaudit"]["version"] == m["version"] else "mismatch")' "$REPO_DIR/META.json")"
check_eq "CHANGELOG.md has a section for $control" "1" "$(grep -c "^## $control\b" "$REPO_DIR/CHANGELOG.md")"

finish upgrade

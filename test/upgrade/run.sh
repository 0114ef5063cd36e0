#!/usr/bin/env bash
# Upgrade test, against the running test cluster (PGHOST/PGPORT/PGUSER). For
# each older version (0.1.0, 0.2.0 and 0.3.0):
#   1. A database at that version with data and history keeps working with
#      the new library before it is updated (the library serves every version).
#   2. ALTER EXTENSION numaudit UPDATE brings it to the default version with
#      every row kept, privileges granted on the procedure kept, and a catalog
#      equal to a fresh CREATE EXTENSION (test/upgrade/catalog.sql).
#   3. After the update, audits give the same rows as in a fresh database with
#      the same data, and the newer functions work.
# Then 4. rows written before 0.3.0 that break its tree rules: one WARNING;
# 5. a 0.3.0 database with 1 MB patterns and entries builds the read-number
# indexes of 0.4.0 (their keys are cut to 60 characters).
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
CONTROL=$(sed -n "s/^default_version = '\(.*\)'/\1/p" "$REPO_DIR/extension/numaudit.control")
GRANTEE=numaudit_upgrade_scheduler
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
    q postgres "DROP ROLE IF EXISTS $GRANTEE" >/dev/null 2>&1 || true
    rm -rf "$OUT"
}
trap cleanup EXIT

setup_db() {  # name, CREATE EXTENSION clause
    "$PG_BINDIR/dropdb" --if-exists "$1" 2>/dev/null
    "$PG_BINDIR/createdb" "$1"
    psql_ -q -d "$1" -c "CREATE EXTENSION numaudit $2" -f "$REPO_DIR/examples/example_customer.sql" >/dev/null
    # Any numaudit table's rows as text (a test helper in schema public),
    # without the columns an update adds (audit_run.mode and audit_run.sweep_id, 0.4.0).
    q "$1" "CREATE FUNCTION numaudit_rows(t text) RETURNS SETOF text LANGUAGE plpgsql AS
            \$\$ BEGIN RETURN QUERY EXECUTE format('SELECT (to_jsonb(x) - ''mode'' - ''sweep_id'')::text FROM numaudit.%I x', t); END \$\$" >/dev/null
}

upgrade_from() {  # version
    local from=$1
    # --- 1. the old version with data and history, audited with the new library
    setup_db $OLD "VERSION '$from'"
    check_eq "$from: old database is at $from" "$from" \
        "$(q $OLD "SELECT extversion FROM pg_extension WHERE extname = 'numaudit'")"
    q $OLD "SELECT count(*) FROM numaudit.run('Provider1.ResellerA.Acme', 'customer')" >/dev/null
    psql_ -q -d $OLD -c "CALL numaudit.audit('Provider1.ResellerB.Globex', 'site')" 2>"$OUT/call.err"
    check_eq "$from with the new library: run and CALL recorded" "run|done audit|done" \
        "$(q $OLD "SELECT string_agg(entry_point || '|' || status, ' ' ORDER BY id) FROM numaudit.audit_run")"
    check_eq "$from with the new library: its numbers are read as 0.3.0 reads them (\\+ entry, padded line)" \
        "Used-Utility|Voicemail_Pilot Used|Device" \
        "$(q $OLD "SELECT string_agg(status || '|' || usage, ' ' ORDER BY id) FROM numaudit.number WHERE id IN (1, 7)")"
    if [ "$from" = 0.1.0 ]; then
        # The new library sends no NOTIFY for a database still at 0.1.0, so a
        # run there can still be part of a prepared transaction.
        check_eq "0.1.0 with the new library: a run can be prepared for two-phase commit" "prepared" \
            "$(psql_ -qAt -d $OLD -c "BEGIN" -c "SELECT count(*) FROM numaudit.run('Provider1.ResellerA.Acme', 'customer')" \
                -c "PREPARE TRANSACTION 'numaudit_upgrade'" -c "COMMIT PREPARED 'numaudit_upgrade'" \
                -c "SELECT 'prepared'" 2>&1 | tail -1)"
    fi
    # A DBA granted the procedure to a scheduler role of its own (before
    # 0.3.0 it had no dry_run and nowait).
    local old_audit="numaudit.audit(text, text, text[], boolean, boolean)"
    case $from in 0.1.0 | 0.2.0) old_audit="numaudit.audit(text, text, text[])" ;; esac
    q $OLD "GRANT EXECUTE ON PROCEDURE $old_audit TO $GRANTEE" >/dev/null
    before=$(data_sums $OLD)

    # --- 2. the update
    q $OLD "ALTER EXTENSION numaudit UPDATE" >/dev/null
    check_eq "$from: updated to the default version" "$CONTROL" \
        "$(q $OLD "SELECT extversion FROM pg_extension WHERE extname = 'numaudit'")"
    check_eq "$from: every row kept by the update" "$before" "$(data_sums $OLD)"
    check_eq "$from: tracking begins at the update: no baseline, nothing pending" "0 0" \
        "$(q $OLD "SELECT (SELECT count(*) FROM numaudit.baseline) || ' ' || (SELECT count(*) FROM numaudit.pending_change)")"
    check_eq "$from: the grant on the old procedure is kept on the new one" "t" \
        "$(q $OLD "SELECT has_function_privilege('$GRANTEE', 'numaudit.audit(text, text, text[], boolean, boolean, boolean)', 'EXECUTE')")"
    check_eq "$from: and it is not taken for one of the extension's own (pg_dump dumps it)" "f" \
        "$(q $OLD "SELECT coalesce(bool_or(a.grantee = '$GRANTEE'::regrole), false)
                     FROM pg_init_privs i, aclexplode(i.initprivs) a
                    WHERE i.objoid = 'numaudit.audit(text, text, text[], boolean, boolean, boolean)'::regprocedure")"
    q $OLD "REVOKE EXECUTE ON PROCEDURE numaudit.audit(text, text, text[], boolean, boolean, boolean) FROM $GRANTEE" >/dev/null

    setup_db $FRESH ""
    check_eq "$from: fresh database is at $CONTROL" "$CONTROL" \
        "$(q $FRESH "SELECT extversion FROM pg_extension WHERE extname = 'numaudit'")"
    psql_ -q -d $OLD -f "$REPO_DIR/test/upgrade/catalog.sql" >"$OUT/old.cat"
    psql_ -q -d $FRESH -f "$REPO_DIR/test/upgrade/catalog.sql" >"$OUT/fresh.cat"
    if [ "$(wc -l <"$OUT/fresh.cat")" -lt 300 ]; then
        fail "$from: catalog snapshot too small ($(wc -l <"$OUT/fresh.cat") lines)"
    elif diff -u "$OUT/fresh.cat" "$OUT/old.cat" >"$OUT/cat.diff"; then
        pass "$from: catalog after update equals a fresh install ($(wc -l <"$OUT/fresh.cat") lines compared)"
    else
        fail "$from: catalog after update differs from a fresh install:"
        head -60 "$OUT/cat.diff"
    fi

    # --- 3. it works as a fresh install does
    # Bring the fresh database to the same inventory and history first.
    q $FRESH "SELECT count(*) FROM numaudit.run('Provider1.ResellerA.Acme', 'customer')" >/dev/null
    psql_ -q -d $FRESH -c "CALL numaudit.audit('Provider1.ResellerB.Globex', 'site')" 2>/dev/null
    if [ "$from" = 0.1.0 ]; then
        q $FRESH "SELECT count(*) FROM numaudit.run('Provider1.ResellerA.Acme', 'customer')" >/dev/null
    fi
    check_eq "$from: same inventory as a fresh database" \
        "$(q $FRESH "SELECT md5(string_agg(format('%s %s %s %s %s', x.id, x.hierarchy_id, x.internal_number, x.status, x.usage), ',' ORDER BY x.id)) FROM numaudit.number x")" \
        "$(q $OLD "SELECT md5(string_agg(format('%s %s %s %s %s', x.id, x.hierarchy_id, x.internal_number, x.status, x.usage), ',' ORDER BY x.id)) FROM numaudit.number x")"
    audits $FRESH >"$OUT/fresh.audits"
    audits $OLD >"$OUT/old.audits"
    check_eq "$from: audits after the update return what a fresh install returns" \
        "$(cat "$OUT/fresh.audits")" "$(cat "$OUT/old.audits")"
    for fn in "SELECT count(*) FROM numaudit.uses('Provider1.ResellerA.Acme', ' 1004')" \
              "SELECT count(*) FROM numaudit.inventory_summary" \
              "SELECT numaudit.last_run_id() IS NULL" \
              "SELECT numaudit.pattern_number('\\+1001 ')" \
              "SELECT numaudit.read_number('21O5')" \
              "SELECT count(*) FROM numaudit.check_hierarchy()"; do
        check_eq "$from: after the update: $fn" "$(q $FRESH "$fn")" "$(q $OLD "$fn")"
    done
    check_eq "$from: uses() explains a used number" "2" \
        "$(q $OLD "SELECT count(*) FROM numaudit.uses('Provider1.ResellerA.Acme', ' 1004')")"
    check_eq "$from: CALL numaudit.audit takes the flags" "0" \
        "$(psql_ -q -d $OLD -c "CALL numaudit.audit('Provider1.ResellerA.Acme', 'site', dry_run => true, nowait => true)" 2>&1 >/dev/null | grep -c ERROR)"

    # Tracking begins at the update: the first audit of each scope after it
    # is full (it had no baseline), the next incremental.
    local modes=""
    for i in 1 2; do
        q $OLD "SELECT count(*) FROM numaudit.run('Provider1.ResellerA.Acme', 'site', incremental => true)" >/dev/null 2>&1
        modes="$modes $(q $OLD "SELECT mode FROM numaudit.audit_run ORDER BY id DESC LIMIT 1")"
    done
    check_eq "$from: after the update, incremental audits run full first, then incremental" \
        " full incremental" "$modes"

    # audit_all on the updated database: the history written before the
    # update orders the sweep (every customer with number management on,
    # each audited once, each run tied to the sweep).
    psql_ -q -d $OLD -c "CALL numaudit.audit_all()" >/dev/null 2>&1
    check_eq "$from: CALL numaudit.audit_all after the update: one sweep, done, every managed customer audited once in it" \
        "done|true|true" \
        "$(q $OLD "SELECT s.status || '|' || (s.customers = (SELECT count(*) FROM numaudit.hierarchy
                                                      WHERE kind = 'customer' AND number_management))
                   || '|' || (SELECT count(*) = count(DISTINCT customer_id) AND count(*) = s.customers
                                FROM numaudit.audit_run r WHERE r.sweep_id = s.id)
                     FROM numaudit.sweep s")"
}

q postgres "DROP ROLE IF EXISTS $GRANTEE" >/dev/null 2>&1 || true
q postgres "CREATE ROLE $GRANTEE NOLOGIN" >/dev/null
for from in 0.1.0 0.2.0 0.3.0; do upgrade_from $from; done

# --- 4. rows that break the tree rules of 0.3.0 --------------------------------
# A database at 0.2.0 whose hierarchy breaks the rules (written before 0.3.0):
# ALTER EXTENSION numaudit UPDATE says so in exactly one WARNING, which lists
# the first 50 rows and how many more, and keeps every row as it was.
TREE=numaudit_upgrade_tree
trap 'cleanup; "$PG_BINDIR/dropdb" --if-exists $TREE 2>/dev/null || true' EXIT
"$PG_BINDIR/dropdb" --if-exists $TREE 2>/dev/null
"$PG_BINDIR/createdb" $TREE
q $TREE "CREATE EXTENSION numaudit VERSION '0.2.0'" >/dev/null
q $TREE "INSERT INTO numaudit.hierarchy (id, parent_id, name, kind) VALUES
    (1, NULL, 'P', 'provider'), (2, 1, 'R', 'reseller'), (3, 2, 'Acme', 'customer'),
    (4, 3, 'London', 'site'),
    (5, 2, 'Stray', 'site'),               -- a site under a reseller
    (6, NULL, 'Lone', 'customer'),         -- a customer at the root
    (7, 2, 'Acme.Paris', 'customer'),      -- a '.' in a name
    (8, 9, 'Loop1', 'reseller'),           -- a cycle
    (9, 8, 'Loop2', 'reseller');
  INSERT INTO numaudit.hierarchy (id, parent_id, name, kind)  -- 51 sites under a reseller
  SELECT 100 + i, 2, 'S' || i, 'site' FROM generate_series(1, 51) AS i" >/dev/null
tree_rows() { q $TREE "SELECT md5(string_agg(h::text, ',' ORDER BY h.id)) FROM numaudit.hierarchy h"; }
tree_before=$(tree_rows)
psql_ -q -d $TREE -c "ALTER EXTENSION numaudit UPDATE" 2>"$OUT/tree_update.err"
check_eq "update from 0.2.0 with rows breaking the tree rules: exactly one WARNING" "1" \
    "$(grep -c '^WARNING:' "$OUT/tree_update.err")"
check_eq "the WARNING counts the rows that break a rule" \
    "WARNING:  numaudit.hierarchy has 56 rows that break the tree rules of numaudit 0.3.0" \
    "$(grep '^WARNING:' "$OUT/tree_update.err")"
check_eq "the WARNING lists the first 50 rows, then how many more" \
    "id 5, site \"Stray\"|id 6, customer \"Lone\"|id 7, customer \"Acme.Paris\"|id 8, reseller \"Loop1\"|id 9, reseller \"Loop2\"|id 145, site \"S45\"|and 6 more" \
    "$(sed -n 's/^\(DETAIL:  \)\{0,1\}\(id [0-9]*, [a-z]* "[^"]*"\):.*/\2/p; s/^\(and [0-9]* more\)$/\1/p' "$OUT/tree_update.err" |
       awk 'NR <= 5 || NR == 50 || /^and/' | paste -sd '|')"
check_eq "the WARNING points to check_hierarchy()" "1" \
    "$(grep -c '^HINT: .*numaudit.check_hierarchy()' "$OUT/tree_update.err")"
check_eq "the update keeps the rows that break a rule" "$tree_before" "$(tree_rows)"
check_eq "check_hierarchy() lists them after the update" "56" \
    "$(q $TREE "SELECT count(DISTINCT id) FROM numaudit.check_hierarchy()")"
check_eq "a write that does not touch a broken rule still works" "UPDATE 1" \
    "$(psql_ -d $TREE -c "UPDATE numaudit.hierarchy SET number_management = false WHERE id = 5" 2>&1)"
"$PG_BINDIR/dropdb" --if-exists $TREE

# --- 5. hostile values when the read-number indexes are built -----------------
BIG=numaudit_upgrade_big
trap 'cleanup; "$PG_BINDIR/dropdb" --if-exists $BIG 2>/dev/null || true' EXIT
"$PG_BINDIR/dropdb" --if-exists $BIG 2>/dev/null
"$PG_BINDIR/createdb" $BIG
q $BIG "CREATE EXTENSION numaudit VERSION '0.3.0'" >/dev/null
q $BIG "INSERT INTO numaudit.hierarchy (id, parent_id, name, kind) VALUES
    (1, NULL, 'P', 'provider'), (2, 1, 'R', 'reseller'), (3, 2, 'Acme', 'customer'), (4, 3, 'A', 'site');
  INSERT INTO numaudit.device (id, hierarchy_id, cluster, kind, name) VALUES (1, 4, 'CL1', 'phone', 'SEP1');
  INSERT INTO numaudit.device_line (device_id, line_index, pattern) VALUES
    (1, 1, repeat('7', 1048576)), (1, 2, repeat(' ', 1048576) || '\+4420' || repeat(E'\t', 1048576)),
    (1, 3, md5(random()::text) || repeat(md5(random()::text), 30000));
  INSERT INTO numaudit.service (hierarchy_id, cluster, kind, name, pattern) VALUES
    (4, 'CL1', 'hunt_pilot', 'HP', repeat('X', 1048576)), (4, 'CL1', 'hunt_pilot', 'HP2', ' +4420');
  INSERT INTO numaudit.number (hierarchy_id, internal_number) VALUES
    (4, repeat('8', 200000)), (4, repeat(' ', 100000) || '5001')" >/dev/null
check_eq "a 0.3.0 database with 1 MB patterns and entries updates" "$CONTROL" \
    "$(q $BIG "ALTER EXTENSION numaudit UPDATE" >/dev/null 2>&1; q $BIG "SELECT extversion FROM pg_extension WHERE extname = 'numaudit'")"
check_eq "and uses() finds the padded uses of +4420 through its indexes" "HP2|2" \
    "$(q $BIG "SELECT string_agg(coalesce(line_index::text, name), '|' ORDER BY line_index NULLS FIRST) FROM numaudit.uses('Acme', '+4420')")"
"$PG_BINDIR/dropdb" --if-exists $BIG

# The packaging says the same version everywhere.
control=$CONTROL
check_eq "META.json's version is the control file's" "$control" \
    "$(/usr/bin/python3 -c 'import json, sys; m = json.load(open(sys.argv[1])); print(m["version"] if m["provides"]["numaudit"]["version"] == m["version"] else "mismatch")' "$REPO_DIR/META.json")"
check_eq "CHANGELOG.md has a section for $control" "1" "$(grep -c "^## $control\b" "$REPO_DIR/CHANGELOG.md")"

finish upgrade

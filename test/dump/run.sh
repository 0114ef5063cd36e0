#!/usr/bin/env bash
# Dump and restore round trip. numaudit's tables hold the DBA's data (the
# tenant tree, usage kinds of their own, devices, services, the inventory and
# the audit history), so they and their identity sequences are marked with
# pg_extension_config_dump: without that, pg_dump writes only CREATE
# EXTENSION numaudit and a restore comes back with empty tables.
#   1. Database dumpsrc: the example customers, audit history (a sweep of
#      audit_all too), a DBA-defined
#      usage kind and a service of it, rows that took their ids from the
#      identity sequences, NULLs, unicode, quotes, tabs, newlines, backslashes.
#   2. pg_dump -Fc | pg_restore into dumpdst, pg_dump -Fp | psql into
#      dumpplain, pg_dump --inserts | psql into dumpinserts: all succeed, with
#      nothing on stderr but pg_dump's warning about hierarchy's
#      self-reference (see below).
#   3. In each, each of the 10 tables in full (every row, every column, in
#      primary key order), every sequence of the schema (last_value,
#      is_called) and the extension version are those of dumpsrc.
#   4. Each works: a device inserted without an id gets a fresh id, dry runs
#      of every customer return what they return in dumpsrc, and a real
#      audit is accepted, recorded and adds the new device's number.
#   5. A hierarchy with rows that break the tree rules (written before
#      0.3.0): a plain restore refuses them (23514, the check on writes); a
#      restore with session_replication_role = replica, as the README says,
#      brings every row back, and check_hierarchy() lists them.
# Takes a few seconds, on a throwaway cluster of its own.
#   bash test/dump/run.sh        (as root or as postgres)
set -euo pipefail
REPO_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
. "$REPO_DIR/test/scripts/checks.sh"
PGDIR=${DUMP_PGDIR:-/tmp/numaudit-dump}
PORT=${DUMP_PGPORT:-54393}
ACME=Provider1.ResellerA.Acme
GLOBEX=Provider1.ResellerB.Globex
# table:primary key, in the order the extension defines them
TABLES="hierarchy:id usage_kind:kind device:id device_line:device_id,line_index
        service:id number:id audit_run:id audit_change:id sweep:id sweep_customer:sweep_id,position"

short() { # stdin's first lines on one line, at most 400 characters
    local s
    s=$(head -4 | tr '\n' ' ')
    printf '%s' "${s:0:400}"
}

eval "$(NUMAUDIT_PGDIR=$PGDIR NUMAUDIT_PGPORT=$PORT "$REPO_DIR/test/scripts/cluster.sh" start)"
export PGHOST PGPORT PGUSER
# The dump files go where the invoking user (root or postgres) can write.
WORK=$(mktemp -d)
cleanup() {
    NUMAUDIT_PGDIR=$PGDIR NUMAUDIT_PGPORT=$PORT "$REPO_DIR/test/scripts/cluster.sh" stop || true
    rm -rf "$WORK"
}
trap cleanup EXIT
started=$(date +%s)

# 1. The source database. Rows added here take their ids from the identity
# sequences, so a restore that lost the sequences' positions would collide.
psql_ -q -d postgres -c 'CREATE DATABASE dumpsrc'
psql_ -q -d dumpsrc -c 'CREATE EXTENSION numaudit' -f "$REPO_DIR/examples/example_customer.sql" >/dev/null
psql_ -q -d dumpsrc >/dev/null <<SQL
INSERT INTO numaudit.usage_kind (kind, status, usage, rank) VALUES ('paging_group', 'Used-Utility', 'Paging', 12);
INSERT INTO numaudit.service (hierarchy_id, cluster, kind, name, pattern)     -- partition: its default ''
    VALUES (11, 'EMEA-1', 'paging_group', 'PG-London-All', '1070');
WITH s AS (INSERT INTO numaudit.hierarchy (parent_id, name, kind)
           VALUES (10, \$n\$Zürich "Nord" — O'Brien’s 東京 \\ ☎\$n\$, 'site') RETURNING id),
     d AS (INSERT INTO numaudit.device (hierarchy_id, cluster, kind, name)
           SELECT s.id, 'EMEA-1', v.kind, v.name FROM s,
                  (VALUES ('phone', 'SEP00F1E2D3C4B5'), ('device_profile', 'DP-o''brien-ß')) v (kind, name)
           RETURNING id, kind)
INSERT INTO numaudit.device_line (device_id, line_index, pattern, partition)
SELECT id, 1, CASE kind WHEN 'phone' THEN '4001' ELSE '4002' END, 'PT-Zürich' FROM d;
INSERT INTO numaudit.number (hierarchy_id, internal_number, status, usage, description) VALUES
    (11, '1097', 'Reserved', NULL, E'Board room\n\t"VIP" line \\\\ O''Neil — ünïcødé'),
    (12, '2099', 'Available', NULL, NULL);
-- The root's new row version lies after its children's: pg_dump's COPY of
-- hierarchy then lists children before their parent.
UPDATE numaudit.hierarchy SET number_management = true WHERE id = 1;
SQL
# History: a run, a CALL per site, a CALL for some sites (sites not NULL),
# and a sweep of audit_all (audit_run rows refer to it).
psql_ -q -d dumpsrc >"$WORK/audits.log" 2>&1 <<SQL || { fail "audits of dumpsrc: $(cat "$WORK/audits.log")"; exit 1; }
SELECT count(*) FROM numaudit.run('$ACME', 'customer');
CALL numaudit.audit('$GLOBEX', 'site');
CALL numaudit.audit('$ACME', 'site', ARRAY['London', 'Paris']);
CALL numaudit.audit_all();
SQL
log "[dump] dumpsrc: $(q dumpsrc "SELECT format('%s entries, %s runs, %s changes',
        (SELECT count(*) FROM numaudit.number), (SELECT count(*) FROM numaudit.audit_run),
        (SELECT count(*) FROM numaudit.audit_change))")"

# 2. Dump and restore, custom and plain formats.
psql_ -q -d postgres -c 'CREATE DATABASE dumpdst' -c 'CREATE DATABASE dumpplain' -c 'CREATE DATABASE dumpinserts'
# pg_dump warns that hierarchy's foreign key to itself (parent_id) is a
# "circular foreign-key constraint" among the tables whose data it dumps. A
# restore from COPY (the default) is unaffected: the check runs at the end of
# the statement. That warning is expected; anything else on stderr fails.
known='circular foreign-key constraints on this table:$|detail: hierarchy$|hint: You might not be able to restore|hint: Consider using a full dump'
rc=0
"$PG_BINDIR/pg_dump" -Fc -d dumpsrc -f "$WORK/src.dump" 2>"$WORK/dump.err" || rc=$?
other=$(grep -Ev "$known" "$WORK/dump.err" || true)
[ $rc = 0 ] && [ -z "$other" ] && pass "pg_dump -Fc of dumpsrc ($(grep -c 'circular' "$WORK/dump.err" || true) expected warning on hierarchy's self-reference)" ||
    fail "pg_dump -Fc exited $rc: $(short <<<"$other")"
rc=0
"$PG_BINDIR/pg_restore" -d dumpdst "$WORK/src.dump" 2>"$WORK/restore.err" || rc=$?
[ $rc = 0 ] && [ ! -s "$WORK/restore.err" ] && pass "pg_restore -d dumpdst: exit 0, stderr empty" ||
    fail "pg_restore -d dumpdst exited $rc: $(short <"$WORK/restore.err")"
rc=0
"$PG_BINDIR/pg_dump" -Fp -d dumpsrc 2>"$WORK/dump.err" | psql_ -q -d dumpplain >/dev/null 2>"$WORK/plain.err" || rc=$?
other=$(grep -Ev "$known" "$WORK/dump.err" || true)
[ $rc = 0 ] && [ -z "$other" ] && [ ! -s "$WORK/plain.err" ] &&
    pass "pg_dump -Fp | psql -v ON_ERROR_STOP=1 into dumpplain: exit 0, nothing else on stderr" ||
    fail "pg_dump -Fp | psql into dumpplain exited $rc: $(cat - "$WORK/plain.err" <<<"$other" | short)"

# --inserts: one INSERT per row, each checking its foreign keys at once, so
# hierarchy's rows must come parents first (its dump filter orders them).
rc=0
"$PG_BINDIR/pg_dump" --inserts -d dumpsrc 2>"$WORK/dump.err" | psql_ -q -d dumpinserts >/dev/null 2>"$WORK/inserts.err" || rc=$?
other=$(grep -Ev "$known" "$WORK/dump.err" || true)
[ $rc = 0 ] && [ -z "$other" ] && [ ! -s "$WORK/inserts.err" ] &&
    pass "pg_dump --inserts | psql -v ON_ERROR_STOP=1 into dumpinserts: exit 0, nothing else on stderr" ||
    fail "pg_dump --inserts | psql into dumpinserts exited $rc: $(cat - "$WORK/inserts.err" <<<"$other" | short)"

# 3. Same contents. Every sequence of the schema, found in dumpsrc's catalog.
SEQ_SQL=$(q dumpsrc "SELECT string_agg(format('SELECT %L, last_value, is_called FROM %s', c.relname, c.oid::regclass),
                                       ' UNION ALL ' ORDER BY c.relname)
                       FROM pg_class c WHERE c.relkind = 'S' AND c.relnamespace = 'numaudit'::regnamespace")
snapshot() { # DB DIR: each table, the sequences, the version, into files
    local t
    mkdir -p "$2"
    for t in $TABLES; do
        psql_ -qAt -d "$1" -c "COPY (SELECT * FROM numaudit.${t%%:*} ORDER BY ${t#*:}) TO STDOUT" >"$2/${t%%:*}"
    done
    q "$1" "$SEQ_SQL" >"$2/sequences"
    q "$1" "SELECT extversion FROM pg_extension WHERE extname = 'numaudit'" >"$2/version"
}
snapshot dumpsrc "$WORK/src"
[ "$(wc -l <"$WORK/src/sequences")" -ge 6 ] || fail "dumpsrc has $(wc -l <"$WORK/src/sequences") sequences, expected the 6 identity ones"
for db in dumpdst dumpplain dumpinserts; do
    snapshot "$db" "$WORK/$db"
    bad=0
    for t in $TABLES sequences: version:; do
        f=${t%%:*}
        if ! cmp -s "$WORK/src/$f" "$WORK/$db/$f"; then
            bad=1
            fail "$db: $f differs ($db $(wc -l <"$WORK/$db/$f") rows, dumpsrc $(wc -l <"$WORK/src/$f")): $(diff "$WORK/src/$f" "$WORK/$db/$f" | short)"
        fi
    done
    [ $bad = 0 ] && pass "$db: the 10 tables ($(for t in $TABLES; do printf '%s %s, ' "${t%%:*}" "$(wc -l <"$WORK/src/${t%%:*}")"; done | sed 's/, $//') rows), $(wc -l <"$WORK/src/sequences") sequences and version $(cat "$WORK/src/version") equal dumpsrc's"
done

# 4. The restored databases work. Reads first, while the data is as dumped:
# dry runs of every customer, and 0.2.0's view over the inventory.
dry() { q "$1" "SELECT r::text FROM numaudit.run('$2', '$3', dry_run => true) r ORDER BY 1"; }
summary() { q "$1" "SELECT s::text FROM numaudit.inventory_summary s ORDER BY customer_id, site_id NULLS FIRST"; }
for db in dumpdst dumpplain dumpinserts; do
    want=$(summary dumpsrc 2>&1) || true
    got=$(summary "$db" 2>&1) || true
    [ "$got" = "$want" ] && pass "$db: numaudit.inventory_summary: the same $(wc -l <<<"$got") rows as dumpsrc" ||
        fail "$db: numaudit.inventory_summary differs: $(diff <(echo "$want") <(echo "$got") | short)"
    for c in "$ACME customer" "$ACME site" "$GLOBEX site"; do
        read -r cust scope <<<"$c"
        want=$(dry dumpsrc "$cust" "$scope" 2>&1) || true
        got=$(dry "$db" "$cust" "$scope" 2>&1) || true
        [ -n "$want" ] && [ "$got" = "$want" ] && pass "$db: dry run of $c: the same $(wc -l <<<"$got") rows as dumpsrc" ||
            fail "$db: dry run of $c differs from dumpsrc: $(diff <(echo "$want") <(echo "$got") | short)"
    done
    # Tracking state is the cluster's, not the data's: baselines are not
    # dumped, so a restored database starts without them (its first
    # incremental audit of each scope is full).
    base_src=$(q dumpsrc "SELECT count(*) FROM numaudit.baseline")
    mode=$(psql_ -qAt -d "$db" -c "SELECT count(*) FROM numaudit.run('$ACME', 'customer', incremental => true)" \
             -c "SELECT concat_ws('|', (SELECT count(*) FROM numaudit.baseline WHERE run_id <> numaudit.last_run_id()),
                                       (SELECT mode FROM numaudit.audit_run WHERE id = numaudit.last_run_id()))" 2>&1 | tail -1) || true
    [ "$base_src" -gt 0 ] && [ "$mode" = "0|full" ] &&
        pass "$db: no baseline restored ($base_src in dumpsrc): its first incremental audit ran full ($mode)" ||
        fail "$db: baselines after restore / mode of the first incremental audit: '$mode' (dumpsrc has $base_src)"
    # Writes: a new device, no id given, with a line whose number Paris has no entry for.
    max=$(q "$db" "SELECT coalesce(max(id), 0) FROM numaudit.device")
    id=$(q "$db" "WITH d AS (INSERT INTO numaudit.device (hierarchy_id, cluster, kind, name)
                             VALUES (12, 'EMEA-1', 'phone', 'SEP00AABBCCDDEE') RETURNING id)
                  INSERT INTO numaudit.device_line (device_id, line_index, pattern)
                  SELECT id, 1, '2105' FROM d RETURNING device_id" 2>&1) || true
    [[ $id =~ ^[0-9]+$ ]] && [ "$id" -gt "$max" ] && pass "$db: device inserted without an id got fresh id $id (max was $max)" ||
        fail "$db: device insert without an id: '$(short <<<"$id")' (max id $max)"
    runs=$(q "$db" "SELECT coalesce(max(id), 0) FROM numaudit.audit_run")
    out=$(psql_ -qAt -d "$db" -c "CALL numaudit.audit('$ACME', 'site', ARRAY['Paris'])" \
            -c "SELECT concat_ws('|', r.id > $runs AND r.id = numaudit.last_run_id(), r.status, r.added, n.status, n.usage)
                  FROM numaudit.audit_run r, numaudit.number n
                 WHERE n.hierarchy_id = 12 AND n.internal_number = '2105'
                 ORDER BY r.id DESC LIMIT 1" 2>"$WORK/audit.err") || true
    [ "$out" = "t|done|1|Used|Device" ] && pass "$db: a real audit of Paris is accepted, recorded under a fresh run id (last_run_id) and adds 2105: $out" ||
        fail "$db: real audit of Paris: '$out', expected 't|done|1|Used|Device': $(short <"$WORK/audit.err")"
done

# 5. Rows from before 0.3.0 that break the tree rules.
psql_ -q -d postgres -c 'CREATE DATABASE dumplegacy' -c 'CREATE DATABASE legacyplain' -c 'CREATE DATABASE legacyreplica'
psql_ -q -d dumplegacy -c 'CREATE EXTENSION numaudit' -f "$REPO_DIR/examples/example_customer.sql" >/dev/null
psql_ -q -d dumplegacy >/dev/null <<'SQL'
SET session_replication_role = replica;  -- as rows written before 0.3.0 are
INSERT INTO numaudit.hierarchy (id, parent_id, name, kind) VALUES
    (900, 2, 'Stray', 'site'), (901, NULL, 'Lone', 'customer'), (902, 2, 'Acme.Old', 'customer');
SQL
legacy_rows() { q "$1" "SELECT string_agg(format('%s %s %s', id, name, kind), ', ' ORDER BY id) FROM numaudit.hierarchy WHERE id >= 900"; }
"$PG_BINDIR/pg_dump" -Fp -d dumplegacy -f "$WORK/legacy.sql" 2>/dev/null
rc=0
psql_ -q -d legacyplain -f "$WORK/legacy.sql" >/dev/null 2>"$WORK/legacy.err" || rc=$?
[ $rc != 0 ] && grep -q 'breaks a tree rule' "$WORK/legacy.err" &&
    pass "legacy rows: a plain restore stops at the tree check ($(grep -o 'ERROR: .*' "$WORK/legacy.err" | head -1 | cut -c1-90)...)" ||
    fail "legacy rows: a plain restore exited $rc: $(short <"$WORK/legacy.err")"
rc=0
PGOPTIONS='-c session_replication_role=replica' psql_ -q -d legacyreplica -f "$WORK/legacy.sql" >/dev/null 2>"$WORK/legacy.err" || rc=$?
[ $rc = 0 ] && [ ! -s "$WORK/legacy.err" ] && [ "$(legacy_rows legacyreplica)" = "$(legacy_rows dumplegacy)" ] &&
    [ "$(q legacyreplica "SELECT count(DISTINCT id) FROM numaudit.check_hierarchy()")" = 3 ] &&
    pass "legacy rows: restored with session_replication_role = replica: $(legacy_rows legacyreplica); check_hierarchy() lists the 3" ||
    fail "legacy rows: restore with session_replication_role = replica exited $rc: $(short <"$WORK/legacy.err"); rows '$(legacy_rows legacyreplica)'"

log "[dump] took $(($(date +%s) - started)) s"
finish dump

#!/usr/bin/env bash
# Moves one customer from its shard to another, with its ids:
#   PROXY='host=... port=... dbname=proxy' examples/sharding/move_customer.sh CUSTOMER_PATH TO_SHARD
# The shards' connection strings are read from the proxy (server
# numaudit_shards, options p<N>); the user is libpq's (PGUSER), on the proxy
# and the shards alike, and must be able to write numaudit's tables there.
# Steps (README.md, "Moving a customer between shards"):
#   1. stop its audits: number management off on the old shard, then wait
#      until no audit of it is running;
#   2. copy its sites, devices, lines, services, inventory and history from
#      one snapshot of the old shard into the new one, in one transaction,
#      with their ids (its provider and reseller are found there by name, or
#      added; its audit runs without their sweep_id: sweeps stay on the shard
#      that ran them), and check that the copy equals the snapshot;
#   3. check the old shard did not change meanwhile, then flip its
#      directory row on the proxy in one transaction;
#   4. number management back on, on the new shard; delete the customer on
#      the old shard, in one transaction.
# Pause the customer's loaders for the move: a change on the old shard after
# step 2 makes step 3 stop, undo the copy and leave the customer where it was.
set -euo pipefail
[ $# -eq 2 ] || { echo "usage: PROXY=conninfo $0 CUSTOMER_PATH TO_SHARD" >&2; exit 2; }
CUSTOMER=$1
TO=$2
: "${PROXY:?PROXY must be the libpq connection string of the proxy database}"
WAIT_SECONDS=${MOVE_WAIT_SECONDS:-600}
PSQL=${PSQL:-psql}
sql() { "$PSQL" -X -v ON_ERROR_STOP=1 -qAt "$@"; }
say() { printf 'move_customer: %s\n' "$*"; }

FROM=$(sql "$PROXY" -v c="$CUSTOMER" <<<"SELECT shard FROM numaudit_proxy.customer_directory WHERE customer = :'c'")
[ -n "$FROM" ] || { say "customer $CUSTOMER is not in the directory (give its path)"; exit 1; }
[ "$FROM" != "$TO" ] || { say "$CUSTOMER is already on shard $TO"; exit 0; }
conninfo() {
    sql "$PROXY" -c "SELECT o.option_value FROM pg_foreign_server s,
                            pg_options_to_table(s.srvoptions) o
                      WHERE s.srvname = 'numaudit_shards' AND o.option_name = 'p$1'" </dev/null
}
OLD=$(conninfo "$FROM")
NEW=$(conninfo "$TO")
[ -n "$NEW" ] || { say "the proxy has no shard $TO"; exit 1; }
v_old=$(sql "$OLD" -c "SELECT extversion FROM pg_extension WHERE extname = 'numaudit'")
v_new=$(sql "$NEW" -c "SELECT extversion FROM pg_extension WHERE extname = 'numaudit'")
[ "$v_old" = "$v_new" ] || { say "numaudit $v_old on shard $FROM but $v_new on shard $TO: update first"; exit 1; }

CID=$(sql "$OLD" -v c="$CUSTOMER" <<<"SELECT numaudit._customer_id(:'c')")
others=$(sql "$OLD" -c "SELECT count(*) FROM numaudit.hierarchy WHERE parent_id = $CID AND kind <> 'site'")
[ "$others" = 0 ] || { say "customer $CID has children that are not sites"; exit 1; }
exists=$(sql "$NEW" -v c="$CUSTOMER" <<<"SELECT count(*) FROM numaudit.hierarchy h
                                          WHERE h.kind = 'customer' AND numaudit._node_path(h.id) = :'c'")
[ "$exists" = 0 ] || { say "shard $TO already has a customer $CUSTOMER"; exit 1; }
say "$CUSTOMER (id $CID): shard $FROM -> shard $TO"

# The customer's rows, table by table: WHERE clauses on the old shard.
NODES="SELECT $CID UNION ALL SELECT id FROM numaudit.hierarchy WHERE parent_id = $CID"
declare -A ROWS=(
    [hierarchy]="SELECT * FROM numaudit.hierarchy WHERE id IN ($NODES) ORDER BY parent_id NULLS FIRST, id"
    [device]="SELECT * FROM numaudit.device WHERE hierarchy_id IN ($NODES) ORDER BY id"
    [device_line]="SELECT l.* FROM numaudit.device_line l JOIN numaudit.device d ON d.id = l.device_id
                    WHERE d.hierarchy_id IN ($NODES) ORDER BY l.device_id, l.line_index"
    [service]="SELECT * FROM numaudit.service WHERE hierarchy_id IN ($NODES) ORDER BY id"
    [number]="SELECT * FROM numaudit.number WHERE hierarchy_id IN ($NODES) ORDER BY id"
    [audit_run]="SELECT * FROM numaudit.audit_run WHERE customer_id = $CID ORDER BY id"
    [audit_change]="SELECT c.* FROM numaudit.audit_change c JOIN numaudit.audit_run r ON r.id = c.run_id
                     WHERE r.customer_id = $CID ORDER BY c.id"
)
TABLES=(hierarchy device device_line service number audit_run audit_change)
# One md5 over every row of the customer, on either shard. The customer's
# own parent_id differs between shards and number_management is switched by
# the move: both are left out of the hierarchy rows. audit_run.sweep_id
# names a sweep of the old shard (CALL numaudit.audit_all), which stays
# there: the copies' is NULL, and it is left out.
fingerprint() {
    local t parts=()
    for t in "${TABLES[@]}"; do
        if [ "$t" = hierarchy ]; then
            parts+=("(SELECT md5(coalesce(string_agg(concat_ws('|', h.id, CASE WHEN h.id = $CID THEN NULL ELSE h.parent_id END,
                                                             h.name, h.kind, h.dial_plan, h.site_location_code),
                                                   ';' ORDER BY h.id), '')) FROM (${ROWS[$t]}) h)")
        else
            local key=x.id row=x::text
            [ "$t" = device_line ] && key="x.device_id, x.line_index"
            [ "$t" = audit_run ] && row="(to_jsonb(x) - 'sweep_id')::text"
            parts+=("(SELECT md5(coalesce(string_agg($row, ';' ORDER BY $key), '')) FROM (${ROWS[$t]}) x)")
        fi
    done
    local IFS=,
    echo "SELECT concat_ws(' ', ${parts[*]})"
}

# 1. Stop its audits.
MANAGED=$(sql "$OLD" -c "SELECT number_management FROM numaudit.hierarchy WHERE id = $CID")
sql "$OLD" -c "UPDATE numaudit.hierarchy SET number_management = false WHERE id = $CID"
flipped=no
copied=no
restore() {
    if [ "$flipped" = no ]; then
        [ "$copied" = yes ] && { undo_copy "$NEW" || true; }
        sql "$OLD" -c "UPDATE numaudit.hierarchy SET number_management = '$MANAGED' WHERE id = $CID" || true
        say "stopped before the flip: $CUSTOMER stays on shard $FROM"
    elif [ "$flipped" = yes ]; then
        say "stopped after the flip: $CUSTOMER is on shard $TO; left to do: number_management = '$MANAGED'" \
            "for id $CID on shard $TO, and deleting it on shard $FROM"
    fi
}
trap restore EXIT
for ((i = 0; ; i++)); do
    running=$(sql "$OLD" -c "SELECT count(*) FROM numaudit.audit_run WHERE customer_id = $CID AND status = 'running'")
    [ "$running" = 0 ] && break
    [ "$i" -lt "$WAIT_SECONDS" ] || { say "an audit of $CUSTOMER is still running after $WAIT_SECONDS s"; exit 1; }
    sleep 1
done

# 2. Copy, from one snapshot.
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"; restore' EXIT
{
    echo "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY;"
    for t in "${TABLES[@]}"; do
        echo "\\copy ($(tr '\n' ' ' <<<"${ROWS[$t]}")) TO '$WORK/$t.copy'"
    done
    echo "\\copy (WITH RECURSIVE up (id, parent_id, name, kind, depth) AS (SELECT p.id, p.parent_id, p.name, p.kind, 0 FROM numaudit.hierarchy p WHERE p.id = (SELECT parent_id FROM numaudit.hierarchy WHERE id = $CID) UNION ALL SELECT p.id, p.parent_id, p.name, p.kind, up.depth + 1 FROM numaudit.hierarchy p JOIN up ON p.id = up.parent_id) SELECT name, kind FROM up ORDER BY depth DESC) TO '$WORK/ancestors.copy'"
    echo "\\o $WORK/fingerprint"
    fingerprint
    echo ";"
    echo "\\o"
    echo "COMMIT;"
} | sql "$OLD"
SNAP=$(cat "$WORK/fingerprint")

{
    echo "BEGIN;"
    echo "CREATE TEMP TABLE mv_ancestors (name text, kind text) ON COMMIT DROP;"
    echo "\\copy mv_ancestors FROM '$WORK/ancestors.copy'"
    for t in "${TABLES[@]}"; do
        echo "CREATE TEMP TABLE mv_$t (LIKE numaudit.$t) ON COMMIT DROP;"
        echo "\\copy mv_$t FROM '$WORK/$t.copy'"
    done
    cat <<SQL
DO \$\$
DECLARE
    a record;
    parent bigint;
    node bigint;
    clash text;
BEGIN
    SELECT string_agg(v.t, ', ') INTO clash FROM (
        SELECT 'hierarchy' AS t WHERE EXISTS (SELECT FROM numaudit.hierarchy h JOIN mv_hierarchy m USING (id))
        UNION ALL SELECT 'device' WHERE EXISTS (SELECT FROM numaudit.device x JOIN mv_device m USING (id))
        UNION ALL SELECT 'service' WHERE EXISTS (SELECT FROM numaudit.service x JOIN mv_service m USING (id))
        UNION ALL SELECT 'number' WHERE EXISTS (SELECT FROM numaudit.number x JOIN mv_number m USING (id))
        UNION ALL SELECT 'audit_run' WHERE EXISTS (SELECT FROM numaudit.audit_run x JOIN mv_audit_run m USING (id))
        UNION ALL SELECT 'audit_change' WHERE EXISTS (SELECT FROM numaudit.audit_change x JOIN mv_audit_change m USING (id))) v;
    IF clash IS NOT NULL THEN
        RAISE EXCEPTION 'ids of the customer are taken on the new shard (%): give each shard its own id range (shard.sql)', clash;
    END IF;
    -- The provider and reseller: found by name, or added.
    FOR a IN SELECT * FROM mv_ancestors LOOP
        SELECT h.id INTO node FROM numaudit.hierarchy h
         WHERE h.name = a.name AND h.parent_id IS NOT DISTINCT FROM parent;
        IF node IS NULL THEN
            INSERT INTO numaudit.hierarchy (parent_id, name, kind) VALUES (parent, a.name, a.kind)
                RETURNING id INTO node;
        END IF;
        parent := node;
    END LOOP;
    UPDATE mv_hierarchy SET parent_id = parent WHERE id = $CID;
END
\$\$;
INSERT INTO numaudit.hierarchy SELECT * FROM mv_hierarchy ORDER BY parent_id = $CID, id;
INSERT INTO numaudit.device SELECT * FROM mv_device;
INSERT INTO numaudit.device_line SELECT * FROM mv_device_line;
INSERT INTO numaudit.service SELECT * FROM mv_service;
INSERT INTO numaudit.number SELECT * FROM mv_number;
UPDATE mv_audit_run SET sweep_id = NULL;  -- its sweep stays on the old shard
INSERT INTO numaudit.audit_run SELECT * FROM mv_audit_run;
INSERT INTO numaudit.audit_change SELECT * FROM mv_audit_change;
COMMIT;
SQL
} | sql "$NEW"
copied=yes
undo_copy() {
    sql "$1" <<SQL
BEGIN;
DELETE FROM numaudit.audit_run WHERE customer_id = $CID;
DELETE FROM numaudit.number WHERE hierarchy_id IN ($NODES);
DELETE FROM numaudit.service WHERE hierarchy_id IN ($NODES);
DELETE FROM numaudit.device WHERE hierarchy_id IN ($NODES);
DELETE FROM numaudit.hierarchy WHERE parent_id = $CID;
DELETE FROM numaudit.hierarchy WHERE id = $CID;
COMMIT;
SQL
}
COPIED=$(sql "$NEW" -c "$(fingerprint)")
if [ "$COPIED" != "$SNAP" ]; then
    say "the copy on shard $TO differs from the snapshot of shard $FROM: undone"
    exit 1
fi

# 3. Flip, unless the old shard changed since the snapshot.
NOW=$(sql "$OLD" -c "$(fingerprint)")
if [ "$NOW" != "$SNAP" ]; then
    say "$CUSTOMER changed on shard $FROM during the move (pause its loaders): copy undone"
    exit 1
fi
n=$(sql "$PROXY" -v c="$CUSTOMER" <<SQL
BEGIN;
UPDATE numaudit_proxy.customer_directory SET shard = $TO, changed_at = now()
 WHERE customer = :'c' AND shard = $FROM;
SELECT count(*) FROM numaudit_proxy.customer_directory WHERE customer = :'c' AND shard = $TO;
COMMIT;
SQL
)
[ "$n" = 1 ] || { say "the directory row of $CUSTOMER changed meanwhile: copy undone"; exit 1; }
flipped=yes
say "directory: $CUSTOMER is on shard $TO"

# 4. Audits back on, on the new shard; the old copy goes.
sql "$NEW" -c "UPDATE numaudit.hierarchy SET number_management = '$MANAGED' WHERE id = $CID"
undo_copy "$OLD"
flipped=done
say "deleted on shard $FROM; moved $(wc -l <"$WORK/number.copy") inventory entries and $(wc -l <"$WORK/audit_run.copy") audit runs"

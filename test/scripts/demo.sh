#!/usr/bin/env bash
# The numaudit demo, from nothing (a fresh Debian 12 machine, as root):
# installs what is missing, builds and installs the extension, starts a
# throwaway PostgreSQL 15 cluster, loads the bundled example customers
# (examples/example_customer.sql) into a new database numaudit_demo and
# audits them. The cluster is left running so that you can look around.
#   bash test/scripts/demo.sh
# NUMAUDIT_PGDIR (default /tmp/numaudit-pg) and NUMAUDIT_PGPORT (default
# 54329) choose where the cluster lives; starting it wipes that directory.
set -euo pipefail
cd "$(dirname "$0")/../.."

bash test/scripts/setup.sh

export PG_CONFIG=${PG_CONFIG:-/usr/lib/postgresql/15/bin/pg_config}
bindir=$("$PG_CONFIG" --bindir)
eval "$(test/scripts/cluster.sh start)"
export PGDATABASE=numaudit_demo

psql() { "$bindir/psql" -X -v ON_ERROR_STOP=1 -P pager=off -P 'null=(null)' "$@"; }
section() { printf '\n== %s\n\n' "$*"; }

psql -q -d postgres -c 'CREATE DATABASE numaudit_demo'
psql -q -c 'CREATE EXTENSION numaudit'
psql -q -f examples/example_customer.sql >/dev/null

# Every inventory entry with the path of the node that holds it.
inventory="
WITH RECURSIVE node (id, path) AS (
    SELECT id, name FROM numaudit.hierarchy WHERE parent_id IS NULL
    UNION ALL
    SELECT h.id, n.path || '.' || h.name FROM numaudit.hierarchy h JOIN node n ON h.parent_id = n.id
)
SELECT node.path AS hierarchy, e.internal_number, e.status, e.usage, e.description
  FROM numaudit.number e JOIN node ON node.id = e.hierarchy_id
 ORDER BY node.path, e.internal_number;"

section "The inventory as loaded from examples/example_customer.sql (drifted)"
psql -c "$inventory"

section "SELECT * FROM numaudit.run('Acme', 'customer', dry_run => true): what would change, nothing written"
psql -c "SELECT * FROM numaudit.run('Acme', 'customer', dry_run => true);"

section "CALL numaudit.audit('Acme', 'site'): audits and commits site by site"
psql -c "CALL numaudit.audit('Acme', 'site');"

section "Its history row in numaudit.audit_run (the dry run left none)"
psql -c "
SELECT id, customer, scope, entry_point, status, sites_done, sites_total,
       added, updated, unchanged, skipped, conflicts, run_by, error
  FROM numaudit.audit_run ORDER BY id;"

section "SELECT * FROM numaudit.run('Globex', 'site'): the slc customer, in one transaction"
psql -c "SELECT * FROM numaudit.run('Globex', 'site');"

section "The inventory after the audits"
psql -c "$inventory"

section "SELECT * FROM numaudit.uses('Acme', '1000'): why is 1000 Used?"
psql -c "SELECT * FROM numaudit.uses('Acme', '1000');"

section "numaudit.inventory_summary: entries by status, per customer and site"
psql -c "SELECT customer, site, total, available, used, used_utility, reserved, cooling, share_available
           FROM numaudit.inventory_summary ORDER BY customer, site NULLS FIRST;"

section "CALL numaudit.audit_all(): every customer, incremental where a baseline allows (what pg_cron jobs run for a fleet)"
psql -c "CALL numaudit.audit_all();"
psql -c "SELECT sweep_id, under, status, customers, done, failed, busy, skipped, left_to_do FROM numaudit.sweep_status;"
psql -c "SELECT r.customer, r.scope, r.mode, r.status, r.sweep_id FROM numaudit.audit_run r WHERE r.sweep_id IS NOT NULL ORDER BY r.id;"

stop="bash test/scripts/cluster.sh stop"
[ -n "${NUMAUDIT_PGPORT:-}" ] && stop="NUMAUDIT_PGPORT=$NUMAUDIT_PGPORT $stop"
[ -n "${NUMAUDIT_PGDIR:-}" ] && stop="NUMAUDIT_PGDIR=$NUMAUDIT_PGDIR $stop"
cat <<EOF

== Done. The cluster is still running.

Connect:  psql -h $PGHOST -p $PGPORT -U $PGUSER -d numaudit_demo
Stop:     $stop
Try next: SELECT * FROM numaudit.run('Acme', 'customer');  -- also audits Acme's customer-level entries
EOF

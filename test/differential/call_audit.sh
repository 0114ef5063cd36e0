#!/usr/bin/env bash
# Differential test of a committing CALL numaudit.audit against the oracle
# (test/differential/README.md).
#
#   test/differential/call_audit.sh [count] [seed] [first]
#
# The scenarios of run.sh (default 300 of seed 42, from 0), each audited by
# CALL numaudit.audit issued as a statement of its own in autocommit mode, so
# that it commits after every site, then compared with the oracle: the rows
# of audit_change (as a multiset), the inventory, updated_at and the
# audit_run row. Database NUMAUDIT_DIFF_CALL_DB (default
# numaudit_differential_call), dropped and created again. Exits non-zero on
# any mismatch.
set -euo pipefail

count=${1:-300}
seed=${2:-42}
first=${3:-0}
db=${NUMAUDIT_DIFF_CALL_DB:-numaudit_differential_call}
show=${NUMAUDIT_DIFF_SHOW:-5}
here=$(cd "$(dirname "$0")" && pwd)
# NUMAUDIT_DIFF_MESSY=0: clean data only (no whitespace, escaped or invalid
# entries, invalid patterns, duplicate entries, long texts; differential.sql).
messy=${NUMAUDIT_DIFF_MESSY:-1}
[[ $messy =~ ^(0|1|on|off)$ ]] || { echo "NUMAUDIT_DIFF_MESSY: 0 or 1" >&2; exit 2; }

for v in "$count" "$seed" "$first" "$show"; do
    [[ $v =~ ^-?[0-9]+$ ]] || { echo "usage: $0 [count] [seed] [first]" >&2; exit 2; }
done

# The psql of the PostgreSQL of PG_CONFIG when it is set, else the one on PATH.
psql_bin=psql
[ -n "${PG_CONFIG:-}" ] && psql_bin=$("$PG_CONFIG" --bindir)/psql
psql_() { PGOPTIONS="${PGOPTIONS:-} -c client_min_messages=warning -c numaudit_diff.messy=$messy" "$psql_bin" -X -q "$@"; }

psql_ -v ON_ERROR_STOP=1 -d postgres -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db"
psql_ -v ON_ERROR_STOP=1 -d "$db" -c 'CREATE EXTENSION numaudit' \
      -c "INSERT INTO numaudit.usage_kind (kind, status, usage, rank) VALUES
              ('teams', 'Used', 'Teams', 0), ('webex', 'Used-Utility', 'Webex', 12)" \
      -f "$here/oracle.sql" -f "$here/differential.sql" -f "$here/call_audit.sql" >/dev/null

echo "call_audit: $count scenarios of seed $seed from $first, database $db"
start=$(date +%s.%N)
errors=$(mktemp)
trap 'rm -f "$errors"' EXIT
# One session, in autocommit mode: each CALL is a statement of its own. A
# failing statement does not stop the session; call_check reports it.
{
    echo '\o /dev/null'
    for ((i = first; i < first + count; i++)); do
        echo "SELECT numaudit_diff.call_prepare($seed, $i) AS args \\gset"
        echo "CALL numaudit.audit(:args);"
        echo "SELECT numaudit_diff.call_check();"
    done
} | psql_ -d "$db" -At 2>"$errors" || true
end=$(date +%s.%N)

psql_ -v ON_ERROR_STOP=1 -d "$db" -At <<SQL
SELECT format('call_audit: %s scenarios in %s s, %s mismatch(es)',
              count(*), round(($end - $start)::numeric, 1), count(*) FILTER (WHERE report IS NOT NULL))
  FROM numaudit_diff.result WHERE seed = $seed;
SELECT format('coverage (scenarios per feature): %s', string_agg(format('%s %s', t, n), ', ' ORDER BY t))
  FROM (SELECT t, count(*) AS n FROM numaudit_diff.result, unnest(features) AS t
         WHERE seed = $seed GROUP BY t) AS c;
SELECT E'\n' || report FROM numaudit_diff.result
 WHERE seed = $seed AND report IS NOT NULL ORDER BY idx LIMIT $show;
SQL
if [ -s "$errors" ]; then
    echo "errors raised during the run (first lines):"
    head -20 "$errors"
fi

bad=$(psql_ -d "$db" -Atc "SELECT count(*) FROM numaudit_diff.result WHERE seed = $seed AND report IS NOT NULL")
ran=$(psql_ -d "$db" -Atc "SELECT count(*) FROM numaudit_diff.result WHERE seed = $seed")
[ "$bad" = 0 ] && [ "$ran" = "$count" ]

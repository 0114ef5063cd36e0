#!/usr/bin/env bash
# Differential test of numaudit.run against an independent SQL oracle
# (test/differential/README.md).
#
#   test/differential/run.sh [count] [seed] [first]
#
# Runs scenarios first .. first+count-1 (default 300 scenarios of seed 42,
# from 0) in a database of its own (NUMAUDIT_DIFF_DB, default
# numaudit_differential, dropped and created again) on the cluster named by
# PGHOST/PGPORT/PGUSER, which must have numaudit installed. Each scenario is
# generated at random inside the database (setseed), audited by the oracle
# (oracle.sql) and by numaudit (numaudit.run, now and then CALL
# numaudit.audit), and compared: result rows (as multisets and in order), the
# inventory after the audit, updated_at, and the history rows. Half the
# scenarios are changed a little and audited a second time. Exits non-zero
# when any scenario disagrees, after printing the first reports in full
# (NUMAUDIT_DIFF_SHOW, default 5) and the index of every failing scenario.
#
# NUMAUDIT_DIFF_MESSY=0 generates clean data only (no whitespace, escaped,
# invalid or duplicate entries, invalid patterns, long texts; no number a
# flat customer's site could only get under 0.3.0's one-entry rule): data on
# which numaudit 0.2.0 and the 0.3.0 rules agree. Default 1: messy data too.
#
# A scenario is replayed alone with `run.sh 1 SEED IDX`; its data (before the
# audit) is loaded into the database with
#   psql -d numaudit_differential -c 'SET numaudit_diff.messy = on' \
#        -c 'SELECT numaudit_diff.generate(SEED, IDX)'
set -euo pipefail

count=${1:-300}
seed=${2:-42}
first=${3:-0}
db=${NUMAUDIT_DIFF_DB:-numaudit_differential}
batch=${NUMAUDIT_DIFF_BATCH:-50}
show=${NUMAUDIT_DIFF_SHOW:-5}
here=$(cd "$(dirname "$0")" && pwd)
# NUMAUDIT_DIFF_MESSY=0: clean data only (no whitespace, escaped or invalid
# entries, invalid patterns, duplicate entries, long texts; differential.sql).
messy=${NUMAUDIT_DIFF_MESSY:-1}
[[ $messy =~ ^(0|1|on|off)$ ]] || { echo "NUMAUDIT_DIFF_MESSY: 0 or 1" >&2; exit 2; }

for v in "$count" "$seed" "$first" "$batch" "$show"; do
    [[ $v =~ ^-?[0-9]+$ ]] || { echo "usage: $0 [count] [seed] [first]" >&2; exit 2; }
done

# The psql of the PostgreSQL of PG_CONFIG when it is set, else the one on PATH.
psql_bin=psql
[ -n "${PG_CONFIG:-}" ] && psql_bin=$("$PG_CONFIG" --bindir)/psql
psql_() { PGOPTIONS="${PGOPTIONS:-} -c client_min_messages=warning -c numaudit_diff.messy=$messy" "$psql_bin" -X -q -v ON_ERROR_STOP=1 "$@"; }

# NUMAUDIT_DIFF_DB_OPTIONS: more CREATE DATABASE options, e.g. another collation:
#   "TEMPLATE template0 LOCALE_PROVIDER icu ICU_LOCALE 'en-US' LOCALE 'C.UTF-8'"
psql_ -d postgres -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db ${NUMAUDIT_DIFF_DB_OPTIONS:-}"
psql_ -d "$db" -c 'SET client_min_messages = warning' -c 'CREATE EXTENSION numaudit' \
      -c "INSERT INTO numaudit.usage_kind (kind, status, usage, rank) VALUES
              ('teams', 'Used', 'Teams', 0), ('webex', 'Used-Utility', 'Webex', 12)" \
      -f "$here/oracle.sql" -f "$here/differential.sql" >/dev/null

echo "differential: $count scenarios of seed $seed from $first, database $db, messy data $messy"
start=$(date +%s.%N)
# One session; each batch is one statement, so one transaction.
errors=$(mktemp)
trap 'rm -f "$errors"' EXIT
{
    echo 'SET client_min_messages = warning;'
    echo '\o /dev/null'
    for ((i = first; i < first + count; i += batch)); do
        n=$((first + count - i < batch ? first + count - i : batch))
        echo "SELECT numaudit_diff.run_batch($seed, $i, $n);"
        done_so_far=$((i + n - first))
        if ((done_so_far % 1000 == 0 && done_so_far < count)); then
            echo "\\echo '  $done_so_far scenarios done'"
        fi
    done
} | psql_ -d "$db" -At 2>"$errors" || {
    cat "$errors" >&2
    echo "differential: the driver failed" >&2
    exit 1
}
end=$(date +%s.%N)

psql_ -d "$db" -At <<SQL
SELECT format('differential: %s scenarios (%s audits) in %s s, %s mismatch(es)',
              count(*), sum(rounds), round(($end - $start)::numeric, 1),
              count(*) FILTER (WHERE report IS NOT NULL))
  FROM numaudit_diff.result WHERE seed = $seed;
SELECT format('coverage (scenarios per feature): %s',
              string_agg(format('%s %s', t, n), ', ' ORDER BY t))
  FROM (SELECT t, count(*) AS n FROM numaudit_diff.result, unnest(features) AS t
         WHERE seed = $seed GROUP BY t) AS c;
SELECT E'\n' || report FROM numaudit_diff.result
 WHERE seed = $seed AND report IS NOT NULL ORDER BY idx LIMIT $show;
SELECT format(E'\nreplay a failing scenario with: %s 1 %s IDX   (IDX: %s)', '$0', $seed,
              string_agg(idx::text, ' ' ORDER BY idx))
  FROM numaudit_diff.result WHERE seed = $seed AND report IS NOT NULL HAVING count(*) > 0;
SQL

bad=$(psql_ -d "$db" -Atc "SELECT count(*) FROM numaudit_diff.result WHERE seed = $seed AND report IS NOT NULL")
[ "$bad" = 0 ]

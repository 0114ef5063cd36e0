#!/usr/bin/env bash
# The sharding example on three throwaway clusters of this machine: a proxy
# (port 54395, PL/Proxy, examples/sharding/proxy.sql) and shards 0 and 1
# (ports 54396 and 54397, numaudit and examples/sharding/shard.sql), with
# three customers on each; the bare name Acme is a customer on both shards
# (Provider1.ResellerA.Acme and Provider2.ResellerC.Acme). Checks:
#   a. through the proxy, run (dry run, and writing: against a twin database
#      of the shard in the same state), uses, inventory_summary and
#      fleet_status give exactly what the shards give directly; unknown and
#      ambiguous customers are refused by the proxy (42704, 22023), a
#      shard's own errors come back with their SQLSTATE; a writing run
#      commits on its shard even when the proxy's transaction rolls back;
#   b. every customer is on exactly one shard, the one the directory names;
#   s. CALL numaudit.audit_all() on each shard (as its pg_cron would): the
#      proxy's sweeps() gives both shards' numaudit.sweep_status rows with
#      the shard number, each shard's sweep done over all its customers;
#   c. shard 1 stopped: its customers' calls fail with 08006 "shard 1 is
#      unreachable", shard 0's still work, fleet_status and sweeps fail as a
#      whole (fleet_status_on(0), sweeps_on(0) work), also in a proxy session
#      that was already connected; shard 1 restarted: everything works again;
#   d. move_customer.sh moves a customer from shard 0 to shard 1 with its ids
#      (its audit runs without their sweep, which stays on shard 0): the same
#      answers through the proxy before and after, gone from shard 0.
# Needs numaudit installed (test/scripts/setup.sh) and postgresql-15-plproxy.
#   bash examples/sharding/test.sh        (as root or as postgres)
set -euo pipefail
REPO_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
HERE=$REPO_DIR/examples/sharding
. "$REPO_DIR/test/scripts/checks.sh"
PROXY_DIR=/tmp/numaudit-shard-proxy
PROXY_PORT=54395
SHARD_DIR=(/tmp/numaudit-shard-0 /tmp/numaudit-shard-1)
SHARD_PORT=(54396 54397)

as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
cluster() { # start|stop DIR PORT
    NUMAUDIT_PGDIR=$2 NUMAUDIT_PGPORT=$3 "$REPO_DIR/test/scripts/cluster.sh" "$1" >/dev/null
}
cleanup() {
    cluster stop "$PROXY_DIR" "$PROXY_PORT" || true
    cluster stop "${SHARD_DIR[0]}" "${SHARD_PORT[0]}" || true
    cluster stop "${SHARD_DIR[1]}" "${SHARD_PORT[1]}" || true
}
trap cleanup EXIT

[ -f "$("$PG_CONFIG" --sharedir)/extension/plproxy.control" ] || {
    log "[sharding] PL/Proxy is not installed (Debian package postgresql-15-plproxy; test/scripts/setup.sh installs it)"
    exit 1
}
cluster start "$PROXY_DIR" "$PROXY_PORT"
cluster start "${SHARD_DIR[0]}" "${SHARD_PORT[0]}"
cluster start "${SHARD_DIR[1]}" "${SHARD_PORT[1]}"
export PGUSER=postgres
export PGOPTIONS='-c client_min_messages=warning'  # numaudit's notices of full audits
unset PGHOST PGPORT PGDATABASE
PROXY_CONN="host=$PROXY_DIR port=$PROXY_PORT dbname=proxy"

px() { psql_ -qAt -h "$PROXY_DIR" -p "$PROXY_PORT" -d proxy "$@"; }          # the proxy
sh_() { local n=$1 db=$2; shift 2; psql_ -qAt -h "${SHARD_DIR[$n]}" -p "${SHARD_PORT[$n]}" -d "$db" "$@"; }
s0() { sh_ 0 numaudit "$@"; }
s1() { sh_ 1 numaudit "$@"; }
on() { local n=$1; shift; sh_ "$n" numaudit "$@"; }  # SHARD psql-args
# pg_ctl for shard 1, as a shell command (for psql's \!)
if [ "$(id -u)" = 0 ]; then PG_CTL1="runuser -u postgres -- $PG_BINDIR/pg_ctl -D ${SHARD_DIR[1]}/data"
else PG_CTL1="$PG_BINDIR/pg_ctl -D ${SHARD_DIR[1]}/data"; fi
stop_shard() { as_pg "$PG_BINDIR/pg_ctl" -D "${SHARD_DIR[$1]}/data" -m fast -w stop >/dev/null; }
start_shard() { as_pg "$PG_BINDIR/pg_ctl" -D "${SHARD_DIR[$1]}/data" -l "${SHARD_DIR[$1]}/server.log" -w start >/dev/null; }
# Runs SQL (stdin) expecting an error; prints "SQLSTATE: message" of the first.
error_of() { # psql-runner...
    local out
    if out=$("$@" -v VERBOSITY=verbose 2>&1 >/dev/null); then
        echo "no error"
    else
        sed -n 's/^ERROR:  \([0-9A-Z]\{5\}\): \(.*\)$/\1: \2/p' <<<"$out" | head -1
    fi
}
same() { # WHAT EXPECTED ACTUAL: equal and not empty
    if [ -z "$2" ]; then
        fail "$1: the shard gave nothing to compare"
    elif [ "$2" = "$3" ]; then
        pass "$1 ($(wc -l <<<"$2") rows)"
    else
        fail "$1: differs"
        diff <(echo "$2") <(echo "$3") | head -20
    fi
}

# Customers: path, shard, sites, dial plan, seed. Ids from shard.sql's ranges.
CUSTOMERS=(
    "Provider1.ResellerA.Acme 0 3 flat 1"
    "Provider1.ResellerA.Initech 0 2 flat 2"
    "Provider1.ResellerB.Globex 0 2 slc 3"
    "Provider2.ResellerC.Acme 1 3 flat 4"
    "Provider2.ResellerC.Umbrella 1 2 flat 5"
    "Provider1.ResellerB.Hooli 1 2 slc 6"
)

# The shards: numaudit, shard.sql, the sample customers; then a twin
# database in the same state, to compare writing runs against.
for n in 0 1; do
    sh_ "$n" postgres -c 'CREATE DATABASE numaudit'
    on "$n" -c 'CREATE EXTENSION numaudit'
    on "$n" -v shard="$n" -f "$HERE/shard.sql" >/dev/null
    on "$n" -f "$HERE/sample_data.sql" >/dev/null
done
for c in "${CUSTOMERS[@]}"; do
    read -r path shard sites plan seed <<<"$c"
    on "$shard" -c "SELECT numaudit_sample.add_customer('$path', ($shard + 1) * 1000000000000::bigint + $seed * 1000000, $sites, '$plan', $seed)" >/dev/null
done
for n in 0 1; do
    sh_ "$n" postgres -c 'CREATE DATABASE numaudit_twin TEMPLATE numaudit'
done

# The proxy: proxy.sql, and the directory filled from the list above.
psql_ -q -h "$PROXY_DIR" -p "$PROXY_PORT" -d postgres -c 'CREATE DATABASE proxy'
px -v shard0="host=${SHARD_DIR[0]} port=${SHARD_PORT[0]}" -v shard1="host=${SHARD_DIR[1]} port=${SHARD_PORT[1]}" \
   -v shard_user=postgres -f "$HERE/proxy.sql" >/dev/null
for c in "${CUSTOMERS[@]}"; do
    read -r path shard _ <<<"$c"
    px -c "INSERT INTO numaudit_proxy.customer_directory (customer, shard) VALUES ('$path', $shard)"
done
log "[sharding] proxy :$PROXY_PORT, shard 0 :${SHARD_PORT[0]}, shard 1 :${SHARD_PORT[1]}; PL/Proxy $(px -c "SELECT extversion FROM pg_extension WHERE extname = 'plproxy'"), numaudit $(s0 -c "SELECT extversion FROM pg_extension WHERE extname = 'numaudit'")"
log "[sharding] directory: $(px -c "SELECT string_agg(customer || '=' || shard, ' ' ORDER BY shard, customer) FROM numaudit_proxy.customer_directory")"

RUN_COLS="hierarchy, site, internal_number, action, old_status, old_usage, new_status, new_usage, detail"
sorted_run() { echo "SELECT $RUN_COLS FROM $1 ORDER BY $RUN_COLS"; }

# b. Every customer on exactly one shard, the directory's.
placement_check() { # LABEL
    local dir actual
    dir=$(px -c "SELECT customer || '|' || shard FROM numaudit_proxy.customer_directory ORDER BY 1")
    actual=$( (s0 -c "SELECT numaudit._node_path(id) || '|0' FROM numaudit.hierarchy WHERE kind = 'customer'"
               s1 -c "SELECT numaudit._node_path(id) || '|1' FROM numaudit.hierarchy WHERE kind = 'customer'") | LC_ALL=C sort)
    dir=$(LC_ALL=C sort <<<"$dir")
    local dups
    dups=$(cut -d'|' -f1 <<<"$actual" | sort | uniq -d | tr '\n' ' ')
    [ -z "$dups" ] && pass "$1: no customer is on both shards" || fail "$1: on both shards: $dups"
    same "$1: the shards' customers are the directory's (path|shard)" "$actual" "$dir"
}
placement_check "b. placement"

# a. Through the proxy, what the shards give directly.
for c in "${CUSTOMERS[@]}"; do
    read -r path shard _ plan _ <<<"$c"
    scopes=(site)
    [ "$plan" = flat ] && scopes=(customer site)
    for scope in "${scopes[@]}"; do
        direct=$(on "$shard" -c "$(sorted_run "numaudit.run('$path', '$scope', dry_run => true)")")
        proxied=$(px -c "$(sorted_run "numaudit_proxy.run('$path', '$scope', dry_run => true)")")
        same "a. dry run $path scope $scope (shard $shard)" "$direct" "$proxied"
    done
done
# Writing runs: through the proxy on numaudit, directly on the twin.
for c in "${CUSTOMERS[@]}"; do
    read -r path shard _ plan _ <<<"$c"
    scope=site
    [ "$plan" = flat ] && scope=customer
    proxied=$(px -c "$(sorted_run "numaudit_proxy.run('$path', '$scope', incremental => true)")")
    direct=$(sh_ "$shard" numaudit_twin -c "$(sorted_run "numaudit.run('$path', '$scope', incremental => true)")")
    same "a. writing run $path scope $scope (shard $shard)" "$direct" "$proxied"
    hist="SELECT concat_ws('|', customer, scope, status, mode, added, updated, unchanged, skipped, conflicts)
            FROM numaudit.audit_run WHERE customer = '$path' ORDER BY id"
    same "a. its audit_run row, shard $shard vs twin" "$(sh_ "$shard" numaudit_twin -c "$hist")" "$(on "$shard" -c "$hist")"
done
inv="SELECT concat_ws('|', id, hierarchy_id, internal_number, status, usage) FROM numaudit.number ORDER BY id"
for n in 0 1; do
    same "a. shard $n's inventory after the runs equals its twin's" "$(sh_ "$n" numaudit_twin -c "$inv")" "$(on "$n" -c "$inv")"
done
# The remote audit commits on its own: the proxy's ROLLBACK undoes nothing.
before=$(s1 -c "SELECT count(*) FROM numaudit.audit_run")
px -c "BEGIN" -c "SELECT count(*) FROM numaudit_proxy.run('Provider2.ResellerC.Umbrella', 'site')" -c "ROLLBACK" >/dev/null
after=$(s1 -c "SELECT count(*) FROM numaudit.audit_run")
[ "$after" = $((before + 1)) ] &&
    pass "a. a writing run through the proxy committed on shard 1 although the proxy's transaction rolled back ($before -> $after audit_run rows)" ||
    fail "a. audit_run rows on shard 1: $before -> $after after a run in a rolled-back proxy transaction, expected +1"

# uses: every number of each customer's inventory (and one nobody holds).
for c in "${CUSTOMERS[@]}"; do
    read -r path shard _ <<<"$c"
    nums=$(on "$shard" -c "SELECT DISTINCT n.internal_number FROM numaudit.number n
                            JOIN numaudit.hierarchy h ON h.id = n.hierarchy_id
                           WHERE numaudit._node_path(h.id) LIKE '$path%' ORDER BY 1")
    direct=""
    proxied=""
    for num in $nums 9999; do
        direct+=$(on "$shard" -c "SELECT '$num', u.* FROM numaudit.uses('$path', '$num') u")$'\n'
        proxied+=$(px -c "SELECT '$num', u.* FROM numaudit_proxy.uses('$path', '$num') u")$'\n'
    done
    same "a. uses() of $(wc -w <<<"$nums") numbers of $path" "$direct" "$proxied"
done
same "a. uses() by the bare name Initech, unique on the shards" \
    "$(s0 -c "SELECT * FROM numaudit.uses('Provider1.ResellerA.Initech', '2100')")" \
    "$(px -c "SELECT * FROM numaudit_proxy.uses('Initech', '2100')")"
# inventory_summary: against numaudit's view on the shard.
for c in "${CUSTOMERS[@]}"; do
    read -r path shard _ <<<"$c"
    same "a. inventory_summary $path" \
        "$(on "$shard" -c "SELECT * FROM numaudit.inventory_summary WHERE customer = '$path' ORDER BY site NULLS FIRST")" \
        "$(px -c "SELECT * FROM numaudit_proxy.inventory_summary('$path') ORDER BY site NULLS FIRST")"
done
# fleet_status: both shards, every customer, each latest run.
fleet="SELECT * FROM numaudit_shard.fleet_status()"
direct=$( (s0 -c "$fleet"; s1 -c "$fleet") | LC_ALL=C sort)
proxied=$(px -c "SELECT * FROM numaudit_proxy.fleet_status()" | LC_ALL=C sort)
same "a. fleet_status() over both shards" "$direct" "$proxied"
latest=$( (s0 -c "SELECT c.id || '|' || max(r.id) FROM numaudit.hierarchy c JOIN numaudit.audit_run r ON r.customer_id = c.id WHERE c.kind = 'customer' GROUP BY c.id"
           s1 -c "SELECT c.id || '|' || max(r.id) FROM numaudit.hierarchy c JOIN numaudit.audit_run r ON r.customer_id = c.id WHERE c.kind = 'customer' GROUP BY c.id") | LC_ALL=C sort)
same "a. fleet_status() names each customer's latest audit_run (customer_id|run_id)" \
    "$latest" "$(px -c "SELECT customer_id || '|' || run_id FROM numaudit_proxy.fleet_status()" | LC_ALL=C sort)"
same "a. fleet_status()'s shard column is the directory's" \
    "$(px -c "SELECT customer || '|' || shard FROM numaudit_proxy.customer_directory ORDER BY 1")" \
    "$(px -c "SELECT customer || '|' || shard FROM numaudit_proxy.fleet_status() ORDER BY 1")"

# Errors: the proxy's own, and a shard's passed through.
expect_error() { # WHAT EXPECTED-SQLSTATE EXPECTED-MESSAGE-SUBSTRING SQL
    local got
    got=$(error_of px <<<"$4")
    [[ $got == "$2: "*"$3"* ]] && pass "$1: $got" || fail "$1: got '$got', expected $2 with '$3'"
}
expect_error "a. unknown customer, refused by the proxy" 42704 'customer "Nobody" does not exist' \
    "SELECT * FROM numaudit_proxy.run('Nobody', 'site', dry_run => true)"
got=$(px -v VERBOSITY=verbose <<<"SELECT * FROM numaudit_proxy.uses('Nobody', '1')" 2>&1 || true)
[[ $got == *"numaudit_proxy.customer_directory"* && $got != *REMOTE* ]] &&
    pass "a. ... raised on the proxy (its detail names the directory)" || fail "a. unknown customer: $got"
expect_error "a. the bare name Acme, a customer on each shard" 22023 'customer name "Acme" is ambiguous' \
    "SELECT * FROM numaudit_proxy.inventory_summary('Acme')"
s0acme=$(s0 -c "SELECT count(*) FROM numaudit_shard.inventory_summary('Acme')")
[ "$s0acme" -gt 0 ] && pass "a. ... which shard 0 alone would take (its only Acme): $s0acme rows" ||
    fail "a. shard 0 did not answer for Acme"
expect_error "a. a shard's error, with its own SQLSTATE" 42704 \
    'site "Nowhere" does not exist under customer "Provider2.ResellerC.Acme"' \
    "SELECT * FROM numaudit_proxy.run('Provider2.ResellerC.Acme', 'site', ARRAY['Nowhere'], dry_run => true)"
expect_error "a. scope customer of an slc customer, from shard 1" 55000 '' \
    "SELECT * FROM numaudit_proxy.run('Provider1.ResellerB.Hooli', 'customer', dry_run => true)"

# s. Sweeps. Here, after a.'s comparisons of writing runs and history: the
# sweep's audit_run rows become each customer's latest, which c. and d.
# compare as they then are. audit_all refuses a transaction block: a lone
# CALL, as pg_cron runs it.
for n in 0 1; do
    on "$n" -c 'CALL numaudit.audit_all()' >/dev/null
done
sweeps_of() { on "$1" -c "SELECT $1, * FROM numaudit.sweep_status" | LC_ALL=C sort; }  # SHARD
same "s. sweeps() over both shards: their numaudit.sweep_status rows, with the shard number" \
    "$( (sweeps_of 0; sweeps_of 1) | LC_ALL=C sort)" "$(px -c "SELECT * FROM numaudit_proxy.sweeps()" | LC_ALL=C sort)"
managed=$(for n in 0 1; do
              on "$n" -c "SELECT $n || '|done|' || count(*) || '|' || count(*) || '|0|0'
                            FROM numaudit.hierarchy WHERE kind = 'customer' AND number_management"
          done)
same "s. each shard's sweep is done over all its managed customers (shard|status|customers|done|failed|left_to_do)" \
    "$managed" "$(px -c "SELECT concat_ws('|', shard, status, customers, done, failed, left_to_do)
                           FROM numaudit_proxy.sweeps() ORDER BY shard")"
swept=$(px -c "SELECT sum(done) FROM numaudit_proxy.sweeps()")
[ "$swept" = "${#CUSTOMERS[@]}" ] && pass "s. the sweeps audited all ${#CUSTOMERS[@]} customers of the fleet" ||
    fail "s. the sweeps audited $swept customers, expected ${#CUSTOMERS[@]}"
order=$(px -c "SELECT string_agg(shard::text, ',') FROM numaudit_proxy.sweeps()")
[ "$order" = 1,0 ] && pass "s. sweeps(): latest first (shard 1's sweep, which started last, then shard 0's)" ||
    fail "s. sweeps() order by shard: $order, expected 1,0"
for n in 0 1; do
    same "s. sweeps_on($n)" "$(sweeps_of "$n")" "$(px -c "SELECT * FROM numaudit_proxy.sweeps_on($n)" | LC_ALL=C sort)"
done
expect_error "s. sweeps_on(2): the proxy has no shard 2" 42704 'no shard 2' "SELECT * FROM numaudit_proxy.sweeps_on(2)"
by_sweep="SELECT f.customer_id || '|' || f.run_id FROM numaudit_shard.fleet_status() f
            JOIN numaudit.audit_run r ON r.id = f.run_id
            JOIN numaudit.sweep_customer c ON c.run_id = r.id AND c.sweep_id = r.sweep_id AND c.state = 'done'"
same "s. fleet_status() now names each customer's run of the sweep (customer_id|run_id)" \
    "$( (s0 -c "$by_sweep"; s1 -c "$by_sweep") | LC_ALL=C sort)" \
    "$(px -c "SELECT customer_id || '|' || run_id FROM numaudit_proxy.fleet_status()" | LC_ALL=C sort)"

# c. Shard 1 down.
stop_shard 1
log "[sharding] shard 1 stopped"
expect_error "c. uses() for a customer of shard 1" 08006 'shard 1 is unreachable' \
    "SELECT * FROM numaudit_proxy.uses('Provider2.ResellerC.Umbrella', '5100')"
expect_error "c. run() for a customer of shard 1" 08006 'shard 1 is unreachable' \
    "SELECT * FROM numaudit_proxy.run('Provider1.ResellerB.Hooli', 'site', dry_run => true)"
same "c. run() for a customer of shard 0 still works" \
    "$(s0 -c "$(sorted_run "numaudit.run('Provider1.ResellerA.Acme', 'site', dry_run => true)")")" \
    "$(px -c "$(sorted_run "numaudit_proxy.run('Provider1.ResellerA.Acme', 'site', dry_run => true)")")"
expect_error "c. fleet_status() fails as a whole" 08006 'a shard is unreachable' \
    "SELECT * FROM numaudit_proxy.fleet_status()"
same "c. fleet_status_on(0) still works" "$(s0 -c "$fleet")" "$(px -c "SELECT * FROM numaudit_proxy.fleet_status_on(0)")"
expect_error "c. sweeps() fails as a whole" 08006 'a shard is unreachable' \
    "SELECT * FROM numaudit_proxy.sweeps()"
expect_error "c. sweeps_on(1)" 08006 'shard 1 is unreachable' \
    "SELECT * FROM numaudit_proxy.sweeps_on(1)"
same "c. sweeps_on(0) still works" "$(sweeps_of 0)" "$(px -c "SELECT * FROM numaudit_proxy.sweeps_on(0)" | LC_ALL=C sort)"
start_shard 1
log "[sharding] shard 1 started again"
same "c. shard 1 back: uses() for its customer" \
    "$(s1 -c "SELECT * FROM numaudit.uses('Provider2.ResellerC.Umbrella', '5100')")" \
    "$(px -c "SELECT * FROM numaudit_proxy.uses('Provider2.ResellerC.Umbrella', '5100')")"
same "c. shard 1 back: fleet_status()" "$( (s0 -c "$fleet"; s1 -c "$fleet") | LC_ALL=C sort)" \
    "$(px -c "SELECT * FROM numaudit_proxy.fleet_status()" | LC_ALL=C sort)"
same "c. shard 1 back: sweeps()" "$( (sweeps_of 0; sweeps_of 1) | LC_ALL=C sort)" \
    "$(px -c "SELECT * FROM numaudit_proxy.sweeps()" | LC_ALL=C sort)"
# In one proxy session that is already connected to shard 1 (a pooled
# connection): the stop, then the restart.
session=$(psql_ -qAt -v ON_ERROR_STOP=0 -v VERBOSITY=verbose -h "$PROXY_DIR" -p "$PROXY_PORT" -d proxy 2>&1 <<SQL || true
SELECT 'before:' || count(*) FROM numaudit_proxy.uses('Umbrella', '5100');
\! $PG_CTL1 -m fast -w stop >/dev/null
SELECT 'down1:' || count(*) FROM numaudit_proxy.uses('Umbrella', '5100');
SELECT 'down2:' || count(*) FROM numaudit_proxy.uses('Umbrella', '5100');
SELECT 'shard0:' || count(*) FROM numaudit_proxy.uses('Initech', '2100');
\! $PG_CTL1 -l ${SHARD_DIR[1]}/server.log -w start >/dev/null
SELECT 'after:' || count(*) FROM numaudit_proxy.uses('Umbrella', '5100');
SQL
)
n_uses=$(s1 -c "SELECT count(*) FROM numaudit.uses('Umbrella', '5100')")
n_uses0=$(s0 -c "SELECT count(*) FROM numaudit.uses('Initech', '2100')")
n_unreach=$(grep -c '^ERROR:  08006: shard 1 is unreachable' <<<"$session" || true)
if grep -qx "before:$n_uses" <<<"$session" && [ "$n_unreach" = 2 ] &&
   grep -qx "shard0:$n_uses0" <<<"$session" && grep -qx "after:$n_uses" <<<"$session"; then
    pass "c. one connected proxy session: works, then 08006 twice while shard 1 is down (shard 0 still answers), then works again"
else
    fail "c. one connected proxy session:"
    printf '%s\n' "$session"
fi

# d. Move Initech from shard 0 to shard 1.
INI=Provider1.ResellerA.Initech
INI_ID=1000002000003  # shard 0's range, seed 2: (0 + 1) * 10^12 + 2 * 10^6 + 3
snapshot_via_proxy() {
    px -c "SELECT * FROM numaudit_proxy.inventory_summary('$INI') ORDER BY site NULLS FIRST"
    px -c "SELECT * FROM numaudit_proxy.uses('$INI', '2100')"
    px -c "SELECT * FROM numaudit_proxy.uses('$INI', '2250')"
    px -c "SELECT customer_id, customer, run_id, status, mode, added, updated, unchanged, skipped, conflicts
             FROM numaudit_proxy.fleet_status() WHERE customer = '$INI'"
    px -c "$(sorted_run "numaudit_proxy.run('$INI', 'customer', dry_run => true)")"
    px -c "SELECT * FROM numaudit_proxy.sweeps()"  # a sweep stays where it ran
}
rows_of() { # SHARD: the customer's rows (ids and all; audit_run without sweep_id, checked below)
    on "$1" -c "SELECT 'h|' || concat_ws('|', h.id, h.name, h.kind, h.dial_plan, h.number_management)
                  FROM numaudit.hierarchy h WHERE h.id = $INI_ID OR h.parent_id = $INI_ID ORDER BY h.id"
    on "$1" -c "SELECT 'n|' || n::text FROM numaudit.number n JOIN numaudit.hierarchy h ON h.id = n.hierarchy_id
                 WHERE h.id = $INI_ID OR h.parent_id = $INI_ID ORDER BY n.id"
    on "$1" -c "SELECT 'd|' || d::text || '|' || l::text FROM numaudit.device d JOIN numaudit.device_line l ON l.device_id = d.id
                  JOIN numaudit.hierarchy h ON h.id = d.hierarchy_id
                 WHERE h.id = $INI_ID OR h.parent_id = $INI_ID ORDER BY d.id, l.line_index"
    on "$1" -c "SELECT 's|' || s::text FROM numaudit.service s JOIN numaudit.hierarchy h ON h.id = s.hierarchy_id
                 WHERE h.id = $INI_ID OR h.parent_id = $INI_ID ORDER BY s.id"
    on "$1" -c "SELECT 'r|' || (to_jsonb(r) - 'sweep_id')::text FROM numaudit.audit_run r WHERE r.customer_id = $INI_ID ORDER BY r.id"
    on "$1" -c "SELECT 'c|' || c::text FROM numaudit.audit_change c JOIN numaudit.audit_run r ON r.id = c.run_id
                 WHERE r.customer_id = $INI_ID ORDER BY c.id"
}
before_proxy=$(snapshot_via_proxy)
before_rows=$(rows_of 0)
swept_runs=$(s0 -c "SELECT count(*) FROM numaudit.audit_run WHERE customer_id = $INI_ID AND sweep_id IS NOT NULL")
moved=$(PROXY=$PROXY_CONN PSQL=$PG_BINDIR/psql bash "$HERE/move_customer.sh" "$INI" 1 2>&1) || {
    fail "d. move_customer.sh failed"
    printf '%s\n' "$moved"
}
printf '%s\n' "$moved" | sed 's/^/[sharding] /'
[ "$(px -c "SELECT shard FROM numaudit_proxy.customer_directory WHERE customer = '$INI'")" = 1 ] &&
    pass "d. the directory names shard 1 for $INI" || fail "d. the directory does not name shard 1 for $INI"
same "d. its rows on shard 1, ids and all, are those it had on shard 0" "$before_rows" "$(rows_of 1)"
left=$(rows_of 0)
[ -z "$left" ] && pass "d. nothing of it is left on shard 0" || fail "d. left on shard 0: $(wc -l <<<"$left") rows"
moved_swept=$(s1 -c "SELECT count(*) FROM numaudit.audit_run WHERE customer_id = $INI_ID AND sweep_id IS NOT NULL")
[ "$swept_runs" -gt 0 ] && [ "$moved_swept" = 0 ] &&
    pass "d. its $swept_runs audit run(s) of shard 0's sweep came without their sweep_id" ||
    fail "d. audit runs with a sweep_id: $swept_runs on shard 0 before the move, $moved_swept on shard 1 after (expected > 0, then 0)"
same "d. through the proxy: the same answers as before the move" "$before_proxy" "$(snapshot_via_proxy)"
placement_check "d. after the move"
[ "$(s1 -c "SELECT number_management FROM numaudit.hierarchy WHERE id = $INI_ID")" = t ] &&
    pass "d. number management back on, on shard 1" || fail "d. number management is off on shard 1"
rows=$(px -c "SELECT count(*) FROM numaudit_proxy.run('$INI', 'site')")
last=$(s1 -c "SELECT concat_ws('|', r.status, (SELECT count(*) FROM numaudit.audit_change c WHERE c.run_id = r.id))
                FROM numaudit.audit_run r WHERE r.customer_id = $INI_ID ORDER BY r.id DESC LIMIT 1")
[ "$last" = "done|$rows" ] && pass "d. a writing run through the proxy now audits it on shard 1 ($rows rows, audit_run $last)" ||
    fail "d. writing run after the move: $rows rows through the proxy, shard 1's latest audit_run '$last'"

finish sharding

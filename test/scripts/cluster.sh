#!/usr/bin/env bash
# Starts or stops a throwaway PostgreSQL 15 cluster for numaudit's tests and
# demo. PostgreSQL refuses to run as root, so the server runs as `postgres`.
#   test/scripts/cluster.sh start   # prints the environment to export
#   test/scripts/cluster.sh stop
# NUMAUDIT_PGDIR (default /tmp/numaudit-pg) and NUMAUDIT_PGPORT (default 54329)
# choose where; NUMAUDIT_PRELOAD adds shared_preload_libraries.
set -euo pipefail

dir=${NUMAUDIT_PGDIR:-/tmp/numaudit-pg}
port=${NUMAUDIT_PGPORT:-54329}
bindir=$("${PG_CONFIG:-/usr/lib/postgresql/15/bin/pg_config}" --bindir)
as_pg() {
    if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

case "${1:-}" in
start)
    if [ -f "$dir/data/postmaster.pid" ]; then
        as_pg "$bindir/pg_ctl" -D "$dir/data" stop -m immediate >/dev/null 2>&1 || true
    fi
    rm -rf "$dir"
    mkdir -p "$dir"
    [ "$(id -u)" = 0 ] && chown postgres: "$dir"
    as_pg "$bindir/initdb" -D "$dir/data" -A trust -U postgres --no-sync >"$dir/initdb.log" 2>&1
    cat >>"$dir/data/postgresql.conf" <<CONF
port = $port
listen_addresses = ''
unix_socket_directories = '$dir'
fsync = off
max_connections = 50
max_prepared_transactions = 10
shared_preload_libraries = '${NUMAUDIT_PRELOAD:-}'
cron.database_name = 'postgres'
cron.host = '$dir'
log_min_messages = warning
log_line_prefix = '%m [%p] '
CONF
    as_pg "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w start >/dev/null
    echo "export PGHOST=$dir PGPORT=$port PGUSER=postgres"
    ;;
stop)
    if [ -f "$dir/data/postmaster.pid" ]; then
        as_pg "$bindir/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null
    fi
    ;;
*)
    echo "usage: $0 start|stop" >&2
    exit 2
    ;;
esac

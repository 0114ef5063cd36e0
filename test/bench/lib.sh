# Shared by test/bench/run.sh and test/bench/ab.sh (sourced): the benchmark's
# cluster and the restore of its inventory. Needs REPO_DIR, PGDIR, PORT,
# PG_BINDIR, and the functions as_pg and psql_.

# Starts the throwaway cluster with one setting for every contender
# (work_mem as shipped: the set-based SQL sets its own, larger one), exports
# PGHOST/PGPORT/PGUSER, and stops it when the script exits.
bench_cluster_start() {
    eval "$(NUMAUDIT_PGDIR=$PGDIR NUMAUDIT_PGPORT=$PORT "$REPO_DIR/test/scripts/cluster.sh" start)"
    export PGHOST PGPORT PGUSER
    trap 'NUMAUDIT_PGDIR=$PGDIR NUMAUDIT_PGPORT=$PORT "$REPO_DIR/test/scripts/cluster.sh" stop' EXIT
    cat >>"$PGDIR/data/postgresql.conf" <<CONF
shared_buffers = 2GB
maintenance_work_mem = 1GB
max_wal_size = 16GB
checkpoint_timeout = 1h
jit = off
huge_pages = ${BENCH_HUGE_PAGES:-try}
CONF
    as_pg "$PG_BINDIR/pg_ctl" -D "$PGDIR/data" -l "$PGDIR/server.log" -w restart >/dev/null
}

# restore STATE: the inventory empty (first) or as loaded (drift); history
# emptied; vacuumed and checkpointed as after a loader's run.
restore() {
    psql_ -q <<SQL >/dev/null
TRUNCATE numaudit.audit_change, numaudit.audit_run, numaudit.number;
$( [ "$1" = loaded ] && echo "INSERT INTO numaudit.number (hierarchy_id, internal_number, status, usage, description)
      SELECT hierarchy_id, internal_number, status, usage, description FROM bench.loaded ORDER BY 1, 2;" )
VACUUM (ANALYZE) numaudit.number;
CHECKPOINT;
SQL
}

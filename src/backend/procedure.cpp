// CALL numaudit.audit(customer, scope, sites): the scheduled form of an
// audit. It commits after every unit of work (each site, or the whole
// customer for scope customer) so that a large audit holds neither one huge
// transaction nor its locks for long, and keeps its audit_run row current.
//
// C style on purpose: no C++ object with a destructor lives in this function,
// so PostgreSQL errors may pass through it. The work itself runs in the
// guarded SQL functions numaudit._audit_start/_audit_step (which also fix
// their search_path, something a committing procedure cannot do).
#include "backend/audit_unit.hpp"
#include "backend/locks.hpp"
#include "backend/notify.hpp"
#include "backend/pg.hpp"
#include "backend/spi.hpp"
#include "backend/subtransaction.hpp"

extern "C" {
PG_FUNCTION_INFO_V1(numaudit_audit);
}

namespace {

void commit_if(bool nonatomic) {
    if (!nonatomic) return;
    SPI_commit();
    SPI_start_transaction();
}

void run_sql(const char* sql, int nargs, Oid* types, Datum* values, const char* nulls) {
    int rc = SPI_execute_with_args(sql, nargs, types, values, nulls, false, 0);
    if (rc < 0) elog(ERROR, "numaudit: %s failed: %s", sql, SPI_result_code_string(rc));
}

// Raises a captured error again without numaudit's internal statements in
// its CONTEXT (SPEC §3 "Messages"); the caller's context is added anew.
pg_attribute_noreturn() void raise_clean(ErrorData* edata) {
    numaudit::backend::drop_internal_context(edata);
    ThrowErrorData(edata);
    pg_unreachable();
}

// run_sql, with an error raised clean (no cleanup needed: nothing is held).
void run_sql_clean(const char* sql, int nargs, Oid* types, Datum* values, const char* nulls) {
    MemoryContext cxt = CurrentMemoryContext;
    PG_TRY();
    { run_sql(sql, nargs, types, values, nulls); }
    PG_CATCH();
    {
        MemoryContextSwitchTo(cxt);
        ErrorData* edata = CopyErrorData();
        FlushErrorState();
        raise_clean(edata);
    }
    PG_END_TRY();
}

// How the procedure calls its helpers: with the flags (0.3.0 catalogs), or
// as a database at 0.1.0/0.2.0 declares them (no dry_run, no nowait).
struct Calls {
    bool flags;
    bool nowait;
};

void run_units(const Calls& calls, bool nonatomic, int64 run_id, const int64* units, uint64 nunits);

// Ends the run: done (message NULL), or failed with the message and the
// failed unit's site; announces it. Returns the run's one-line summary.
char* finish_run(int64 run_id, int64 unit, const char* message) {
    Oid types[3] = {INT8OID, INT8OID, TEXTOID};
    Datum args[3] = {Int64GetDatum(run_id), Int64GetDatum(unit),
                     message ? CStringGetTextDatum(message) : (Datum)0};
    const char nulls[4] = {' ', unit ? ' ' : 'n', message ? ' ' : 'n', '\0'};
    run_sql_clean("SELECT numaudit._audit_finish($1, $2, $3)", 3, types, args, nulls);
    char* summary = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);
    numaudit::backend::notify_run(run_id);
    return summary;
}

// Marks the run failed with the error (and the unit's site, if any), and
// commits that. Non-atomic calls only.
void record_failure(int64 run_id, int64 unit, ErrorData* edata) {
    finish_run(run_id, unit,
               psprintf("%s (SQLSTATE %s)", edata->message, unpack_sql_state(edata->sqlerrcode)));
    commit_if(true);
}

}  // namespace

extern "C" Datum numaudit_audit(PG_FUNCTION_ARGS) {
    // Inside an explicit transaction block (or any atomic context) the audit
    // cannot commit; it then runs as one transaction, like numaudit.run.
    bool nonatomic = fcinfo->context && IsA(fcinfo->context, CallContext) &&
                     !castNode(CallContext, fcinfo->context)->atomic;
    if (SPI_connect_ext(nonatomic ? SPI_OPT_NONATOMIC : 0) != SPI_OK_CONNECT)
        elog(ERROR, "numaudit: SPI_connect failed");

    // (customer, scope, sites[, dry_run, nowait]): the arguments of run().
    const Calls calls{PG_NARGS() >= 5, PG_NARGS() >= 5 && !PG_ARGISNULL(4) && PG_GETARG_BOOL(4)};
    const int nargs = calls.flags ? 5 : 3;
    Oid start_types[5] = {TEXTOID, TEXTOID, TEXTARRAYOID, BOOLOID, BOOLOID};
    Datum start_args[5];
    char start_nulls[5];
    for (int i = 0; i < nargs; ++i) {
        start_args[i] = PG_ARGISNULL(i) ? (Datum)0 : PG_GETARG_DATUM(i);
        start_nulls[i] = PG_ARGISNULL(i) ? 'n' : ' ';
    }
    run_sql_clean(calls.flags
                      ? "SELECT s.run_id, u.unit, s.summary FROM numaudit._audit_start($1, $2, $3, "
                        "$4, $5) AS s LEFT JOIN LATERAL pg_catalog.unnest(s.units) AS u (unit) ON "
                        "true"
                      : "SELECT s.run_id, u.unit FROM numaudit._audit_start($1, $2, $3) AS s"
                        " LEFT JOIN LATERAL pg_catalog.unnest(s.units) AS u (unit) ON true",
                  nargs, start_types, start_args, start_nulls);

    // A dry run was audited whole by _audit_start: only its summary is left.
    if (calls.flags && SPI_processed > 0) {
        char* summary = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 3);
        if (summary) {
            ereport(NOTICE, (errmsg("%s", summary)));
            SPI_finish();
            PG_RETURN_VOID();
        }
    }

    // Copied into the SPI procedure context, which outlives the commits.
    uint64 nunits = 0;
    int64 run_id = 0;
    int64* units = static_cast<int64*>(palloc(sizeof(int64) * Max(SPI_processed, 1)));
    for (uint64 r = 0; r < SPI_processed; ++r) {
        bool isnull;
        run_id =
            DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[r], SPI_tuptable->tupdesc, 1, &isnull));
        Datum unit = SPI_getbinval(SPI_tuptable->vals[r], SPI_tuptable->tupdesc, 2, &isnull);
        if (!isnull) units[nunits++] = DatumGetInt64(unit);
    }
    // Said once the arguments are known to be good, when there are sites
    // to commit one by one.
    if (!nonatomic && nunits > 1)
        ereport(
            NOTICE,
            (errmsg("numaudit: this audit runs in the caller's transaction, without a commit per "
                    "site"),
             errdetail("CALL numaudit.audit was called inside a transaction block, a function "
                       "or a multi-statement command, where a procedure cannot commit."),
             errhint("To commit site by site, CALL it as a statement of its own in autocommit "
                     "mode.")));

    // Marks the run alive until it ends (or the session does); taken here,
    // not in _audit_start, so that no call of _audit_start and no error
    // between it and PG_TRY can leave the session lock held.
    numaudit::backend::lock_run_Unsafe(run_id);
    PG_TRY();
    { run_units(calls, nonatomic, run_id, units, nunits); }
    PG_CATCH();
    {
        numaudit::backend::forget_run_plan();
        numaudit::backend::unlock_run_Unsafe(run_id);
        PG_RE_THROW();
    }
    PG_END_TRY();
    numaudit::backend::forget_run_plan();
    numaudit::backend::unlock_run_Unsafe(run_id);
    SPI_finish();
    PG_RETURN_VOID();
}

namespace {

// A statement and its arguments (int8 run id, int8 unit[, bool nowait]).
struct Step {
    const char* sql;
    int nargs;
    Datum* values;
};

// Up to two statements.
struct Steps {
    Step first;
    Step second;
};

void run_steps(void* arg) {
    static Oid types[3] = {INT8OID, INT8OID, BOOLOID};
    auto* s = static_cast<Steps*>(arg);
    run_sql(s->first.sql, s->first.nargs, types, s->first.values, nullptr);
    if (s->second.sql) run_sql(s->second.sql, s->second.nargs, types, s->second.values, nullptr);
}

// Runs the statements in one subtransaction; on error returns the error with
// the subtransaction rolled back (and SPI's state with it), else NULL.
ErrorData* run_in_subtransaction(Step first, Step second = Step{nullptr, 0, nullptr}) {
    Steps steps{first, second};
    return numaudit::backend::in_subtransaction_Unsafe(run_steps, &steps);
}

// Audits the run's units one by one, then finishes the run. Non-atomic: each
// step runs in a subtransaction, so that a failure (an error, a cancel) can
// be recorded in the run row and committed before it is raised again.
void run_units(const Calls& calls, bool nonatomic, int64 run_id, const int64* units,
               uint64 nunits) {
    commit_if(nonatomic);

    const char* mark = "SELECT numaudit._audit_mark($1, $2)";
    const char* step = calls.flags ? "SELECT numaudit._audit_step($1, $2, $3)"
                                   : "SELECT numaudit._audit_step($1, $2)";
    const int step_nargs = calls.flags ? 3 : 2;
    for (uint64 i = 0; i < nunits; ++i) {
        Datum step_args[3] = {Int64GetDatum(run_id), Int64GetDatum(units[i]),
                              BoolGetDatum(calls.nowait)};
        if (!nonatomic) {
            Oid types[3] = {INT8OID, INT8OID, BOOLOID};
            run_sql_clean(step, step_nargs, types, step_args, nullptr);
            continue;
        }
        // Watchers see which site is being worked on: the first is marked
        // on its own, each next one in the same commit as the site before
        // (one commit per site). A failure rolls back the unit and the mark.
        ErrorData* edata = nullptr;
        if (i == 0) {
            edata = run_in_subtransaction(Step{mark, 2, step_args});
            if (!edata) commit_if(true);
        }
        if (!edata) {
            Datum next_args[2] = {Int64GetDatum(run_id),
                                  Int64GetDatum(i + 1 < nunits ? units[i + 1] : 0)};
            edata = run_in_subtransaction(
                Step{step, step_nargs, step_args},
                i + 1 < nunits ? Step{mark, 2, next_args} : Step{nullptr, 0, nullptr});
        }
        if (edata) {
            record_failure(run_id, units[i], edata);
            raise_clean(edata);
        }
        commit_if(true);
    }

    // Not inside ereport(): its arguments are not evaluated when nobody
    // wants the NOTICE.
    char* summary = finish_run(run_id, 0, nullptr);
    ereport(NOTICE, (errmsg("%s", summary)));
    commit_if(nonatomic);
}

}  // namespace

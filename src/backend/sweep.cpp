// CALL numaudit.audit_all(under, scope, incremental, older_than,
// max_duration): every customer, as CALL numaudit.audit audits one (SPEC §5).
//
// The sweep's bookkeeping is SQL (numaudit._sweep_* in the extension
// script): which sweep to join, which customer to take next (FOR UPDATE SKIP
// LOCKED: sessions never wait for each other), how each ended, and who
// closes the sweep. This file is the loop around it, C style like
// procedure.cpp's numaudit_audit: no C++ object with a destructor lives in
// it, so PostgreSQL errors may pass through it. Each customer is audited by
// audit_sweep_customer_Unsafe (procedure.cpp), which commits per unit and
// hands a failure back instead of raising it: the sweep records it and goes
// on. A cancel stops the sweep.
#include "backend/locks.hpp"
#include "backend/messages.hpp"
#include "backend/notify.hpp"
#include "backend/pg.hpp"
#include "backend/procedure.hpp"
#include "backend/spi.hpp"
#include "backend/subtransaction.hpp"

extern "C" {
#include "utils/plancache.h"
#include "utils/timestamp.h"
}

extern "C" {
PG_FUNCTION_INFO_V1(numaudit_audit_all);
}

namespace {

void commit() { numaudit::backend::commit_and_continue_Unsafe(); }

// A statement of the sweep, raised clean as CALL numaudit.audit's are.
void sweep_sql(const char* sql, int nargs, Oid* types, Datum* values, const char* nulls) {
    numaudit::backend::run_sql_clean_Unsafe(sql, nargs, types, values, nulls);
}

int64 int8_at(int col) {
    bool isnull;
    Datum d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, col, &isnull);
    return isnull ? 0 : DatumGetInt64(d);
}

int32 int4_at(int col) {
    bool isnull;
    Datum d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, col, &isnull);
    return isnull ? 0 : DatumGetInt32(d);
}

bool bool_at(int col) {
    bool isnull;
    Datum d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, col, &isnull);
    return !isnull && DatumGetBool(d);
}

// What one session did, for its summary.
struct SessionCounts {
    int64 done = 0;
    int64 failed = 0;
    int64 busy = 0;
};

// The sweep's counts when the session left it.
struct SweepCounts {
    bool closed = false;
    int32 customers = 0, done = 0, failed = 0, busy = 0, skipped = 0, running = 0, pending = 0;
};

// Audits customers until none is left or the deadline (0: none) passed;
// returns whether it stopped at the deadline.
bool audit_customers(int64 sweep_id, bool incremental, TimestampTz deadline, SessionCounts& mine) {
    MemoryContext per_customer = AllocSetContextCreate(
        CurrentMemoryContext, "numaudit sweep customer", ALLOCSET_SMALL_SIZES);
    MemoryContext outer = MemoryContextSwitchTo(per_customer);
    bool stopped = false;
    int64 audited = 0;
    for (;;) {
        CHECK_FOR_INTERRUPTS();
        if (deadline != 0 && GetCurrentTimestamp() >= deadline) {
            stopped = true;
            break;
        }
        Oid types[4] = {INT8OID, INT8OID, TEXTOID, TEXTOID};
        Datum args[4] = {Int64GetDatum(sweep_id)};
        sweep_sql("SELECT customer_id, customer, scope FROM numaudit._sweep_claim($1)", 1, types,
                  args, nullptr);
        if (SPI_processed == 0) {
            commit();
            break;
        }
        const int64 customer_id = int8_at(1);
        char* customer = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2);
        char* scope = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 3);
        // Watchers see the customer taken before its audit begins.
        commit();

        int64 run_id = 0;
        ErrorData* edata = numaudit::backend::audit_sweep_customer_Unsafe(
            sweep_id, customer_id, customer, scope, incremental, &run_id);
        const bool busy = edata && edata->sqlerrcode == ERRCODE_LOCK_NOT_AVAILABLE && run_id == 0;
        // Cancelled before its run was recorded: nothing of it happened, so
        // it is pending again for the next call.
        const bool untouched = edata && edata->sqlerrcode == ERRCODE_QUERY_CANCELED && run_id == 0;
        const char* state = !edata ? "done" : busy ? "busy" : untouched ? "pending" : "failed";
        char* detail = nullptr;
        if (busy)
            detail = pstrdup("another session's audit held it: left to that session");
        else if (edata)
            detail =
                psprintf("%s (SQLSTATE %s)", edata->message, unpack_sql_state(edata->sqlerrcode));
        args[1] = Int64GetDatum(customer_id);
        args[2] = CStringGetTextDatum(state);
        args[3] = detail ? CStringGetTextDatum(detail) : (Datum)0;
        const char nulls[5] = {' ', ' ', ' ', detail ? ' ' : 'n', '\0'};
        sweep_sql("SELECT numaudit._sweep_finish_customer($1, $2, $3, $4)", 4, types, args, nulls);
        commit();
        if (edata && edata->sqlerrcode == ERRCODE_QUERY_CANCELED) ThrowErrorData(edata);
        if (!edata)
            ++mine.done;
        else if (busy)
            ++mine.busy;
        else
            ++mine.failed;
        MemoryContextReset(per_customer);
        // A sweep often begins on an empty history (a new installation, a
        // purge): plans this session keeps were made when audit_run and the
        // sweep's tables were small, and a scan that suited them then costs
        // more with every customer. Every 256 customers they are made again
        // for the tables as they are (what DISCARD PLANS does).
        if (++audited % 256 == 0) ResetPlanCache();
    }
    MemoryContextSwitchTo(outer);
    MemoryContextDelete(per_customer);
    return stopped;
}

// Once per session, before it leaves the sweep, in a transaction of its own:
// what CALL numaudit.audit does after each run (numaudit._tracking_sweep:
// marks nobody needs, baselines nobody uses), after the sweep's last full
// run if it had one. A failure is a WARNING, a cancel is raised.
void sweep_tracking(void* arg) {
    Oid types[1] = {INT8OID};
    Datum values[1] = {*static_cast<Datum*>(arg)};
    int rc = SPI_execute_with_args(
        "SELECT numaudit._tracking_sweep(r.id) FROM (SELECT coalesce(max(x.id) FILTER (WHERE "
        "x.mode = 'full'), max(x.id)) AS id FROM numaudit.audit_run x WHERE x.sweep_id = $1 AND "
        "x.status = 'done') AS r WHERE r.id IS NOT NULL",
        1, types, values, nullptr, false, 0);
    if (rc < 0) elog(ERROR, "numaudit: the tracking sweep failed: %s", SPI_result_code_string(rc));
}

void sweep_tracking_once(int64 sweep_id) {
    Datum arg = Int64GetDatum(sweep_id);
    ErrorData* edata = numaudit::backend::in_subtransaction_Unsafe(sweep_tracking, &arg);
    if (edata) {
        if (edata->sqlerrcode == ERRCODE_QUERY_CANCELED) ThrowErrorData(edata);
        ereport(WARNING, (errmsg("numaudit: the tracking sweep after sweep %lld failed: %s",
                                 (long long)sweep_id, edata->message)));
        FreeErrorData(edata);
    }
    commit();
}

SweepCounts leave_sweep(int64 sweep_id) {
    Oid types[1] = {INT8OID};
    Datum args[1] = {Int64GetDatum(sweep_id)};
    sweep_sql(
        "SELECT closed, customers, done, failed, busy, skipped, running, pending "
        "FROM numaudit._sweep_leave($1)",
        1, types, args, nullptr);
    SweepCounts c;
    if (SPI_processed == 1) {
        c.closed = bool_at(1);
        c.customers = int4_at(2);
        c.done = int4_at(3);
        c.failed = int4_at(4);
        c.busy = int4_at(5);
        c.skipped = int4_at(6);
        c.running = int4_at(7);
        c.pending = int4_at(8);
    }
    // Sent with the commit that closes the sweep.
    if (c.closed) numaudit::backend::notify_sweep(sweep_id);
    commit();
    return c;
}

}  // namespace

extern "C" Datum numaudit_audit_all(PG_FUNCTION_ARGS) {
    // Sessions share a sweep through what each commits: the customers taken
    // and finished. In a transaction block nothing could be shared.
    bool nonatomic = fcinfo->context && IsA(fcinfo->context, CallContext) &&
                     !castNode(CallContext, fcinfo->context)->atomic;
    if (!nonatomic)
        ereport(ERROR,
                (errcode(ERRCODE_ACTIVE_SQL_TRANSACTION),
                 errmsg("numaudit: audit_all cannot run inside a transaction block"),
                 errdetail("It commits after every customer, so that the sessions sharing a "
                           "sweep see what each has taken and done."),
                 errhint("CALL numaudit.audit_all as a statement of its own in autocommit mode "
                         "(as pg_cron runs a job).")));
    if (SPI_connect_ext(SPI_OPT_NONATOMIC) != SPI_OK_CONNECT)
        elog(ERROR, "numaudit: SPI_connect failed");

    Oid types[5] = {TEXTOID, TEXTOID, BOOLOID, INTERVALOID, INTERVALOID};
    Datum args[5];
    char nulls[6] = {' ', ' ', ' ', ' ', ' ', '\0'};
    for (int i = 0; i < 5; ++i) {
        args[i] = PG_ARGISNULL(i) ? (Datum)0 : PG_GETARG_DATUM(i);
        if (PG_ARGISNULL(i)) nulls[i] = 'n';
    }
    const bool incremental = !PG_ARGISNULL(2) && PG_GETARG_BOOL(2);
    const TimestampTz began = GetCurrentTimestamp();

    // Held before this session takes anything, so that no other session
    // takes its customers for abandoned.
    numaudit::backend::lock_sweep_session_Unsafe();
    int64 sweep_id = 0;
    SessionCounts mine;
    SweepCounts sweep;
    bool stopped = false;
    char* under = nullptr;
    char* scope = nullptr;
    PG_TRY();
    {
        sweep_sql("SELECT sweep_id FROM numaudit._sweep_open($1, $2, $3, $4, $5)", 5, types, args,
                  nulls);
        sweep_id = int8_at(1);
        // A statement of its own: the one that opened the sweep cannot see
        // its row.
        Datum open_args[2] = {Int64GetDatum(sweep_id), args[4]};
        Oid open_types[2] = {INT8OID, INTERVALOID};
        const char open_nulls[3] = {' ', nulls[4], '\0'};
        sweep_sql(
            "SELECT numaudit._quoted_name(s.under), s.scope, CASE WHEN $2 IS NULL THEN NULL "
            "ELSE pg_catalog.clock_timestamp() + $2 END FROM numaudit.sweep s "
            "WHERE s.id = $1",
            2, open_types, open_args, open_nulls);
        under = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);
        scope = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2);
        bool isnull;
        Datum d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 3, &isnull);
        const TimestampTz deadline = isnull ? 0 : DatumGetTimestampTz(d);
        commit();

        numaudit::backend::g_in_sweep = true;
        stopped = audit_customers(sweep_id, incremental, deadline, mine);
        numaudit::backend::g_in_sweep = false;
        if (mine.done + mine.failed > 0) sweep_tracking_once(sweep_id);
        sweep = leave_sweep(sweep_id);
    }
    PG_CATCH();
    {
        numaudit::backend::g_in_sweep = false;
        numaudit::backend::unlock_sweep_session_Unsafe();
        PG_RE_THROW();
    }
    PG_END_TRY();
    numaudit::backend::unlock_sweep_session_Unsafe();

    long secs;
    int usecs;
    TimestampDifference(began, GetCurrentTimestamp(), &secs, &usecs);
    const char* what = under ? psprintf("under %s", under) : pstrdup("every customer");
    char* sweep_text =
        // Closed by this session, or by another that left at the same time.
        sweep.closed || (sweep.pending == 0 && sweep.running == 0)
            ? psprintf("the sweep is done: %d customer%s, %d done, %d failed, %d busy, %d skipped",
                       sweep.customers, sweep.customers == 1 ? "" : "s", sweep.done, sweep.failed,
                       sweep.busy, sweep.skipped)
            : psprintf("the sweep goes on: %d of %d customer%s left, %d being audited",
                       sweep.pending, sweep.customers, sweep.customers == 1 ? "" : "s",
                       sweep.running);
    // The time in the DETAIL: the message itself says what happened, the
    // same for the same sweep.
    ereport(NOTICE,
            (errmsg("numaudit: sweep %lld (%s, scope %s%s): this session audited %lld customer%s "
                    "(%lld done, %lld failed, %lld busy)%s; %s",
                    (long long)sweep_id, what, scope ? scope : "per customer",
                    incremental ? ", incremental" : "",
                    (long long)(mine.done + mine.failed + mine.busy),
                    mine.done + mine.failed + mine.busy == 1 ? "" : "s", (long long)mine.done,
                    (long long)mine.failed, (long long)mine.busy,
                    stopped ? " and stopped at max_duration" : "", sweep_text),
             errdetail("This session took %ld.%03d s.", secs, usecs / 1000)));
    SPI_finish();
    PG_RETURN_VOID();
}

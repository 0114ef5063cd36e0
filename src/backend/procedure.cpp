// CALL numaudit.audit(customer, scope, sites): the scheduled form of an
// audit, all of it in this file. It commits after every unit of work (each
// site, or the whole customer for scope customer) so that a large audit holds
// neither one huge transaction nor its locks for long, and keeps its
// audit_run row current. Three parts:
//
//  * The procedure, numaudit_audit: C style on purpose: no C++ object with a
//    destructor lives in it, so PostgreSQL errors may pass through it. The
//    work itself runs in the guarded SQL functions below, which also fix
//    their search_path, something a committing procedure cannot do.
//  * Its helpers numaudit._audit_start and numaudit._audit_step (guarded
//    _Cpp bodies): start the run and list its units; audit one unit.
//  * The session plan: a flat customer's site-scope run is planned once by
//    its first unit and kept across the commits for the later units.
#include <algorithm>
#include <exception>
#include <optional>
#include <string>
#include <vector>

#include "backend/apply_plan.hpp"
#include "backend/audit_unit.hpp"
#include "backend/context_resource.hpp"
#include "backend/history.hpp"
#include "backend/locks.hpp"
#include "backend/messages.hpp"
#include "backend/notify.hpp"
#include "backend/pg.hpp"
#include "backend/procedure.hpp"
#include "backend/read_inputs.hpp"
#include "backend/run_request.hpp"
#include "backend/settings.hpp"
#include "backend/spi.hpp"
#include "backend/tracking.hpp"
#include "backend/subtransaction.hpp"
#include "backend/write_batch.hpp"
#include "core/audit_error.hpp"

extern "C" {
PG_FUNCTION_INFO_V1(numaudit_audit);
PG_FUNCTION_INFO_V1(numaudit_audit_start);
PG_FUNCTION_INFO_V1(numaudit_audit_step);
}

// The session plan (defined below).
namespace numaudit::backend {
// CALL audit() of a flat customer, scope site. Its first unit reads the
// customer once, as run() does, and plans every site of the run from that one
// snapshot (request.selected: all of them; locks held); it reports the
// conflicts and the numbers held at customer level, and keeps the plan for
// the run's later units, which apply it site by site, each in a transaction
// of its own. Updates still apply only to entries as they were read, so an
// application's change made meanwhile wins, as it does against run().
core::Counts audit_run_plan(const UnitRequest& request);
// Applies the kept plan's part for `site_id` (its lock held); false when this
// session keeps no plan for `run_id`.
bool audit_run_site(std::int64_t run_id, std::int64_t site_id, core::Counts& counts);
// Drops the kept plan, if any. Never raises an error.
void forget_run_plan() noexcept;
}  // namespace numaudit::backend

namespace numaudit::backend {

void commit_and_continue_Unsafe() {
    SPI_commit();
    SPI_start_transaction();
}

void run_sql_clean_Unsafe(const char* sql, int nargs, Oid* types, Datum* values,
                          const char* nulls) {
    MemoryContext cxt = CurrentMemoryContext;
    PG_TRY();
    {
        int rc = SPI_execute_with_args(sql, nargs, types, values, nulls, false, 0);
        if (rc < 0) elog(ERROR, "numaudit: %s failed: %s", sql, SPI_result_code_string(rc));
    }
    PG_CATCH();
    {
        MemoryContextSwitchTo(cxt);
        ErrorData* edata = CopyErrorData();
        FlushErrorState();
        drop_internal_context(edata);
        ThrowErrorData(edata);
    }
    PG_END_TRY();
}

}  // namespace numaudit::backend

namespace {

void commit_if(bool nonatomic) {
    if (nonatomic) numaudit::backend::commit_and_continue_Unsafe();
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

void run_sql_clean(const char* sql, int nargs, Oid* types, Datum* values, const char* nulls) {
    numaudit::backend::run_sql_clean_Unsafe(sql, nargs, types, values, nulls);
}

// How the procedure calls its helpers: with the flags (0.3.0 catalogs; and
// incremental from 0.4.0), or as a database at 0.1.0/0.2.0 declares them (no
// dry_run, no nowait).
struct Calls {
    bool flags;
    bool nowait;
    bool incremental;
    // Sweep tracking after the run (CALL audit); a sweep of audit_all does
    // it once per session instead (sweep.cpp).
    bool sweep_tracking = true;
};

void run_units(const Calls& calls, bool nonatomic, int64 run_id, const int64* units, uint64 nunits,
               ErrorData** caught = nullptr);

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

// After a committed run, in a transaction of its own: deletes the marks of
// customers without a baseline that no audit can need any more
// (numaudit._tracking_sweep), and after a full run the baselines nobody
// audits any more. The run is done by then: a failure of the sweep
// is a WARNING, except a cancel, which is raised.
void sweep_tracking(int64 run_id) {
    ErrorData* edata = numaudit::backend::in_subtransaction_Unsafe(
        [](void* arg) {
            Oid types[1] = {INT8OID};
            Datum values[1] = {Int64GetDatum(*static_cast<int64*>(arg))};
            run_sql("SELECT numaudit._tracking_sweep($1)", 1, types, values, nullptr);
        },
        &run_id);
    if (edata) {
        if (edata->sqlerrcode == ERRCODE_QUERY_CANCELED) raise_clean(edata);
        ereport(WARNING, (errmsg("numaudit: the tracking sweep after the audit failed: %s",
                                 edata->message)));
        FreeErrorData(edata);
    }
    commit_if(true);
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

    // (customer, scope, sites[, dry_run, nowait[, incremental]]): run()'s.
    const Calls calls{PG_NARGS() >= 5, PG_NARGS() >= 5 && !PG_ARGISNULL(4) && PG_GETARG_BOOL(4),
                      PG_NARGS() >= 6};
    const int nargs = calls.incremental ? 6 : calls.flags ? 5 : 3;
    Oid start_types[6] = {TEXTOID, TEXTOID, TEXTARRAYOID, BOOLOID, BOOLOID, BOOLOID};
    Datum start_args[6];
    char start_nulls[6];
    for (int i = 0; i < nargs; ++i) {
        start_args[i] = PG_ARGISNULL(i) ? (Datum)0 : PG_GETARG_DATUM(i);
        start_nulls[i] = PG_ARGISNULL(i) ? 'n' : ' ';
    }
    run_sql_clean(calls.incremental
                      ? "SELECT s.run_id, u.unit, s.summary FROM numaudit._audit_start($1, $2, $3, "
                        "$4, $5, $6) AS s LEFT JOIN LATERAL pg_catalog.unnest(s.units) AS u (unit) "
                        "ON true"
                  : calls.flags
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

// _audit_start's row for a customer of a sweep, read inside the
// subtransaction that ran it: the run and its units.
struct SweepStart {
    Datum args[6];
    MemoryContext cxt;  // the caller's, where the units are copied
    int64 run_id;
    int64* units;
    uint64 nunits;
};

void sweep_start(void* arg) {
    auto* s = static_cast<SweepStart*>(arg);
    static Oid types[6] = {TEXTOID, TEXTOID, TEXTARRAYOID, BOOLOID, BOOLOID, BOOLOID};
    const char nulls[7] = {' ', ' ', 'n', ' ', ' ', ' ', '\0'};
    run_sql(
        "SELECT s.run_id, u.unit FROM numaudit._audit_start($1, $2, $3, $4, $5, $6) AS s "
        "LEFT JOIN LATERAL pg_catalog.unnest(s.units) AS u (unit) ON true",
        6, types, s->args, nulls);
    s->units =
        static_cast<int64*>(MemoryContextAlloc(s->cxt, sizeof(int64) * Max(SPI_processed, 1)));
    for (uint64 r = 0; r < SPI_processed; ++r) {
        bool isnull;
        s->run_id =
            DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[r], SPI_tuptable->tupdesc, 1, &isnull));
        Datum unit = SPI_getbinval(SPI_tuptable->vals[r], SPI_tuptable->tupdesc, 2, &isnull);
        if (!isnull) s->units[s->nunits++] = DatumGetInt64(unit);
    }
}

void tie_to_sweep(void* arg) {
    static Oid types[3] = {INT8OID, INT8OID, INT8OID};
    run_sql("SELECT numaudit._sweep_run($1, $2, $3)", 3, types, static_cast<Datum*>(arg), nullptr);
}

}  // namespace

namespace numaudit::backend {

ErrorData* audit_sweep_customer_Unsafe(int64 sweep_id, int64 customer_id, const char* customer,
                                       const char* scope, bool incremental, int64* run_id) {
    *run_id = 0;
    SweepStart start{};
    start.args[0] = CStringGetTextDatum(customer);
    start.args[1] = CStringGetTextDatum(scope);
    start.args[2] = (Datum)0;
    start.args[3] = BoolGetDatum(false);
    start.args[4] = BoolGetDatum(true);  // nowait: another session's audit keeps its customer
    start.args[5] = BoolGetDatum(incremental);
    start.cxt = CurrentMemoryContext;
    // A lock taken for an instant (another session's tracking sweep tries
    // each customer's) is not an audit: tried again a few times, 20 to 80 ms
    // apart, before the customer is called busy.
    ErrorData* edata = nullptr;
    for (int attempt = 0;; ++attempt) {
        start.nunits = 0;
        edata = in_subtransaction_Unsafe(sweep_start, &start);
        if (!edata || edata->sqlerrcode != ERRCODE_LOCK_NOT_AVAILABLE || attempt == 3) break;
        FreeErrorData(edata);
        pg_usleep(20000L * (attempt + 1));
        CHECK_FOR_INTERRUPTS();
    }
    if (edata) {
        drop_internal_context(edata);
        return edata;
    }
    *run_id = start.run_id;
    Datum tie[3] = {Int64GetDatum(sweep_id), Int64GetDatum(customer_id),
                    Int64GetDatum(start.run_id)};
    edata = in_subtransaction_Unsafe(tie_to_sweep, tie);
    if (edata) {
        // The run is recorded but nothing was audited: it fails with this.
        record_failure(start.run_id, 0, edata);
        drop_internal_context(edata);
        return edata;
    }
    // Once its run is recorded the customer is this session's: its units wait
    // for a lock as CALL numaudit.audit does (an instant, or an application's
    // row), rather than fail the run.
    const Calls calls{true, false, true, false};
    lock_run_Unsafe(start.run_id);
    PG_TRY();
    { run_units(calls, true, start.run_id, start.units, start.nunits, &edata); }
    PG_CATCH();
    {
        forget_run_plan();
        unlock_run_Unsafe(start.run_id);
        PG_RE_THROW();
    }
    PG_END_TRY();
    forget_run_plan();
    unlock_run_Unsafe(start.run_id);
    return edata;
}

}  // namespace numaudit::backend

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
// be recorded in the run row and committed before it is raised again, or,
// for a sweep (caught not NULL), handed back in *caught instead.
void run_units(const Calls& calls, bool nonatomic, int64 run_id, const int64* units, uint64 nunits,
               ErrorData** caught) {
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
            if (caught) {
                numaudit::backend::drop_internal_context(edata);
                *caught = edata;
                return;
            }
            raise_clean(edata);
        }
        commit_if(true);
    }

    // Not inside ereport(): its arguments are not evaluated when nobody
    // wants the NOTICE.
    char* summary = finish_run(run_id, 0, nullptr);
    ereport(numaudit::backend::notice_level(), (errmsg("%s", summary)));
    commit_if(nonatomic);
    // A sweep sweeps tracking once, when the session leaves it (sweep.cpp):
    // after every customer it would cost a pass over every customer's
    // baseline each time, and its try of each candidate's audit lock would
    // meet the other sessions' audits.
    if (nonatomic && calls.incremental && calls.sweep_tracking) sweep_tracking(run_id);
}

}  // namespace

// ---------------------------------------------------------------------------
// numaudit._audit_start and numaudit._audit_step

namespace numaudit::backend {

namespace {

// The one-line summary of a dry CALL: what the audit would do.
std::string dry_summary(const Request& req, const core::Counts& c) {
    return "numaudit: dry run of " +
           database_clip().clip(req.customer.path, core::kMaxNameInMessage) + " (scope " +
           core::scope_name(req.scope) + "): sites " + std::to_string(sites_total(req)) +
           ", would add " + std::to_string(c.added) + ", update " + std::to_string(c.updated) +
           ", leave " + std::to_string(c.unchanged) + " unchanged, skip " +
           std::to_string(c.skipped) + ", conflicts " + std::to_string(c.conflicts) +
           "; nothing was written";
}

// _audit_start(customer, scope, sites[, dry_run, nowait]) -> (run_id, units
// [, summary]): validates and resolves like run(). A dry run is audited here,
// whole, writing nothing: only its summary comes back. Otherwise it records
// the run and lists its units of work (the selected sites' ids, or the
// customer's id for scope customer); with nowait it first tries the run's
// locks, so that a busy customer fails with 55P03 before anything is
// recorded. (Databases at 0.1.0 and 0.2.0 declare the first three arguments
// and two results.)
Datum audit_start_Cpp(FunctionCallInfo fcinfo) {
    Request req = read_request(fcinfo);
    spi_connect();
    resolve(req);
    std::int64_t run_id = 0;
    std::vector<std::int64_t> units;
    std::string summary;
    if (req.dry_run) {
        lock_for_audit(req.customer, req.scope, req.selected, req.nowait);
        const Tracking tracking = begin_tracking(req);
        UnitRequest unit{&req.customer, req.scope, &req.all_sites, &req.selected, true, 0, false};
        unit.tracking = &tracking;
        summary = dry_summary(req, audit_unit(unit, [](const core::ResultRow&) {}));
    } else {
        if (req.nowait) lock_for_audit(req.customer, req.scope, req.selected, true);
        // The plan of an earlier run of this session that did not end.
        pg_call([]() noexcept { forget_run_plan(); });
        std::vector<std::int64_t> reaped;
        exec(Stmt::ReapStaleRuns, Args{}, [&](const Batch& b) {
            for (int i = 0; i < b.rows; ++i) reaped.push_back(b.at(i, col::Id::id).num);
        });
        for (std::int64_t id : reaped) pg_call([&]() noexcept { notify_run(id); });
        // What tracking says now (the lock is not held yet: the step that
        // audits reads it again): an incremental run is one unit, the
        // customer, audited in one transaction; a full run of a baseline
        // scope becomes the baseline when its last unit commits, consuming
        // the marks seen here, before any unit read anything.
        forget_run_tracking();
        Tracking tracking = begin_tracking(req);
        run_id = insert_run(req, sites_total(req), "audit", tracking.incremental);
        if (tracking.incremental) {
            units.push_back(req.customer.id);
        } else {
            if (tracking.scope != TrackedScope::None) remember_run_tracking(run_id, tracking);
            // A unit is a site, or the customer itself: for scope customer,
            // and first in a flat customer's site-scope audit, where it
            // reports the conflicts among all of the customer's uses once (as
            // run() does) so that each site then reads only what it needs.
            if (req.scope == core::Scope::Customer ||
                req.customer.dial_plan == core::DialPlan::Flat || req.selected.empty())
                units.push_back(req.customer.id);
            if (req.scope == core::Scope::Site)
                for (const auto& s : req.selected) units.push_back(s.id);
        }
    }
    spi_finish();

    Datum result = (Datum)0;
    pg_call([&]() noexcept {
        TupleDesc desc;
        if (get_call_result_type(fcinfo, nullptr, &desc) != TYPEFUNC_COMPOSITE)
            elog(ERROR, "numaudit: _audit_start must return a composite");
        desc = BlessTupleDesc(desc);
        Datum values[3] = {Int64GetDatum(run_id), int8_array_Unsafe(units.data(), units.size()),
                           summary.empty() ? (Datum)0 : text_datum_Unsafe(summary)};
        bool nulls[3] = {run_id == 0, false, summary.empty()};
        result = HeapTupleGetDatum(heap_form_tuple(desc, values, nulls));
    });
    return result;
}

// _audit_step(run_id, unit[, nowait]): audits one unit of a run in the
// caller's transaction and adds its counts to the run.
// What _audit_step needs to know of its run, read back from audit_run:
// the customer as it is now, the scope, and the unit's site if it is one.
struct StepRun {
    Request req;
    std::optional<std::string> site_name;
    int named_sites = 0;
    bool incremental = false;
};

StepRun read_step_run(std::int64_t run_id, std::int64_t unit_id) {
    StepRun run;
    Request& req = run.req;
    std::string scope_text, status;
    bool found = false, customer_found = false;
    Args args;
    args.values[0] = Int64GetDatum(run_id);
    args.values[1] = Int64GetDatum(unit_id);
    req.tracks = catalog_tracks();
    scan(req.tracks ? Stmt::RunInfo : Stmt::RunInfoLegacy, args, [&](const Batch& b) {
        found = true;
        using C = col::RunInfo;
        scope_text = std::string(b.at(0, C::scope).text());
        status = std::string(b.at(0, C::status).text());
        req.customer.path = std::string(b.at(0, C::customer).text());
        customer_found = !b.at(0, C::customer_id).null;
        if (!customer_found) return;
        req.customer.id = b.at(0, C::customer_id).num;
        req.customer.number_management = b.at(0, C::number_management).num != 0;
        req.customer.dial_plan =
            b.at(0, C::dial_plan).text() == "slc" ? core::DialPlan::Slc : core::DialPlan::Flat;
        if (auto name = b.at(0, C::site_name).opt_text()) run.site_name = std::string(*name);
        run.named_sites = static_cast<int>(b.at(0, C::named_sites).num);
        run.incremental = b.at(0, C::mode).text() == "incremental";
    });
    if (!found)
        throw core::AuditError(core::sqlstate::kUndefinedObject,
                               "audit run " + std::to_string(run_id) + " does not exist");
    if (status != "running")
        throw core::AuditError(core::sqlstate::kObjectNotInPrerequisiteState,
                               "audit run " + std::to_string(run_id) + " is " + status);
    if (!customer_found)
        throw core::AuditError(core::sqlstate::kUndefinedObject,
                               "customer " + quoted_name(req.customer.path) + " no longer exists");
    req.scope = core::parse_scope(std::string_view(scope_text));
    check_auditable(req.customer, req.scope);
    return run;
}

// An incremental run's one unit: the whole scope in this one transaction,
// incremental when the baseline still holds now that the lock is held, else
// full (and the run says so). Returns how many sites it covered.
std::size_t audit_incremental_step(std::int64_t run_id, Request& req, bool nowait,
                                   core::Counts& counts) {
    req.all_sites = list_sites(req.customer);
    if (req.scope == core::Scope::Site) req.selected = req.all_sites;
    lock_for_audit(req.customer, req.scope, req.selected, nowait);
    req.incremental = true;
    const Tracking tracking = begin_tracking(req);
    if (!tracking.incremental) {
        Args mode;
        pg_call([&]() noexcept {
            mode.values[0] = Int64GetDatum(run_id);
            mode.values[1] = text_datum_Unsafe("full");
        });
        exec(Stmt::SetRunMode, mode);
    }
    UnitRequest unit{&req.customer, req.scope, &req.all_sites, &req.selected, false, run_id, false};
    unit.tracking = &tracking;
    std::int64_t entries_read = 0;
    counts = audit_unit(
        unit, [](const core::ResultRow&) {}, &entries_read);
    commit_tracking(req.customer, tracking, run_id, entries_read, counts.added);
    return req.all_sites.size();
}

Datum audit_step_Cpp(FunctionCallInfo fcinfo) {
    std::int64_t run_id = PG_GETARG_INT64(0);
    std::int64_t unit_id = PG_GETARG_INT64(1);
    const bool nowait = PG_NARGS() > 2 && PG_GETARG_BOOL(2);  // STRICT: never NULL
    spi_connect();
    StepRun run = read_step_run(run_id, unit_id);
    Request& req = run.req;
    const std::optional<std::string>& site_name = run.site_name;
    const int named_sites = run.named_sites;
    const bool flat = req.customer.dial_plan == core::DialPlan::Flat;
    int done = 0;
    core::Counts counts;
    if (run.incremental) {
        done = static_cast<int>(audit_incremental_step(run_id, req, nowait, counts));
    } else if (req.scope == core::Scope::Site && unit_id != req.customer.id) {
        // One site.
        if (!site_name)
            throw core::AuditError(core::sqlstate::kUndefinedObject,
                                   "site " + std::to_string(unit_id) +
                                       " is no longer a site of customer " +
                                       quoted_name(req.customer.path));
        req.selected.push_back(Site{unit_id, *site_name});
        req.all_sites = req.selected;
        done = 1;
        lock_for_audit(req.customer, req.scope, req.selected, nowait);
        if (flat) {
            // Its part of the plan the run's first unit made.
            if (!audit_run_site(run_id, unit_id, counts))
                throw core::AuditError(
                    core::sqlstate::kObjectNotInPrerequisiteState,
                    "audit run " + std::to_string(run_id) + " has no plan in this session",
                    "numaudit._audit_step is internal to CALL numaudit.audit.",
                    "Run the audit with CALL numaudit.audit.");
        } else {
            // An slc site: its own entries and uses are all it needs.
            UnitRequest unit{&req.customer, req.scope, &req.all_sites, &req.selected, false,
                             run_id,        true};
            counts = audit_unit(unit, [](const core::ResultRow&) {});
        }
    } else {
        req.all_sites = list_sites(req.customer);
        if (req.scope == core::Scope::Customer) {
            done = static_cast<int>(req.all_sites.size());
        } else if (flat) {
            // A flat customer's first unit: plans every site of the run.
            Args args;
            args.values[0] = Int64GetDatum(run_id);
            scan(Stmt::RunSites, args, [&](const Batch& b) {
                for (int r = 0; r < b.rows; ++r)
                    req.selected.push_back(Site{b.at(r, col::Site::id).num,
                                                std::string(b.at(r, col::Site::name).text())});
            });
            if (named_sites > 0 && static_cast<int>(req.selected.size()) != named_sites)
                throw core::AuditError(core::sqlstate::kUndefinedObject,
                                       "a site of audit run " + std::to_string(run_id) +
                                           " no longer exists under customer " +
                                           quoted_name(req.customer.path));
        }
        lock_for_audit(req.customer, req.scope, req.selected, nowait);
        UnitRequest unit{&req.customer, req.scope, &req.all_sites, &req.selected, false,
                         run_id,        true};
        if (req.scope == core::Scope::Site && flat)
            counts = audit_run_plan(unit);
        else
            counts = audit_unit(unit, [](const core::ResultRow&) {});
    }
    Args args;
    count_args(args, run_id, counts, done);
    bool last = false;
    std::int64_t entries = 0;
    exec(Stmt::StepRun, args, [&](const Batch& b) {
        if (b.rows == 0) return;
        last = b.at(0, col::Stepped::last).num != 0;
        entries = b.at(0, col::Stepped::entries).num;
    });
    // A full run of a baseline scope: its last unit makes it the baseline.
    if (!run.incremental && last) {
        if (std::optional<Tracking> tracking = take_run_tracking(run_id))
            commit_tracking(req.customer, *tracking, run_id, entries, 0);
    } else if (!run.incremental) {
        note_run_unit(run_id);
    }
    spi_finish();
    PG_RETURN_VOID();
}

}  // namespace

// ---------------------------------------------------------------------------
// The plan of an audit() run, kept from its first unit to its last

namespace {

// Lives across the run's commits: everything is in a context under
// TopMemoryContext, deleted at once by forget_run_plan (destructors are not
// run: the objects own nothing outside that context).
struct RunPlan {
    std::int64_t run_id = 0;
    MemoryContext cxt = nullptr;
    ContextResource* mr = nullptr;
    core::Planner* planner = nullptr;
    core::Plan* plan = nullptr;
    // (node id, index) sorted by node id: each site's updates, inserts, rows.
    std::pmr::vector<std::pair<std::int64_t, std::uint32_t>>* updates = nullptr;
    std::pmr::vector<std::pair<std::int64_t, std::uint32_t>>* inserts = nullptr;
    std::pmr::vector<std::pair<std::int64_t, std::uint32_t>>* rows = nullptr;
    std::pmr::vector<char>* emitted = nullptr;
};
RunPlan g_run_plan;

template <class T, class... A>
T* make_in(ContextResource* mr, A&&... args) {
    return ::new (mr->allocate(sizeof(T), alignof(T))) T(std::forward<A>(args)...);
}

using ByNode = std::pmr::vector<std::pair<std::int64_t, std::uint32_t>>;

Selection select_node(const ByNode& by_node, std::int64_t node, std::pmr::memory_resource* mr) {
    Selection out(mr);
    auto lo =
        std::lower_bound(by_node.begin(), by_node.end(), std::make_pair(node, std::uint32_t{0}));
    for (auto it = lo; it != by_node.end() && it->first == node; ++it) out.push_back(it->second);
    return out;
}

// The plan alone: the run's tracking (remembered by _audit_start, taken by
// its last unit) outlives the plan its first unit replaces.
void drop_run_plan() noexcept {
    if (!g_run_plan.cxt) return;
    g_run_plan.mr->stop_freeing();
    MemoryContextDelete(g_run_plan.cxt);
    g_run_plan = RunPlan{};
}

}  // namespace

void forget_run_plan() noexcept {
    forget_run_tracking();
    drop_run_plan();
}

core::Counts audit_run_plan(const UnitRequest& req) {
    pg_call([]() noexcept { drop_run_plan(); });
    RunPlan rp;
    pg_call([&]() noexcept {
        rp.cxt =
            AllocSetContextCreate(TopMemoryContext, "numaudit run plan", ALLOCSET_DEFAULT_SIZES);
    });
    rp.run_id = req.run_id;
    core::Counts counts;
    std::exception_ptr failed;
    try {
        void* place = nullptr;
        pg_call([&]() noexcept { place = MemoryContextAlloc(rp.cxt, sizeof(ContextResource)); });
        rp.mr = ::new (place) ContextResource(rp.cxt, max_memory_bytes());
        rp.planner = make_in<core::Planner>(rp.mr, rp.mr, req.customer->dial_plan, req.scope,
                                            req.customer->id, req.customer->path, database_clip());
        read_inputs(*rp.planner, req);
        rp.plan = make_in<core::Plan>(
            rp.mr, rp.planner->plan([] { pg_call([]() noexcept { CHECK_FOR_INTERRUPTS(); }); }));
        const core::Plan& plan = *rp.plan;
        rp.updates = make_in<ByNode>(rp.mr, rp.mr);
        rp.inserts = make_in<ByNode>(rp.mr, rp.mr);
        rp.rows = make_in<ByNode>(rp.mr, rp.mr);
        for (std::uint32_t i = 0; i < plan.updates.size(); ++i)
            rp.updates->emplace_back(plan.updates[i].holder, i);
        for (std::uint32_t i = 0; i < plan.inserts.size(); ++i)
            rp.inserts->emplace_back(plan.inserts[i].holder, i);
        for (std::uint32_t i = 0; i < plan.rows.size(); ++i)
            rp.rows->emplace_back(plan.rows.node_id(i), i);
        // Stable: a site's updates stay in entry id order (the locking order).
        for (ByNode* v : {rp.updates, rp.inserts, rp.rows}) std::stable_sort(v->begin(), v->end());

        // This unit reports what belongs to no site: the conflicts and the
        // numbers held at customer level, both at the customer.
        // Kept for the run: each site's writes mark their own rows.
        rp.emitted = make_in<Emitted>(rp.mr, plan.rows.size(), char{1}, rp.mr);
        Selection mine = select_node(*rp.rows, req.customer->id, rp.mr);
        for (auto i : mine) {
            if (plan.rows.action(i) == core::Action::Conflict) ++counts.conflicts;
            if (plan.rows.action(i) == core::Action::Skipped) ++counts.skipped;
        }
        MemoryContext batch = nullptr;
        pg_call([&]() noexcept {
            batch = AllocSetContextCreate(CurrentMemoryContext, "numaudit batch",
                                          ALLOCSET_DEFAULT_SIZES);
        });
        write_history(req.run_id, plan, mine, *rp.emitted, batch, rp.mr);
        pg_call([&]() noexcept { MemoryContextDelete(batch); });
    } catch (...) {
        failed = std::current_exception();  // cleaned up below, outside the handler
    }
    if (failed) {
        if (rp.mr) rp.mr->stop_freeing();
        pg_call([&]() noexcept { MemoryContextDelete(rp.cxt); });
        std::rethrow_exception(failed);
    }
    g_run_plan = rp;
    return counts;
}

bool audit_run_site(std::int64_t run_id, std::int64_t site_id, core::Counts& counts) {
    RunPlan& rp = g_run_plan;
    if (!rp.plan || rp.run_id != run_id) return false;
    const core::Plan& plan = *rp.plan;
    counts = core::Counts{};
    Selection updates = select_node(*rp.updates, site_id, rp.mr);
    Selection inserts = select_node(*rp.inserts, site_id, rp.mr);
    Selection rows = select_node(*rp.rows, site_id, rp.mr);
    counts.updated = static_cast<std::int64_t>(updates.size());
    counts.added = static_cast<std::int64_t>(inserts.size());
    for (auto i : rows) {
        if (plan.rows.action(i) == core::Action::Skipped) ++counts.skipped;
        if (plan.rows.action(i) == core::Action::Conflict) ++counts.conflicts;  // duplicate entries
    }
    for (const auto& [node, n] : plan.unchanged_by_node)
        if (node == site_id) counts.unchanged = n;
    Emitted& emitted = *rp.emitted;
    MemoryContext batch = nullptr;
    pg_call([&]() noexcept {
        batch =
            AllocSetContextCreate(CurrentMemoryContext, "numaudit batch", ALLOCSET_DEFAULT_SIZES);
    });
    write_updates(plan, updates, emitted, counts, batch, rp.mr);
    write_inserts(plan, inserts, emitted, counts, batch, rp.mr);
    write_history(run_id, plan, rows, emitted, batch, rp.mr);
    pg_call([&]() noexcept { MemoryContextDelete(batch); });
    return true;
}

}  // namespace numaudit::backend

extern "C" Datum numaudit_audit_start(PG_FUNCTION_ARGS) {
    return numaudit::backend::guarded_entry(
        [&] { return numaudit::backend::audit_start_Cpp(fcinfo); });
}

extern "C" Datum numaudit_audit_step(PG_FUNCTION_ARGS) {
    return numaudit::backend::guarded_entry(
        [&] { return numaudit::backend::audit_step_Cpp(fcinfo); });
}

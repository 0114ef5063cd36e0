// SQL-callable functions. Each is a thin extern "C" shell around a _Cpp body
// run by guarded_entry(), which turns C++ exceptions into PostgreSQL errors.
#include <optional>
#include <string>
#include <vector>

#include "backend/audit_unit.hpp"
#include "backend/locks.hpp"
#include "backend/messages.hpp"
#include "backend/notify.hpp"
#include "backend/settings.hpp"
#include "backend/spi.hpp"
#include "core/audit_error.hpp"

extern "C" {
PG_MODULE_MAGIC;
PG_FUNCTION_INFO_V1(numaudit_run);
PG_FUNCTION_INFO_V1(numaudit_audit_start);
PG_FUNCTION_INFO_V1(numaudit_audit_step);
PG_FUNCTION_INFO_V1(numaudit_last_run_id);
}

namespace numaudit::backend {

namespace {

// The validated arguments of run() and audit().
struct Request {
    core::Scope scope;
    bool dry_run = false;
    bool nowait = false;
    std::optional<std::string> customer_arg;
    bool sites_null = true;
    std::vector<std::optional<std::string>> site_args;
    std::vector<std::string> site_names;
    Customer customer;
    std::vector<Site> all_sites;
    std::vector<Site> selected;
};

std::vector<std::optional<std::string>> text_array_arg(FunctionCallInfo fcinfo, int n) {
    std::vector<std::optional<std::string>> out;
    if (PG_ARGISNULL(n)) return out;
    Datum* elems = nullptr;
    bool* nulls = nullptr;
    int count = 0, ndim = 0;
    pg_call([&]() noexcept {
        ArrayType* arr = PG_GETARG_ARRAYTYPE_P(n);
        ndim = ARR_NDIM(arr);
        deconstruct_array(arr, TEXTOID, -1, false, TYPALIGN_INT, &elems, &nulls, &count);
    });
    if (ndim > 1)
        throw core::AuditError(core::sqlstate::kInvalidParameterValue,
                               "sites must be a one-dimensional array of site names");
    for (int i = 0; i < count; ++i) {
        if (nulls[i]) {
            out.emplace_back(std::nullopt);
            continue;
        }
        const text* t = nullptr;
        pg_call([&]() noexcept { t = DatumGetTextPP(elems[i]); });
        fail_allocation_if(FaultInjection::ArrayArgumentAlloc);
        out.emplace_back(text_string(t));
    }
    return out;
}

// A boolean flag argument: NULL is no answer (SPEC §3, bad input).
bool flag_arg(FunctionCallInfo fcinfo, int n, const char* name) {
    if (PG_NARGS() <= n) return false;  // a catalog older than the flag
    if (PG_ARGISNULL(n))
        throw core::AuditError(core::sqlstate::kInvalidParameterValue,
                               std::string(name) + " must not be NULL", {},
                               "Pass true or false; it defaults to false.");
    return PG_GETARG_BOOL(n);
}

// Argument checks that need no database come first, then the lookups:
// (customer, scope, sites[, dry_run, nowait]), as run() and audit() take.
Request read_request(FunctionCallInfo fcinfo) {
    Request req;
    req.customer_arg = text_arg(fcinfo, 0);
    auto scope = text_arg(fcinfo, 1);
    core::check_customer_argument(
        req.customer_arg ? std::optional<std::string_view>(*req.customer_arg) : std::nullopt);
    req.scope = core::parse_scope(scope ? std::optional<std::string_view>(*scope) : std::nullopt);
    req.sites_null = PG_ARGISNULL(2);
    req.site_args = text_array_arg(fcinfo, 2);
    req.site_names = core::check_sites(req.scope, req.sites_null, req.site_args, database_clip());
    req.dry_run = flag_arg(fcinfo, 3, "dry_run");
    req.nowait = flag_arg(fcinfo, 4, "nowait");
    check_settings();
    // An audit that writes cannot run in a read-only transaction: say so at
    // once, not with an internal statement's error.
    if (!req.dry_run && XactReadOnly)
        throw core::AuditError(
            "25006", "numaudit: an audit cannot write in a read-only transaction",
            "The transaction is read-only (default_transaction_read_only, a standby, or SET "
            "TRANSACTION READ ONLY).",
            "A dry run (dry_run => true) works in a read-only transaction.");
    return req;
}

void resolve(Request& req) {
    req.customer = resolve_customer(*req.customer_arg);
    check_auditable(req.customer, req.scope);
    req.all_sites = list_sites(req.customer);
    if (req.scope == core::Scope::Site)
        req.selected = select_sites(req.customer, req.all_sites, req.site_names);
    if (req.scope == core::Scope::Site && req.all_sites.empty()) {
        std::string message = "numaudit: customer " + quoted_name(req.customer.path) +
                              " has no sites: a site-scope audit has no entries to audit";
        const bool flat = req.customer.dial_plan == core::DialPlan::Flat;
        pg_call([&]() noexcept {
            ereport(NOTICE,
                    (errmsg("%s", message.c_str()),
                     flat ? errhint("Scope 'customer' audits its customer-level entries.") : 0));
        });
    }
}

// The audit_run id of this session's latest run or CALL (0: none yet).
std::int64_t g_last_run_id = 0;

std::int64_t insert_run(const Request& req, int sites_total, const char* entry_point) {
    Args args;
    std::vector<std::optional<std::string_view>> sites;
    for (const auto& s : req.site_names) sites.emplace_back(s);
    pg_call([&]() noexcept {
        args.values[0] = text_datum_Unsafe(req.customer.path);
        args.values[1] = text_datum_Unsafe(core::scope_name(req.scope));
        if (req.site_names.empty())
            args.nulls[2] = 'n';
        else
            args.values[2] = text_array_Unsafe(sites.data(), sites.size());
        args.values[3] = Int32GetDatum(sites_total);
        args.values[4] = Int64GetDatum(req.customer.id);
        args.values[5] = text_datum_Unsafe(entry_point);
    });
    std::int64_t id = 0;
    exec(Stmt::InsertRun, args, [&](const Batch& b) { id = b.at(0, 0).num; });
    g_last_run_id = id;
    return id;
}

int sites_total(const Request& req) {
    return static_cast<int>(req.scope == core::Scope::Customer ? req.all_sites.size()
                                                               : req.selected.size());
}

void count_args(Args& args, std::int64_t run_id, const core::Counts& c, int sites_done) {
    args.values[0] = Int64GetDatum(run_id);
    args.values[1] = Int64GetDatum(c.added);
    args.values[2] = Int64GetDatum(c.updated);
    args.values[3] = Int64GetDatum(c.unchanged);
    args.values[4] = Int64GetDatum(c.skipped);
    args.values[5] = Int64GetDatum(c.conflicts);
    args.values[6] = Int32GetDatum(sites_done);
}

Datum opt_datum_Unsafe(const core::OptText& t, bool& isnull) {
    isnull = !t.has_value();
    return isnull ? (Datum)0 : text_datum_Unsafe(*t);
}

Datum run_Cpp(FunctionCallInfo fcinfo) {
    Request req = read_request(fcinfo);
    const bool dry_run = req.dry_run;
    const bool nowait = req.nowait;
    pg_call([&]() noexcept { InitMaterializedSRF(fcinfo, 0); });
    auto* rsinfo = reinterpret_cast<ReturnSetInfo*>(fcinfo->resultinfo);

    spi_connect();
    resolve(req);
    lock_for_audit(req.customer, req.scope, req.selected, nowait);
    std::int64_t run_id = dry_run ? 0 : insert_run(req, sites_total(req), "run");

    UnitRequest unit{&req.customer, req.scope, &req.all_sites, &req.selected,
                     dry_run,       run_id,    false};
    // Each row's Datums are built in a context reset after the tuplestore
    // has copied them: a million rows must not pile up in SPI's context.
    MemoryContext row_cxt = nullptr;
    pg_call([&]() noexcept {
        row_cxt = AllocSetContextCreate(CurrentMemoryContext, "numaudit row", ALLOCSET_SMALL_SIZES);
    });
    core::Counts counts = audit_unit(unit, [&](const core::ResultRow& row) {
        pg_call([&]() noexcept {
            MemoryContext old = MemoryContextSwitchTo(row_cxt);
            Datum values[9];
            bool nulls[9];
            values[0] = text_datum_Unsafe(row.hierarchy);
            nulls[0] = false;
            values[1] = opt_datum_Unsafe(row.site, nulls[1]);
            values[2] = opt_datum_Unsafe(row.internal_number, nulls[2]);
            values[3] = text_datum_Unsafe(core::action_name(row.action));
            nulls[3] = false;
            values[4] = opt_datum_Unsafe(row.old_status, nulls[4]);
            values[5] = opt_datum_Unsafe(row.old_usage, nulls[5]);
            values[6] = opt_datum_Unsafe(row.new_status, nulls[6]);
            values[7] = opt_datum_Unsafe(row.new_usage, nulls[7]);
            values[8] = opt_datum_Unsafe(row.detail, nulls[8]);
            tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
            MemoryContextSwitchTo(old);
            MemoryContextReset(row_cxt);
        });
    });
    if (run_id) {
        Args args;
        count_args(args, run_id, counts, sites_total(req));
        exec(Stmt::FinishRun, args);
        pg_call([&]() noexcept { notify_run(run_id); });
    }
    spi_finish();
    return (Datum)0;
}

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
        UnitRequest unit{&req.customer, req.scope, &req.all_sites, &req.selected, true, 0, false};
        summary = dry_summary(req, audit_unit(unit, [](const core::ResultRow&) {}));
    } else {
        if (req.nowait) lock_for_audit(req.customer, req.scope, req.selected, true);
        forget_run_plan();  // of an earlier run of this session that did not end
        std::vector<std::int64_t> reaped;
        exec(Stmt::ReapStaleRuns, Args{}, [&](const Batch& b) {
            for (int i = 0; i < b.rows; ++i) reaped.push_back(b.at(i, 0).num);
        });
        for (std::int64_t id : reaped) pg_call([&]() noexcept { notify_run(id); });
        run_id = insert_run(req, sites_total(req), "audit");
        // A unit is a site, or the customer itself: for scope customer, and
        // first in a flat customer's site-scope audit, where it reports the
        // conflicts among all of the customer's uses once (as run() does) so
        // that each site then reads only what it needs.
        if (req.scope == core::Scope::Customer || req.customer.dial_plan == core::DialPlan::Flat ||
            req.selected.empty())
            units.push_back(req.customer.id);
        if (req.scope == core::Scope::Site)
            for (const auto& s : req.selected) units.push_back(s.id);
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
Datum audit_step_Cpp(FunctionCallInfo fcinfo) {
    std::int64_t run_id = PG_GETARG_INT64(0);
    std::int64_t unit_id = PG_GETARG_INT64(1);
    const bool nowait = PG_NARGS() > 2 && PG_GETARG_BOOL(2);  // STRICT: never NULL
    spi_connect();
    std::string scope_text, status;
    Request req;
    std::optional<std::string> site_name;
    bool found = false, customer_found = false;
    int named_sites = 0;
    {
        Args args;
        args.values[0] = Int64GetDatum(run_id);
        args.values[1] = Int64GetDatum(unit_id);
        scan(Stmt::RunInfo, args, [&](const Batch& b) {
            found = true;
            scope_text = std::string(b.at(0, 0).text());
            status = std::string(b.at(0, 1).text());
            req.customer.path = std::string(b.at(0, 2).text());
            customer_found = !b.at(0, 3).null;
            if (!customer_found) return;
            req.customer.id = b.at(0, 3).num;
            req.customer.number_management = b.at(0, 4).num != 0;
            req.customer.dial_plan =
                b.at(0, 5).text() == "slc" ? core::DialPlan::Slc : core::DialPlan::Flat;
            if (auto name = b.at(0, 6).opt_text()) site_name = std::string(*name);
            named_sites = static_cast<int>(b.at(0, 7).num);
        });
    }
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
    const bool flat = req.customer.dial_plan == core::DialPlan::Flat;
    int done = 0;
    core::Counts counts;
    if (req.scope == core::Scope::Site && unit_id != req.customer.id) {
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
                    req.selected.push_back(Site{b.at(r, 0).num, std::string(b.at(r, 1).text())});
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
    exec(Stmt::StepRun, args);
    spi_finish();
    PG_RETURN_VOID();
}

}  // namespace

}  // namespace numaudit::backend

using numaudit::backend::guarded_entry;

extern "C" Datum numaudit_run(PG_FUNCTION_ARGS) {
    return guarded_entry([&] { return numaudit::backend::run_Cpp(fcinfo); });
}

extern "C" Datum numaudit_audit_start(PG_FUNCTION_ARGS) {
    return guarded_entry([&] { return numaudit::backend::audit_start_Cpp(fcinfo); });
}

extern "C" Datum numaudit_audit_step(PG_FUNCTION_ARGS) {
    return guarded_entry([&] { return numaudit::backend::audit_step_Cpp(fcinfo); });
}

// last_run_id(): like lastval(), for the history of this session's audits.
extern "C" Datum numaudit_last_run_id(PG_FUNCTION_ARGS) {
    if (numaudit::backend::g_last_run_id == 0) PG_RETURN_NULL();
    PG_RETURN_INT64(numaudit::backend::g_last_run_id);
}

// numaudit.run() and last_run_id(), and the argument checks run() and CALL
// numaudit.audit share (run_request.hpp). Each SQL-callable function is a
// thin extern "C" shell around a _Cpp body run by guarded_entry(), which
// turns C++ exceptions into PostgreSQL errors.
#include <optional>
#include <string>
#include <vector>

#include "backend/audit_unit.hpp"
#include "backend/locks.hpp"
#include "backend/messages.hpp"
#include "backend/notify.hpp"
#include "backend/run_request.hpp"
#include "backend/settings.hpp"
#include "backend/spi.hpp"
#include "backend/tracking.hpp"
#include "core/audit_error.hpp"

extern "C" {
PG_MODULE_MAGIC;
PG_FUNCTION_INFO_V1(numaudit_run);
PG_FUNCTION_INFO_V1(numaudit_last_run_id);
}

namespace numaudit::backend {

namespace {

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

}  // namespace

// Argument checks that need no database come first, then the lookups:
// (customer, scope, sites[, dry_run, nowait[, incremental]]), as run() and
// audit() take.
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
    req.incremental = flag_arg(fcinfo, 5, "incremental");
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
    req.tracks = catalog_tracks();
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
            ereport(notice_level(),
                    (errmsg("%s", message.c_str()),
                     flat ? errhint("Scope 'customer' audits its customer-level entries.") : 0));
        });
    }
}

namespace {

// The audit_run id of this session's latest run or CALL (0: none yet).
std::int64_t g_last_run_id = 0;

}  // namespace

std::int64_t insert_run(const Request& req, int sites_total, const char* entry_point,
                        bool incremental) {
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
        args.values[6] = text_datum_Unsafe(incremental ? "incremental" : "full");
    });
    std::int64_t id = 0;
    exec(req.tracks ? Stmt::InsertRun : Stmt::InsertRunLegacy, args,
         [&](const Batch& b) { id = b.at(0, col::Id::id).num; });
    g_last_run_id = id;
    return id;
}

int sites_total(const Request& req) {
    return static_cast<int>(req.scope == core::Scope::Customer ? req.all_sites.size()
                                                               : req.selected.size());
}

Tracking begin_tracking(const Request& req) {
    if (!req.tracks) return Tracking{};
    const TrackedScope scope = tracked_scope(req.scope, req.site_names.empty());
    if (req.incremental && scope == TrackedScope::None)
        pg_call([&]() noexcept {
            ereport(notice_level(),
                    (errmsg("numaudit: an audit of chosen sites is always full"),
                     errhint("Incremental audits cover a whole scope: the customer, or "
                             "all of its sites.")));
        });
    // A dry full run consumes nothing, and needs nothing from tracking.
    if (req.dry_run && !req.incremental) return Tracking{};
    Tracking t = read_tracking(req.customer, scope, req.incremental);
    if (req.incremental && scope != TrackedScope::None && !t.incremental) {
        std::string message = "numaudit: a full audit of " + quoted_name(req.customer.path) +
                              " (scope " + tracked_scope_name(scope) + "): " + t.why_full;
        pg_call([&]() noexcept { ereport(notice_level(), (errmsg("%s", message.c_str()))); });
    }
    if (req.dry_run) t.scope = TrackedScope::None;  // reads, never consumes
    return t;
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

namespace {

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
    // Tracking is read before the inputs (tracking.hpp): what a committing
    // audit of a baseline scope consumes, and whether it can be incremental.
    const Tracking tracking = begin_tracking(req);
    std::int64_t run_id =
        dry_run ? 0 : insert_run(req, sites_total(req), "run", tracking.incremental);

    UnitRequest unit{&req.customer, req.scope, &req.all_sites, &req.selected,
                     dry_run,       run_id,    false};
    unit.tracking = &tracking;
    std::int64_t entries_read = 0;
    // Each row's Datums are built in a context reset after the tuplestore
    // has copied them: a million rows must not pile up in SPI's context.
    MemoryContext row_cxt = nullptr;
    pg_call([&]() noexcept {
        row_cxt = AllocSetContextCreate(CurrentMemoryContext, "numaudit row", ALLOCSET_SMALL_SIZES);
    });
    core::Counts counts = audit_unit(
        unit,
        [&](const core::ResultRow& row) {
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
        },
        &entries_read);
    if (run_id) {
        Args args;
        count_args(args, run_id, counts, sites_total(req));
        exec(Stmt::FinishRun, args);
        commit_tracking(req.customer, tracking, run_id, entries_read, counts.added);
        pg_call([&]() noexcept { notify_run(run_id); });
    }
    spi_finish();
    return (Datum)0;
}

}  // namespace

}  // namespace numaudit::backend

using numaudit::backend::guarded_entry;

extern "C" Datum numaudit_run(PG_FUNCTION_ARGS) {
    return guarded_entry([&] { return numaudit::backend::run_Cpp(fcinfo); });
}

// last_run_id(): like lastval(), for the history of this session's audits.
extern "C" Datum numaudit_last_run_id(PG_FUNCTION_ARGS) {
    if (numaudit::backend::g_last_run_id == 0) PG_RETURN_NULL();
    PG_RETURN_INT64(numaudit::backend::g_last_run_id);
}

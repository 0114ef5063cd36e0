#include "backend/audit_unit.hpp"

#include "backend/apply_plan.hpp"
#include "backend/context_resource.hpp"
#include "backend/history.hpp"
#include "backend/messages.hpp"
#include "backend/read_inputs.hpp"
#include "backend/settings.hpp"
#include "backend/write_batch.hpp"

namespace numaudit::backend {

namespace {

// Memory contexts of one unit: `audit` holds the core's data for the whole
// unit, `batch` is reset after every write batch.
struct Contexts {
    MemoryContext audit = nullptr;
    MemoryContext batch = nullptr;
};

Contexts create_contexts() {
    Contexts c;
    pg_call([&]() noexcept {
        c.audit =
            AllocSetContextCreate(CurrentMemoryContext, "numaudit audit", ALLOCSET_DEFAULT_SIZES);
        c.batch = AllocSetContextCreate(c.audit, "numaudit batch", ALLOCSET_DEFAULT_SIZES);
    });
    return c;
}

}  // namespace

core::Counts audit_unit(const UnitRequest& req, const RowSink& emit, std::int64_t* entries_read) {
    Contexts cxt = create_contexts();
    core::Counts counts;
    {
        ContextResource mr(cxt.audit, max_memory_bytes());
        core::Planner planner(&mr, req.customer->dial_plan, req.scope, req.customer->id,
                              req.customer->path, database_clip());
        // Destroyed before the planner, also when an error unwinds: the
        // planner's containers then free nothing piecemeal (the context is
        // deleted at once below), which keeps a cancel quick.
        struct StopFreeing {
            ContextResource& mr;
            ~StopFreeing() { mr.stop_freeing(); }
        } stop_freeing{mr};
        std::int64_t entries = 0;
        if (req.tracking && req.tracking->incremental)
            read_changed(planner, req, *req.tracking);
        else if (req.run_step && req.scope == core::Scope::Site && !req.selected->empty())
            read_slc_site(planner, req);
        else
            entries = read_inputs(planner, req);
        if (entries_read) *entries_read = entries;
        core::Plan plan = planner.plan([] { pg_call([]() noexcept { CHECK_FOR_INTERRUPTS(); }); });
        counts = plan.counts;
        Emitted emitted(plan.rows.size(), 1, &mr);
        if (req.run_step && req.run_id) skip_reported_held(req.run_id, plan, emitted, counts);
        if (!req.dry_run) {
            write_updates(plan, all_of(plan.updates.size(), &mr), emitted, counts, cxt.batch, &mr);
            write_inserts(plan, all_of(plan.inserts.size(), &mr), emitted, counts, cxt.batch, &mr);
            if (req.run_id)
                write_history(req.run_id, plan, all_of(plan.rows.size(), &mr), emitted, cxt.batch,
                              &mr);
        }
        for (std::size_t i = 0; i < plan.rows.size(); ++i)
            if (emitted[i]) emit(plan.rows[i]);
        pg_call([&]() noexcept {
            elog(DEBUG1,
                 "numaudit: %zu result rows; working memory peak %zu kB (numaudit.max_memory)",
                 plan.rows.size(), mr.peak() / 1024);
        });
        mr.stop_freeing();
    }
    pg_call([&]() noexcept { MemoryContextDelete(cxt.audit); });
    return counts;
}

}  // namespace numaudit::backend

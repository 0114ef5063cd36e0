#include "backend/audit_unit.hpp"

#include <algorithm>

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
    pg_call([&] {
        c.audit =
            AllocSetContextCreate(CurrentMemoryContext, "numaudit audit", ALLOCSET_DEFAULT_SIZES);
        c.batch = AllocSetContextCreate(c.audit, "numaudit batch", ALLOCSET_DEFAULT_SIZES);
    });
    return c;
}

}  // namespace

core::Counts audit_unit(const UnitRequest& req, const RowSink& emit) {
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
        if (req.run_step && req.scope == core::Scope::Site && !req.selected->empty())
            read_slc_site(planner, req);
        else
            read_inputs(planner, req);
        core::Plan plan = planner.plan([] { pg_call([] { CHECK_FOR_INTERRUPTS(); }); });
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
        pg_call([&] {
            elog(DEBUG1,
                 "numaudit: %zu result rows; working memory peak %zu kB (numaudit.max_memory)",
                 plan.rows.size(), mr.peak() / 1024);
        });
        mr.stop_freeing();
    }
    pg_call([&] { MemoryContextDelete(cxt.audit); });
    return counts;
}

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

}  // namespace

void forget_run_plan() noexcept {
    if (!g_run_plan.cxt) return;
    g_run_plan.mr->stop_freeing();
    MemoryContextDelete(g_run_plan.cxt);
    g_run_plan = RunPlan{};
}

core::Counts audit_run_plan(const UnitRequest& req) {
    forget_run_plan();
    RunPlan rp;
    pg_call([&] {
        rp.cxt =
            AllocSetContextCreate(TopMemoryContext, "numaudit run plan", ALLOCSET_DEFAULT_SIZES);
    });
    rp.run_id = req.run_id;
    core::Counts counts;
    try {
        void* place = nullptr;
        pg_call([&] { place = MemoryContextAlloc(rp.cxt, sizeof(ContextResource)); });
        rp.mr = ::new (place) ContextResource(rp.cxt, max_memory_bytes());
        rp.planner = make_in<core::Planner>(rp.mr, rp.mr, req.customer->dial_plan, req.scope,
                                            req.customer->id, req.customer->path, database_clip());
        read_inputs(*rp.planner, req);
        rp.plan = make_in<core::Plan>(
            rp.mr, rp.planner->plan([] { pg_call([] { CHECK_FOR_INTERRUPTS(); }); }));
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
        pg_call([&] {
            batch = AllocSetContextCreate(CurrentMemoryContext, "numaudit batch",
                                          ALLOCSET_DEFAULT_SIZES);
        });
        write_history(req.run_id, plan, mine, *rp.emitted, batch, rp.mr);
        pg_call([&] { MemoryContextDelete(batch); });
    } catch (...) {
        if (rp.mr) rp.mr->stop_freeing();
        MemoryContextDelete(rp.cxt);
        throw;
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
    pg_call([&] {
        batch =
            AllocSetContextCreate(CurrentMemoryContext, "numaudit batch", ALLOCSET_DEFAULT_SIZES);
    });
    write_updates(plan, updates, emitted, counts, batch, rp.mr);
    write_inserts(plan, inserts, emitted, counts, batch, rp.mr);
    write_history(run_id, plan, rows, emitted, batch, rp.mr);
    pg_call([&] { MemoryContextDelete(batch); });
    return true;
}

}  // namespace numaudit::backend

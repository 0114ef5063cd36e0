#include "backend/audit_unit.hpp"

#include <algorithm>
#include <string>
#include <unordered_set>

#include "backend/context_resource.hpp"
#include "backend/messages.hpp"
#include "backend/settings.hpp"
#include "backend/spi.hpp"
#include "core/audit_error.hpp"
#include "core/number_reading.hpp"

namespace numaudit::backend {

namespace {

// A write batch ends at 10,000 rows, or earlier at 64 MB of text, so that no
// value of any size makes one statement's arrays too large.
constexpr std::size_t kWriteBatch = 10000;
constexpr std::size_t kWriteBatchBytes = std::size_t{64} << 20;

std::size_t text_size(const core::OptText& t) { return t ? t->size() : 0; }

using core::OptText;

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

// Runs `fill` (PostgreSQL code building Datums) in the batch context.
template <typename Fn>
void in_batch(MemoryContext batch, Fn&& fill) {
    static_assert(std::is_nothrow_invocable_v<Fn&>, "in_batch: `fill` runs inside pg_call");
    pg_call([&]() noexcept {
        MemoryContext old = MemoryContextSwitchTo(batch);
        fill();
        MemoryContextSwitchTo(old);
    });
}

void reset_batch(MemoryContext batch) {
    pg_call([&]() noexcept { MemoryContextReset(batch); });
}

Datum int8_datum(std::int64_t v) { return Int64GetDatum(v); }

// The planner's inputs, from result rows of ReadKinds, ReadUses/ReadSiteUses
// and ReadEntries/ReadSiteEntries/ReadHeldEntries (their column orders).
void read_kinds(core::Planner& planner) {
    scan(Stmt::ReadKinds, Args{}, [&](const Batch& b) {
        for (int r = 0; r < b.rows; ++r)
            planner.add_usage_kind(b.at(r, 0).text(), b.at(r, 1).text(), b.at(r, 2).text(),
                                   static_cast<int>(b.at(r, 3).num));
    });
}

void add_use(core::Planner& planner, const Batch& b, int r) {
    planner.add_use(b.at(r, 0).num, b.at(r, 1).text(), b.at(r, 2).text(), b.at(r, 3).text(),
                    static_cast<int>(b.at(r, 4).num), b.at(r, 5).text());
}

// An entry row (ENTRY_COLUMNS in spi.cpp): id, holder, internal_number,
// status, usage (its start and an md5 of the whole when very long).
void add_entry(core::Planner& planner, const Batch& b, int r) {
    const Cell& usage = b.at(r, 4);
    planner.add_entry(b.at(r, 0).num, b.at(r, 1).num, b.at(r, 2).text(), b.at(r, 3).text(),
                      usage.opt_text(), usage.digest ? core::OptText(usage.digest) : std::nullopt);
}

void read_inputs(core::Planner& planner, const UnitRequest& req) {
    const Customer& customer = *req.customer;
    const bool flat = customer.dial_plan == core::DialPlan::Flat;

    read_kinds(planner);

    std::unordered_set<std::int64_t> selected;
    for (const auto& s : *req.selected) selected.insert(s.id);
    for (const auto& s : *req.all_sites)
        planner.add_site(s.id, s.name,
                         req.scope == core::Scope::Customer || selected.count(s.id) > 0);

    // Uses: a flat customer's uses all count together; an slc site's own.
    std::vector<std::int64_t> owners;
    if (flat) {
        owners.push_back(customer.id);
        for (const auto& s : *req.all_sites) owners.push_back(s.id);
    } else {
        for (const auto& s : *req.selected) owners.push_back(s.id);
    }
    // Entries: the audited ones, plus the customer level (for "held at
    // customer level"); in a flat customer every site's, since a number held
    // anywhere in the customer is not added again.
    std::vector<std::int64_t> holders{customer.id};
    const bool every_site = req.scope == core::Scope::Customer || flat;
    for (const auto& s : every_site ? *req.all_sites : *req.selected) holders.push_back(s.id);

    Args uses_args;
    pg_call(
        [&]() noexcept { uses_args.values[0] = int8_array_Unsafe(owners.data(), owners.size()); });
    scan(Stmt::ReadUses, uses_args, [&](const Batch& b) {
        for (int r = 0; r < b.rows; ++r) add_use(planner, b, r);
    });
    Args entry_args;
    pg_call([&]() noexcept {
        entry_args.values[0] = int8_array_Unsafe(holders.data(), holders.size());
    });
    scan(Stmt::ReadEntries, entry_args, [&](const Batch& b) {
        for (int r = 0; r < b.rows; ++r) add_entry(planner, b, r);
    });
}

// One site of an slc customer's audit() (req.selected is that site): its own
// entries and uses are all that count; the customer's entries are read only
// for the numbers the site uses and holds no entry for.
void read_slc_site(core::Planner& planner, const UnitRequest& req) {
    const Customer& customer = *req.customer;
    const std::int64_t site = req.selected->front().id;

    read_kinds(planner);
    planner.add_site(site, req.selected->front().name, true);

    // The numbers the site holds and those its uses need, as read.
    std::unordered_set<std::string> numbers, missing;
    std::string buffer;
    Args site_args;
    site_args.values[0] = Int64GetDatum(site);
    scan(Stmt::ReadSiteEntries, site_args, [&](const Batch& b) {
        for (int r = 0; r < b.rows; ++r) {
            add_entry(planner, b, r);
            core::NumberReading read = core::read_number(b.at(r, 2).text(), buffer);
            if (read.kind == core::NumberKind::Number) numbers.emplace(read.text);
        }
    });
    scan(Stmt::ReadSiteUses, site_args, [&](const Batch& b) {
        for (int r = 0; r < b.rows; ++r) {
            add_use(planner, b, r);
            core::NumberReading read = core::read_number(b.at(r, 5).text(), buffer);
            if (read.kind == core::NumberKind::Number && !numbers.count(std::string(read.text)))
                missing.emplace(read.text);
        }
    });
    if (missing.empty()) return;
    std::vector<core::OptText> list(missing.begin(), missing.end());
    Args held_args;
    pg_call([&]() noexcept {
        held_args.values[0] = Int64GetDatum(customer.id);
        held_args.values[1] = text_array_Unsafe(list.data(), list.size());
    });
    scan(Stmt::ReadHeldEntries, held_args, [&](const Batch& b) {
        for (int r = 0; r < b.rows; ++r) add_entry(planner, b, r);
    });
}

// Indexes into the plan's updates, inserts or rows: all of them, or one
// site's (audit() applies a run's plan site by site).
using Selection = std::pmr::vector<std::uint32_t>;
// Per result row: still reported (1), or dropped because its write did not
// apply or an earlier unit of the run reported it (0).
using Emitted = std::pmr::vector<char>;

Selection all_of(std::size_t n, std::pmr::memory_resource* mr) {
    Selection all(mr);
    all.reserve(n);
    for (std::uint32_t i = 0; i < n; ++i) all.push_back(i);
    return all;
}

// Applies the updates; rows whose entry changed meanwhile are not reported.
void write_updates(const core::Plan& plan, const Selection& which, Emitted& emitted,
                   core::Counts& counts, MemoryContext batch, std::pmr::memory_resource* mr) {
    std::pmr::vector<std::int64_t> ids(mr), holders(mr);
    std::pmr::vector<std::int32_t> rows(mr);
    std::pmr::vector<OptText> nums(mr), olds(mr), oldu(mr), news(mr), newu(mr), digests(mr);
    for (std::size_t start = 0; start < which.size();) {
        ids.clear(), holders.clear(), nums.clear(), rows.clear(), digests.clear();
        olds.clear(), oldu.clear(), news.clear(), newu.clear();
        std::size_t end = start, bytes = 0;
        for (; end < which.size() && end - start < kWriteBatch && bytes < kWriteBatchBytes; ++end) {
            const auto& u = plan.updates[which[end]];
            const core::ResultRow row = plan.rows[u.row];
            ids.push_back(u.entry_id);
            holders.push_back(u.holder);
            nums.push_back(u.stored);  // the key: the text as stored
            rows.push_back(static_cast<std::int32_t>(u.row));
            olds.push_back(row.old_status);
            oldu.push_back(u.usage_complete ? u.usage : std::nullopt);
            digests.push_back(u.usage_complete ? std::nullopt : u.usage);
            news.push_back(row.new_status);
            newu.push_back(row.new_usage);
            bytes += u.stored.size() + text_size(u.usage) + text_size(row.new_usage);
            emitted[u.row] = 0;  // until the database says it was applied
        }
        Args args;
        in_batch(batch, [&]() noexcept {
            args.values[0] = int8_array_Unsafe(ids.data(), ids.size());
            args.values[1] = int8_array_Unsafe(holders.data(), holders.size());
            args.values[2] = text_array_Unsafe(nums.data(), nums.size());
            args.values[3] = text_array_Unsafe(olds.data(), olds.size());
            args.values[4] = text_array_Unsafe(oldu.data(), oldu.size());
            args.values[5] = text_array_Unsafe(news.data(), news.size());
            args.values[6] = text_array_Unsafe(newu.data(), newu.size());
            args.values[7] = int4_array_Unsafe(rows.data(), rows.size());
            args.values[8] = text_array_Unsafe(digests.data(), digests.size());
        });
        exec(Stmt::LockEntries, args);
        exec(Stmt::UpdateEntries, args, [&](const Batch& b) {
            for (int r = 0; r < b.rows; ++r) emitted[static_cast<std::size_t>(b.at(r, 0).num)] = 1;
        });
        reset_batch(batch);
        start = end;
    }
    for (auto i : which)
        if (!emitted[plan.updates[i].row]) --counts.updated;
}

// Inserts the new entries; one an application added meanwhile is left as is.
// A row skipped only because its id was taken (a loader's own id, or one
// handed out concurrently) is retried with a fresh id.
void write_inserts(const core::Plan& plan, const Selection& which, Emitted& emitted,
                   core::Counts& counts, MemoryContext batch, std::pmr::memory_resource* mr) {
    constexpr int kMaxAttempts = 8;
    if (which.empty()) return;
    std::pmr::vector<std::uint32_t> pending(mr), retry(mr), skipped(mr);
    for (auto i : which) {
        pending.push_back(i);
        emitted[plan.inserts[i].row] = 0;  // until the database says it was added
    }
    std::pmr::vector<std::int64_t> holders(mr);
    std::pmr::vector<OptText> numbers(mr), statuses(mr), usages(mr);
    std::pmr::unordered_map<std::string_view, std::pmr::vector<std::uint32_t>> by_number(mr);
    // The arguments of inserts which[from, to), built in the batch context.
    // `index` also records them by number, for reading RETURNING rows back
    // (the plain first try returns none).
    auto batch_args = [&](const std::pmr::vector<std::uint32_t>& which, std::size_t from,
                          std::size_t to, bool index) {
        holders.clear(), numbers.clear(), statuses.clear(), usages.clear();
        by_number.clear();
        for (std::size_t k = from; k < to; ++k) {
            const auto& a = plan.inserts[which[k]];
            const core::ResultRow row = plan.rows[a.row];
            holders.push_back(a.holder);
            numbers.push_back(row.internal_number);
            statuses.push_back(row.new_status);
            usages.push_back(row.new_usage);
            if (index) by_number[*row.internal_number].push_back(which[k]);
        }
        Args args;
        in_batch(batch, [&]() noexcept {
            args.values[0] = int8_array_Unsafe(holders.data(), holders.size());
            args.values[1] = text_array_Unsafe(numbers.data(), numbers.size());
            args.values[2] = text_array_Unsafe(statuses.data(), statuses.size());
            args.values[3] = text_array_Unsafe(usages.data(), usages.size());
        });
        return args;
    };
    auto find = [&](const Batch& b, int r) -> std::int64_t {
        auto it = by_number.find(b.at(r, 1).text());
        if (it == by_number.end()) return -1;
        for (auto i : it->second)
            if (plan.inserts[i].holder == b.at(r, 0).num) return i;
        return -1;
    };
    // First a plain insert per batch (the common case: nothing collides);
    // a batch where something does goes the careful way below.
    exec(Stmt::SyncNumberIds, Args{});
    retry.clear();
    for (std::size_t start = 0; start < pending.size(); start += kWriteBatch) {
        std::size_t end = std::min(pending.size(), start + kWriteBatch);
        Args args = batch_args(pending, start, end, false);
        if (exec_unless_unique_violation(Stmt::InsertEntriesPlain, args)) {
            for (std::size_t k = start; k < end; ++k) emitted[plan.inserts[pending[k]].row] = 1;
        } else {
            retry.insert(retry.end(), pending.begin() + start, pending.begin() + end);
        }
        reset_batch(batch);
    }
    pending.swap(retry);
    for (int attempt = 0; !pending.empty(); ++attempt) {
        // The last attempt names the key as the conflict target: a row it
        // skips has an entry (one the caller's row-level security hides, if
        // it looked missing), and an id still taken is a unique violation.
        const bool last = attempt == kMaxAttempts - 1;
        exec(Stmt::SyncNumberIds, Args{});
        retry.clear();
        for (std::size_t start = 0; start < pending.size(); start += kWriteBatch) {
            std::size_t end = std::min(pending.size(), start + kWriteBatch);
            Args args = batch_args(pending, start, end, true);
            int inserted = 0;
            exec(last ? Stmt::InsertEntriesByKey : Stmt::InsertEntries, args, [&](const Batch& b) {
                inserted = b.rows;
                for (int r = 0; r < b.rows; ++r)
                    if (auto i = find(b, r); i >= 0) emitted[plan.inserts[i].row] = 1;
            });
            reset_batch(batch);
            if (last || inserted == static_cast<int>(end - start)) continue;
            // Which skipped rows still have no entry: their id was taken.
            skipped.clear();
            for (std::size_t k = start; k < end; ++k)
                if (!emitted[plan.inserts[pending[k]].row]) skipped.push_back(pending[k]);
            args = batch_args(skipped, 0, skipped.size(), true);
            exec(Stmt::MissingEntries, args, [&](const Batch& b) {
                for (int r = 0; r < b.rows; ++r)
                    if (auto i = find(b, r); i >= 0) retry.push_back(static_cast<std::uint32_t>(i));
            });
            reset_batch(batch);
        }
        pending.swap(retry);
    }
    for (auto i : which)
        if (!emitted[plan.inserts[i].row]) --counts.added;
}

void write_history(std::int64_t run_id, const core::Plan& plan, const Selection& which,
                   const Emitted& emitted, MemoryContext batch, std::pmr::memory_resource* mr) {
    std::pmr::vector<OptText> cols[9] = {
        std::pmr::vector<OptText>(mr), std::pmr::vector<OptText>(mr),
        std::pmr::vector<OptText>(mr), std::pmr::vector<OptText>(mr),
        std::pmr::vector<OptText>(mr), std::pmr::vector<OptText>(mr),
        std::pmr::vector<OptText>(mr), std::pmr::vector<OptText>(mr),
        std::pmr::vector<OptText>(mr)};
    auto flush = [&] {
        if (cols[0].empty()) return;
        Args args;
        in_batch(batch, [&]() noexcept {
            args.values[0] = int8_datum(run_id);
            for (int c = 0; c < 9; ++c)
                args.values[c + 1] = text_array_Unsafe(cols[c].data(), cols[c].size());
        });
        exec(Stmt::InsertChanges, args);
        reset_batch(batch);
        for (auto& c : cols) c.clear();
    };
    std::size_t bytes = 0;
    for (auto i : which) {
        if (!emitted[i]) continue;
        const core::ResultRow r = plan.rows[i];
        bytes += r.hierarchy.size() + text_size(r.site) + text_size(r.internal_number) +
                 text_size(r.old_usage) + text_size(r.new_usage) + text_size(r.detail);
        cols[0].push_back(r.hierarchy);
        cols[1].push_back(r.site);
        cols[2].push_back(r.internal_number);
        cols[3].push_back(std::string_view(core::action_name(r.action)));
        cols[4].push_back(r.old_status);
        cols[5].push_back(r.old_usage);
        cols[6].push_back(r.new_status);
        cols[7].push_back(r.new_usage);
        cols[8].push_back(r.detail);
        if (cols[0].size() >= kWriteBatch || bytes >= kWriteBatchBytes) {
            flush();
            bytes = 0;
        }
    }
    flush();
}

// audit(): a number held at customer level is reported by the first site
// of the run that needs it.
void skip_reported_held(std::int64_t run_id, const core::Plan& plan, Emitted& emitted,
                        core::Counts& counts) {
    std::vector<core::OptText> held;
    for (const core::ResultRow r : plan.rows)
        if (r.action == core::Action::Skipped && r.detail == core::kHeldAtCustomerLevel)
            held.push_back(r.internal_number);
    if (held.empty()) return;
    std::unordered_set<std::string> seen;
    Args args;
    pg_call([&]() noexcept {
        args.values[0] = int8_datum(run_id);
        args.values[1] = text_array_Unsafe(held.data(), held.size());
    });
    scan(Stmt::ReadReportedHeld, args, [&](const Batch& b) {
        for (int r = 0; r < b.rows; ++r) seen.emplace(b.at(r, 0).text());
    });
    if (seen.empty()) return;
    for (std::size_t i = 0; i < plan.rows.size(); ++i) {
        if (plan.rows.action(i) != core::Action::Skipped) continue;
        const core::ResultRow r = plan.rows[i];
        if (r.detail != core::kHeldAtCustomerLevel) continue;
        if (!seen.count(std::string(*r.internal_number))) continue;
        emitted[i] = 0;
        --counts.skipped;
    }
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
    pg_call([&]() noexcept {
        rp.cxt =
            AllocSetContextCreate(TopMemoryContext, "numaudit run plan", ALLOCSET_DEFAULT_SIZES);
    });
    rp.run_id = req.run_id;
    core::Counts counts;
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

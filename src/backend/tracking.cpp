#include "backend/tracking.hpp"

#include <algorithm>
#include <optional>
#include <string_view>

#include "backend/settings.hpp"
#include "backend/spi.hpp"

namespace numaudit::backend {

namespace {

// More marks than a share of the baseline's entries (numaudit.incremental_share,
// default entries / 20) and than the floor, and the audit runs full:
// re-reading that much by key costs more than the full scan
// (docs/PERFORMANCE.md, "Incremental audits", the crossover).
// The tracking triggers (numaudit--0.3.0--0.4.0.sql) write one whole mark
// instead of a statement's keys beyond greatest(1000, entries / 40), half
// that share: keep the floor equal and the triggers' share at twice
// kDefaultIncrementalShare (settings.hpp) or more.
constexpr std::int64_t kIncrementalFloor = 1000;

}  // namespace

bool catalog_tracks() {
    bool yes = false;
    exec(Stmt::HasTracking, Args{}, [&](const Batch& b) { yes = b.at(0, col::Call::result).num; });
    return yes;
}

TrackedScope tracked_scope(core::Scope scope, bool all_sites) {
    if (scope == core::Scope::Customer) return TrackedScope::Customer;
    return all_sites ? TrackedScope::AllSites : TrackedScope::None;
}

const char* tracked_scope_name(TrackedScope scope) noexcept {
    switch (scope) {
        case TrackedScope::Customer:
            return "customer";
        case TrackedScope::AllSites:
            return "all_sites";
        case TrackedScope::None:
            break;
    }
    return "none";
}

Tracking read_tracking(const Customer& customer, TrackedScope scope, bool want_incremental) {
    Tracking t;
    t.scope = scope;
    if (scope == TrackedScope::None) return t;
    // First the epoch and the transactions seen: a change committed after
    // these reads stays pending, whatever else the audit then reads.
    exec(Stmt::ReadEpoch, Args{}, [&](const Batch& b) {
        if (b.rows > 0) t.epoch = b.at(0, col::Epoch::epoch).num;
    });
    Args cust;
    cust.values[0] = Int64GetDatum(customer.id);
    scan(Stmt::ReadPendingXacts, cust, [&](const Batch& b) {
        for (int r = 0; r < b.rows; ++r) t.seen.emplace_back(b.at(r, col::Xact::xact).text());
    });
    if (!want_incremental) return t;

    Args base;
    std::optional<std::int64_t> baseline_epoch;
    pg_call([&]() noexcept {
        base.values[0] = Int64GetDatum(customer.id);
        base.values[1] = text_datum_Unsafe(tracked_scope_name(scope));
    });
    exec(Stmt::ReadBaseline, base, [&](const Batch& b) {
        if (b.rows == 0) return;
        baseline_epoch = b.at(0, col::Baseline::epoch).num;
        t.baseline_entries = b.at(0, col::Baseline::entries).num;
    });
    if (!baseline_epoch) {
        t.why_full =
            "no baseline: not audited in this scope since tracking began, or its baseline was "
            "dropped for too many pending changes";
        return t;
    }
    if (*baseline_epoch != t.epoch) {
        t.why_full = "a usage kind changed or a tracked table was truncated since the baseline";
        return t;
    }
    const std::int64_t limit =
        std::max(kIncrementalFloor, t.baseline_entries / std::int64_t{g_incremental_share});
    Args marks;
    pg_call([&]() noexcept {
        marks.values[0] = Int64GetDatum(customer.id);
        marks.values[1] = text_datum_Unsafe(tracked_scope_name(scope));
        marks.values[2] = Int64GetDatum(limit + 1);
    });
    bool whole = false;
    std::int64_t count = 0;
    scan(Stmt::ReadPendingMarks, marks, [&](const Batch& b) {
        for (int r = 0; r < b.rows; ++r) {
            ++count;
            if (b.at(r, col::Mark::whole).num) whole = true;
            const Cell& key = b.at(r, col::Mark::number_key);
            if (!key.null) t.number_keys.emplace_back(key.text());
            const Cell& kind = b.at(r, col::Mark::device_kind);
            const Cell& name = b.at(r, col::Mark::device_name);
            if (!kind.null && !name.null)
                (key.null ? t.device_keys : t.line_device_keys)
                    .push_back(DeviceKey{std::string(kind.text()), std::string(name.text())});
        }
    });
    if (whole) {
        t.why_full = "the customer's tree or settings changed, or too many changes at once";
    } else if (count > limit) {
        t.why_full = "more than " + std::to_string(limit) +
                     " changes since the baseline: a full audit is cheaper";
    } else {
        t.incremental = true;
        return t;
    }
    t.number_keys.clear();
    t.device_keys.clear();
    t.line_device_keys.clear();
    return t;
}

void commit_tracking(const Customer& customer, const Tracking& t, std::int64_t run_id,
                     std::int64_t entries_read, std::int64_t added) {
    if (t.scope == TrackedScope::None) return;
    const std::int64_t entries = t.incremental ? t.baseline_entries + added : entries_read;
    std::vector<std::optional<std::string_view>> seen(t.seen.begin(), t.seen.end());
    Args args;
    pg_call([&]() noexcept {
        args.values[0] = Int64GetDatum(customer.id);
        args.values[1] = text_datum_Unsafe(tracked_scope_name(t.scope));
        args.values[2] = Int64GetDatum(run_id);
        args.values[3] = text_datum_Unsafe(t.incremental ? "incremental" : "full");
        args.values[4] = Int64GetDatum(t.epoch);
        args.values[5] = Int64GetDatum(entries);
        args.values[6] = text_array_Unsafe(seen.data(), seen.size());
    });
    exec(Stmt::TrackingCommit, args);
}

namespace {

// Plain heap objects: a session keeps at most one, and forget_run_tracking
// (never raising) drops it when the run ends or fails.
std::int64_t g_run_id = 0;
Tracking* g_run_tracking = nullptr;

}  // namespace

void remember_run_tracking(std::int64_t run_id, const Tracking& tracking) {
    auto* kept = new Tracking(tracking);
    forget_run_tracking();
    g_run_tracking = kept;
    g_run_id = run_id;
}

std::optional<Tracking> take_run_tracking(std::int64_t run_id) {
    if (!g_run_tracking || g_run_id != run_id) return std::nullopt;
    std::optional<Tracking> out(std::move(*g_run_tracking));
    forget_run_tracking();
    return out;
}

void note_run_unit(std::int64_t run_id) {
    if (!g_run_tracking || g_run_id != run_id) return;
    FullTransactionId xact = InvalidFullTransactionId;
    pg_call([&]() noexcept { xact = GetTopFullTransactionIdIfAny(); });
    if (FullTransactionIdIsValid(xact))
        g_run_tracking->seen.push_back(std::to_string(U64FromFullTransactionId(xact)));
}

void forget_run_tracking() noexcept {
    delete g_run_tracking;
    g_run_tracking = nullptr;
    g_run_id = 0;
}

}  // namespace numaudit::backend

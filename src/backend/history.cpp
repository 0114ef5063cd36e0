#include "backend/history.hpp"

#include <string>
#include <unordered_set>
#include <vector>

#include "backend/spi.hpp"

namespace numaudit::backend {

namespace {

using core::OptText;

Datum int8_datum(std::int64_t v) { return Int64GetDatum(v); }

}  // namespace

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
        for (int r = 0; r < b.rows; ++r) seen.emplace(b.at(r, col::Number::internal_number).text());
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

}  // namespace numaudit::backend

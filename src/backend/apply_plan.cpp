#include "backend/apply_plan.hpp"

#include <algorithm>
#include <string_view>
#include <unordered_map>

#include "backend/spi.hpp"

namespace numaudit::backend {

namespace {

using core::OptText;

// How many times an insert is tried before the last try, which names the
// key as the conflict target (see write_inserts).
constexpr int kMaxInsertAttempts = 8;

}  // namespace

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
            for (int r = 0; r < b.rows; ++r)
                emitted[static_cast<std::size_t>(b.at(r, col::Updated::row_no).num)] = 1;
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
        auto it = by_number.find(b.at(r, col::Key::internal_number).text());
        if (it == by_number.end()) return -1;
        for (auto i : it->second)
            if (plan.inserts[i].holder == b.at(r, col::Key::holder).num) return i;
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
        const bool last = attempt == kMaxInsertAttempts - 1;
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

}  // namespace numaudit::backend

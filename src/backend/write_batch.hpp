// What the writers of a unit share: the size of a write batch, the batch
// memory context, and which rows of a plan a write applies to and reports.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory_resource>
#include <type_traits>
#include <vector>

#include "backend/guard.hpp"
#include "core/planner.hpp"

namespace numaudit::backend {

// A write batch ends at 10,000 rows, or earlier at 64 MB of text, so that no
// value of any size makes one statement's arrays too large.
constexpr std::size_t kWriteBatch = 10000;
constexpr std::size_t kWriteBatchBytes = std::size_t{64} << 20;

inline std::size_t text_size(const core::OptText& t) { return t ? t->size() : 0; }

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

inline void reset_batch(MemoryContext batch) {
    pg_call([&]() noexcept { MemoryContextReset(batch); });
}

// Indexes into the plan's updates, inserts or rows: all of them, or one
// site's (audit() applies a run's plan site by site).
using Selection = std::pmr::vector<std::uint32_t>;
// Per result row: still reported (1), or dropped because its write did not
// apply or an earlier unit of the run reported it (0).
using Emitted = std::pmr::vector<char>;

inline Selection all_of(std::size_t n, std::pmr::memory_resource* mr) {
    Selection all(mr);
    all.reserve(n);
    for (std::uint32_t i = 0; i < n; ++i) all.push_back(i);
    return all;
}

}  // namespace numaudit::backend

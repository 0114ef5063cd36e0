// A std::pmr::memory_resource over a PostgreSQL memory context. Running out
// of memory is a std::bad_alloc (never an ERROR through container code).
// Memory given back is pfree'd (a grown vector's old buffer must not stay
// for the whole audit): pfree of a chunk of a live context cannot raise an
// ERROR, so destructors may call it, also while an exception unwinds. The
// context itself is deleted when the audit ends.
#pragma once

#include <cstddef>
#include <memory_resource>
#include <new>

#include "backend/pg.hpp"

namespace numaudit::backend {

// The audit reached numaudit.max_memory (as opposed to the server running
// out of memory): both are SQLSTATE 53200, with different messages.
class MemoryLimitReached : public std::bad_alloc {
  public:
    const char* what() const noexcept override { return "numaudit.max_memory reached"; }
};

class ContextResource final : public std::pmr::memory_resource {
  public:
    // `limit` in bytes; 0 means no limit beyond what the system gives.
    ContextResource(MemoryContext cxt, std::size_t limit) noexcept : cxt_(cxt), limit_(limit) {}
    // From now on memory given back is left to the context's deletion: the
    // containers of a finished (or failed) audit are dropped in one go
    // instead of chunk by chunk.
    void stop_freeing() noexcept { freeing_ = false; }

    // Bytes in use now, and the most ever in use.
    std::size_t allocated() const noexcept { return allocated_; }
    std::size_t peak() const noexcept { return peak_; }

  private:
    void* do_allocate(std::size_t bytes, std::size_t alignment) override;
    void do_deallocate(void* p, std::size_t bytes, std::size_t alignment) noexcept override;
    bool do_is_equal(const std::pmr::memory_resource& other) const noexcept override {
        return this == &other;
    }

    MemoryContext cxt_;
    std::size_t limit_;
    std::size_t allocated_ = 0;
    std::size_t peak_ = 0;
    bool freeing_ = true;
};

}  // namespace numaudit::backend

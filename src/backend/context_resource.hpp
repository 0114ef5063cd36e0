// A std::pmr::memory_resource over a PostgreSQL memory context. Running out
// of memory is a std::bad_alloc (never an ERROR through container code), and
// nothing is freed piecemeal: the context is deleted when the audit ends, so
// destructors never call into PostgreSQL.
#pragma once

#include <cstddef>
#include <memory_resource>

#include "backend/pg.hpp"

namespace numaudit::backend {

class ContextResource final : public std::pmr::memory_resource {
  public:
    // `limit` in bytes; 0 means no limit beyond what the system gives.
    ContextResource(MemoryContext cxt, std::size_t limit) noexcept : cxt_(cxt), limit_(limit) {}
    std::size_t allocated() const noexcept { return allocated_; }

  private:
    void* do_allocate(std::size_t bytes, std::size_t alignment) override;
    void do_deallocate(void*, std::size_t, std::size_t) noexcept override {}
    bool do_is_equal(const std::pmr::memory_resource& other) const noexcept override {
        return this == &other;
    }

    MemoryContext cxt_;
    std::size_t limit_;
    std::size_t allocated_ = 0;
};

}  // namespace numaudit::backend

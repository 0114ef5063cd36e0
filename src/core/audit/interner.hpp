// Strings stored once, each known by a dense id: an open-addressing hash
// table of ids over an arena (no node per string, no rehash of strings).
#pragma once

#include <cstdint>
#include <memory_resource>
#include <string_view>
#include <vector>

#include "core/chunked_vector.hpp"

namespace numaudit::core::audit {

class Interner {
  public:
    // The table lives in `mr`, the strings in `arena` (never freed one by one).
    Interner(std::pmr::memory_resource* mr, std::pmr::memory_resource* arena);
    std::uint32_t intern(std::string_view s);
    std::string_view text(std::uint32_t id) const noexcept { return texts_[id]; }
    std::uint32_t size() const noexcept { return static_cast<std::uint32_t>(texts_.size()); }

  private:
    void grow();
    std::pmr::memory_resource* arena_;
    ChunkedVector<std::string_view> texts_;
    std::pmr::vector<std::uint64_t> slots_;  // hash << 32 | (id + 1); 0: empty
};

}  // namespace numaudit::core::audit

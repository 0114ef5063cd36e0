#include "core/cpp_only.hpp"  // must come first: no PostgreSQL header in the core
#include "core/audit/interner.hpp"

#include <algorithm>
#include <functional>
#include <new>

namespace numaudit::core::audit {

namespace {
// The last id an interner hands out: ids must stay below RowRecord::kNone.
constexpr std::uint32_t kLastId = 0xffffffffu - 1;
}  // namespace

Interner::Interner(std::pmr::memory_resource* mr, std::pmr::memory_resource* arena)
    : arena_(arena), texts_(mr), slots_(mr) {}

void Interner::grow() {
    std::size_t cap = slots_.empty() ? 64 : slots_.size() * 2;
    std::pmr::vector<std::uint64_t> next(cap, 0, slots_.get_allocator());
    const std::size_t mask = cap - 1;
    for (std::uint64_t slot : slots_) {
        if (!slot) continue;
        std::size_t i = (slot >> 32) & mask;
        while (next[i]) i = (i + 1) & mask;
        next[i] = slot;
    }
    slots_.swap(next);
}

std::uint32_t Interner::intern(std::string_view s) {
    if ((texts_.size() + 1) * 2 > slots_.size()) grow();  // load factor <= 1/2
    const std::uint64_t h = std::hash<std::string_view>{}(s)&0xffffffffu;
    const std::size_t mask = slots_.size() - 1;
    std::size_t i = h & mask;
    for (;; i = (i + 1) & mask) {
        std::uint64_t slot = slots_[i];
        if (!slot) break;
        if ((slot >> 32) == h && texts_[(slot & 0xffffffffu) - 1] == s)
            return static_cast<std::uint32_t>((slot & 0xffffffffu) - 1);
    }
    char* p = static_cast<char*>(arena_->allocate(s.size() + 1, 1));
    std::copy(s.begin(), s.end(), p);
    p[s.size()] = '\0';
    auto id = static_cast<std::uint32_t>(texts_.size());
    if (id == kLastId) throw std::bad_alloc();
    texts_.push_back(std::string_view(p, s.size()));
    slots_[i] = (h << 32) | (static_cast<std::uint64_t>(id) + 1);
    return id;
}

}  // namespace numaudit::core::audit

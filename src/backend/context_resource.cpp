#include "backend/context_resource.hpp"

#include <cstdint>
#include <new>

namespace numaudit::backend {

void* ContextResource::do_allocate(std::size_t bytes, std::size_t alignment) {
    // palloc aligns to MAXIMUM_ALIGNOF; larger alignments (monotonic buffers
    // ask for alignof(max_align_t)) get padding, which is never freed alone.
    std::size_t padding = alignment > MAXIMUM_ALIGNOF ? alignment : 0;
    if (bytes > MaxAllocHugeSize - padding) throw std::bad_alloc();
    if (limit_ && allocated_ + bytes + padding > limit_) throw MemoryLimitReached();
    // NO_OOM: a failed allocation returns NULL instead of raising an ERROR.
    void* p =
        MemoryContextAllocExtended(cxt_, bytes + padding, MCXT_ALLOC_HUGE | MCXT_ALLOC_NO_OOM);
    if (!p) throw std::bad_alloc();
    allocated_ += bytes + padding;
    if (allocated_ > peak_) peak_ = allocated_;
    if (padding) {
        auto addr = reinterpret_cast<std::uintptr_t>(p);
        p = reinterpret_cast<void*>((addr + alignment - 1) & ~(std::uintptr_t(alignment) - 1));
    }
    return p;
}

void ContextResource::do_deallocate(void* p, std::size_t bytes, std::size_t alignment) noexcept {
    // Over-aligned blocks (a monotonic buffer's few large ones) are not
    // freed alone: their start is not the chunk's. The context frees them.
    if (!freeing_ || alignment > MAXIMUM_ALIGNOF) return;
    allocated_ -= bytes;
    pfree(p);
}

}  // namespace numaudit::backend

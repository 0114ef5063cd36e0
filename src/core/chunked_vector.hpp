// A vector in fixed-size chunks: it grows without ever moving its elements,
// so a million-element audit never holds an old and a new copy of its
// arrays at once (a growing std::vector briefly needs three times the
// space, and the freed copies stay in the backend's heap).
#pragma once

#include <cstddef>
#include <memory_resource>
#include <new>
#include <type_traits>
#include <vector>

namespace numaudit::core {

template <class T, unsigned ChunkBits = 10>
class ChunkedVector {
    static constexpr std::size_t kChunk = std::size_t{1} << ChunkBits;
    static constexpr std::size_t kMask = kChunk - 1;

  public:
    explicit ChunkedVector(std::pmr::memory_resource* mr) : mr_(mr), chunks_(mr) {}
    ~ChunkedVector() { release(); }
    ChunkedVector(const ChunkedVector&) = delete;
    ChunkedVector& operator=(const ChunkedVector&) = delete;
    ChunkedVector(ChunkedVector&& other) noexcept
        : mr_(other.mr_), chunks_(std::move(other.chunks_)), size_(other.size_) {
        other.chunks_.clear();
        other.size_ = 0;
    }

    void push_back(const T& value) {
        static_assert(std::is_trivially_copyable_v<T> && std::is_trivially_destructible_v<T>,
                      "chunks are raw memory");
        if (size_ == chunks_.size() * kChunk) {
            chunks_.reserve(chunks_.size() + 1);  // may throw: before allocating the chunk
            chunks_.push_back(static_cast<T*>(mr_->allocate(kChunk * sizeof(T), alignof(T))));
        }
        ::new (&chunks_[size_ >> ChunkBits][size_ & kMask]) T(value);
        ++size_;
    }
    T& operator[](std::size_t i) noexcept { return chunks_[i >> ChunkBits][i & kMask]; }
    const T& operator[](std::size_t i) const noexcept { return chunks_[i >> ChunkBits][i & kMask]; }
    std::size_t size() const noexcept { return size_; }
    bool empty() const noexcept { return size_ == 0; }
    std::pmr::memory_resource* resource() const noexcept { return mr_; }
    void swap(ChunkedVector& other) noexcept {
        std::swap(mr_, other.mr_);
        chunks_.swap(other.chunks_);
        std::swap(size_, other.size_);
    }

    template <class V, class Owner>
    class basic_iterator {
      public:
        basic_iterator(Owner* v, std::size_t i) : v_(v), i_(i) {}
        V& operator*() const { return (*v_)[i_]; }
        V* operator->() const { return &(*v_)[i_]; }
        basic_iterator& operator++() {
            ++i_;
            return *this;
        }
        bool operator!=(const basic_iterator& o) const { return i_ != o.i_; }
        bool operator==(const basic_iterator& o) const { return i_ == o.i_; }

      private:
        Owner* v_;
        std::size_t i_;
    };
    using iterator = basic_iterator<T, ChunkedVector>;
    using const_iterator = basic_iterator<const T, const ChunkedVector>;
    iterator begin() { return {this, 0}; }
    iterator end() { return {this, size_}; }
    const_iterator begin() const { return {this, 0}; }
    const_iterator end() const { return {this, size_}; }

  private:
    void release() noexcept {
        for (T* c : chunks_) mr_->deallocate(c, kChunk * sizeof(T), alignof(T));
        chunks_.clear();
        size_ = 0;
    }

    std::pmr::memory_resource* mr_;
    std::pmr::vector<T*> chunks_;
    std::size_t size_ = 0;
};

}  // namespace numaudit::core

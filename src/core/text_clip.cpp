#include "core/cpp_only.hpp"  // must come first: no PostgreSQL header in the core
#include "core/text_clip.hpp"

namespace numaudit::core {

std::size_t utf8_char_length(const char* s, std::size_t avail) noexcept {
    auto c = static_cast<unsigned char>(*s);
    std::size_t n = c < 0x80             ? 1
                    : (c & 0xE0) == 0xC0 ? 2
                    : (c & 0xF0) == 0xE0 ? 3
                    : (c & 0xF8) == 0xF0 ? 4
                                         : 1;
    return n <= avail ? n : avail;
}

std::size_t TextClip::prefix_bytes(std::string_view s, std::size_t max_chars) const noexcept {
    // Text with no more bytes than allowed characters fits as it is.
    if (s.size() <= max_chars) return s.size();
    std::size_t pos = 0;
    for (std::size_t chars = 0; chars < max_chars && pos < s.size(); ++chars) {
        std::size_t len = char_length(s.data() + pos, s.size() - pos);
        pos += len ? len : 1;
    }
    return pos < s.size() ? pos : s.size();
}

}  // namespace numaudit::core

// Cutting long text for reports and messages (SPEC §3 "Messages"): a name
// quoted in an error keeps its first 200 characters, text quoted in a result
// row its first 10,000, then an ellipsis. Characters, not bytes: a cut never
// splits a multibyte character.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace numaudit::core {

inline constexpr std::size_t kMaxNameInMessage = 200;
inline constexpr std::size_t kMaxReportedText = 10000;

// The byte length of the character that starts at `s` (at most `avail`
// bytes are there). The backend gives the database encoding's; the default
// is UTF-8's.
using CharLength = std::size_t (*)(const char* s, std::size_t avail) noexcept;
std::size_t utf8_char_length(const char* s, std::size_t avail) noexcept;

struct TextClip {
    CharLength char_length = utf8_char_length;
    std::string_view ellipsis = "\xE2\x80\xA6";  // U+2026; "..." outside UTF-8

    // The byte length of the first `max_chars` characters of `s` (all of
    // `s` when it has no more).
    std::size_t prefix_bytes(std::string_view s, std::size_t max_chars) const noexcept;
    bool fits(std::string_view s, std::size_t max_chars) const noexcept {
        return prefix_bytes(s, max_chars) == s.size();
    }
    // `s` when it has at most `max_chars` characters, else its first
    // `max_chars` characters and the ellipsis.
    template <class String>
    void clip(std::string_view s, std::size_t max_chars, String& out) const {
        std::size_t n = prefix_bytes(s, max_chars);
        out.assign(s.data(), n);
        if (n < s.size()) out.append(ellipsis.data(), ellipsis.size());
    }
    // Appends what clip() gives to `out`.
    template <class String>
    void append(std::string_view s, std::size_t max_chars, String& out) const {
        std::size_t n = prefix_bytes(s, max_chars);
        out.append(s.data(), n);
        if (n < s.size()) out.append(ellipsis.data(), ellipsis.size());
    }
    std::string clip(std::string_view s, std::size_t max_chars) const {
        std::string out;
        clip(s, max_chars, out);
        return out;
    }
};

}  // namespace numaudit::core

// Reading a directory-number pattern or an inventory entry's internal number
// (SPEC §3 "Reading numbers"). The audit, numaudit.uses(), read_number() and
// pattern_number() all read through read_number(): one rule, one place.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace numaudit::core {

inline constexpr std::size_t kMaxNumberLength = 50;

enum class NumberKind : std::uint8_t {
    Number,    // a single number: counts
    Wildcard,  // a pattern matching many numbers: reported, counts for nothing
    Invalid,   // anything else: reported, numaudit decides nothing on it
};

const char* number_kind_name(NumberKind kind) noexcept;

struct NumberReading {
    NumberKind kind;
    // Surrounding space, tab, CR and LF dropped, a leading "\+" read as "+".
    // Points into the text read, or into the caller's buffer.
    std::string_view text;
};

// Reads `raw`. `buffer` is used (and overwritten) only when a leading "\+"
// has to become "+", so callers reuse one buffer and rarely copy.
template <class String>
NumberReading read_number(std::string_view raw, String& buffer);

// True when the text holds X [ ] ! . @, or a * after its first character.
bool has_wildcard(std::string_view text) noexcept;
// True when the text is 1 to 50 characters, digits or #, after at most one
// leading + or * (and at least one digit or # after it).
bool is_single_number(std::string_view text) noexcept;

// ---------------------------------------------------------------------------

inline std::string_view trim_number_space(std::string_view s) noexcept {
    auto space = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
    std::size_t b = 0, e = s.size();
    while (b < e && space(s[b])) ++b;
    while (e > b && space(s[e - 1])) --e;
    return s.substr(b, e - b);
}

template <class String>
NumberReading read_number(std::string_view raw, String& buffer) {
    std::string_view text = trim_number_space(raw);
    if (text.size() >= 2 && text[0] == '\\' && text[1] == '+') {
        buffer.assign(1, '+');
        buffer.append(text.data() + 2, text.size() - 2);
        text = std::string_view(buffer.data(), buffer.size());
    }
    if (is_single_number(text)) return {NumberKind::Number, text};
    if (has_wildcard(text)) return {NumberKind::Wildcard, text};
    return {NumberKind::Invalid, text};
}

}  // namespace numaudit::core

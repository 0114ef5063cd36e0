// Directory-number patterns: which are single numbers, and which number.
#pragma once

#include <string>
#include <string_view>

namespace numaudit::core {

// True when the pattern matches more than one number: it holds X [ ] ! . @
// anywhere, or * after the first character (a leading * is a feature code).
bool is_wildcard(std::string_view pattern) noexcept;

// The number a single-number pattern stands for: every "\+" becomes "+".
// Writes into `out` (cleared first) so callers can reuse one buffer.
template <class String>
void normalize_pattern(std::string_view pattern, String& out) {
    out.clear();
    for (std::size_t i = 0; i < pattern.size(); ++i) {
        if (pattern[i] == '\\' && i + 1 < pattern.size() && pattern[i + 1] == '+') {
            out.push_back('+');
            ++i;
        } else {
            out.push_back(pattern[i]);
        }
    }
}

inline std::string normalize_pattern(std::string_view pattern) {
    std::string out;
    normalize_pattern(pattern, out);
    return out;
}

}  // namespace numaudit::core

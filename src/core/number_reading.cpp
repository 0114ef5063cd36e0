#include "core/cpp_only.hpp"  // must come first: no PostgreSQL header in the core
#include "core/number_reading.hpp"

namespace numaudit::core {

const char* number_kind_name(NumberKind kind) noexcept {
    switch (kind) {
        case NumberKind::Number:
            return "number";
        case NumberKind::Wildcard:
            return "wildcard";
        case NumberKind::Invalid:
            return "invalid";
    }
    return "invalid";
}

bool has_wildcard(std::string_view text) noexcept {
    for (std::size_t i = 0; i < text.size(); ++i) {
        switch (text[i]) {
            case 'X':
            case '[':
            case ']':
            case '!':
            case '.':
            case '@':
                return true;
            case '*':
                if (i > 0) return true;
                break;
            default:
                break;
        }
    }
    return false;
}

bool is_single_number(std::string_view text) noexcept {
    if (text.empty() || text.size() > kMaxNumberLength) return false;
    std::size_t i = (text[0] == '+' || text[0] == '*') ? 1 : 0;
    if (i == text.size()) return false;  // a lone + or *
    for (; i < text.size(); ++i)
        if (!((text[i] >= '0' && text[i] <= '9') || text[i] == '#')) return false;
    return true;
}

}  // namespace numaudit::core

#include "core/cpp_only.hpp"  // must come first: no PostgreSQL header in the core
#include "core/pattern.hpp"

namespace numaudit::core {

bool is_wildcard(std::string_view pattern) noexcept {
    for (std::size_t i = 0; i < pattern.size(); ++i) {
        switch (pattern[i]) {
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

}  // namespace numaudit::core

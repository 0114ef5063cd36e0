#include "backend/messages.hpp"

#include <cstring>

#include "backend/pg.hpp"

namespace numaudit::backend {

namespace {

// pg_encoding_mblen may look at the bytes after the first one: near the end
// of the text it reads a padded copy instead.
std::size_t database_char_length(const char* s, std::size_t avail) noexcept {
    int encoding = GetDatabaseEncoding();
    int len;
    if (avail >= 4) {
        len = pg_encoding_mblen(encoding, s);
    } else {
        char padded[5] = {0, 0, 0, 0, 0};
        std::memcpy(padded, s, avail);
        len = pg_encoding_mblen(encoding, padded);
    }
    if (len < 1) len = 1;
    return static_cast<std::size_t>(len) <= avail ? static_cast<std::size_t>(len) : avail;
}

}  // namespace

core::TextClip database_clip() noexcept {
    core::TextClip clip;
    clip.char_length = database_char_length;
    if (GetDatabaseEncoding() != PG_UTF8) clip.ellipsis = "...";
    return clip;
}

bool g_in_sweep = false;

int notice_level() noexcept { return g_in_sweep ? DEBUG1 : NOTICE; }

std::string quoted_name(std::string_view name) {
    return "\"" + database_clip().clip(name, core::kMaxNameInMessage) + "\"";
}

}  // namespace numaudit::backend

// Text in numaudit's messages and reports, in the database's encoding: names
// quoted in errors are cut to 200 characters (SPEC §3 "Messages"), text from
// the data quoted in result rows to 10,000.
#pragma once

#include <string>
#include <string_view>

#include "core/text_clip.hpp"

namespace numaudit::backend {

// Cuts by characters of the database encoding, with "…" in a UTF-8
// database and "..." in any other. Calls no function that can raise.
core::TextClip database_clip() noexcept;

// "name" in double quotes, cut to its first 200 characters and an ellipsis.
std::string quoted_name(std::string_view name);

}  // namespace numaudit::backend

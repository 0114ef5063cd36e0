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

// True while CALL numaudit.audit_all audits its customers: their NOTICEs
// (each run's summary, "no baseline: a full audit", "no sites") go to the
// server log at DEBUG1, so that a sweep of thousands of customers says one
// line, its own summary.
extern bool g_in_sweep;

// NOTICE, or DEBUG1 inside a sweep.
int notice_level() noexcept;

}  // namespace numaudit::backend

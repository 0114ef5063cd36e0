// Checks the arguments of numaudit.run / numaudit.audit that need no
// database: scope, and the shape of the site list.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/text_clip.hpp"

namespace numaudit::core {

enum class Scope { Customer, Site };
enum class DialPlan { Flat, Slc };

inline constexpr std::size_t kMaxSites = 200;

const char* scope_name(Scope scope) noexcept;

// Parses scope case-insensitively; throws AuditError 22023 for NULL or unknown.
Scope parse_scope(const std::optional<std::string_view>& scope);

// Throws AuditError 22023 for a NULL customer.
void check_customer_argument(const std::optional<std::string_view>& customer);

// Validates the site list against the scope (NULL elements, duplicates, more
// than kMaxSites, sites given with scope customer) and returns the names.
// An empty result with scope site means "all sites of the customer". A name
// quoted in an error is cut by `clip` (the backend passes the database's).
std::vector<std::string> check_sites(Scope scope, bool sites_null,
                                     const std::vector<std::optional<std::string>>& sites,
                                     const TextClip& clip = TextClip{});

}  // namespace numaudit::core

#include "core/cpp_only.hpp"  // must come first: no PostgreSQL header in the core
#include "core/request.hpp"

#include <algorithm>
#include <cctype>
#include <set>

#include "core/audit_error.hpp"

namespace numaudit::core {

const char* scope_name(Scope scope) noexcept {
    return scope == Scope::Customer ? "customer" : "site";
}

static bool iequals(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return std::tolower(static_cast<unsigned char>(x)) ==
                      std::tolower(static_cast<unsigned char>(y));
           });
}

Scope parse_scope(const std::optional<std::string_view>& scope) {
    if (!scope)
        throw AuditError(sqlstate::kInvalidParameterValue, "scope must not be NULL", {},
                         "Use scope 'customer' or 'site'.");
    if (iequals(*scope, "customer")) return Scope::Customer;
    if (iequals(*scope, "site")) return Scope::Site;
    throw AuditError(sqlstate::kInvalidParameterValue,
                     scope->size() <= 100
                         ? "unknown scope \"" + std::string(*scope) + "\""
                         : "unknown scope (a text of " + std::to_string(scope->size()) + " bytes)",
                     {}, "Use scope 'customer' or 'site'.");
}

void check_customer_argument(const std::optional<std::string_view>& customer) {
    if (!customer)
        throw AuditError(sqlstate::kInvalidParameterValue, "customer must not be NULL", {},
                         "Give the customer's path (Provider.Reseller.Customer) or its name.");
}

std::vector<std::string> check_sites(Scope scope, bool sites_null,
                                     const std::vector<std::optional<std::string>>& sites,
                                     const TextClip& clip) {
    std::vector<std::string> names;
    if (sites_null || sites.empty()) return names;
    if (scope == Scope::Customer)
        throw AuditError(sqlstate::kInvalidParameterValue,
                         "sites can only be given with scope 'site'", {},
                         "Pass sites => NULL for a customer-scope audit, or use scope 'site'.");
    if (sites.size() > kMaxSites)
        throw AuditError(
            sqlstate::kInvalidParameterValue,
            "too many sites: " + std::to_string(sites.size()) + " given",
            "At most " + std::to_string(kMaxSites) + " sites may be named in one call.",
            "Pass sites => NULL to audit every site of the customer.");
    std::set<std::string_view> seen;
    names.reserve(sites.size());
    for (const auto& s : sites) {
        if (!s) throw AuditError(sqlstate::kInvalidParameterValue, "site names must not be NULL");
        names.push_back(*s);
    }
    for (const auto& n : names) {
        if (!seen.insert(n).second)
            throw AuditError(
                sqlstate::kInvalidParameterValue,
                "site \"" + clip.clip(n, kMaxNameInMessage) + "\" is named more than once");
    }
    return names;
}

}  // namespace numaudit::core

#include "backend/resolve.hpp"

#include <algorithm>

#include "backend/spi.hpp"
#include "core/audit_error.hpp"

namespace numaudit::backend {

using core::AuditError;
namespace sqlstate = core::sqlstate;

namespace {

struct Found {
    std::int64_t id;
    std::string kind;
    std::string path;
    bool number_management;
    std::string dial_plan;
};

std::vector<Found> find(Stmt stmt, std::string_view key) {
    Args args;
    pg_call([&] { args.values[0] = text_datum_Unsafe(key); });
    std::vector<Found> found;
    scan(stmt, args, [&](const Batch& b) {
        for (int r = 0; r < b.rows; ++r)
            found.push_back(Found{b.at(r, 0).num, std::string(b.at(r, 1).text()),
                                  std::string(b.at(r, 2).text()), b.at(r, 3).num != 0,
                                  std::string(b.at(r, 4).text())});
    });
    return found;
}

Customer to_customer(const Found& f) {
    return Customer{f.id, f.path, f.number_management,
                    f.dial_plan == "slc" ? core::DialPlan::Slc : core::DialPlan::Flat};
}

std::string quoted(std::string_view s) { return "\"" + std::string(s) + "\""; }

[[noreturn]] void not_a_customer(std::string_view given, const Found& f) {
    std::string hint;
    if (f.kind == "site") {
        auto dot = f.path.rfind('.');
        hint = "Pick a customer: this site belongs to " +
               (dot == std::string::npos ? std::string("no customer") : f.path.substr(0, dot)) +
               "; use scope 'site' to audit it.";
    } else {
        hint = "Pick a customer: give a customer's path or name, not a " + f.kind + "'s.";
    }
    throw AuditError(sqlstate::kWrongObjectType,
                     quoted(given) + " is a " + f.kind + ", not a customer",
                     quoted(f.path) + " is a " + f.kind + " in the hierarchy.", hint);
}

}  // namespace

Customer resolve_customer(std::string_view name_or_path) {
    auto by_path = find(Stmt::FindByPath, name_or_path);
    if (!by_path.empty()) {
        if (by_path.front().kind != "customer") not_a_customer(name_or_path, by_path.front());
        return to_customer(by_path.front());
    }
    auto by_name = find(Stmt::FindByName, name_or_path);
    std::vector<const Found*> customers;
    for (const auto& f : by_name)
        if (f.kind == "customer") customers.push_back(&f);
    if (customers.size() == 1) return to_customer(*customers.front());
    if (customers.size() > 1) {
        std::string paths;
        for (const auto* f : customers) paths += (paths.empty() ? "" : ", ") + f->path;
        throw AuditError(
            sqlstate::kInvalidParameterValue,
            "customer name " + quoted(name_or_path) + " is ambiguous",
            std::to_string(customers.size()) + " customers have this name: " + paths + ".",
            "Use the customer's path, such as " + quoted(customers.front()->path) + ".");
    }
    if (!by_name.empty()) not_a_customer(name_or_path, by_name.front());
    throw AuditError(sqlstate::kUndefinedObject,
                     "customer " + quoted(name_or_path) + " does not exist", {},
                     "Give the customer's path (Provider.Reseller.Customer) or its name.");
}

void check_auditable(const Customer& customer, core::Scope scope) {
    if (!customer.number_management)
        throw AuditError(sqlstate::kObjectNotInPrerequisiteState,
                         "number management is disabled for customer " + quoted(customer.path), {},
                         "Set hierarchy.number_management to true to audit this customer.");
    if (scope == core::Scope::Customer && customer.dial_plan == core::DialPlan::Slc)
        throw AuditError(sqlstate::kObjectNotInPrerequisiteState,
                         "customer " + quoted(customer.path) +
                             " has an slc dial plan and cannot be audited with scope customer",
                         "With Site Location Code dialling each site's numbers are audited "
                         "against that site's own devices and services.",
                         "Use scope 'site'.");
}

std::vector<Site> list_sites(const Customer& customer) {
    Args args;
    args.values[0] = Int64GetDatum(customer.id);
    std::vector<Site> sites;
    scan(Stmt::ListSites, args, [&](const Batch& b) {
        for (int r = 0; r < b.rows; ++r)
            sites.push_back(Site{b.at(r, 0).num, std::string(b.at(r, 1).text())});
    });
    return sites;
}

std::vector<Site> select_sites(const Customer& customer, const std::vector<Site>& all,
                               const std::vector<std::string>& names) {
    if (names.empty()) return all;
    std::vector<Site> chosen;
    for (const auto& name : names) {
        auto it =
            std::find_if(all.begin(), all.end(), [&](const Site& s) { return s.name == name; });
        if (it == all.end())
            throw AuditError(
                sqlstate::kUndefinedObject,
                "site " + quoted(name) + " does not exist under customer " + quoted(customer.path),
                {}, "Site names are those of the customer's sites, without the path.");
        chosen.push_back(*it);
    }
    std::sort(chosen.begin(), chosen.end(),
              [](const Site& a, const Site& b) { return a.name < b.name; });
    return chosen;
}

}  // namespace numaudit::backend

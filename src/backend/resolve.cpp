#include "backend/resolve.hpp"

#include <algorithm>
#include <optional>

#include "backend/messages.hpp"
#include "backend/spi.hpp"
#include "core/audit_error.hpp"

namespace numaudit::backend {

using core::AuditError;
namespace sqlstate = core::sqlstate;

namespace {

// A node that FindByPath or FindByName found.
struct Found {
    std::int64_t id;
    std::string kind;
    std::optional<std::string> path;  // none when its ancestors never reach a root
    bool number_management;
    std::string dial_plan;
    std::string name;
    std::optional<std::string> parent_kind;  // none for a root
    bool looped;                             // its ancestors form a cycle
};

std::optional<std::string> opt_string(const Cell& c) {
    if (c.null) return std::nullopt;
    return std::string(c.text());
}

std::vector<Found> find(Stmt stmt, std::string_view key) {
    Args args;
    pg_call([&]() noexcept { args.values[0] = text_datum_Unsafe(key); });
    std::vector<Found> found;
    scan(stmt, args, [&](const Batch& b) {
        for (int r = 0; r < b.rows; ++r)
            found.push_back(Found{b.at(r, col::Found::id).num,
                                  std::string(b.at(r, col::Found::kind).text()),
                                  opt_string(b.at(r, col::Found::path)),
                                  b.at(r, col::Found::number_management).num != 0,
                                  std::string(b.at(r, col::Found::dial_plan).text()),
                                  std::string(b.at(r, col::Found::name).text()),
                                  opt_string(b.at(r, col::Found::parent_kind)),
                                  b.at(r, col::Found::looped).num != 0});
    });
    return found;
}

Customer to_customer(const Found& f) {
    return Customer{f.id, *f.path, f.number_management,
                    f.dial_plan == "slc" ? core::DialPlan::Slc : core::DialPlan::Flat};
}

// A hint names at most this many candidates.
constexpr std::size_t kMaxCandidates = 5;

// `a, b or c` (`word` joins the last two); of more than kMaxCandidates
// (`total`, when only the first are at hand), `a, b, c, d, e and 3 more`.
std::string candidate_list(const std::vector<std::string>& items, const char* word,
                           std::size_t total = 0) {
    total = std::max(total, items.size());
    std::size_t shown = std::min(items.size(), kMaxCandidates);
    std::string out;
    for (std::size_t i = 0; i < shown; ++i) {
        if (i > 0) out += i + 1 == shown && shown == total ? " " + std::string(word) + " " : ", ";
        out += items[i];
    }
    if (total > shown) out += " and " + std::to_string(total - shown) + " more";
    return out;
}

// The "Did you mean" candidates a Similar* statement found, and how many
// there are.
std::string similar_names(Stmt stmt, const Args& args) {
    std::vector<std::string> names;
    std::size_t total = 0;
    scan(stmt, args, [&](const Batch& b) {
        for (int r = 0; r < b.rows; ++r) {
            names.push_back(quoted_name(b.at(r, col::Similar::name).text()));
            total = static_cast<std::size_t>(b.at(r, col::Similar::total).num);
        }
    });
    return names.empty() ? std::string() : candidate_list(names, "or", total);
}

std::string id_text(std::int64_t id) { return "(id " + std::to_string(id) + ")"; }

// The path of a node's parent: its own path without its name.
std::string parent_path(const Found& f) {
    const std::string& path = *f.path;
    return path.substr(0, path.size() - std::min(path.size(), f.name.size() + 1));
}

[[noreturn]] void not_a_customer(std::string_view given, const Found& f) {
    std::string hint;
    bool under_customer = f.parent_kind && *f.parent_kind == "customer";
    if (f.kind == "site" && under_customer && f.path) {
        hint = "Pick a customer: this site belongs to customer " + quoted_name(parent_path(f)) +
               "; use scope 'site' to audit it.";
    } else if (f.kind == "site") {
        // Rows written before 0.3.0: no audit reaches this site.
        hint = std::string("Pick a customer: this site ") +
               (under_customer ? "belongs to a customer that has no path"
                               : "does not sit under a customer") +
               ", so no audit covers it; numaudit.check_hierarchy() lists such rows.";
    } else {
        hint = "Pick a customer: give a customer's path or name, not a " + f.kind + "'s.";
    }
    std::string detail = f.path ? quoted_name(*f.path) + " is a " + f.kind + " in the hierarchy."
                                : quoted_name(f.name) + " " + id_text(f.id) + " is a " + f.kind +
                                      (f.looped ? " whose ancestors form a cycle."
                                                : " whose ancestors do not reach a root.");
    throw AuditError(sqlstate::kWrongObjectType,
                     quoted_name(given) + " is a " + f.kind + ", not a customer", detail, hint);
}

// Only names written before 0.3.0 can hold a ".", so only they can make two
// nodes share a path.
[[noreturn]] void ambiguous_path(std::string_view given, const std::vector<Found>& found) {
    std::vector<std::string> nodes;
    for (const auto& f : found) nodes.push_back(f.kind + " " + id_text(f.id));
    throw AuditError(
        sqlstate::kInvalidParameterValue,
        "path " + quoted_name(given) + " names " + std::to_string(found.size()) + " nodes",
        "A name in it contains \".\", the path separator (written before numaudit 0.3.0).",
        "It names " + candidate_list(nodes, "and") +
            ". Names can no longer contain \".\": rename the node whose name does "
            "(numaudit.check_hierarchy() lists it).");
}

[[noreturn]] void ambiguous_name(std::string_view given, const std::vector<const Found*>& found) {
    std::vector<std::string> paths;
    for (const auto* f : found)
        paths.push_back(f->path ? quoted_name(*f->path) + " " + id_text(f->id)
                                : "id " + std::to_string(f->id) + " (no path)");
    throw AuditError(sqlstate::kInvalidParameterValue,
                     "customer name " + quoted_name(given) + " is ambiguous",
                     std::to_string(found.size()) + " customers have this name.",
                     "Use the path of the customer you mean: " + candidate_list(paths, "or") + ".");
}

// A customer that no path names: its ancestors form a cycle (rows written
// before 0.3.0), or, inside a transaction that deferred the foreign key, its
// parent is not there yet.
[[noreturn]] void rootless_customer(const Found& f) {
    if (f.looped)
        throw AuditError(sqlstate::kObjectNotInPrerequisiteState,
                         "customer " + quoted_name(f.name) + " " + id_text(f.id) +
                             " has no path: its ancestors form a cycle",
                         "Following parent_id up from it never reaches a root (rows written "
                         "before numaudit 0.3.0).",
                         "Set parent_id of a node on the cycle so that it leads up to a provider; "
                         "numaudit.check_hierarchy() lists the nodes on it.");
    throw AuditError(sqlstate::kObjectNotInPrerequisiteState,
                     "customer " + quoted_name(f.name) + " " + id_text(f.id) +
                         " has no path: an ancestor of it does not exist",
                     {}, "Insert its missing ancestors first.");
}

// 42704, with the customers named so but for letter case and surrounding
// whitespace as a hint.
[[noreturn]] void no_such_customer(std::string_view given) {
    Args args;
    pg_call([&]() noexcept { args.values[0] = text_datum_Unsafe(given); });
    std::string similar = similar_names(Stmt::SimilarCustomers, args);
    throw AuditError(
        sqlstate::kUndefinedObject, "customer " + quoted_name(given) + " does not exist", {},
        similar.empty() ? "Give the customer's path (Provider.Reseller.Customer) or its name."
                        : "Did you mean " + similar + "?");
}

[[noreturn]] void no_such_site(const Customer& customer, std::string_view name) {
    Args args;
    args.values[0] = Int64GetDatum(customer.id);
    pg_call([&]() noexcept { args.values[1] = text_datum_Unsafe(name); });
    std::string similar = similar_names(Stmt::SimilarSites, args);
    throw AuditError(sqlstate::kUndefinedObject,
                     "site " + quoted_name(name) + " does not exist under customer " +
                         quoted_name(customer.path),
                     {},
                     similar.empty()
                         ? "Site names are those of the customer's sites, without the path."
                         : "Did you mean " + similar + "?");
}

}  // namespace

Customer resolve_customer(std::string_view name_or_path) {
    auto by_path = find(Stmt::FindByPath, name_or_path);
    if (by_path.size() > 1) ambiguous_path(name_or_path, by_path);
    if (by_path.size() == 1) {
        if (by_path.front().kind != "customer") not_a_customer(name_or_path, by_path.front());
        return to_customer(by_path.front());
    }
    auto by_name = find(Stmt::FindByName, name_or_path);
    std::vector<const Found*> customers;
    for (const auto& f : by_name)
        if (f.kind == "customer") customers.push_back(&f);
    if (customers.size() > 1) ambiguous_name(name_or_path, customers);
    if (customers.size() == 1) {
        if (!customers.front()->path) rootless_customer(*customers.front());
        return to_customer(*customers.front());
    }
    if (!by_name.empty()) not_a_customer(name_or_path, by_name.front());
    no_such_customer(name_or_path);
}

void check_auditable(const Customer& customer, core::Scope scope) {
    if (!customer.number_management)
        throw AuditError(sqlstate::kObjectNotInPrerequisiteState,
                         "number management is disabled for customer " + quoted_name(customer.path),
                         {}, "Set hierarchy.number_management to true to audit this customer.");
    if (scope == core::Scope::Customer && customer.dial_plan == core::DialPlan::Slc)
        throw AuditError(sqlstate::kObjectNotInPrerequisiteState,
                         "customer " + quoted_name(customer.path) +
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
            sites.push_back(
                Site{b.at(r, col::Site::id).num, std::string(b.at(r, col::Site::name).text())});
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
        if (it == all.end()) no_such_site(customer, name);
        chosen.push_back(*it);
    }
    std::sort(chosen.begin(), chosen.end(),
              [](const Site& a, const Site& b) { return a.name < b.name; });
    return chosen;
}

}  // namespace numaudit::backend

// Finds the customer and sites an audit names, and checks they can be audited.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/request.hpp"

namespace numaudit::backend {

struct Customer {
    std::int64_t id;
    std::string path;
    bool number_management;
    core::DialPlan dial_plan;
};

struct Site {
    std::int64_t id;
    std::string name;
};

// By path, or by bare name when exactly one customer has it (SPEC §2).
Customer resolve_customer(std::string_view name_or_path);

// 55000 when number management is off, or scope customer on an slc customer.
void check_auditable(const Customer& customer, core::Scope scope);

// Every site of the customer, ordered by name.
std::vector<Site> list_sites(const Customer& customer);

// The named sites (or all sites when `names` is empty); 42704 for a name
// that is not a site of the customer.
std::vector<Site> select_sites(const Customer& customer, const std::vector<Site>& all,
                               const std::vector<std::string>& names);

}  // namespace numaudit::backend

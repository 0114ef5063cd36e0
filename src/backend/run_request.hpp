// The validated arguments of numaudit.run() and CALL numaudit.audit, and
// the audit_run row they record: read in entry_points.cpp, used there by
// run() and in procedure.cpp by _audit_start and _audit_step.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "backend/resolve.hpp"
#include "backend/spi.hpp"
#include "backend/tracking.hpp"
#include "core/planner.hpp"

namespace numaudit::backend {

// The validated arguments of run() and audit().
struct Request {
    core::Scope scope;
    bool dry_run = false;
    bool nowait = false;
    bool incremental = false;
    bool tracks = false;  // the database's numaudit tracks changes (0.4.0 on)
    std::optional<std::string> customer_arg;
    bool sites_null = true;
    std::vector<std::optional<std::string>> site_args;
    std::vector<std::string> site_names;
    Customer customer;
    std::vector<Site> all_sites;
    std::vector<Site> selected;
};

// Argument checks that need no database come first, then the lookups:
// (customer, scope, sites[, dry_run, nowait[, incremental]]), as run() and
// audit() take.
Request read_request(FunctionCallInfo fcinfo);
// Resolves the customer and the sites (SPI connected).
void resolve(Request& req);
// Records the run (audit_run) and returns its id; last_run_id() says it.
// `incremental`: the mode it runs in (audit_run.mode).
std::int64_t insert_run(const Request& req, int sites_total, const char* entry_point,
                        bool incremental);
// How many sites the audit covers.
int sites_total(const Request& req);
// What tracking says before the audit reads (tracking.hpp): read for a
// committing audit of a baseline scope, or for any incremental request (a
// dry incremental run computes the same rows, and consumes nothing). Says in
// a NOTICE why an incremental audit runs full.
Tracking begin_tracking(const Request& req);
// The arguments of FinishRun and StepRun.
void count_args(Args& args, std::int64_t run_id, const core::Counts& c, int sites_done);

}  // namespace numaudit::backend

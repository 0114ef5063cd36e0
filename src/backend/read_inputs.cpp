#include "backend/read_inputs.hpp"

#include <string>
#include <unordered_set>
#include <vector>

#include "backend/spi.hpp"
#include "core/number_reading.hpp"

namespace numaudit::backend {

namespace {

// The planner's inputs, from result rows of ReadKinds, ReadUses/ReadSiteUses
// and ReadEntries/ReadSiteEntries/ReadHeldEntries (col::Kind, col::Use,
// col::Entry).
void read_kinds(core::Planner& planner) {
    scan(Stmt::ReadKinds, Args{}, [&](const Batch& b) {
        for (int r = 0; r < b.rows; ++r)
            planner.add_usage_kind(
                b.at(r, col::Kind::kind).text(), b.at(r, col::Kind::status).text(),
                b.at(r, col::Kind::usage).text(), static_cast<int>(b.at(r, col::Kind::rank).num));
    });
}

void add_use(core::Planner& planner, const Batch& b, int r) {
    planner.add_use(b.at(r, col::Use::owner).num, b.at(r, col::Use::cluster).text(),
                    b.at(r, col::Use::kind).text(), b.at(r, col::Use::name).text(),
                    static_cast<int>(b.at(r, col::Use::line_index).num),
                    b.at(r, col::Use::pattern).text());
}

// An entry row (col::Entry): id, holder, internal_number, status, usage (its
// start and an md5 of the whole when very long).
void add_entry(core::Planner& planner, const Batch& b, int r) {
    const Cell& usage = b.at(r, col::Entry::usage);
    planner.add_entry(b.at(r, col::Entry::id).num, b.at(r, col::Entry::holder).num,
                      b.at(r, col::Entry::internal_number).text(),
                      b.at(r, col::Entry::status).text(), usage.opt_text(),
                      usage.digest ? core::OptText(usage.digest) : std::nullopt);
}

}  // namespace

void read_inputs(core::Planner& planner, const UnitRequest& req) {
    const Customer& customer = *req.customer;
    const bool flat = customer.dial_plan == core::DialPlan::Flat;

    read_kinds(planner);

    std::unordered_set<std::int64_t> selected;
    for (const auto& s : *req.selected) selected.insert(s.id);
    for (const auto& s : *req.all_sites)
        planner.add_site(s.id, s.name,
                         req.scope == core::Scope::Customer || selected.count(s.id) > 0);

    // Uses: a flat customer's uses all count together; an slc site's own.
    std::vector<std::int64_t> owners;
    if (flat) {
        owners.push_back(customer.id);
        for (const auto& s : *req.all_sites) owners.push_back(s.id);
    } else {
        for (const auto& s : *req.selected) owners.push_back(s.id);
    }
    // Entries: the audited ones, plus the customer level (for "held at
    // customer level"); in a flat customer every site's, since a number held
    // anywhere in the customer is not added again.
    std::vector<std::int64_t> holders{customer.id};
    const bool every_site = req.scope == core::Scope::Customer || flat;
    for (const auto& s : every_site ? *req.all_sites : *req.selected) holders.push_back(s.id);

    Args uses_args;
    pg_call(
        [&]() noexcept { uses_args.values[0] = int8_array_Unsafe(owners.data(), owners.size()); });
    scan(Stmt::ReadUses, uses_args, [&](const Batch& b) {
        for (int r = 0; r < b.rows; ++r) add_use(planner, b, r);
    });
    Args entry_args;
    pg_call([&]() noexcept {
        entry_args.values[0] = int8_array_Unsafe(holders.data(), holders.size());
    });
    scan(Stmt::ReadEntries, entry_args, [&](const Batch& b) {
        for (int r = 0; r < b.rows; ++r) add_entry(planner, b, r);
    });
}

// One site of an slc customer's audit() (req.selected is that site): its own
// entries and uses are all that count; the customer's entries are read only
// for the numbers the site uses and holds no entry for.
void read_slc_site(core::Planner& planner, const UnitRequest& req) {
    const Customer& customer = *req.customer;
    const std::int64_t site = req.selected->front().id;

    read_kinds(planner);
    planner.add_site(site, req.selected->front().name, true);

    // The numbers the site holds and those its uses need, as read.
    std::unordered_set<std::string> numbers, missing;
    std::string buffer;
    Args site_args;
    site_args.values[0] = Int64GetDatum(site);
    scan(Stmt::ReadSiteEntries, site_args, [&](const Batch& b) {
        for (int r = 0; r < b.rows; ++r) {
            add_entry(planner, b, r);
            core::NumberReading read =
                core::read_number(b.at(r, col::Entry::internal_number).text(), buffer);
            if (read.kind == core::NumberKind::Number) numbers.emplace(read.text);
        }
    });
    scan(Stmt::ReadSiteUses, site_args, [&](const Batch& b) {
        for (int r = 0; r < b.rows; ++r) {
            add_use(planner, b, r);
            core::NumberReading read = core::read_number(b.at(r, col::Use::pattern).text(), buffer);
            if (read.kind == core::NumberKind::Number && !numbers.count(std::string(read.text)))
                missing.emplace(read.text);
        }
    });
    if (missing.empty()) return;
    std::vector<core::OptText> list(missing.begin(), missing.end());
    Args held_args;
    pg_call([&]() noexcept {
        held_args.values[0] = Int64GetDatum(customer.id);
        held_args.values[1] = text_array_Unsafe(list.data(), list.size());
    });
    scan(Stmt::ReadHeldEntries, held_args, [&](const Batch& b) {
        for (int r = 0; r < b.rows; ++r) add_entry(planner, b, r);
    });
}

}  // namespace numaudit::backend

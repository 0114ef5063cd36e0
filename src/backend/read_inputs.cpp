#include "backend/read_inputs.hpp"

#include <memory>
#include <set>
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

// A use row: col::Use's columns, which col::KeyedUse begins with.
static_assert(int{col::KeyedUse::owner} == int{col::Use::owner} &&
              int{col::KeyedUse::pattern} == int{col::Use::pattern});
void add_use(core::Planner& planner, const Batch& b, int r,
             core::UseRole role = core::UseRole::Focus) {
    planner.add_use(b.at(r, col::Use::owner).num, b.at(r, col::Use::cluster).text(),
                    b.at(r, col::Use::kind).text(), b.at(r, col::Use::name).text(),
                    static_cast<int>(b.at(r, col::Use::line_index).num),
                    b.at(r, col::Use::pattern).text(), role);
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

namespace {

// The nodes a unit reads: the owners of the uses that count (a flat
// customer's all count together; an slc site's own) and the holders of the
// entries read (the audited ones, plus the customer level for "held at
// customer level"; in a flat customer every site's, since a number held
// anywhere in the customer is not added again).
struct Nodes {
    std::vector<std::int64_t> owners;
    std::vector<std::int64_t> holders;
};

Nodes nodes_of(core::Planner& planner, const UnitRequest& req) {
    const Customer& customer = *req.customer;
    const bool flat = customer.dial_plan == core::DialPlan::Flat;
    std::unordered_set<std::int64_t> selected;
    for (const auto& s : *req.selected) selected.insert(s.id);
    for (const auto& s : *req.all_sites)
        planner.add_site(s.id, s.name,
                         req.scope == core::Scope::Customer || selected.count(s.id) > 0);
    Nodes n;
    if (flat) {
        n.owners.push_back(customer.id);
        for (const auto& s : *req.all_sites) n.owners.push_back(s.id);
    } else {
        for (const auto& s : *req.selected) n.owners.push_back(s.id);
    }
    n.holders.push_back(customer.id);
    const bool every_site = req.scope == core::Scope::Customer || flat;
    for (const auto& s : every_site ? *req.all_sites : *req.selected) n.holders.push_back(s.id);
    return n;
}

Datum int8_array(const std::vector<std::int64_t>& v) {
    Datum d = (Datum)0;
    pg_call([&]() noexcept { d = int8_array_Unsafe(v.data(), v.size()); });
    return d;
}

template <class Strings>
Datum text_array(const Strings& v) {
    std::vector<core::OptText> list(v.begin(), v.end());
    Datum d = (Datum)0;
    pg_call([&]() noexcept { d = text_array_Unsafe(list.data(), list.size()); });
    return d;
}

}  // namespace

std::int64_t read_inputs(core::Planner& planner, const UnitRequest& req) {
    read_kinds(planner);
    const Nodes nodes = nodes_of(planner, req);
    Args uses_args;
    uses_args.values[0] = int8_array(nodes.owners);
    scan(Stmt::ReadUses, uses_args, [&](const Batch& b) {
        for (int r = 0; r < b.rows; ++r) add_use(planner, b, r);
    });
    std::int64_t entries = 0;
    Args entry_args;
    entry_args.values[0] = int8_array(nodes.holders);
    scan(Stmt::ReadEntries, entry_args, [&](const Batch& b) {
        for (int r = 0; r < b.rows; ++r) add_entry(planner, b, r);
        entries += b.rows;
    });
    return entries;
}

namespace {

// The index keys a text reads the same as `key` under: the key itself and
// its other spelling of a leading "+" ("\\+"), whatever follows (a number,
// a wildcard or an invalid text reads the same either way), cut to the
// index's 60 characters.
constexpr std::size_t kKeyChars = 60;

std::string cut_to_key(std::string s) {
    std::size_t chars = 0;
    for (std::size_t i = 0; i < s.size(); ++i) {
        if ((static_cast<unsigned char>(s[i]) & 0xC0) == 0x80) continue;  // UTF-8 continuation
        if (++chars > kKeyChars) {
            s.resize(i);
            break;
        }
    }
    return s;
}

void add_spellings(const std::string& key, std::unordered_set<std::string>& out) {
    out.insert(key);
    if (key.rfind("\\+", 0) == 0)
        out.insert(key.substr(1));
    else if (key.rfind("+", 0) == 0)
        out.insert(cut_to_key("\\" + key));
}

}  // namespace

namespace {

// ReadDeviceKeyLines and ReadDeviceCopies take device keys and the owners.
Args device_args(const std::set<DeviceKey>& keys, const std::vector<std::int64_t>& owners) {
    std::vector<std::string_view> kinds, names;
    for (const auto& k : keys) {
        kinds.emplace_back(k.kind);
        names.emplace_back(k.name);
    }
    Args a;
    a.values[0] = text_array(kinds);
    a.values[1] = text_array(names);
    a.values[2] = int8_array(owners);
    return a;
}

// Adds to `marked` every number of a changed device's copies (a device that
// gains or loses a copy changes all its numbers). A device marked only
// through one of its lines (a line added, removed or renumbered) brings its
// other lines only while its key has more than one device: a line can start
// or end a duplicate-device conflict only then, and a copy added or removed
// since the baseline marked the device itself. Returns every marked device.
std::set<DeviceKey> read_device_lines(const Tracking& tracking, const Nodes& nodes,
                                      std::set<std::string>& marked) {
    std::set<DeviceKey> all(tracking.device_keys.begin(), tracking.device_keys.end());
    const std::set<DeviceKey> changed(all);
    all.insert(tracking.line_device_keys.begin(), tracking.line_device_keys.end());
    if (all.empty()) return all;
    const std::unique_ptr<bool[]> shared_only(new bool[all.size()]);
    std::size_t i = 0;
    for (const auto& k : all) shared_only[i++] = changed.count(k) == 0;
    Args a = device_args(all, nodes.owners);
    pg_call([&]() noexcept { a.values[3] = bool_array_Unsafe(shared_only.get(), all.size()); });
    scan(Stmt::ReadDeviceKeyLines, a, [&](const Batch& b) {
        for (int r = 0; r < b.rows; ++r) marked.emplace(b.at(r, col::Key1::key).text());
    });
    return all;
}

}  // namespace

void read_changed(core::Planner& planner, const UnitRequest& req, const Tracking& tracking) {
    read_kinds(planner);
    const Nodes nodes = nodes_of(planner, req);

    // The marked numbers, and those of the marked devices' lines.
    std::set<std::string> marked(tracking.number_keys.begin(), tracking.number_keys.end());
    std::set<DeviceKey> devices = read_device_lines(tracking, nodes, marked);
    std::unordered_set<std::string> keys;
    for (const auto& k : marked) add_spellings(k, keys);

    // Every use of those numbers is in focus; its device's copies are read
    // too, each with all its lines, as context for the duplicate-device rule.
    Args focus;
    focus.values[0] = text_array(keys);
    focus.values[1] = int8_array(nodes.owners);
    scan(Stmt::ReadFocusUses, focus, [&](const Batch& b) {
        for (int r = 0; r < b.rows; ++r) {
            add_use(planner, b, r, core::UseRole::Focus);
            if (b.at(r, col::Use::line_index).num >= 0)
                devices.insert(DeviceKey{std::string(b.at(r, col::Use::kind).text()),
                                         std::string(b.at(r, col::Use::name).text())});
        }
    });
    if (!devices.empty())
        scan(Stmt::ReadDeviceCopies, device_args(devices, nodes.owners), [&](const Batch& b) {
            for (int r = 0; r < b.rows; ++r) {
                const std::string_view key = b.at(r, col::KeyedUse::key).text();
                if (keys.count(std::string(key)) == 0)
                    add_use(planner, b, r, core::UseRole::Context);
            }
        });
    Args entries;
    entries.values[0] = text_array(keys);
    entries.values[1] = int8_array(nodes.holders);
    scan(Stmt::ReadFocusEntries, entries, [&](const Batch& b) {
        for (int r = 0; r < b.rows; ++r) add_entry(planner, b, r);
    });
    planner.focus_only();
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

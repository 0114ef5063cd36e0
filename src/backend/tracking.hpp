// Incremental audits (SPEC §4), the backend's side: what tracking says about
// a customer's scope before an audit reads anything, and the audit becoming
// that scope's baseline when it commits. The marks themselves are written by
// the tracking triggers (extension/numaudit--0.3.0--0.4.0.sql); the core
// decides, in focus mode, from what the marks lead to (read_changed).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "backend/resolve.hpp"
#include "core/request.hpp"

namespace numaudit::backend {

// The scopes that have a baseline: customer, and site over all sites.
enum class TrackedScope { None, Customer, AllSites };

// Whether this database's numaudit tracks changes (0.4.0 or newer): the
// library also serves databases whose extension is not updated yet.
bool catalog_tracks();

TrackedScope tracked_scope(core::Scope scope, bool all_sites);
const char* tracked_scope_name(TrackedScope scope) noexcept;

// A device's key: kind and name (the duplicate-device rule compares them).
struct DeviceKey {
    std::string kind;
    std::string name;
    friend bool operator<(const DeviceKey& a, const DeviceKey& b) {
        return std::tie(a.kind, a.name) < std::tie(b.kind, b.name);
    }
};

struct Tracking {
    TrackedScope scope = TrackedScope::None;
    std::int64_t epoch = 0;  // read before anything else
    // The transactions whose marks this audit saw: what it consumes.
    std::vector<std::string> seen;
    // Incremental: the baseline holds and the marks are few enough.
    bool incremental = false;
    std::string why_full;  // when incremental was asked for but cannot be
    std::int64_t baseline_entries = 0;
    std::vector<std::string> number_keys;  // marked read-number keys
    std::vector<DeviceKey>
        device_keys;  // devices changed themselves (added, removed, moved, renamed)
    // Devices marked only through a line of theirs: their other lines matter
    // only while the key has copies (the duplicate-device rule).
    std::vector<DeviceKey> line_device_keys;
};

// Reads tracking for this customer and scope (SPI connected, audit lock
// held), before the audit reads its inputs: the epoch, the transactions seen
// and, when `want_incremental`, whether the baseline holds and its marks.
Tracking read_tracking(const Customer& customer, TrackedScope scope, bool want_incremental);

// The committing audit becomes the scope's baseline and consumes what it saw
// (not for dry runs, nor for chosen sites). Its size: the entries a full
// audit read, or the baseline's plus those an incremental one added.
void commit_tracking(const Customer& customer, const Tracking& tracking, std::int64_t run_id,
                     std::int64_t entries_read, std::int64_t added);

// A full CALL audit() of a baseline scope spans several transactions: the
// tracking read by its first (before any unit read) is kept for the session
// until its last unit commits the baseline. One run at a time per session.
void remember_run_tracking(std::int64_t run_id, const Tracking& tracking);
std::optional<Tracking> take_run_tracking(std::int64_t run_id);
// A unit of that run other than its last is about to commit: its own writes
// (marks of its transaction) count as seen, as a one-transaction audit's do.
void note_run_unit(std::int64_t run_id);
void forget_run_tracking() noexcept;

}  // namespace numaudit::backend

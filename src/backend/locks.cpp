#include "backend/locks.hpp"

#include <algorithm>

#include "backend/guard.hpp"
#include "backend/messages.hpp"
#include "core/audit_error.hpp"

namespace numaudit::backend {

namespace {

LOCKTAG advisory_tag(std::uint16_t lock_class, std::int64_t key) {
    LOCKTAG tag;
    SET_LOCKTAG_ADVISORY(tag, MyDatabaseId, static_cast<uint32>(static_cast<uint64>(key) >> 32),
                         static_cast<uint32>(key), lock_class);
    return tag;
}

// Takes one lock; tries without waiting first so the caller learns whether
// it had to wait. Returns false only with nowait when the lock is taken.
bool acquire(std::uint16_t lock_class, std::int64_t key, LOCKMODE mode, bool nowait, bool& waited) {
    LOCKTAG tag = advisory_tag(lock_class, key);
    LockAcquireResult result = LOCKACQUIRE_NOT_AVAIL;
    pg_call([&]() noexcept { result = LockAcquire(&tag, mode, false, true); });
    if (result != LOCKACQUIRE_NOT_AVAIL) return true;
    if (nowait) return false;
    waited = true;
    pg_call([&]() noexcept { result = LockAcquire(&tag, mode, false, false); });
    return true;
}

[[noreturn]] void busy(const std::string& message) {
    throw core::AuditError(core::sqlstate::kLockNotAvailable, message, {},
                           "Call again later, or without nowait to wait for it.");
}

void lock_sites(const Customer& customer, const std::vector<Site>& sites, bool nowait,
                bool& waited) {
    std::vector<const Site*> ordered;
    for (const auto& s : sites) ordered.push_back(&s);
    std::sort(ordered.begin(), ordered.end(), [](auto a, auto b) { return a->id < b->id; });
    for (const auto* s : ordered)
        if (!acquire(kSiteLockClass, s->id, ExclusiveLock, nowait, waited))
            busy("another audit of site " + quoted_name(s->name) + " of customer " +
                 quoted_name(customer.path) + " is running");
}

}  // namespace

void lock_for_audit(const Customer& customer, core::Scope scope, const std::vector<Site>& sites,
                    bool nowait) {
    bool whole = scope == core::Scope::Customer;
    bool waited = false;
    if (!acquire(kCustomerLockClass, customer.id, whole ? ExclusiveLock : ShareLock, nowait,
                 waited))
        busy(whole ? "another audit of customer " + quoted_name(customer.path) + " is running"
                   : "a customer-scope audit of " + quoted_name(customer.path) + " is running");
    if (!whole) lock_sites(customer, sites, nowait, waited);
    // A transaction snapshot taken before the wait cannot see the work of the
    // audit waited for: like a row update conflict, that is a serialization
    // failure the caller retries.
    if (waited && IsolationUsesXactSnapshot())
        throw core::AuditError(
            "40001", "could not serialize access: the audit waited for a concurrent audit",
            "Customer " + quoted_name(customer.path) + " was being audited by another transaction.",
            "Retry the transaction, or run audits in READ COMMITTED.");
}

bool try_lock_customer(std::int64_t customer_id) {
    LOCKTAG tag = advisory_tag(kCustomerLockClass, customer_id);
    LockAcquireResult result = LOCKACQUIRE_NOT_AVAIL;
    pg_call([&]() noexcept { result = LockAcquire(&tag, ExclusiveLock, false, true); });
    return result != LOCKACQUIRE_NOT_AVAIL;
}

void lock_run_Unsafe(std::int64_t run_id) {
    LOCKTAG tag = advisory_tag(kRunLockClass, run_id);
    (void)LockAcquire(&tag, ExclusiveLock, true, false);
}

void unlock_run_Unsafe(std::int64_t run_id) {
    LOCKTAG tag = advisory_tag(kRunLockClass, run_id);
    LockRelease(&tag, ExclusiveLock, true);
}

void lock_sweep_session_Unsafe() {
    LOCKTAG tag = advisory_tag(kSweepLockClass, MyProcPid);
    (void)LockAcquire(&tag, ExclusiveLock, true, false);
}

void unlock_sweep_session_Unsafe() {
    LOCKTAG tag = advisory_tag(kSweepLockClass, MyProcPid);
    LockRelease(&tag, ExclusiveLock, true);
}

}  // namespace numaudit::backend

extern "C" {
PG_FUNCTION_INFO_V1(numaudit_try_lock_customer);
}

// numaudit._try_lock_customer(bigint) -> boolean (STRICT, internal).
extern "C" Datum numaudit_try_lock_customer(PG_FUNCTION_ARGS) {
    const std::int64_t customer_id = PG_GETARG_INT64(0);
    return numaudit::backend::guarded_entry(
        [&] { return BoolGetDatum(numaudit::backend::try_lock_customer(customer_id)); });
}

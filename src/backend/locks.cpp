#include "backend/locks.hpp"

#include <algorithm>

#include "backend/guard.hpp"
#include "core/audit_error.hpp"

namespace numaudit::backend {

namespace {

bool acquire(std::uint16_t lock_class, std::int64_t key, LOCKMODE mode, bool nowait) {
    LOCKTAG tag;
    SET_LOCKTAG_ADVISORY(tag, MyDatabaseId, static_cast<uint32>(static_cast<uint64>(key) >> 32),
                         static_cast<uint32>(key), lock_class);
    LockAcquireResult result = LOCKACQUIRE_NOT_AVAIL;
    pg_call([&] { result = LockAcquire(&tag, mode, false, nowait); });
    return result != LOCKACQUIRE_NOT_AVAIL;
}

[[noreturn]] void busy(const std::string& message) {
    throw core::AuditError(core::sqlstate::kLockNotAvailable, message, {},
                           "Call again later, or without nowait to wait for it.");
}

}  // namespace

void lock_for_audit(const Customer& customer, core::Scope scope, const std::vector<Site>& sites,
                    bool nowait) {
    bool whole = scope == core::Scope::Customer;
    if (!acquire(kCustomerLockClass, customer.id, whole ? ExclusiveLock : ShareLock, nowait))
        busy(whole ? "another audit of customer \"" + customer.path + "\" is running"
                   : "a customer-scope audit of \"" + customer.path + "\" is running");
    if (whole) return;
    std::vector<const Site*> ordered;
    for (const auto& s : sites) ordered.push_back(&s);
    std::sort(ordered.begin(), ordered.end(), [](auto a, auto b) { return a->id < b->id; });
    for (const auto* s : ordered)
        if (!acquire(kSiteLockClass, s->id, ExclusiveLock, nowait))
            busy("another audit of site \"" + s->name + "\" of customer \"" + customer.path +
                 "\" is running");
}

}  // namespace numaudit::backend

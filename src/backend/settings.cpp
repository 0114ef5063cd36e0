#include "backend/settings.hpp"

#include <cstdio>
#include <new>
#include <string>

#include "backend/messages.hpp"
#include "backend/pg.hpp"
#include "core/audit_error.hpp"

namespace numaudit::backend {

int g_max_memory_mb = 0;
bool g_notify = true;
int g_fault_injection = static_cast<int>(FaultInjection::Off);
int g_incremental_share = kDefaultIncrementalShare;

namespace {

// The value numaudit.max_memory held before the library loaded, when it was
// not a valid one; empty once a valid value is assigned.
char g_invalid_max_memory[256] = "";

void max_memory_assigned(int, void*) { g_invalid_max_memory[0] = '\0'; }

const struct config_enum_entry kFaultInjectionOptions[] = {
    {"off", static_cast<int>(FaultInjection::Off), false},
    {"argument_alloc", static_cast<int>(FaultInjection::ArgumentAlloc), false},
    {"array_argument_alloc", static_cast<int>(FaultInjection::ArrayArgumentAlloc), false},
    {nullptr, 0, false}};

}  // namespace

std::size_t max_memory_bytes() noexcept {
    return static_cast<std::size_t>(g_max_memory_mb) * 1024 * 1024;
}

const char* max_memory_text() noexcept {
    static char text[64];
    if (g_max_memory_mb == 0)
        snprintf(text, sizeof text, "0 (no limit)");
    else if (g_max_memory_mb % 1024 == 0)
        snprintf(text, sizeof text, "%dGB", g_max_memory_mb / 1024);
    else
        snprintf(text, sizeof text, "%dMB", g_max_memory_mb);
    return text;
}

void fail_allocation_if(FaultInjection point) {
    if (g_fault_injection == static_cast<int>(point)) throw std::bad_alloc();
}

void check_settings() {
    if (!g_invalid_max_memory[0]) return;
    throw core::AuditError(
        core::sqlstate::kInvalidParameterValue,
        "numaudit.max_memory has an invalid value: " + quoted_name(g_invalid_max_memory),
        "The value was set before numaudit was loaded in this session, so PostgreSQL only warned "
        "and kept the default; numaudit does not audit without the memory limit that was meant.",
        "Correct it where it is set (SET, ALTER DATABASE or ALTER ROLE ... SET, postgresql.conf), "
        "e.g. '512MB' or '2GB'; SET numaudit.max_memory in this session also clears it.");
}

void define_settings() {
    // A value waiting in a placeholder, before the real setting exists. A C
    // string: this runs in _PG_init, with no C++ guard around it (PostgreSQL
    // errors may pass, so nothing here may need a destructor or throw).
    const char* pending = GetConfigOption("numaudit.max_memory", true, false);
    char* waiting = pending && pending[0] ? pstrdup(pending) : nullptr;
    DefineCustomIntVariable(
        "numaudit.max_memory",
        "Memory one audit may use for its working data, in MB (0: no limit).",
        "An audit that needs more fails with SQLSTATE 53200 and changes nothing.", &g_max_memory_mb,
        0, 0, INT_MAX / 1024, PGC_USERSET, GUC_UNIT_MB, nullptr, max_memory_assigned, nullptr);
    DefineCustomBoolVariable("numaudit.notify",
                             "Whether a finished run sends NOTIFY numaudit with its JSON summary.",
                             "Turn it off in transactions that are prepared for two-phase commit.",
                             &g_notify, true, PGC_USERSET, 0, nullptr, nullptr, nullptr);
    DefineCustomEnumVariable(
        "numaudit.fault_injection", "Test only: makes a C++ allocation of numaudit fail.",
        "argument_alloc: reading a text argument; array_argument_alloc: reading an element of an "
        "array argument. The call fails with SQLSTATE 53200.",
        &g_fault_injection, static_cast<int>(FaultInjection::Off), kFaultInjectionOptions,
        PGC_SUSET, GUC_NO_SHOW_ALL | GUC_NOT_IN_SAMPLE, nullptr, nullptr, nullptr);
    DefineCustomIntVariable(
        "numaudit.incremental_share",
        "Benchmarks only: an incremental audit with more pending changes than its baseline's "
        "entries divided by this (and than 1000) runs full.",
        nullptr, &g_incremental_share, kDefaultIncrementalShare, 1, INT_MAX, PGC_SUSET,
        GUC_NO_SHOW_ALL | GUC_NOT_IN_SAMPLE, nullptr, nullptr, nullptr);
    MarkGUCPrefixReserved("numaudit");
    if (waiting) {
        int value = 0;
        const char* hint = nullptr;
        if (!parse_int(waiting, &value, GUC_UNIT_MB, &hint) || value < 0 ||
            value > INT_MAX / 1024) {
            snprintf(g_invalid_max_memory, sizeof g_invalid_max_memory, "%s", waiting);
        }
        pfree(waiting);
    }
}

}  // namespace numaudit::backend

extern "C" {
void _PG_init(void);
}

extern "C" void _PG_init(void) { numaudit::backend::define_settings(); }

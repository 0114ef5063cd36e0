// numaudit's settings, defined and registered in one place (_PG_init).
//
// They exist in a session once the library is loaded (the first numaudit
// call, LOAD 'numaudit', or session_preload_libraries). A value set before
// that (SET, ALTER DATABASE/ROLE ... SET, postgresql.conf) waits in a
// placeholder; if it is no valid value, PostgreSQL only warns when the
// library loads and keeps the default. numaudit remembers it and refuses to
// audit until the setting is valid, rather than audit without the limit the
// DBA meant.
#pragma once

#include <cstddef>

namespace numaudit::backend {

// numaudit.max_memory: working memory of one audit, in MB (0: no limit).
extern int g_max_memory_mb;
// numaudit.notify: send NOTIFY numaudit when a run is over.
extern bool g_notify;

// numaudit.fault_injection (hidden, superuser, test-only): where a C++
// allocation is made to fail with std::bad_alloc, to prove that the error
// boundary holds (sql/fault_injection.sql).
enum class FaultInjection : int { Off, ArgumentAlloc, ArrayArgumentAlloc };
extern int g_fault_injection;

// numaudit.incremental_share (hidden, superuser, for benchmarks): an
// incremental audit with more pending marks than the baseline's entries /
// this (and than 1,000) runs full. The default is the measured crossover
// (docs/PERFORMANCE.md, "Incremental audits"); test/bench/incremental.sh sets
// it to 1 to time incremental audits past it. The tracking triggers' bound on
// one statement's keys is entries / 40 whatever this says
// (numaudit--0.3.0--0.4.0.sql).
constexpr int kDefaultIncrementalShare = 20;
extern int g_incremental_share;

// Throws std::bad_alloc if numaudit.fault_injection names `point`. Call it
// where the allocation it stands for is made.
void fail_allocation_if(FaultInjection point);

// The limit in bytes (0: none).
std::size_t max_memory_bytes() noexcept;

// Throws core::AuditError 22023 when a setting was given a value that is not
// valid (see above).
void check_settings();

// "64MB", "2GB", or "0 (no limit)": the limit in force, for messages.
const char* max_memory_text() noexcept;

void define_settings();

}  // namespace numaudit::backend

// One internal subtransaction around a piece of PostgreSQL work, for the
// places that must survive its ERROR: a plain insert that may collide, a
// procedure step whose failure is recorded before it is raised, a NOTIFY
// whose failure must not fail the audit.
#pragma once

#include "backend/pg.hpp"

namespace numaudit::backend {

// Runs fn(arg) in an internal subtransaction: released when fn returns;
// rolled back when fn raises an ERROR, which is then returned, copied into
// the caller's memory context (re-throw it with ReThrowError or free it with
// FreeErrorData). NULL when fn succeeded. Plain C style: fn must not throw
// C++ exceptions; call this through pg_call when C++ objects are alive.
ErrorData* in_subtransaction_Unsafe(void (*fn)(void*), void* arg);

}  // namespace numaudit::backend

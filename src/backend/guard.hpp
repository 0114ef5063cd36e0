// The boundary between C++ and PostgreSQL error handling.
//
//  * pg_call(fn) runs PostgreSQL code (which may longjmp) and turns an ERROR
//    into a C++ PgError, so C++ destructors above it still run. `fn` must
//    never throw a C++ exception: one would unwind through PG_TRY and leave
//    PG_exception_stack pointing at a dead frame, for the next ERROR to jump
//    into. So `fn` must be declared noexcept (checked at compile time), and
//    C++ objects that allocate (std::string, containers) are built outside
//    it, from what it returns (see text_string() in spi.hpp).
//  * guarded_entry(fcinfo, body) wraps every SQL-callable function: it
//    catches every C++ exception, keeps what it needs in plain storage, and
//    raises the PostgreSQL error only after the catch block has ended. It
//    saves PG_exception_stack, error_context_stack and the memory context
//    before the body and puts them back after a C++ exception (with a
//    WARNING if the error stacks were found changed: a bug to report).
#pragma once

#include <exception>
#include <new>
#include <type_traits>

#include "backend/pg.hpp"
#include "core/audit_error.hpp"

namespace numaudit::backend {

// A PostgreSQL error caught by pg_call; the ErrorData lives in
// TopTransactionContext until it is re-thrown.
class PgError : public std::exception {
  public:
    explicit PgError(ErrorData* edata) noexcept : edata_(edata) {}
    ErrorData* edata() const noexcept { return edata_; }
    const char* what() const noexcept override {
        return edata_ && edata_->message ? edata_->message : "PostgreSQL error";
    }

  private:
    ErrorData* edata_;
};

// Copies the current error out of the error stack (call inside PG_CATCH).
ErrorData* capture_error(MemoryContext back_to) noexcept;

template <typename Fn>
void pg_call(Fn&& fn) {
    static_assert(std::is_nothrow_invocable_v<Fn&>,
                  "pg_call: the callable runs inside PG_TRY and must be noexcept; build C++ "
                  "objects (strings, containers) outside it");
    MemoryContext cxt = CurrentMemoryContext;
    ErrorData* volatile edata = nullptr;
    PG_TRY();
    { fn(); }
    PG_CATCH();
    { edata = capture_error(cxt); }
    PG_END_TRY();
    if (edata) throw PgError(edata);
}

// What an entry point must raise once its C++ frames are gone.
struct PendingError {
    bool active = false;
    ErrorData* pg = nullptr;
    char sqlstate[6] = {0};
    // Room for a message naming two 200-character names of 4-byte
    // characters, and for hints and details that list several.
    char message[4096] = {0};
    char detail[8192] = {0};
    char hint[8192] = {0};

    void set(const char* code, const char* msg, const char* det = "",
             const char* hnt = "") noexcept;
    // Raises the error (never returns) if one is pending.
    void raise_if_pending() const;
};

void capture_exception(PendingError& pending) noexcept;

// PostgreSQL's error state as an entry point found it.
struct ErrorStacks {
    sigjmp_buf* exception_stack = PG_exception_stack;
    ErrorContextCallback* context_stack = error_context_stack;
    MemoryContext memory_context = CurrentMemoryContext;

    // Puts the saved state back; true if an error stack had been left
    // changed (a C++ exception unwound through a PG_TRY or past a pushed
    // error context callback).
    bool restore() const noexcept;
};

// Restores `saved` after a C++ exception; warns if an error stack had been
// left changed.
void restore_error_stacks(const ErrorStacks& saved);

template <typename Body>
Datum guarded_entry(Body&& body) {
    PendingError pending;
    const ErrorStacks saved;
    Datum result = (Datum)0;
    try {
        result = body();
    } catch (...) {
        capture_exception(pending);
    }
    if (pending.active) restore_error_stacks(saved);
    pending.raise_if_pending();
    return result;
}

}  // namespace numaudit::backend

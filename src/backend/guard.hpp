// The boundary between C++ and PostgreSQL error handling.
//
//  * pg_call(fn) runs PostgreSQL code (which may longjmp) and turns an ERROR
//    into a C++ PgError, so C++ destructors above it still run. `fn` itself
//    must never throw a C++ exception.
//  * guarded_entry(fcinfo, body) wraps every SQL-callable function: it
//    catches every C++ exception, keeps what it needs in plain storage, and
//    raises the PostgreSQL error only after the catch block has ended.
#pragma once

#include <exception>
#include <new>

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

template <typename Body>
Datum guarded_entry(Body&& body) {
    PendingError pending;
    Datum result = (Datum)0;
    try {
        result = body();
    } catch (...) {
        capture_exception(pending);
    }
    pending.raise_if_pending();
    return result;
}

}  // namespace numaudit::backend

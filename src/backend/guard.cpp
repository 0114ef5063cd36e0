#include "backend/guard.hpp"

#include <cstdio>
#include <cstring>

#include "backend/context_resource.hpp"
#include "backend/settings.hpp"
#include "backend/spi.hpp"

namespace numaudit::backend {

ErrorData* capture_error(MemoryContext back_to) noexcept {
    // CopyErrorData must not run in ErrorContext; TopTransactionContext keeps
    // the copy alive until the entry point re-throws it.
    MemoryContextSwitchTo(TopTransactionContext);
    ErrorData* edata = CopyErrorData();
    FlushErrorState();
    MemoryContextSwitchTo(back_to);
    return edata;
}

// Copies at most size - 1 bytes, cut at a character boundary so that a
// long message (a long name quoted in it) stays valid text.
static void copy_text(char* to, std::size_t size, const char* from) noexcept {
    if (!from) from = "";
    int len = static_cast<int>(std::strlen(from));
    int limit = static_cast<int>(size) - 1;
    int keep = len <= limit ? len : pg_mbcliplen(from, len, limit);
    std::memcpy(to, from, static_cast<std::size_t>(keep));
    to[keep] = '\0';
}

void PendingError::set(const char* code, const char* msg, const char* det,
                       const char* hnt) noexcept {
    active = true;
    copy_text(sqlstate, sizeof sqlstate, code);
    copy_text(message, sizeof message, msg);
    copy_text(detail, sizeof detail, det);
    copy_text(hint, sizeof hint, hnt);
}

void capture_exception(PendingError& pending) noexcept {
    try {
        throw;
    } catch (const PgError& e) {
        pending.active = true;
        pending.pg = e.edata();
    } catch (const core::AuditError& e) {
        pending.set(e.sqlstate(), e.what(), e.detail().c_str(), e.hint().c_str());
    } catch (const MemoryLimitReached&) {
        char message[160];
        snprintf(message, sizeof message,
                 "numaudit: out of memory: the audit needs more than numaudit.max_memory = %s",
                 max_memory_text());
        pending.set(core::sqlstate::kOutOfMemory, message, "It changed nothing.",
                    "Raise numaudit.max_memory (SET numaudit.max_memory = '2GB'), or audit fewer "
                    "sites at a time.");
    } catch (const std::bad_alloc&) {
        char detail[200];
        snprintf(detail, sizeof detail,
                 "The server could not give the audit more memory (numaudit.max_memory = "
                 "%s). It changed nothing.",
                 max_memory_text());
        pending.set(core::sqlstate::kOutOfMemory, "numaudit: out of memory", detail,
                    "Audit fewer sites at a time, or free memory on the server.");
    } catch (const std::exception& e) {
        pending.set(core::sqlstate::kInternalError, e.what());
    } catch (...) {
        pending.set(core::sqlstate::kInternalError, "numaudit: unexpected C++ exception");
    }
}

bool ErrorStacks::restore() const noexcept {
    const bool changed =
        PG_exception_stack != exception_stack || error_context_stack != context_stack;
    PG_exception_stack = exception_stack;
    error_context_stack = context_stack;
    // Not a fault: an error path leaves SPI's context current.
    MemoryContextSwitchTo(memory_context);
    return changed;
}

void restore_error_stacks(const ErrorStacks& saved) {
    // Restored before anything is reported: an ERROR (or a WARNING's own
    // failure) must not jump into a frame that is gone.
    if (saved.restore())
        ereport(WARNING,
                (errmsg("numaudit: a C++ exception left PostgreSQL's error stack changed; it was "
                        "restored"),
                 errhint("This is a bug in numaudit; please report it.")));
}

void PendingError::raise_if_pending() const {
    if (!active) return;
    if (pg) {
        // Raised anew, with the caller's context and none of numaudit's
        // internal statements.
        drop_internal_context(pg);
        ThrowErrorData(pg);
    }
    ereport(
        ERROR,
        (errcode(MAKE_SQLSTATE(sqlstate[0], sqlstate[1], sqlstate[2], sqlstate[3], sqlstate[4])),
         errmsg("%s", message), detail[0] ? errdetail("%s", detail) : 0,
         hint[0] ? errhint("%s", hint) : 0));
}

}  // namespace numaudit::backend

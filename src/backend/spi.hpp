// SPI access for the audit: kept prepared plans, batched reads through
// cursors, and array arguments built from C++ views.
//
// Functions named *Unsafe may raise a PostgreSQL ERROR: call them only
// inside pg_call(). The others are guarded and throw PgError instead.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "backend/guard.hpp"
#include "backend/statements.hpp"

namespace numaudit::backend {

// One value of a result row, valid until the batch it came in is released.
struct Cell {
    const char* data;  // text value (not NUL-terminated)
    int len;
    bool null;
    std::int64_t num;  // integer or boolean value
    // An entry's usage longer than any report shows: `data` holds only its
    // first bytes, and this the md5 of the whole (hex, NUL-terminated).
    const char* digest;

    std::string_view text() const noexcept { return {data, static_cast<std::size_t>(len)}; }
    std::optional<std::string_view> opt_text() const noexcept {
        if (null) return std::nullopt;
        return text();
    }
};

// A batch of result rows: rows x columns cells, row-major. Read a cell by
// its column's name: b.at(r, col::Entry::usage).
struct Batch {
    const Cell* cells;
    int rows;
    int columns;
    const Cell& at(int row, int col) const noexcept { return cells[row * columns + col]; }
};

using BatchConsumer = std::function<void(const Batch&)>;

// Arguments of one statement: $1 .. $n in values[0 .. n-1] (n <= kMaxArgs).
struct Args {
    Datum values[kMaxArgs];
    char nulls[kMaxArgs];
    Args() {
        for (char& n : nulls) n = ' ';
    }
};

// Runs a read-only statement through a cursor, handing over batches.
void scan(Stmt stmt, const Args& args, const BatchConsumer& consume);
// Runs any statement (DML with RETURNING included); hands over one batch.
void exec(Stmt stmt, const Args& args, const BatchConsumer& consume = {});

// Runs a statement in a subtransaction of its own. Returns false, with the
// subtransaction rolled back, when it failed with a unique violation; any
// other error (a cancel included) is raised as usual.
bool exec_unless_unique_violation(Stmt stmt, const Args& args);

// Argument n of a SQL-callable function as a string (nullopt for NULL):
// detoasted inside pg_call(), copied into the string outside it.
std::optional<std::string> text_arg(FunctionCallInfo fcinfo, int n);
// The bytes of a detoasted text as a std::string. It may throw
// std::bad_alloc, so call it outside pg_call() (reading a detoasted value
// raises no ERROR).
std::string text_string(const text* t);
// Takes numaudit's own statements out of an error's CONTEXT (SPEC §3
// "Messages"): from the first of them on, the context is dropped; what comes
// before it (the lines of a user's trigger that failed) stays. Re-raise the
// error with ThrowErrorData, which adds the caller's own context again.
void drop_internal_context(ErrorData* edata) noexcept;

// SPI_connect / SPI_finish, raising C++ errors.
void spi_connect();
void spi_finish();

// Datum builders: call inside pg_call().
Datum text_datum_Unsafe(std::string_view s);
Datum text_array_Unsafe(const std::optional<std::string_view>* items, std::size_t n);
Datum int8_array_Unsafe(const std::int64_t* items, std::size_t n);
Datum int4_array_Unsafe(const std::int32_t* items, std::size_t n);
Datum bool_array_Unsafe(const bool* items, std::size_t n);

}  // namespace numaudit::backend

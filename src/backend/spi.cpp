#include "backend/spi.hpp"

#include <cstring>
#include <vector>

#include "backend/settings.hpp"
#include "backend/subtransaction.hpp"

extern "C" {
#include "access/detoast.h"
#include "common/md5.h"
#include "utils/plancache.h"
}

namespace numaudit::backend {

namespace {

constexpr long kFetchRows = 10000;

// A usage longer than any report shows (over kLongUsage bytes) is decoded
// as its first bytes and the md5 of the whole (see NUMAUDIT_ENTRY_COLUMNS in
// statements.hpp).
constexpr Size kLongUsage = 40000;
// Enough bytes for the 10,000 characters a report keeps (4 bytes at most
// each, in any server encoding) and one more.
constexpr int32 kLongUsagePrefix = 40004;

SPIPlanPtr g_plans[static_cast<int>(Stmt::Count)];

// The columns of a prepared statement's result (0 when it returns no rows).
int result_columns_Unsafe(SPIPlanPtr plan) {
    List* sources = SPI_plan_get_plan_sources(plan);
    if (list_length(sources) != 1) return -1;
    TupleDesc desc = static_cast<CachedPlanSource*>(linitial(sources))->resultDesc;
    return desc ? desc->natts : 0;
}

// A statement whose result does not have the columns its definition names
// (col:: in statements.hpp): an internal error, never a wrong value read.
void check_columns_Unsafe(Stmt stmt, int ncols) {
    const StmtDef& def = stmt_def(stmt);
    if (ncols != def.ncols)
        elog(ERROR, "numaudit: statement %d returns %d columns, not %d", static_cast<int>(stmt),
             ncols, def.ncols);
}

SPIPlanPtr plan_Unsafe(Stmt stmt) {
    int i = static_cast<int>(stmt);
    if (!g_plans[i]) {
        const StmtDef& def = stmt_def(stmt);
        SPIPlanPtr plan =
            SPI_prepare_cursor(def.sql, def.nargs(), const_cast<Oid*>(def.types),
                               def.plan == PlanChoice::Custom    ? CURSOR_OPT_CUSTOM_PLAN
                               : def.plan == PlanChoice::Generic ? CURSOR_OPT_GENERIC_PLAN
                                                                 : 0);
        if (!plan)
            elog(ERROR, "numaudit: could not prepare statement %d: %s", i,
                 SPI_result_code_string(SPI_result));
        check_columns_Unsafe(stmt, result_columns_Unsafe(plan));
        if (SPI_keepplan(plan) != 0) elog(ERROR, "numaudit: could not keep statement %d", i);
        g_plans[i] = plan;
    }
    return g_plans[i];
}

// A very long text: its first bytes, and the hex md5 of the whole.
void decode_long_Unsafe(Datum d, Cell& cell) {
    text* head = DatumGetTextPSlice(d, 0, kLongUsagePrefix);
    cell.data = VARDATA_ANY(head);
    cell.len = VARSIZE_ANY_EXHDR(head);
    text* whole = DatumGetTextPP(d);
    char* hex = static_cast<char*>(palloc(33));
    const char* errstr = nullptr;
    if (!pg_md5_hash(VARDATA_ANY(whole), VARSIZE_ANY_EXHDR(whole), hex, &errstr))
        elog(ERROR, "numaudit: could not compute an md5: %s", errstr ? errstr : "?");
    if (reinterpret_cast<Pointer>(whole) != DatumGetPointer(d)) pfree(whole);
    cell.digest = hex;
}

// Decodes the rows of SPI_tuptable into cells (text, int2/4/8, bool).
Batch decode_Unsafe(Stmt stmt, SPITupleTable* table, uint64 nrows) {
    TupleDesc desc = table->tupdesc;
    int ncols = desc->natts;
    check_columns_Unsafe(stmt, ncols);
    const int digest_col = stmt_def(stmt).digest_col;
    Cell* cells = static_cast<Cell*>(
        palloc_extended(sizeof(Cell) * Max(nrows, 1) * Max(ncols, 1), MCXT_ALLOC_HUGE));
    for (uint64 r = 0; r < nrows; ++r) {
        HeapTuple tuple = table->vals[r];
        for (int c = 0; c < ncols; ++c) {
            Cell& cell = cells[r * ncols + c];
            bool isnull;
            Datum d = SPI_getbinval(tuple, desc, c + 1, &isnull);
            cell = Cell{nullptr, 0, isnull, 0, nullptr};
            if (isnull) continue;
            if (c == digest_col && toast_raw_datum_size(d) - VARHDRSZ > kLongUsage) {
                decode_long_Unsafe(d, cell);
                continue;
            }
            switch (TupleDescAttr(desc, c)->atttypid) {
                case INT8OID:
                    cell.num = DatumGetInt64(d);
                    break;
                case INT4OID:
                    cell.num = DatumGetInt32(d);
                    break;
                case INT2OID:
                    cell.num = DatumGetInt16(d);
                    break;
                case BOOLOID:
                    cell.num = DatumGetBool(d) ? 1 : 0;
                    break;
                case VOIDOID:  // a function returning void: no value to read
                    cell.null = true;
                    break;
                default: {
                    text* t = reinterpret_cast<text*>(PG_DETOAST_DATUM_PACKED(d));
                    cell.data = VARDATA_ANY(t);
                    cell.len = VARSIZE_ANY_EXHDR(t);
                    break;
                }
            }
        }
    }
    return Batch{cells, static_cast<int>(nrows), ncols};
}

}  // namespace

void scan(Stmt stmt, const Args& args, const BatchConsumer& consume) {
    Portal portal = nullptr;
    pg_call([&]() noexcept {
        portal = SPI_cursor_open(nullptr, plan_Unsafe(stmt), const_cast<Datum*>(args.values),
                                 args.nulls, false);
    });
    for (;;) {
        Batch batch{nullptr, 0, 0};
        pg_call([&]() noexcept {
            SPI_cursor_fetch(portal, true, kFetchRows);
            if (SPI_processed > 0) batch = decode_Unsafe(stmt, SPI_tuptable, SPI_processed);
        });
        if (batch.rows == 0) break;
        consume(batch);
        pg_call([&]() noexcept {
            pfree(const_cast<Cell*>(batch.cells));
            SPI_freetuptable(SPI_tuptable);
        });
    }
    pg_call([&]() noexcept {
        SPI_freetuptable(SPI_tuptable);
        SPI_cursor_close(portal);
    });
}

void exec(Stmt stmt, const Args& args, const BatchConsumer& consume) {
    Batch batch{nullptr, 0, 0};
    pg_call([&]() noexcept {
        int rc = SPI_execute_plan(plan_Unsafe(stmt), const_cast<Datum*>(args.values), args.nulls,
                                  false, 0);
        if (rc < 0)
            elog(ERROR, "numaudit: statement %d failed: %s", static_cast<int>(stmt),
                 SPI_result_code_string(rc));
        if (SPI_tuptable && SPI_processed > 0)
            batch = decode_Unsafe(stmt, SPI_tuptable, SPI_processed);
    });
    if (consume && batch.rows > 0) consume(batch);
    pg_call([&]() noexcept {
        if (batch.cells) pfree(const_cast<Cell*>(batch.cells));
        SPI_freetuptable(SPI_tuptable);
    });
}

namespace {

struct PlanCall {
    Stmt stmt;
    const Args* args;
};

void exec_plan(void* arg) {
    auto* call = static_cast<PlanCall*>(arg);
    int rc = SPI_execute_plan(plan_Unsafe(call->stmt), const_cast<Datum*>(call->args->values),
                              call->args->nulls, false, 0);
    if (rc < 0)
        elog(ERROR, "numaudit: statement %d failed: %s", static_cast<int>(call->stmt),
             SPI_result_code_string(rc));
    SPI_freetuptable(SPI_tuptable);
}

}  // namespace

bool exec_unless_unique_violation(Stmt stmt, const Args& args) {
    PlanCall call{stmt, &args};
    bool ok = true;
    pg_call([&]() noexcept {
        ErrorData* edata = in_subtransaction_Unsafe(exec_plan, &call);
        if (!edata) return;
        if (edata->sqlerrcode != ERRCODE_UNIQUE_VIOLATION) ReThrowError(edata);
        FreeErrorData(edata);
        ok = false;
    });
    return ok;
}

Datum text_datum_Unsafe(std::string_view s) {
    return PointerGetDatum(cstring_to_text_with_len(s.data(), static_cast<int>(s.size())));
}

Datum text_array_Unsafe(const std::optional<std::string_view>* items, std::size_t n) {
    Datum* values =
        static_cast<Datum*>(palloc_extended(sizeof(Datum) * Max(n, 1), MCXT_ALLOC_HUGE));
    bool* nulls = static_cast<bool*>(palloc_extended(sizeof(bool) * Max(n, 1), MCXT_ALLOC_HUGE));
    for (std::size_t i = 0; i < n; ++i) {
        nulls[i] = !items[i].has_value();
        values[i] = nulls[i] ? (Datum)0 : text_datum_Unsafe(*items[i]);
    }
    int dims[1] = {static_cast<int>(n)};
    int lbs[1] = {1};
    return PointerGetDatum(
        construct_md_array(values, nulls, 1, dims, lbs, TEXTOID, -1, false, TYPALIGN_INT));
}

Datum int8_array_Unsafe(const std::int64_t* items, std::size_t n) {
    Datum* values =
        static_cast<Datum*>(palloc_extended(sizeof(Datum) * Max(n, 1), MCXT_ALLOC_HUGE));
    for (std::size_t i = 0; i < n; ++i) values[i] = Int64GetDatum(items[i]);
    return PointerGetDatum(
        construct_array(values, static_cast<int>(n), INT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
}

Datum int4_array_Unsafe(const std::int32_t* items, std::size_t n) {
    Datum* values =
        static_cast<Datum*>(palloc_extended(sizeof(Datum) * Max(n, 1), MCXT_ALLOC_HUGE));
    for (std::size_t i = 0; i < n; ++i) values[i] = Int32GetDatum(items[i]);
    return PointerGetDatum(
        construct_array(values, static_cast<int>(n), INT4OID, 4, true, TYPALIGN_INT));
}

Datum bool_array_Unsafe(const bool* items, std::size_t n) {
    Datum* values =
        static_cast<Datum*>(palloc_extended(sizeof(Datum) * Max(n, 1), MCXT_ALLOC_HUGE));
    for (std::size_t i = 0; i < n; ++i) values[i] = BoolGetDatum(items[i]);
    return PointerGetDatum(
        construct_array(values, static_cast<int>(n), BOOLOID, 1, true, TYPALIGN_CHAR));
}

std::string text_string(const text* t) { return std::string(VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t)); }

std::optional<std::string> text_arg(FunctionCallInfo fcinfo, int n) {
    if (PG_ARGISNULL(n)) return std::nullopt;
    const text* t = nullptr;
    pg_call([&]() noexcept { t = PG_GETARG_TEXT_PP(n); });
    fail_allocation_if(FaultInjection::ArgumentAlloc);
    return text_string(t);
}

void drop_internal_context(ErrorData* edata) noexcept {
    edata->internalquery = nullptr;
    edata->internalpos = 0;
    if (!edata->context) return;
    const char* context = edata->context;
    const char* cut = nullptr;
    auto consider = [&](const char* prefix, const char* text) {
        for (const char* at = std::strstr(context, prefix); at; at = std::strstr(at + 1, prefix)) {
            if (std::strncmp(at + std::strlen(prefix), text, std::strlen(text)) == 0) {
                if (!cut || at < cut) cut = at;
                return;
            }
        }
    };
    for (const StmtDef& def : kStmts) consider("SQL statement \"", def.sql);
    // The procedure's calls of its helpers, and the SQL-language helpers.
    consider("SQL statement \"", "SELECT numaudit._");
    consider("SQL statement \"", "SELECT s.run_id, u.unit");
    consider("SQL function \"", "_audit_");
    consider("SQL function \"", "_sync_number_ids\"");
    if (!cut) return;
    std::size_t keep = static_cast<std::size_t>(cut - context);
    while (keep > 0 && context[keep - 1] == '\n') --keep;
    if (keep == 0)
        edata->context = nullptr;
    else
        edata->context[keep] = '\0';
}

void spi_connect() {
    pg_call([]() noexcept {
        if (SPI_connect() != SPI_OK_CONNECT) elog(ERROR, "numaudit: SPI_connect failed");
    });
}

void spi_finish() {
    pg_call([]() noexcept { SPI_finish(); });
}

}  // namespace numaudit::backend

#include "backend/spi.hpp"

#include <cstring>
#include <vector>

#include "backend/settings.hpp"
#include "backend/subtransaction.hpp"

extern "C" {
#include "access/detoast.h"
#include "common/md5.h"
}

namespace numaudit::backend {

namespace {

constexpr long kFetchRows = 10000;

// An entry as the planner reads it: id, holder, internal_number, status,
// usage. A usage longer than any report shows (over kLongUsage bytes) is
// decoded as its first bytes and the md5 of the whole, which the update
// matches it by, so that no value is ever too large to read or write back.
#define ENTRY_COLUMNS "n.id, n.hierarchy_id, n.internal_number, n.status, n.usage"
constexpr int kEntryUsageColumn = 4;
constexpr Size kLongUsage = 40000;
// Enough bytes for the 10,000 characters a report keeps (4 bytes at most
// each, in any server encoding) and one more.
constexpr int32 kLongUsagePrefix = 40004;

struct StmtDef {
    const char* sql;
    int nargs;
    Oid types[12];
};

// Every name is schema-qualified; the plans are made under the fixed
// search_path of the calling function and keep it when re-planned.
const StmtDef kStmts[] = {
    // FindByPath($1 path): every node whose dotted path is $1 (more than one
    // only when a name written before 0.3.0 holds a "."). Columns as
    // FindByName's (a node reached from a root never loops).
    {R"SQL(
WITH RECURSIVE p (id, kind, path, number_management, dial_plan, name, parent_kind) AS (
    SELECT h.id, h.kind, h.name, h.number_management, h.dial_plan, h.name, NULL::text
      FROM numaudit.hierarchy h
     WHERE h.parent_id IS NULL
       AND (h.name = $1 OR pg_catalog.starts_with($1, h.name || '.'))
  UNION ALL
    SELECT h.id, h.kind, p.path || '.' || h.name, h.number_management, h.dial_plan, h.name, p.kind
      FROM numaudit.hierarchy h JOIN p ON h.parent_id = p.id
     WHERE p.path <> $1
       AND (p.path || '.' || h.name = $1
            OR pg_catalog.starts_with($1, p.path || '.' || h.name || '.'))
)
SELECT id, kind, path, number_management, dial_plan, name, parent_kind, false
  FROM p WHERE path = $1 ORDER BY id)SQL",
     1,
     {TEXTOID}},
    // FindByName($1 name): every node named $1, customers first: id, kind,
    // path (NULL when its ancestors never reach a root), number management,
    // dial plan, name, its parent's kind, whether its ancestors loop.
    {R"SQL(
WITH RECURSIVE up (node, id, parent_id, path) AS (
    SELECT h.id, h.id, h.parent_id, h.name FROM numaudit.hierarchy h WHERE h.name = $1
  UNION ALL
    SELECT up.node, h.id, h.parent_id, h.name || '.' || up.path
      FROM up JOIN numaudit.hierarchy h ON h.id = up.parent_id
) CYCLE id SET looped USING route
SELECT n.id, n.kind, r.path, n.number_management, n.dial_plan, n.name, p.kind,
       EXISTS (SELECT FROM up l WHERE l.node = n.id AND l.looped)
  FROM numaudit.hierarchy n
  LEFT JOIN numaudit.hierarchy p ON p.id = n.parent_id
  LEFT JOIN up r ON r.node = n.id AND r.parent_id IS NULL AND NOT r.looped
 WHERE n.name = $1
 ORDER BY n.kind <> 'customer', r.path COLLATE pg_catalog."C", n.id)SQL",
     1,
     {TEXTOID}},
    // ListSites($1 customer id)
    {"SELECT h.id, h.name FROM numaudit.hierarchy h"
     " WHERE h.parent_id = $1 AND h.kind = 'site' ORDER BY h.name",
     1,
     {INT8OID}},
    // ReadKinds
    {"SELECT k.kind, k.status, k.usage, k.rank FROM numaudit.usage_kind k", 0, {}},
    // ReadUses($1 owner ids)
    {R"SQL(
SELECT d.hierarchy_id, d.cluster, d.kind, d.name, l.line_index, l.pattern
  FROM numaudit.device d JOIN numaudit.device_line l ON l.device_id = d.id
 WHERE d.hierarchy_id = ANY ($1)
UNION ALL
SELECT s.hierarchy_id, s.cluster, s.kind, s.name, -1, s.pattern
  FROM numaudit.service s
 WHERE s.hierarchy_id = ANY ($1))SQL",
     1,
     {INT8ARRAYOID}},
    // ReadEntries($1 holder ids)
    {"SELECT " ENTRY_COLUMNS " FROM numaudit.number n WHERE n.hierarchy_id = ANY ($1)",
     1,
     {INT8ARRAYOID}},
    // UpdateEntries: only rows still as they were read (same holder, stored
    // text, status and usage, or the usage's md5 when it was too long to
    // read), so a concurrent change by an application is never overwritten.
    // LockEntries runs first, so rows are locked in id order and writers that
    // also lock in id order never deadlock with an audit.
    {R"SQL(
UPDATE numaudit.number n
   SET status = u.new_status, usage = u.new_usage, updated_at = pg_catalog.now()
  FROM ROWS FROM (pg_catalog.unnest($1), pg_catalog.unnest($2), pg_catalog.unnest($3),
                  pg_catalog.unnest($4), pg_catalog.unnest($5), pg_catalog.unnest($6),
                  pg_catalog.unnest($7), pg_catalog.unnest($8), pg_catalog.unnest($9))
       AS u (id, holder, num, old_status, old_usage, new_status, new_usage, row_no, usage_md5)
 WHERE n.id = u.id AND n.hierarchy_id = u.holder AND n.internal_number = u.num
   AND n.status = u.old_status
   AND CASE WHEN u.usage_md5 IS NULL THEN n.usage IS NOT DISTINCT FROM u.old_usage
            ELSE pg_catalog.md5(n.usage) = u.usage_md5 END
RETURNING u.row_no)SQL",
     9,
     {INT8ARRAYOID, INT8ARRAYOID, TEXTARRAYOID, TEXTARRAYOID, TEXTARRAYOID, TEXTARRAYOID,
      TEXTARRAYOID, INT4ARRAYOID, TEXTARRAYOID}},
    // InsertEntries: an entry an application added meanwhile wins. No
    // conflict target, so an id a loader took from under the identity
    // sequence is skipped too (and retried; see write_inserts).
    {R"SQL(
INSERT INTO numaudit.number AS n (hierarchy_id, internal_number, status, usage)
SELECT * FROM ROWS FROM (pg_catalog.unnest($1), pg_catalog.unnest($2), pg_catalog.unnest($3), pg_catalog.unnest($4))
ON CONFLICT DO NOTHING
RETURNING n.hierarchy_id, n.internal_number)SQL",
     4,
     {INT8ARRAYOID, TEXTARRAYOID, TEXTARRAYOID, TEXTARRAYOID}},
    // InsertEntriesByKey: the last attempt; rows skipped now have an entry,
    // be it one row-level security hides from the caller.
    {R"SQL(
INSERT INTO numaudit.number AS n (hierarchy_id, internal_number, status, usage)
SELECT * FROM ROWS FROM (pg_catalog.unnest($1), pg_catalog.unnest($2), pg_catalog.unnest($3), pg_catalog.unnest($4))
ON CONFLICT (hierarchy_id, internal_number) DO NOTHING
RETURNING n.hierarchy_id, n.internal_number)SQL",
     4,
     {INT8ARRAYOID, TEXTARRAYOID, TEXTARRAYOID, TEXTARRAYOID}},
    // SyncNumberIds: loaders may supply their own ids; move the identity
    // sequence past them (all of them, also rows the caller cannot see).
    {"SELECT numaudit._sync_number_ids()", 0, {}},
    // MissingEntries($1 holders, $2 numbers): which of these have no entry.
    {R"SQL(
SELECT u.h, u.num
  FROM ROWS FROM (pg_catalog.unnest($1), pg_catalog.unnest($2)) AS u (h, num)
 WHERE NOT EXISTS (SELECT FROM numaudit.number n
                    WHERE n.hierarchy_id = u.h AND n.internal_number = u.num))SQL",
     2,
     {INT8ARRAYOID, TEXTARRAYOID}},
    // InsertRun
    {"INSERT INTO numaudit.audit_run"
     " (customer, scope, sites, sites_total, customer_id, entry_point, run_by)"
     " VALUES ($1, $2, $3, $4, $5, $6, pg_catalog.current_user()) RETURNING id",
     6,
     {TEXTOID, TEXTOID, TEXTARRAYOID, INT4OID, INT8OID, TEXTOID}},
    // FinishRun
    {"UPDATE numaudit.audit_run SET status = 'done', finished_at = pg_catalog.clock_timestamp(),"
     " added = $2, updated = $3, unchanged = $4, skipped = $5, conflicts = $6, sites_done = $7"
     " WHERE id = $1",
     7,
     {INT8OID, INT8OID, INT8OID, INT8OID, INT8OID, INT8OID, INT4OID}},
    // StepRun
    {"UPDATE numaudit.audit_run SET sites_done = sites_done + $7,"
     " added = added + $2, updated = updated + $3, unchanged = unchanged + $4,"
     " skipped = skipped + $5, conflicts = conflicts + $6 WHERE id = $1",
     7,
     {INT8OID, INT8OID, INT8OID, INT8OID, INT8OID, INT8OID, INT4OID}},
    // InsertChanges
    {R"SQL(
INSERT INTO numaudit.audit_change (run_id, hierarchy, site, internal_number, action,
                                   old_status, old_usage, new_status, new_usage, detail)
SELECT $1, u.* FROM ROWS FROM (pg_catalog.unnest($2), pg_catalog.unnest($3), pg_catalog.unnest($4), pg_catalog.unnest($5), pg_catalog.unnest($6), pg_catalog.unnest($7), pg_catalog.unnest($8), pg_catalog.unnest($9), pg_catalog.unnest($10)) AS u)SQL",
     10,
     {INT8OID, TEXTARRAYOID, TEXTARRAYOID, TEXTARRAYOID, TEXTARRAYOID, TEXTARRAYOID, TEXTARRAYOID,
      TEXTARRAYOID, TEXTARRAYOID, TEXTARRAYOID}},
    // RunInfo($1 run id, $2 unit): the run, its customer as it is now (by
    // id: a rename during the run does not matter) and the unit's site name
    // if the unit is still a site of that customer.
    {R"SQL(
SELECT r.scope, r.status, r.customer, c.id, c.number_management, c.dial_plan,
       (SELECT s.name FROM numaudit.hierarchy s
         WHERE s.id = $2 AND s.parent_id = c.id AND s.kind = 'site'),
       coalesce(pg_catalog.cardinality(r.sites), 0)
  FROM numaudit.audit_run r
  LEFT JOIN numaudit.hierarchy c ON c.id = r.customer_id AND c.kind = 'customer'
 WHERE r.id = $1)SQL",
     2,
     {INT8OID, INT8OID}},
    // LockEntries($1 ids): a statement of its own, so the update's join stays
    // a plain one (joined in the update, it made the planner nest loops).
    {"SELECT n.id FROM numaudit.number n WHERE n.id = ANY ($1) ORDER BY n.id FOR NO KEY UPDATE",
     1,
     {INT8ARRAYOID}},
    // ReapStaleRuns: audit() runs whose session is gone (no run lock held).
    // Their ids, to announce them.
    {R"SQL(
UPDATE numaudit.audit_run r
   SET status = 'failed', finished_at = pg_catalog.clock_timestamp(),
       error = 'interrupted: the session running this audit ended before it finished'
 WHERE r.status = 'running' AND r.entry_point = 'audit'
   AND NOT EXISTS (
       SELECT FROM pg_catalog.pg_locks l
        WHERE l.locktype = 'advisory' AND l.objsubid = 20035
          AND l.database = (SELECT d.oid FROM pg_catalog.pg_database d
                             WHERE d.datname = pg_catalog.current_database())
          AND ((l.classid::pg_catalog.int8 << 32) | l.objid::pg_catalog.int8) = r.id)
RETURNING r.id)SQL",
     0,
     {}},
    // InsertEntriesPlain: the first try, in a subtransaction of its own. A
    // plain insert costs far less per row than ON CONFLICT with RETURNING;
    // when any row of the batch collides, the batch goes the careful way.
    {R"SQL(
INSERT INTO numaudit.number (hierarchy_id, internal_number, status, usage)
SELECT * FROM ROWS FROM (pg_catalog.unnest($1), pg_catalog.unnest($2), pg_catalog.unnest($3), pg_catalog.unnest($4)))SQL",
     4,
     {INT8ARRAYOID, TEXTARRAYOID, TEXTARRAYOID, TEXTARRAYOID}},
    // RunSites($1 run id): the sites a run audits (its names, or all).
    {R"SQL(
SELECT h.id, h.name
  FROM numaudit.audit_run r
  JOIN numaudit.hierarchy h ON h.parent_id = r.customer_id AND h.kind = 'site'
 WHERE r.id = $1 AND (coalesce(pg_catalog.cardinality(r.sites), 0) = 0 OR h.name = ANY (r.sites))
 ORDER BY h.name)SQL",
     1,
     {INT8OID}},
    // ReadSiteUses($1 node), ReadSiteEntries($1 node): one node's, with a
    // plain key (the array forms' generic plans may scan whole tables).
    {R"SQL(
SELECT d.hierarchy_id, d.cluster, d.kind, d.name, l.line_index, l.pattern
  FROM numaudit.device d JOIN numaudit.device_line l ON l.device_id = d.id
 WHERE d.hierarchy_id = $1
UNION ALL
SELECT s.hierarchy_id, s.cluster, s.kind, s.name, -1, s.pattern
  FROM numaudit.service s
 WHERE s.hierarchy_id = $1)SQL",
     1,
     {INT8OID}},
    {"SELECT " ENTRY_COLUMNS " FROM numaudit.number n WHERE n.hierarchy_id = $1", 1, {INT8OID}},
    // ReadHeldEntries($1 customer, $2 numbers): its own entries for these
    // numbers, and every entry whose text is not a plain number (it may read
    // as one of them: " 5001", "\+4420").
    {"SELECT " ENTRY_COLUMNS " FROM numaudit.number n WHERE n.hierarchy_id = $1"
     " AND (n.internal_number = ANY ($2) OR n.internal_number !~ '^[+*]?[0-9#]{1,50}$')",
     2,
     {INT8OID, TEXTARRAYOID}},
    // ReadReportedHeld($1 run, $2 numbers): which of these numbers an earlier
    // step of the run already reported "held at customer level".
    {"SELECT c.internal_number FROM numaudit.audit_change c"
     " WHERE c.run_id = $1 AND c.internal_number = ANY ($2)"
     " AND c.action = 'skipped' AND c.detail = 'held at customer level'",
     2,
     {INT8OID, TEXTARRAYOID}},
    // SimilarCustomers($1 name or path): the first 5 customers whose name or
    // path is $1 but for letter case and surrounding whitespace (for "Did you
    // mean"): id, path, how many there are.
    {R"SQL(
WITH RECURSIVE down (id, kind, name, path) AS (
    SELECT h.id, h.kind, h.name, h.name FROM numaudit.hierarchy h WHERE h.parent_id IS NULL
  UNION ALL
    SELECT h.id, h.kind, h.name, down.path || '.' || h.name
      FROM numaudit.hierarchy h JOIN down ON h.parent_id = down.id
     WHERE h.kind <> 'site'
)
SELECT d.id, d.path, pg_catalog.count(*) OVER ()
  FROM down d
 WHERE d.kind = 'customer'
   AND pg_catalog.lower(pg_catalog.btrim($1, E' \t\n\x0b\f\r'))
       IN (pg_catalog.lower(pg_catalog.btrim(d.name, E' \t\n\x0b\f\r')), pg_catalog.lower(d.path))
 ORDER BY d.path COLLATE pg_catalog."C", d.id
 LIMIT 5)SQL",
     1,
     {TEXTOID}},
    // SimilarSites($1 customer id, $2 name): the first 5 of its sites named
    // $2 but for letter case and surrounding whitespace: id, name, how many.
    {R"SQL(
SELECT h.id, h.name, pg_catalog.count(*) OVER () FROM numaudit.hierarchy h
 WHERE h.parent_id = $1 AND h.kind = 'site'
   AND pg_catalog.lower(pg_catalog.btrim(h.name, E' \t\n\x0b\f\r'))
       = pg_catalog.lower(pg_catalog.btrim($2, E' \t\n\x0b\f\r'))
 ORDER BY h.name COLLATE pg_catalog."C", h.id
 LIMIT 5)SQL",
     2,
     {INT8OID, TEXTOID}},
};
static_assert(sizeof(kStmts) / sizeof(kStmts[0]) == static_cast<int>(Stmt::Count),
              "one definition per statement");

SPIPlanPtr g_plans[static_cast<int>(Stmt::Count)];

// The column decoded as a prefix and a digest when very long (-1: none).
int digest_column(Stmt stmt) {
    switch (stmt) {
        case Stmt::ReadEntries:
        case Stmt::ReadSiteEntries:
        case Stmt::ReadHeldEntries:
            return kEntryUsageColumn;
        default:
            return -1;
    }
}

SPIPlanPtr plan_Unsafe(Stmt stmt) {
    int i = static_cast<int>(stmt);
    if (!g_plans[i]) {
        const StmtDef& def = kStmts[i];
        SPIPlanPtr plan = SPI_prepare(def.sql, def.nargs, const_cast<Oid*>(def.types));
        if (!plan)
            elog(ERROR, "numaudit: could not prepare statement %d: %s", i,
                 SPI_result_code_string(SPI_result));
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
Batch decode_Unsafe(SPITupleTable* table, uint64 nrows, int digest_col) {
    TupleDesc desc = table->tupdesc;
    int ncols = desc->natts;
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
            if (SPI_processed > 0)
                batch = decode_Unsafe(SPI_tuptable, SPI_processed, digest_column(stmt));
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
            batch = decode_Unsafe(SPI_tuptable, SPI_processed, digest_column(stmt));
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

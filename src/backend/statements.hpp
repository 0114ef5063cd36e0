// The SQL statements numaudit runs, each keyed by its Stmt and checked
// against it at compile time, and the columns of their results by name.
//
// A statement's definition says its SQL, the types of its arguments ($1 ..
// $n, n <= kMaxArgs) and how many columns its result has (kNoResult for none);
// spi.cpp checks that count when it prepares the statement, so a column
// added or removed without its col:: struct is an internal error at once
// (two columns swapped are not caught: keep each col:: struct beside its
// SQL). Result cells are read by name:
// b.at(r, col::Entry::usage), never by a bare position.
#pragma once

#include <cstddef>
#include <iterator>

#include "backend/pg.hpp"

namespace numaudit::backend {

// The statements, each prepared once per backend and kept.
enum class Stmt : int {
    FindByPath,
    FindByName,
    ListSites,
    ReadKinds,
    ReadUses,
    ReadEntries,
    UpdateEntries,
    InsertEntries,
    InsertEntriesByKey,
    SyncNumberIds,
    MissingEntries,
    InsertRun,
    FinishRun,
    StepRun,
    InsertChanges,
    RunInfo,
    LockEntries,
    ReapStaleRuns,
    InsertEntriesPlain,
    RunSites,
    ReadSiteUses,
    ReadSiteEntries,
    ReadHeldEntries,
    ReadReportedHeld,
    SimilarCustomers,
    SimilarSites,
    ReadEpoch,
    ReadBaseline,
    ReadPendingXacts,
    ReadPendingMarks,
    ReadDeviceKeyLines,
    ReadFocusUses,
    ReadDeviceCopies,
    ReadFocusEntries,
    TrackingCommit,
    SetRunMode,
    HasTracking,
    InsertRunLegacy,
    RunInfoLegacy,
    Count
};

// The most arguments a statement takes (InsertChanges: 10).
constexpr int kMaxArgs = 10;
// The result of a statement that returns no rows.
constexpr int kNoResult = 0;
// No column is read as a prefix and a digest.
constexpr int kNoDigest = -1;
// How a statement is planned (StmtDef::plan): as PostgreSQL's plan cache
// chooses (custom plans for the first five executions, then a generic one if
// it costs no more), for its arguments at every execution, or generically
// always.
enum class PlanChoice { Cache, Custom, Generic };
constexpr PlanChoice kCustomPlan = PlanChoice::Custom;
constexpr PlanChoice kGenericPlan = PlanChoice::Generic;

// The columns of the statements' results, in their SELECT (or RETURNING)
// order; `count` is how many there are.
namespace col {
// FindByPath, FindByName: a node of the hierarchy.
struct Found {
    enum : int {
        id,
        kind,
        path,  // NULL when its ancestors never reach a root
        number_management,
        dial_plan,
        name,
        parent_kind,  // NULL for a root
        looped,       // its ancestors form a cycle
        count
    };
};
// ListSites, RunSites.
struct Site {
    enum : int { id, name, count };
};
// ReadKinds.
struct Kind {
    enum : int { kind, status, usage, rank, count };
};
// ReadUses, ReadSiteUses: a device line (line_index >= 1) or a service (-1).
struct Use {
    enum : int { owner, cluster, kind, name, line_index, pattern, count };
};
// ReadDeviceCopies: a use as col::Use has it, and its read-number key.
struct KeyedUse {
    enum : int { owner, cluster, kind, name, line_index, pattern, key, count };
};
// ReadEpoch.
struct Epoch {
    enum : int { epoch, count };
};
// ReadBaseline.
struct Baseline {
    enum : int { epoch, entries, count };
};
// ReadPendingXacts.
struct Xact {
    enum : int { xact, count };
};
// ReadPendingMarks: a mark not yet consumed by the audited scope.
struct Mark {
    enum : int { number_key, device_kind, device_name, whole, count };
};
// ReadDeviceKeyLines: a read-number key.
struct Key1 {
    enum : int { key, count };
};
// ReadEntries, ReadSiteEntries, ReadHeldEntries (NUMAUDIT_ENTRY_COLUMNS). A usage
// longer than any report shows comes as its first bytes and Cell::digest.
struct Entry {
    enum : int { id, holder, internal_number, status, usage, count };
};
// UpdateEntries: the result row of each entry updated.
struct Updated {
    enum : int { row_no, count };
};
// InsertEntries, InsertEntriesByKey, MissingEntries: an entry's key.
struct Key {
    enum : int { holder, internal_number, count };
};
// InsertRun, LockEntries, ReapStaleRuns.
struct Id {
    enum : int { id, count };
};
// SyncNumberIds: the (void) result of the function it calls.
struct Call {
    enum : int { result, count };
};
// RunInfo: the run, its customer as it is now, the unit's site name.
struct RunInfo {
    enum : int {
        scope,
        status,
        customer,     // the run's customer path
        customer_id,  // NULL when the customer no longer exists
        number_management,
        dial_plan,
        site_name,  // NULL when the unit is not a site of the customer
        named_sites,
        mode,  // full or incremental
        count
    };
};
// StepRun.
struct Stepped {
    enum : int { last, entries, count };
};
// ReadReportedHeld.
struct Number {
    enum : int { internal_number, count };
};
// SimilarCustomers (name: the path), SimilarSites: a "Did you mean"
// candidate and how many there are.
struct Similar {
    enum : int { id, name, total, count };
};
}  // namespace col

// One statement: its key, SQL, argument types (the first nargs() slots;
// the rest InvalidOid), result columns, the column decoded as a prefix and a
// digest when very long (kNoDigest: none), and how it is planned
// (PlanChoice; kCustomPlan and kGenericPlan prepare it with
// CURSOR_OPT_CUSTOM_PLAN or CURSOR_OPT_GENERIC_PLAN; plan_cache_mode, when a
// DBA sets it, still wins). A custom plan sees an array argument as a
// constant: `x = ANY ($n)` on it is then a hash lookup, on a parameter a
// linear search of the array for every row (6 us a row for 1,001 owners).
struct StmtDef {
    Stmt key;
    const char* sql;
    Oid types[kMaxArgs];
    int ncols;
    int digest_col = kNoDigest;
    PlanChoice plan = PlanChoice::Cache;

    constexpr int nargs() const {
        int n = 0;
        while (n < kMaxArgs && types[n] != InvalidOid) ++n;
        return n;
    }
};

// An entry as the planner reads it (col::Entry). A usage longer than any
// report shows is decoded as its first bytes and the md5 of the whole,
// which the update matches it by, so that no value is ever too large to
// read or write back.
#define NUMAUDIT_ENTRY_COLUMNS "n.id, n.hierarchy_id, n.internal_number, n.status, n.usage"

// Every name is schema-qualified; the plans are made under the fixed
// search_path of the calling function and keep it when re-planned.
inline constexpr StmtDef kStmts[] = {
    // FindByPath($1 path): every node whose dotted path is $1 (more than one
    // only when a name written before 0.3.0 holds a "."). Columns as
    // FindByName's (a node reached from a root never loops).
    {Stmt::FindByPath,
     R"SQL(
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
     {TEXTOID},
     col::Found::count},
    // FindByName($1 name): every node named $1, customers first: id, kind,
    // path (NULL when its ancestors never reach a root), number management,
    // dial plan, name, its parent's kind, whether its ancestors loop.
    {Stmt::FindByName,
     R"SQL(
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
     {TEXTOID},
     col::Found::count},
    // ListSites($1 customer id)
    {Stmt::ListSites,
     "SELECT h.id, h.name FROM numaudit.hierarchy h"
     " WHERE h.parent_id = $1 AND h.kind = 'site' ORDER BY h.name",
     {INT8OID},
     col::Site::count},
    // ReadKinds
    {Stmt::ReadKinds,
     "SELECT k.kind, k.status, k.usage, k.rank FROM numaudit.usage_kind k",
     {},
     col::Kind::count},
    // ReadUses($1 owner ids)
    {Stmt::ReadUses,
     R"SQL(
SELECT d.hierarchy_id, d.cluster, d.kind, d.name, l.line_index, l.pattern
  FROM numaudit.device d JOIN numaudit.device_line l ON l.device_id = d.id
 WHERE d.hierarchy_id = ANY ($1)
UNION ALL
SELECT s.hierarchy_id, s.cluster, s.kind, s.name, -1, s.pattern
  FROM numaudit.service s
 WHERE s.hierarchy_id = ANY ($1))SQL",
     {INT8ARRAYOID},
     col::Use::count},
    // ReadEntries($1 holder ids)
    {Stmt::ReadEntries,
     "SELECT " NUMAUDIT_ENTRY_COLUMNS " FROM numaudit.number n WHERE n.hierarchy_id = ANY ($1)",
     {INT8ARRAYOID},
     col::Entry::count,
     col::Entry::usage},
    // UpdateEntries: only rows still as they were read (same holder, stored
    // text, status and usage, or the usage's md5 when it was too long to
    // read), so a concurrent change by an application is never overwritten.
    // LockEntries runs first, so rows are locked in id order and writers that
    // also lock in id order never deadlock with an audit. Always the generic
    // plan: a nested loop probing number_pkey once per row (a custom plan of
    // a large batch merge-joined the whole of number_pkey: at 100,000
    // numbers, 1,295 updates: 119 ms to join, against 18 ms probed).
    {Stmt::UpdateEntries,
     R"SQL(
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
     {INT8ARRAYOID, INT8ARRAYOID, TEXTARRAYOID, TEXTARRAYOID, TEXTARRAYOID, TEXTARRAYOID,
      TEXTARRAYOID, INT4ARRAYOID, TEXTARRAYOID},
     col::Updated::count,
     kNoDigest,
     kGenericPlan},
    // InsertEntries: an entry an application added meanwhile wins. No
    // conflict target, so an id a loader took from under the identity
    // sequence is skipped too (and retried; see write_inserts).
    {Stmt::InsertEntries,
     R"SQL(
INSERT INTO numaudit.number AS n (hierarchy_id, internal_number, status, usage)
SELECT * FROM ROWS FROM (pg_catalog.unnest($1), pg_catalog.unnest($2), pg_catalog.unnest($3), pg_catalog.unnest($4))
ON CONFLICT DO NOTHING
RETURNING n.hierarchy_id, n.internal_number)SQL",
     {INT8ARRAYOID, TEXTARRAYOID, TEXTARRAYOID, TEXTARRAYOID},
     col::Key::count},
    // InsertEntriesByKey: the last attempt; rows skipped now have an entry,
    // be it one row-level security hides from the caller.
    {Stmt::InsertEntriesByKey,
     R"SQL(
INSERT INTO numaudit.number AS n (hierarchy_id, internal_number, status, usage)
SELECT * FROM ROWS FROM (pg_catalog.unnest($1), pg_catalog.unnest($2), pg_catalog.unnest($3), pg_catalog.unnest($4))
ON CONFLICT (hierarchy_id, internal_number) DO NOTHING
RETURNING n.hierarchy_id, n.internal_number)SQL",
     {INT8ARRAYOID, TEXTARRAYOID, TEXTARRAYOID, TEXTARRAYOID},
     col::Key::count},
    // SyncNumberIds: loaders may supply their own ids; move the identity
    // sequence past them (all of them, also rows the caller cannot see).
    {Stmt::SyncNumberIds, "SELECT numaudit._sync_number_ids()", {}, col::Call::count},
    // MissingEntries($1 holders, $2 numbers): which of these have no entry.
    {Stmt::MissingEntries,
     R"SQL(
SELECT u.h, u.num
  FROM ROWS FROM (pg_catalog.unnest($1), pg_catalog.unnest($2)) AS u (h, num)
 WHERE NOT EXISTS (SELECT FROM numaudit.number n
                    WHERE n.hierarchy_id = u.h AND n.internal_number = u.num))SQL",
     {INT8ARRAYOID, TEXTARRAYOID},
     col::Key::count},
    // InsertRun
    {Stmt::InsertRun,
     "INSERT INTO numaudit.audit_run"
     " (customer, scope, sites, sites_total, customer_id, entry_point, run_by, mode)"
     " VALUES ($1, $2, $3, $4, $5, $6, pg_catalog.current_user(), $7) RETURNING id",
     {TEXTOID, TEXTOID, TEXTARRAYOID, INT4OID, INT8OID, TEXTOID, TEXTOID},
     col::Id::count},
    // FinishRun
    {Stmt::FinishRun,
     "UPDATE numaudit.audit_run SET status = 'done', finished_at = pg_catalog.clock_timestamp(),"
     " added = $2, updated = $3, unchanged = $4, skipped = $5, conflicts = $6, sites_done = $7"
     " WHERE id = $1",
     {INT8OID, INT8OID, INT8OID, INT8OID, INT8OID, INT8OID, INT4OID},
     kNoResult},
    // StepRun: whether that was the run's last site, and how many entries
    // it has audited so far.
    {Stmt::StepRun,
     "UPDATE numaudit.audit_run SET sites_done = sites_done + $7,"
     " added = added + $2, updated = updated + $3, unchanged = unchanged + $4,"
     " skipped = skipped + $5, conflicts = conflicts + $6 WHERE id = $1"
     " RETURNING sites_done >= sites_total, added + updated + unchanged + skipped",
     {INT8OID, INT8OID, INT8OID, INT8OID, INT8OID, INT8OID, INT4OID},
     col::Stepped::count},
    // InsertChanges
    {Stmt::InsertChanges,
     R"SQL(
INSERT INTO numaudit.audit_change (run_id, hierarchy, site, internal_number, action,
                                   old_status, old_usage, new_status, new_usage, detail)
SELECT $1, u.* FROM ROWS FROM (pg_catalog.unnest($2), pg_catalog.unnest($3), pg_catalog.unnest($4), pg_catalog.unnest($5), pg_catalog.unnest($6), pg_catalog.unnest($7), pg_catalog.unnest($8), pg_catalog.unnest($9), pg_catalog.unnest($10)) AS u)SQL",
     {INT8OID, TEXTARRAYOID, TEXTARRAYOID, TEXTARRAYOID, TEXTARRAYOID, TEXTARRAYOID, TEXTARRAYOID,
      TEXTARRAYOID, TEXTARRAYOID, TEXTARRAYOID},
     kNoResult},
    // RunInfo($1 run id, $2 unit): the run, its customer as it is now (by
    // id: a rename during the run does not matter) and the unit's site name
    // if the unit is still a site of that customer.
    {Stmt::RunInfo,
     R"SQL(
SELECT r.scope, r.status, r.customer, c.id, c.number_management, c.dial_plan,
       (SELECT s.name FROM numaudit.hierarchy s
         WHERE s.id = $2 AND s.parent_id = c.id AND s.kind = 'site'),
       coalesce(pg_catalog.cardinality(r.sites), 0), r.mode
  FROM numaudit.audit_run r
  LEFT JOIN numaudit.hierarchy c ON c.id = r.customer_id AND c.kind = 'customer'
 WHERE r.id = $1)SQL",
     {INT8OID, INT8OID},
     col::RunInfo::count},
    // LockEntries($1 ids): a statement of its own, so the update's join stays
    // a plain one (joined in the update, it made the planner nest loops).
    {Stmt::LockEntries,
     "SELECT n.id FROM numaudit.number n WHERE n.id = ANY ($1) ORDER BY n.id FOR NO KEY UPDATE",
     {INT8ARRAYOID},
     col::Id::count},
    // ReapStaleRuns: audit() runs whose session is gone (no run lock held).
    // Their ids, to announce them.
    {Stmt::ReapStaleRuns,
     R"SQL(
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
     {},
     col::Id::count},
    // InsertEntriesPlain: the first try, in a subtransaction of its own. A
    // plain insert costs far less per row than ON CONFLICT with RETURNING;
    // when any row of the batch collides, the batch goes the careful way.
    {Stmt::InsertEntriesPlain,
     R"SQL(
INSERT INTO numaudit.number (hierarchy_id, internal_number, status, usage)
SELECT * FROM ROWS FROM (pg_catalog.unnest($1), pg_catalog.unnest($2), pg_catalog.unnest($3), pg_catalog.unnest($4)))SQL",
     {INT8ARRAYOID, TEXTARRAYOID, TEXTARRAYOID, TEXTARRAYOID},
     kNoResult},
    // RunSites($1 run id): the sites a run audits (its names, or all).
    {Stmt::RunSites,
     R"SQL(
SELECT h.id, h.name
  FROM numaudit.audit_run r
  JOIN numaudit.hierarchy h ON h.parent_id = r.customer_id AND h.kind = 'site'
 WHERE r.id = $1 AND (coalesce(pg_catalog.cardinality(r.sites), 0) = 0 OR h.name = ANY (r.sites))
 ORDER BY h.name)SQL",
     {INT8OID},
     col::Site::count},
    // ReadSiteUses($1 node), ReadSiteEntries($1 node): one node's, with a
    // plain key (the array forms' generic plans may scan whole tables).
    {Stmt::ReadSiteUses,
     R"SQL(
SELECT d.hierarchy_id, d.cluster, d.kind, d.name, l.line_index, l.pattern
  FROM numaudit.device d JOIN numaudit.device_line l ON l.device_id = d.id
 WHERE d.hierarchy_id = $1
UNION ALL
SELECT s.hierarchy_id, s.cluster, s.kind, s.name, -1, s.pattern
  FROM numaudit.service s
 WHERE s.hierarchy_id = $1)SQL",
     {INT8OID},
     col::Use::count},
    // ReadSiteEntries($1 node): see ReadSiteUses.
    {Stmt::ReadSiteEntries,
     "SELECT " NUMAUDIT_ENTRY_COLUMNS " FROM numaudit.number n WHERE n.hierarchy_id = $1",
     {INT8OID},
     col::Entry::count,
     col::Entry::usage},
    // ReadHeldEntries($1 customer, $2 numbers): its own entries for these
    // numbers, and every entry whose text is not a plain number (it may read
    // as one of them: " 5001", "\+4420").
    {Stmt::ReadHeldEntries,
     "SELECT " NUMAUDIT_ENTRY_COLUMNS " FROM numaudit.number n WHERE n.hierarchy_id = $1"
     " AND (n.internal_number = ANY ($2) OR n.internal_number !~ '^[+*]?[0-9#]{1,50}$')",
     {INT8OID, TEXTARRAYOID},
     col::Entry::count,
     col::Entry::usage},
    // ReadReportedHeld($1 run, $2 numbers): which of these numbers an earlier
    // step of the run already reported "held at customer level".
    {Stmt::ReadReportedHeld,
     "SELECT c.internal_number FROM numaudit.audit_change c"
     " WHERE c.run_id = $1 AND c.internal_number = ANY ($2)"
     " AND c.action = 'skipped' AND c.detail = 'held at customer level'",
     {INT8OID, TEXTARRAYOID},
     col::Number::count},
    // SimilarCustomers($1 name or path): the first 5 customers whose name or
    // path is $1 but for letter case and surrounding whitespace (for "Did you
    // mean"): id, path, how many there are.
    {Stmt::SimilarCustomers,
     R"SQL(
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
     {TEXTOID},
     col::Similar::count},
    // SimilarSites($1 customer id, $2 name): the first 5 of its sites named
    // $2 but for letter case and surrounding whitespace: id, name, how many.
    {Stmt::SimilarSites,
     R"SQL(
SELECT h.id, h.name, pg_catalog.count(*) OVER () FROM numaudit.hierarchy h
 WHERE h.parent_id = $1 AND h.kind = 'site'
   AND pg_catalog.lower(pg_catalog.btrim(h.name, E' \t\n\x0b\f\r'))
       = pg_catalog.lower(pg_catalog.btrim($2, E' \t\n\x0b\f\r'))
 ORDER BY h.name COLLATE pg_catalog."C", h.id
 LIMIT 5)SQL",
     {INT8OID, TEXTOID},
     col::Similar::count},
    // --- Incremental audits (SPEC §4; tracking.cpp, read_inputs.cpp) ---
    // ReadEpoch: moves on when a usage kind changes or a tracked table is
    // truncated.
    {Stmt::ReadEpoch, "SELECT e.epoch FROM numaudit.tracking_epoch e", {}, col::Epoch::count},
    // ReadBaseline($1 customer, $2 scope 'customer' or 'all_sites').
    {Stmt::ReadBaseline,
     "SELECT b.epoch, b.entries FROM numaudit.baseline b WHERE b.customer_id = $1 AND b.scope = $2",
     {INT8OID, TEXTOID},
     col::Baseline::count},
    // ReadPendingXacts($1 customer): the transactions whose marks this audit
    // sees, read before anything else it reads: what it consumes at commit.
    {Stmt::ReadPendingXacts,
     "SELECT DISTINCT p.xact::pg_catalog.text FROM numaudit.pending_change p"
     " WHERE p.customer_id = $1",
     {INT8OID},
     col::Xact::count},
    // ReadPendingMarks($1 customer, $2 scope, $3 limit): the marks the scope
    // has not consumed, distinct, at most $3 (more: the audit runs full).
    {Stmt::ReadPendingMarks,
     R"SQL(
SELECT DISTINCT p.number_key, p.device_kind, p.device_name, p.whole
  FROM numaudit.pending_change p
 WHERE p.customer_id = $1
   AND NOT CASE $2 WHEN 'customer' THEN p.seen_customer ELSE p.seen_all_sites END
 LIMIT $3)SQL",
     {INT8OID, TEXTOID, INT8OID},
     col::Mark::count},
    // The four reads below look each key up by its own index probe (a
    // LATERAL subquery per key, kept apart by OFFSET 0), then check the
    // owner: whatever the number of keys and owners, and in generic plans
    // too, no plan scans a whole table (docs/PERFORMANCE.md, "Incremental
    // audits"). The owner test stays outside the subquery so that it is
    // never an index condition (number_internal_number_read_idx's second
    // column would be probed once per holder).
    //
    // ReadDeviceKeyLines($1 kinds, $2 names, $3 owners, $4 shared_only): the
    // read-number keys of every line of the devices of these keys
    // (device_kind_name_idx, device_line_pkey); for a key with shared_only,
    // only while more than one device has it (a one-time test per key: a
    // second probe that stops at two rows).
    {Stmt::ReadDeviceKeyLines,
     R"SQL(
SELECT DISTINCT x.key
  FROM ROWS FROM (pg_catalog.unnest($1), pg_catalog.unnest($2), pg_catalog.unnest($4))
       AS k (kind, name, shared_only)
 CROSS JOIN LATERAL (
       SELECT d.hierarchy_id, pg_catalog."left"(pg_catalog.btrim(l.pattern, E' \t\n\r'), 60)
         FROM numaudit.device d JOIN numaudit.device_line l ON l.device_id = d.id
        WHERE d.kind = k.kind AND d.name = k.name
          AND (NOT k.shared_only
               OR (SELECT pg_catalog.count(*) FROM (SELECT FROM numaudit.device c
                                                     WHERE c.kind = k.kind AND c.name = k.name
                                                     LIMIT 2) s) > 1)
       OFFSET 0) AS x (owner, key)
 WHERE x.owner = ANY ($3))SQL",
     {TEXTARRAYOID, TEXTARRAYOID, INT8ARRAYOID, BOOLARRAYOID},
     col::Key1::count,
     kNoDigest,
     kCustomPlan},
    // ReadFocusUses($1 keys, $2 owners): the uses whose read-number key is
    // one of these (device_line_pattern_read_idx, service_pattern_read_idx).
    {Stmt::ReadFocusUses,
     R"SQL(
SELECT x.* FROM pg_catalog.unnest($1) AS k (key)
 CROSS JOIN LATERAL (
       SELECT d.hierarchy_id, d.cluster, d.kind, d.name, l.line_index, l.pattern
         FROM numaudit.device_line l JOIN numaudit.device d ON d.id = l.device_id
        WHERE pg_catalog."left"(pg_catalog.btrim(l.pattern, E' \t\n\r'), 60) = k.key
       OFFSET 0) AS x (owner, cluster, kind, name, line_index, pattern)
 WHERE x.owner = ANY ($2)
UNION ALL
SELECT x.* FROM pg_catalog.unnest($1) AS k (key)
 CROSS JOIN LATERAL (
       SELECT s.hierarchy_id, s.cluster, s.kind, s.name, -1, s.pattern
         FROM numaudit.service s
        WHERE pg_catalog."left"(pg_catalog.btrim(s.pattern, E' \t\n\r'), 60) = k.key
       OFFSET 0) AS x (owner, cluster, kind, name, line_index, pattern)
 WHERE x.owner = ANY ($2))SQL",
     {TEXTARRAYOID, INT8ARRAYOID},
     col::Use::count,
     kNoDigest,
     kCustomPlan},
    // ReadDeviceCopies($1 kinds, $2 names, $3 owners): every line of every
    // device of these keys (each copy, for the duplicate-device rule), with
    // its read-number key.
    {Stmt::ReadDeviceCopies,
     R"SQL(
SELECT x.*
  FROM ROWS FROM (pg_catalog.unnest($1), pg_catalog.unnest($2)) AS k (kind, name)
 CROSS JOIN LATERAL (
       SELECT d.hierarchy_id, d.cluster, d.kind, d.name, l.line_index, l.pattern,
              pg_catalog."left"(pg_catalog.btrim(l.pattern, E' \t\n\r'), 60)
         FROM numaudit.device d JOIN numaudit.device_line l ON l.device_id = d.id
        WHERE d.kind = k.kind AND d.name = k.name
       OFFSET 0) AS x (owner, cluster, kind, name, line_index, pattern, key)
 WHERE x.owner = ANY ($3))SQL",
     {TEXTARRAYOID, TEXTARRAYOID, INT8ARRAYOID},
     col::KeyedUse::count,
     kNoDigest,
     kCustomPlan},
    // ReadFocusEntries($1 keys, $2 holders): the entries whose read-number
    // key is one of these (number_internal_number_read_idx).
    {Stmt::ReadFocusEntries,
     R"SQL(
SELECT x.* FROM pg_catalog.unnest($1) AS k (key)
 CROSS JOIN LATERAL (
       SELECT )SQL" NUMAUDIT_ENTRY_COLUMNS R"SQL(
         FROM numaudit.number n
        WHERE pg_catalog."left"(pg_catalog.btrim(n.internal_number, E' \t\n\r'), 60) = k.key
       OFFSET 0) AS x
 WHERE x.hierarchy_id = ANY ($2))SQL",
     {TEXTARRAYOID, INT8ARRAYOID},
     col::Entry::count,
     col::Entry::usage,
     kCustomPlan},
    // TrackingCommit($1 customer, $2 scope, $3 run, $4 mode, $5 epoch, $6
    // entries, $7 seen transactions): the audit becomes the scope's baseline
    // and consumes the marks it saw.
    {Stmt::TrackingCommit,
     "SELECT numaudit._tracking_commit($1, $2, $3, $4, $5, $6, $7::pg_catalog.xid8[])",
     {INT8OID, TEXTOID, INT8OID, TEXTOID, INT8OID, INT8OID, TEXTARRAYOID},
     col::Call::count},
    // SetRunMode($1 run, $2 mode): an incremental CALL whose baseline was
    // dropped before its step ran full.
    {Stmt::SetRunMode,
     "UPDATE numaudit.audit_run SET mode = $2 WHERE id = $1",
     {INT8OID, TEXTOID},
     kNoResult},
    // HasTracking: whether the database's numaudit is 0.4.0 or newer (the
    // library also serves databases not yet updated, which track nothing).
    {Stmt::HasTracking,
     "SELECT pg_catalog.to_regclass('numaudit.baseline') IS NOT NULL",
     {},
     col::Call::count},
    // InsertRunLegacy: InsertRun for a database at 0.3.0 or older (no mode).
    {Stmt::InsertRunLegacy,
     "INSERT INTO numaudit.audit_run"
     " (customer, scope, sites, sites_total, customer_id, entry_point, run_by)"
     " VALUES ($1, $2, $3, $4, $5, $6, pg_catalog.current_user()) RETURNING id",
     {TEXTOID, TEXTOID, TEXTARRAYOID, INT4OID, INT8OID, TEXTOID},
     col::Id::count},
    // RunInfoLegacy: RunInfo for a database at 0.3.0 or older (no mode).
    // RunInfo($1 run id, $2 unit): the run, its customer as it is now (by
    // id: a rename during the run does not matter) and the unit's site name
    // if the unit is still a site of that customer.
    {Stmt::RunInfoLegacy,
     R"SQL(
SELECT r.scope, r.status, r.customer, c.id, c.number_management, c.dial_plan,
       (SELECT s.name FROM numaudit.hierarchy s
         WHERE s.id = $2 AND s.parent_id = c.id AND s.kind = 'site'),
       coalesce(pg_catalog.cardinality(r.sites), 0), 'full'
  FROM numaudit.audit_run r
  LEFT JOIN numaudit.hierarchy c ON c.id = r.customer_id AND c.kind = 'customer'
 WHERE r.id = $1)SQL",
     {INT8OID, INT8OID},
     col::RunInfo::count},
};

#undef NUMAUDIT_ENTRY_COLUMNS

// Compile-time checks of the table, entry by entry.
namespace stmt_check {

// The highest $n placeholder in a statement's SQL.
constexpr int max_placeholder(const char* sql) {
    int highest = 0;
    for (const char* p = sql; *p; ++p) {
        if (*p != '$' || p[1] < '0' || p[1] > '9') continue;
        int n = 0;
        for (++p; *p >= '0' && *p <= '9'; ++p) n = n * 10 + (*p - '0');
        if (n > highest) highest = n;
        --p;
    }
    return highest;
}

// The first entry (its index) that breaks `ok`, or -1.
template <typename Pred>
constexpr int first_bad(Pred ok) {
    for (int i = 0; i < static_cast<int>(std::size(kStmts)); ++i)
        if (!ok(i, kStmts[i])) return i;
    return -1;
}

constexpr bool keyed_by_index(int i, const StmtDef& d) { return static_cast<int>(d.key) == i; }
// Every argument slot after the last one is empty.
constexpr bool slots_consistent(int, const StmtDef& d) {
    for (int k = d.nargs(); k < kMaxArgs; ++k)
        if (d.types[k] != InvalidOid) return false;
    return true;
}
constexpr bool placeholders_match(int, const StmtDef& d) {
    return max_placeholder(d.sql) == d.nargs() && d.nargs() <= kMaxArgs;
}
constexpr bool digest_in_result(int, const StmtDef& d) {
    return d.digest_col == kNoDigest || (d.digest_col >= 0 && d.digest_col < d.ncols);
}

}  // namespace stmt_check

static_assert(std::size(kStmts) == static_cast<std::size_t>(Stmt::Count),
              "one definition per statement");
static_assert(stmt_check::first_bad(stmt_check::keyed_by_index) == -1,
              "kStmts[i] must be the definition of Stmt i (in the enum's order)");
static_assert(stmt_check::first_bad(stmt_check::slots_consistent) == -1,
              "a statement's argument types must fill its first slots only");
static_assert(stmt_check::first_bad(stmt_check::placeholders_match) == -1,
              "a statement's argument types must match its $n placeholders");
static_assert(stmt_check::first_bad(stmt_check::digest_in_result) == -1,
              "a digest column must be a column of the result");

// The definition of a statement.
constexpr const StmtDef& stmt_def(Stmt stmt) { return kStmts[static_cast<int>(stmt)]; }

}  // namespace numaudit::backend

-- numaudit benchmark of incremental audits (test/bench/incremental.sh): the
-- changes it makes by DML after a baseline, so that tracking sees them. Load
-- gen.sql first and call bench.generate.
--
--   SELECT bench.incr_setup(n);             -- the spare numbers, once
--   SELECT bench.change_lines(step, k);     -- k device lines moved/added/removed
--   SELECT bench.drift_like_loaded();       -- the inventory made as bench.loaded
CREATE SCHEMA IF NOT EXISTS bench;

-- The spare numbers of gen.sql (bucket h >= 750: no use), handed out in
-- order to the lines change_lines moves or adds, each once.
CREATE OR REPLACE FUNCTION bench.incr_setup(n integer) RETURNS bigint
    LANGUAGE plpgsql AS
$fn$
BEGIN
    DROP TABLE IF EXISTS bench.spare;
    CREATE TABLE bench.spare AS
    SELECT i, bench.num(i) AS num, false AS used
      FROM generate_series(0, n - 1) AS i WHERE bench.h(i) >= 750;
    CREATE UNIQUE INDEX ON bench.spare (i);
    RETURN (SELECT count(*) FROM bench.spare);
END
$fn$;

-- k device lines changed (step makes the choice; each step another): a third
-- moved to a spare number (UPDATE of the pattern), a third added on a device
-- (INSERT, line_index 100 + step, a spare number), a third removed (DELETE).
-- Three statements, in the caller's transaction. Returns what it did.
CREATE OR REPLACE FUNCTION bench.change_lines(step integer, k integer) RETURNS text
    LANGUAGE plpgsql AS
$fn$
DECLARE
    k_move constant integer := k / 3;
    k_add constant integer := k / 3;
    k_del constant integer := k - 2 * (k / 3);
    moved bigint;
    added bigint;
    removed bigint;
BEGIN
    DROP TABLE IF EXISTS pg_temp.cl_spare, pg_temp.cl_pick, pg_temp.cl_dev;
    CREATE TEMP TABLE cl_spare AS
    SELECT row_number() OVER (ORDER BY s.i) AS rn, s.i, s.num
      FROM (SELECT i, num FROM bench.spare WHERE NOT used ORDER BY i LIMIT k_move + k_add) s;
    UPDATE bench.spare s SET used = true FROM cl_spare c WHERE c.i = s.i;
    -- Lines of the generated devices (not the shared-line or CL9 copies).
    CREATE TEMP TABLE cl_pick AS
    SELECT row_number() OVER () AS rn, x.device_id, x.line_index
      FROM (SELECT l.device_id, l.line_index FROM numaudit.device_line l
             WHERE l.device_id < 2000000000
             ORDER BY hashint8(l.device_id * 8 + l.line_index + step * 1000003::bigint)
             LIMIT k_move + k_del) x;
    CREATE TEMP TABLE cl_dev AS
    SELECT row_number() OVER () AS rn, x.id
      FROM (SELECT d.id FROM numaudit.device d WHERE d.id < 2000000000
             ORDER BY hashint8(d.id + step * 1000003::bigint) LIMIT k_add) x;

    UPDATE numaudit.device_line l SET pattern = s.num
      FROM cl_pick p JOIN cl_spare s ON s.rn = p.rn
     WHERE p.rn <= k_move AND l.device_id = p.device_id AND l.line_index = p.line_index;
    GET DIAGNOSTICS moved = ROW_COUNT;
    INSERT INTO numaudit.device_line (device_id, line_index, pattern, partition)
    SELECT d.id, 100 + step, s.num, 'PT-Internal'
      FROM cl_dev d JOIN cl_spare s ON s.rn = k_move + d.rn;
    GET DIAGNOSTICS added = ROW_COUNT;
    DELETE FROM numaudit.device_line l USING cl_pick p
     WHERE p.rn > k_move AND l.device_id = p.device_id AND l.line_index = p.line_index;
    GET DIAGNOSTICS removed = ROW_COUNT;
    DROP TABLE cl_spare, cl_pick, cl_dev;
    RETURN format('%s lines moved, %s added, %s removed', moved, added, removed);
END
$fn$;

-- The 5% drift of the benchmark (gen.sql, bench.loaded), made by DML on an
-- audited inventory: every entry of the customer made as bench.loaded has
-- it (entries a first audit added removed, statuses and usages put back,
-- entries missing from the inventory inserted). Three statements.
CREATE OR REPLACE FUNCTION bench.drift_like_loaded() RETURNS text
    LANGUAGE plpgsql AS
$fn$
DECLARE
    removed bigint;
    changed bigint;
    added bigint;
BEGIN
    DELETE FROM numaudit.number n
     WHERE n.hierarchy_id IN (SELECT h.id FROM numaudit.hierarchy h WHERE h.id = 3 OR h.parent_id = 3)
       AND NOT EXISTS (SELECT FROM bench.loaded l
                        WHERE l.hierarchy_id = n.hierarchy_id AND l.internal_number = n.internal_number);
    GET DIAGNOSTICS removed = ROW_COUNT;
    UPDATE numaudit.number n SET status = l.status, usage = l.usage
      FROM bench.loaded l
     WHERE l.hierarchy_id = n.hierarchy_id AND l.internal_number = n.internal_number
       AND (n.status, n.usage) IS DISTINCT FROM (l.status, l.usage);
    GET DIAGNOSTICS changed = ROW_COUNT;
    INSERT INTO numaudit.number (hierarchy_id, internal_number, status, usage, description)
    SELECT l.hierarchy_id, l.internal_number, l.status, l.usage, l.description
      FROM bench.loaded l
     WHERE NOT EXISTS (SELECT FROM numaudit.number n
                        WHERE n.hierarchy_id = l.hierarchy_id AND n.internal_number = l.internal_number);
    GET DIAGNOSTICS added = ROW_COUNT;
    RETURN format('%s entries removed, %s changed, %s added', removed, changed, added);
END
$fn$;

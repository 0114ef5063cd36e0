-- numaudit benchmark: the row-by-row contender and the scan floor (the
-- set-based SQL contender is test/bench/set_based.sql). Needs
-- test/bench/reading.sql (bench.number_of: how numaudit 0.3.0 reads a
-- pattern or an internal number) loaded first.
--
--   bench.rbr_audit(customer)          a row-by-row PL/pgSQL audit of all
--       sites (scope site) of a flat customer, as a DBA typically writes one:
--       loop over entries and uses, one lookup per number, one write per row.
--       It writes the inventory only (no history, no result rows)
--   bench.scan_floor(customer)         reads every use and entry of the
--       customer once: no audit can do less
CREATE SCHEMA IF NOT EXISTS bench;

-- The indexes a DBA adds for the row-by-row audit's per-number lookups: the
-- number a pattern reads as (NULL for wildcard and invalid patterns). Dropped
-- first: an older contenders.sql indexed another expression under these names.
DROP INDEX IF EXISTS numaudit.bench_line_number_idx, numaudit.bench_service_number_idx;
CREATE INDEX bench_line_number_idx ON numaudit.device_line (bench.number_of(pattern));
CREATE INDEX bench_service_number_idx ON numaudit.service (bench.number_of(pattern));
CREATE INDEX IF NOT EXISTS bench_device_kind_name_idx ON numaudit.device (kind, name);

-- What the uses of one (read) number in a flat customer (nodes: the customer and its
-- sites) say: conflicted (a duplicated device's number, or used in several
-- clusters), else status and usage (NULL status: not in use).
CREATE OR REPLACE FUNCTION bench.rbr_number(p_num text, p_nodes bigint[],
                                            OUT conflicted boolean, OUT status text,
                                            OUT usage text)
    LANGUAGE plpgsql STABLE AS
$fn$
BEGIN
    WITH u AS (
        SELECT d.cluster, d.kind, d.name, true AS is_device
          FROM numaudit.device_line l JOIN numaudit.device d ON d.id = l.device_id
         WHERE bench.number_of(l.pattern) = p_num AND d.hierarchy_id = ANY (p_nodes)
        UNION ALL
        SELECT s.cluster, s.kind, s.name, false
          FROM numaudit.service s
         WHERE bench.number_of(s.pattern) = p_num AND s.hierarchy_id = ANY (p_nodes))
    SELECT count(DISTINCT u.cluster) > 1
           OR EXISTS (SELECT FROM u AS x JOIN numaudit.device d2
                        ON d2.kind = x.kind AND d2.name = x.name AND d2.cluster <> x.cluster
                     WHERE x.is_device AND d2.hierarchy_id = ANY (p_nodes)
                       AND EXISTS (SELECT FROM numaudit.device_line l2 WHERE l2.device_id = d2.id)),
           CASE WHEN bool_or(k.status = 'Used') THEN 'Used'
                WHEN count(*) > 0 THEN 'Used-Utility' END,
           (SELECT string_agg(t.usage, ',' ORDER BY t.rank)
              FROM (SELECT k2.usage, min(k2.rank) AS rank FROM u AS y
                      JOIN numaudit.usage_kind k2 ON k2.kind = y.kind GROUP BY k2.usage) t)
      INTO conflicted, status, usage
      FROM u JOIN numaudit.usage_kind k ON k.kind = u.kind;
END
$fn$;

-- enable_seqscan off: PL/pgSQL caches each statement's plan, and a plan
-- made while the inventory was empty (the first audit) scans the whole
-- table for every existence check, which turns the loop quadratic (404 s at
-- 100k entries); every lookup here is meant to go through an index.
--
-- Entries are known by their read number, which no index of numaudit.number
-- has (an expression index there would slow every contender's writes): the
-- audit first copies the customer's entries as read into a temp table with
-- an index, rbr_held, and adds to it what it inserts. A number any node of
-- the customer holds is never added again (SPEC §3, one entry per number in a
-- flat customer); the sites go in byte order of name, so a number held
-- nowhere is added at the first site that needs it.
CREATE OR REPLACE FUNCTION bench.rbr_audit(p_customer text) RETURNS bigint
    LANGUAGE plpgsql
    SET enable_seqscan = off AS
$fn$
DECLARE
    v_cust bigint;
    v_nodes bigint[];
    v_duplicates bigint[];
    site record;
    e record;
    u record;
    x record;
    v_changes bigint := 0;
BEGIN
    SELECT h.id INTO STRICT v_cust FROM numaudit.hierarchy h
     WHERE h.name = p_customer AND h.kind = 'customer';
    SELECT array_agg(h.id) || v_cust INTO v_nodes FROM numaudit.hierarchy h
     WHERE h.parent_id = v_cust AND h.kind = 'site';

    -- The customer's entries that read as a number, by that number; and the
    -- entries that share their node and number with another (a conflict: both
    -- are left alone).
    DROP TABLE IF EXISTS rbr_held;
    CREATE TEMP TABLE rbr_held ON COMMIT DROP AS
    SELECT r.num, r.hierarchy_id, r.id
      FROM (SELECT bench.number_of(n.internal_number) AS num, n.hierarchy_id, n.id
              FROM numaudit.number n WHERE n.hierarchy_id = ANY (v_nodes)) r
     WHERE r.num IS NOT NULL;
    CREATE INDEX ON rbr_held (num);
    ANALYZE rbr_held;
    v_duplicates := ARRAY(SELECT r.id FROM (SELECT r.id, count(*) OVER (PARTITION BY r.hierarchy_id, r.num) AS n
                                              FROM rbr_held r) r
                           WHERE r.n > 1);

    FOR site IN SELECT h.id FROM numaudit.hierarchy h
                 WHERE h.parent_id = v_cust AND h.kind = 'site' ORDER BY h.name COLLATE "C" LOOP
        -- The site's entries.
        FOR e IN SELECT n.id, bench.number_of(n.internal_number) AS num, n.status, n.usage
                   FROM numaudit.number n
                  WHERE n.hierarchy_id = site.id LOOP
            CONTINUE WHEN e.num IS NULL;                -- invalid: never decided on
            CONTINUE WHEN e.id = ANY (v_duplicates);    -- two entries, one number
            IF e.status IN ('Reserved', 'Cooling') THEN CONTINUE; END IF;
            x := bench.rbr_number(e.num, v_nodes);
            IF x.conflicted THEN CONTINUE; END IF;
            IF (e.status, e.usage) IS DISTINCT FROM (coalesce(x.status, 'Available'), x.usage) THEN
                UPDATE numaudit.number SET status = coalesce(x.status, 'Available'),
                       usage = x.usage, updated_at = now()
                 WHERE id = e.id;
                v_changes := v_changes + 1;
            END IF;
        END LOOP;
        -- Numbers the site's own uses need that no node of the customer holds.
        FOR u IN SELECT DISTINCT q.num FROM (
                     SELECT bench.number_of(l.pattern) AS num
                       FROM numaudit.device d JOIN numaudit.device_line l ON l.device_id = d.id
                      WHERE d.hierarchy_id = site.id
                     UNION ALL
                     SELECT bench.number_of(s.pattern) FROM numaudit.service s
                      WHERE s.hierarchy_id = site.id) q
                  WHERE q.num IS NOT NULL LOOP
            CONTINUE WHEN EXISTS (SELECT FROM rbr_held h WHERE h.num = u.num);
            x := bench.rbr_number(u.num, v_nodes);
            CONTINUE WHEN x.conflicted;
            INSERT INTO numaudit.number (hierarchy_id, internal_number, status, usage)
            VALUES (site.id, u.num, x.status, x.usage);
            INSERT INTO rbr_held (num, hierarchy_id) VALUES (u.num, site.id);
            v_changes := v_changes + 1;
        END LOOP;
    END LOOP;
    RETURN v_changes;
END
$fn$;

CREATE OR REPLACE FUNCTION bench.scan_floor(p_customer text) RETURNS bigint
    LANGUAGE sql STABLE AS
$fn$
    WITH c AS (SELECT h.id FROM numaudit.hierarchy h
                WHERE h.name = p_customer AND h.kind = 'customer'),
         nodes AS (SELECT c.id FROM c
                   UNION ALL
                   SELECT h.id FROM numaudit.hierarchy h, c
                    WHERE h.parent_id = c.id AND h.kind = 'site')
    SELECT (SELECT sum(length(d.cluster) + length(d.kind) + length(d.name) + l.line_index
                       + length(l.pattern))
              FROM numaudit.device d JOIN numaudit.device_line l ON l.device_id = d.id
             WHERE d.hierarchy_id IN (SELECT id FROM nodes))
         + (SELECT sum(length(s.cluster) + length(s.kind) + length(s.name) + length(s.pattern))
              FROM numaudit.service s WHERE s.hierarchy_id IN (SELECT id FROM nodes))
         + (SELECT sum(n.id + length(n.internal_number) + length(n.status)
                       + coalesce(length(n.usage), 0))
              FROM numaudit.number n WHERE n.hierarchy_id IN (SELECT id FROM nodes))
$fn$;

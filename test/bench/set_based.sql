-- numaudit benchmark: the set-based plain-SQL contender, tuned.
--
--   SELECT bench.sql_audit(customer, scope);   -- scope 'customer' or 'site'
--
-- The audit numaudit.run(customer, scope) performs (SPEC.md §3 with the 0.3.0
-- rules, as docs/BEHAVIOUR.md reads them), written the way a good DBA would
-- write it in plain SQL: a handful of set-based statements over temp tables,
-- every one of them a hash join or hash aggregate, so that the cost grows
-- linearly with the inventory. It writes what numaudit.run writes: the
-- inventory (updates only of rows still as read: same holder, stored text,
-- status and usage; inserts ON CONFLICT DO NOTHING), one audit_run row
-- (status done, numaudit's counts) and one audit_change row per result row.
-- It returns the number of change rows.
--
-- 0.3.0 ("real data"): patterns and internal numbers are read as reading.sql
-- states (trimmed, a leading \+ read as +; a number, a wildcard or invalid),
-- each once per row, by plain expressions (one regular expression for a text
-- that already is a number). Uses and entries meet on the read number.
-- Invalid patterns are reported like wildcard ones ('invalid pattern: ...');
-- invalid entries are skipped ('invalid number'); two entries of one node
-- with one read number are a conflict and stay unchanged. In scope site a
-- number held anywhere in the customer is never added again: 'held at
-- customer level', else 'held at site <first holder>', else added once at the
-- first site (byte order of name) that needs it, the others 'held at site'.
-- Text from the data quoted in a row is cut at 10,000 characters and '…'.
-- Dirty entries (stored text not its read number) and, in scope site,
-- entries holding a number that another node uses are the only unchanged
-- entries it keeps aside; on clean data the extra work is the reading itself.
--
-- Limits (enough for the benchmark): flat dial-plan customers only, all sites
-- (scope site audits every site of the customer), at most 63 usage kinds
-- (a number's kinds are a bigint bit mask). It does not take numaudit's
-- advisory locks and does not lock entries in id order: it is meant to run
-- alone. It uses no index but the tables' own keys (not the ones
-- contenders.sql adds for the row-by-row contender). Load reading.sql first.
CREATE SCHEMA IF NOT EXISTS bench;

-- A list in a detail, as numaudit writes it: the first 20 items of a sorted,
-- distinct array, then ' and N more'.
CREATE OR REPLACE FUNCTION bench.sql_audit_list(items text[]) RETURNS text
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    RETURN array_to_string(items[1:20], ', ')
           || CASE WHEN cardinality(items) > 20 THEN ' and ' || (cardinality(items) - 20) || ' more'
                   ELSE '' END;

-- Text from the data quoted in a result row, as numaudit reports it: up to
-- 10,000 characters kept, longer cut to its first 10,000 and '…' ('...' in a
-- database whose encoding is not UTF-8).
CREATE OR REPLACE FUNCTION bench.sql_audit_cut(t text) RETURNS text
    LANGUAGE sql STABLE PARALLEL SAFE
    RETURN CASE WHEN length(t) <= 10000 THEN t
                ELSE left(t, 10000) || CASE WHEN getdatabaseencoding() = 'UTF8'
                                            THEN convert_from('\xe280a6'::bytea, 'UTF8')
                                            ELSE '...' END END;

CREATE OR REPLACE FUNCTION bench.sql_audit(p_customer text, p_scope text) RETURNS bigint
    LANGUAGE plpgsql
    -- Hash tables of ~1M groups must stay in memory (a spilled hash aggregate
    -- costs several times as much); the setting ends with the function.
    SET work_mem = '512MB'
    SET search_path = pg_catalog, pg_temp
    SET client_min_messages = warning   -- no "does not exist, skipping" notices
AS $fn$
DECLARE
    v_scope constant text := lower(p_scope);
    v_cust bigint;
    v_flat boolean;
    v_managed boolean;
    v_path text;
    v_sites integer;
    v_run bigint;
    v_unchanged bigint;
    v_updated bigint;
    v_added bigint;
    v_skipped bigint;
    v_conflicts bigint;
    v_n bigint;
    v_dirty boolean;
BEGIN
    IF v_scope IS NULL OR v_scope NOT IN ('customer', 'site') THEN
        RAISE EXCEPTION 'bench.sql_audit: unknown scope %', p_scope USING ERRCODE = '22023';
    END IF;
    -- Temp tables live in local buffers (8 MB by default): give them room,
    -- which PostgreSQL allows only before the session's first temp table.
    BEGIN
        PERFORM set_config('temp_buffers', '256MB', false);
    EXCEPTION WHEN OTHERS THEN
        NULL;   -- this session used temp tables already: keep its setting
    END;

    -- The customer: an exact path, else a bare name one customer has.
    WITH RECURSIVE p AS (
        SELECT h.id, h.name::text AS path, h.kind, h.dial_plan, h.number_management
          FROM numaudit.hierarchy h WHERE h.parent_id IS NULL
        UNION ALL
        SELECT c.id, p.path || '.' || c.name, c.kind, c.dial_plan, c.number_management
          FROM p JOIN numaudit.hierarchy c ON c.parent_id = p.id
         WHERE p.kind <> 'customer')
    SELECT p.id, p.path, p.dial_plan = 'flat', p.number_management
      INTO v_cust, v_path, v_flat, v_managed
      FROM p WHERE p.kind = 'customer' AND (p.path = p_customer OR p.path LIKE '%.' || p_customer)
     ORDER BY p.path = p_customer DESC LIMIT 1;
    IF v_cust IS NULL THEN
        RAISE EXCEPTION 'bench.sql_audit: no customer %', p_customer USING ERRCODE = '42704';
    ELSIF NOT v_managed THEN
        RAISE EXCEPTION 'bench.sql_audit: number management disabled' USING ERRCODE = '55000';
    ELSIF NOT v_flat THEN
        RAISE EXCEPTION 'bench.sql_audit: only flat dial-plan customers' USING ERRCODE = '0A000';
    ELSIF (SELECT count(*) FROM numaudit.usage_kind) > 63 THEN
        RAISE EXCEPTION 'bench.sql_audit: more than 63 usage kinds' USING ERRCODE = '0A000';
    END IF;

    -- Rerunnable in one session / transaction.
    DROP TABLE IF EXISTS sa_node, sa_kind, sa_dup, sa_use, sa_num, sa_mask, sa_pair, sa_dec, sa_edup;

    -- The customer and its sites, with their paths. audited: the nodes whose
    -- entries the audit looks at (scope site: the sites, not the customer).
    CREATE TEMP TABLE sa_node ON COMMIT DROP AS
    SELECT v_cust AS id, NULL::text AS site, v_path AS path, v_scope = 'customer' AS audited
    UNION ALL
    SELECT s.id, s.name, v_path || '.' || s.name, true
      FROM numaudit.hierarchy s WHERE s.parent_id = v_cust AND s.kind = 'site';
    ANALYZE sa_node;
    v_sites := (SELECT count(*) - 1 FROM sa_node);

    -- Usage kinds, each with one bit: a number's uses then aggregate into one
    -- bigint (bit_or, hashable) instead of a sorted token list per number.
    CREATE TEMP TABLE sa_kind ON COMMIT DROP AS
    SELECT k.kind, k.status, k.usage AS token, k.rank,
           1::bigint << (row_number() OVER (ORDER BY k.rank) - 1)::integer AS bit
      FROM numaudit.usage_kind k;
    ANALYZE sa_kind;

    -- Duplicated devices: one kind and name, lines, several clusters. Only
    -- devices with lines are uses (a line-less device is no conflict). First
    -- the candidates, from the devices alone (UNIQUE (cluster, kind, name):
    -- two devices of one kind and name are in two clusters); only their few
    -- devices are then checked for lines, by the lines' primary key.
    CREATE TEMP TABLE sa_dup ON COMMIT DROP AS
    SELECT d.id, d.cluster, d.kind, d.name FROM numaudit.device d
     WHERE d.hierarchy_id IN (SELECT id FROM sa_node)
       AND (d.kind, d.name) IN (SELECT c.kind, c.name FROM numaudit.device c
                                 WHERE c.hierarchy_id IN (SELECT id FROM sa_node)
                                 GROUP BY c.kind, c.name HAVING count(*) > 1);
    ANALYZE sa_dup;
    DELETE FROM sa_dup d WHERE NOT EXISTS (SELECT FROM numaudit.device_line l WHERE l.device_id = d.id);
    DELETE FROM sa_dup d
     WHERE NOT EXISTS (SELECT FROM sa_dup o WHERE (o.kind, o.name) = (d.kind, d.name) AND o.cluster <> d.cluster);

    -- Every use of the customer (a flat customer's uses all count together),
    -- its pattern read once: num is the read text, is_num whether it is a
    -- number, wild whether it is a wildcard (neither: invalid), and is_copy
    -- whether it is a line of a duplicated device. bench.number_of is one
    -- regular expression for a pattern that already is a number (the union's
    -- arms compute it once per row); only the other patterns are read again.
    CREATE TEMP TABLE sa_use ON COMMIT DROP AS
    SELECT u.owner, u.cluster, u.kind, u.name, u.line_index,
           coalesce(u.num, bench.read_text(u.pattern)) AS num,
           u.num IS NOT NULL AS is_num,
           u.num IS NULL AND bench.is_wildcard(bench.read_text(u.pattern)) AS wild,
           u.is_copy, k.bit
      FROM (SELECT d.hierarchy_id AS owner, d.cluster, d.kind, d.name, l.line_index, l.pattern,
                   bench.number_of(l.pattern) AS num,
                   x.name IS NOT NULL AS is_copy
              FROM numaudit.device d
              JOIN numaudit.device_line l ON l.device_id = d.id
              LEFT JOIN sa_dup x ON x.id = d.id
             WHERE d.hierarchy_id IN (SELECT id FROM sa_node)
            UNION ALL
            SELECT s.hierarchy_id, s.cluster, s.kind, s.name, NULL, s.pattern,
                   bench.number_of(s.pattern), false
              FROM numaudit.service s
             WHERE s.hierarchy_id IN (SELECT id FROM sa_node)) u
      JOIN sa_kind k ON k.kind = u.kind;
    ANALYZE sa_use;

    -- One row per number in use (wildcard and invalid patterns are no
    -- numbers): its kinds, whether it is used in several clusters (multi) and
    -- whether the audit leaves it alone (conflicted: multi, or a line of a
    -- duplicated device); in scope site also the lowest and highest id of the
    -- nodes using it (owner_lo <> owner_hi: several nodes use it), which
    -- scope customer does without (two aggregates less). One hash aggregate;
    -- min <> max is count(DISTINCT) > 1 without a sort.
    IF v_scope = 'customer' THEN
        CREATE TEMP TABLE sa_num ON COMMIT DROP AS
        SELECT u.num, bit_or(u.bit) AS kinds,
               min(u.cluster COLLATE "C") <> max(u.cluster COLLATE "C") AS multi,
               min(u.cluster COLLATE "C") <> max(u.cluster COLLATE "C") OR bool_or(u.is_copy) AS conflicted
          FROM sa_use u WHERE u.is_num
         GROUP BY u.num;
    ELSE
        CREATE TEMP TABLE sa_num ON COMMIT DROP AS
        SELECT u.num, bit_or(u.bit) AS kinds,
               min(u.cluster COLLATE "C") <> max(u.cluster COLLATE "C") AS multi,
               min(u.cluster COLLATE "C") <> max(u.cluster COLLATE "C") OR bool_or(u.is_copy) AS conflicted,
               min(u.owner) AS owner_lo, max(u.owner) AS owner_hi
          FROM sa_use u WHERE u.is_num
         GROUP BY u.num;
    END IF;
    ANALYZE sa_num;

    -- Status and Usage of each distinct set of kinds (a few dozen sets): Used
    -- if any kind is, else Used-Utility; the distinct tokens in the order of
    -- the lowest rank of the number's kinds that give them.
    CREATE TEMP TABLE sa_mask ON COMMIT DROP AS
    SELECT m.kinds,
           CASE WHEN EXISTS (SELECT FROM sa_kind k WHERE m.kinds & k.bit <> 0 AND k.status = 'Used')
                THEN 'Used' ELSE 'Used-Utility' END AS status,
           (SELECT string_agg(t.token, ',' ORDER BY t.rank)
              FROM (SELECT k.token, min(k.rank) AS rank FROM sa_kind k
                     WHERE m.kinds & k.bit <> 0 GROUP BY k.token) t) AS usage
      FROM (SELECT DISTINCT n.kinds FROM sa_num n) m;
    ANALYZE sa_mask;

    -- The decisions, in one pass over the audited entries, each entry read
    -- once (num: its read number, NULL when invalid; the subquery is not
    -- flattened, so that the reading is not repeated per reference). Kept:
    -- the entries that are not 'unchanged' (few after the first audit), plus
    -- the dirty ones (stored text other than the read number: only they can
    -- make two entries of one node hold one number) and, in scope site, those
    -- holding a number another node uses (shared). An entry is invalid,
    -- unchanged, updated, or skipped (Reserved or Cooling and in use); it is
    -- left unchanged when its number is conflicted. What to add comes from the
    -- same pass, as a full join (no second pass over the inventory, and no
    -- NOT EXISTS probe per number):
    --   scope customer: every node's entries are audited, so a number in use
    --     (not conflicted) that the join finds no entry for has none anywhere
    --     in the customer: 'added' at the customer;
    --   scope site: a site's own use of a number (not conflicted) the site
    --     holds no entry for: 'added' at the site, unless the customer holds
    --     an entry for the number ('held': nothing added, skipped instead).
    --     Numbers another site holds or several sites need are settled below.
    CREATE TEMP TABLE sa_dec (
        id bigint, hierarchy_id bigint, num text, stored text, action text,
        old_status text, old_usage text, new_status text, new_usage text,
        dirty boolean, shared boolean, held_by text
    ) ON COMMIT DROP;
    IF v_scope = 'customer' THEN
        INSERT INTO sa_dec
        SELECT d.id, d.hierarchy_id, d.num, d.stored, d.action, d.status, d.usage,
               CASE WHEN d.action IN ('updated', 'added') THEN d.new_status END,
               CASE WHEN d.action IN ('updated', 'added') THEN d.new_usage END,
               coalesce(d.dirty, false), false, NULL
          FROM (SELECT e.id, coalesce(e.hierarchy_id, v_cust) AS hierarchy_id,
                       coalesce(e.num, n.num) AS num, e.internal_number AS stored,
                       e.status, e.usage, e.num <> e.internal_number AS dirty,
                       coalesce(m.status, 'Available') AS new_status, m.usage AS new_usage,
                       CASE WHEN e.id IS NULL THEN CASE WHEN NOT n.conflicted THEN 'added' END
                            WHEN e.num IS NULL THEN 'invalid'
                            WHEN n.conflicted THEN 'unchanged'
                            WHEN e.status IN ('Reserved', 'Cooling') THEN
                                 CASE WHEN n.num IS NULL THEN 'unchanged' ELSE 'skipped' END
                            WHEN (e.status, e.usage) IS DISTINCT FROM (coalesce(m.status, 'Available'), m.usage)
                                 THEN 'updated'
                            ELSE 'unchanged' END AS action
                  FROM (SELECT e.id, e.hierarchy_id, e.internal_number, e.status, e.usage,
                               bench.number_of(e.internal_number) AS num
                          FROM numaudit.number e
                          JOIN sa_node h ON h.id = e.hierarchy_id AND h.audited
                        OFFSET 0) e
                  FULL JOIN sa_num n ON n.num = e.num
                  LEFT JOIN sa_mask m ON m.kinds = n.kinds) d
         WHERE d.action <> 'unchanged' OR d.dirty;
    ELSE
        -- The (site, number) pairs of the sites' own uses.
        CREATE TEMP TABLE sa_pair ON COMMIT DROP AS
        SELECT DISTINCT u.owner, u.num FROM sa_use u WHERE u.owner <> v_cust AND u.is_num;
        ANALYZE sa_pair;
        INSERT INTO sa_dec
        SELECT d.id, d.hierarchy_id, d.num, d.stored, d.action, d.status, d.usage,
               CASE WHEN d.action IN ('updated', 'added') THEN d.new_status END,
               CASE WHEN d.action IN ('updated', 'added') THEN d.new_usage END,
               coalesce(d.dirty, false), coalesce(d.shared, false), NULL
          FROM (SELECT e.id, coalesce(e.hierarchy_id, p.owner) AS hierarchy_id,
                       coalesce(e.num, p.num) AS num, e.internal_number AS stored,
                       e.status, e.usage, e.num <> e.internal_number AS dirty,
                       -- an entry: another node uses its number; a pair:
                       -- several nodes use the number (a superset of what
                       -- matters, which is other sites: the customer's own
                       -- uses add a few rows, not a scan)
                       CASE WHEN e.id IS NOT NULL THEN n.owner_lo <> e.hierarchy_id OR n.owner_hi <> e.hierarchy_id
                            ELSE n.owner_lo <> n.owner_hi END AS shared,
                       coalesce(m.status, 'Available') AS new_status, m.usage AS new_usage,
                       CASE WHEN e.id IS NULL THEN
                                 CASE WHEN n.conflicted THEN NULL
                                      WHEN c.num IS NULL THEN 'added' ELSE 'held' END
                            WHEN e.num IS NULL THEN 'invalid'
                            WHEN n.conflicted THEN 'unchanged'
                            WHEN e.status IN ('Reserved', 'Cooling') THEN
                                 CASE WHEN n.num IS NULL THEN 'unchanged' ELSE 'skipped' END
                            WHEN (e.status, e.usage) IS DISTINCT FROM (coalesce(m.status, 'Available'), m.usage)
                                 THEN 'updated'
                            ELSE 'unchanged' END AS action
                  FROM (SELECT e.id, e.hierarchy_id, e.internal_number, e.status, e.usage,
                               bench.number_of(e.internal_number) AS num
                          FROM numaudit.number e
                          JOIN sa_node h ON h.id = e.hierarchy_id AND h.audited
                        OFFSET 0) e
                  FULL JOIN sa_pair p ON p.owner = e.hierarchy_id AND p.num = e.num
                  LEFT JOIN sa_num n ON n.num = coalesce(e.num, p.num)
                  LEFT JOIN sa_mask m ON m.kinds = n.kinds
                  LEFT JOIN (SELECT DISTINCT bench.number_of(x.internal_number) AS num
                               FROM numaudit.number x WHERE x.hierarchy_id = v_cust) c
                         ON e.id IS NULL AND c.num = p.num) d
         WHERE d.action <> 'unchanged' OR d.dirty OR d.shared;
    END IF;
    ANALYZE sa_dec;

    -- One entry per number (scope site): a number that a site needs and
    -- another site holds is 'held at site' the first holder (byte order of
    -- name); a number held nowhere that several sites need is added at the
    -- first of them, the others 'held at site' that one. Only the shared
    -- rows of the pass take part (a holder is kept when another node uses its
    -- number; a pair when several nodes use it), so this is small.
    IF v_scope = 'site' THEN
        UPDATE sa_dec d SET action = 'held_site', held_by = f.first_site
          FROM (SELECT x.num, bool_or(x.id IS NOT NULL) AS held,
                       coalesce(min(h.site COLLATE "C") FILTER (WHERE x.id IS NOT NULL),
                                min(h.site COLLATE "C")) AS first_site
                  FROM sa_dec x JOIN sa_node h ON h.id = x.hierarchy_id
                 WHERE x.shared AND (x.id IS NOT NULL OR x.action = 'added')
                 GROUP BY x.num) f,
               sa_node h
         WHERE d.action = 'added' AND f.num = d.num AND h.id = d.hierarchy_id
           AND (f.held OR f.first_site <> h.site COLLATE "C");
    END IF;

    -- Two entries of one node with one read number: one of them at least is
    -- dirty (the stored texts differ), so the groups are found from the dirty
    -- entries alone, each with the node's clean entry of that number (one
    -- probe of the inventory's unique key). They are left unchanged.
    v_dirty := EXISTS (SELECT FROM sa_dec d WHERE d.dirty);
    IF v_dirty THEN
        CREATE TEMP TABLE sa_edup ON COMMIT DROP AS
        SELECT g.hierarchy_id, g.num, g.id, g.stored
          FROM (SELECT g.*, count(*) OVER (PARTITION BY g.hierarchy_id, g.num) AS entries
                  FROM (SELECT d.hierarchy_id, d.num, d.id, d.stored FROM sa_dec d WHERE d.dirty
                        UNION ALL
                        SELECT e.hierarchy_id, e.internal_number, e.id, e.internal_number
                          FROM (SELECT DISTINCT d.hierarchy_id, d.num FROM sa_dec d WHERE d.dirty) x
                          JOIN numaudit.number e
                            ON e.hierarchy_id = x.hierarchy_id AND e.internal_number = x.num) g) g
         WHERE g.entries > 1;
        UPDATE sa_dec d SET action = 'duplicate' FROM sa_edup x WHERE d.id = x.id;
    END IF;

    -- Unchanged entries are only counted (a MATERIALIZED CTE counting them in
    -- the pass above costs more than this second, narrow scan).
    v_unchanged := (SELECT count(*) FROM numaudit.number e
                      JOIN sa_node h ON h.id = e.hierarchy_id AND h.audited)
                   - (SELECT count(*) FROM sa_dec d
                       WHERE d.id IS NOT NULL AND d.action IN ('updated', 'skipped', 'invalid'));

    -- History first: audit_change rows reference their run.
    INSERT INTO numaudit.audit_run (customer, scope, sites_total, sites_done, status, customer_id)
    VALUES (v_path, v_scope, v_sites, 0, 'running', v_cust)
    RETURNING id INTO v_run;

    -- Updates, only of entries still as the audit read them (an application
    -- may have changed one meanwhile: then it is neither written nor
    -- reported); the change rows come from what was actually updated.
    WITH upd AS (
        UPDATE numaudit.number e
           SET status = d.new_status, usage = d.new_usage, updated_at = now()
          FROM sa_dec d
         WHERE d.action = 'updated' AND e.id = d.id
           AND e.hierarchy_id = d.hierarchy_id AND e.internal_number = d.stored
           AND e.status = d.old_status AND e.usage IS NOT DISTINCT FROM d.old_usage
        RETURNING d.*)
    INSERT INTO numaudit.audit_change (run_id, hierarchy, site, internal_number, action,
                                       old_status, old_usage, new_status, new_usage, detail)
    SELECT v_run, h.path, h.site, u.num, 'updated', u.old_status, bench.sql_audit_cut(u.old_usage),
           u.new_status, u.new_usage, NULL
      FROM upd u JOIN sa_node h ON h.id = u.hierarchy_id;
    GET DIAGNOSTICS v_updated = ROW_COUNT;

    -- Entries skipped: Reserved or Cooling and in use (detail the status), or
    -- invalid (detail 'invalid number', the stored text as the number).
    INSERT INTO numaudit.audit_change (run_id, hierarchy, site, internal_number, action,
                                       old_status, old_usage, detail)
    SELECT v_run, h.path, h.site,
           CASE WHEN d.action = 'invalid' THEN bench.sql_audit_cut(d.stored) ELSE d.num END,
           'skipped', d.old_status, bench.sql_audit_cut(d.old_usage),
           CASE WHEN d.action = 'invalid' THEN 'invalid number' ELSE d.old_status END
      FROM sa_dec d JOIN sa_node h ON h.id = d.hierarchy_id
     WHERE d.action IN ('skipped', 'invalid');
    GET DIAGNOSTICS v_skipped = ROW_COUNT;

    -- Held at customer level: one skipped row per number, however many sites
    -- use it. Held at another site: one row per site and number, at the site.
    INSERT INTO numaudit.audit_change (run_id, hierarchy, site, internal_number, action, detail)
    SELECT DISTINCT v_run, v_path, NULL::text, d.num, 'skipped', 'held at customer level'
      FROM sa_dec d WHERE d.action = 'held';
    GET DIAGNOSTICS v_n = ROW_COUNT;
    v_skipped := v_skipped + v_n;
    IF v_scope = 'site' THEN
        INSERT INTO numaudit.audit_change (run_id, hierarchy, site, internal_number, action, detail)
        SELECT v_run, h.path, h.site, d.num, 'skipped', 'held at site ' || d.held_by  -- tree names: whole
          FROM sa_dec d JOIN sa_node h ON h.id = d.hierarchy_id
         WHERE d.action = 'held_site';
        GET DIAGNOSTICS v_n = ROW_COUNT;
        v_skipped := v_skipped + v_n;
    END IF;

    -- A loader may have supplied entry ids without moving the identity
    -- sequence past them: move it (as numaudit does), or an addition could
    -- collide on the primary key. One index probe for max(id).
    PERFORM setval('numaudit.number_id_seq'::regclass, m.max_id)
       FROM (SELECT max(e.id) AS max_id FROM numaudit.number e) m, numaudit.number_id_seq s
      WHERE m.max_id >= CASE WHEN s.is_called THEN s.last_value + 1 ELSE s.last_value END
        AND EXISTS (SELECT FROM sa_dec d WHERE d.action = 'added');

    -- Additions, with the read number; an entry an application inserted
    -- meanwhile wins and is not reported (ON CONFLICT DO NOTHING returns
    -- nothing for it).
    WITH ins AS (
        INSERT INTO numaudit.number (hierarchy_id, internal_number, status, usage)
        SELECT d.hierarchy_id, d.num, d.new_status, d.new_usage
          FROM sa_dec d WHERE d.action = 'added'
         ORDER BY d.hierarchy_id, d.num  -- the unique index is filled in order
        ON CONFLICT (hierarchy_id, internal_number) DO NOTHING
        RETURNING hierarchy_id, internal_number, status, usage)
    INSERT INTO numaudit.audit_change (run_id, hierarchy, site, internal_number, action,
                                       new_status, new_usage)
    SELECT v_run, h.path, h.site, i.internal_number, 'added', i.status, i.usage
      FROM ins i JOIN sa_node h ON h.id = i.hierarchy_id;
    GET DIAGNOSTICS v_added = ROW_COUNT;

    -- Wildcard and invalid patterns: one skipped row per audited owner and
    -- reported text (the read text, cut).
    INSERT INTO numaudit.audit_change (run_id, hierarchy, site, internal_number, action, detail)
    SELECT v_run, h.path, h.site, w.reported, 'skipped', w.detail
      FROM (SELECT u.owner, bench.sql_audit_cut(u.num) AS reported,
                   CASE WHEN u.wild THEN 'wildcard pattern: ' ELSE 'invalid pattern: ' END
                   || bench.sql_audit_list(array_agg(DISTINCT
                       (bench.sql_audit_cut(u.kind) || ' ' || bench.sql_audit_cut(u.name)
                        || CASE WHEN u.line_index IS NOT NULL THEN ' line ' || u.line_index ELSE '' END
                        || ' (' || bench.sql_audit_cut(u.cluster) || ')') COLLATE "C")) AS detail
              FROM sa_use u WHERE NOT u.is_num
             GROUP BY u.owner, u.wild, bench.sql_audit_cut(u.num)) w
      JOIN sa_node h ON h.id = w.owner AND h.audited;
    GET DIAGNOSTICS v_n = ROW_COUNT;
    v_skipped := v_skipped + v_n;

    -- Duplicated devices: one conflict row each, at the customer, naming the
    -- clusters and the read text of every line (wildcard and invalid too).
    INSERT INTO numaudit.audit_change (run_id, hierarchy, site, internal_number, action, detail)
    SELECT v_run, v_path, NULL, NULL, 'conflict',
           bench.sql_audit_cut(u.kind) || ' ' || bench.sql_audit_cut(u.name)
           || ' is configured in more than one cluster: '
           || bench.sql_audit_list(array_agg(DISTINCT bench.sql_audit_cut(u.cluster) COLLATE "C"))
           || '; numbers ' || bench.sql_audit_list(array_agg(DISTINCT bench.sql_audit_cut(u.num) COLLATE "C"))
      FROM sa_use u WHERE u.is_copy
     GROUP BY u.kind, u.name;
    GET DIAGNOSTICS v_conflicts = ROW_COUNT;

    -- Numbers used in several clusters. Copies of a duplicated device are
    -- that device's conflict: a number gets its own row only when uses other
    -- than copies are in two clusters, or in a cluster where no copy uses it.
    INSERT INTO numaudit.audit_change (run_id, hierarchy, site, internal_number, action, detail)
    SELECT v_run, v_path, NULL, c.num, 'conflict',
           'number is used in more than one cluster: '
           || bench.sql_audit_list(array_agg(DISTINCT c.item ORDER BY c.item))
      FROM (SELECT u.num, u.cluster,
                   (bench.sql_audit_cut(u.cluster) || ' (' || bench.sql_audit_cut(u.kind) || ' '
                    || bench.sql_audit_cut(u.name)
                    || CASE WHEN u.line_index IS NOT NULL THEN ' line ' || u.line_index ELSE '' END
                    || ')') COLLATE "C" AS item,
                   bool_or(u.is_copy) OVER w AS has_copy,
                   bool_or(NOT u.is_copy) OVER w AS has_other
              FROM sa_use u JOIN sa_num n ON n.num = u.num AND n.multi
             WHERE u.is_num
            WINDOW w AS (PARTITION BY u.num, u.cluster)) c
     GROUP BY c.num
    HAVING count(DISTINCT c.cluster) FILTER (WHERE c.has_other) >= 2
        OR bool_or(c.has_other AND NOT c.has_copy);
    GET DIAGNOSTICS v_n = ROW_COUNT;
    v_conflicts := v_conflicts + v_n;

    -- Two entries of one node with one read number: one conflict row per
    -- node and number, at the node, naming every such entry.
    IF v_dirty THEN
        INSERT INTO numaudit.audit_change (run_id, hierarchy, site, internal_number, action, detail)
        SELECT v_run, h.path, h.site, x.num, 'conflict',
               'number is held by more than one entry: '
               || bench.sql_audit_list(array_agg(DISTINCT
                      ('"' || bench.sql_audit_cut(x.stored) || '" (id ' || x.id || ')') COLLATE "C"))
          FROM sa_edup x JOIN sa_node h ON h.id = x.hierarchy_id
         GROUP BY h.path, h.site, x.num;
        GET DIAGNOSTICS v_n = ROW_COUNT;
        v_conflicts := v_conflicts + v_n;
    END IF;

    UPDATE numaudit.audit_run
       SET status = 'done', finished_at = clock_timestamp(), sites_done = v_sites,
           added = v_added, updated = v_updated, unchanged = v_unchanged,
           skipped = v_skipped, conflicts = v_conflicts
     WHERE id = v_run;
    RETURN v_added + v_updated + v_skipped + v_conflicts;
END
$fn$;

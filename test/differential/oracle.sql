-- numaudit_oracle: an independent, set-based SQL statement of SPEC.md §3, as
-- read by docs/BEHAVIOUR.md (with the 0.3.0 rules of "Real data (0.3.0)"). It
-- shares no code with the C++ core (it calls none of numaudit's functions,
-- not read_number or pattern_number: numbers are read here with regular
-- expressions) and writes nothing: it only reads numaudit's tables.
--
--   numaudit_oracle.run(customer, scope, sites)
--       the rows numaudit.run(customer, scope, sites) must return, in order
--   numaudit_oracle.inventory_after(customer, scope, sites)
--       the whole numaudit.number table (every customer's) after that audit
--   numaudit_oracle.counts(customer, scope, sites)
--       the counts and sites_total that audit records in audit_run
--
-- They are built from one query, numaudit_oracle.decisions(customer id,
-- scope, selected site ids), whose rows are the audit's decisions; the test
-- driver calls it once per audit and derives all three with rows_of,
-- inventory_of and counts_of. Arguments are checked and resolved by
-- numaudit_oracle.resolve (SQLSTATEs 22023, 42704, 55000 as in SPEC §2).
--
-- Reading (read_text, is_number, is_wildcard, kind_of): patterns and entries
-- stand for their read text; an entry that does not read as a number is
-- skipped ('invalid number'), two entries of one node with one read number
-- are a conflict, wildcard and invalid patterns are reported per audited
-- owner. In a flat customer, scope site adds a number only when no node of
-- the customer holds it, once, at the first selected site in byte order of
-- name ('held at site <name>' elsewhere). The inventory the oracle predicts
-- never changes an entry's text (only status and usage), and adds entries
-- with the read number. Text from the data quoted in a row is cut to 10,000
-- characters and '…' ('...' outside UTF8) by cut().
--
-- Every text comparison and sort is bytewise (COLLATE "C"), whatever the
-- database's collation.

DROP SCHEMA IF EXISTS numaudit_oracle CASCADE;
CREATE SCHEMA numaudit_oracle;

-- One decision of the audit: a result row, or (action 'unchanged') an audited
-- entry left as it was. node_id is the node that holds (or gets) the entry,
-- entry_id the entry's id when there is one.
CREATE TYPE numaudit_oracle.decision AS (
    node_id         bigint,
    entry_id        bigint,
    hierarchy       text,
    site            text,
    internal_number text,
    action          text,
    old_status      text,
    old_usage       text,
    new_status      text,
    new_usage       text,
    detail          text
);

-- Reading a pattern or an internal number (BEHAVIOUR.md, "Real data (0.3.0)",
-- "Reading a pattern or an internal number"), restated with regular
-- expressions and string functions:
--   read_text  steps 1-2: surrounding space, tab, CR and LF dropped, then a
--              leading '\+' read as '+' (only at the start);
--   is_number  step 3: at most one leading '+' or '*', then one or more
--              ASCII digits or '#', 50 characters at most in all;
--   is_wildcard step 4: any of X [ ] ! . @, or a '*' after the first character;
--   kind_of    'number', else 'wildcard', else 'invalid' (step 5).
CREATE FUNCTION numaudit_oracle.read_text(t text) RETURNS text
    LANGUAGE sql IMMUTABLE STRICT
    RETURN CASE WHEN left(btrim(t, E' \t\r\n'), 2) = '\+'
                THEN '+' || substr(btrim(t, E' \t\r\n'), 3)
                ELSE btrim(t, E' \t\r\n') END;

-- The read text under the name test/bench/contenders.sql indexes by.
CREATE FUNCTION numaudit_oracle.number_of(pattern text) RETURNS text
    LANGUAGE sql IMMUTABLE STRICT
    RETURN numaudit_oracle.read_text(pattern);

CREATE FUNCTION numaudit_oracle.is_number(r text) RETURNS boolean
    LANGUAGE sql IMMUTABLE STRICT
    RETURN r ~ '^[+*]?[0123456789#]+$' AND length(r) <= 50;

CREATE FUNCTION numaudit_oracle.is_wildcard(r text) RETURNS boolean
    LANGUAGE sql IMMUTABLE STRICT
    RETURN length(translate(r, 'X[]!.@', '')) < length(r) OR strpos(substr(r, 2), '*') > 0;

CREATE FUNCTION numaudit_oracle.kind_of(r text) RETURNS text
    LANGUAGE sql IMMUTABLE STRICT
    RETURN CASE WHEN numaudit_oracle.is_number(r) THEN 'number'
                WHEN numaudit_oracle.is_wildcard(r) THEN 'wildcard'
                ELSE 'invalid' END;

-- Text from the data quoted in a result row: kept up to 10,000 characters,
-- longer cut to its first 10,000 and '…' ('...' when the database encoding
-- is not UTF8; the '…' is spelled by its bytes so that this file also loads
-- into a database that cannot store it).
CREATE FUNCTION numaudit_oracle.cut(t text) RETURNS text
    LANGUAGE sql STABLE STRICT
    RETURN CASE WHEN length(t) <= 10000 THEN t
                ELSE left(t, 10000) || CASE WHEN getdatabaseencoding() = 'UTF8'
                                            THEN convert_from('\xe280a6'::bytea, 'UTF8')
                                            ELSE '...' END END;

-- A list in a detail: at most 20 items, then ' and N more'. Items come sorted
-- and distinct: two services of one kind and name in one cluster are one
-- object (the contract is silent; numaudit names such an object once).
CREATE FUNCTION numaudit_oracle.list(items text[]) RETURNS text
    LANGUAGE sql IMMUTABLE STRICT
    RETURN array_to_string(items[1:20], ', ')
           || CASE WHEN cardinality(items) > 20 THEN ' and ' || (cardinality(items) - 20) || ' more' ELSE '' END;

-- Every decision of an audit of customer p_cust with scope p_scope
-- ('customer' or 'site') over the selected sites p_sel (ids; ignored for
-- scope customer). p_cust must be a customer, p_sel its sites.
CREATE FUNCTION numaudit_oracle.decisions(p_cust bigint, p_scope text, p_sel bigint[])
    RETURNS SETOF numaudit_oracle.decision
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
RETURN QUERY
WITH RECURSIVE
up AS (        -- the customer and its ancestors, building the customer's path
    SELECT h.id, h.parent_id, h.name::text AS path
      FROM numaudit.hierarchy h WHERE h.id = p_cust
    UNION ALL
    SELECT p.id, p.parent_id, p.name || '.' || up.path
      FROM up JOIN numaudit.hierarchy p ON p.id = up.parent_id),
cust AS (
    SELECT (SELECT up.path FROM up WHERE up.parent_id IS NULL) COLLATE "C" AS path,
           (SELECT h.dial_plan = 'flat' FROM numaudit.hierarchy h WHERE h.id = p_cust) AS is_flat),
node AS (      -- the customer and its sites; grp: the node whose uses count for its entries
    SELECT p_cust AS id, NULL::text COLLATE "C" AS site, c.path, p_cust AS grp FROM cust c
    UNION ALL
    SELECT s.id, s.name COLLATE "C", c.path || '.' || s.name,
           CASE WHEN c.is_flat THEN p_cust ELSE s.id END
      FROM numaudit.hierarchy s CROSS JOIN cust c
     WHERE s.parent_id = p_cust AND s.kind = 'site'),
audited AS (   -- nodes whose entries are audited and whose wildcard and invalid uses are reported
    SELECT node.id FROM node WHERE p_scope = 'customer' OR node.id = ANY (p_sel)),
raw_use AS (
    SELECT d.hierarchy_id AS owner, d.cluster, d.kind, d.name, l.line_index, l.pattern, true AS is_device
      FROM numaudit.device d JOIN numaudit.device_line l ON l.device_id = d.id
     WHERE d.hierarchy_id IN (SELECT node.id FROM node)
    UNION ALL
    SELECT s.hierarchy_id, s.cluster, s.kind, s.name, NULL, s.pattern, false
      FROM numaudit.service s
     WHERE s.hierarchy_id IN (SELECT node.id FROM node)),
use AS (       -- the uses the audit considers: all of a flat customer's; an slc customer's selected sites' own.
               -- txt: the pattern's read text, rkind what it is; obj and cl: the object and its
               -- cluster as a detail names them (reported text)
    SELECT r.owner, n.grp, r.cluster COLLATE "C" AS cluster, r.kind COLLATE "C" AS kind,
           r.name COLLATE "C" AS name, r.is_device,
           rd.txt COLLATE "C" AS txt, numaudit_oracle.kind_of(rd.txt) AS rkind,
           (numaudit_oracle.cut(r.kind) || ' ' || numaudit_oracle.cut(r.name)
            || CASE WHEN r.is_device THEN ' line ' || r.line_index ELSE '' END) COLLATE "C" AS obj,
           numaudit_oracle.cut(r.cluster) COLLATE "C" AS cl,
           k.status AS kind_status, k.usage AS token, k.rank
      FROM raw_use r
      CROSS JOIN LATERAL (SELECT numaudit_oracle.read_text(r.pattern) AS txt) rd
      JOIN node n ON n.id = r.owner
      JOIN numaudit.usage_kind k ON k.kind = r.kind
     WHERE (SELECT c.is_flat FROM cust c) OR r.owner = ANY (p_sel)),
dup AS (       -- devices (with lines, whatever their patterns) of one kind and name in several clusters, per group
    SELECT u.grp, u.kind, u.name FROM use u WHERE u.is_device
     GROUP BY u.grp, u.kind, u.name HAVING count(DISTINCT u.cluster) > 1),
use2 AS (
    SELECT u.*, (u.is_device AND dup.name IS NOT NULL) AS is_copy
      FROM use u LEFT JOIN dup ON (dup.grp, dup.kind, dup.name) = (u.grp, u.kind, u.name)),
nuse AS (      -- uses of single numbers (the pattern reads as a number): the only ones that count
    SELECT use2.*, use2.txt AS num FROM use2 WHERE use2.rkind = 'number'),
multi AS (     -- numbers used in several clusters, per group
    SELECT nuse.grp, nuse.num FROM nuse GROUP BY nuse.grp, nuse.num HAVING count(DISTINCT nuse.cluster) > 1),
per_cluster AS (
    SELECT nuse.grp, nuse.num, nuse.cluster,
           bool_or(nuse.is_copy) AS has_copy, bool_or(NOT nuse.is_copy) AS has_other
      FROM nuse JOIN multi USING (grp, num)
     GROUP BY nuse.grp, nuse.num, nuse.cluster),
number_conflict AS (   -- copies of a duplicated device are that device's conflict
    SELECT pc.grp, pc.num FROM per_cluster pc GROUP BY pc.grp, pc.num
    HAVING count(*) FILTER (WHERE pc.has_other) >= 2 OR bool_or(pc.has_other AND NOT pc.has_copy)),
conflicted AS (        -- numbers left alone: a duplicated device's, or used in several clusters
                       -- (wildcard and invalid patterns are no numbers: they protect no entry)
    SELECT nuse.grp, nuse.num FROM nuse WHERE nuse.is_copy
    UNION
    SELECT multi.grp, multi.num FROM multi),
token AS (
    SELECT nuse.grp, nuse.num, nuse.token, min(nuse.rank) AS rank
      FROM nuse GROUP BY nuse.grp, nuse.num, nuse.token),
derived AS (           -- status and usage of a number from the uses that count
    SELECT nuse.grp, nuse.num,
           CASE WHEN bool_or(nuse.kind_status = 'Used') THEN 'Used' ELSE 'Used-Utility' END AS status,
           (SELECT string_agg(t.token, ',' ORDER BY t.rank)
              FROM token t WHERE (t.grp, t.num) = (nuse.grp, nuse.num)) AS usage
      FROM nuse GROUP BY nuse.grp, nuse.num),
ent AS (               -- every entry of the customer and its sites, read: num is the read text of
                       -- internal_number (stored), is_num whether it is a number
    SELECT e.id, e.hierarchy_id, e.internal_number COLLATE "C" AS stored, e.status, e.usage,
           n.path, n.site, n.grp, rd.txt COLLATE "C" AS num, numaudit_oracle.is_number(rd.txt) AS is_num,
           e.hierarchy_id IN (SELECT audited.id FROM audited) AS is_audited
      FROM numaudit.number e
      JOIN node n ON n.id = e.hierarchy_id
      CROSS JOIN LATERAL (SELECT numaudit_oracle.read_text(e.internal_number) AS txt) rd),
holds AS (             -- the numbers each node holds (audited or not): its entries that read as a number
    SELECT ent.hierarchy_id, ent.num, count(*) AS entries
      FROM ent WHERE ent.is_num GROUP BY ent.hierarchy_id, ent.num),
entry AS (             -- the audited entries that read as a number, with what their number's uses say
    SELECT ent.*, d.status AS d_status, d.usage AS d_usage,
           EXISTS (SELECT 1 FROM conflicted x WHERE (x.grp, x.num) = (ent.grp, ent.num)) AS in_conflict,
           EXISTS (SELECT 1 FROM holds h
                    WHERE (h.hierarchy_id, h.num) = (ent.hierarchy_id, ent.num) AND h.entries > 1) AS shared
      FROM ent
      LEFT JOIN derived d ON (d.grp, d.num) = (ent.grp, ent.num)
     WHERE ent.is_audited AND ent.is_num),
entry_decision AS (
    SELECT e.*,
           CASE WHEN e.in_conflict OR e.shared THEN 'unchanged'
                WHEN e.status IN ('Reserved', 'Cooling') THEN
                     CASE WHEN e.d_status IS NULL THEN 'unchanged' ELSE 'skipped' END
                WHEN (e.status, e.usage) IS DISTINCT FROM (coalesce(e.d_status, 'Available'), e.d_usage)
                     THEN 'updated'
                ELSE 'unchanged' END AS action
      FROM entry e),
invalid_entry AS (     -- audited entries that do not read as a number: skipped, whatever their status
    SELECT ent.* FROM ent WHERE ent.is_audited AND NOT ent.is_num),
entry_conflict_row AS (-- an audited node's number held by several of its entries: one conflict
    SELECT x.hierarchy_id, x.path, x.site, x.num,
           'number is held by more than one entry: '
           || numaudit_oracle.list(array_agg(x.item ORDER BY x.item)) AS detail
      FROM (SELECT DISTINCT e.hierarchy_id, e.path, e.site, e.num,
                   ('"' || numaudit_oracle.cut(e.stored) || '" (id ' || e.id || ')') COLLATE "C" AS item
              FROM entry e WHERE e.shared) AS x
     GROUP BY x.hierarchy_id, x.path, x.site, x.num),
customer_add AS (      -- scope customer: a used number no node of the customer holds
    SELECT d.num, d.status, d.usage
      FROM derived d
     WHERE p_scope = 'customer' AND d.grp = p_cust
       AND NOT EXISTS (SELECT 1 FROM conflicted x WHERE (x.grp, x.num) = (d.grp, d.num))
       AND NOT EXISTS (SELECT 1 FROM holds h WHERE h.num = d.num)),
site_need AS (         -- scope site: a selected site's own use of a number it holds no entry for
    SELECT DISTINCT nuse.owner, nuse.grp, nuse.num
      FROM nuse
     WHERE p_scope = 'site' AND nuse.owner = ANY (p_sel)
       AND NOT EXISTS (SELECT 1 FROM conflicted x WHERE (x.grp, x.num) = (nuse.grp, nuse.num))
       AND NOT EXISTS (SELECT 1 FROM holds h WHERE (h.hierarchy_id, h.num) = (nuse.owner, nuse.num))),
held AS (              -- 1. ... that the customer itself holds: one skipped row per number
    SELECT DISTINCT sn.num FROM site_need sn
     WHERE EXISTS (SELECT 1 FROM holds h WHERE (h.hierarchy_id, h.num) = (p_cust, sn.num))),
site_holder AS (       -- 2. flat: a site that holds the number, the first in byte order of name
    SELECT h.num, min(n.site) AS holder
      FROM holds h JOIN node n ON n.id = h.hierarchy_id
     WHERE n.site IS NOT NULL AND (SELECT c.is_flat FROM cust c)
     GROUP BY h.num),
first_need AS (        -- 3. flat: held nowhere, the first selected site in byte order of name that needs it
    SELECT sn.num, min(n.site) AS first
      FROM site_need sn JOIN node n ON n.id = sn.owner
     WHERE (SELECT c.is_flat FROM cust c) AND sn.num NOT IN (SELECT held.num FROM held)
       AND NOT EXISTS (SELECT 1 FROM site_holder sh WHERE sh.num = sn.num)
     GROUP BY sn.num),
site_place AS (        -- the other needs: added at the site, or held at another site (held_at; flat only)
    SELECT sn.owner, sn.grp, sn.num, n.path, n.site,
           coalesce(sh.holder, nullif(fn.first, n.site)) AS held_at
      FROM site_need sn
      JOIN node n ON n.id = sn.owner
      LEFT JOIN site_holder sh ON sh.num = sn.num
      LEFT JOIN first_need fn ON fn.num = sn.num
     WHERE sn.num NOT IN (SELECT held.num FROM held)),
site_add AS (
    SELECT sp.owner, sp.path, sp.site, sp.num, d.status, d.usage
      FROM site_place sp JOIN derived d USING (grp, num)
     WHERE sp.held_at IS NULL),
bad_pattern AS (       -- one row per audited owner and reported text of its wildcard or invalid patterns
    SELECT u.owner, numaudit_oracle.cut(u.txt) AS shown,
           CASE u.rkind WHEN 'wildcard' THEN 'wildcard pattern: ' ELSE 'invalid pattern: ' END
           || numaudit_oracle.list(array_agg(DISTINCT u.obj || ' (' || u.cl || ')'
                                             ORDER BY u.obj || ' (' || u.cl || ')')) AS detail
      FROM use2 u
     WHERE u.rkind <> 'number' AND u.owner IN (SELECT audited.id FROM audited)
     GROUP BY u.owner, u.rkind, numaudit_oracle.cut(u.txt)),
device_conflict AS (   -- its numbers: the read text of every line, numbers or not
    SELECT dup.grp,
           numaudit_oracle.cut(dup.kind) || ' ' || numaudit_oracle.cut(dup.name)
           || ' is configured in more than one cluster: '
           || numaudit_oracle.list(ARRAY(SELECT DISTINCT u.cl FROM use2 u
                                          WHERE u.is_device AND (u.grp, u.kind, u.name) = (dup.grp, dup.kind, dup.name)
                                          ORDER BY 1))
           || '; numbers '
           || numaudit_oracle.list(ARRAY(SELECT DISTINCT numaudit_oracle.cut(u.txt) COLLATE "C" FROM use2 u
                                          WHERE u.is_device AND (u.grp, u.kind, u.name) = (dup.grp, dup.kind, dup.name)
                                          ORDER BY 1)) AS detail
      FROM dup),
number_conflict_row AS (
    SELECT nc.grp, nc.num,
           'number is used in more than one cluster: '
           || numaudit_oracle.list(ARRAY(SELECT DISTINCT u.cl || ' (' || u.obj || ')' FROM nuse u
                                          WHERE (u.grp, u.num) = (nc.grp, nc.num)
                                          ORDER BY 1)) AS detail
      FROM number_conflict nc)
-- node_id, entry_id, hierarchy, site, internal_number, action, old_status, old_usage, new_status, new_usage, detail
SELECT ed.hierarchy_id, ed.id, ed.path::text, ed.site::text, ed.num::text, ed.action,
       ed.status, numaudit_oracle.cut(ed.usage),
       CASE ed.action WHEN 'updated' THEN coalesce(ed.d_status, 'Available') END,
       CASE ed.action WHEN 'updated' THEN ed.d_usage END,
       CASE ed.action WHEN 'skipped' THEN ed.status END
  FROM entry_decision ed
UNION ALL
SELECT ie.hierarchy_id, ie.id, ie.path::text, ie.site::text, numaudit_oracle.cut(ie.stored), 'skipped',
       ie.status, numaudit_oracle.cut(ie.usage), NULL, NULL, 'invalid number'
  FROM invalid_entry ie
UNION ALL
SELECT ecr.hierarchy_id, NULL, ecr.path::text, ecr.site::text, ecr.num::text, 'conflict',
       NULL, NULL, NULL, NULL, ecr.detail
  FROM entry_conflict_row ecr
UNION ALL
SELECT p_cust, NULL, c.path::text, NULL, ca.num::text, 'added', NULL, NULL, ca.status, ca.usage, NULL
  FROM customer_add ca CROSS JOIN cust c
UNION ALL
SELECT sa.owner, NULL, sa.path::text, sa.site::text, sa.num::text, 'added', NULL, NULL, sa.status, sa.usage, NULL
  FROM site_add sa
UNION ALL
SELECT p_cust, NULL, c.path::text, NULL, h.num::text, 'skipped', NULL, NULL, NULL, NULL, 'held at customer level'
  FROM held h CROSS JOIN cust c
UNION ALL
SELECT sp.owner, NULL, sp.path::text, sp.site::text, sp.num::text, 'skipped', NULL, NULL, NULL, NULL,
       'held at site ' || sp.held_at
  FROM site_place sp WHERE sp.held_at IS NOT NULL
UNION ALL
SELECT bp.owner, NULL, n.path::text, n.site::text, bp.shown, 'skipped', NULL, NULL, NULL, NULL, bp.detail
  FROM bad_pattern bp JOIN node n ON n.id = bp.owner
UNION ALL
SELECT dc.grp, NULL, n.path::text, n.site::text, NULL, 'conflict', NULL, NULL, NULL, NULL, dc.detail
  FROM device_conflict dc JOIN node n ON n.id = dc.grp
UNION ALL
SELECT ncr.grp, NULL, n.path::text, n.site::text, ncr.num::text, 'conflict', NULL, NULL, NULL, NULL, ncr.detail
  FROM number_conflict_row ncr JOIN node n ON n.id = ncr.grp;
END
$fn$;

-- The arguments of an audit, checked and resolved as SPEC §2 says: the
-- customer's id, the scope in lower case, the selected sites' ids (every
-- site when sites is NULL or empty; for scope customer, every site).
CREATE FUNCTION numaudit_oracle.resolve(customer text, scope text, sites text[],
                                        OUT cust bigint, OUT scope_lc text, OUT sel bigint[])
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    ids bigint[];
    s text;
    sid bigint;
BEGIN
    IF customer IS NULL OR scope IS NULL THEN
        RAISE EXCEPTION 'oracle: customer and scope are required' USING ERRCODE = '22023';
    END IF;
    scope_lc := lower(scope);
    IF scope_lc NOT IN ('customer', 'site') THEN
        RAISE EXCEPTION 'oracle: unknown scope %', scope USING ERRCODE = '22023';
    END IF;
    IF scope_lc = 'customer' AND cardinality(sites) > 0 THEN
        RAISE EXCEPTION 'oracle: sites with scope customer' USING ERRCODE = '22023';
    END IF;
    -- An exact path wins; else a bare name that exactly one customer has.
    WITH RECURSIVE p AS (
        SELECT h.id, h.name::text AS path, h.kind FROM numaudit.hierarchy h WHERE h.parent_id IS NULL
        UNION ALL
        SELECT c.id, p.path || '.' || c.name, c.kind FROM p JOIN numaudit.hierarchy c ON c.parent_id = p.id)
    SELECT array_agg(p.id) INTO ids FROM p WHERE p.kind = 'customer' AND p.path = customer;
    IF ids IS NULL THEN
        SELECT array_agg(h.id) INTO ids FROM numaudit.hierarchy h
         WHERE h.kind = 'customer' AND h.name = customer;
    END IF;
    IF ids IS NULL THEN
        RAISE EXCEPTION 'oracle: no customer %', customer USING ERRCODE = '42704';
    ELSIF cardinality(ids) > 1 THEN
        RAISE EXCEPTION 'oracle: customer name % is ambiguous', customer USING ERRCODE = '22023';
    END IF;
    cust := ids[1];
    IF NOT (SELECT h.number_management FROM numaudit.hierarchy h WHERE h.id = cust) THEN
        RAISE EXCEPTION 'oracle: number management disabled' USING ERRCODE = '55000';
    END IF;
    IF scope_lc = 'customer'
       AND (SELECT h.dial_plan FROM numaudit.hierarchy h WHERE h.id = cust) = 'slc' THEN
        RAISE EXCEPTION 'oracle: scope customer for an slc customer' USING ERRCODE = '55000';
    END IF;
    IF cardinality(sites) > 0 THEN
        sel := '{}';
        FOR i IN 1 .. cardinality(sites) LOOP
            s := sites[i];
            IF s IS NULL OR s = ANY (sites[1:i - 1]) THEN
                RAISE EXCEPTION 'oracle: NULL or duplicate site name' USING ERRCODE = '22023';
            END IF;
            SELECT h.id INTO sid FROM numaudit.hierarchy h
             WHERE h.parent_id = cust AND h.kind = 'site' AND h.name = s;
            IF NOT FOUND THEN
                RAISE EXCEPTION 'oracle: no site %', s USING ERRCODE = '42704';
            END IF;
            sel := sel || sid;
        END LOOP;
    ELSE
        SELECT coalesce(array_agg(h.id), '{}') INTO sel FROM numaudit.hierarchy h
         WHERE h.parent_id = cust AND h.kind = 'site';
    END IF;
END
$fn$;

-- The decisions of an audit given by numaudit.run's arguments.
CREATE FUNCTION numaudit_oracle.audit(customer text, scope text, sites text[] DEFAULT NULL)
    RETURNS SETOF numaudit_oracle.decision
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    r record;
BEGIN
    r := numaudit_oracle.resolve(customer, scope, sites);
    RETURN QUERY SELECT * FROM numaudit_oracle.decisions(r.cust, r.scope_lc, r.sel);
END
$fn$;

-- The result rows of those decisions, in numaudit.run's order: hierarchy,
-- internal_number (NULL first), action (added, updated, skipped, conflict),
-- detail.
CREATE FUNCTION numaudit_oracle.rows_of(decisions numaudit_oracle.decision[])
    RETURNS TABLE (hierarchy text, site text, internal_number text, action text,
                   old_status text, old_usage text, new_status text, new_usage text,
                   detail text)
    LANGUAGE plpgsql IMMUTABLE
    SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
    RETURN QUERY
    SELECT d.hierarchy, d.site, d.internal_number, d.action, d.old_status, d.old_usage,
           d.new_status, d.new_usage, d.detail
      FROM unnest(decisions) AS d
     WHERE d.action <> 'unchanged'
     ORDER BY d.hierarchy COLLATE "C",
              d.internal_number COLLATE "C" NULLS FIRST,
              array_position(ARRAY['added', 'updated', 'skipped', 'conflict'], d.action),
              d.detail COLLATE "C";
END
$fn$;

-- The whole inventory (every customer's) once those decisions are applied.
CREATE FUNCTION numaudit_oracle.inventory_of(decisions numaudit_oracle.decision[])
    RETURNS TABLE (hierarchy_id bigint, internal_number text, status text, usage text, description text)
    LANGUAGE sql STABLE
    SET search_path = pg_catalog, pg_temp
AS $fn$
    SELECT n.hierarchy_id, n.internal_number,
           CASE WHEN u.entry_id IS NULL THEN n.status ELSE u.new_status END,
           CASE WHEN u.entry_id IS NULL THEN n.usage ELSE u.new_usage END,
           n.description
      FROM numaudit.number n
      LEFT JOIN unnest(decisions) AS u ON u.entry_id = n.id AND u.action = 'updated'
    UNION ALL
    SELECT d.node_id, d.internal_number, d.new_status, d.new_usage, NULL
      FROM unnest(decisions) AS d WHERE d.action = 'added';
$fn$;

-- The counts audit_run records for those decisions.
CREATE FUNCTION numaudit_oracle.counts_of(decisions numaudit_oracle.decision[],
                                          OUT added bigint, OUT updated bigint, OUT unchanged bigint,
                                          OUT skipped bigint, OUT conflicts bigint)
    LANGUAGE sql IMMUTABLE
AS $fn$
    SELECT count(*) FILTER (WHERE d.action = 'added'),
           count(*) FILTER (WHERE d.action = 'updated'),
           count(*) FILTER (WHERE d.action = 'unchanged'),
           count(*) FILTER (WHERE d.action = 'skipped'),
           count(*) FILTER (WHERE d.action = 'conflict')
      FROM unnest(decisions) AS d;
$fn$;

-- The rows numaudit.run(customer, scope, sites) must return, in order.
CREATE FUNCTION numaudit_oracle.run(customer text, scope text, sites text[] DEFAULT NULL)
    RETURNS TABLE (hierarchy text, site text, internal_number text, action text,
                   old_status text, old_usage text, new_status text, new_usage text,
                   detail text)
    LANGUAGE sql STABLE
AS $fn$
    SELECT * FROM numaudit_oracle.rows_of(ARRAY(SELECT numaudit_oracle.audit(customer, scope, sites)))
$fn$;

-- The whole inventory (every customer's) as it must be after that audit.
CREATE FUNCTION numaudit_oracle.inventory_after(customer text, scope text, sites text[] DEFAULT NULL)
    RETURNS TABLE (hierarchy_id bigint, internal_number text, status text, usage text, description text)
    LANGUAGE sql STABLE
AS $fn$
    SELECT * FROM numaudit_oracle.inventory_of(ARRAY(SELECT numaudit_oracle.audit(customer, scope, sites)))
$fn$;

-- The counts that audit writes in audit_run, and its sites_total.
CREATE FUNCTION numaudit_oracle.counts(customer text, scope text, sites text[] DEFAULT NULL,
                                       OUT added bigint, OUT updated bigint, OUT unchanged bigint,
                                       OUT skipped bigint, OUT conflicts bigint, OUT sites_total integer)
    LANGUAGE sql STABLE
AS $fn$
    SELECT c.*, cardinality((numaudit_oracle.resolve(customer, scope, sites)).sel)
      FROM numaudit_oracle.counts_of(ARRAY(SELECT numaudit_oracle.audit(customer, scope, sites))) AS c
$fn$;

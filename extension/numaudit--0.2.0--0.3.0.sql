-- numaudit 0.2.0 -> 0.3.0: real data. Numbers are read (whitespace, escaped
-- "\+", invalid and overlong values) by the library; this script brings the
-- catalog along: the tree rules on numaudit.hierarchy, the flags of CALL
-- numaudit.audit, numaudit.read_number, and uses() reading its argument.
-- CREATE EXTENSION numaudit installs 0.3.0 by running the 0.1.0 script and
-- the update scripts in turn, so each object has one definition.
\echo Use "ALTER EXTENSION numaudit UPDATE TO '0.3.0'" to load this file. \quit

--
-- The tree (SPEC §3 "The tree").
--
-- A constraint trigger keeps numaudit.hierarchy the documented tree on every
-- write: a provider is a root and only a provider is; a reseller or a
-- customer sits under a provider or a reseller; a site directly under a
-- customer; no node is its own ancestor; a name is not empty, has no
-- surrounding whitespace and no "." (the path separator). Rows written
-- before 0.3.0 are kept as they are: an UPDATE checks only the rules its
-- change can break, and numaudit.check_hierarchy() lists what is broken.

-- The helpers below are SQL functions of one expression with no SET clause,
-- so that the planner inlines them where they are called (once per row of
-- the trigger and of check_hierarchy()); their BEGIN ATOMIC bodies are bound
-- to pg_catalog's functions and operators when created, whatever the
-- caller's search_path.

-- A name as messages quote it: in double quotes, cut to its first 200
-- characters and an ellipsis ("..." when the database is not UTF-8), as the
-- library's quoted_name() does.
CREATE FUNCTION numaudit._quoted_name(name text)
    RETURNS text
    LANGUAGE sql STABLE PARALLEL SAFE
    BEGIN ATOMIC
        SELECT '"' || CASE WHEN pg_catalog.length($1) <= 200 THEN $1
                           ELSE pg_catalog."left"($1, 200)
                                || CASE WHEN pg_catalog.getdatabaseencoding() = 'UTF8'
                                        THEN pg_catalog.convert_from(pg_catalog.decode('e280a6', 'hex'), 'UTF8')
                                        ELSE '...' END
                      END || '"';
    END;

-- The name rule a name breaks, as {rule, fact, hint}; NULL when it breaks
-- none. Whitespace: space, tab, LF, vertical tab, form feed, CR.
CREATE FUNCTION numaudit._tree_name_rule(name text)
    RETURNS text[]
    LANGUAGE sql STABLE PARALLEL SAFE
    BEGIN ATOMIC
        SELECT CASE
            WHEN $1 = '' THEN
                ARRAY['a name is not empty', 'its name is empty',
                      'Give it a name: its path is its ancestors'' names and its own joined by ".".']
            WHEN pg_catalog.btrim($1, E' \t\n\x0b\f\r') <> $1 THEN
                ARRAY['a name has no leading or trailing whitespace',
                      'its name begins or ends with a space, tab, line break, vertical tab or form feed',
                      'Rename it to ' || numaudit._quoted_name(pg_catalog.btrim($1, E' \t\n\x0b\f\r')) || '.']
            WHEN pg_catalog.strpos($1, '.') > 0 THEN
                ARRAY['a name has no "."', 'its name contains ".", which separates the names in a path',
                      'Rename it without ".": a path with this name in it would name the wrong node.']
        END;
    END;

-- The placement rule a node of this kind breaks under a parent of that kind
-- (parent_id NULL: a root), as {rule, fact, hint}; NULL when it is placed
-- well or when its parent is not there (the foreign key says so). Other
-- nodes are named by id only: the trigger sees rows that row-level security
-- may hide from the writer.
CREATE FUNCTION numaudit._tree_placement(kind text, parent_id bigint, parent_kind text)
    RETURNS text[]
    LANGUAGE sql STABLE PARALLEL SAFE
    BEGIN ATOMIC
        SELECT CASE
            WHEN $1 = 'provider' AND $2 IS NOT NULL AND $3 IS NOT NULL THEN
                ARRAY['a provider is a root', pg_catalog.format('its parent (id %s) is a %s', $2, $3),
                      'Set its parent_id to NULL, or make it a reseller.']
            WHEN $1 <> 'provider' AND $2 IS NULL THEN
                ARRAY['only a provider is a root',
                      pg_catalog.format('it is a %s and its parent_id is NULL', $1),
                      CASE WHEN $1 = 'site' THEN 'Set its parent_id to a customer.'
                           ELSE 'Set its parent_id to a provider or a reseller, or make it a provider.' END]
            WHEN $1 IN ('reseller', 'customer') AND $3 NOT IN ('provider', 'reseller') THEN
                ARRAY[pg_catalog.format('a %s sits under a provider or a reseller', $1),
                      pg_catalog.format('its parent (id %s) is a %s', $2, $3),
                      'Set its parent_id to a provider or a reseller.']
            WHEN $1 = 'site' AND $3 <> 'customer' THEN
                ARRAY['a site sits directly under a customer',
                      pg_catalog.format('its parent (id %s) is a %s', $2, $3),
                      'Set its parent_id to a customer.']
        END;
    END;

-- The check behind the constraint trigger hierarchy_tree. It runs at the end
-- of the statement (or at commit when deferred) and reads the row as it is
-- then, so a statement may hold parents and children in any order. It runs
-- as the extension's owner so that row-level security cannot hide a parent,
-- a child or an ancestor from it. Row locks keep concurrent writes from
-- breaking a rule together: the parent is locked FOR SHARE (no concurrent
-- change of its kind), and a move locks every ancestor FOR SHARE (two moves
-- that would together close a cycle wait for each other: the second sees the
-- first, or they deadlock and one fails). A changed node is locked by its own
-- UPDATE, so a child inserted under it meanwhile waits for its new kind.
CREATE FUNCTION numaudit._hierarchy_tree()
    RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    renamed boolean := TG_OP = 'INSERT' OR NEW.name IS DISTINCT FROM OLD.name;
    moved boolean := TG_OP = 'INSERT' OR NEW.parent_id IS DISTINCT FROM OLD.parent_id;
    rekinded boolean := TG_OP = 'UPDATE' AND NEW.kind IS DISTINCT FROM OLD.kind;
    node numaudit.hierarchy%ROWTYPE;
    parent numaudit.hierarchy%ROWTYPE;
    broken text[];  -- {rule, fact, hint} of the first rule found broken
    ancestor bigint;
    seen bigint[] := '{}';
    child record;
BEGIN
    IF NOT (renamed OR moved OR rekinded) THEN
        RETURN NULL;  -- number management, dial plan, site location code: no rule
    END IF;
    -- The row as it is now: a later write of it checks itself again, and a
    -- row deleted since has nothing left to check.
    SELECT h.* INTO node FROM numaudit.hierarchy h WHERE h.id = NEW.id;
    IF NOT FOUND THEN
        RETURN NULL;
    END IF;

    IF renamed THEN
        broken := numaudit._tree_name_rule(node.name);
    END IF;

    IF broken IS NULL AND (moved OR rekinded) AND node.parent_id IS NOT NULL THEN
        SELECT h.* INTO parent FROM numaudit.hierarchy h WHERE h.id = node.parent_id FOR SHARE;
        IF NOT FOUND THEN
            -- Only a deferred foreign key lets this happen; left for later,
            -- the node's placement would never be checked.
            broken := ARRAY['a node''s parent exists when the tree is checked',
                            pg_catalog.format('its parent (id %s) does not exist yet', node.parent_id),
                            'Insert parents first, or defer both checks until commit: SET CONSTRAINTS '
                            'numaudit.hierarchy_parent_id_fkey, numaudit.hierarchy_tree DEFERRED.'];
        END IF;
    END IF;

    IF broken IS NULL AND moved AND parent.id IS NOT NULL THEN
        -- No cycle: walk up from the parent. An UPDATE locks every ancestor;
        -- an INSERT cannot close a cycle with rows of other transactions (the
        -- foreign key does not see them), so its parent's lock is enough.
        ancestor := parent.id;
        WHILE ancestor IS NOT NULL LOOP
            IF ancestor = node.id THEN
                broken := ARRAY['no node is its own ancestor',
                                CASE WHEN parent.id = node.id THEN 'its parent_id is its own id'
                                     ELSE pg_catalog.format('its parent (id %s) is in its own subtree',
                                                            parent.id) END,
                                'Set its parent_id to a node outside its own subtree.'];
                EXIT;
            END IF;
            EXIT WHEN ancestor = ANY (seen);  -- a cycle above it, not through it
            seen := seen || ancestor;
            IF ancestor = parent.id THEN
                ancestor := parent.parent_id;  -- read and locked above
            ELSIF TG_OP = 'UPDATE' THEN
                SELECT h.parent_id INTO ancestor FROM numaudit.hierarchy h WHERE h.id = ancestor FOR SHARE;
            ELSE
                SELECT h.parent_id INTO ancestor FROM numaudit.hierarchy h WHERE h.id = ancestor;
            END IF;
        END LOOP;
    END IF;

    IF broken IS NULL AND (moved OR rekinded) THEN
        broken := numaudit._tree_placement(node.kind, node.parent_id, parent.kind);
    END IF;

    IF broken IS NULL AND rekinded THEN
        -- Its children must still be placed well under its new kind.
        SELECT c.id, c.kind, c.broken, pg_catalog.count(*) OVER () AS total INTO child
          FROM (SELECT h.id, h.kind, numaudit._tree_placement(h.kind, node.id, node.kind) AS broken
                  FROM numaudit.hierarchy h WHERE h.parent_id = node.id) c
         WHERE c.broken IS NOT NULL
         ORDER BY c.id
         LIMIT 1;
        IF FOUND THEN
            broken := ARRAY[child.broken[1],
                            pg_catalog.format('it is now a %s, and its child (id %s) is a %s',
                                              node.kind, child.id, child.kind)
                            || CASE WHEN child.total > 1
                                    THEN pg_catalog.format(' (%s of its children are misplaced)',
                                                           child.total)
                                    ELSE '' END,
                            'Move its children first, or keep its kind; to do both in one '
                            'transaction, SET CONSTRAINTS numaudit.hierarchy_tree DEFERRED.'];
        END IF;
    END IF;

    IF broken IS NOT NULL THEN
        RAISE EXCEPTION USING
            ERRCODE = 'check_violation',
            MESSAGE = pg_catalog.format('hierarchy node %s (id %s) breaks a tree rule: %s',
                                        numaudit._quoted_name(node.name), node.id, broken[1]),
            DETAIL = pg_catalog.upper(pg_catalog."left"(broken[2], 1))
                     || pg_catalog.substr(broken[2], 2) || '.',
            HINT = broken[3],
            CONSTRAINT = 'hierarchy_tree',
            TABLE = 'hierarchy',
            SCHEMA = 'numaudit';
    END IF;
    RETURN NULL;
END
$$;

-- Fired only by writes that can break a rule: an UPDATE that sets none of
-- name, parent_id and kind (number management, dial plan, site location
-- code) does not fire it at all.
CREATE CONSTRAINT TRIGGER hierarchy_tree
    AFTER INSERT OR UPDATE OF name, parent_id, kind ON numaudit.hierarchy
    DEFERRABLE INITIALLY IMMEDIATE
    FOR EACH ROW EXECUTE FUNCTION numaudit._hierarchy_tree();

-- A loader may insert children before their parents in one transaction
-- (SET CONSTRAINTS numaudit.hierarchy_parent_id_fkey,
-- numaudit.hierarchy_tree DEFERRED).
ALTER TABLE numaudit.hierarchy
    ALTER CONSTRAINT hierarchy_parent_id_fkey DEFERRABLE INITIALLY IMMEDIATE;

-- Every rule any row breaks, one row per broken rule. Runs as its caller:
-- row-level security applies, and a row whose parent the caller cannot see
-- is not judged on its placement.
CREATE FUNCTION numaudit.check_hierarchy()
    RETURNS TABLE (id bigint, name text, kind text, parent_id bigint, problem text)
    LANGUAGE sql STABLE PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
    BEGIN ATOMIC
        WITH RECURSIVE rooted (id) AS (
            -- Nodes reached down from a root sit on no cycle.
            SELECT h.id FROM numaudit.hierarchy h WHERE h.parent_id IS NULL
          UNION ALL
            SELECT h.id FROM numaudit.hierarchy h JOIN rooted r ON h.parent_id = r.id
        ),
        up (start, id, parent_id) AS (
            -- From every other node, up until it comes back to itself or
            -- enters a cycle above it.
            SELECT h.id, h.id, h.parent_id
              FROM numaudit.hierarchy h
             WHERE h.parent_id IS NOT NULL AND NOT EXISTS (SELECT FROM rooted r WHERE r.id = h.id)
          UNION ALL
            SELECT up.start, p.id, p.parent_id
              FROM up JOIN numaudit.hierarchy p ON p.id = up.parent_id
             WHERE up.parent_id <> up.start
        ) CYCLE id SET looped USING route,
        broken (id, rule) AS (
            SELECT h.id, numaudit._tree_name_rule(h.name) FROM numaudit.hierarchy h
          UNION ALL
            SELECT h.id, numaudit._tree_placement(h.kind, h.parent_id, p.kind)
              FROM numaudit.hierarchy h LEFT JOIN numaudit.hierarchy p ON p.id = h.parent_id
          UNION ALL
            SELECT DISTINCT up.start, ARRAY['no node is its own ancestor',
                                            'following parent_id from it comes back to it']
              FROM up WHERE up.parent_id = up.start AND NOT up.looped
        )
        SELECT h.id, h.name, h.kind, h.parent_id, b.rule[1] || ': ' || b.rule[2] AS problem
          FROM broken b JOIN numaudit.hierarchy h ON h.id = b.id
         WHERE b.rule IS NOT NULL
         ORDER BY h.id, (b.rule[1] || ': ' || b.rule[2]) COLLATE pg_catalog."C";
    END;

-- What rows written before 0.3.0 break: one WARNING when updating a database
-- that has any (a fresh install has none). They are kept as they are.
DO $$
DECLARE
    total bigint;
    listed text;
BEGIN
    SELECT pg_catalog.count(*),
           pg_catalog.string_agg(b.line, E'\n' ORDER BY b.id) FILTER (WHERE b.n <= 50)
      INTO total, listed
      FROM (SELECT c.id,
                   pg_catalog.row_number() OVER (ORDER BY c.id) AS n,
                   pg_catalog.format('id %s, %s %s: %s', c.id, c.kind, numaudit._quoted_name(c.name),
                                     pg_catalog.string_agg(c.problem, '; ' ORDER BY c.problem)) AS line
              FROM numaudit.check_hierarchy() c
             GROUP BY c.id, c.kind, c.name) b;
    IF total > 0 THEN
        RAISE WARNING USING
            MESSAGE = pg_catalog.format('numaudit.hierarchy has %s %s that %s the tree rules of numaudit 0.3.0',
                                        total, CASE WHEN total = 1 THEN 'row' ELSE 'rows' END,
                                        CASE WHEN total = 1 THEN 'breaks' ELSE 'break' END),
            DETAIL = listed || CASE WHEN total > 50
                                    THEN pg_catalog.format(E'\nand %s more', total - 50) ELSE '' END,
            HINT = 'They are kept as they are and stay usable; writes that change a broken rule are '
                   'refused until it is fixed. SELECT * FROM numaudit.check_hierarchy() lists them.';
    END IF;
END
$$;

REVOKE EXECUTE ON FUNCTION numaudit._quoted_name(text) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION numaudit._tree_name_rule(text) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION numaudit._tree_placement(text, bigint, text) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION numaudit._hierarchy_tree() FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION numaudit.check_hierarchy() FROM PUBLIC;
-- check_hierarchy() runs as its caller, and so do the helpers it calls.
GRANT EXECUTE ON FUNCTION numaudit.check_hierarchy(), numaudit._quoted_name(text),
                          numaudit._tree_name_rule(text),
                          numaudit._tree_placement(text, bigint, text)
    TO numaudit_auditor, numaudit_reader;

COMMENT ON FUNCTION numaudit.check_hierarchy() IS 'Every rule of the tree that a row of numaudit.hierarchy breaks, one row per broken rule: a provider is a root and only a provider is; a reseller or customer sits under a provider or a reseller; a site directly under a customer; no node is its own ancestor; a name is not empty, has no leading or trailing whitespace and no ".". Writes are checked from numaudit 0.3.0 (constraint trigger hierarchy_tree); rows written before are kept and listed here. Rows as the caller sees them (row-level security applies).';
COMMENT ON FUNCTION numaudit._hierarchy_tree() IS 'Internal, not part of the contract: the check of the constraint trigger hierarchy_tree (SQLSTATE 23514). An INSERT checks every rule for the new row; an UPDATE the name rules when the name changed, the placement and cycle rules when parent_id or kind changed, and the children''s placement when kind changed. Runs as the extension''s owner so that row-level security hides no parent from it.';
COMMENT ON FUNCTION numaudit._tree_name_rule(text) IS 'Internal helper, not part of the contract: the name rule a name breaks (not empty, no leading or trailing whitespace, no ".") as {rule, fact, hint}; NULL when none.';
COMMENT ON FUNCTION numaudit._tree_placement(text, bigint, text) IS 'Internal helper, not part of the contract: the placement rule a node of this kind breaks under a parent of that kind (parent_id NULL for a root) as {rule, fact, hint}; NULL when none.';
COMMENT ON FUNCTION numaudit._quoted_name(text) IS 'Internal helper, not part of the contract: a name in double quotes as messages quote it, cut to its first 200 characters and an ellipsis.';
COMMENT ON TRIGGER hierarchy_tree ON numaudit.hierarchy IS 'Keeps the tree the documented one on every INSERT and UPDATE (SQLSTATE 23514, constraint hierarchy_tree); see numaudit.check_hierarchy() for the rules. DEFERRABLE: a loader that inserts children before their parents in separate statements defers it and hierarchy_parent_id_fkey until commit.';
COMMENT ON CONSTRAINT hierarchy_tree ON numaudit.hierarchy IS 'The tree rules, checked by the constraint trigger of the same name (SQLSTATE 23514); see numaudit.check_hierarchy(). DEFERRABLE INITIALLY IMMEDIATE.';
COMMENT ON CONSTRAINT hierarchy_parent_id_fkey ON numaudit.hierarchy IS 'A node''s parent exists. DEFERRABLE INITIALLY IMMEDIATE: SET CONSTRAINTS numaudit.hierarchy_parent_id_fkey, numaudit.hierarchy_tree DEFERRED lets a loader insert children before their parents in one transaction.';

--
-- Reading numbers: read_number, pattern_number, uses().
--
-- How the audit reads a pattern or an inventory entry (SPEC §3 "Reading
-- numbers"): the library's own reader, as the audit uses it.
CREATE FUNCTION numaudit.read_number(value text, OUT kind text, OUT number text)
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'numaudit_read_number';

-- Why is this number Used? Its argument is read as the audit reads numbers:
-- ' 5001' is 5001, '\+4420' is +4420. A text that is no number is an error.
CREATE OR REPLACE FUNCTION numaudit.uses(customer text, internal_number text)
    RETURNS TABLE (kind text, name text, cluster text, "partition" text, pattern text,
                   line_index integer, status text, usage text, owner text, site text)
    LANGUAGE plpgsql STABLE CALLED ON NULL INPUT PARALLEL UNSAFE
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    customer_node bigint;
    reading record;
    wanted text;
    tail text;
BEGIN
    IF uses.internal_number IS NULL THEN
        RAISE EXCEPTION 'internal_number must not be NULL'
              USING ERRCODE = 'invalid_parameter_value',
                    HINT = 'Give the number as the inventory holds it (numaudit.number.internal_number).';
    END IF;
    reading := numaudit.read_number(uses.internal_number);
    IF reading.kind <> 'number' THEN
        RAISE EXCEPTION '"%" is not a number',
              CASE WHEN length(uses.internal_number) > 200
                   THEN left(uses.internal_number, 200)
                        || CASE WHEN getdatabaseencoding() = 'UTF8' THEN chr(8230) ELSE '...' END
                   ELSE uses.internal_number END
              USING ERRCODE = 'invalid_parameter_value',
                    DETAIL = CASE reading.kind
                                 WHEN 'wildcard' THEN 'It is a wildcard pattern, which stands for no single number.'
                                 ELSE 'A number is 1 to 50 digits or #, after at most one leading + or *.' END,
                    HINT = 'Surrounding spaces, tabs and line breaks are ignored, and a leading \+ means +.';
    END IF;
    wanted := reading.number;
    customer_node := numaudit._customer_id(uses.customer);
    -- The number's digits appear in any pattern that reads as it: a cheap
    -- first filter; read_number decides exactly.
    tail := ltrim(wanted, '+');
    RETURN QUERY
    WITH owner_node AS (
        SELECT c.id, NULL::text AS site FROM numaudit.hierarchy c WHERE c.id = customer_node
        UNION ALL
        SELECT s.id, s.name FROM numaudit.hierarchy s
         WHERE s.parent_id = customer_node AND s.kind = 'site'),
    found AS (
        SELECT d.kind, d.name, d.cluster, l.partition, l.pattern, l.line_index, o.id AS node, o.site
          FROM owner_node o
          JOIN numaudit.device d ON d.hierarchy_id = o.id
          JOIN numaudit.device_line l ON l.device_id = d.id
         WHERE strpos(l.pattern, tail) > 0 AND numaudit.pattern_number(l.pattern) = wanted
        UNION ALL
        SELECT v.kind, v.name, v.cluster, v.partition, v.pattern, NULL, o.id, o.site
          FROM owner_node o
          JOIN numaudit.service v ON v.hierarchy_id = o.id
         WHERE strpos(v.pattern, tail) > 0 AND numaudit.pattern_number(v.pattern) = wanted)
    SELECT f.kind, f.name, f.cluster, f.partition, f.pattern, f.line_index, k.status, k.usage,
           numaudit._node_path(f.node), f.site
      FROM found f JOIN numaudit.usage_kind k ON k.kind = f.kind
     ORDER BY f.site NULLS FIRST, k.rank, f.cluster, f.name, f.line_index, f.pattern, f.partition;
END
$$;

REVOKE EXECUTE ON FUNCTION numaudit.read_number(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION numaudit.read_number(text) TO numaudit_auditor, numaudit_reader;

COMMENT ON FUNCTION numaudit.read_number(text) IS 'How numaudit reads a directory-number pattern or an inventory entry (SPEC §3 "Reading numbers"): surrounding spaces, tabs, CR and LF are ignored and a leading \+ means +; kind is number (1 to 50 digits or #, after at most one leading + or *), wildcard (X [ ] ! . @ anywhere, or * after the first character) or invalid (anything else); number is the text as read, NULL when invalid. The audit counts only numbers; it reports wildcard and invalid patterns and invalid entries as skipped.';
COMMENT ON FUNCTION numaudit.pattern_number(text) IS 'The number a directory-number pattern or an inventory entry stands for, as the audit reads it (surrounding spaces, tabs, CR and LF ignored, a leading \+ read as +); NULL when it is a wildcard pattern or not a number at all (see numaudit.read_number).';
COMMENT ON FUNCTION numaudit.uses(text, text) IS 'Every use (device line or service) of the customer (path or bare name, as for run) or of its sites whose pattern stands for the given number, read as the audit reads numbers ('' 5001'' is 5001, ''\+4420'' is +4420; a text that is no number is an error, 22023): why the number is Used. owner is the path of the node owning the device or service, site its site name (NULL when owned by the customer itself); line_index is NULL for services; status and usage are what the use''s usage kind contributes.';
COMMENT ON COLUMN numaudit.device_line.pattern IS 'The directory number; surrounding spaces, tabs, CR and LF are ignored and a leading \+ stands for +. A wildcard pattern (X [ ] ! . @ anywhere, * after the first character) is no single number, nor is anything but 1 to 50 digits or # after at most one + or *: the audit reports such a pattern skipped and it counts for nothing.';
COMMENT ON COLUMN numaudit.service.pattern IS 'The number; surrounding spaces, tabs, CR and LF are ignored and a leading \+ stands for +. A wildcard pattern (X [ ] ! . @ anywhere, * after the first character) is no single number, nor is anything but 1 to 50 digits or # after at most one + or *: the audit reports such a pattern skipped and it counts for nothing.';
COMMENT ON COLUMN numaudit.number.internal_number IS 'The number, unique per holder; read as patterns are (surrounding whitespace ignored, a leading \+ is +), so the entry '' 5001'' stands for 5001 and ''\+4420'' for +4420. The audit never rewrites it; an entry that reads as no number is reported skipped (invalid number) and left alone.';
COMMENT ON COLUMN numaudit.audit_change.internal_number IS 'The number as read; for a wildcard or invalid pattern the pattern as read, for an invalid entry its text (either cut to 10,000 characters); NULL for a duplicate-device conflict.';
COMMENT ON COLUMN numaudit.audit_change.detail IS 'Why: for skipped the status (Reserved or Cooling), held at customer level, held at site <name>, invalid number, or wildcard pattern: / invalid pattern: with the objects; for conflict the clusters and objects involved, or the entries of one node holding the same number; NULL for added and updated.';
COMMENT ON COLUMN numaudit.audit_run.skipped IS 'Rows reported skipped: Reserved or Cooling entries in use, numbers held at customer level or at another site, wildcard and invalid patterns, invalid entries.';
COMMENT ON COLUMN numaudit.audit_run.conflicts IS 'Conflicts reported: devices configured in more than one cluster, numbers used in more than one cluster, numbers held by more than one entry of one node.';


--
-- Entry points: CALL numaudit.audit takes run()'s flags.
--
-- The procedure gets run()'s arguments (dry_run, nowait). A procedure's
-- arguments cannot be changed in place: it is created anew, and whatever a
-- DBA granted on the old one is granted on the new one (pg_init_privs keeps
-- only the extension's own grants, as after a fresh install, so pg_dump
-- still dumps the DBA's).
-- The old procedure's privileges, kept for the statements below.
SELECT pg_catalog.set_config('numaudit_upgrade.audit_acl',
                             coalesce((SELECT p.proacl::text FROM pg_catalog.pg_proc p
                                        WHERE p.oid = 'numaudit.audit(text, text, text[])'::pg_catalog.regprocedure),
                                      ''), true);
DROP PROCEDURE numaudit.audit(text, text, text[]);
CREATE PROCEDURE numaudit.audit(customer text, scope text, sites text[] DEFAULT NULL,
                                dry_run boolean DEFAULT false, nowait boolean DEFAULT false)
    LANGUAGE C
    AS 'MODULE_PATHNAME', 'numaudit_audit';
REVOKE EXECUTE ON PROCEDURE numaudit.audit(text, text, text[], boolean, boolean) FROM PUBLIC;
GRANT EXECUTE ON PROCEDURE numaudit.audit(text, text, text[], boolean, boolean) TO numaudit_auditor;
DO $$
DECLARE
    g record;
    initial pg_catalog.aclitem[] := (SELECT p.proacl FROM pg_catalog.pg_proc p
                                      WHERE p.oid = 'numaudit.audit(text, text, text[], boolean, boolean)'::pg_catalog.regprocedure);
BEGIN
    FOR g IN SELECT a.grantee, a.is_grantable
               FROM pg_catalog.aclexplode(NULLIF(pg_catalog.current_setting('numaudit_upgrade.audit_acl'), '')::pg_catalog.aclitem[]) a
              WHERE a.privilege_type = 'EXECUTE'
                AND a.grantee <> (SELECT e.extowner FROM pg_catalog.pg_extension e WHERE e.extname = 'numaudit')
                AND a.grantee NOT IN (SELECT r.oid FROM pg_catalog.pg_roles r WHERE r.rolname = 'numaudit_auditor')
    LOOP
        EXECUTE pg_catalog.format('GRANT EXECUTE ON PROCEDURE numaudit.audit(text, text, text[], boolean, boolean) TO %s%s',
                                  CASE WHEN g.grantee = 0 THEN 'PUBLIC'
                                       ELSE pg_catalog.quote_ident(g.grantee::pg_catalog.regrole::text) END,
                                  CASE WHEN g.is_grantable THEN ' WITH GRANT OPTION' ELSE '' END);
    END LOOP;
    UPDATE pg_catalog.pg_init_privs i SET initprivs = initial
     WHERE i.objoid = 'numaudit.audit(text, text, text[], boolean, boolean)'::pg_catalog.regprocedure
       AND i.classoid = 'pg_catalog.pg_proc'::pg_catalog.regclass AND i.objsubid = 0;
END
$$;

-- Its helpers take the flags too; _audit_start audits a dry run whole and
-- returns its summary.
DROP FUNCTION numaudit._audit_start(text, text, text[]);
CREATE FUNCTION numaudit._audit_start(customer text, scope text, sites text[],
                                      dry_run boolean, nowait boolean,
                                      OUT run_id bigint, OUT units bigint[], OUT summary text)
    LANGUAGE C VOLATILE CALLED ON NULL INPUT PARALLEL UNSAFE
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'numaudit_audit_start';
DROP FUNCTION numaudit._audit_step(bigint, bigint);
CREATE FUNCTION numaudit._audit_step(run_id bigint, unit bigint, nowait boolean)
    RETURNS void
    LANGUAGE C VOLATILE STRICT PARALLEL UNSAFE
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'numaudit_audit_step';
REVOKE EXECUTE ON FUNCTION numaudit._audit_start(text, text, text[], boolean, boolean) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION numaudit._audit_step(bigint, bigint, boolean) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION numaudit._audit_start(text, text, text[], boolean, boolean),
                          numaudit._audit_step(bigint, bigint, boolean)
    TO numaudit_auditor;

-- The summary names the customer by its first 200 characters (SPEC §3
-- "Messages"), and says when a site-scope audit had no site to audit.
CREATE OR REPLACE FUNCTION numaudit._audit_finish(run_id bigint, failed_unit bigint, error text)
    RETURNS text
    LANGUAGE sql VOLATILE PARALLEL UNSAFE
    SET search_path = pg_catalog, pg_temp
    BEGIN ATOMIC
        UPDATE numaudit.audit_run r
           SET status = CASE WHEN $3 IS NULL THEN 'done' ELSE 'failed' END,
               error = CASE WHEN $3 IS NULL THEN NULL
                            ELSE coalesce((SELECT 'site ' || h.name || ': ' FROM numaudit.hierarchy h
                                           WHERE h.id = $2 AND h.kind = 'site'), '')
                                 || $3 END,
               finished_at = clock_timestamp(),
               current_site = CASE WHEN $3 IS NULL THEN NULL ELSE r.current_site END
         WHERE r.id = $1
        RETURNING format('numaudit: run %s of %s (scope %s) %s: sites %s/%s%s, added %s, updated %s, '
                         'unchanged %s, skipped %s, conflicts %s',
                         r.id,
                         CASE WHEN length(r.customer) > 200
                              THEN left(r.customer, 200)
                                   || CASE WHEN getdatabaseencoding() = 'UTF8' THEN chr(8230) ELSE '...' END
                              ELSE r.customer END,
                         r.scope, r.status, r.sites_done, r.sites_total,
                         CASE WHEN r.scope = 'site' AND r.sites_total = 0
                              THEN ' (the customer has no sites)' ELSE '' END,
                         r.added, r.updated, r.unchanged, r.skipped, r.conflicts);
    END;

COMMENT ON PROCEDURE numaudit.audit(text, text, text[], boolean, boolean) IS 'The audit of numaudit.run as a procedure for pg_cron and applications, with the same arguments: commits after each site, keeps its audit_run row current for watchers, and ends with a one-line NOTICE summary and a NOTIFY on channel numaudit. dry_run audits without writing or recording anything and reports what it would do; nowait fails with 55P03 instead of waiting for another audit. Call it as a lone statement outside a transaction block, else it cannot commit per site.';
COMMENT ON FUNCTION numaudit._audit_start(text, text, text[], boolean, boolean) IS 'Internal step of CALL numaudit.audit, not part of the contract: checks and resolves the arguments; a dry run is audited whole and only its summary returned; otherwise records the run (status running) and returns its id and units of work.';
COMMENT ON FUNCTION numaudit._audit_step(bigint, bigint, boolean) IS 'Internal step of CALL numaudit.audit, not part of the contract: audits one unit of work of a run (a site, or the customer) and adds its counts to the run; nowait fails with 55P03 instead of waiting.';

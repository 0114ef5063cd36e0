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

-- Security: who may run audits (roles and privileges), objects planted to
-- hijack numaudit's statements, hostile names, row-level security, and the
-- session state a call leaves behind (none: safe behind a transaction pooler).
SET client_min_messages = warning;
DROP EXTENSION IF EXISTS numaudit CASCADE;
CREATE EXTENSION numaudit;
RESET client_min_messages;
\set SHOW_CONTEXT never
\set VERBOSITY terse

-- Test roles (cluster-wide: unique names, dropped at the end and here, in
-- case an earlier run stopped half-way).
SET client_min_messages = warning;
DO $$
DECLARE
    r text;
BEGIN
    FOREACH r IN ARRAY ARRAY['regress_numaudit_sec_auditor', 'regress_numaudit_sec_reader',
                             'regress_numaudit_sec_nobody'] LOOP
        IF EXISTS (SELECT FROM pg_roles WHERE rolname = r) THEN
            EXECUTE format('DROP OWNED BY %I', r);
            EXECUTE format('DROP ROLE %I', r);
        END IF;
    END LOOP;
END
$$;
RESET client_min_messages;
CREATE ROLE regress_numaudit_sec_auditor IN ROLE numaudit_auditor;
CREATE ROLE regress_numaudit_sec_reader IN ROLE numaudit_reader;
CREATE ROLE regress_numaudit_sec_nobody;

--
-- 1. Roles and privileges.
--
-- The extension created the two roles; they cannot log in and have no
-- special attribute. Roles belong to the cluster: they outlive DROP
-- EXTENSION (which also leaves the schema numaudit behind), and CREATE
-- EXTENSION uses them when they exist.
SELECT rolname, rolcanlogin, rolsuper, rolinherit, rolcreaterole, rolcreatedb, rolreplication,
       rolbypassrls
  FROM pg_roles WHERE rolname IN ('numaudit_auditor', 'numaudit_reader') ORDER BY rolname;
DROP EXTENSION numaudit;
SELECT rolname FROM pg_roles WHERE rolname IN ('numaudit_auditor', 'numaudit_reader') ORDER BY rolname;
SELECT count(*) AS numaudit_schemas FROM pg_namespace WHERE nspname = 'numaudit';
-- An existing schema numaudit in which a role that is not a superuser may
-- create objects is refused: that role could plant functions there.
DROP SCHEMA numaudit;
CREATE SCHEMA numaudit AUTHORIZATION regress_numaudit_sec_nobody;
CREATE EXTENSION numaudit;
\echo :LAST_ERROR_SQLSTATE
DROP SCHEMA numaudit;
CREATE SCHEMA numaudit;
GRANT CREATE ON SCHEMA numaudit TO PUBLIC;
CREATE EXTENSION numaudit;
\echo :LAST_ERROR_SQLSTATE
REVOKE CREATE ON SCHEMA numaudit FROM PUBLIC;
CREATE EXTENSION numaudit;

-- What the extension grants (the owner's own privileges left out). PUBLIC
-- gets nothing: neither the schema nor any function.
SELECT coalesce(g.rolname, 'PUBLIC') AS grantee, a.privilege_type
  FROM pg_namespace n, aclexplode(n.nspacl) a LEFT JOIN pg_roles g ON g.oid = a.grantee
 WHERE n.nspname = 'numaudit' AND a.grantee <> n.nspowner
 ORDER BY 1, 2;
SELECT p.oid::regprocedure AS routine, coalesce(g.rolname, 'PUBLIC') AS grantee, a.privilege_type
  FROM pg_proc p, aclexplode(coalesce(p.proacl, acldefault('f', p.proowner))) a
  LEFT JOIN pg_roles g ON g.oid = a.grantee
 WHERE p.pronamespace = 'numaudit'::regnamespace AND a.grantee <> p.proowner
 ORDER BY p.oid::regprocedure::text COLLATE "C", 2;
-- Every routine runs as its caller, except _sync_number_ids (it must see
-- every id, whatever row-level security hides; it only moves the sequence
-- forward), _hierarchy_tree (the check of the tree must see every parent
-- and child) and change tracking's triggers and steps (_track_*,
-- _tracking_commit, _tracking_sweep: every role's changes are tracked, and
-- audits consume and sweep marks without a grant on them). The routines that run SQL fix their search_path, but for the
-- committing procedure and the tree's one-expression helpers, which are
-- inlined where called (their BEGIN ATOMIC bodies are bound when created).
SELECT p.oid::regprocedure AS routine, p.prosecdef AS security_definer, p.proconfig
  FROM pg_proc p WHERE p.pronamespace = 'numaudit'::regnamespace
 ORDER BY p.oid::regprocedure::text COLLATE "C";
SELECT c.relname, coalesce(g.rolname, 'PUBLIC') AS grantee,
       string_agg(a.privilege_type, ', ' ORDER BY a.privilege_type) AS privileges
  FROM pg_class c,
       aclexplode(coalesce(c.relacl, acldefault(CASE c.relkind WHEN 'S' THEN 's' ELSE 'r' END::"char",
                                                c.relowner))) a
  LEFT JOIN pg_roles g ON g.oid = a.grantee
 WHERE c.relnamespace = 'numaudit'::regnamespace AND c.relkind IN ('r', 'S')
   AND a.grantee <> c.relowner
 GROUP BY 1, 2 ORDER BY 1, 2;
-- Column privileges: the auditor adds entries and changes only their status,
-- usage and updated_at; it adds runs and updates their progress and counts,
-- never who ran them nor what they audited.
SELECT c.relname, g.rolname AS grantee, a.privilege_type,
       string_agg(att.attname, ', ' ORDER BY att.attnum) AS columns
  FROM pg_attribute att JOIN pg_class c ON c.oid = att.attrelid,
       aclexplode(att.attacl) a JOIN pg_roles g ON g.oid = a.grantee
 WHERE c.relnamespace = 'numaudit'::regnamespace AND att.attacl IS NOT NULL
 GROUP BY 1, 2, 3 ORDER BY 1, 2, 3;

-- P > R > Acme (flat): London, Paris.
INSERT INTO numaudit.hierarchy (id, parent_id, name, kind) VALUES
    (1, NULL, 'P', 'provider'), (2, 1, 'R', 'reseller'),
    (3, 2, 'Acme', 'customer'), (4, 3, 'London', 'site'), (5, 3, 'Paris', 'site');
INSERT INTO numaudit.device (id, hierarchy_id, cluster, kind, name) VALUES
    (1, 4, 'CL1', 'phone', 'SEP000000000001'),
    (2, 5, 'CL1', 'phone', 'SEP000000000002');
INSERT INTO numaudit.device_line (device_id, line_index, pattern) VALUES
    (1, 1, '1001'), (2, 1, '2001');
INSERT INTO numaudit.service (id, hierarchy_id, cluster, kind, name, pattern) VALUES
    (1, 3, 'CL1', 'hunt_pilot', 'HP', '1900');
-- A loader's ids, with the identity sequence left behind them: the audit
-- moves it (setval) before it adds entries.
INSERT INTO numaudit.number (id, hierarchy_id, internal_number, status, usage, description) VALUES
    (10, 4, '1001', 'Available', NULL, 'reception'),
    (11, 4, '1099', 'Used', 'Device', 'old');

-- A role with no grant: no access at all (42501).
SET ROLE regress_numaudit_sec_nobody;
SELECT * FROM numaudit.run('Acme', 'site');
\echo :LAST_ERROR_SQLSTATE
CALL numaudit.audit('Acme', 'site');
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
-- Even with USAGE on the schema, PUBLIC may execute nothing of numaudit's.
GRANT USAGE ON SCHEMA numaudit TO regress_numaudit_sec_nobody;
SET ROLE regress_numaudit_sec_nobody;
SELECT * FROM numaudit.run('Acme', 'site');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM numaudit.run('Acme', 'site', dry_run => true);
\echo :LAST_ERROR_SQLSTATE
CALL numaudit.audit('Acme', 'site');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM numaudit._audit_start('Acme', 'site', NULL);
\echo :LAST_ERROR_SQLSTATE
SELECT numaudit._audit_step(1, 4);
\echo :LAST_ERROR_SQLSTATE
SELECT numaudit._audit_mark(1, 4);
\echo :LAST_ERROR_SQLSTATE
SELECT numaudit._audit_finish(1, NULL, NULL);
\echo :LAST_ERROR_SQLSTATE
SELECT count(*) FROM numaudit.number;
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;
REVOKE USAGE ON SCHEMA numaudit FROM regress_numaudit_sec_nobody;

-- numaudit_reader reads every table, history included, and runs nothing.
SET ROLE regress_numaudit_sec_reader;
SELECT (SELECT count(*) FROM numaudit.hierarchy) AS hierarchy,
       (SELECT count(*) FROM numaudit.usage_kind) AS usage_kind,
       (SELECT count(*) FROM numaudit.device) AS device,
       (SELECT count(*) FROM numaudit.device_line) AS device_line,
       (SELECT count(*) FROM numaudit.service) AS service,
       (SELECT count(*) FROM numaudit.number) AS number,
       (SELECT count(*) FROM numaudit.audit_run) AS audit_run,
       (SELECT count(*) FROM numaudit.audit_change) AS audit_change;
SELECT * FROM numaudit.run('Acme', 'site', dry_run => true);
\echo :LAST_ERROR_SQLSTATE
CALL numaudit.audit('Acme', 'site');
\echo :LAST_ERROR_SQLSTATE
SELECT numaudit._audit_step(1, 4);
\echo :LAST_ERROR_SQLSTATE
UPDATE numaudit.number SET status = 'Reserved';
\echo :LAST_ERROR_SQLSTATE
INSERT INTO numaudit.number (hierarchy_id, internal_number) VALUES (4, '1555');
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;

-- numaudit_auditor runs audits: run (dry and not) and CALL audit, both
-- scopes; history records who ran them.
SET ROLE regress_numaudit_sec_auditor;
SELECT * FROM numaudit.run('Acme', 'site', dry_run => true);
SELECT * FROM numaudit.run('Acme', 'site', ARRAY['London']);
CALL numaudit.audit('Acme', 'site');
CALL numaudit.audit('P.R.Acme', 'customer');
SELECT id, customer, scope, sites, entry_point, status, run_by, added, updated, unchanged
  FROM numaudit.audit_run ORDER BY id;
SELECT n.id, h.name, n.internal_number, n.status, n.usage, n.description
  FROM numaudit.number n JOIN numaudit.hierarchy h ON h.id = n.hierarchy_id ORDER BY n.id;
-- ... and may do nothing else: no delete, no other column, no loading, no
-- rewriting of history, no other sequence.
DELETE FROM numaudit.number WHERE id = 11;
\echo :LAST_ERROR_SQLSTATE
UPDATE numaudit.number SET description = 'mine' WHERE id = 11;
\echo :LAST_ERROR_SQLSTATE
INSERT INTO numaudit.number (hierarchy_id, internal_number, description) VALUES (4, '1555', 'x');
\echo :LAST_ERROR_SQLSTATE
INSERT INTO numaudit.device (hierarchy_id, cluster, kind, name) VALUES (4, 'CL1', 'phone', 'SEPX');
\echo :LAST_ERROR_SQLSTATE
UPDATE numaudit.audit_run SET run_by = 'someone else';
\echo :LAST_ERROR_SQLSTATE
DELETE FROM numaudit.audit_change;
\echo :LAST_ERROR_SQLSTATE
SELECT setval('numaudit.hierarchy_id_seq', 1000);
\echo :LAST_ERROR_SQLSTATE
-- The helpers run as their caller, so calling them directly gives nothing
-- the auditor's own privileges do not; _audit_step checks its run.
SELECT numaudit._audit_step(999999, 4);
\echo :LAST_ERROR_SQLSTATE
SELECT numaudit._audit_step(1, 4);
\echo :LAST_ERROR_SQLSTATE
RESET ROLE;

--
-- Session state a call must not leave behind: advisory locks (numaudit's
-- are transaction-scoped; the run lock of CALL audit is released when the
-- call ends), open cursors, temporary objects, changed settings (search_path
-- included). pg_temp.snap() records the state; pg_temp.leftovers() compares.
-- Their bodies are bound when they are created, so the planted objects
-- below do not affect them.
--
LOAD 'numaudit';  -- its setting numaudit.max_memory appears when it loads
CREATE TEMP TABLE snap_settings (name text, setting text);
CREATE TEMP TABLE snap_count (objects bigint);
GRANT ALL ON snap_settings, snap_count TO PUBLIC;
CREATE FUNCTION pg_temp.temp_objects() RETURNS bigint LANGUAGE sql STABLE
BEGIN ATOMIC
    SELECT (SELECT count(*) FROM pg_class c WHERE c.relnamespace = pg_my_temp_schema())
         + (SELECT count(*) FROM pg_proc p WHERE p.pronamespace = pg_my_temp_schema())
         + (SELECT count(*) FROM pg_operator o WHERE o.oprnamespace = pg_my_temp_schema());
END;
CREATE FUNCTION pg_temp.snap() RETURNS void LANGUAGE sql
BEGIN ATOMIC
    DELETE FROM snap_settings;
    INSERT INTO snap_settings SELECT s.name, s.setting FROM pg_settings s;
    DELETE FROM snap_count;
    INSERT INTO snap_count SELECT pg_temp.temp_objects();
END;
CREATE FUNCTION pg_temp.leftovers(OUT advisory_locks bigint, OUT cursors bigint,
                                  OUT new_temp_objects bigint, OUT changed_settings text)
    LANGUAGE sql
BEGIN ATOMIC
    SELECT (SELECT count(*) FROM pg_locks l
             WHERE l.locktype = 'advisory' AND l.pid = pg_backend_pid()),
           (SELECT count(*) FROM pg_cursors),
           pg_temp.temp_objects() - (SELECT c.objects FROM snap_count c),
           (SELECT string_agg(d.name || '=' || d.setting, ', ' ORDER BY d.name)
              FROM (SELECT s.name, s.setting FROM pg_settings s
                    EXCEPT SELECT b.name, b.setting FROM snap_settings b) d);
END;

--
-- 2. Planted objects change nothing and run nothing: operators and
-- functions named like the ones numaudit uses, in public and pg_temp,
-- temporary tables named like numaudit's, and a caller's search_path that
-- puts them first. Each planted routine raises an error if it runs.
--
CREATE FUNCTION public.trojan(what text) RETURNS boolean LANGUAGE plpgsql AS
$$BEGIN RAISE EXCEPTION 'TROJAN % ran', what; END$$;
CREATE FUNCTION public.trojan_text_text(text, text) RETURNS boolean LANGUAGE sql AS
$$SELECT public.trojan('text operator')$$;
CREATE FUNCTION public.trojan_int8_int8(bigint, bigint) RETURNS boolean LANGUAGE sql AS
$$SELECT public.trojan('bigint operator')$$;
CREATE FUNCTION public.trojan_int4_int4(integer, integer) RETURNS boolean LANGUAGE sql AS
$$SELECT public.trojan('integer operator')$$;
CREATE FUNCTION public.trojan_concat(text, text) RETURNS text LANGUAGE sql AS
$$SELECT public.trojan('||')::text$$;
CREATE OPERATOR public.= (LEFTARG = text, RIGHTARG = text, FUNCTION = public.trojan_text_text);
CREATE OPERATOR public.<> (LEFTARG = text, RIGHTARG = text, FUNCTION = public.trojan_text_text);
CREATE OPERATOR public.|| (LEFTARG = text, RIGHTARG = text, FUNCTION = public.trojan_concat);
CREATE OPERATOR public.= (LEFTARG = bigint, RIGHTARG = bigint, FUNCTION = public.trojan_int8_int8);
CREATE OPERATOR public.>= (LEFTARG = bigint, RIGHTARG = bigint, FUNCTION = public.trojan_int8_int8);
CREATE OPERATOR public.< (LEFTARG = integer, RIGHTARG = integer, FUNCTION = public.trojan_int4_int4);
CREATE FUNCTION public.unnest(anyarray) RETURNS SETOF anyelement LANGUAGE sql AS
$$SELECT NULL WHERE public.trojan('public.unnest')$$;
CREATE FUNCTION public.starts_with(text, text) RETURNS boolean LANGUAGE sql AS
$$SELECT public.trojan('public.starts_with')$$;
CREATE FUNCTION public.now() RETURNS timestamptz LANGUAGE sql AS
$$SELECT NULL::timestamptz WHERE public.trojan('public.now')$$;
CREATE FUNCTION public.clock_timestamp() RETURNS timestamptz LANGUAGE sql AS
$$SELECT NULL::timestamptz WHERE public.trojan('public.clock_timestamp')$$;
CREATE FUNCTION public.current_database() RETURNS name LANGUAGE sql AS
$$SELECT NULL::name WHERE public.trojan('public.current_database')$$;
CREATE FUNCTION public.setval(regclass, bigint) RETURNS bigint LANGUAGE sql AS
$$SELECT NULL::bigint WHERE public.trojan('public.setval')$$;
CREATE FUNCTION public.trojan_max(bigint, bigint) RETURNS bigint LANGUAGE sql AS
$$SELECT NULL::bigint WHERE public.trojan('public.max')$$;
CREATE AGGREGATE public.max(bigint) (SFUNC = public.trojan_max, STYPE = bigint);
CREATE FUNCTION pg_temp.unnest(anyarray) RETURNS SETOF anyelement LANGUAGE sql AS
$$SELECT NULL WHERE public.trojan('pg_temp.unnest')$$;
CREATE FUNCTION pg_temp.starts_with(text, text) RETURNS boolean LANGUAGE sql AS
$$SELECT public.trojan('pg_temp.starts_with')$$;
CREATE FUNCTION pg_temp.now() RETURNS timestamptz LANGUAGE sql AS
$$SELECT NULL::timestamptz WHERE public.trojan('pg_temp.now')$$;
CREATE FUNCTION pg_temp.trojan_text_text(text, text) RETURNS boolean LANGUAGE sql AS
$$SELECT public.trojan('pg_temp text operator')$$;
CREATE OPERATOR pg_temp.= (LEFTARG = text, RIGHTARG = text, FUNCTION = pg_temp.trojan_text_text);
-- Temporary tables named like numaudit's (and like pg_locks), readable and
-- writable by anyone, holding a decoy customer Acme.
CREATE TEMP TABLE hierarchy (LIKE numaudit.hierarchy);
CREATE TEMP TABLE usage_kind (LIKE numaudit.usage_kind);
CREATE TEMP TABLE device (LIKE numaudit.device);
CREATE TEMP TABLE device_line (LIKE numaudit.device_line);
CREATE TEMP TABLE service (LIKE numaudit.service);
CREATE TEMP TABLE number (LIKE numaudit.number);
CREATE TEMP TABLE audit_run (LIKE numaudit.audit_run);
CREATE TEMP TABLE audit_change (LIKE numaudit.audit_change);
CREATE TEMP SEQUENCE number_id_seq;
CREATE TEMP TABLE pg_locks (locktype text, objsubid int, classid oid, objid oid, database oid);
INSERT INTO pg_temp.hierarchy (id, parent_id, name, kind, number_management, dial_plan)
VALUES (900, NULL, 'Acme', 'customer', true, 'flat'), (901, 900, 'London', 'site', true, 'flat');
INSERT INTO pg_temp.usage_kind VALUES ('phone', 'Used-Utility', 'Decoy', 1);
INSERT INTO pg_temp.device VALUES (900, 901, 'CL1', 'phone', 'SEPDECOY');
INSERT INTO pg_temp.device_line VALUES (900, 1, '1001', '');
INSERT INTO pg_temp.number (id, hierarchy_id, internal_number, status, updated_at)
VALUES (900, 901, '1001', 'Reserved', now());
GRANT ALL ON pg_temp.hierarchy, pg_temp.usage_kind, pg_temp.device, pg_temp.device_line,
             pg_temp.service, pg_temp.number, pg_temp.audit_run, pg_temp.audit_change,
             pg_temp.number_id_seq, pg_temp.pg_locks TO PUBLIC;
CREATE FUNCTION pg_temp.decoys() RETURNS text LANGUAGE sql
BEGIN ATOMIC
    SELECT concat_ws(' ', (SELECT count(*) FROM pg_temp.hierarchy),
                     (SELECT count(*) FROM pg_temp.usage_kind),
                     (SELECT count(*) FROM pg_temp.device),
                     (SELECT count(*) FROM pg_temp.device_line),
                     (SELECT count(*) FROM pg_temp.service),
                     (SELECT string_agg(n.status, ',') FROM pg_temp.number n),
                     (SELECT count(*) FROM pg_temp.audit_run),
                     (SELECT count(*) FROM pg_temp.audit_change),
                     (SELECT s.last_value FROM pg_temp.number_id_seq s),
                     (SELECT count(*) FROM pg_temp.pg_locks));
END;
SELECT pg_temp.decoys();
-- The planted objects are live: with them first in the path, a plain query
-- runs them.
SET search_path = public, pg_catalog;
SELECT 'a'::text = 'a'::text;
RESET search_path;

-- Work for the audits below: an entry to add, one to change, loader ids
-- ahead of the identity sequence (so the audit calls setval).
CREATE FUNCTION pg_temp.drift() RETURNS void LANGUAGE sql SECURITY DEFINER
BEGIN ATOMIC
    DELETE FROM numaudit.number WHERE internal_number = '2001';
    UPDATE numaudit.number SET status = 'Used', usage = 'Device' WHERE internal_number = '1099';
    INSERT INTO numaudit.number (id, hierarchy_id, internal_number, status)
    SELECT max(n.id) + 1, 4, '77' || (max(n.id) + 1), 'Reserved' FROM numaudit.number n;
END;
CREATE FUNCTION pg_temp.acme() RETURNS TABLE (site text, internal_number text, status text,
                                              usage text)
    LANGUAGE sql
BEGIN ATOMIC
    SELECT h.name, n.internal_number, n.status, n.usage
      FROM numaudit.number n JOIN numaudit.hierarchy h ON h.id = n.hierarchy_id
     WHERE n.internal_number NOT LIKE '77%'
     ORDER BY h.name, n.internal_number;
END;

-- As the auditor with search_path 'public, pg_catalog' ...
SET ROLE regress_numaudit_sec_auditor;
SELECT pg_temp.drift();
SET search_path = public, pg_catalog;
SELECT pg_temp.snap();
SELECT * FROM numaudit.run('Acme', 'site', dry_run => true);
SELECT * FROM numaudit.run('Acme', 'site');
SHOW search_path;
SELECT * FROM pg_temp.leftovers();
SELECT pg_temp.drift();
SELECT pg_temp.snap();
CALL numaudit.audit('Acme', 'site');
SHOW search_path;
SELECT * FROM pg_temp.leftovers();
SELECT pg_temp.drift();
SELECT pg_temp.snap();
CALL numaudit.audit('Acme', 'customer');
SHOW search_path;
SELECT * FROM pg_temp.leftovers();
-- bad input and a missing customer, with the planted objects first
SELECT * FROM numaudit.run('Nobody', 'site');
\echo :LAST_ERROR_SQLSTATE
CALL numaudit.audit('Acme', 'everything');
\echo :LAST_ERROR_SQLSTATE
SHOW search_path;
SELECT * FROM pg_temp.leftovers();
RESET search_path;
SELECT * FROM pg_temp.acme();
RESET ROLE;

-- ... and as a superuser with search_path 'pg_temp, public' and then
-- 'pg_temp, pg_catalog, public' (the temporary tables first of all).
SELECT pg_temp.drift();
SET search_path = pg_temp, public;
SELECT pg_temp.snap();
SELECT * FROM numaudit.run('Acme', 'customer');
SHOW search_path;
SELECT * FROM pg_temp.leftovers();
SET search_path = pg_temp, pg_catalog, public;
SELECT pg_temp.drift();
SELECT pg_temp.snap();
CALL numaudit.audit('Acme', 'site', ARRAY['Paris', 'London']);
SHOW search_path;
SELECT * FROM pg_temp.leftovers();
RESET search_path;
SELECT * FROM pg_temp.acme();
-- The decoys are untouched, and every run used the real tables.
SELECT pg_temp.decoys();
SELECT id, scope, sites, entry_point, status, run_by = current_user AS by_superuser,
       added, updated, unchanged, skipped, conflicts
  FROM numaudit.audit_run WHERE id > 4 ORDER BY id;
DROP FUNCTION pg_temp.decoys();
DROP TABLE pg_temp.hierarchy, pg_temp.usage_kind, pg_temp.device, pg_temp.device_line,
           pg_temp.service, pg_temp.number, pg_temp.audit_run, pg_temp.audit_change,
           pg_temp.pg_locks;
DROP SEQUENCE pg_temp.number_id_seq;

--
-- 3. Hostile names are data: quotes, semicolons, backslashes, format
-- directives, unicode, newlines and tabs, 10,000-character names, in
-- customer, site, cluster and device names. Results and history keep them
-- exactly. Values longer than 100 characters are shown by length and md5.
-- A "." separates the names of a path, so a node name cannot hold one (it
-- is refused, below); cluster and device names can.
--
CREATE FUNCTION pg_temp.show(t text) RETURNS text LANGUAGE sql IMMUTABLE
BEGIN ATOMIC
    SELECT CASE WHEN length(t) > 100 THEN '<' || length(t) || ' chars, md5 ' || md5(t) || '>'
                ELSE t END;
END;
CREATE TEMP TABLE name (key text PRIMARY KEY, value text NOT NULL);
INSERT INTO name VALUES
    ('provider', E'Pro"v''ider;--'),
    ('customer', E'Ac''me; DROP TABLE number; -- \\ "Inc" %s%n'),
    ('site_quote', E'Lon"don\\'),
    ('site_unicode', E'Zürich 東京 🚀'),
    ('site_newline', E'new\nline\ttab'),
    ('site_long', repeat(E'Ω''";\\', 2000)),
    ('cluster_1', E'CL''1;.'),
    ('cluster_2', E'CL"2\\'),
    ('cluster_3', E'CL\n3'),
    ('cluster_long', repeat('C', 10000)),
    ('phone', E'SEP''0;DROP %s'),
    ('profile', E'DP-é\n"x"'),
    ('phone_long', repeat(E'É''', 5000)),
    ('hunt_pilot', E'HP %n%s\\x'),
    ('call_park', E'CP §¶; --');
GRANT SELECT ON name TO PUBLIC;
CREATE FUNCTION pg_temp.n(k text) RETURNS text LANGUAGE sql STABLE
BEGIN ATOMIC
    SELECT value FROM name WHERE key = k;
END;
SELECT key, length(value), pg_temp.show(value) AS value FROM name ORDER BY key COLLATE "C";
INSERT INTO numaudit.hierarchy (id, parent_id, name, kind) VALUES
    (200, NULL, pg_temp.n('provider'), 'provider'),
    (201, 200, pg_temp.n('customer'), 'customer'),
    (202, 201, pg_temp.n('site_quote'), 'site'),
    (203, 201, pg_temp.n('site_unicode'), 'site'),
    (204, 201, pg_temp.n('site_newline'), 'site'),
    (205, 201, pg_temp.n('site_long'), 'site');
-- The phone SEP'0;DROP %s is in two clusters (a duplicate device); 5001 is
-- used in two clusters; 3XXX is a wildcard pattern.
INSERT INTO numaudit.device (id, hierarchy_id, cluster, kind, name) VALUES
    (201, 202, pg_temp.n('cluster_1'), 'phone', pg_temp.n('phone')),
    (202, 203, pg_temp.n('cluster_2'), 'phone', pg_temp.n('phone')),
    (203, 204, pg_temp.n('cluster_3'), 'device_profile', pg_temp.n('profile')),
    (204, 205, pg_temp.n('cluster_long'), 'phone', pg_temp.n('phone_long'));
INSERT INTO numaudit.device_line (device_id, line_index, pattern) VALUES
    (201, 1, '1001'), (202, 1, '2001'), (203, 1, '3001'), (203, 2, '3XXX'),
    (204, 1, '4001'), (204, 2, '5001');
INSERT INTO numaudit.service (id, hierarchy_id, cluster, kind, name, pattern) VALUES
    (201, 203, pg_temp.n('cluster_2'), 'hunt_pilot', pg_temp.n('hunt_pilot'), E'\\+4144'),
    (202, 204, pg_temp.n('cluster_3'), 'call_park', pg_temp.n('call_park'), '5001');
INSERT INTO numaudit.number (hierarchy_id, internal_number, status, usage, description) VALUES
    (202, '1099', 'Used', 'Device', E'desc''; DROP'),
    (205, '4002', 'Used', 'Device', NULL),
    (205, '5001', 'Available', NULL, NULL);
SELECT pg_temp.show(pg_temp.n('provider') || '.' || pg_temp.n('customer')) AS customer_path;
-- A node name with a "." is refused (23514), hostile or not, on INSERT and on
-- a rename; the tree is as it was.
INSERT INTO numaudit.hierarchy (id, parent_id, name, kind) VALUES
    (206, 201, E'Ac''me; DROP TABLE numaudit.number; -- \\ "Inc." %s%n', 'site');
\echo :LAST_ERROR_SQLSTATE
UPDATE numaudit.hierarchy SET name = name || '.' WHERE id = 203;
\echo :LAST_ERROR_SQLSTATE
SELECT count(*) AS nodes, count(*) FILTER (WHERE name LIKE '%.%') AS dotted
  FROM numaudit.hierarchy WHERE id BETWEEN 200 AND 209;

SET ROLE regress_numaudit_sec_auditor;
-- by bare name and by path
CREATE TEMP TABLE res AS
SELECT * FROM numaudit.run(pg_temp.n('customer'), 'site', dry_run => true);
CREATE TEMP TABLE res_by_path AS
SELECT * FROM numaudit.run(pg_temp.n('provider') || '.' || pg_temp.n('customer'), 'site',
                           dry_run => true);
SELECT count(*) AS rows, (SELECT count(*) FROM (TABLE res EXCEPT ALL TABLE res_by_path) x) AS differ
  FROM res;
SELECT pg_temp.show(hierarchy) AS hierarchy, pg_temp.show(site) AS site, internal_number,
       action, old_status, old_usage, new_status, new_usage, pg_temp.show(detail) AS detail
  FROM res;
-- Exactly the names given, built from the table of names.
SELECT pg_temp.show(r.internal_number) AS internal_number, r.action,
       r.hierarchy = pg_temp.n('provider') || '.' || pg_temp.n('customer')
           || coalesce('.' || r.site, '') AS hierarchy_exact,
       r.site IS NOT DISTINCT FROM e.site AS site_exact,
       r.detail IS NOT DISTINCT FROM e.detail AS detail_exact
  FROM res r
  JOIN (VALUES
    (NULL, 'conflict', NULL, 'phone ' || pg_temp.n('phone')
        || ' is configured in more than one cluster: ' || pg_temp.n('cluster_2') || ', '
        || pg_temp.n('cluster_1') || '; numbers 1001, 2001'),
    ('5001', 'conflict', NULL, 'number is used in more than one cluster: '
        || pg_temp.n('cluster_long') || ' (phone ' || pg_temp.n('phone_long') || ' line 2), '
        || pg_temp.n('cluster_3') || ' (call_park ' || pg_temp.n('call_park') || ')'),
    ('1099', 'updated', pg_temp.n('site_quote'), NULL),
    ('+4144', 'added', pg_temp.n('site_unicode'), NULL),
    ('3001', 'added', pg_temp.n('site_newline'), NULL),
    ('3XXX', 'skipped', pg_temp.n('site_newline'), 'wildcard pattern: device_profile '
        || pg_temp.n('profile') || ' line 2 (' || pg_temp.n('cluster_3') || ')'),
    ('4001', 'added', pg_temp.n('site_long'), NULL),
    ('4002', 'updated', pg_temp.n('site_long'), NULL)
  ) AS e (internal_number, action, site, detail)
    ON r.internal_number IS NOT DISTINCT FROM e.internal_number AND r.action = e.action
 ORDER BY r.internal_number COLLATE "C" NULLS FIRST;
-- Error messages quote the names as given (no format directive is read).
SELECT * FROM numaudit.run(pg_temp.n('customer'), 'site', ARRAY[E'no %s %n \\ such'', site']);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM numaudit.run(pg_temp.n('customer') || E'\n', 'site');
\echo :LAST_ERROR_SQLSTATE
-- The audit, for real: by run() for two sites named in the call, then by
-- CALL audit for all of them.
CREATE TEMP TABLE res_run AS
SELECT * FROM numaudit.run(pg_temp.n('customer'), 'site',
                           ARRAY[pg_temp.n('site_long'), pg_temp.n('site_newline')]);
CALL numaudit.audit(pg_temp.n('provider') || '.' || pg_temp.n('customer'), 'site');
RESET ROLE;
SELECT r.id, r.entry_point, r.customer = pg_temp.n('provider') || '.' || pg_temp.n('customer')
           AS customer_exact,
       pg_temp.show(array_to_string(r.sites, '|')) AS sites,
       r.sites = ARRAY[pg_temp.n('site_newline'), pg_temp.n('site_long')]
           OR r.sites = ARRAY[pg_temp.n('site_long'), pg_temp.n('site_newline')] AS sites_exact,
       r.status, r.sites_done, r.added, r.updated, r.unchanged, r.skipped, r.conflicts
  FROM numaudit.audit_run r WHERE r.customer_id = 201 ORDER BY r.id;
-- History holds exactly the rows returned; between the two runs, every row
-- of the dry run.
SELECT (SELECT count(*) FROM (
            SELECT c.hierarchy, c.site, c.internal_number, c.action, c.old_status, c.old_usage,
                   c.new_status, c.new_usage, c.detail
              FROM numaudit.audit_change c JOIN numaudit.audit_run r ON r.id = c.run_id
             WHERE r.customer_id = 201 AND r.entry_point = 'run'
            EXCEPT ALL TABLE res_run) x) AS run_history_not_returned,
       (SELECT count(*) FROM (
            TABLE res_run
            EXCEPT ALL
            SELECT c.hierarchy, c.site, c.internal_number, c.action, c.old_status, c.old_usage,
                   c.new_status, c.new_usage, c.detail
              FROM numaudit.audit_change c JOIN numaudit.audit_run r ON r.id = c.run_id
             WHERE r.customer_id = 201 AND r.entry_point = 'run') x) AS returned_not_in_history,
       (SELECT count(*) FROM (
            TABLE res
            EXCEPT ALL
            SELECT c.hierarchy, c.site, c.internal_number, c.action, c.old_status, c.old_usage,
                   c.new_status, c.new_usage, c.detail
              FROM numaudit.audit_change c JOIN numaudit.audit_run r ON r.id = c.run_id
             WHERE r.customer_id = 201) x) AS dry_run_not_in_history;
-- The inventory: entries added at the sites with exactly their names.
SELECT pg_temp.show(h.name) AS site, n.internal_number, n.status, n.usage, n.description
  FROM numaudit.number n JOIN numaudit.hierarchy h ON h.id = n.hierarchy_id
 WHERE h.parent_id = 201 ORDER BY h.id, n.internal_number;

-- A customer whose 10,000-character name is all two-byte characters, and a
-- site that fails in CALL audit (number management is switched off while
-- the run marks its site): the error in history is valid text, and starts
-- with the site's name.
INSERT INTO numaudit.hierarchy (id, parent_id, name, kind) VALUES
    (210, 200, repeat('Ж', 10000), 'customer'), (211, 210, E'S\n1 \'', 'site');
INSERT INTO numaudit.device (id, hierarchy_id, cluster, kind, name) VALUES
    (210, 211, 'CL1', 'phone', 'SEP000000000210');
INSERT INTO numaudit.device_line (device_id, line_index, pattern) VALUES (210, 1, '1001');
CREATE FUNCTION public.switch_off() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog AS
$$BEGIN
    UPDATE numaudit.hierarchy SET number_management = false WHERE id = 210;
    RETURN NEW;
END$$;
CREATE TRIGGER switch_off AFTER UPDATE OF current_site ON numaudit.audit_run
    FOR EACH ROW WHEN (NEW.customer_id = 210 AND NEW.current_site IS NOT NULL)
    EXECUTE FUNCTION public.switch_off();
SET ROLE regress_numaudit_sec_auditor;
SELECT pg_temp.snap();
SET client_min_messages = warning;  -- the NOTICE would show the whole name
SELECT count(*) AS rows FROM numaudit.run(repeat('Ж', 10000), 'site', dry_run => true);
\set VERBOSITY sqlstate
CALL numaudit.audit(pg_temp.n('provider') || '.' || repeat('Ж', 10000), 'site');
\set VERBOSITY terse
RESET client_min_messages;
SELECT * FROM pg_temp.leftovers();
RESET ROLE;
DROP TRIGGER switch_off ON numaudit.audit_run;
DROP FUNCTION public.switch_off();
SELECT r.status, r.current_site = E'S\n1 \'' AS current_site_exact,
       starts_with(r.error, E'site S\n1 \': number management is disabled for customer "'
                            || pg_temp.n('provider') || '.ЖЖЖ') AS error_starts_with_names,
       right(r.error, 17) AS error_ends_with,
       convert_from(convert_to(r.error, 'UTF8'), 'UTF8') = r.error AS error_is_valid_text
  FROM numaudit.audit_run r WHERE r.customer_id = 210;
-- An error message that quotes a long name is cut, at a character boundary.
DO $$
BEGIN
    PERFORM numaudit.run(repeat('Ж', 10000) || 'x', 'site');
EXCEPTION WHEN undefined_object THEN
    RAISE NOTICE '% %: valid text, starts with the name: %', SQLSTATE,
        convert_from(convert_to(SQLERRM, 'UTF8'), 'UTF8') = SQLERRM,
        starts_with(SQLERRM, 'customer "ЖЖЖЖ');
END
$$;

--
-- 4. Row-level security. An audit runs as its caller: with row-level
-- security on numaudit.number, it audits the entries the caller's policies
-- let it see and treats the others as absent. A hidden entry is neither
-- audited nor reported; when the audit would add an entry that exists but
-- is hidden, the insert is skipped (the hidden entry stays as it is, is not
-- reported nor counted as added): nothing is lost, no unique violation.
-- A hidden customer-level entry does not stop additions at the sites.
--
-- P > R > Rls (flat): A, B. The auditor does not see 'confidential' entries.
INSERT INTO numaudit.hierarchy (id, parent_id, name, kind) VALUES
    (300, 2, 'Rls', 'customer'), (301, 300, 'A', 'site'), (302, 300, 'B', 'site');
INSERT INTO numaudit.device (id, hierarchy_id, cluster, kind, name) VALUES
    (300, 301, 'CL1', 'phone', 'SEP000000000300'), (301, 302, 'CL1', 'phone', 'SEP000000000301');
INSERT INTO numaudit.device_line (device_id, line_index, pattern) VALUES
    (300, 1, '5001'), (300, 2, '5002'), (301, 1, '5004'), (301, 2, '5005');
-- 5001: used at A, its entry hidden (the audit would add it).
-- 5002: used at A, visible, wrong (updated).
-- 5003: unused, hidden, wrong (left alone).
-- 5004: used at B, held at the customer level by a hidden entry.
-- 5005: used at B, no entry (added).
INSERT INTO numaudit.number (id, hierarchy_id, internal_number, status, usage, description) VALUES
    (3001, 301, '5001', 'Available', NULL,     'confidential'),
    (3002, 301, '5002', 'Available', NULL,     NULL),
    (3003, 301, '5003', 'Used',      'Device', 'confidential'),
    (3004, 300, '5004', 'Used',      'Device', 'confidential');
-- More hidden entries (numbers nobody uses), with ids a loader took ahead
-- of the identity sequence: the audit must move it past ids it cannot see.
INSERT INTO numaudit.number (id, hierarchy_id, internal_number, status, description)
SELECT 3005 + i, 301, (6000 + i)::text, 'Available', 'confidential'
  FROM generate_series(0, 19) AS i;
ALTER TABLE numaudit.number ENABLE ROW LEVEL SECURITY;
CREATE POLICY auditor_not_confidential ON numaudit.number TO numaudit_auditor
    USING (description IS DISTINCT FROM 'confidential');
CREATE POLICY reader_all ON numaudit.number FOR SELECT TO numaudit_reader USING (true);
CREATE FUNCTION pg_temp.rls() RETURNS TABLE (site text, internal_number text, status text,
                                             usage text, description text)
    LANGUAGE sql
BEGIN ATOMIC
    SELECT h.name, n.internal_number, n.status, n.usage, n.description
      FROM numaudit.number n JOIN numaudit.hierarchy h ON h.id = n.hierarchy_id
     WHERE h.id IN (300, 301, 302) AND n.internal_number NOT LIKE '60__'
     ORDER BY h.id, n.internal_number;
END;
SET ROLE regress_numaudit_sec_auditor;
SELECT * FROM pg_temp.rls();
-- A dry run cannot know of the hidden entries: it reports 5001 as added.
SELECT * FROM numaudit.run('Rls', 'site', dry_run => true);
SELECT pg_temp.snap();
SELECT * FROM numaudit.run('Rls', 'site');
SELECT * FROM pg_temp.leftovers();
RESET ROLE;
SELECT * FROM pg_temp.rls();
SELECT count(*) AS hidden_60xx_as_loaded FROM numaudit.number
 WHERE internal_number LIKE '60__' AND status = 'Available' AND description = 'confidential';
SELECT scope, status, added, updated, unchanged, skipped, conflicts
  FROM numaudit.audit_run WHERE customer_id = 300 ORDER BY id;
-- The readers see everything (their own policy).
SET ROLE regress_numaudit_sec_reader;
SELECT count(*) AS entries FROM numaudit.number WHERE hierarchy_id IN (300, 301, 302);
RESET ROLE;
-- A policy that forbids a write the audit needs makes the audit fail with
-- 42501; it changes nothing.
CREATE POLICY auditor_no_inserts_at_b ON numaudit.number AS RESTRICTIVE FOR INSERT
    TO numaudit_auditor WITH CHECK (hierarchy_id <> 302);
DELETE FROM numaudit.number WHERE hierarchy_id = 302;
SET ROLE regress_numaudit_sec_auditor;
SELECT pg_temp.snap();
SELECT * FROM numaudit.run('Rls', 'site', ARRAY['B']);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM pg_temp.leftovers();
RESET ROLE;
SELECT * FROM pg_temp.rls();
-- A superuser (and the tables' owner) is not subject to the policies: its
-- audit sees every entry.
SELECT * FROM numaudit.run('Rls', 'site', ARRAY['A']);
DROP POLICY auditor_not_confidential ON numaudit.number;
DROP POLICY reader_all ON numaudit.number;
DROP POLICY auditor_no_inserts_at_b ON numaudit.number;
ALTER TABLE numaudit.number DISABLE ROW LEVEL SECURITY;

--
-- 5. Nothing is left behind by any call, successful or failing (the calls
-- above were checked too, among them a CALL whose site fails and a run that
-- a row-level security policy stops half-way).
--
SET ROLE regress_numaudit_sec_auditor;
SELECT pg_temp.snap();
SELECT count(*) FROM numaudit.run('Acme', 'site', ARRAY['London', 'London']);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM pg_temp.leftovers();
SELECT count(*) FROM numaudit.run('P.R.Acme.London', 'site');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM pg_temp.leftovers();
CALL numaudit.audit('Acme', 'site', ARRAY['Nowhere']);
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM pg_temp.leftovers();
-- In a transaction block: the audit's locks are the transaction's, gone at
-- its end; CALL's run lock is gone when the CALL ends.
SELECT pg_temp.snap();
BEGIN;
SELECT count(*) FROM numaudit.run('Acme', 'site');
CALL numaudit.audit('Acme', 'customer');
SELECT l.mode, l.objsubid FROM pg_catalog.pg_locks l
 WHERE l.locktype = 'advisory' AND l.pid = pg_backend_pid() ORDER BY l.objsubid, l.mode;
COMMIT;
SELECT * FROM pg_temp.leftovers();
BEGIN;
SELECT count(*) FROM numaudit.run('Acme', 'site');
ROLLBACK;
SELECT * FROM pg_temp.leftovers();
RESET ROLE;

--
-- Clean up: the planted objects and the test roles.
--
DROP AGGREGATE public.max(bigint);
DROP FUNCTION public.trojan_max(bigint, bigint), public.unnest(anyarray),
              public.starts_with(text, text), public.now(), public.clock_timestamp(),
              public.current_database(), public.setval(regclass, bigint);
DROP OPERATOR public.= (text, text), public.<> (text, text), public.|| (text, text),
              public.= (bigint, bigint), public.>= (bigint, bigint), public.< (integer, integer);
DROP FUNCTION public.trojan_text_text(text, text), public.trojan_int8_int8(bigint, bigint),
              public.trojan_int4_int4(integer, integer), public.trojan_concat(text, text),
              public.trojan(text);
DROP OWNED BY regress_numaudit_sec_auditor, regress_numaudit_sec_reader,
              regress_numaudit_sec_nobody;
DROP ROLE regress_numaudit_sec_auditor, regress_numaudit_sec_reader, regress_numaudit_sec_nobody;

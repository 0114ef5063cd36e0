-- numaudit fault tests: helpers to check that an interrupted audit left every
-- node (the customer and each site) wholly as it was before the audit or
-- wholly as the audit would have left it, per a dry run computed beforehand.
--
--   SELECT fault_prepare('site');      -- snapshot + expected result of scope site
--   ... interrupt an audit ...
--   SELECT * FROM fault_states();      -- node_id, name, state
--   SELECT * FROM fault_state_counts();
--   SELECT fault_locks();              -- numaudit advisory locks held by anyone
--
-- state: 'before' (as the snapshot), 'after' (as the dry run said the audit
-- would leave it), 'both' (nothing to change there), 'neither' (partial or
-- wrong: a failure).

-- The functions below refer to tables fault_prepare creates.
SET check_function_bodies = off;

-- Nodes of the fault customer with their paths.
CREATE OR REPLACE VIEW public.fault_node AS
WITH RECURSIVE p (id, name, kind, path) AS (
    SELECT h.id, h.name, h.kind, h.name FROM numaudit.hierarchy h WHERE h.parent_id IS NULL
    UNION ALL
    SELECT h.id, h.name, h.kind, p.path || '.' || h.name
      FROM numaudit.hierarchy h JOIN p ON h.parent_id = p.id
)
SELECT id, name, kind, path FROM p WHERE kind IN ('customer', 'site');

-- One hash per node over its entries' number, status and usage.
CREATE OR REPLACE FUNCTION public.fault_hash_of(rel regclass)
    RETURNS TABLE (hierarchy_id bigint, h text)
    LANGUAGE plpgsql AS
$fn$
BEGIN
    RETURN QUERY EXECUTE format(
        'SELECT hierarchy_id::bigint, md5(string_agg(internal_number || ''|'' || status || ''|'''
        ' || coalesce(usage, ''-''), '','' ORDER BY internal_number)) FROM %s GROUP BY 1', rel);
END
$fn$;

-- Snapshot the inventory and compute what an audit of the given scope (all
-- sites) would leave, from a dry run.
CREATE OR REPLACE FUNCTION public.fault_prepare(p_scope text, p_customer text DEFAULT 'FaultProv.FaultRes.Big')
    RETURNS text
    LANGUAGE plpgsql AS
$fn$
DECLARE
    n_dry bigint;
BEGIN
    PERFORM set_config('client_min_messages', 'warning', true);
    DROP TABLE IF EXISTS public.fault_before, public.fault_dry, public.fault_after,
                         public.fault_hash;
    CREATE TABLE public.fault_before AS
        SELECT id, hierarchy_id, internal_number, status, usage FROM numaudit.number;
    CREATE TABLE public.fault_dry AS
        SELECT * FROM numaudit.run(p_customer, p_scope, dry_run => true);
    CREATE TABLE public.fault_after AS
        SELECT b.hierarchy_id, b.internal_number,
               CASE WHEN d.action = 'updated' THEN d.new_status ELSE b.status END AS status,
               CASE WHEN d.action = 'updated' THEN d.new_usage ELSE b.usage END AS usage
          FROM public.fault_before b
          LEFT JOIN (public.fault_dry d JOIN public.fault_node nd ON nd.path = d.hierarchy)
                 ON nd.id = b.hierarchy_id AND d.internal_number = b.internal_number
                AND d.action = 'updated'
        UNION ALL
        SELECT nd.id, d.internal_number, d.new_status, d.new_usage
          FROM public.fault_dry d JOIN public.fault_node nd ON nd.path = d.hierarchy
         WHERE d.action = 'added';
    CREATE TABLE public.fault_hash AS
        SELECT n.id AS node_id, n.name, coalesce(b.h, '') AS before_h, coalesce(a.h, '') AS after_h
          FROM public.fault_node n
          LEFT JOIN public.fault_hash_of('public.fault_before') b ON b.hierarchy_id = n.id
          LEFT JOIN public.fault_hash_of('public.fault_after') a ON a.hierarchy_id = n.id
         WHERE n.path = p_customer OR n.path LIKE p_customer || '.%';
    SELECT count(*) INTO n_dry FROM public.fault_dry;
    RETURN format('fault_prepare(%s): %s entries, %s dry-run rows (%s added, %s updated), '
                  '%s nodes of which %s change',
                  p_scope, (SELECT count(*) FROM public.fault_before), n_dry,
                  (SELECT count(*) FROM public.fault_dry WHERE action = 'added'),
                  (SELECT count(*) FROM public.fault_dry WHERE action = 'updated'),
                  (SELECT count(*) FROM public.fault_hash),
                  (SELECT count(*) FROM public.fault_hash WHERE before_h <> after_h));
END
$fn$;

CREATE OR REPLACE FUNCTION public.fault_states()
    RETURNS TABLE (node_id bigint, name text, state text)
    LANGUAGE sql AS
$fn$
    SELECT f.node_id, f.name,
           CASE WHEN cur = f.before_h AND cur = f.after_h THEN 'both'
                WHEN cur = f.before_h THEN 'before'
                WHEN cur = f.after_h THEN 'after'
                ELSE 'neither' END
      FROM public.fault_hash f
      LEFT JOIN public.fault_hash_of('numaudit.number') c ON c.hierarchy_id = f.node_id,
           LATERAL (SELECT coalesce(c.h, '')) AS x (cur)
$fn$;

-- before/after/both/neither counts, as one line.
CREATE OR REPLACE FUNCTION public.fault_state_counts()
    RETURNS text
    LANGUAGE sql AS
$fn$
    SELECT format('before=%s after=%s both=%s neither=%s',
                  count(*) FILTER (WHERE state = 'before'), count(*) FILTER (WHERE state = 'after'),
                  count(*) FILTER (WHERE state = 'both'), count(*) FILTER (WHERE state = 'neither'))
      FROM public.fault_states()
$fn$;

-- numaudit advisory locks (customer 20033, site 20034, run 20035) held or
-- awaited by anyone in this database.
CREATE OR REPLACE FUNCTION public.fault_locks()
    RETURNS bigint
    LANGUAGE sql AS
$fn$
    SELECT count(*) FROM pg_locks l
     WHERE l.locktype = 'advisory' AND l.objsubid IN (20033, 20034, 20035)
       AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
$fn$;

-- Put the inventory back as the snapshot had it (after an audit that was not
-- interrupted after all). Test code: it deletes what the audit added.
CREATE OR REPLACE FUNCTION public.fault_restore()
    RETURNS void
    LANGUAGE plpgsql AS
$fn$
BEGIN
    DELETE FROM numaudit.number n WHERE NOT EXISTS (SELECT FROM public.fault_before b WHERE b.id = n.id);
    UPDATE numaudit.number n SET status = b.status, usage = b.usage
      FROM public.fault_before b
     WHERE b.id = n.id AND (n.status, n.usage) IS DISTINCT FROM (b.status, b.usage);
END
$fn$;

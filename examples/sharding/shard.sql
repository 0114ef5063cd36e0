-- numaudit sharding example: what each shard holds besides numaudit itself.
--
-- Run once in every shard's numaudit database, after CREATE EXTENSION
-- numaudit, giving the shard's number (its PL/Proxy partition number: the
-- p<N> option of the proxy's CREATE SERVER that points at this database):
--
--   psql -d numaudit -v shard=0 -f examples/sharding/shard.sql
--
-- Schema numaudit_shard: the shard's own number, three read functions that
-- the proxy calls (inventory_summary, fleet_status and sweeps; run and uses
-- are numaudit's own), and the identity sequences moved into the shard's own
-- id range, so that ids never collide between shards and a customer can move
-- from one shard to another with its ids (README.md, "Moving a customer").
\set ON_ERROR_STOP 1

BEGIN;

CREATE SCHEMA IF NOT EXISTS numaudit_shard;

-- Which shard this database is. fleet_status reports it on every row, so a
-- proxy whose partitions point at the wrong databases is seen at once.
CREATE TABLE IF NOT EXISTS numaudit_shard.self (
    one   boolean PRIMARY KEY DEFAULT true CHECK (one),
    shard integer NOT NULL CHECK (shard >= 0)
);
INSERT INTO numaudit_shard.self (shard) VALUES (:shard)
    ON CONFLICT (one) DO UPDATE SET shard = EXCLUDED.shard;

-- Ids: shard N hands out ids from (N + 1) * 10^12 on (a sequence already
-- past that is left alone). Rows loaded with explicit ids should use the
-- shard's range too. Sweep ids too, so that a sweep is named by its id
-- alone across the fleet (a sweep stays on the shard that ran it: a moved
-- customer's audit_run rows lose their sweep_id, move_customer.sh).
SELECT pg_catalog.setval(pg_catalog.format('numaudit.%I', q.sequencename)::regclass,
                         (:shard + 1) * 1000000000000::bigint, false)
  FROM pg_catalog.pg_sequences q
 WHERE q.schemaname = 'numaudit'
   AND q.sequencename IN ('hierarchy_id_seq', 'device_id_seq', 'service_id_seq', 'number_id_seq',
                          'audit_run_id_seq', 'audit_change_id_seq', 'sweep_id_seq')
   AND coalesce(q.last_value, 0) < (:shard + 1) * 1000000000000::bigint;

-- numaudit.inventory_summary's rows of one customer, the customer given as
-- numaudit.run takes it (path, or a bare name unique on this shard): the
-- same errors as numaudit for an unknown or ambiguous customer.
CREATE OR REPLACE FUNCTION numaudit_shard.inventory_summary(customer text)
    RETURNS TABLE (customer_id bigint, customer text, site_id bigint, site text,
                   total bigint, available bigint, used bigint, used_utility bigint,
                   reserved bigint, cooling bigint, share_available numeric)
    LANGUAGE sql STABLE
    SET search_path = pg_catalog, pg_temp
    BEGIN ATOMIC
        SELECT s.customer_id, s.customer, s.site_id, s.site, s.total, s.available, s.used,
               s.used_utility, s.reserved, s.cooling, s.share_available
          FROM numaudit.inventory_summary s
         WHERE s.customer_id = numaudit._customer_id(inventory_summary.customer)
         ORDER BY s.site NULLS FIRST;
    END;

-- Every customer of this shard with its latest audit that wrote (its
-- numaudit.audit_run row of highest id); run_id and the rest NULL for a
-- customer never audited.
CREATE OR REPLACE FUNCTION numaudit_shard.fleet_status()
    RETURNS TABLE (shard integer, customer_id bigint, customer text, run_id bigint,
                   status text, mode text, scope text, entry_point text,
                   started_at timestamptz, finished_at timestamptz,
                   added bigint, updated bigint, unchanged bigint, skipped bigint,
                   conflicts bigint, error text)
    LANGUAGE sql STABLE
    SET search_path = pg_catalog, pg_temp
    BEGIN ATOMIC
        SELECT (SELECT me.shard FROM numaudit_shard.self me), c.id, numaudit._node_path(c.id),
               r.id, r.status, r.mode, r.scope, r.entry_point, r.started_at, r.finished_at,
               r.added, r.updated, r.unchanged, r.skipped, r.conflicts, r.error
          FROM numaudit.hierarchy c
          LEFT JOIN LATERAL (SELECT * FROM numaudit.audit_run a
                              WHERE a.customer_id = c.id
                              ORDER BY a.id DESC LIMIT 1) r ON true
         WHERE c.kind = 'customer'
         ORDER BY 3;
    END;

-- This shard's sweeps of CALL numaudit.audit_all (its pg_cron jobs): the
-- rows of numaudit.sweep_status with the shard's number, latest first.
CREATE OR REPLACE FUNCTION numaudit_shard.sweeps()
    RETURNS TABLE (shard integer, sweep_id bigint, under text, scope text, incremental boolean,
                   older_than interval, status text, started_at timestamptz, finished_at timestamptz,
                   started_by text, customers integer, done bigint, failed bigint, busy bigint,
                   skipped bigint, running bigint, left_to_do bigint, sessions bigint)
    LANGUAGE sql STABLE
    SET search_path = pg_catalog, pg_temp
    BEGIN ATOMIC
        SELECT (SELECT me.shard FROM numaudit_shard.self me), s.sweep_id, s.under, s.scope,
               s.incremental, s.older_than, s.status, s.started_at, s.finished_at, s.started_by,
               s.customers, s.done, s.failed, s.busy, s.skipped, s.running, s.left_to_do, s.sessions
          FROM numaudit.sweep_status s
         ORDER BY s.started_at DESC, s.sweep_id DESC;
    END;

-- The proxy connects as a role of yours (its user mapping) that may read:
-- GRANT USAGE ON SCHEMA numaudit_shard TO that role, and make it a member
-- of numaudit_auditor for run (numaudit_reader is enough for the rest).
REVOKE ALL ON FUNCTION numaudit_shard.inventory_summary(text), numaudit_shard.fleet_status(),
                       numaudit_shard.sweeps() FROM PUBLIC;

COMMIT;

-- numaudit sharding example: the proxy database.
--
-- It holds no inventory: only PL/Proxy functions, the cluster of shards and
-- the customer directory (which shard holds which customer). Every shard is
-- a PostgreSQL server of its own with numaudit and examples/sharding/shard.sql
-- installed in its database numaudit.
--
--   psql -d proxy -v shard0='host=db1 port=5432' -v shard1='host=db2 port=5432' \
--        -v shard_user=numaudit_proxy -f examples/sharding/proxy.sql
--
-- shard0, shard1: libpq connection strings of the shards, without dbname
-- (dbname=numaudit is added); shard_user: the role the proxy logs in as on
-- the shards (CREATE USER MAPPING below; add a password option or use
-- .pgpass). To add a shard, see README.md ("Adding a shard").
--
-- Needs the Debian package postgresql-15-plproxy (PL/Proxy 2.10).
\set ON_ERROR_STOP 1

BEGIN;

CREATE EXTENSION IF NOT EXISTS plproxy;
CREATE SCHEMA numaudit_proxy;

-- The cluster: partition p<N> is shard N. modular_mapping: the partition is
-- the routing value modulo the partition count, so any number of shards
-- works (without it PL/Proxy masks bits and wants a power of two). The
-- routing value is the shard number itself (numaudit_proxy.shard_of), so
-- no hashing is involved. connect_timeout bounds how long a call waits for a
-- shard that does not answer.
SELECT pg_catalog.format($$CREATE SERVER numaudit_shards FOREIGN DATA WRAPPER plproxy OPTIONS (
    modular_mapping '1',
    connection_lifetime '1800',
    p0 %L,
    p1 %L)$$,
    :'shard0' || ' dbname=numaudit connect_timeout=10',
    :'shard1' || ' dbname=numaudit connect_timeout=10') \gexec
CREATE USER MAPPING FOR PUBLIC SERVER numaudit_shards OPTIONS (user :'shard_user');

-- The directory: one row per customer, its path and the shard holding it.
-- The bare name (the path's last part) lets callers name a customer as
-- numaudit does, when only one customer on all shards has that name.
CREATE TABLE numaudit_proxy.customer_directory (
    customer   text PRIMARY KEY,
    name       text NOT NULL GENERATED ALWAYS AS (pg_catalog.regexp_replace(customer, '^.*\.', '')) STORED,
    shard      integer NOT NULL CHECK (shard >= 0),
    changed_at timestamptz NOT NULL DEFAULT pg_catalog.now()
);
CREATE INDEX customer_directory_name_idx ON numaudit_proxy.customer_directory (name);

-- How many partitions the cluster has (its p<N> options).
CREATE FUNCTION numaudit_proxy.shard_count()
    RETURNS integer
    LANGUAGE sql STABLE
    SET search_path = pg_catalog, pg_temp
    RETURN (SELECT count(*)::integer
              FROM pg_catalog.pg_foreign_server s, pg_catalog.unnest(s.srvoptions) o
             WHERE s.srvname = 'numaudit_shards' AND o ~ '^p[0-9]+=');

-- The routing function: the shard of a customer given by path or bare name.
-- Raised here, on the proxy, with numaudit's SQLSTATEs: an unknown customer
-- 42704, an ambiguous bare name 22023.
CREATE FUNCTION numaudit_proxy.shard_of(customer text)
    RETURNS integer
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    found integer[];
    paths text;
BEGIN
    IF customer IS NULL THEN
        RAISE EXCEPTION 'customer must not be NULL'
              USING ERRCODE = 'invalid_parameter_value',
                    HINT = 'Give the customer''s path (Provider.Reseller.Customer) or its name.';
    END IF;
    SELECT array_agg(d.shard ORDER BY d.customer),
           string_agg(format('"%s" (shard %s)', d.customer, d.shard), ' or ' ORDER BY d.customer)
      INTO found, paths
      FROM numaudit_proxy.customer_directory d
     WHERE d.customer = shard_of.customer;
    IF found IS NULL THEN
        SELECT array_agg(d.shard ORDER BY d.customer),
               string_agg(format('"%s" (shard %s)', d.customer, d.shard), ' or ' ORDER BY d.customer)
          INTO found, paths
          FROM numaudit_proxy.customer_directory d
         WHERE d.name = shard_of.customer;
    END IF;
    IF found IS NULL THEN
        RAISE EXCEPTION 'customer "%" does not exist', customer
              USING ERRCODE = 'undefined_object',
                    DETAIL = 'The proxy''s directory (numaudit_proxy.customer_directory) has no customer with this path or name.',
                    HINT = 'Give the customer''s path (Provider.Reseller.Customer) or its name.';
    END IF;
    IF cardinality(found) > 1 THEN
        RAISE EXCEPTION 'customer name "%" is ambiguous', customer
              USING ERRCODE = 'invalid_parameter_value',
                    DETAIL = format('%s customers on the shards have this name.', cardinality(found)),
                    HINT = format('Use the path of the customer you mean: %s.', paths);
    END IF;
    IF found[1] >= numaudit_proxy.shard_count() THEN
        RAISE EXCEPTION 'customer "%" is on shard %, which the proxy does not know', customer, found[1]
              USING ERRCODE = 'object_not_in_prerequisite_state',
                    HINT = 'Add the shard to server numaudit_shards (option p<N>) before directing customers to it.';
    END IF;
    RETURN found[1];
END
$$;

-- The routed calls, in PL/Proxy. Each runs on the shard that shard_of()
-- names, in a connection of its own in autocommit: a run with dry_run false
-- commits on the shard when it returns, whatever the caller's transaction
-- on the proxy does afterwards (a ROLLBACK there undoes nothing on the
-- shard). The shard's errors come back with their own SQLSTATE.
CREATE FUNCTION numaudit_proxy._run(customer text, scope text, sites text[], dry_run boolean,
                                    nowait boolean, incremental boolean)
    RETURNS TABLE (hierarchy text, site text, internal_number text, action text,
                   old_status text, old_usage text, new_status text, new_usage text, detail text)
    LANGUAGE plproxy AS $$
    CLUSTER 'numaudit_shards';
    RUN ON numaudit_proxy.shard_of(customer);
    TARGET numaudit.run;
$$;

CREATE FUNCTION numaudit_proxy._uses(customer text, internal_number text)
    RETURNS TABLE (kind text, name text, cluster text, "partition" text, pattern text,
                   line_index integer, status text, usage text, owner text, site text)
    LANGUAGE plproxy AS $$
    CLUSTER 'numaudit_shards';
    RUN ON numaudit_proxy.shard_of(customer);
    TARGET numaudit.uses;
$$;

CREATE FUNCTION numaudit_proxy._inventory_summary(customer text)
    RETURNS TABLE (customer_id bigint, customer text, site_id bigint, site text,
                   total bigint, available bigint, used bigint, used_utility bigint,
                   reserved bigint, cooling bigint, share_available numeric)
    LANGUAGE plproxy AS $$
    CLUSTER 'numaudit_shards';
    RUN ON numaudit_proxy.shard_of(customer);
    TARGET numaudit_shard.inventory_summary;
$$;

CREATE FUNCTION numaudit_proxy._fleet_status()
    RETURNS TABLE (shard integer, customer_id bigint, customer text, run_id bigint,
                   status text, mode text, scope text, entry_point text,
                   started_at timestamptz, finished_at timestamptz,
                   added bigint, updated bigint, unchanged bigint, skipped bigint,
                   conflicts bigint, error text)
    LANGUAGE plproxy AS $$
    CLUSTER 'numaudit_shards';
    RUN ON ALL;
    TARGET numaudit_shard.fleet_status;
$$;

CREATE FUNCTION numaudit_proxy._fleet_status_on(on_shard integer)
    RETURNS TABLE (shard integer, customer_id bigint, customer text, run_id bigint,
                   status text, mode text, scope text, entry_point text,
                   started_at timestamptz, finished_at timestamptz,
                   added bigint, updated bigint, unchanged bigint, skipped bigint,
                   conflicts bigint, error text)
    LANGUAGE plproxy AS $$
    CLUSTER 'numaudit_shards';
    RUN ON on_shard;
    SELECT * FROM numaudit_shard.fleet_status();
$$;

CREATE FUNCTION numaudit_proxy._sweeps()
    RETURNS TABLE (shard integer, sweep_id bigint, under text, scope text, incremental boolean,
                   older_than interval, status text, started_at timestamptz, finished_at timestamptz,
                   started_by text, customers integer, done bigint, failed bigint, busy bigint,
                   skipped bigint, running bigint, left_to_do bigint, sessions bigint)
    LANGUAGE plproxy AS $$
    CLUSTER 'numaudit_shards';
    RUN ON ALL;
    TARGET numaudit_shard.sweeps;
$$;

CREATE FUNCTION numaudit_proxy._sweeps_on(on_shard integer)
    RETURNS TABLE (shard integer, sweep_id bigint, under text, scope text, incremental boolean,
                   older_than interval, status text, started_at timestamptz, finished_at timestamptz,
                   started_by text, customers integer, done bigint, failed bigint, busy bigint,
                   skipped bigint, running bigint, left_to_do bigint, sessions bigint)
    LANGUAGE plproxy AS $$
    CLUSTER 'numaudit_shards';
    RUN ON on_shard;
    SELECT * FROM numaudit_shard.sweeps();
$$;

-- A shard that cannot be reached. PL/Proxy reports a failed connection as
-- SQLSTATE XX000 (internal_error) and a shard shutting down as 57P0x; the
-- public functions below turn both into 08006 (connection_failure) naming
-- the shard, with PL/Proxy's message as the detail. Any other error is
-- raised again unchanged.
CREATE FUNCTION numaudit_proxy._raise(shard integer, state text, message text, detail text, hint text)
    RETURNS void
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    IF (state = 'XX000' AND message ~ '(PQconnect|connect timeout|server closed the connection|PQconsumeInput|PQsendQuery|PQflush|no connection to the server|could not connect)')
       OR state IN ('57P01', '57P02', '57P03') THEN
        RAISE EXCEPTION '%', CASE WHEN shard IS NULL THEN 'a shard is unreachable'
                                  ELSE format('shard %s is unreachable', shard) END
              USING ERRCODE = 'connection_failure',
                    DETAIL = regexp_replace(message, '\s+$', ''),
                    HINT = 'The call did not complete on that shard: calls for customers of other shards still work. '
                           'An audit that was writing when its shard went away either committed there or not: see that shard''s numaudit.audit_run once it is back.';
    END IF;
    -- A shard's own error: as the shard raised it, without PL/Proxy's prefixes.
    message := regexp_replace(message, '^\S+\(\d+\): \[[^]]*\] REMOTE ERROR: ', '');
    detail := nullif(regexp_replace(detail, '^Remote detail: ', ''), '');
    hint := nullif(regexp_replace(hint, '^Remote hint: ', ''), '');
    IF detail IS NOT NULL AND hint IS NOT NULL THEN
        RAISE EXCEPTION USING ERRCODE = state, MESSAGE = message, DETAIL = detail, HINT = hint;
    ELSIF detail IS NOT NULL THEN
        RAISE EXCEPTION USING ERRCODE = state, MESSAGE = message, DETAIL = detail;
    ELSIF hint IS NOT NULL THEN
        RAISE EXCEPTION USING ERRCODE = state, MESSAGE = message, HINT = hint;
    END IF;
    RAISE EXCEPTION USING ERRCODE = state, MESSAGE = message;
END
$$;

-- The public functions: the same argument names, defaults and result
-- columns as on a shard.
CREATE FUNCTION numaudit_proxy.run(customer text, scope text, sites text[] DEFAULT NULL,
                                   dry_run boolean DEFAULT false, nowait boolean DEFAULT false,
                                   incremental boolean DEFAULT false)
    RETURNS TABLE (hierarchy text, site text, internal_number text, action text,
                   old_status text, old_usage text, new_status text, new_usage text, detail text)
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    state text; message text; detail_ text; hint_ text;
BEGIN
    RETURN QUERY SELECT * FROM numaudit_proxy._run(customer, scope, sites, dry_run, nowait, incremental);
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS state = RETURNED_SQLSTATE, message = MESSAGE_TEXT,
                            detail_ = PG_EXCEPTION_DETAIL, hint_ = PG_EXCEPTION_HINT;
    PERFORM numaudit_proxy._raise(CASE WHEN state IN ('XX000', '57P01', '57P02', '57P03')
                                       THEN numaudit_proxy.shard_of(customer) END,
                                  state, message, detail_, hint_);
END
$$;

CREATE FUNCTION numaudit_proxy.uses(customer text, internal_number text)
    RETURNS TABLE (kind text, name text, cluster text, "partition" text, pattern text,
                   line_index integer, status text, usage text, owner text, site text)
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    state text; message text; detail_ text; hint_ text;
BEGIN
    RETURN QUERY SELECT * FROM numaudit_proxy._uses(customer, internal_number);
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS state = RETURNED_SQLSTATE, message = MESSAGE_TEXT,
                            detail_ = PG_EXCEPTION_DETAIL, hint_ = PG_EXCEPTION_HINT;
    PERFORM numaudit_proxy._raise(CASE WHEN state IN ('XX000', '57P01', '57P02', '57P03')
                                       THEN numaudit_proxy.shard_of(customer) END,
                                  state, message, detail_, hint_);
END
$$;

-- (A row type rather than RETURNS TABLE: PL/pgSQL refuses a result column
-- named like the customer argument.)
CREATE TYPE numaudit_proxy.inventory_summary_row AS (
    customer_id bigint, customer text, site_id bigint, site text,
    total bigint, available bigint, used bigint, used_utility bigint,
    reserved bigint, cooling bigint, share_available numeric);
CREATE FUNCTION numaudit_proxy.inventory_summary(customer text)
    RETURNS SETOF numaudit_proxy.inventory_summary_row
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    state text; message text; detail_ text; hint_ text;
BEGIN
    RETURN QUERY SELECT * FROM numaudit_proxy._inventory_summary(customer);
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS state = RETURNED_SQLSTATE, message = MESSAGE_TEXT,
                            detail_ = PG_EXCEPTION_DETAIL, hint_ = PG_EXCEPTION_HINT;
    PERFORM numaudit_proxy._raise(CASE WHEN state IN ('XX000', '57P01', '57P02', '57P03')
                                       THEN numaudit_proxy.shard_of(customer) END,
                                  state, message, detail_, hint_);
END
$$;

-- Every customer of every shard with its latest audit, all shards at once.
-- All or nothing: when one shard cannot be reached the whole call fails
-- (08006); fleet_status_on(shard) asks one shard.
CREATE FUNCTION numaudit_proxy.fleet_status()
    RETURNS TABLE (shard integer, customer_id bigint, customer text, run_id bigint,
                   status text, mode text, scope text, entry_point text,
                   started_at timestamptz, finished_at timestamptz,
                   added bigint, updated bigint, unchanged bigint, skipped bigint,
                   conflicts bigint, error text)
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    state text; message text; detail_ text; hint_ text;
BEGIN
    RETURN QUERY SELECT * FROM numaudit_proxy._fleet_status();
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS state = RETURNED_SQLSTATE, message = MESSAGE_TEXT,
                            detail_ = PG_EXCEPTION_DETAIL, hint_ = PG_EXCEPTION_HINT;
    PERFORM numaudit_proxy._raise(NULL, state, message, detail_, hint_);
END
$$;

CREATE FUNCTION numaudit_proxy.fleet_status_on(shard_number integer)
    RETURNS TABLE (shard integer, customer_id bigint, customer text, run_id bigint,
                   status text, mode text, scope text, entry_point text,
                   started_at timestamptz, finished_at timestamptz,
                   added bigint, updated bigint, unchanged bigint, skipped bigint,
                   conflicts bigint, error text)
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    state text; message text; detail_ text; hint_ text;
BEGIN
    IF fleet_status_on.shard_number IS NULL OR fleet_status_on.shard_number < 0
       OR fleet_status_on.shard_number >= numaudit_proxy.shard_count() THEN
        RAISE EXCEPTION 'no shard %', fleet_status_on.shard_number
              USING ERRCODE = 'undefined_object',
                    HINT = format('Shards are numbered 0 to %s.', numaudit_proxy.shard_count() - 1);
    END IF;
    RETURN QUERY SELECT * FROM numaudit_proxy._fleet_status_on(fleet_status_on.shard_number);
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS state = RETURNED_SQLSTATE, message = MESSAGE_TEXT,
                            detail_ = PG_EXCEPTION_DETAIL, hint_ = PG_EXCEPTION_HINT;
    PERFORM numaudit_proxy._raise(fleet_status_on.shard_number, state, message, detail_, hint_);
END
$$;

-- Every shard's sweeps of CALL numaudit.audit_all (numaudit.sweep_status
-- with the shard's number), latest first. All or nothing like fleet_status
-- (08006 when a shard cannot be reached); sweeps_on(shard) asks one shard.
CREATE FUNCTION numaudit_proxy.sweeps()
    RETURNS TABLE (shard integer, sweep_id bigint, under text, scope text, incremental boolean,
                   older_than interval, status text, started_at timestamptz, finished_at timestamptz,
                   started_by text, customers integer, done bigint, failed bigint, busy bigint,
                   skipped bigint, running bigint, left_to_do bigint, sessions bigint)
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    state text; message text; detail_ text; hint_ text;
BEGIN
    RETURN QUERY SELECT * FROM numaudit_proxy._sweeps() s ORDER BY s.started_at DESC, s.shard, s.sweep_id DESC;
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS state = RETURNED_SQLSTATE, message = MESSAGE_TEXT,
                            detail_ = PG_EXCEPTION_DETAIL, hint_ = PG_EXCEPTION_HINT;
    PERFORM numaudit_proxy._raise(NULL, state, message, detail_, hint_);
END
$$;

CREATE FUNCTION numaudit_proxy.sweeps_on(shard_number integer)
    RETURNS TABLE (shard integer, sweep_id bigint, under text, scope text, incremental boolean,
                   older_than interval, status text, started_at timestamptz, finished_at timestamptz,
                   started_by text, customers integer, done bigint, failed bigint, busy bigint,
                   skipped bigint, running bigint, left_to_do bigint, sessions bigint)
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    state text; message text; detail_ text; hint_ text;
BEGIN
    IF sweeps_on.shard_number IS NULL OR sweeps_on.shard_number < 0
       OR sweeps_on.shard_number >= numaudit_proxy.shard_count() THEN
        RAISE EXCEPTION 'no shard %', sweeps_on.shard_number
              USING ERRCODE = 'undefined_object',
                    HINT = format('Shards are numbered 0 to %s.', numaudit_proxy.shard_count() - 1);
    END IF;
    RETURN QUERY SELECT * FROM numaudit_proxy._sweeps_on(sweeps_on.shard_number);
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS state = RETURNED_SQLSTATE, message = MESSAGE_TEXT,
                            detail_ = PG_EXCEPTION_DETAIL, hint_ = PG_EXCEPTION_HINT;
    PERFORM numaudit_proxy._raise(sweeps_on.shard_number, state, message, detail_, hint_);
END
$$;

-- Callers need USAGE on the schema and the server and EXECUTE on the public
-- functions, e.g.:
--   GRANT USAGE ON SCHEMA numaudit_proxy TO app;
--   GRANT USAGE ON FOREIGN SERVER numaudit_shards TO app;
--   GRANT EXECUTE ON FUNCTION numaudit_proxy.uses(text, text) TO app;
REVOKE ALL ON ALL FUNCTIONS IN SCHEMA numaudit_proxy FROM PUBLIC;

COMMIT;

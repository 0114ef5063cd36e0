-- numaudit 0.3.0 -> 0.4.0: looking numbers up by how they read. Indexes on
-- device_line.pattern, service.pattern and number.internal_number as the
-- audit reads them, and numaudit.uses() finding a number's uses through
-- them. CREATE EXTENSION numaudit installs 0.4.0 by running the 0.1.0
-- script and the update scripts in turn, so each object has one definition.
\echo Use "ALTER EXTENSION numaudit UPDATE TO '0.4.0'" to load this file. \quit

--
-- The read-number indexes.
--
-- The key is the text without its surrounding spaces, tabs, CR and LF (what
-- the reader drops, SPEC §3 "Reading numbers"), cut to 60 characters. A
-- pattern or entry that reads as the number N has the key N, or \N when it
-- is written with a leading "\+" (N then begins with "+"): a lookup by
-- number asks for both keys and numaudit.pattern_number() decides exactly.
-- A number is at most 52 characters so written, so the cut never changes the
-- key of one, and keeps the key of any other text small (a 1 MB pattern
-- indexes 60 characters).
--
-- The key uses only pg_catalog's functions, which every role may execute:
-- an index evaluates its expression with the privileges of whoever writes
-- the row, and numaudit's own functions (pattern_number included) are not
-- granted to PUBLIC, so an index on them would refuse the inserts of a
-- loader granted only its tables.
CREATE INDEX device_line_pattern_read_idx
    ON numaudit.device_line (pg_catalog."left"(pg_catalog.btrim(pattern, E' \t\n\r'), 60));
CREATE INDEX service_pattern_read_idx
    ON numaudit.service (pg_catalog."left"(pg_catalog.btrim(pattern, E' \t\n\r'), 60));
CREATE INDEX number_internal_number_read_idx
    ON numaudit.number (pg_catalog."left"(pg_catalog.btrim(internal_number, E' \t\n\r'), 60),
                        hierarchy_id);

--
-- uses(): a number's uses by their read number first (the indexes above),
-- then those owned by the customer or one of its sites. Same result, order
-- and errors as 0.3.0; its privileges and comment are kept.
--
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
    keys text[];
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
    -- The index keys a pattern reading as this number can have: the number,
    -- or the number written with a leading "\+".
    keys := ARRAY[wanted, E'\\' || wanted];
    RETURN QUERY
    WITH owner_node AS (
        SELECT c.id, NULL::text AS site FROM numaudit.hierarchy c WHERE c.id = customer_node
        UNION ALL
        SELECT s.id, s.name FROM numaudit.hierarchy s
         WHERE s.parent_id = customer_node AND s.kind = 'site'),
    found AS (
        SELECT d.kind, d.name, d.cluster, l.partition, l.pattern, l.line_index, d.hierarchy_id AS node
          FROM numaudit.device_line l
          JOIN numaudit.device d ON d.id = l.device_id
         WHERE left(btrim(l.pattern, E' \t\n\r'), 60) = ANY (keys)
           AND numaudit.pattern_number(l.pattern) = wanted
        UNION ALL
        SELECT v.kind, v.name, v.cluster, v.partition, v.pattern, NULL, v.hierarchy_id
          FROM numaudit.service v
         WHERE left(btrim(v.pattern, E' \t\n\r'), 60) = ANY (keys)
           AND numaudit.pattern_number(v.pattern) = wanted)
    SELECT f.kind, f.name, f.cluster, f.partition, f.pattern, f.line_index, k.status, k.usage,
           numaudit._node_path(f.node), o.site
      FROM found f
      JOIN owner_node o ON o.id = f.node
      JOIN numaudit.usage_kind k ON k.kind = f.kind
     ORDER BY o.site NULLS FIRST, k.rank, f.cluster, f.name, f.line_index, f.pattern, f.partition;
END
$$;

--
-- Incremental audits (SPEC §4): what changed since a customer's last audit
-- of a scope, kept by statement-level triggers on every table an audit reads.
--
-- A customer's changes are marks in pending_change, written by the
-- statement that made them, in its transaction: a mark becomes visible when
-- the change does. An audit reads the marks with the data, and on commit
-- consumes exactly the marks it saw (by the transactions that wrote them),
-- so a change committed meanwhile stays pending for the next audit. Design:
-- docs/INCREMENTAL_DESIGN.md.
--

-- Changes no mark can tie to customers (a usage kind, a TRUNCATE) move the
-- epoch on; a baseline taken at an older epoch is no baseline. An update of
-- this one row, so that it becomes visible when that change commits.
CREATE TABLE numaudit.tracking_epoch (
    one   boolean PRIMARY KEY DEFAULT true CHECK (one),
    epoch bigint NOT NULL DEFAULT 0
);
INSERT INTO numaudit.tracking_epoch DEFAULT VALUES;

-- A customer's baselines: its last committed audit of scope customer, and of
-- scope site over all its sites (all_sites), since which every change is
-- tracked. Written by the audit that establishes or renews it.
CREATE TABLE numaudit.baseline (
    customer_id    bigint NOT NULL REFERENCES numaudit.hierarchy (id) ON DELETE CASCADE,
    scope          text NOT NULL CHECK (scope IN ('customer', 'all_sites')),
    run_id         bigint NOT NULL,
    mode           text NOT NULL CHECK (mode IN ('full', 'incremental')),
    epoch          bigint NOT NULL,
    entries        bigint NOT NULL,
    established_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    PRIMARY KEY (customer_id, scope)
);

-- One mark per changed number, device or customer, per statement:
--  * number_key: the read-number index key (device_line_pattern_read_idx's
--    expression) of a changed pattern or internal number;
--  * device_kind, device_name: a changed device's key (the duplicate-device
--    rule compares every device of one kind and name);
--  * whole: a change of the customer itself (its tree, its settings) or one
--    too large to keep key by key: the next audit of each scope is full;
--  * device_id on a device's key mark (number_key NULL): the device, so
--    that its lines deleted by cascade, whose trigger fires after the
--    device's own, find its customer and key (the line trigger's lookup);
--  * customer_id NULL, device_id set: a line whose device was already gone
--    and left no key mark in this transaction (the device's own trigger
--    fills in the customer if it fires later; otherwise the device was gone
--    before, and the line was never read by any audit);
--  * xact: the transaction that wrote it; seen_*: consumed by the baseline
--    of that scope (a mark is deleted once no baseline still needs it).
CREATE TABLE numaudit.pending_change (
    customer_id    bigint,
    xact           xid8 NOT NULL DEFAULT pg_catalog.pg_current_xact_id(),
    number_key     text,
    device_kind    text,
    device_name    text,
    device_id      bigint,
    whole          boolean NOT NULL DEFAULT false,
    seen_customer  boolean NOT NULL DEFAULT false,
    seen_all_sites boolean NOT NULL DEFAULT false
);
CREATE INDEX pending_change_customer_idx ON numaudit.pending_change (customer_id, xact);
CREATE INDEX pending_change_unresolved_idx ON numaudit.pending_change (device_id)
    WHERE device_id IS NOT NULL;

-- Whole marks, which the sweep looks through (few: each is consumed by the
-- customer's next audit, or swept).
CREATE INDEX pending_change_whole_idx ON numaudit.pending_change (customer_id) WHERE whole;

-- The copies of a device (one kind and name in several clusters), found by key.
CREATE INDEX device_kind_name_idx ON numaudit.device (kind, name);

-- Which mode an audit ran in: incremental, or full (always, for chosen sites).
ALTER TABLE numaudit.audit_run
    ADD COLUMN mode text NOT NULL DEFAULT 'full' CHECK (mode IN ('full', 'incremental'));

--
-- The tracking triggers. Statement-level, with transition tables: one
-- set-based insert per statement, whatever its size (COPY included). They
-- run as the extension's owner, so that every role's changes are tracked
-- without a grant on the tracking tables, and fire ALWAYS, so that logical
-- replication apply and session_replication_role = replica are tracked too.
--

-- Each trigger of device_line, device, service and number records the marks
-- of its statement in one INSERT ... SELECT straight from the transition
-- tables (the CTE r: one row per changed row and side; c: its customers,
-- with their baseline's entries, NULL without a baseline; m: the distinct marks of the
-- customers with a baseline, so that a customer without one costs no key
-- set; per: how many keys each of those got). device_line's trigger finds
-- the customers from the statement's distinct devices first (dev: one probe
-- per device, not per line), joins the lines back only for customers with a
-- baseline (k), counts their distinct keys without keeping them (per), and
-- builds the keys again only for the customers within the bound (ok): a
-- bulk load beyond it writes one whole mark and keeps no key set. A customer
-- with more distinct device keys (kind, name) in the statement than the
-- bound has more keys too (each brings its lines' own): its lines are not
-- joined back at all.
-- Keyed marks for a customer with a baseline, as long as the statement
-- touches no more of its keys than greatest(1000, entries / 40), entries the
-- larger of its baselines' (bigint division): half the share at which an
-- incremental audit runs full (tracking.cpp, kIncrementalFloor and
-- kDefaultIncrementalShare = 20 in settings.hpp). Otherwise one whole mark:
-- the next audit of that customer is full. A statement that large is a bulk
-- change, and at the lower bound a bulk load's distinct device keys alone
-- exceed it (no key set built: docs/PERFORMANCE.md, "Tracking on bulk loads");
-- smaller statements add up to the audit's own switch.
-- Customers without a baseline get one whole mark: an audit establishing the
-- first baseline may be running.
-- The same tail in every trigger, written out: a helper taking the marks as
-- arrays cost a function call, the arrays built and unnested again, and the
-- helper's own SET search_path on every statement (docs/PERFORMANCE.md,
-- "Incremental audits"). PL/pgSQL, not SQL-standard bodies: PL/pgSQL keeps
-- each statement's plan for the session, where a SQL function is planned
-- again on every call.

-- Whole marks for these customers (a change to their tree or settings).
CREATE FUNCTION numaudit._track_whole(customer_ids bigint[])
    RETURNS void
    LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
    SET search_path = pg_catalog, pg_temp
    AS $$
    BEGIN
        INSERT INTO numaudit.pending_change (customer_id, whole)
        SELECT DISTINCT c, true FROM unnest(customer_ids) AS c
         WHERE c IS NOT NULL
           -- one whole mark per customer and transaction is enough
           AND NOT EXISTS (SELECT FROM numaudit.pending_change p
                            WHERE p.customer_id = c AND p.whole AND p.xact = pg_current_xact_id());
    END
    $$;

-- The customer a device, service or entry belongs to: its owner, or its
-- owner's parent when the owner is a site. (NULL when the owner is unknown.)
CREATE FUNCTION numaudit._customer_of(kind text, id bigint, parent_id bigint)
    RETURNS bigint
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN CASE WHEN kind = 'site' THEN parent_id ELSE id END;

-- device_line: the read number of the old and new pattern, with the device's
-- key, at its customer. A line whose device is gone: the customer and key of
-- a device deleted earlier in this transaction, from the key mark its delete
-- left (a cascaded delete of its lines fires their trigger after the
-- device's own, when the device row is gone); else the line is kept by
-- device_id for the device's trigger below.
CREATE FUNCTION numaudit._track_device_line()
    RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        WITH ids AS (
            SELECT DISTINCT l.device_id FROM new_rows l),
        dev AS (
            SELECT i.device_id,
                   coalesce(numaudit._customer_of(h.kind, h.id, h.parent_id), g.customer_id) AS customer_id,
                   coalesce(d.kind, g.device_kind) AS device_kind,
                   coalesce(d.name, g.device_name) AS device_name
              FROM ids i
              LEFT JOIN numaudit.device d ON d.id = i.device_id
              LEFT JOIN numaudit.hierarchy h ON h.id = d.hierarchy_id
              -- A device deleted earlier in this transaction: its customer and
              -- key, from the key mark its delete left (with its id). Only
              -- when the device row is gone (a one-time filter, not a call
              -- per device).
              LEFT JOIN LATERAL (
                  SELECT p.customer_id, p.device_kind, p.device_name
                    FROM numaudit.pending_change p
                   WHERE d.id IS NULL AND p.device_id = i.device_id AND p.customer_id IS NOT NULL
                     AND p.number_key IS NULL AND p.xact = pg_current_xact_id()
                   LIMIT 1) g ON true),
        c AS (
            SELECT x.customer_id, count(*) AS device_keys,
                   (SELECT max(b.entries) FROM numaudit.baseline b
                     WHERE b.customer_id = x.customer_id) AS entries
              FROM (SELECT DISTINCT dev.customer_id, dev.device_kind, dev.device_name
                      FROM dev WHERE dev.customer_id IS NOT NULL) x
             GROUP BY x.customer_id),
        -- Each device key brings at least one key of its own: more device
        -- keys than the bound, and the lines need not be looked at.
        k AS (
            SELECT dev.customer_id, dev.device_id, dev.device_kind, dev.device_name
              FROM dev LEFT JOIN c ON c.customer_id = dev.customer_id
             WHERE dev.customer_id IS NULL
                OR (c.entries IS NOT NULL AND c.device_keys <= greatest(1000, c.entries / 40))),
        per AS (
            SELECT x.customer_id, count(*) AS n
              FROM (SELECT DISTINCT k.customer_id, left(btrim(l.pattern, E' \t\n\r'), 60), k.device_kind,
                           k.device_name, CASE WHEN k.customer_id IS NULL THEN l.device_id END
                      FROM k JOIN new_rows l ON l.device_id = k.device_id) x (customer_id)
             GROUP BY x.customer_id),
        ok AS (
            SELECT per.customer_id FROM per LEFT JOIN c ON c.customer_id = per.customer_id
             WHERE per.customer_id IS NULL OR per.n <= greatest(1000, c.entries / 40))
        INSERT INTO numaudit.pending_change (customer_id, number_key, device_kind, device_name,
                                             device_id, whole)
        SELECT DISTINCT r.customer_id, r.number_key, r.device_kind, r.device_name,
               CASE WHEN r.customer_id IS NULL OR r.number_key IS NULL THEN r.device_id END, false
          FROM (SELECT k.customer_id, left(btrim(l.pattern, E' \t\n\r'), 60) AS number_key,
                       k.device_kind, k.device_name, l.device_id
                  FROM k JOIN ok ON k.customer_id IS NOT DISTINCT FROM ok.customer_id
                  JOIN new_rows l ON l.device_id = k.device_id) r
        UNION ALL
        SELECT c.customer_id, NULL, NULL, NULL, NULL, true
          FROM c LEFT JOIN per ON per.customer_id = c.customer_id
         WHERE (c.entries IS NULL OR c.device_keys > greatest(1000, c.entries / 40)
                OR per.n > greatest(1000, c.entries / 40))
           AND NOT EXISTS (SELECT FROM numaudit.pending_change p
                            WHERE p.customer_id = c.customer_id AND p.whole
                              AND p.xact = pg_current_xact_id());
    ELSIF TG_OP = 'DELETE' THEN
        WITH ids AS (
            SELECT DISTINCT l.device_id FROM old_rows l),
        dev AS (
            SELECT i.device_id,
                   coalesce(numaudit._customer_of(h.kind, h.id, h.parent_id), g.customer_id) AS customer_id,
                   coalesce(d.kind, g.device_kind) AS device_kind,
                   coalesce(d.name, g.device_name) AS device_name
              FROM ids i
              LEFT JOIN numaudit.device d ON d.id = i.device_id
              LEFT JOIN numaudit.hierarchy h ON h.id = d.hierarchy_id
              -- A device deleted earlier in this transaction: its customer and
              -- key, from the key mark its delete left (with its id). Only
              -- when the device row is gone (a one-time filter, not a call
              -- per device).
              LEFT JOIN LATERAL (
                  SELECT p.customer_id, p.device_kind, p.device_name
                    FROM numaudit.pending_change p
                   WHERE d.id IS NULL AND p.device_id = i.device_id AND p.customer_id IS NOT NULL
                     AND p.number_key IS NULL AND p.xact = pg_current_xact_id()
                   LIMIT 1) g ON true),
        c AS (
            SELECT x.customer_id, count(*) AS device_keys,
                   (SELECT max(b.entries) FROM numaudit.baseline b
                     WHERE b.customer_id = x.customer_id) AS entries
              FROM (SELECT DISTINCT dev.customer_id, dev.device_kind, dev.device_name
                      FROM dev WHERE dev.customer_id IS NOT NULL) x
             GROUP BY x.customer_id),
        -- Each device key brings at least one key of its own: more device
        -- keys than the bound, and the lines need not be looked at.
        k AS (
            SELECT dev.customer_id, dev.device_id, dev.device_kind, dev.device_name
              FROM dev LEFT JOIN c ON c.customer_id = dev.customer_id
             WHERE dev.customer_id IS NULL
                OR (c.entries IS NOT NULL AND c.device_keys <= greatest(1000, c.entries / 40))),
        per AS (
            SELECT x.customer_id, count(*) AS n
              FROM (SELECT DISTINCT k.customer_id, left(btrim(l.pattern, E' \t\n\r'), 60), k.device_kind,
                           k.device_name, CASE WHEN k.customer_id IS NULL THEN l.device_id END
                      FROM k JOIN old_rows l ON l.device_id = k.device_id) x (customer_id)
             GROUP BY x.customer_id),
        ok AS (
            SELECT per.customer_id FROM per LEFT JOIN c ON c.customer_id = per.customer_id
             WHERE per.customer_id IS NULL OR per.n <= greatest(1000, c.entries / 40))
        INSERT INTO numaudit.pending_change (customer_id, number_key, device_kind, device_name,
                                             device_id, whole)
        SELECT DISTINCT r.customer_id, r.number_key, r.device_kind, r.device_name,
               CASE WHEN r.customer_id IS NULL OR r.number_key IS NULL THEN r.device_id END, false
          FROM (SELECT k.customer_id, left(btrim(l.pattern, E' \t\n\r'), 60) AS number_key,
                       k.device_kind, k.device_name, l.device_id
                  FROM k JOIN ok ON k.customer_id IS NOT DISTINCT FROM ok.customer_id
                  JOIN old_rows l ON l.device_id = k.device_id) r
        UNION ALL
        SELECT c.customer_id, NULL, NULL, NULL, NULL, true
          FROM c LEFT JOIN per ON per.customer_id = c.customer_id
         WHERE (c.entries IS NULL OR c.device_keys > greatest(1000, c.entries / 40)
                OR per.n > greatest(1000, c.entries / 40))
           AND NOT EXISTS (SELECT FROM numaudit.pending_change p
                            WHERE p.customer_id = c.customer_id AND p.whole
                              AND p.xact = pg_current_xact_id());
    ELSE
        WITH ids AS (
            SELECT o.device_id FROM old_rows o
            UNION
            SELECT n.device_id FROM new_rows n),
        dev AS (
            SELECT i.device_id,
                   coalesce(numaudit._customer_of(h.kind, h.id, h.parent_id), g.customer_id) AS customer_id,
                   coalesce(d.kind, g.device_kind) AS device_kind,
                   coalesce(d.name, g.device_name) AS device_name
              FROM ids i
              LEFT JOIN numaudit.device d ON d.id = i.device_id
              LEFT JOIN numaudit.hierarchy h ON h.id = d.hierarchy_id
              -- A device deleted earlier in this transaction: its customer and
              -- key, from the key mark its delete left (with its id). Only
              -- when the device row is gone (a one-time filter, not a call
              -- per device).
              LEFT JOIN LATERAL (
                  SELECT p.customer_id, p.device_kind, p.device_name
                    FROM numaudit.pending_change p
                   WHERE d.id IS NULL AND p.device_id = i.device_id AND p.customer_id IS NOT NULL
                     AND p.number_key IS NULL AND p.xact = pg_current_xact_id()
                   LIMIT 1) g ON true),
        c AS (
            SELECT x.customer_id, count(*) AS device_keys,
                   (SELECT max(b.entries) FROM numaudit.baseline b
                     WHERE b.customer_id = x.customer_id) AS entries
              FROM (SELECT DISTINCT dev.customer_id, dev.device_kind, dev.device_name
                      FROM dev WHERE dev.customer_id IS NOT NULL) x
             GROUP BY x.customer_id),
        -- Each device key brings at least one key of its own: more device
        -- keys than the bound, and the lines need not be looked at.
        k AS (
            SELECT dev.customer_id, dev.device_id, dev.device_kind, dev.device_name
              FROM dev LEFT JOIN c ON c.customer_id = dev.customer_id
             WHERE dev.customer_id IS NULL
                OR (c.entries IS NOT NULL AND c.device_keys <= greatest(1000, c.entries / 40))),
        per AS (
            SELECT x.customer_id, count(*) AS n
              FROM (SELECT DISTINCT k.customer_id, left(btrim(l.pattern, E' \t\n\r'), 60), k.device_kind,
                           k.device_name, CASE WHEN k.customer_id IS NULL THEN l.device_id END
                      FROM k JOIN (SELECT o.device_id, o.pattern FROM old_rows o
                               UNION ALL
                               SELECT n.device_id, n.pattern FROM new_rows n) l ON l.device_id = k.device_id) x (customer_id)
             GROUP BY x.customer_id),
        ok AS (
            SELECT per.customer_id FROM per LEFT JOIN c ON c.customer_id = per.customer_id
             WHERE per.customer_id IS NULL OR per.n <= greatest(1000, c.entries / 40))
        INSERT INTO numaudit.pending_change (customer_id, number_key, device_kind, device_name,
                                             device_id, whole)
        SELECT DISTINCT r.customer_id, r.number_key, r.device_kind, r.device_name,
               CASE WHEN r.customer_id IS NULL OR r.number_key IS NULL THEN r.device_id END, false
          FROM (SELECT k.customer_id, left(btrim(l.pattern, E' \t\n\r'), 60) AS number_key,
                       k.device_kind, k.device_name, l.device_id
                  FROM k JOIN ok ON k.customer_id IS NOT DISTINCT FROM ok.customer_id
                  JOIN (SELECT o.device_id, o.pattern FROM old_rows o
                               UNION ALL
                               SELECT n.device_id, n.pattern FROM new_rows n) l ON l.device_id = k.device_id) r
        UNION ALL
        SELECT c.customer_id, NULL, NULL, NULL, NULL, true
          FROM c LEFT JOIN per ON per.customer_id = c.customer_id
         WHERE (c.entries IS NULL OR c.device_keys > greatest(1000, c.entries / 40)
                OR per.n > greatest(1000, c.entries / 40))
           AND NOT EXISTS (SELECT FROM numaudit.pending_change p
                            WHERE p.customer_id = c.customer_id AND p.whole
                              AND p.xact = pg_current_xact_id());
    END IF;
    RETURN NULL;
END
$$;

-- device: its key and the read numbers of all its lines, at the old and the
-- new owner's customer (a rename, a move between clusters, sites or
-- customers marks both sides). A deleted device first gives its customer and
-- key to the marks its cascaded lines left unresolved.
CREATE FUNCTION numaudit._track_device()
    RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        UPDATE numaudit.pending_change p
           SET customer_id = numaudit._customer_of(h.kind, h.id, h.parent_id),
               device_kind = o.kind, device_name = o.name, device_id = NULL
          FROM old_rows o
          LEFT JOIN numaudit.hierarchy h ON h.id = o.hierarchy_id
         WHERE p.customer_id IS NULL AND p.device_id = o.id
           AND p.xact = pg_current_xact_id();
        WITH r AS (
            SELECT numaudit._customer_of(h.kind, h.id, h.parent_id) AS customer_id,
                   k.number_key AS number_key,
                   o.kind AS device_kind,
                   o.name AS device_name,
                   o.id AS device_id
               FROM old_rows o
               LEFT JOIN numaudit.hierarchy h ON h.id = o.hierarchy_id
               CROSS JOIN LATERAL (
                   SELECT NULL::text AS number_key
                   UNION ALL
                   SELECT left(btrim(l.pattern, E' \t\n\r'), 60)
                     FROM numaudit.device_line l WHERE l.device_id = o.id) k),
        c AS (
            SELECT r.customer_id,
                   (SELECT max(b.entries) FROM numaudit.baseline b
                     WHERE b.customer_id = r.customer_id) AS entries
              FROM r WHERE r.customer_id IS NOT NULL GROUP BY r.customer_id),
        m AS (
            SELECT DISTINCT r.customer_id, r.number_key, r.device_kind, r.device_name,
                   CASE WHEN r.customer_id IS NULL OR r.number_key IS NULL THEN r.device_id END AS device_id
              FROM r LEFT JOIN c ON c.customer_id = r.customer_id
             WHERE (r.customer_id IS NULL AND r.device_id IS NOT NULL) OR c.entries IS NOT NULL),
        per AS (
            SELECT m.customer_id, count(*) AS n FROM m WHERE m.customer_id IS NOT NULL GROUP BY m.customer_id)
        INSERT INTO numaudit.pending_change (customer_id, number_key, device_kind, device_name,
                                             device_id, whole)
        SELECT m.customer_id, m.number_key, m.device_kind, m.device_name, m.device_id, false
          FROM m LEFT JOIN per ON per.customer_id = m.customer_id
                 LEFT JOIN c ON c.customer_id = m.customer_id
         WHERE m.customer_id IS NULL OR per.n <= greatest(1000, c.entries / 40)
        UNION ALL
        SELECT c.customer_id, NULL, NULL, NULL, NULL, true
          FROM c LEFT JOIN per ON per.customer_id = c.customer_id
         WHERE (c.entries IS NULL OR per.n > greatest(1000, c.entries / 40))
           AND NOT EXISTS (SELECT FROM numaudit.pending_change p
                            WHERE p.customer_id = c.customer_id AND p.whole
                              AND p.xact = pg_current_xact_id());
    ELSIF TG_OP = 'INSERT' THEN
        -- Lines already there (a deferred foreign key, replication apply)
        -- count from now on.
        WITH r AS (
            SELECT numaudit._customer_of(h.kind, h.id, h.parent_id) AS customer_id,
                   k.number_key AS number_key,
                   d.kind AS device_kind,
                   d.name AS device_name,
                   d.id AS device_id
               FROM new_rows d
               LEFT JOIN numaudit.hierarchy h ON h.id = d.hierarchy_id
               CROSS JOIN LATERAL (
                   SELECT NULL::text AS number_key
                   UNION ALL
                   SELECT left(btrim(l.pattern, E' \t\n\r'), 60)
                     FROM numaudit.device_line l WHERE l.device_id = d.id) k),
        c AS (
            SELECT r.customer_id,
                   (SELECT max(b.entries) FROM numaudit.baseline b
                     WHERE b.customer_id = r.customer_id) AS entries
              FROM r WHERE r.customer_id IS NOT NULL GROUP BY r.customer_id),
        m AS (
            SELECT DISTINCT r.customer_id, r.number_key, r.device_kind, r.device_name,
                   CASE WHEN r.customer_id IS NULL OR r.number_key IS NULL THEN r.device_id END AS device_id
              FROM r LEFT JOIN c ON c.customer_id = r.customer_id
             WHERE (r.customer_id IS NULL AND r.device_id IS NOT NULL) OR c.entries IS NOT NULL),
        per AS (
            SELECT m.customer_id, count(*) AS n FROM m WHERE m.customer_id IS NOT NULL GROUP BY m.customer_id)
        INSERT INTO numaudit.pending_change (customer_id, number_key, device_kind, device_name,
                                             device_id, whole)
        SELECT m.customer_id, m.number_key, m.device_kind, m.device_name, m.device_id, false
          FROM m LEFT JOIN per ON per.customer_id = m.customer_id
                 LEFT JOIN c ON c.customer_id = m.customer_id
         WHERE m.customer_id IS NULL OR per.n <= greatest(1000, c.entries / 40)
        UNION ALL
        SELECT c.customer_id, NULL, NULL, NULL, NULL, true
          FROM c LEFT JOIN per ON per.customer_id = c.customer_id
         WHERE (c.entries IS NULL OR per.n > greatest(1000, c.entries / 40))
           AND NOT EXISTS (SELECT FROM numaudit.pending_change p
                            WHERE p.customer_id = c.customer_id AND p.whole
                              AND p.xact = pg_current_xact_id());
    ELSE
        WITH r AS (
            SELECT numaudit._customer_of(h.kind, h.id, h.parent_id) AS customer_id,
                   k.number_key AS number_key,
                   d.kind AS device_kind,
                   d.name AS device_name,
                   d.id AS device_id
               FROM (SELECT n.id, n.hierarchy_id, n.kind, n.name FROM new_rows n
                     UNION ALL
                     SELECT o.id, o.hierarchy_id, o.kind, o.name FROM old_rows o) d
               LEFT JOIN numaudit.hierarchy h ON h.id = d.hierarchy_id
               CROSS JOIN LATERAL (
                   SELECT NULL::text AS number_key
                   UNION ALL
                   SELECT left(btrim(l.pattern, E' \t\n\r'), 60)
                     FROM numaudit.device_line l WHERE l.device_id = d.id) k),
        c AS (
            SELECT r.customer_id,
                   (SELECT max(b.entries) FROM numaudit.baseline b
                     WHERE b.customer_id = r.customer_id) AS entries
              FROM r WHERE r.customer_id IS NOT NULL GROUP BY r.customer_id),
        m AS (
            SELECT DISTINCT r.customer_id, r.number_key, r.device_kind, r.device_name,
                   CASE WHEN r.customer_id IS NULL OR r.number_key IS NULL THEN r.device_id END AS device_id
              FROM r LEFT JOIN c ON c.customer_id = r.customer_id
             WHERE (r.customer_id IS NULL AND r.device_id IS NOT NULL) OR c.entries IS NOT NULL),
        per AS (
            SELECT m.customer_id, count(*) AS n FROM m WHERE m.customer_id IS NOT NULL GROUP BY m.customer_id)
        INSERT INTO numaudit.pending_change (customer_id, number_key, device_kind, device_name,
                                             device_id, whole)
        SELECT m.customer_id, m.number_key, m.device_kind, m.device_name, m.device_id, false
          FROM m LEFT JOIN per ON per.customer_id = m.customer_id
                 LEFT JOIN c ON c.customer_id = m.customer_id
         WHERE m.customer_id IS NULL OR per.n <= greatest(1000, c.entries / 40)
        UNION ALL
        SELECT c.customer_id, NULL, NULL, NULL, NULL, true
          FROM c LEFT JOIN per ON per.customer_id = c.customer_id
         WHERE (c.entries IS NULL OR per.n > greatest(1000, c.entries / 40))
           AND NOT EXISTS (SELECT FROM numaudit.pending_change p
                            WHERE p.customer_id = c.customer_id AND p.whole
                              AND p.xact = pg_current_xact_id());
    END IF;
    RETURN NULL;
END
$$;

-- service: the read number of the old and new pattern, at the old and new
-- owner's customer.
CREATE FUNCTION numaudit._track_service()
    RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        WITH r AS (
            SELECT numaudit._customer_of(h.kind, h.id, h.parent_id) AS customer_id,
                   left(btrim(s.pattern, E' \t\n\r'), 60) AS number_key,
                   NULL::text AS device_kind,
                   NULL::text AS device_name,
                   NULL::bigint AS device_id
               FROM new_rows s LEFT JOIN numaudit.hierarchy h ON h.id = s.hierarchy_id),
        c AS (
            SELECT r.customer_id,
                   (SELECT max(b.entries) FROM numaudit.baseline b
                     WHERE b.customer_id = r.customer_id) AS entries
              FROM r WHERE r.customer_id IS NOT NULL GROUP BY r.customer_id),
        m AS (
            SELECT DISTINCT r.customer_id, r.number_key, r.device_kind, r.device_name,
                   CASE WHEN r.customer_id IS NULL OR r.number_key IS NULL THEN r.device_id END AS device_id
              FROM r LEFT JOIN c ON c.customer_id = r.customer_id
             WHERE (r.customer_id IS NULL AND r.device_id IS NOT NULL) OR c.entries IS NOT NULL),
        per AS (
            SELECT m.customer_id, count(*) AS n FROM m WHERE m.customer_id IS NOT NULL GROUP BY m.customer_id)
        INSERT INTO numaudit.pending_change (customer_id, number_key, device_kind, device_name,
                                             device_id, whole)
        SELECT m.customer_id, m.number_key, m.device_kind, m.device_name, m.device_id, false
          FROM m LEFT JOIN per ON per.customer_id = m.customer_id
                 LEFT JOIN c ON c.customer_id = m.customer_id
         WHERE m.customer_id IS NULL OR per.n <= greatest(1000, c.entries / 40)
        UNION ALL
        SELECT c.customer_id, NULL, NULL, NULL, NULL, true
          FROM c LEFT JOIN per ON per.customer_id = c.customer_id
         WHERE (c.entries IS NULL OR per.n > greatest(1000, c.entries / 40))
           AND NOT EXISTS (SELECT FROM numaudit.pending_change p
                            WHERE p.customer_id = c.customer_id AND p.whole
                              AND p.xact = pg_current_xact_id());
    ELSIF TG_OP = 'DELETE' THEN
        WITH r AS (
            SELECT numaudit._customer_of(h.kind, h.id, h.parent_id) AS customer_id,
                   left(btrim(s.pattern, E' \t\n\r'), 60) AS number_key,
                   NULL::text AS device_kind,
                   NULL::text AS device_name,
                   NULL::bigint AS device_id
               FROM old_rows s LEFT JOIN numaudit.hierarchy h ON h.id = s.hierarchy_id),
        c AS (
            SELECT r.customer_id,
                   (SELECT max(b.entries) FROM numaudit.baseline b
                     WHERE b.customer_id = r.customer_id) AS entries
              FROM r WHERE r.customer_id IS NOT NULL GROUP BY r.customer_id),
        m AS (
            SELECT DISTINCT r.customer_id, r.number_key, r.device_kind, r.device_name,
                   CASE WHEN r.customer_id IS NULL OR r.number_key IS NULL THEN r.device_id END AS device_id
              FROM r LEFT JOIN c ON c.customer_id = r.customer_id
             WHERE (r.customer_id IS NULL AND r.device_id IS NOT NULL) OR c.entries IS NOT NULL),
        per AS (
            SELECT m.customer_id, count(*) AS n FROM m WHERE m.customer_id IS NOT NULL GROUP BY m.customer_id)
        INSERT INTO numaudit.pending_change (customer_id, number_key, device_kind, device_name,
                                             device_id, whole)
        SELECT m.customer_id, m.number_key, m.device_kind, m.device_name, m.device_id, false
          FROM m LEFT JOIN per ON per.customer_id = m.customer_id
                 LEFT JOIN c ON c.customer_id = m.customer_id
         WHERE m.customer_id IS NULL OR per.n <= greatest(1000, c.entries / 40)
        UNION ALL
        SELECT c.customer_id, NULL, NULL, NULL, NULL, true
          FROM c LEFT JOIN per ON per.customer_id = c.customer_id
         WHERE (c.entries IS NULL OR per.n > greatest(1000, c.entries / 40))
           AND NOT EXISTS (SELECT FROM numaudit.pending_change p
                            WHERE p.customer_id = c.customer_id AND p.whole
                              AND p.xact = pg_current_xact_id());
    ELSE
        WITH r AS (
            SELECT numaudit._customer_of(h.kind, h.id, h.parent_id) AS customer_id,
                   left(btrim(s.pattern, E' \t\n\r'), 60) AS number_key,
                   NULL::text AS device_kind,
                   NULL::text AS device_name,
                   NULL::bigint AS device_id
               FROM (SELECT o.hierarchy_id, o.pattern FROM old_rows o
                     UNION ALL
                     SELECT n.hierarchy_id, n.pattern FROM new_rows n) s
               LEFT JOIN numaudit.hierarchy h ON h.id = s.hierarchy_id),
        c AS (
            SELECT r.customer_id,
                   (SELECT max(b.entries) FROM numaudit.baseline b
                     WHERE b.customer_id = r.customer_id) AS entries
              FROM r WHERE r.customer_id IS NOT NULL GROUP BY r.customer_id),
        m AS (
            SELECT DISTINCT r.customer_id, r.number_key, r.device_kind, r.device_name,
                   CASE WHEN r.customer_id IS NULL OR r.number_key IS NULL THEN r.device_id END AS device_id
              FROM r LEFT JOIN c ON c.customer_id = r.customer_id
             WHERE (r.customer_id IS NULL AND r.device_id IS NOT NULL) OR c.entries IS NOT NULL),
        per AS (
            SELECT m.customer_id, count(*) AS n FROM m WHERE m.customer_id IS NOT NULL GROUP BY m.customer_id)
        INSERT INTO numaudit.pending_change (customer_id, number_key, device_kind, device_name,
                                             device_id, whole)
        SELECT m.customer_id, m.number_key, m.device_kind, m.device_name, m.device_id, false
          FROM m LEFT JOIN per ON per.customer_id = m.customer_id
                 LEFT JOIN c ON c.customer_id = m.customer_id
         WHERE m.customer_id IS NULL OR per.n <= greatest(1000, c.entries / 40)
        UNION ALL
        SELECT c.customer_id, NULL, NULL, NULL, NULL, true
          FROM c LEFT JOIN per ON per.customer_id = c.customer_id
         WHERE (c.entries IS NULL OR per.n > greatest(1000, c.entries / 40))
           AND NOT EXISTS (SELECT FROM numaudit.pending_change p
                            WHERE p.customer_id = c.customer_id AND p.whole
                              AND p.xact = pg_current_xact_id());
    END IF;
    RETURN NULL;
END
$$;

-- number: the read number of the old and new internal number, at the old and
-- new holder's customer: an application's edit of the inventory, and the
-- audit's own writes (which the audit then marks seen by its own scope).
CREATE FUNCTION numaudit._track_number()
    RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        WITH r AS (
            SELECT numaudit._customer_of(h.kind, h.id, h.parent_id) AS customer_id,
                   left(btrim(e.internal_number, E' \t\n\r'), 60) AS number_key,
                   NULL::text AS device_kind,
                   NULL::text AS device_name,
                   NULL::bigint AS device_id
               FROM new_rows e LEFT JOIN numaudit.hierarchy h ON h.id = e.hierarchy_id),
        c AS (
            SELECT r.customer_id,
                   (SELECT max(b.entries) FROM numaudit.baseline b
                     WHERE b.customer_id = r.customer_id) AS entries
              FROM r WHERE r.customer_id IS NOT NULL GROUP BY r.customer_id),
        m AS (
            SELECT DISTINCT r.customer_id, r.number_key, r.device_kind, r.device_name,
                   CASE WHEN r.customer_id IS NULL OR r.number_key IS NULL THEN r.device_id END AS device_id
              FROM r LEFT JOIN c ON c.customer_id = r.customer_id
             WHERE (r.customer_id IS NULL AND r.device_id IS NOT NULL) OR c.entries IS NOT NULL),
        per AS (
            SELECT m.customer_id, count(*) AS n FROM m WHERE m.customer_id IS NOT NULL GROUP BY m.customer_id)
        INSERT INTO numaudit.pending_change (customer_id, number_key, device_kind, device_name,
                                             device_id, whole)
        SELECT m.customer_id, m.number_key, m.device_kind, m.device_name, m.device_id, false
          FROM m LEFT JOIN per ON per.customer_id = m.customer_id
                 LEFT JOIN c ON c.customer_id = m.customer_id
         WHERE m.customer_id IS NULL OR per.n <= greatest(1000, c.entries / 40)
        UNION ALL
        SELECT c.customer_id, NULL, NULL, NULL, NULL, true
          FROM c LEFT JOIN per ON per.customer_id = c.customer_id
         WHERE (c.entries IS NULL OR per.n > greatest(1000, c.entries / 40))
           AND NOT EXISTS (SELECT FROM numaudit.pending_change p
                            WHERE p.customer_id = c.customer_id AND p.whole
                              AND p.xact = pg_current_xact_id());
    ELSIF TG_OP = 'DELETE' THEN
        WITH r AS (
            SELECT numaudit._customer_of(h.kind, h.id, h.parent_id) AS customer_id,
                   left(btrim(e.internal_number, E' \t\n\r'), 60) AS number_key,
                   NULL::text AS device_kind,
                   NULL::text AS device_name,
                   NULL::bigint AS device_id
               FROM old_rows e LEFT JOIN numaudit.hierarchy h ON h.id = e.hierarchy_id),
        c AS (
            SELECT r.customer_id,
                   (SELECT max(b.entries) FROM numaudit.baseline b
                     WHERE b.customer_id = r.customer_id) AS entries
              FROM r WHERE r.customer_id IS NOT NULL GROUP BY r.customer_id),
        m AS (
            SELECT DISTINCT r.customer_id, r.number_key, r.device_kind, r.device_name,
                   CASE WHEN r.customer_id IS NULL OR r.number_key IS NULL THEN r.device_id END AS device_id
              FROM r LEFT JOIN c ON c.customer_id = r.customer_id
             WHERE (r.customer_id IS NULL AND r.device_id IS NOT NULL) OR c.entries IS NOT NULL),
        per AS (
            SELECT m.customer_id, count(*) AS n FROM m WHERE m.customer_id IS NOT NULL GROUP BY m.customer_id)
        INSERT INTO numaudit.pending_change (customer_id, number_key, device_kind, device_name,
                                             device_id, whole)
        SELECT m.customer_id, m.number_key, m.device_kind, m.device_name, m.device_id, false
          FROM m LEFT JOIN per ON per.customer_id = m.customer_id
                 LEFT JOIN c ON c.customer_id = m.customer_id
         WHERE m.customer_id IS NULL OR per.n <= greatest(1000, c.entries / 40)
        UNION ALL
        SELECT c.customer_id, NULL, NULL, NULL, NULL, true
          FROM c LEFT JOIN per ON per.customer_id = c.customer_id
         WHERE (c.entries IS NULL OR per.n > greatest(1000, c.entries / 40))
           AND NOT EXISTS (SELECT FROM numaudit.pending_change p
                            WHERE p.customer_id = c.customer_id AND p.whole
                              AND p.xact = pg_current_xact_id());
    ELSE
        WITH r AS (
            SELECT numaudit._customer_of(h.kind, h.id, h.parent_id) AS customer_id,
                   left(btrim(e.internal_number, E' \t\n\r'), 60) AS number_key,
                   NULL::text AS device_kind,
                   NULL::text AS device_name,
                   NULL::bigint AS device_id
               FROM (SELECT o.hierarchy_id, o.internal_number FROM old_rows o
                     UNION ALL
                     SELECT n.hierarchy_id, n.internal_number FROM new_rows n) e
               LEFT JOIN numaudit.hierarchy h ON h.id = e.hierarchy_id),
        c AS (
            SELECT r.customer_id,
                   (SELECT max(b.entries) FROM numaudit.baseline b
                     WHERE b.customer_id = r.customer_id) AS entries
              FROM r WHERE r.customer_id IS NOT NULL GROUP BY r.customer_id),
        m AS (
            SELECT DISTINCT r.customer_id, r.number_key, r.device_kind, r.device_name,
                   CASE WHEN r.customer_id IS NULL OR r.number_key IS NULL THEN r.device_id END AS device_id
              FROM r LEFT JOIN c ON c.customer_id = r.customer_id
             WHERE (r.customer_id IS NULL AND r.device_id IS NOT NULL) OR c.entries IS NOT NULL),
        per AS (
            SELECT m.customer_id, count(*) AS n FROM m WHERE m.customer_id IS NOT NULL GROUP BY m.customer_id)
        INSERT INTO numaudit.pending_change (customer_id, number_key, device_kind, device_name,
                                             device_id, whole)
        SELECT m.customer_id, m.number_key, m.device_kind, m.device_name, m.device_id, false
          FROM m LEFT JOIN per ON per.customer_id = m.customer_id
                 LEFT JOIN c ON c.customer_id = m.customer_id
         WHERE m.customer_id IS NULL OR per.n <= greatest(1000, c.entries / 40)
        UNION ALL
        SELECT c.customer_id, NULL, NULL, NULL, NULL, true
          FROM c LEFT JOIN per ON per.customer_id = c.customer_id
         WHERE (c.entries IS NULL OR per.n > greatest(1000, c.entries / 40))
           AND NOT EXISTS (SELECT FROM numaudit.pending_change p
                            WHERE p.customer_id = c.customer_id AND p.whole
                              AND p.xact = pg_current_xact_id());
    END IF;
    RETURN NULL;
END
$$;

-- hierarchy: a node added, removed, renamed, moved or changed in kind, dial
-- plan or number management changes paths in result rows, the set and order
-- of sites, and which rules apply: whole marks for every customer at or
-- under it (old and new place). A change of site_location_code alone
-- changes nothing an audit reads.
CREATE FUNCTION numaudit._track_hierarchy()
    RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    customers bigint[];
BEGIN
    IF TG_OP = 'INSERT' THEN
        WITH RECURSIVE changed AS (
            SELECT n.id, n.kind, n.parent_id FROM new_rows n),
        down AS (
            SELECT c.id, c.kind, c.parent_id FROM changed c
            UNION
            SELECT h.id, h.kind, h.parent_id FROM numaudit.hierarchy h JOIN down ON h.parent_id = down.id
             WHERE down.kind IN ('provider', 'reseller'))
        SELECT array_agg(numaudit._customer_of(d.kind, d.id, d.parent_id)) INTO customers
          FROM down d WHERE d.kind IN ('customer', 'site');
    ELSIF TG_OP = 'DELETE' THEN
        WITH RECURSIVE changed AS (
            SELECT o.id, o.kind, o.parent_id FROM old_rows o),
        down AS (
            SELECT c.id, c.kind, c.parent_id FROM changed c
            UNION
            SELECT h.id, h.kind, h.parent_id FROM numaudit.hierarchy h JOIN down ON h.parent_id = down.id
             WHERE down.kind IN ('provider', 'reseller'))
        SELECT array_agg(numaudit._customer_of(d.kind, d.id, d.parent_id)) INTO customers
          FROM down d WHERE d.kind IN ('customer', 'site');
    ELSE
        WITH RECURSIVE changed AS (
            SELECT o.id, o.kind, o.parent_id FROM old_rows o JOIN new_rows n ON n.id = o.id
             WHERE (o.parent_id, o.name, o.kind, o.number_management, o.dial_plan)
                   IS DISTINCT FROM (n.parent_id, n.name, n.kind, n.number_management, n.dial_plan)
            UNION ALL
            SELECT n.id, n.kind, n.parent_id FROM old_rows o JOIN new_rows n ON n.id = o.id
             WHERE (o.parent_id, o.name, o.kind, o.number_management, o.dial_plan)
                   IS DISTINCT FROM (n.parent_id, n.name, n.kind, n.number_management, n.dial_plan)
            UNION ALL
            -- An id changed: both rows, unmatched.
            SELECT o.id, o.kind, o.parent_id FROM old_rows o WHERE NOT EXISTS (SELECT FROM new_rows n WHERE n.id = o.id)
            UNION ALL
            SELECT n.id, n.kind, n.parent_id FROM new_rows n WHERE NOT EXISTS (SELECT FROM old_rows o WHERE o.id = n.id)),
        down AS (
            SELECT c.id, c.kind, c.parent_id FROM changed c
            UNION
            SELECT h.id, h.kind, h.parent_id FROM numaudit.hierarchy h JOIN down ON h.parent_id = down.id
             WHERE down.kind IN ('provider', 'reseller'))
        SELECT array_agg(numaudit._customer_of(d.kind, d.id, d.parent_id)) INTO customers
          FROM down d WHERE d.kind IN ('customer', 'site');
    END IF;
    IF customers IS NOT NULL THEN
        PERFORM numaudit._track_whole(customers);
    END IF;
    RETURN NULL;
END
$$;

-- usage_kind (any change re-derives every number) and TRUNCATE of any
-- tracked table (no row says which customers it touched): the epoch moves
-- on, so every baseline is dropped.
CREATE FUNCTION numaudit._track_epoch()
    RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    UPDATE numaudit.tracking_epoch SET epoch = epoch + 1;
    RETURN NULL;
END
$$;

DO $$
DECLARE
    t text;
    op text;
    trigger_name text;
BEGIN
    FOREACH t IN ARRAY ARRAY['hierarchy', 'device', 'device_line', 'service', 'number'] LOOP
        FOREACH op IN ARRAY ARRAY['insert', 'update', 'delete'] LOOP
            trigger_name := pg_catalog.format('%s_track_%s', t, op);
            EXECUTE pg_catalog.format(
                'CREATE TRIGGER %I AFTER %s ON numaudit.%I REFERENCING %s'
                ' FOR EACH STATEMENT EXECUTE FUNCTION numaudit.%I()',
                trigger_name, op, t,
                CASE op WHEN 'insert' THEN 'NEW TABLE AS new_rows'
                        WHEN 'delete' THEN 'OLD TABLE AS old_rows'
                        ELSE 'OLD TABLE AS old_rows NEW TABLE AS new_rows' END,
                '_track_' || t);
            EXECUTE pg_catalog.format('ALTER TABLE numaudit.%I ENABLE ALWAYS TRIGGER %I', t, trigger_name);
        END LOOP;
    END LOOP;
    FOREACH t IN ARRAY ARRAY['hierarchy', 'usage_kind', 'device', 'device_line', 'service', 'number'] LOOP
        trigger_name := t || '_track_truncate';
        EXECUTE pg_catalog.format('CREATE TRIGGER %I AFTER TRUNCATE ON numaudit.%I'
                                  ' FOR EACH STATEMENT EXECUTE FUNCTION numaudit._track_epoch()',
                                  trigger_name, t);
        EXECUTE pg_catalog.format('ALTER TABLE numaudit.%I ENABLE ALWAYS TRIGGER %I', t, trigger_name);
    END LOOP;
    FOREACH op IN ARRAY ARRAY['insert', 'update', 'delete'] LOOP
        trigger_name := 'usage_kind_track_' || op;
        EXECUTE pg_catalog.format('CREATE TRIGGER %I AFTER %s ON numaudit.usage_kind'
                                  ' FOR EACH STATEMENT EXECUTE FUNCTION numaudit._track_epoch()',
                                  trigger_name, op);
        EXECUTE pg_catalog.format('ALTER TABLE numaudit.usage_kind ENABLE ALWAYS TRIGGER %I', trigger_name);
    END LOOP;
END
$$;

--
-- The audit's side: reading is plain SELECTs (granted below); consuming is
-- this function, which runs as the owner.
--
-- Called by a committing audit (not dry) of scope customer or of all sites,
-- full or incremental, before its transaction ends: makes it the scope's
-- baseline at `epoch` (read before the audit read anything) and consumes the
-- marks it saw: those of the transactions in `seen` and of its own (its own
-- writes, which it made consistent). A mark no baseline still needs is
-- deleted; the other scope's baseline is dropped when its pending marks
-- outnumber the customer's entries (the next audit of it is full, and
-- cheaper than the marks). The caller holds the customer's audit lock, so no
-- audit of the other scope runs meanwhile.
CREATE FUNCTION numaudit._tracking_commit(customer_id bigint, scope text, run_id bigint, mode text,
                                          epoch bigint, entries bigint, seen xid8[])
    RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER PARALLEL UNSAFE
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    customer bigint := _tracking_commit.customer_id;
    mine xid8 := pg_current_xact_id();
    other text := CASE _tracking_commit.scope WHEN 'customer' THEN 'all_sites' ELSE 'customer' END;
    other_kept boolean;
BEGIN
    IF _tracking_commit.scope NOT IN ('customer', 'all_sites') OR _tracking_commit.mode NOT IN ('full', 'incremental') THEN
        RAISE EXCEPTION 'numaudit: no baseline of scope % in mode %', _tracking_commit.scope, _tracking_commit.mode
              USING ERRCODE = 'invalid_parameter_value';
    END IF;
    INSERT INTO numaudit.baseline AS b (customer_id, scope, run_id, mode, epoch, entries)
    VALUES (customer, _tracking_commit.scope, _tracking_commit.run_id, _tracking_commit.mode,
            _tracking_commit.epoch, _tracking_commit.entries)
    ON CONFLICT ON CONSTRAINT baseline_pkey DO UPDATE
       SET run_id = excluded.run_id, mode = excluded.mode, epoch = excluded.epoch,
           entries = excluded.entries, established_at = clock_timestamp();
    other_kept := EXISTS (SELECT FROM numaudit.baseline b WHERE b.customer_id = customer AND b.scope = other);
    IF other_kept AND (SELECT count(*) FROM numaudit.pending_change p
                        WHERE p.customer_id = customer
                          AND NOT CASE other WHEN 'customer' THEN p.seen_customer ELSE p.seen_all_sites END)
                      > greatest(_tracking_commit.entries, 100) THEN
        DELETE FROM numaudit.baseline b WHERE b.customer_id = customer AND b.scope = other;
        other_kept := false;
    END IF;
    IF NOT other_kept THEN
        DELETE FROM numaudit.pending_change p
         WHERE p.customer_id = customer AND (p.xact = ANY (seen) OR p.xact = mine);
    ELSIF _tracking_commit.scope = 'customer' THEN
        UPDATE numaudit.pending_change p SET seen_customer = true
         WHERE p.customer_id = customer AND (p.xact = ANY (seen) OR p.xact = mine) AND NOT p.seen_customer;
    ELSE
        UPDATE numaudit.pending_change p SET seen_all_sites = true
         WHERE p.customer_id = customer AND (p.xact = ANY (seen) OR p.xact = mine) AND NOT p.seen_all_sites;
    END IF;
    DELETE FROM numaudit.pending_change p
     WHERE p.customer_id = customer AND p.seen_customer AND p.seen_all_sites;
    -- Marks of lines whose device was gone before their statement: no audit
    -- ever read those lines.
    DELETE FROM numaudit.pending_change p WHERE p.customer_id IS NULL AND p.xact <> mine;
END
$$;

-- Customers nobody audits still collect marks: whole marks, one per
-- transaction that changes them, when they have no baseline (an audit
-- establishing their first baseline may be running); keyed ones when they
-- have a baseline but are not audited again. CALL numaudit.audit sweeps
-- them, in a short transaction of its own after the run:
--  * after a full run, the baselines of customers whose
--    marks outnumber their entries (and 100) are dropped (SPEC §4,
--    "Bounded"; _tracking_commit drops the other scope's of a customer it
--    audits): their next audit is full, and cheaper than the marks;
--  * the marks of a customer without a baseline are needed by no audit once
--    every snapshot still in use sees their transaction as ended (older than
--    every backend's xmin and xid): a later audit of that customer is full
--    and sees those changes anyway.
-- The customer's audit lock, tried without waiting and held until the sweep
-- commits, keeps the sweep off a customer being audited (whose audit may be
-- establishing a baseline), and its audits wait at most for this short
-- transaction. READ COMMITTED only (each statement sees what committed
-- before it, so a baseline committed before the lock is seen); nothing is
-- swept while a prepared transaction exists (it keeps no snapshot the
-- horizon could see). Returns the number of marks deleted.
CREATE FUNCTION numaudit._try_lock_customer(customer_id bigint)
    RETURNS boolean
    LANGUAGE C STRICT VOLATILE PARALLEL UNSAFE
    AS 'MODULE_PATHNAME', 'numaudit_try_lock_customer';

CREATE FUNCTION numaudit._tracking_sweep(after_run bigint)
    RETURNS bigint
    LANGUAGE plpgsql SECURITY DEFINER PARALLEL UNSAFE
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    horizon xid8;
    next8 bigint;
    baselines boolean := coalesce((SELECT r.mode = 'full' FROM numaudit.audit_run r
                                    WHERE r.id = after_run), false);
    candidate bigint;
    swept bigint := 0;
    n bigint;
BEGIN
    IF current_setting('transaction_isolation') <> 'read committed'
       OR EXISTS (SELECT FROM pg_catalog.pg_prepared_xacts) THEN
        RETURN 0;
    END IF;
    -- The oldest transaction any backend may still not see as ended, as an
    -- xid8 (the 32-bit xids are within 2^31 below the next one).
    next8 := pg_snapshot_xmax(pg_current_snapshot())::text::bigint;
    SELECT (next8 - max(((next8 - x::text::bigint) % 4294967296 + 4294967296) % 4294967296))::text::xid8
      INTO horizon
      FROM (SELECT a.backend_xmin AS x FROM pg_stat_activity a WHERE a.backend_xmin IS NOT NULL
            UNION ALL
            SELECT a.backend_xid FROM pg_stat_activity a WHERE a.backend_xid IS NOT NULL) AS t;
    horizon := coalesce(horizon, next8::text::xid8);
    FOR candidate IN
        SELECT DISTINCT p.customer_id FROM numaudit.pending_change p
         WHERE p.whole AND p.customer_id IS NOT NULL AND p.xact < horizon
           AND NOT EXISTS (SELECT FROM numaudit.baseline b WHERE b.customer_id = p.customer_id)
        UNION
        SELECT b.customer_id FROM numaudit.baseline b
         WHERE baselines
         GROUP BY b.customer_id
        HAVING (SELECT count(*) FROM (SELECT FROM numaudit.pending_change p
                                        WHERE p.customer_id = b.customer_id
                                        LIMIT greatest(max(b.entries), 100) + 1) AS x)
               > greatest(max(b.entries), 100)
    LOOP
        CONTINUE WHEN NOT numaudit._try_lock_customer(candidate);
        -- A CALL holds the customer's audit lock only while it audits one of
        -- its units: between two of them (a commit per site) the lock is free,
        -- but a mark committed meanwhile belongs to that run's future
        -- baseline's pending changes. A customer with a run still running is
        -- left alone (a run abandoned by its session only delays this until
        -- the next CALL marks it failed).
        CONTINUE WHEN EXISTS (SELECT FROM numaudit.audit_run r
                               WHERE r.customer_id = candidate AND r.status = 'running');
        -- Statements of their own, after the lock: they see an audit
        -- committed meanwhile.
        IF baselines THEN
            DELETE FROM numaudit.baseline b
             WHERE b.customer_id = candidate
               AND (SELECT count(*) FROM (SELECT FROM numaudit.pending_change p
                                           WHERE p.customer_id = candidate
                                           LIMIT greatest(b.entries, 100) + 1) AS x)
                   > greatest(b.entries, 100);
        END IF;
        DELETE FROM numaudit.pending_change p
         WHERE p.customer_id = candidate AND p.xact < horizon
           AND NOT EXISTS (SELECT FROM numaudit.baseline b WHERE b.customer_id = candidate);
        GET DIAGNOSTICS n = ROW_COUNT;
        swept := swept + n;
    END LOOP;
    RETURN swept;
END
$$;

-- What a DBA asks of tracking: per customer and scope, its baseline, how many
-- marks are pending for it, and whether its next incremental audit will be
-- one.
CREATE VIEW numaudit.tracking AS
SELECT c.id AS customer_id,
       numaudit._node_path(c.id) AS customer,
       s.scope,
       b.run_id AS baseline_run_id,
       b.mode AS baseline_mode,
       b.established_at AS baseline_at,
       coalesce(p.marks, 0) AS pending,
       CASE WHEN b.customer_id IS NULL THEN 'full: no baseline'
            WHEN b.epoch <> e.epoch THEN 'full: a usage kind changed or a tracked table was truncated'
            WHEN p.whole THEN 'full: the customer''s tree or settings changed, or too many changes at once'
            ELSE 'incremental' END AS next_audit
  FROM numaudit.hierarchy c
 CROSS JOIN (VALUES ('customer'), ('all_sites')) AS s (scope)
 CROSS JOIN numaudit.tracking_epoch e
  LEFT JOIN numaudit.baseline b ON b.customer_id = c.id AND b.scope = s.scope
  LEFT JOIN LATERAL (
       SELECT count(*) AS marks, bool_or(x.whole) AS whole
         FROM numaudit.pending_change x
        WHERE x.customer_id = c.id
          AND NOT CASE s.scope WHEN 'customer' THEN x.seen_customer ELSE x.seen_all_sites END) p ON true
 WHERE c.kind = 'customer';

REVOKE EXECUTE ON FUNCTION numaudit._track_whole(bigint[]),
                           numaudit._customer_of(text, bigint, bigint),
                           numaudit._track_device_line(), numaudit._track_device(),
                           numaudit._track_service(), numaudit._track_number(),
                           numaudit._track_hierarchy(), numaudit._track_epoch(),
                           numaudit._tracking_commit(bigint, text, bigint, text, bigint, bigint, xid8[]),
                           numaudit._try_lock_customer(bigint), numaudit._tracking_sweep(bigint)
    FROM PUBLIC;
GRANT EXECUTE ON FUNCTION numaudit._tracking_sweep(bigint) TO numaudit_auditor;
GRANT EXECUTE ON FUNCTION numaudit._tracking_commit(bigint, text, bigint, text, bigint, bigint, xid8[])
    TO numaudit_auditor;
GRANT SELECT ON numaudit.tracking_epoch, numaudit.baseline, numaudit.pending_change, numaudit.tracking
    TO numaudit_auditor, numaudit_reader;
GRANT INSERT (mode), UPDATE (mode) ON numaudit.audit_run TO numaudit_auditor;

--
-- Entry points: run() and CALL audit() take `incremental` (SPEC §4). Created
-- anew (a routine's arguments cannot change in place), with whatever a DBA
-- granted on the old one granted on the new one, as 0.3.0 did for audit().
--
SELECT pg_catalog.set_config('numaudit_upgrade.run_acl',
                             coalesce((SELECT p.proacl::text FROM pg_catalog.pg_proc p
                                        WHERE p.oid = 'numaudit.run(text, text, text[], boolean, boolean)'::pg_catalog.regprocedure),
                                      ''), true);
SELECT pg_catalog.set_config('numaudit_upgrade.audit_acl',
                             coalesce((SELECT p.proacl::text FROM pg_catalog.pg_proc p
                                        WHERE p.oid = 'numaudit.audit(text, text, text[], boolean, boolean)'::pg_catalog.regprocedure),
                                      ''), true);
DROP FUNCTION numaudit.run(text, text, text[], boolean, boolean);
CREATE FUNCTION numaudit.run(customer text, scope text, sites text[] DEFAULT NULL,
                             dry_run boolean DEFAULT false, nowait boolean DEFAULT false,
                             incremental boolean DEFAULT false)
    RETURNS TABLE (hierarchy text, site text, internal_number text, action text,
                   old_status text, old_usage text, new_status text, new_usage text,
                   detail text)
    LANGUAGE C VOLATILE CALLED ON NULL INPUT PARALLEL UNSAFE
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'numaudit_run';
REVOKE EXECUTE ON FUNCTION numaudit.run(text, text, text[], boolean, boolean, boolean) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION numaudit.run(text, text, text[], boolean, boolean, boolean) TO numaudit_auditor;

DROP PROCEDURE numaudit.audit(text, text, text[], boolean, boolean);
CREATE PROCEDURE numaudit.audit(customer text, scope text, sites text[] DEFAULT NULL,
                                dry_run boolean DEFAULT false, nowait boolean DEFAULT false,
                                incremental boolean DEFAULT false)
    LANGUAGE C
    AS 'MODULE_PATHNAME', 'numaudit_audit';
REVOKE EXECUTE ON PROCEDURE numaudit.audit(text, text, text[], boolean, boolean, boolean) FROM PUBLIC;
GRANT EXECUTE ON PROCEDURE numaudit.audit(text, text, text[], boolean, boolean, boolean) TO numaudit_auditor;
-- The DBA's grants on the old routines, on the new ones.
DO $$
DECLARE
    r record;
    g record;
    initial pg_catalog.aclitem[];
BEGIN
    FOR r IN SELECT * FROM (VALUES
                 ('numaudit.run(text, text, text[], boolean, boolean, boolean)', 'FUNCTION', 'numaudit_upgrade.run_acl'),
                 ('numaudit.audit(text, text, text[], boolean, boolean, boolean)', 'PROCEDURE', 'numaudit_upgrade.audit_acl'))
                 AS v (routine, kind, old_acl)
    LOOP
        initial := (SELECT p.proacl FROM pg_catalog.pg_proc p WHERE p.oid = r.routine::pg_catalog.regprocedure);
        FOR g IN SELECT a.grantee, a.is_grantable
                   FROM pg_catalog.aclexplode(NULLIF(pg_catalog.current_setting(r.old_acl), '')::pg_catalog.aclitem[]) a
                  WHERE a.privilege_type = 'EXECUTE'
                    AND a.grantee <> (SELECT e.extowner FROM pg_catalog.pg_extension e WHERE e.extname = 'numaudit')
                    AND a.grantee NOT IN (SELECT o.oid FROM pg_catalog.pg_roles o WHERE o.rolname = 'numaudit_auditor')
        LOOP
            EXECUTE pg_catalog.format('GRANT EXECUTE ON %s %s TO %s%s', r.kind, r.routine,
                                      CASE WHEN g.grantee = 0 THEN 'PUBLIC'
                                           ELSE pg_catalog.quote_ident(g.grantee::pg_catalog.regrole::text) END,
                                      CASE WHEN g.is_grantable THEN ' WITH GRANT OPTION' ELSE '' END);
        END LOOP;
        -- pg_init_privs keeps only the extension's own grants, as after a
        -- fresh install, so pg_dump still dumps the DBA's.
        UPDATE pg_catalog.pg_init_privs i
           SET initprivs = initial
         WHERE i.objoid = r.routine::pg_catalog.regprocedure
           AND i.classoid = 'pg_catalog.pg_proc'::pg_catalog.regclass AND i.objsubid = 0;
    END LOOP;
END
$$;

DROP FUNCTION numaudit._audit_start(text, text, text[], boolean, boolean);
CREATE FUNCTION numaudit._audit_start(customer text, scope text, sites text[],
                                      dry_run boolean, nowait boolean, incremental boolean,
                                      OUT run_id bigint, OUT units bigint[], OUT summary text)
    LANGUAGE C VOLATILE CALLED ON NULL INPUT PARALLEL UNSAFE
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'numaudit_audit_start';
REVOKE EXECUTE ON FUNCTION numaudit._audit_start(text, text, text[], boolean, boolean, boolean) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION numaudit._audit_start(text, text, text[], boolean, boolean, boolean) TO numaudit_auditor;

COMMENT ON FUNCTION numaudit.run(text, text, text[], boolean, boolean, boolean) IS 'Audits a customer (scope customer, flat dial plan) or some or all of its sites (scope site) in the caller''s transaction, and returns one row per entry added or updated, per number skipped and per conflict. dry_run writes nothing and leaves no history; nowait fails with 55P03 instead of waiting for another audit; incremental re-checks only what changed since the last audit of the same customer and scope over all sites (its baseline), with the same result as a full audit, and runs full (with a NOTICE) when there is no baseline; a run that writes leaves an audit_run row and a NOTIFY on channel numaudit.';
COMMENT ON PROCEDURE numaudit.audit(text, text, text[], boolean, boolean, boolean) IS 'The audit of numaudit.run as a procedure for pg_cron and applications, with the same arguments: commits after each site, keeps its audit_run row current for watchers, and ends with a one-line NOTICE summary and a NOTIFY on channel numaudit. dry_run audits without writing or recording anything and reports what it would do; nowait fails with 55P03 instead of waiting for another audit; incremental re-checks only what changed since the scope''s baseline, in one transaction (full, site by site, when there is none). Call it as a lone statement outside a transaction block, else it cannot commit per site.';
COMMENT ON FUNCTION numaudit._audit_start(text, text, text[], boolean, boolean, boolean) IS 'Internal step of CALL numaudit.audit, not part of the contract: checks and resolves the arguments; a dry run is audited whole and only its summary returned; otherwise records the run (status running, its mode) and returns its id and units of work (one unit, the customer, for an incremental run).';
COMMENT ON COLUMN numaudit.audit_run.mode IS 'full, or incremental: re-checked only what changed since the baseline (SPEC §4). Audits of chosen sites, and audits without a baseline, are full.';
COMMENT ON TABLE numaudit.baseline IS 'Per customer and scope (customer, or all_sites: scope site over all sites), the last committed audit since which every change is tracked; an incremental audit of that scope starts from it. Written by the audits only.';
COMMENT ON TABLE numaudit.pending_change IS 'Changes since the baselines, written by the tracking triggers of hierarchy, usage_kind, device, device_line, service and number (marks of read numbers, device keys, or whole customers); consumed by the committing audit of each scope that saw them. Not dumped: a restored database starts without baselines.';
COMMENT ON TABLE numaudit.tracking_epoch IS 'Moves on when a usage kind changes or a tracked table is truncated: every baseline taken before is dropped.';
COMMENT ON VIEW numaudit.tracking IS 'Per customer and scope (customer, all_sites): its baseline (run, mode, when), how many change marks are pending for it, and what its next incremental audit will be (incremental, or full and why).';
COMMENT ON COLUMN numaudit.tracking_epoch.one IS 'Always true: the table holds one row.';
COMMENT ON COLUMN numaudit.tracking_epoch.epoch IS 'Moves on with every change to usage_kind and every TRUNCATE of a tracked table.';
COMMENT ON COLUMN numaudit.baseline.customer_id IS 'The customer (hierarchy id).';
COMMENT ON COLUMN numaudit.baseline.scope IS 'customer, or all_sites (scope site over all of the customer''s sites).';
COMMENT ON COLUMN numaudit.baseline.run_id IS 'The audit_run that established or last renewed it.';
COMMENT ON COLUMN numaudit.baseline.mode IS 'Whether that run was full or incremental.';
COMMENT ON COLUMN numaudit.baseline.epoch IS 'tracking_epoch.epoch when that run began; the baseline holds while it is the current epoch.';
COMMENT ON COLUMN numaudit.baseline.entries IS 'About how many entries the customer had then: the bound on pending marks, and the size that sets when a full audit is cheaper.';
COMMENT ON COLUMN numaudit.baseline.established_at IS 'When that run committed it (clock time).';
COMMENT ON COLUMN numaudit.pending_change.customer_id IS 'The customer whose audits must re-check it; NULL only for the line of a device that was already gone.';
COMMENT ON COLUMN numaudit.pending_change.xact IS 'The transaction that made the change: an audit consumes the marks of the transactions it saw.';
COMMENT ON COLUMN numaudit.pending_change.number_key IS 'A changed number: the pattern or internal number without surrounding whitespace, cut to 60 characters (the read-number index key).';
COMMENT ON COLUMN numaudit.pending_change.device_kind IS 'With device_name: a changed device (its copies of the same kind and name are re-checked together).';
COMMENT ON COLUMN numaudit.pending_change.device_name IS 'With device_kind: a changed device.';
COMMENT ON COLUMN numaudit.pending_change.device_id IS 'On a device''s key mark: the device (so that the marks of its lines, deleted by cascade after it, find its customer and key); while customer_id is NULL: the device of a line whose device was gone.';
COMMENT ON COLUMN numaudit.pending_change.whole IS 'The customer itself changed (its tree or settings), or too much at once: its next audit of each scope is full.';
COMMENT ON COLUMN numaudit.pending_change.seen_customer IS 'Consumed by the scope-customer baseline.';
COMMENT ON COLUMN numaudit.pending_change.seen_all_sites IS 'Consumed by the all-sites baseline.';
COMMENT ON COLUMN numaudit.tracking.customer_id IS 'The customer (hierarchy id).';
COMMENT ON COLUMN numaudit.tracking.customer IS 'The customer''s path.';
COMMENT ON COLUMN numaudit.tracking.scope IS 'customer, or all_sites (scope site over all sites).';
COMMENT ON COLUMN numaudit.tracking.baseline_run_id IS 'The audit_run of its baseline; NULL when it has none.';
COMMENT ON COLUMN numaudit.tracking.baseline_mode IS 'Whether that run was full or incremental.';
COMMENT ON COLUMN numaudit.tracking.baseline_at IS 'When the baseline was taken.';
COMMENT ON COLUMN numaudit.tracking.pending IS 'Change marks this scope has not consumed yet (what its next incremental audit re-checks).';
COMMENT ON COLUMN numaudit.tracking.next_audit IS 'incremental, or full and why (no baseline; a usage kind changed or a table was truncated; the customer''s tree or settings changed, or too many changes at once). An incremental audit with more marks than a 20th of the customer''s entries (and over 1,000) also runs full.';
COMMENT ON FUNCTION numaudit._track_whole(bigint[]) IS 'Internal to change tracking, not part of the contract: a whole mark for each of these customers.';
COMMENT ON FUNCTION numaudit._customer_of(text, bigint, bigint) IS 'Internal to change tracking, not part of the contract: the customer of an owner node (itself, or its parent for a site).';
COMMENT ON FUNCTION numaudit._track_device_line() IS 'Tracking trigger of device_line (statement level, fires always): marks the old and new read number with the device''s key.';
COMMENT ON FUNCTION numaudit._track_device() IS 'Tracking trigger of device (statement level, fires always): marks the device''s key and its lines'' numbers, at the old and new owner''s customer.';
COMMENT ON FUNCTION numaudit._track_service() IS 'Tracking trigger of service (statement level, fires always): marks the old and new read number.';
COMMENT ON FUNCTION numaudit._track_number() IS 'Tracking trigger of number (statement level, fires always): marks the old and new read number, the audit''s own writes included.';
COMMENT ON FUNCTION numaudit._track_hierarchy() IS 'Tracking trigger of hierarchy (statement level, fires always): a whole mark for every customer at or under a node added, removed or changed (other than its site_location_code).';
COMMENT ON FUNCTION numaudit._track_epoch() IS 'Tracking trigger of usage_kind, and of TRUNCATE on every tracked table: moves the epoch on, which drops every baseline.';
COMMENT ON FUNCTION numaudit._tracking_sweep(bigint) IS 'Internal step of CALL numaudit.audit, not part of the contract: drops (after a full run) the baselines of customers whose marks outnumber their entries, deletes the change marks of customers without a baseline that no running audit can need, and returns how many marks it deleted.';
COMMENT ON FUNCTION numaudit._try_lock_customer(bigint) IS 'Internal to the tracking sweep, not part of the contract: takes a customer''s audit lock for the transaction if no audit holds it.';
COMMENT ON FUNCTION numaudit._tracking_commit(bigint, text, bigint, text, bigint, bigint, xid8[]) IS 'Internal step of a committing audit, not part of the contract: makes it its scope''s baseline and consumes the change marks it saw.';

-- ---------------------------------------------------------------------------
-- Auditing every customer (SPEC §5, issue 13): CALL numaudit.audit_all.
--
-- A sweep is one pass over the customers under a node (or all). Sessions
-- calling audit_all with the same under, scope, incremental and older_than
-- while a sweep of those is open join it: each takes the next customer no
-- other session has taken (FOR UPDATE SKIP LOCKED), so none waits for
-- another and each customer is audited at most once per sweep. The sweep
-- closes when every customer is taken and finished; one stopped by
-- max_duration stays open, and the next audit_all with the same arguments
-- goes on with it.

CREATE TABLE numaudit.sweep (
    id           bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    under        text,
    under_id     bigint,
    scope        text CHECK (scope IN ('customer', 'site')),
    incremental  boolean NOT NULL,
    older_than   interval NOT NULL,
    status       text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'done')),
    started_at   timestamptz NOT NULL DEFAULT clock_timestamp(),
    finished_at  timestamptz,
    started_by   text NOT NULL DEFAULT current_user,
    customers    integer NOT NULL DEFAULT 0
);
-- One open sweep per set of arguments: sessions that start together join it.
CREATE UNIQUE INDEX sweep_open_idx
    ON numaudit.sweep ((coalesce(under_id, 0)), (coalesce(scope, '')), incremental, older_than)
    WHERE status = 'open';

CREATE TABLE numaudit.sweep_customer (
    sweep_id     bigint NOT NULL REFERENCES numaudit.sweep (id) ON DELETE CASCADE,
    position     integer NOT NULL,
    customer_id  bigint NOT NULL,
    customer     text NOT NULL,
    last_audit   timestamptz,
    state        text NOT NULL DEFAULT 'pending'
                 CHECK (state IN ('pending', 'running', 'done', 'failed', 'busy', 'skipped')),
    scope        text CHECK (scope IN ('customer', 'site')),
    -- No foreign key: history may be truncated or purged on its own.
    run_id       bigint,
    pid          integer,
    started_at   timestamptz,
    finished_at  timestamptz,
    detail       text,
    PRIMARY KEY (sweep_id, position)
);
CREATE INDEX sweep_customer_pending_idx ON numaudit.sweep_customer (sweep_id, position)
    WHERE state = 'pending';
CREATE INDEX sweep_customer_running_idx ON numaudit.sweep_customer (sweep_id)
    WHERE state = 'running';

ALTER TABLE numaudit.audit_run ADD COLUMN sweep_id bigint REFERENCES numaudit.sweep (id) ON DELETE SET NULL;
CREATE INDEX audit_run_sweep_idx ON numaudit.audit_run (sweep_id) WHERE sweep_id IS NOT NULL;
-- A customer's last audit over all of its sites: the sweep's order and
-- older_than, one index probe per customer however long the history.
CREATE INDEX audit_run_last_done_idx ON numaudit.audit_run (customer_id, finished_at)
    WHERE status = 'done' AND sites IS NULL;
-- The runs still running: every CALL looks for abandoned ones before it
-- starts (thousands of times in a sweep), in a probe rather than a scan of
-- the whole history.
CREATE INDEX audit_run_running_idx ON numaudit.audit_run (id) WHERE status = 'running';

SELECT pg_catalog.pg_extension_config_dump('numaudit.sweep', '');
SELECT pg_catalog.pg_extension_config_dump('numaudit.sweep_customer', '');
SELECT pg_catalog.pg_extension_config_dump('numaudit.sweep_id_seq', '');

-- A claimed customer whose session no longer runs audit_all (it ended, or
-- its audit_all stopped on an error): that session's sweep lock (advisory,
-- objsubid 20036, keyed by its pid) is no longer held.
CREATE FUNCTION numaudit._sweep_claim_alive(pid integer)
    RETURNS boolean
    LANGUAGE sql STABLE PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
    BEGIN ATOMIC
        SELECT EXISTS (
            SELECT FROM pg_catalog.pg_locks l
             WHERE l.locktype = 'advisory' AND l.objsubid = 20036 AND l.granted
               AND l.pid = $1 AND l.objid::pg_catalog.int8 = $1
               AND l.database = (SELECT d.oid FROM pg_catalog.pg_database d
                                  WHERE d.datname = pg_catalog.current_database()));
    END;

-- Customers of the sweep taken by sessions that no longer run audit_all
-- (ended, or their audit_all stopped on an error; this session's own, when
-- it joins or leaves, holds none any more): done when their run finished,
-- else failed. Returns how many.
CREATE FUNCTION numaudit._sweep_reap(sweep_id bigint)
    RETURNS integer
    LANGUAGE sql VOLATILE PARALLEL UNSAFE
    SET search_path = pg_catalog, pg_temp
    BEGIN ATOMIC
        WITH reaped AS (
            UPDATE numaudit.sweep_customer c
               SET (state, finished_at, detail) = (
                       SELECT CASE WHEN r.status = 'done' THEN 'done' ELSE 'failed' END,
                              coalesce(r.finished_at, clock_timestamp()),
                              CASE WHEN r.status = 'done' THEN NULL
                                   WHEN r.status = 'failed' THEN r.error
                                   ELSE 'interrupted: the session auditing it ended before it finished' END
                         FROM (VALUES (1)) AS one (x)
                         LEFT JOIN numaudit.audit_run r ON r.id = c.run_id)
             WHERE c.sweep_id = $1 AND c.state = 'running'
               AND (c.pid = pg_backend_pid() OR NOT numaudit._sweep_claim_alive(c.pid))
            RETURNING 1)
        SELECT count(*)::integer FROM reaped;
    END;

-- audit_all's first step: checks its arguments, resolves under, and joins
-- the open sweep of the same arguments or opens one, listing its customers
-- oldest-audited first. Returns the sweep and its under path.
CREATE FUNCTION numaudit._sweep_open(under text, scope text, incremental boolean,
                                     older_than interval, max_duration interval,
                                     OUT sweep_id bigint, OUT under_path text, OUT joined boolean)
    LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    node_id bigint;
    node_kind text;
    found_ids bigint[];
    the_scope text := lower(_sweep_open.scope);
    listed integer;
BEGIN
    IF incremental IS NULL THEN
        RAISE EXCEPTION 'numaudit: incremental must not be NULL' USING ERRCODE = '22023';
    END IF;
    IF older_than IS NULL THEN
        RAISE EXCEPTION 'numaudit: older_than must not be NULL'
            USING ERRCODE = '22023', HINT = 'Use ''0'' to audit every customer, however recently it was audited.';
    END IF;
    IF max_duration IS NOT NULL AND max_duration <= interval '0' THEN
        RAISE EXCEPTION 'numaudit: max_duration must be positive, not %', max_duration
            USING ERRCODE = '22023', HINT = 'NULL sets no limit.';
    END IF;
    IF the_scope IS NOT NULL AND the_scope NOT IN ('customer', 'site') THEN
        RAISE EXCEPTION 'numaudit: unknown scope %', numaudit._quoted_name(_sweep_open.scope)
            USING ERRCODE = '22023',
                  HINT = 'Use ''customer'' or ''site'', or NULL for each customer''s own scope.';
    END IF;

    IF under IS NOT NULL THEN
        -- A path (names joined by dots) or a bare name, as customers are named.
        SELECT array_agg(h.id ORDER BY h.id) INTO found_ids
          FROM numaudit.hierarchy h
         WHERE CASE WHEN strpos(under, '.') > 0 THEN numaudit._node_path(h.id) = under
                    ELSE h.name = under END;
        IF found_ids IS NULL THEN
            RAISE EXCEPTION 'numaudit: provider or reseller % does not exist', numaudit._quoted_name(under)
                USING ERRCODE = '42704',
                      HINT = 'Give its path (Provider.Reseller) or its name, or NULL for every customer.';
        END IF;
        IF cardinality(found_ids) > 1 THEN
            RAISE EXCEPTION 'numaudit: name % is ambiguous', numaudit._quoted_name(under)
                USING ERRCODE = '22023',
                      DETAIL = cardinality(found_ids) || ' nodes have this name.',
                      HINT = 'Use the path of the one you mean: '
                             || (SELECT string_agg(numaudit._quoted_name(coalesce(numaudit._node_path(i), '?'))
                                                   || ' (id ' || i || ')', ' or ' ORDER BY i)
                                   FROM unnest(found_ids) AS i) || '.';
        END IF;
        node_id := found_ids[1];
        SELECT h.kind, numaudit._node_path(h.id) INTO node_kind, under_path
          FROM numaudit.hierarchy h WHERE h.id = node_id;
        IF node_kind NOT IN ('provider', 'reseller') THEN
            RAISE EXCEPTION 'numaudit: % is a %, not a provider or reseller',
                            numaudit._quoted_name(under), node_kind
                USING ERRCODE = '42809',
                      HINT = CASE WHEN node_kind = 'customer'
                                  THEN 'To audit one customer, CALL numaudit.audit.'
                                  ELSE 'Name a provider or a reseller, or NULL for every customer.' END;
        END IF;
    END IF;

    -- Sweeps finished 30 days ago and more go, with their customer rows
    -- (the runs stay in audit_run).
    DELETE FROM numaudit.sweep s
     WHERE s.status = 'done' AND s.finished_at < clock_timestamp() - interval '30 days';

    LOOP
        SELECT s.id INTO sweep_id FROM numaudit.sweep s
         WHERE s.status = 'open' AND coalesce(s.under_id, 0) = coalesce(node_id, 0)
           AND coalesce(s.scope, '') = coalesce(the_scope, '')
           AND s.incremental = _sweep_open.incremental AND s.older_than = _sweep_open.older_than;
        IF sweep_id IS NOT NULL THEN
            joined := true;
            PERFORM numaudit._sweep_reap(sweep_id);
            RETURN;
        END IF;
        INSERT INTO numaudit.sweep (under, under_id, scope, incremental, older_than)
        VALUES (under_path, node_id, the_scope, _sweep_open.incremental, _sweep_open.older_than)
        ON CONFLICT DO NOTHING
        RETURNING id INTO sweep_id;
        IF sweep_id IS NOT NULL THEN
            joined := false;
            EXIT;
        END IF;
        -- Another session opened it meanwhile: join it.
    END LOOP;

    -- Paths in one walk down the tree (from under, or from every root), not
    -- one walk up per customer: thousands of customers are listed while the
    -- sessions starting with this one wait to join.
    WITH RECURSIVE tree (id, kind, number_management, path) AS (
        SELECT h.id, h.kind, h.number_management, CASE WHEN node_id IS NULL THEN h.name ELSE under_path END
          FROM numaudit.hierarchy h
         WHERE CASE WHEN node_id IS NULL THEN h.parent_id IS NULL ELSE h.id = node_id END
        UNION ALL
        SELECT h.id, h.kind, h.number_management, t.path || '.' || h.name
          FROM numaudit.hierarchy h JOIN tree t ON h.parent_id = t.id
         WHERE h.kind IN ('reseller', 'customer') AND t.kind <> 'customer'
    ) CYCLE id SET looped USING route,
    reached AS (
        SELECT t.id, t.path FROM tree t
         WHERE t.kind = 'customer' AND t.number_management AND NOT t.looped
        -- Every customer: also those the walk does not reach (rows from before
        -- 0.3.0: parents that loop or are missing, a customer under a site),
        -- by their own path if they have one; the audit of one without says why.
        UNION ALL
        SELECT c.id, numaudit._node_path(c.id) FROM numaudit.hierarchy c
         WHERE node_id IS NULL AND c.kind = 'customer' AND c.number_management
           AND NOT EXISTS (SELECT FROM tree t WHERE t.id = c.id AND NOT t.looped)
    ),
    candidates AS (
        SELECT c.id, c.path,
               (SELECT max(r.finished_at) FROM numaudit.audit_run r
                 WHERE r.customer_id = c.id AND r.status = 'done' AND r.sites IS NULL) AS last_audit
          FROM reached c
    )
    INSERT INTO numaudit.sweep_customer (sweep_id, position, customer_id, customer, last_audit)
    SELECT _sweep_open.sweep_id,
           row_number() OVER (ORDER BY c.last_audit NULLS FIRST, c.path COLLATE "C", c.id),
           c.id, coalesce(c.path, '?' || c.id), c.last_audit
      FROM candidates c
     WHERE c.last_audit IS NULL OR c.last_audit <= clock_timestamp() - _sweep_open.older_than;
    GET DIAGNOSTICS listed = ROW_COUNT;
    UPDATE numaudit.sweep s SET customers = listed WHERE s.id = _sweep_open.sweep_id;
END
$$;

-- Takes the sweep's next customer that no other session holds, without
-- waiting, and marks it running for this session: its id, path and the
-- scope to audit it with; no row when none is left. A customer audited
-- since the sweep opened more recently than older_than, or no longer
-- audited (gone, number management off), is passed over as skipped.
CREATE FUNCTION numaudit._sweep_claim(sweep_id bigint,
                                      OUT customer_id bigint, OUT customer text, OUT scope text)
    RETURNS SETOF record
    LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    s numaudit.sweep;
    c numaudit.sweep_customer;
    node numaudit.hierarchy;
    last record;
    why text;
BEGIN
    SELECT * INTO s FROM numaudit.sweep x WHERE x.id = _sweep_claim.sweep_id;
    LOOP
        SELECT * INTO c FROM numaudit.sweep_customer x
         WHERE x.sweep_id = _sweep_claim.sweep_id AND x.state = 'pending'
         ORDER BY x.position
         LIMIT 1
           FOR UPDATE SKIP LOCKED;
        IF NOT FOUND THEN
            RETURN;
        END IF;
        SELECT * INTO node FROM numaudit.hierarchy h WHERE h.id = c.customer_id;
        -- Its last audit over all of its sites, and that audit's scope.
        SELECT r.finished_at, r.scope INTO last FROM numaudit.audit_run r
         WHERE r.customer_id = c.customer_id AND r.status = 'done' AND r.sites IS NULL
         ORDER BY r.finished_at DESC LIMIT 1;
        why := CASE WHEN node.id IS NULL OR node.kind <> 'customer' THEN 'no longer a customer'
                    WHEN NOT node.number_management THEN 'number management is disabled'
                    WHEN last.finished_at > clock_timestamp() - s.older_than
                         AND last.finished_at IS DISTINCT FROM c.last_audit
                        THEN 'audited at ' || last.finished_at || ', after the sweep began'
               END;
        IF why IS NOT NULL THEN
            UPDATE numaudit.sweep_customer x
               SET state = 'skipped', detail = why, finished_at = clock_timestamp()
             WHERE x.sweep_id = c.sweep_id AND x.position = c.position;
            CONTINUE;
        END IF;
        customer_id := c.customer_id;
        customer := coalesce(numaudit._node_path(c.customer_id), c.customer);
        scope := CASE WHEN node.dial_plan = 'slc' THEN 'site'
                      ELSE coalesce(s.scope, last.scope, 'site') END;
        UPDATE numaudit.sweep_customer x
           SET state = 'running', pid = pg_backend_pid(), started_at = clock_timestamp(),
               scope = _sweep_claim.scope, customer = _sweep_claim.customer
         WHERE x.sweep_id = c.sweep_id AND x.position = c.position;
        RETURN NEXT;
        RETURN;
    END LOOP;
END
$$;

-- Ties the customer's audit_run to the sweep, as soon as the run is recorded.
-- (PL/pgSQL, as the sweep's other per-customer steps: it keeps its plans for
-- the session, where a function of SQL standard body plans on every call.)
CREATE FUNCTION numaudit._sweep_run(sweep_id bigint, customer_id bigint, run_id bigint)
    RETURNS void
    LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    UPDATE numaudit.audit_run r SET sweep_id = _sweep_run.sweep_id WHERE r.id = _sweep_run.run_id;
    UPDATE numaudit.sweep_customer c SET run_id = _sweep_run.run_id
     WHERE c.sweep_id = _sweep_run.sweep_id AND c.customer_id = _sweep_run.customer_id
       AND c.state = 'running';
END
$$;

-- Records how the customer's audit ended: done, failed or busy (another
-- session's audit held it), with the error for the last two (a failed run's
-- own, which names the site that failed); or pending again: a cancel came
-- before its run was recorded, and the next call takes it.
CREATE FUNCTION numaudit._sweep_finish_customer(sweep_id bigint, customer_id bigint, state text, detail text)
    RETURNS void
    LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    again boolean := _sweep_finish_customer.state = 'pending';
BEGIN
    UPDATE numaudit.sweep_customer c
       SET state = _sweep_finish_customer.state,
           finished_at = CASE WHEN again THEN NULL ELSE clock_timestamp() END,
           pid = CASE WHEN again THEN NULL ELSE c.pid END,
           started_at = CASE WHEN again THEN NULL ELSE c.started_at END,
           detail = CASE WHEN again THEN NULL
                         ELSE coalesce((SELECT r.error FROM numaudit.audit_run r
                                         WHERE r.id = c.run_id AND r.status = 'failed'),
                                       _sweep_finish_customer.detail) END
     WHERE c.sweep_id = _sweep_finish_customer.sweep_id
       AND c.customer_id = _sweep_finish_customer.customer_id AND c.state = 'running';
END
$$;

-- A session leaves the sweep: it closes it (done) when no customer is left
-- or being audited. The sweep row's lock puts the sessions that leave at
-- once in line, so that exactly one of them closes it. Returns whether this
-- call closed it, and the sweep's counts.
CREATE FUNCTION numaudit._sweep_leave(sweep_id bigint,
                                      OUT closed boolean, OUT customers integer, OUT done integer,
                                      OUT failed integer, OUT busy integer, OUT skipped integer,
                                      OUT running integer, OUT pending integer)
    LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    PERFORM FROM numaudit.sweep s WHERE s.id = _sweep_leave.sweep_id FOR UPDATE;
    PERFORM numaudit._sweep_reap(_sweep_leave.sweep_id);
    SELECT s.customers,
           count(*) FILTER (WHERE c.state = 'done'),
           count(*) FILTER (WHERE c.state = 'failed'),
           count(*) FILTER (WHERE c.state = 'busy'),
           count(*) FILTER (WHERE c.state = 'skipped'),
           count(*) FILTER (WHERE c.state = 'running'),
           count(*) FILTER (WHERE c.state = 'pending')
      INTO customers, done, failed, busy, skipped, running, pending
      FROM numaudit.sweep s LEFT JOIN numaudit.sweep_customer c ON c.sweep_id = s.id
     WHERE s.id = _sweep_leave.sweep_id
     GROUP BY s.customers;
    closed := running = 0 AND pending = 0;
    IF closed THEN
        UPDATE numaudit.sweep s SET status = 'done', finished_at = clock_timestamp()
         WHERE s.id = _sweep_leave.sweep_id AND s.status = 'open';
        closed := FOUND;
    END IF;
END
$$;

CREATE PROCEDURE numaudit.audit_all(under text DEFAULT NULL, scope text DEFAULT NULL,
                                    incremental boolean DEFAULT true,
                                    older_than interval DEFAULT '0',
                                    max_duration interval DEFAULT NULL)
    LANGUAGE C
    AS 'MODULE_PATHNAME', 'numaudit_audit_all';

-- Watching sweeps from any session.
CREATE VIEW numaudit.sweep_status AS
SELECT s.id AS sweep_id, s.under, s.scope, s.incremental, s.older_than, s.status,
       s.started_at, s.finished_at, s.started_by, s.customers,
       count(*) FILTER (WHERE c.state = 'done') AS done,
       count(*) FILTER (WHERE c.state = 'failed') AS failed,
       count(*) FILTER (WHERE c.state = 'busy') AS busy,
       count(*) FILTER (WHERE c.state = 'skipped') AS skipped,
       count(*) FILTER (WHERE c.state = 'running') AS running,
       count(*) FILTER (WHERE c.state = 'pending') AS left_to_do,
       count(DISTINCT c.pid) FILTER (WHERE c.state = 'running') AS sessions
  FROM numaudit.sweep s
  LEFT JOIN numaudit.sweep_customer c ON c.sweep_id = s.id
 GROUP BY s.id;

CREATE VIEW numaudit.sweep_activity AS
SELECT c.sweep_id, c.pid, c.customer_id, c.customer, c.scope, c.run_id, c.started_at,
       r.mode, r.sites_done, r.sites_total, r.current_site,
       numaudit._sweep_claim_alive(c.pid) AS alive
  FROM numaudit.sweep_customer c
  LEFT JOIN numaudit.audit_run r ON r.id = c.run_id
 WHERE c.state = 'running';

REVOKE EXECUTE ON PROCEDURE numaudit.audit_all(text, text, boolean, interval, interval) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION numaudit._sweep_claim_alive(integer), numaudit._sweep_reap(bigint),
    numaudit._sweep_open(text, text, boolean, interval, interval), numaudit._sweep_claim(bigint),
    numaudit._sweep_run(bigint, bigint, bigint), numaudit._sweep_finish_customer(bigint, bigint, text, text),
    numaudit._sweep_leave(bigint) FROM PUBLIC;
GRANT EXECUTE ON PROCEDURE numaudit.audit_all(text, text, boolean, interval, interval) TO numaudit_auditor;
GRANT EXECUTE ON FUNCTION numaudit._sweep_claim_alive(integer), numaudit._sweep_reap(bigint),
    numaudit._sweep_open(text, text, boolean, interval, interval), numaudit._sweep_claim(bigint),
    numaudit._sweep_run(bigint, bigint, bigint), numaudit._sweep_finish_customer(bigint, bigint, text, text),
    numaudit._sweep_leave(bigint) TO numaudit_auditor;
GRANT EXECUTE ON FUNCTION numaudit._sweep_claim_alive(integer) TO numaudit_reader;
GRANT SELECT, INSERT, UPDATE, DELETE ON numaudit.sweep, numaudit.sweep_customer TO numaudit_auditor;
GRANT SELECT ON numaudit.sweep, numaudit.sweep_customer TO numaudit_reader;
GRANT USAGE ON SEQUENCE numaudit.sweep_id_seq TO numaudit_auditor;
GRANT UPDATE (sweep_id) ON numaudit.audit_run TO numaudit_auditor;
GRANT SELECT ON numaudit.sweep_status, numaudit.sweep_activity TO numaudit_auditor, numaudit_reader;

COMMENT ON PROCEDURE numaudit.audit_all(text, text, boolean, interval, interval) IS 'Audits every customer with number management on under the provider or reseller under (path or name; NULL: all), each as CALL numaudit.audit does, oldest-audited first, leaving out customers audited more recently than older_than, starting no customer after max_duration. scope NULL: each customer with the scope of its last all-sites audit, else site (slc customers: site). Sessions calling it with the same arguments share one sweep without waiting for each other; each customer is audited at most once per sweep; a failure is recorded and the sweep goes on. Ends with a one-line NOTICE; the session that finishes the sweep sends NOTIFY numaudit_sweep. Call it as a lone statement outside a transaction block.';
COMMENT ON TABLE numaudit.sweep IS 'One row per sweep of CALL numaudit.audit_all: its arguments, when it began and finished (status open while customers are left or being audited, done after), and how many customers it listed. Sweeps done 30 days ago are deleted when a new one opens.';
COMMENT ON TABLE numaudit.sweep_customer IS 'The customers of a sweep in the order they are audited (never audited first, then oldest last audit), each with its state: pending, running (taken by session pid), done, failed, busy (another session''s audit held it: left to it), skipped (audited meanwhile, or no longer audited).';
COMMENT ON COLUMN numaudit.audit_run.sweep_id IS 'The sweep of CALL numaudit.audit_all this run was part of; NULL for a run of its own.';
COMMENT ON VIEW numaudit.sweep_status IS 'Per sweep: its arguments, status, and customers done, failed, busy, skipped, being audited and left to do, and how many sessions are auditing now.';
COMMENT ON VIEW numaudit.sweep_activity IS 'What each session running CALL numaudit.audit_all is auditing now: the customer, its run and its progress (sites done of total); alive is false for a session that ended (its customer is recorded failed when the sweep is next joined).';
COMMENT ON FUNCTION numaudit._sweep_claim_alive(integer) IS 'Internal to audit_all, not part of the contract: whether the session pid is running audit_all (holds its sweep lock).';
COMMENT ON FUNCTION numaudit._sweep_open(text, text, boolean, interval, interval) IS 'Internal step of audit_all, not part of the contract: checks its arguments, and joins the open sweep of the same arguments or opens one.';
COMMENT ON FUNCTION numaudit._sweep_claim(bigint) IS 'Internal step of audit_all, not part of the contract: takes the sweep''s next customer no other session holds, without waiting.';
COMMENT ON FUNCTION numaudit._sweep_run(bigint, bigint, bigint) IS 'Internal step of audit_all, not part of the contract: ties a customer''s audit_run to the sweep.';
COMMENT ON FUNCTION numaudit._sweep_finish_customer(bigint, bigint, text, text) IS 'Internal step of audit_all, not part of the contract: records how a customer''s audit ended.';
COMMENT ON FUNCTION numaudit._sweep_leave(bigint) IS 'Internal step of audit_all, not part of the contract: a session leaves the sweep, closing it when nothing is left.';
COMMENT ON FUNCTION numaudit._sweep_reap(bigint) IS 'Internal step of audit_all, not part of the contract: records the customers taken by sessions that no longer run audit_all as done or failed.';
COMMENT ON COLUMN numaudit.sweep.id IS 'The sweep id, as in audit_all''s NOTICE summary and NOTIFY numaudit_sweep.';
COMMENT ON COLUMN numaudit.sweep.under IS 'The path of the provider or reseller swept; NULL: every customer.';
COMMENT ON COLUMN numaudit.sweep.under_id IS 'Its hierarchy id; NULL: every customer.';
COMMENT ON COLUMN numaudit.sweep.scope IS 'The scope given (customer or site); NULL: each customer''s own (its last all-sites audit''s, else site). slc customers are always audited with scope site.';
COMMENT ON COLUMN numaudit.sweep.incremental IS 'Whether its customers are audited incrementally (each runs full without a baseline).';
COMMENT ON COLUMN numaudit.sweep.older_than IS 'Customers audited (done, over all sites) more recently than this are left out.';
COMMENT ON COLUMN numaudit.sweep.status IS 'open while customers are left or being audited (a session may join it); done once every customer is finished.';
COMMENT ON COLUMN numaudit.sweep.started_at IS 'When the sweep was opened (clock time).';
COMMENT ON COLUMN numaudit.sweep.finished_at IS 'When its last customer finished; NULL while open.';
COMMENT ON COLUMN numaudit.sweep.started_by IS 'The role that opened it.';
COMMENT ON COLUMN numaudit.sweep.customers IS 'How many customers it listed when it opened.';
COMMENT ON COLUMN numaudit.sweep_customer.sweep_id IS 'The sweep.';
COMMENT ON COLUMN numaudit.sweep_customer.position IS 'Its place in the sweep''s order: never audited first, then by oldest last audit, then by path.';
COMMENT ON COLUMN numaudit.sweep_customer.customer_id IS 'The customer (hierarchy id).';
COMMENT ON COLUMN numaudit.sweep_customer.customer IS 'The customer''s path (when it was taken, or when the sweep opened).';
COMMENT ON COLUMN numaudit.sweep_customer.last_audit IS 'When it was last audited over all of its sites, as the sweep opened; NULL: never.';
COMMENT ON COLUMN numaudit.sweep_customer.state IS 'pending, running (session pid is auditing it), done, failed, busy (another session''s audit held it: left to that session), or skipped (see detail).';
COMMENT ON COLUMN numaudit.sweep_customer.scope IS 'The scope it is audited with, set when it is taken.';
COMMENT ON COLUMN numaudit.sweep_customer.run_id IS 'Its audit_run, once recorded (no foreign key: history may be purged or truncated on its own).';
COMMENT ON COLUMN numaudit.sweep_customer.pid IS 'The backend pid of the session that took it.';
COMMENT ON COLUMN numaudit.sweep_customer.started_at IS 'When it was taken.';
COMMENT ON COLUMN numaudit.sweep_customer.finished_at IS 'When it was finished (done, failed, busy or skipped).';
COMMENT ON COLUMN numaudit.sweep_customer.detail IS 'Why it failed (its run''s error), was busy or was skipped; NULL when done.';
COMMENT ON COLUMN numaudit.sweep_status.sweep_id IS 'The sweep.';
COMMENT ON COLUMN numaudit.sweep_status.under IS 'The path of the provider or reseller swept; NULL: every customer.';
COMMENT ON COLUMN numaudit.sweep_status.scope IS 'The scope given; NULL: each customer''s own.';
COMMENT ON COLUMN numaudit.sweep_status.incremental IS 'Whether customers are audited incrementally.';
COMMENT ON COLUMN numaudit.sweep_status.older_than IS 'Customers audited more recently than this are left out.';
COMMENT ON COLUMN numaudit.sweep_status.status IS 'open or done.';
COMMENT ON COLUMN numaudit.sweep_status.started_at IS 'When the sweep was opened.';
COMMENT ON COLUMN numaudit.sweep_status.finished_at IS 'When it was done; NULL while open.';
COMMENT ON COLUMN numaudit.sweep_status.started_by IS 'The role that opened it.';
COMMENT ON COLUMN numaudit.sweep_status.customers IS 'Customers listed when it opened.';
COMMENT ON COLUMN numaudit.sweep_status.done IS 'Customers audited (done).';
COMMENT ON COLUMN numaudit.sweep_status.failed IS 'Customers whose audit failed (the error is in sweep_customer.detail and audit_run.error).';
COMMENT ON COLUMN numaudit.sweep_status.busy IS 'Customers left to another session''s audit that held them.';
COMMENT ON COLUMN numaudit.sweep_status.skipped IS 'Customers passed over: audited meanwhile, number management turned off, or gone.';
COMMENT ON COLUMN numaudit.sweep_status.running IS 'Customers being audited now.';
COMMENT ON COLUMN numaudit.sweep_status.left_to_do IS 'Customers no session has taken yet.';
COMMENT ON COLUMN numaudit.sweep_status.sessions IS 'Sessions auditing a customer of it now.';
COMMENT ON COLUMN numaudit.sweep_activity.sweep_id IS 'The sweep.';
COMMENT ON COLUMN numaudit.sweep_activity.pid IS 'The backend pid of the session (pg_stat_activity.pid).';
COMMENT ON COLUMN numaudit.sweep_activity.customer_id IS 'The customer it is auditing (hierarchy id).';
COMMENT ON COLUMN numaudit.sweep_activity.customer IS 'The customer''s path.';
COMMENT ON COLUMN numaudit.sweep_activity.scope IS 'The scope it is audited with.';
COMMENT ON COLUMN numaudit.sweep_activity.run_id IS 'Its audit_run; NULL until recorded.';
COMMENT ON COLUMN numaudit.sweep_activity.started_at IS 'When the session took it.';
COMMENT ON COLUMN numaudit.sweep_activity.mode IS 'full or incremental (audit_run.mode).';
COMMENT ON COLUMN numaudit.sweep_activity.sites_done IS 'Sites done so far (audit_run.sites_done).';
COMMENT ON COLUMN numaudit.sweep_activity.sites_total IS 'Sites the run covers.';
COMMENT ON COLUMN numaudit.sweep_activity.current_site IS 'The site being audited now, if any.';
COMMENT ON COLUMN numaudit.sweep_activity.alive IS 'false when the session no longer runs audit_all (ended, or stopped on an error): the customer is recorded failed when the sweep is next joined or left.';

-- numaudit_inc: the differential test of incremental audits (SPEC §4, "same
-- result as a full audit"). Needs numaudit_diff (differential.sql, the
-- scenario generator) and numaudit_oracle (oracle.sql, read_text and cut).
--
--   CALL numaudit_inc.scenario(seed, idx, rounds)
--
-- generates scenario idx of seed (numaudit_diff.generate: messy data, flat and
-- slc customers), audits Acme in full once per tracked scope (scope customer
-- for a flat customer, scope site over all sites for both dial plans: the
-- baselines), then runs `rounds` rounds. A round is 1 to 20 random statements
-- (committed), then one or both scopes, each audited
--   * in full, inside a subtransaction that is then rolled back (the "copy":
--     the same data, the same moment; its rows, inventory and updated_at
--     captured, nothing of it left, so it is no baseline),
--   * now and then by a dry incremental run (it must consume nothing, and
--     return the rows of the real run that follows),
--   * incrementally (numaudit.run, 15 % by CALL numaudit.audit), committed:
--     it renews the scope's baseline for the next round,
-- and compared (check below). Every audit is recorded in numaudit_inc.result;
-- a scenario stops at its first mismatch (its data would then diverge).
-- test/differential/incremental.sh drives it.

DROP SCHEMA IF EXISTS numaudit_inc CASCADE;
CREATE SCHEMA numaudit_inc;

-- One row per audit compared.
CREATE TABLE numaudit_inc.result (
    seed       bigint  NOT NULL,
    idx        integer NOT NULL,
    round      integer NOT NULL,      -- 0: the first (baseline) audits
    step       integer NOT NULL,      -- 1 or 2: the scope audited first or second
    dial       text    NOT NULL,
    scope      text    NOT NULL,      -- customer or all_sites
    via        text    NOT NULL,      -- run or audit (CALL)
    dry        boolean NOT NULL,      -- a dry incremental run came first
    mode       text,                  -- audit_run.mode of the incremental audit
    expected   text,                  -- what the test expects: incremental or full
    n_full     integer,               -- rows of the full audit
    n_inc      integer,               -- rows of the incremental audit
    n_about    integer,               -- full rows about what changed since the baseline
    report     text,                  -- NULL: agree
    PRIMARY KEY (seed, idx, round, step)
);
-- One row per round.
CREATE TABLE numaudit_inc.round (
    seed       bigint  NOT NULL,
    idx        integer NOT NULL,
    round      integer NOT NULL,
    statements integer NOT NULL,      -- statements that ran (errors skipped)
    kinds      text[]  NOT NULL,      -- their kinds
    PRIMARY KEY (seed, idx, round)
);
-- The statements of the scenarios that failed (kept for replay), and of the
-- current one.
CREATE TABLE numaudit_inc.log (
    seed bigint, idx integer, round integer, n integer, kind text, ok boolean, sql text
);

-- The test's own model of what the next audit of each scope must be.
CREATE TABLE numaudit_inc.model (
    scope     text PRIMARY KEY,       -- customer, all_sites
    baselined boolean NOT NULL,       -- a committed audit of that scope since the last whole change
    whole     boolean NOT NULL,       -- a hierarchy change of Acme since then
    big       boolean NOT NULL        -- a statement of more than 500 rows since then (it may touch more
                                      -- keys than the bound, greatest(1000, entries / 40): one whole mark)
);
-- Every whole or epoch change (usage kind, TRUNCATE) since the model was reset.
CREATE TABLE numaudit_inc.epoch_moved (moved boolean);

-- Snapshots of the tracked tables as each scope's baseline audit left them
-- (cust: the customer the row belonged to then, 10 is Acme).
CREATE TABLE numaudit_inc.snap_line (scope text, cust bigint, device_id bigint, line_index integer,
                                     pattern text, part text, kind text, name text);
CREATE TABLE numaudit_inc.snap_device (scope text, cust bigint, id bigint, hierarchy_id bigint,
                                       cluster text, kind text, name text);
CREATE TABLE numaudit_inc.snap_service (scope text, cust bigint, id bigint, hierarchy_id bigint,
                                        cluster text, kind text, name text, pattern text, part text);
CREATE TABLE numaudit_inc.snap_number (scope text, cust bigint, id bigint, hierarchy_id bigint,
                                       internal_number text, status text, usage text, description text);

-- The customer of a node now (its own id, or its parent's for a site).
CREATE FUNCTION numaudit_inc.cust(node bigint) RETURNS bigint
    LANGUAGE sql STABLE
    RETURN (SELECT CASE WHEN h.kind = 'site' THEN h.parent_id ELSE h.id END
              FROM numaudit.hierarchy h WHERE h.id = node);

CREATE FUNCTION numaudit_inc.snapshot(p_scope text) RETURNS void
    LANGUAGE plpgsql
AS $fn$
BEGIN
    DELETE FROM numaudit_inc.snap_line WHERE scope = p_scope;
    DELETE FROM numaudit_inc.snap_device WHERE scope = p_scope;
    DELETE FROM numaudit_inc.snap_service WHERE scope = p_scope;
    DELETE FROM numaudit_inc.snap_number WHERE scope = p_scope;
    INSERT INTO numaudit_inc.snap_line
    SELECT p_scope, numaudit_inc.cust(d.hierarchy_id), l.device_id, l.line_index, l.pattern, l.partition, d.kind, d.name
      FROM numaudit.device_line l JOIN numaudit.device d ON d.id = l.device_id;
    INSERT INTO numaudit_inc.snap_device
    SELECT p_scope, numaudit_inc.cust(d.hierarchy_id), d.id, d.hierarchy_id, d.cluster, d.kind, d.name
      FROM numaudit.device d;
    INSERT INTO numaudit_inc.snap_service
    SELECT p_scope, numaudit_inc.cust(s.hierarchy_id), s.id, s.hierarchy_id, s.cluster, s.kind, s.name, s.pattern,
           s.partition
      FROM numaudit.service s;
    INSERT INTO numaudit_inc.snap_number
    SELECT p_scope, numaudit_inc.cust(n.hierarchy_id), n.id, n.hierarchy_id, n.internal_number, n.status, n.usage,
           n.description
      FROM numaudit.number n;
END
$fn$;

-- What changed for Acme since the snapshot of scope p_scope (its baseline),
-- from the tables themselves (not from numaudit's marks): the rows of
-- device_line, device, service and number that differ (old or new side
-- belonging to Acme then or now). Returns
--   nums: the read texts (numaudit_oracle.read_text, and cut) of the internal
--         numbers of the entries that changed, and of the patterns that are
--         numbers in pats;
--   pats: the read texts of the patterns of the lines and services that
--         changed, and of every line (before and after, while the device
--         was or is Acme's) of a device that changed;
--   devs: 'kind name' of every device that changed or whose lines changed.
CREATE FUNCTION numaudit_inc.changed(p_scope text, OUT nums text[], OUT pats text[], OUT devs text[])
    LANGUAGE sql STABLE
AS $$
WITH
cur_line AS (SELECT numaudit_inc.cust(d.hierarchy_id) AS cust, l.device_id, l.line_index, l.pattern,
                    l.partition AS part, d.kind, d.name
               FROM numaudit.device_line l JOIN numaudit.device d ON d.id = l.device_id),
old_line AS (SELECT s.cust, s.device_id, s.line_index, s.pattern, s.part, s.kind, s.name
               FROM numaudit_inc.snap_line s WHERE s.scope = p_scope),
d_line AS ((SELECT * FROM old_line EXCEPT SELECT * FROM cur_line)
           UNION ALL (SELECT * FROM cur_line EXCEPT SELECT * FROM old_line)),
cur_dev AS (SELECT numaudit_inc.cust(d.hierarchy_id) AS cust, d.id, d.hierarchy_id, d.cluster, d.kind, d.name
              FROM numaudit.device d),
old_dev AS (SELECT s.cust, s.id, s.hierarchy_id, s.cluster, s.kind, s.name
              FROM numaudit_inc.snap_device s WHERE s.scope = p_scope),
d_dev AS ((SELECT * FROM old_dev EXCEPT SELECT * FROM cur_dev)
          UNION ALL (SELECT * FROM cur_dev EXCEPT SELECT * FROM old_dev)),
cur_svc AS (SELECT numaudit_inc.cust(s.hierarchy_id) AS cust, s.id, s.hierarchy_id, s.cluster, s.kind, s.name,
                   s.pattern, s.partition AS part
              FROM numaudit.service s),
old_svc AS (SELECT s.cust, s.id, s.hierarchy_id, s.cluster, s.kind, s.name, s.pattern, s.part
              FROM numaudit_inc.snap_service s WHERE s.scope = p_scope),
d_svc AS ((SELECT * FROM old_svc EXCEPT SELECT * FROM cur_svc)
          UNION ALL (SELECT * FROM cur_svc EXCEPT SELECT * FROM old_svc)),
cur_num AS (SELECT numaudit_inc.cust(n.hierarchy_id) AS cust, n.id, n.hierarchy_id, n.internal_number, n.status,
                   n.usage, n.description
              FROM numaudit.number n),
old_num AS (SELECT s.cust, s.id, s.hierarchy_id, s.internal_number, s.status, s.usage, s.description
              FROM numaudit_inc.snap_number s WHERE s.scope = p_scope),
d_num AS ((SELECT * FROM old_num EXCEPT SELECT * FROM cur_num)
          UNION ALL (SELECT * FROM cur_num EXCEPT SELECT * FROM old_num)),
patterns AS (
    SELECT l.pattern AS t FROM d_line l WHERE l.cust = 10
    -- every line of a device that changed, before and after, on the side(s)
    -- where the device is Acme's (one moved to another customer takes its
    -- lines along: what they become there is that customer's change)
    UNION SELECT l.pattern FROM old_line l JOIN d_dev d ON d.id = l.device_id WHERE l.cust = 10
    UNION SELECT l.pattern FROM cur_line l JOIN d_dev d ON d.id = l.device_id WHERE l.cust = 10
    UNION SELECT s.pattern FROM d_svc s WHERE s.cust = 10),
texts AS (
    SELECT p.t FROM patterns p WHERE numaudit_oracle.is_number(numaudit_oracle.read_text(p.t))
    UNION SELECT n.internal_number FROM d_num n WHERE n.cust = 10),
dkeys AS (
    SELECT l.kind || ' ' || l.name AS k FROM d_line l WHERE l.cust = 10
    UNION SELECT d.kind || ' ' || d.name FROM d_dev d WHERE d.cust = 10)
SELECT ARRAY(SELECT DISTINCT x FROM texts, LATERAL (VALUES (numaudit_oracle.read_text(texts.t)),
                                                           (numaudit_oracle.cut(numaudit_oracle.read_text(texts.t)))) v (x)),
       ARRAY(SELECT DISTINCT x FROM patterns, LATERAL (VALUES (numaudit_oracle.read_text(patterns.t)),
                                                              (numaudit_oracle.cut(numaudit_oracle.read_text(patterns.t)))) v (x)),
       ARRAY(SELECT DISTINCT numaudit_oracle.cut(k) FROM dkeys)
$$;

-- Random statements ----------------------------------------------------------

-- A text as exports and hands write it: whitespace around it now and then.
CREATE FUNCTION numaudit_inc.ws(t text) RETURNS text
    LANGUAGE sql VOLATILE
    RETURN CASE WHEN random() < 0.2
                THEN numaudit_diff.pick(ARRAY[' ', '  ', E'\t', E'\n', '', ''])
                     || t || numaudit_diff.pick(ARRAY[' ', E'\t', E'\r', E'\r\n', E'\n', '', ''])
                ELSE t END;

-- A number Acme uses or holds (its read text), or a new one.
CREATE FUNCTION numaudit_inc.some_number() RETURNS text
    LANGUAGE plpgsql VOLATILE
AS $fn$
DECLARE
    r double precision := random();
BEGIN
    IF r < 0.65 THEN
        RETURN coalesce(numaudit_diff.pick(ARRAY(
            SELECT x.n FROM (SELECT numaudit_oracle.read_text(l.pattern) AS n
                               FROM numaudit.device_line l JOIN numaudit.device d ON d.id = l.device_id
                              WHERE numaudit_inc.cust(d.hierarchy_id) = 10
                             UNION SELECT numaudit_oracle.read_text(s.pattern) FROM numaudit.service s
                              WHERE numaudit_inc.cust(s.hierarchy_id) = 10
                             UNION SELECT numaudit_oracle.read_text(n.internal_number) FROM numaudit.number n
                              WHERE numaudit_inc.cust(n.hierarchy_id) = 10) AS x
             WHERE length(x.n) < 100 ORDER BY x.n COLLATE "C")), '1001');
    ELSIF r < 0.85 THEN
        RETURN (1000 + numaudit_diff.rint(0, 35))::text;
    ELSIF r < 0.95 THEN
        RETURN '+4420700' || lpad(numaudit_diff.rint(0, 99)::text, 2, '0');
    END IF;
    RETURN '*5' || numaudit_diff.rint(0, 9);
END
$fn$;

-- A pattern (or an entry's text): mostly a number, written '\+' half the
-- time when it starts with '+', with whitespace now and then; else a
-- wildcard or an invalid text; rarely 10,001 characters.
CREATE FUNCTION numaudit_inc.some_text() RETURNS text
    LANGUAGE plpgsql VOLATILE
AS $fn$
DECLARE
    r double precision := random();
    n text;
BEGIN
    IF r < 0.1 THEN
        RETURN numaudit_inc.ws(numaudit_diff.pick(numaudit_diff.wildcards()));
    ELSIF r < 0.18 THEN
        RETURN numaudit_inc.ws(numaudit_diff.pick(numaudit_diff.invalids()));
    ELSIF r < 0.185 THEN
        RETURN repeat(numaudit_diff.pick(ARRAY['1', 'X', 'ü']), 10001);
    END IF;
    n := numaudit_inc.some_number();
    IF left(n, 1) = '+' AND random() < 0.5 THEN
        n := '\' || n;
    END IF;
    RETURN numaudit_inc.ws(n);
END
$fn$;

CREATE FUNCTION numaudit_inc.acme_nodes() RETURNS bigint[]
    LANGUAGE sql STABLE
    RETURN ARRAY(SELECT h.id FROM numaudit.hierarchy h
                  WHERE h.id = 10 OR (h.parent_id = 10 AND h.kind = 'site') ORDER BY h.id);
-- A node: mostly Acme's, else another customer's (or its sites'), rarely a reseller.
CREATE FUNCTION numaudit_inc.some_node() RETURNS bigint
    LANGUAGE sql VOLATILE
    RETURN CASE WHEN random() < 0.85 THEN numaudit_diff.pick(numaudit_inc.acme_nodes())
                WHEN random() < 0.9 THEN 2
                ELSE coalesce(numaudit_diff.pick(ARRAY(
                         SELECT h.id FROM numaudit.hierarchy h
                          WHERE h.id <> 10 AND h.kind IN ('customer', 'site')
                            AND (h.kind = 'customer' OR h.parent_id <> 10) ORDER BY h.id)),
                     10) END;
-- A row id of a table, mostly one of Acme's.
CREATE FUNCTION numaudit_inc.some_id(tab text) RETURNS bigint
    LANGUAGE plpgsql VOLATILE
AS $fn$
DECLARE
    ids bigint[];
BEGIN
    EXECUTE format('SELECT array_agg(t.id ORDER BY t.id) FROM numaudit.%I t WHERE (numaudit_inc.cust(t.hierarchy_id) = 10) = $1',
                   tab)
       INTO ids USING random() < 0.85;
    IF ids IS NULL THEN
        EXECUTE format('SELECT array_agg(t.id ORDER BY t.id) FROM numaudit.%I t', tab) INTO ids;
    END IF;
    RETURN numaudit_diff.pick(ids);
END
$fn$;
CREATE FUNCTION numaudit_inc.some_cluster() RETURNS text
    LANGUAGE sql VOLATILE
    RETURN numaudit_diff.pick(ARRAY(SELECT c FROM (SELECT d.cluster AS c FROM numaudit.device d
                                                   UNION SELECT s.cluster FROM numaudit.service s
                                                   UNION VALUES ('CL1'), ('CL2'), ('CL9')) x
                                     ORDER BY c COLLATE "C"));
CREATE FUNCTION numaudit_inc.some_service_kind() RETURNS text
    LANGUAGE sql VOLATILE
    RETURN numaudit_diff.pick(ARRAY(SELECT k.kind FROM numaudit.usage_kind k
                                     WHERE k.kind NOT IN ('phone', 'device_profile', 'remote_destination_profile')
                                     ORDER BY k.kind));
CREATE FUNCTION numaudit_inc.some_status() RETURNS text
    LANGUAGE sql VOLATILE
    RETURN numaudit_diff.pick(ARRAY['Available', 'Used', 'Used-Utility', 'Reserved', 'Cooling']);
CREATE FUNCTION numaudit_inc.some_usage() RETURNS text
    LANGUAGE sql VOLATILE
    RETURN numaudit_diff.pick(ARRAY[NULL, NULL, 'Device', 'Hunt_Pilot', 'Device,Hunt_Pilot', 'Call_Park', 'Teams',
                                    '', 'Webex']);
-- An entry id for an application's insert (past the largest, as the
-- scenario's identity may have been left behind).
CREATE FUNCTION numaudit_inc.new_entry_id() RETURNS bigint
    LANGUAGE sql VOLATILE
    RETURN (SELECT coalesce(max(n.id), 0) + 1 + numaudit_diff.rint(0, 3) FROM numaudit.number n);
CREATE FUNCTION numaudit_inc.some_device_name() RETURNS text
    LANGUAGE sql VOLATILE
    RETURN CASE WHEN random() < 0.5
                THEN coalesce(numaudit_diff.pick(ARRAY(SELECT y.n FROM (SELECT DISTINCT d.name AS n FROM numaudit.device d) y
                                                        ORDER BY y.n COLLATE "C")), 'SEPX')
                ELSE 'SEPNEW' || numaudit_diff.rint(1, 40) END;

-- The kinds of statements and their weights.
CREATE FUNCTION numaudit_inc.kinds() RETURNS TABLE (kind text, weight double precision)
    LANGUAGE sql IMMUTABLE
AS $$ VALUES
    ('line_insert', 8), ('line_insert_multi', 3), ('line_delete', 6), ('line_update', 9),
    ('line_update_multi', 3), ('line_move', 2), ('line_reindex', 1),
    ('device_rename', 4), ('device_cluster', 4), ('device_move', 4), ('device_delete', 4),
    ('device_delete_copies', 1), ('device_kind', 1), ('device_duplicate', 4), ('device_duplicate_cte', 2),
    ('device_insert', 2),
    ('service_insert', 5), ('service_delete', 4), ('service_pattern', 5), ('service_rename', 2),
    ('service_cluster', 2), ('service_move', 2), ('service_multi', 1),
    ('entry_insert', 7), ('entry_insert_multi', 2), ('entry_delete', 4), ('entry_delete_number', 1),
    ('entry_status', 6), ('entry_usage', 4), ('entry_description', 2), ('entry_internal_number', 3),
    ('entry_move', 2), ('entry_multi', 2),
    ('copy_lines', 2), ('copy_entries', 2),
    ('chosen_sites_audit', 1.5),
    ('hierarchy_rename_other', 0.6), ('hierarchy_rename_site', 0.25), ('hierarchy_add_site', 0.25),
    ('hierarchy_move_site', 0.25), ('hierarchy_rename_reseller', 0.1),
    ('usage_kind', 0.12), ('truncate', 0.08)
$$;

-- The statements of one change of kind k, as SQL texts (run in order, in one
-- subtransaction).
CREATE FUNCTION numaudit_inc.statements(k text) RETURNS text[]
    LANGUAGE plpgsql VOLATILE
AS $fn$
DECLARE
    dev bigint := numaudit_inc.some_id('device');
    dev2 bigint;
    line record;
    svc bigint;
    ent bigint;
    node bigint;
    site record;
    copy_ok boolean := EXISTS (SELECT FROM pg_roles r WHERE r.rolname = current_user AND r.rolsuper);
    f text := '/tmp/numaudit_inc_' || pg_backend_pid() || '.copy';
    rows text;
BEGIN
    -- A line, uniformly. (Draws never depend on the tables' physical order,
    -- which depends on what ran before: a scenario is the same alone or in a
    -- long run. So no volatile function in a WHERE and no ORDER BY random()
    -- over a table's rows.)
    SELECT l.device_id, l.line_index INTO line FROM numaudit.device_line l
     ORDER BY l.device_id, l.line_index
    OFFSET numaudit_diff.rint(0, greatest((SELECT count(*) FROM numaudit.device_line)::integer - 1, 0)) LIMIT 1;
    CASE k
    WHEN 'line_insert' THEN
        RETURN ARRAY[format('INSERT INTO numaudit.device_line (device_id, line_index, pattern) VALUES (%L, %L, %L)',
                            dev, numaudit_diff.rint(1, 14), numaudit_inc.some_text())];
    WHEN 'line_insert_multi' THEN
        SELECT string_agg(format('(%L, %L, %L)', numaudit_inc.some_id('device'), numaudit_diff.rint(1, 14),
                                 numaudit_inc.some_text()), ', ')
          INTO rows FROM generate_series(1, numaudit_diff.rint(2, 4));
        RETURN ARRAY['INSERT INTO numaudit.device_line (device_id, line_index, pattern) VALUES ' || rows
                     || ' ON CONFLICT DO NOTHING'];
    WHEN 'line_delete' THEN
        RETURN ARRAY[format('DELETE FROM numaudit.device_line WHERE device_id = %L AND line_index = %L',
                            line.device_id, line.line_index)];
    WHEN 'line_update' THEN
        RETURN ARRAY[format('UPDATE numaudit.device_line SET pattern = %L WHERE device_id = %L AND line_index = %L',
                            numaudit_inc.some_text(), line.device_id, line.line_index)];
    WHEN 'line_update_multi' THEN
        -- Whitespace and '\+' only: the same numbers, other texts.
        RETURN ARRAY[format($q$UPDATE numaudit.device_line
                               SET pattern = CASE WHEN pattern LIKE '+%%' THEN '\' || pattern
                                                  WHEN pattern LIKE '\+%%' THEN substr(pattern, 2)
                                                  WHEN pattern LIKE ' %%' THEN btrim(pattern)
                                                  ELSE pattern || %L END
                             WHERE device_id IN (%L, %L)$q$,
                            numaudit_diff.pick(ARRAY[' ', E'\r\n', E'\t']), dev, numaudit_inc.some_id('device'))];
    WHEN 'line_move' THEN
        RETURN ARRAY[format('UPDATE numaudit.device_line SET device_id = %L WHERE device_id = %L AND line_index = %L',
                            dev, line.device_id, line.line_index)];
    WHEN 'line_reindex' THEN
        RETURN ARRAY[format('UPDATE numaudit.device_line SET line_index = line_index + 20 WHERE device_id = %L', dev)];
    WHEN 'device_rename' THEN
        RETURN ARRAY[format('UPDATE numaudit.device SET name = %L WHERE id = %L', numaudit_inc.some_device_name(), dev)];
    WHEN 'device_cluster' THEN
        RETURN ARRAY[format('UPDATE numaudit.device SET cluster = %L WHERE id = %L', numaudit_inc.some_cluster(), dev)];
    WHEN 'device_move' THEN
        RETURN ARRAY[format('UPDATE numaudit.device SET hierarchy_id = %L WHERE id = %L', numaudit_inc.some_node(), dev)];
    WHEN 'device_delete' THEN
        RETURN ARRAY[format('DELETE FROM numaudit.device WHERE id = %L', dev)];
    WHEN 'device_delete_copies' THEN
        RETURN ARRAY[format('DELETE FROM numaudit.device WHERE name = (SELECT name FROM numaudit.device WHERE id = %L)',
                            dev)];
    WHEN 'device_kind' THEN
        RETURN ARRAY[format('UPDATE numaudit.device SET kind = %L WHERE id = %L',
                            numaudit_diff.pick(ARRAY['phone', 'device_profile', 'remote_destination_profile']), dev)];
    WHEN 'device_duplicate' THEN
        -- A copy in another cluster: its lines as they are, or one changed.
        RETURN ARRAY[format($q$INSERT INTO numaudit.device (hierarchy_id, cluster, kind, name)
                               SELECT %L, %L, kind, name FROM numaudit.device WHERE id = %L$q$,
                            CASE WHEN random() < 0.7 THEN (SELECT d.hierarchy_id FROM numaudit.device d WHERE d.id = dev)
                                 ELSE numaudit_inc.some_node() END,
                            numaudit_inc.some_cluster(), dev),
                     format($q$INSERT INTO numaudit.device_line (device_id, line_index, pattern)
                               SELECT currval(pg_get_serial_sequence('numaudit.device', 'id')), l.line_index,
                                      CASE WHEN l.line_index = %L THEN %L ELSE l.pattern END
                                 FROM numaudit.device_line l WHERE l.device_id = %L$q$,
                            numaudit_diff.rint(1, 6), numaudit_inc.some_text(), dev)];
    WHEN 'device_duplicate_cte' THEN
        -- The device and its lines in one statement: both triggers fire at its end.
        RETURN ARRAY[format($q$WITH d AS (INSERT INTO numaudit.device (hierarchy_id, cluster, kind, name)
                                         SELECT hierarchy_id, %L, kind, name FROM numaudit.device WHERE id = %L
                                         RETURNING id)
                               INSERT INTO numaudit.device_line (device_id, line_index, pattern)
                               SELECT d.id, l.line_index, l.pattern FROM d, numaudit.device_line l
                                WHERE l.device_id = %L$q$,
                            numaudit_inc.some_cluster(), dev, dev)];
    WHEN 'device_insert' THEN
        RETURN ARRAY[format($q$INSERT INTO numaudit.device (hierarchy_id, cluster, kind, name) VALUES (%L, %L, %L, %L)$q$,
                            numaudit_inc.some_node(), numaudit_inc.some_cluster(),
                            numaudit_diff.pick(ARRAY['phone', 'device_profile', 'remote_destination_profile']),
                            numaudit_inc.some_device_name()),
                     format($q$INSERT INTO numaudit.device_line (device_id, line_index, pattern)
                               SELECT currval(pg_get_serial_sequence('numaudit.device', 'id')), i, x
                                 FROM unnest(%L::text[]) WITH ORDINALITY AS u (x, i)$q$,
                            ARRAY(SELECT numaudit_inc.some_text() FROM generate_series(1, numaudit_diff.rint(0, 3))))];
    WHEN 'service_insert' THEN
        RETURN ARRAY[format($q$INSERT INTO numaudit.service (hierarchy_id, cluster, kind, name, pattern)
                               VALUES (%L, %L, %L, %L, %L)$q$,
                            numaudit_inc.some_node(), numaudit_inc.some_cluster(), numaudit_inc.some_service_kind(),
                            numaudit_diff.pick(ARRAY['HP1', 'CP-new', 'VM', 'Teams-1', 'X']), numaudit_inc.some_text())];
    WHEN 'service_delete' THEN
        RETURN ARRAY[format('DELETE FROM numaudit.service WHERE id = %L', numaudit_inc.some_id('service'))];
    WHEN 'service_pattern' THEN
        RETURN ARRAY[format('UPDATE numaudit.service SET pattern = %L WHERE id = %L', numaudit_inc.some_text(),
                            numaudit_inc.some_id('service'))];
    WHEN 'service_rename' THEN
        RETURN ARRAY[format('UPDATE numaudit.service SET name = %L WHERE id = %L',
                            coalesce(numaudit_diff.pick(ARRAY(SELECT y.n FROM (SELECT DISTINCT s.name AS n FROM numaudit.service s) y
                                                               ORDER BY y.n COLLATE "C")), 'HP1'),
                            numaudit_inc.some_id('service'))];
    WHEN 'service_cluster' THEN
        RETURN ARRAY[format('UPDATE numaudit.service SET cluster = %L WHERE id = %L', numaudit_inc.some_cluster(),
                            numaudit_inc.some_id('service'))];
    WHEN 'service_move' THEN
        RETURN ARRAY[format('UPDATE numaudit.service SET hierarchy_id = %L WHERE id = %L', numaudit_inc.some_node(),
                            numaudit_inc.some_id('service'))];
    WHEN 'service_multi' THEN
        RETURN ARRAY[format('UPDATE numaudit.service SET kind = %L WHERE hierarchy_id = %L',
                            numaudit_inc.some_service_kind(), numaudit_inc.some_node())];
    WHEN 'entry_insert' THEN
        RETURN ARRAY[format($q$INSERT INTO numaudit.number (id, hierarchy_id, internal_number, status, usage, description)
                               VALUES (%L, %L, %L, %L, %L, 'app')$q$,
                            numaudit_inc.new_entry_id(), numaudit_inc.some_node(), numaudit_inc.some_text(),
                            numaudit_inc.some_status(), numaudit_inc.some_usage())];
    WHEN 'entry_insert_multi' THEN
        ent := numaudit_inc.new_entry_id();
        SELECT string_agg(format('(%L, %L, %L, %L, %L, %L)', ent + i, numaudit_inc.some_node(),
                                 numaudit_inc.some_text(), numaudit_inc.some_status(), numaudit_inc.some_usage(),
                                 'app ' || i), ', ')
          INTO rows FROM generate_series(1, numaudit_diff.rint(2, 5)) AS i;
        RETURN ARRAY['INSERT INTO numaudit.number (id, hierarchy_id, internal_number, status, usage, description) VALUES '
                     || rows || ' ON CONFLICT DO NOTHING'];
    WHEN 'entry_delete' THEN
        RETURN ARRAY[format('DELETE FROM numaudit.number WHERE id = %L', numaudit_inc.some_id('number'))];
    WHEN 'entry_delete_number' THEN
        RETURN ARRAY[format($q$DELETE FROM numaudit.number
                             WHERE btrim(internal_number) = (SELECT btrim(internal_number) FROM numaudit.number
                                                              WHERE id = %L)$q$,
                            numaudit_inc.some_id('number'))];
    WHEN 'entry_status' THEN
        RETURN ARRAY[format('UPDATE numaudit.number SET status = %L WHERE id = %L', numaudit_inc.some_status(),
                            numaudit_inc.some_id('number'))];
    WHEN 'entry_usage' THEN
        RETURN ARRAY[format('UPDATE numaudit.number SET usage = %L WHERE id = %L', numaudit_inc.some_usage(),
                            numaudit_inc.some_id('number'))];
    WHEN 'entry_description' THEN
        RETURN ARRAY[format('UPDATE numaudit.number SET description = %L WHERE id = %L',
                            'edited ' || numaudit_diff.rint(1, 9), numaudit_inc.some_id('number'))];
    WHEN 'entry_internal_number' THEN
        RETURN ARRAY[format('UPDATE numaudit.number SET internal_number = %L WHERE id = %L', numaudit_inc.some_text(),
                            numaudit_inc.some_id('number'))];
    WHEN 'entry_move' THEN
        RETURN ARRAY[format('UPDATE numaudit.number SET hierarchy_id = %L WHERE id = %L', numaudit_inc.some_node(),
                            numaudit_inc.some_id('number'))];
    WHEN 'entry_multi' THEN
        RETURN ARRAY[format('UPDATE numaudit.number SET status = %L, usage = %L WHERE hierarchy_id = %L AND status <> %L',
                            numaudit_inc.some_status(), numaudit_inc.some_usage(), numaudit_inc.some_node(),
                            numaudit_inc.some_status())];
    WHEN 'copy_lines' THEN
        rows := format('SELECT %L, i + 30, x FROM unnest(%L::text[]) WITH ORDINALITY AS u (x, i)', dev,
                       ARRAY(SELECT numaudit_inc.some_text() FROM generate_series(1, numaudit_diff.rint(1, 4))));
        IF NOT copy_ok THEN
            RETURN ARRAY['INSERT INTO numaudit.device_line (device_id, line_index, pattern) ' || rows];
        END IF;
        RETURN ARRAY[format('COPY (%s) TO %L', rows, f),
                     format('COPY numaudit.device_line (device_id, line_index, pattern) FROM %L', f)];
    WHEN 'copy_entries' THEN
        ent := numaudit_inc.new_entry_id();
        rows := format($q$SELECT %L + i, %L, x, %L, NULL, 'copied' FROM unnest(%L::text[]) WITH ORDINALITY AS u (x, i)$q$,
                       ent, numaudit_inc.some_node(), numaudit_inc.some_status(),
                       ARRAY(SELECT numaudit_inc.some_text() FROM generate_series(1, numaudit_diff.rint(1, 4))));
        IF NOT copy_ok THEN
            RETURN ARRAY['INSERT INTO numaudit.number (id, hierarchy_id, internal_number, status, usage, description) '
                         || rows];
        END IF;
        RETURN ARRAY[format('COPY (%s) TO %L', rows, f),
                     format('COPY numaudit.number (id, hierarchy_id, internal_number, status, usage, description) FROM %L',
                            f)];
    WHEN 'chosen_sites_audit' THEN
        -- An audit of some sites: always full, no baseline, but its writes are changes.
        -- (Never '{}': that is every site, the all_sites scope.)
        IF NOT EXISTS (SELECT FROM numaudit.hierarchy h WHERE h.parent_id = 10 AND h.kind = 'site') THEN
            RETURN ARRAY['SELECT 1'];
        END IF;
        RETURN ARRAY[format($q$SELECT count(*) FROM numaudit.run('Acme', 'site', %L)$q$,
                            (numaudit_diff.shuffle(ARRAY(SELECT h.name FROM numaudit.hierarchy h
                                                          WHERE h.parent_id = 10 AND h.kind = 'site'
                                                          ORDER BY h.id)))[1:numaudit_diff.rint(1, 2)])];
    WHEN 'hierarchy_rename_other' THEN
        -- Another customer's site: Acme's baselines must hold.
        RETURN ARRAY[format($q$UPDATE numaudit.hierarchy SET name = name || %L
                             WHERE id = (SELECT min(id) FROM numaudit.hierarchy WHERE kind = 'site' AND parent_id <> 10)$q$,
                            numaudit_diff.pick(ARRAY['-x', ' 2', 'y']))];
    WHEN 'hierarchy_rename_site' THEN
        RETURN ARRAY[format($q$UPDATE numaudit.hierarchy SET name = %L WHERE id = %L$q$,
                            numaudit_diff.pick(ARRAY['Lyon', 'Athens', 'oslo', 'Zürich 2', 'Rome']),
                            coalesce(numaudit_diff.pick(ARRAY(SELECT h.id FROM numaudit.hierarchy h
                                                               WHERE h.parent_id = 10 ORDER BY h.id)), 0))];
    WHEN 'hierarchy_add_site' THEN
        RETURN ARRAY[format($q$INSERT INTO numaudit.hierarchy (id, parent_id, name, kind, dial_plan, site_location_code)
                               SELECT max(id) + 1, 10, %L, 'site', 'flat',
                                      CASE WHEN (SELECT dial_plan FROM numaudit.hierarchy WHERE id = 10) = 'slc'
                                           THEN (max(id) + 100)::text END
                                 FROM numaudit.hierarchy$q$,
                            numaudit_diff.pick(ARRAY['Vienna', 'Porto', 'Site 9', 'B']))];
    WHEN 'hierarchy_move_site' THEN
        -- A site of Acme to Initech (a customer of Acme's dial plan), or back.
        IF NOT EXISTS (SELECT FROM numaudit.hierarchy h WHERE h.id = 30) THEN
            RETURN ARRAY[$q$INSERT INTO numaudit.hierarchy (id, parent_id, name, kind, dial_plan)
                            SELECT 30, 2, 'Initech', 'customer', dial_plan FROM numaudit.hierarchy WHERE id = 10$q$,
                         format('UPDATE numaudit.hierarchy SET parent_id = 30 WHERE id = %L',
                                coalesce(numaudit_diff.pick(ARRAY(SELECT h.id FROM numaudit.hierarchy h
                                                                   WHERE h.parent_id = 10 ORDER BY h.id)), 0))];
        END IF;
        RETURN ARRAY[format('UPDATE numaudit.hierarchy SET parent_id = %L WHERE id = %L',
                            numaudit_diff.pick(ARRAY[10, 30]),
                            coalesce(numaudit_diff.pick(ARRAY(SELECT h.id FROM numaudit.hierarchy h
                                                               WHERE h.parent_id IN (10, 30) ORDER BY h.id)), 0))];
    WHEN 'hierarchy_rename_reseller' THEN
        RETURN ARRAY[$q$UPDATE numaudit.hierarchy SET name = CASE name WHEN 'R' THEN 'R-renamed' ELSE 'R' END
                         WHERE id = 2$q$];
    WHEN 'usage_kind' THEN
        RETURN ARRAY[numaudit_diff.pick(ARRAY[
            $q$UPDATE numaudit.usage_kind SET rank = CASE rank WHEN 12 THEN 99 ELSE 12 END WHERE kind = 'webex'$q$,
            $q$UPDATE numaudit.usage_kind SET status = CASE status WHEN 'Used' THEN 'Used-Utility' ELSE 'Used' END
                WHERE kind = 'teams'$q$,
            $q$UPDATE numaudit.usage_kind SET usage = CASE usage WHEN 'Teams' THEN 'MS_Teams' ELSE 'Teams' END
                WHERE kind = 'teams'$q$])];
    WHEN 'truncate' THEN
        RETURN ARRAY[numaudit_diff.pick(ARRAY['TRUNCATE numaudit.service', 'TRUNCATE numaudit.device_line'])];
    END CASE;
END
$fn$;

-- Acme, its sites and its ancestors as they are now: a change to any of them
-- (a rename, a move, a site added or removed, kind, dial plan, number
-- management) changes paths in Acme's rows or which rules apply, and drops
-- Acme's baselines (docs/INCREMENTAL_DESIGN.md, "What each change marks").
-- Other nodes, a reseller that is not Acme's ancestor included, are none of
-- Acme's business: its baselines hold.
CREATE FUNCTION numaudit_inc.acme_tree() RETURNS text
    LANGUAGE sql STABLE
AS $$
    WITH RECURSIVE up AS (
        SELECT h.id, h.parent_id FROM numaudit.hierarchy h WHERE h.id = 10
        UNION
        SELECT h.id, h.parent_id FROM numaudit.hierarchy h JOIN up ON h.id = up.parent_id)
    SELECT string_agg(format('%s/%s/%s/%s/%s/%s', h.id, h.parent_id, h.name, h.kind, h.dial_plan,
                             h.number_management), ',' ORDER BY h.id)
      FROM numaudit.hierarchy h
     WHERE h.id IN (SELECT up.id FROM up) OR h.parent_id = 10
$$;

-- One round of random statements (1 to 20 changes); updates the model.
CREATE FUNCTION numaudit_inc.random_dml(p_seed bigint, p_idx integer, p_round integer) RETURNS void
    LANGUAGE plpgsql
AS $fn$
DECLARE
    n integer := numaudit_diff.rint(1, 20);
    total double precision := (SELECT sum(weight) FROM numaudit_inc.kinds());
    r double precision;
    k text;
    stmts text[];
    s text;
    cnt bigint;
    ok boolean;
    did text[] := '{}';
    v_whole boolean := false;
    v_epoch boolean := false;
    v_big boolean := false;
    hier_before text;
BEGIN
    FOR i IN 1 .. n LOOP
        r := random() * total;
        SELECT x.kind INTO k FROM (SELECT kk.kind, sum(kk.weight) OVER (ORDER BY kk.ord) AS upto
                                     FROM (SELECT q.*, row_number() OVER () AS ord FROM numaudit_inc.kinds() q) kk) x
         WHERE x.upto > r ORDER BY x.upto LIMIT 1;
        k := coalesce(k, 'line_update');
        stmts := numaudit_inc.statements(k);
        hier_before := numaudit_inc.acme_tree();
        ok := true;
        BEGIN
            FOREACH s IN ARRAY stmts LOOP
                EXECUTE s;
                GET DIAGNOSTICS cnt = ROW_COUNT;
                IF cnt > 500 THEN
                    v_big := true;
                END IF;
            END LOOP;
        EXCEPTION WHEN integrity_constraint_violation OR data_exception OR object_not_in_prerequisite_state
                       OR invalid_parameter_value THEN
            ok := false;
        END;
        IF ok THEN
            did := did || k;
            IF k IN ('usage_kind', 'truncate') THEN
                v_epoch := true;
            END IF;
            -- Acme's tree or its ancestors changed: the next audits are full.
            IF hier_before IS DISTINCT FROM numaudit_inc.acme_tree() THEN
                v_whole := true;
            END IF;
        END IF;
        INSERT INTO numaudit_inc.log VALUES (p_seed, p_idx, p_round, i, k, ok,
                                             numaudit_diff.shown(array_to_string(stmts, E';\n'), 2000));
    END LOOP;
    UPDATE numaudit_inc.model m SET whole = m.whole OR v_whole OR v_epoch, big = m.big OR v_big;
    INSERT INTO numaudit_inc.round VALUES (p_seed, p_idx, p_round, cardinality(did), did);
END
$fn$;

-- One audit compared ----------------------------------------------------------

CREATE FUNCTION numaudit_inc.listing(label text, a numaudit_diff.res_row[]) RETURNS text
    LANGUAGE sql STABLE
    RETURN label || E':\n' || coalesce((SELECT string_agg(numaudit_diff.shown('  ' || ROW(t.hierarchy, t.site, t.internal_number, t.action, t.old_status,
                                     t.old_usage, t.new_status, t.new_usage, t.detail)::numaudit_diff.res_row::text),
                                                      E'\n' ORDER BY o)
                                           FROM unnest(a) WITH ORDINALITY AS t (hierarchy, site, internal_number, action,
                                                old_status, old_usage, new_status, new_usage, detail, o)), '  (none)');

CREATE FUNCTION numaudit_inc.rows_of_run(customer text, scope text, sites text[], dry boolean, incremental boolean)
    RETURNS numaudit_diff.res_row[]
    LANGUAGE sql
    RETURN ARRAY(SELECT ROW(n.hierarchy, n.site, n.internal_number, n.action, n.old_status, n.old_usage,
                            n.new_status, n.new_usage, n.detail)::numaudit_diff.res_row
                   FROM numaudit.run(customer, scope, sites, dry_run => dry, incremental => incremental)
                        WITH ORDINALITY AS n ORDER BY n.ordinality);

-- The entries an audit of this transaction wrote (updated_at = now()).
CREATE FUNCTION numaudit_inc.written() RETURNS text[]
    LANGUAGE sql STABLE
    RETURN ARRAY(SELECT format('%s %s', n.hierarchy_id, n.internal_number) FROM numaudit.number n
                  WHERE n.updated_at = now() ORDER BY n.hierarchy_id, n.internal_number COLLATE "C");

-- The tracking state a dry run must leave as it is.
CREATE FUNCTION numaudit_inc.tracking_state() RETURNS text
    LANGUAGE sql STABLE
    RETURN (SELECT string_agg(x, E'\n' ORDER BY x COLLATE "C")
              FROM (SELECT ROW(p.*)::text AS x FROM numaudit.pending_change p
                    UNION ALL SELECT ROW(b.*)::text FROM numaudit.baseline b) AS y);

CREATE FUNCTION numaudit_inc.audit_step(p_seed bigint, p_idx integer, p_round integer, p_step integer,
                                        p_scope text) RETURNS boolean
    LANGUAGE plpgsql
AS $fn$
DECLARE
    dial text := (SELECT h.dial_plan FROM numaudit.hierarchy h WHERE h.id = 10);
    path text := numaudit._node_path(10);
    cust text := CASE WHEN numaudit_diff.chance(0.7) THEN path ELSE 'Acme' END;
    scope text := CASE p_scope WHEN 'customer' THEN 'customer' ELSE 'site' END;
    sites text[] := CASE WHEN numaudit_diff.chance(0.5) THEN '{}'::text[] END;
    dry boolean := numaudit_diff.chance(0.2);
    via text := CASE WHEN numaudit_diff.chance(0.15) THEN 'audit' ELSE 'run' END;
    m record;
    expected text;
    ch record;
    f_rows numaudit_diff.res_row[]; f_inv numaudit_diff.inv_row[]; f_written text[]; f_err text;
    d_rows numaudit_diff.res_row[]; d_err text;
    i_rows numaudit_diff.res_row[]; i_inv numaudit_diff.inv_row[]; i_written text[]; i_err text;
    i_mode text;
    v_run bigint;
    about numaudit_diff.res_row[];
    extra numaudit_diff.res_row[];
    missed numaudit_diff.res_row[];
    inv_before numaudit_diff.inv_row[];
    state_before text;
    other_pending bigint;
    own_pending bigint;
    own_limit bigint;
    problems text[] := '{}';
    label text;
BEGIN
    SELECT * INTO m FROM numaudit_inc.model WHERE model.scope = p_scope;
    expected := CASE WHEN m.baselined AND NOT m.whole THEN 'incremental' ELSE 'full' END;
    ch := numaudit_inc.changed(p_scope);
    other_pending := (SELECT count(*) FROM numaudit.pending_change p
                       WHERE p.customer_id = 10
                         AND NOT CASE p_scope WHEN 'customer' THEN p.seen_all_sites ELSE p.seen_customer END);
    -- More marks than the audit's switch (tracking.cpp: greatest(1000, entries / 20)): full is right.
    own_pending := (SELECT count(*) FROM numaudit.pending_change p
                     WHERE p.customer_id = 10
                       AND NOT CASE p_scope WHEN 'customer' THEN p.seen_customer ELSE p.seen_all_sites END);
    own_limit := greatest(1000, (SELECT b.entries FROM numaudit.baseline b
                                  WHERE b.customer_id = 10
                                    AND b.scope = CASE p_scope WHEN 'customer' THEN 'customer' ELSE 'all_sites' END) / 20);
    label := format('seed %s scenario %s round %s: %s(%L, %L, %L, incremental => true)%s (dial plan %s)',
                    p_seed, p_idx, p_round, CASE via WHEN 'run' THEN 'numaudit.run' ELSE 'CALL numaudit.audit' END,
                    cust, scope, sites, CASE WHEN dry THEN ' after a dry run' ELSE '' END, dial);

    -- The full audit, in a subtransaction rolled back: the other copy.
    BEGIN
        f_rows := numaudit_inc.rows_of_run(cust, scope, sites, false, false);
        f_inv := numaudit_diff.inventory();
        f_written := numaudit_inc.written();
        RAISE EXCEPTION USING ERRCODE = 'NAINC';
    EXCEPTION
        WHEN SQLSTATE 'NAINC' THEN NULL;
        WHEN OTHERS THEN f_err := SQLSTATE || ': ' || SQLERRM;
    END;

    IF dry THEN
        inv_before := numaudit_diff.inventory();
        state_before := numaudit_inc.tracking_state();
        BEGIN
            d_rows := numaudit_inc.rows_of_run(cust, scope, sites, true, true);
        EXCEPTION WHEN OTHERS THEN
            d_err := SQLSTATE || ': ' || SQLERRM;
        END;
        IF numaudit_diff.inventory() IS DISTINCT FROM inv_before THEN
            problems := problems || 'the dry incremental run changed the inventory'::text;
        END IF;
        IF numaudit_inc.tracking_state() IS DISTINCT FROM state_before THEN
            problems := problems || ('the dry incremental run changed the tracking state: before'
                                     || E'\n' || coalesce(state_before, '(none)') || E'\nafter\n'
                                     || coalesce(numaudit_inc.tracking_state(), '(none)'));
        END IF;
    END IF;

    -- The incremental audit, for real.
    BEGIN
        IF via = 'run' THEN
            i_rows := numaudit_inc.rows_of_run(cust, scope, sites, false, true);
            v_run := numaudit.last_run_id();
        ELSE
            CALL numaudit.audit(cust, scope, sites, incremental => true);
            v_run := numaudit.last_run_id();
            i_rows := ARRAY(SELECT ROW(c.hierarchy, c.site, c.internal_number, c.action, c.old_status, c.old_usage,
                                       c.new_status, c.new_usage, c.detail)::numaudit_diff.res_row
                              FROM numaudit.audit_change c WHERE c.run_id = v_run ORDER BY c.id);
        END IF;
        i_mode := (SELECT r.mode FROM numaudit.audit_run r WHERE r.id = v_run);
        i_inv := numaudit_diff.inventory();
        i_written := numaudit_inc.written();
    EXCEPTION WHEN OTHERS THEN
        i_err := SQLSTATE || ': ' || SQLERRM;
    END;

    IF f_err IS DISTINCT FROM i_err THEN
        problems := problems || format('errors differ: full %s, incremental %s', coalesce(f_err, 'none'),
                                       coalesce(i_err, 'none'));
    END IF;
    IF dry AND d_err IS DISTINCT FROM i_err THEN
        problems := problems || format('errors differ: dry %s, incremental %s', coalesce(d_err, 'none'),
                                       coalesce(i_err, 'none'));
    END IF;
    IF f_err IS NULL AND i_err IS NULL THEN
        IF i_inv IS DISTINCT FROM f_inv THEN
            problems := problems || ('inventories differ (- full, + incremental):' || E'\n'
                                     || numaudit_diff.diff(f_inv, i_inv));
        END IF;
        IF i_written IS DISTINCT FROM f_written THEN
            problems := problems || format('entries written (updated_at) differ: full %s, incremental %s',
                                           f_written, i_written);
        END IF;
        -- Rows the full audit does not have.
        extra := ARRAY(SELECT x FROM unnest(i_rows) x EXCEPT ALL SELECT y FROM unnest(f_rows) y);
        IF cardinality(extra) > 0 THEN
            problems := problems || numaudit_inc.listing('incremental rows that the full audit does not have', extra);
        END IF;
        -- The full rows about what changed since the baseline: a number (read
        -- text, or cut) that changed, or a duplicate-device conflict of a
        -- device key that changed.
        about := ARRAY(SELECT x FROM unnest(f_rows) x
                        WHERE (x.internal_number IS NOT NULL AND x.action = 'skipped'
                               AND (starts_with(x.detail, 'wildcard pattern: ') OR starts_with(x.detail, 'invalid pattern: '))
                               AND numaudit_oracle.read_text(x.internal_number) = ANY (ch.pats))
                           OR (x.internal_number IS NOT NULL
                               AND NOT (x.action = 'skipped' AND (starts_with(x.detail, 'wildcard pattern: ')
                                                                  OR starts_with(x.detail, 'invalid pattern: ')))
                               AND numaudit_oracle.read_text(x.internal_number) = ANY (ch.nums))
                           OR (x.internal_number IS NULL AND x.action = 'conflict'
                               AND EXISTS (SELECT FROM unnest(ch.devs) k
                                            WHERE starts_with(x.detail, k || ' is configured in more than one cluster'))));
        missed := ARRAY(SELECT x FROM unnest(about) x EXCEPT ALL SELECT y FROM unnest(i_rows) y);
        IF cardinality(missed) > 0 THEN
            problems := problems || numaudit_inc.listing('full rows about what changed, missing from the incremental audit',
                                                          missed);
        END IF;
        -- A full-mode audit has the full audit's rows: in its order for run(),
        -- as a multiset for CALL numaudit.audit, whose rows are its history
        -- unit by unit: when it starts full it audits site by site, and an
        -- slc site reports a "held at customer level" skip with the first site
        -- that reads it (README "A scenario", as differential.sql compares).
        IF i_mode = 'full'
           AND (i_rows IS DISTINCT FROM f_rows AND via = 'run'
                OR ARRAY(SELECT x FROM unnest(i_rows) x ORDER BY x::text COLLATE "C")
                   IS DISTINCT FROM ARRAY(SELECT x FROM unnest(f_rows) x ORDER BY x::text COLLATE "C")) THEN
            problems := problems || ('a full-mode incremental audit whose rows differ from the full audit''s:'
                                     || E'\n' || coalesce(numaudit_diff.diff(f_rows, i_rows),
                                                          '  (the same rows in another order)' || E'\n'
                                                          || numaudit_inc.listing('  full', f_rows) || E'\n'
                                                          || numaudit_inc.listing('  incremental', i_rows)));
        END IF;
        -- The dry run's rows are the real run's: in order for run(), as a
        -- multiset for a CALL (which, when it goes full, reports site by
        -- site, as above).
        IF dry AND (d_rows IS DISTINCT FROM i_rows AND via = 'run'
                    OR ARRAY(SELECT x FROM unnest(d_rows) x ORDER BY x::text COLLATE "C")
                       IS DISTINCT FROM ARRAY(SELECT x FROM unnest(i_rows) x ORDER BY x::text COLLATE "C")) THEN
            problems := problems || ('the dry run''s rows differ from the real run''s (- dry, + real):' || E'\n'
                                     || coalesce(numaudit_diff.diff(d_rows, i_rows),
                                                 '  (the same rows in another order)' || E'\n'
                                                 || numaudit_inc.listing('  dry', d_rows) || E'\n'
                                                 || numaudit_inc.listing('  real', i_rows)));
        END IF;
        IF i_mode IS DISTINCT FROM expected AND NOT (i_mode = 'full' AND (m.big OR own_pending > own_limit)) THEN
            problems := problems || format('mode %s, expected %s (baseline %s, whole change %s)', i_mode, expected,
                                           m.baselined, m.whole);
        END IF;
    END IF;

    INSERT INTO numaudit_inc.result VALUES (
        p_seed, p_idx, p_round, p_step, dial, p_scope, via, dry, i_mode, expected,
        cardinality(f_rows), cardinality(i_rows), cardinality(about),
        CASE WHEN cardinality(problems) > 0
             THEN label || E'\n' || array_to_string(problems, E'\n')
                  || numaudit_diff.shown(format(E'\nchanged numbers %s; patterns %s; devices %s', ch.nums, ch.pats, ch.devs), 1000) END);
    IF cardinality(problems) > 0 THEN
        RETURN false;
    END IF;
    -- Committed (by the caller): that scope's new baseline.
    IF i_err IS NULL THEN
        UPDATE numaudit_inc.model SET baselined = true, whole = false, big = false WHERE model.scope = p_scope;
        PERFORM numaudit_inc.snapshot(p_scope);
    END IF;
    -- The bound: the other scope's baseline is dropped when its pending marks
    -- outnumber the customer's entries (at least 100; _tracking_commit).
    IF EXISTS (SELECT FROM numaudit_inc.model o WHERE o.scope <> p_scope AND o.baselined)
       AND NOT EXISTS (SELECT FROM numaudit.baseline b WHERE b.customer_id = 10 AND b.scope <> p_scope) THEN
        IF other_pending + 2 * coalesce(cardinality(i_written), 0) <= 100 THEN
            UPDATE numaudit_inc.result SET report = label || E'\n' || format(
                       'the other scope''s baseline was dropped with only %s marks pending for it', other_pending)
             WHERE (seed, idx, round, step) = (p_seed, p_idx, p_round, p_step);
            RETURN false;
        END IF;
        UPDATE numaudit_inc.model o SET baselined = false WHERE o.scope <> p_scope;
    END IF;
    RETURN true;
END
$fn$;

-- One scenario: the baseline audits, then `rounds` rounds.
CREATE PROCEDURE numaudit_inc.scenario(p_seed bigint, p_idx integer, p_rounds integer)
    LANGUAGE plpgsql
AS $fn$
DECLARE
    dial text;
    scopes text[];
    good boolean := true;
    s text;
    step integer;
BEGIN
    -- What earlier scenarios left: usage kinds edited, tracking marks.
    UPDATE numaudit.usage_kind SET status = 'Used', usage = 'Teams', rank = 0
     WHERE kind = 'teams' AND (status, usage, rank) IS DISTINCT FROM ('Used', 'Teams', 0);
    UPDATE numaudit.usage_kind SET rank = 12 WHERE kind = 'webex' AND rank <> 12;
    PERFORM numaudit_diff.generate(p_seed, p_idx);
    DELETE FROM numaudit.pending_change;
    DELETE FROM numaudit.baseline;
    DELETE FROM numaudit_inc.log WHERE (seed, idx) = (p_seed, p_idx);
    DELETE FROM numaudit_inc.result WHERE (seed, idx) = (p_seed, p_idx);
    DELETE FROM numaudit_inc.round WHERE (seed, idx) = (p_seed, p_idx);
    DELETE FROM numaudit_inc.model;
    INSERT INTO numaudit_inc.model VALUES ('customer', false, false, false), ('all_sites', false, false, false);
    COMMIT;
    FOR r IN 0 .. p_rounds LOOP
        IF r > 0 THEN
            PERFORM numaudit_inc.random_dml(p_seed, p_idx, r);
            COMMIT;
        END IF;
        dial := (SELECT h.dial_plan FROM numaudit.hierarchy h WHERE h.id = 10);
        IF dial = 'slc' THEN
            scopes := ARRAY['all_sites'];
        ELSIF r = 0 OR random() < 0.3 THEN
            scopes := numaudit_diff.shuffle(ARRAY['customer', 'all_sites']);
        ELSE
            scopes := ARRAY[numaudit_diff.pick(ARRAY['customer', 'all_sites'])];
        END IF;
        step := 0;
        FOREACH s IN ARRAY scopes LOOP
            step := step + 1;
            good := numaudit_inc.audit_step(p_seed, p_idx, r, step, s);
            COMMIT;
            EXIT WHEN NOT good;
        END LOOP;
        EXIT WHEN NOT good;
    END LOOP;
    IF good THEN
        DELETE FROM numaudit_inc.log WHERE (seed, idx) = (p_seed, p_idx);
    END IF;
    COMMIT;
END
$fn$;

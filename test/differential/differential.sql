-- numaudit_diff: random scenarios for differential testing of numaudit.run
-- (and, now and then, CALL numaudit.audit) against numaudit_oracle
-- (oracle.sql). Everything runs inside the database:
--   numaudit_diff.generate(seed, idx)   resets numaudit's tables and loads
--                                       scenario idx of seed (setseed)
--   numaudit_diff.run_batch(seed, first, count)
--                                       generates, audits and compares
--                                       scenarios first .. first+count-1,
--                                       recording each in numaudit_diff.result
-- test/differential/run.sh drives it.
--
-- Messy data (0.3.0, "real data"): whitespace around patterns and entries,
-- escaped '\+' entries, invalid patterns and entries, duplicate entries of one
-- node, numbers held at one site and used at another, now and then a text of
-- more than 10,000 characters. The setting numaudit_diff.messy = off (run.sh:
-- NUMAUDIT_DIFF_MESSY=0) generates clean data only: data on which the 0.2.0
-- rules and the 0.3.0 rules agree (see clean_fixup).

DROP SCHEMA IF EXISTS numaudit_diff CASCADE;
CREATE SCHEMA numaudit_diff;

CREATE TABLE numaudit_diff.result (
    seed     bigint  NOT NULL,
    idx      integer NOT NULL,
    rounds   integer NOT NULL,
    features text[]  NOT NULL,
    report   text,               -- NULL: oracle and numaudit agree
    PRIMARY KEY (seed, idx)
);

-- The kinds of messy data the current scenario has (drawn by generate).
CREATE TABLE numaudit_diff.mess (
    feature text PRIMARY KEY
);

CREATE TYPE numaudit_diff.res_row AS (
    hierarchy text, site text, internal_number text, action text,
    old_status text, old_usage text, new_status text, new_usage text, detail text);
CREATE TYPE numaudit_diff.inv_row AS (
    hierarchy_id bigint, internal_number text, status text, usage text, description text);

-- Random helpers (all draws come from random(), seeded per scenario).
CREATE FUNCTION numaudit_diff.rint(lo integer, hi integer) RETURNS integer
    LANGUAGE sql VOLATILE RETURN lo + floor(random() * (hi - lo + 1))::integer;
CREATE FUNCTION numaudit_diff.chance(p double precision) RETURNS boolean
    LANGUAGE sql VOLATILE RETURN random() < p;
CREATE FUNCTION numaudit_diff.pick(a anyarray) RETURNS anyelement
    LANGUAGE sql VOLATILE AS $$ SELECT a[1 + floor(random() * cardinality(a))::integer] $$;
CREATE FUNCTION numaudit_diff.shuffle(a anyarray) RETURNS anyarray
    LANGUAGE sql VOLATILE AS $$ SELECT ARRAY(SELECT x FROM unnest(a) AS x ORDER BY random()) $$;
-- setseed() value of scenario idx of a run seed, in [-1, 1].
CREATE FUNCTION numaudit_diff.seed_of(seed bigint, idx integer) RETURNS double precision
    LANGUAGE sql IMMUTABLE
    RETURN (hashtextextended(seed::text || ':' || idx::text, 0) % 1000000007)::double precision / 1000000007;

-- Whether messy data is generated (the setting numaudit_diff.messy, on by default).
CREATE FUNCTION numaudit_diff.messy() RETURNS boolean
    LANGUAGE sql STABLE
    RETURN coalesce(nullif(current_setting('numaudit_diff.messy', true), ''), 'on')
           NOT IN ('off', '0', 'false', 'no');
-- Whether the current scenario has that kind of messy data.
CREATE FUNCTION numaudit_diff.has(feature text) RETURNS boolean
    LANGUAGE sql STABLE
    RETURN EXISTS (SELECT 1 FROM numaudit_diff.mess m WHERE m.feature = has.feature);

-- A text as an export may write it: now and then surrounded by space, tab,
-- CR or LF (scenarios with whitespace only).
CREATE FUNCTION numaudit_diff.dress(t text) RETURNS text
    LANGUAGE sql VOLATILE
    RETURN CASE WHEN numaudit_diff.has('ws') AND random() < 0.25
                THEN numaudit_diff.pick(ARRAY[' ', '  ', E'\t', E'\n', '', ''])
                     || t || numaudit_diff.pick(ARRAY[' ', E'\t', E'\r', E'\r\n', E'\n', '', ''])
                ELSE t END;

-- A pattern for a number: '+44…' is written '\+44…' half the time.
CREATE FUNCTION numaudit_diff.pattern_for(num text) RETURNS text
    LANGUAGE sql VOLATILE
    RETURN numaudit_diff.dress(CASE WHEN left(num, 1) = '+' AND random() < 0.5 THEN '\' || num ELSE num END);

CREATE FUNCTION numaudit_diff.wildcards() RETURNS text[]
    LANGUAGE sql IMMUTABLE
    RETURN ARRAY['10XX', '1X0', '1[2-5]00', '10!', '10.1', '@', '1*', '\+4420XX', '+4420XX', '*5X', '56*'];

-- Texts that are neither a number nor a wildcard: empty, blank, letters
-- (lower-case x is no wildcard), an inner '\+' or '+', other characters,
-- whitespace other than space, tab, CR and LF around a number, 51 characters.
CREATE FUNCTION numaudit_diff.invalids() RETURNS text[]
    LANGUAGE sql IMMUTABLE
    RETURN ARRAY['', ' ', E'\t\r\n', '1003A', 'abc', '10x1', 'x100', '1\+2', '12\+', '1+2', '12-34', '1 2',
                 '(1001)', '1001;', 'ü100', '+', '*', '\+', '\\+1001', '++1001', '+*1001', '1001/2',
                 chr(11) || '1001', '1001' || chr(12), chr(160) || '1001', repeat('1', 51),
                 '+' || repeat('2', 50), '\+' || repeat('4', 50)];

-- A pattern of a device line or a service: mostly one of the pool's numbers,
-- else a wildcard (probability p_wild), else (scenarios with invalid
-- patterns) an invalid one.
CREATE FUNCTION numaudit_diff.some_pattern(pool text[], p_wild double precision) RETURNS text
    LANGUAGE plpgsql VOLATILE
AS $fn$
DECLARE
    r double precision := random();
BEGIN
    IF r < p_wild THEN
        RETURN numaudit_diff.dress(numaudit_diff.pick(numaudit_diff.wildcards()));
    ELSIF r < p_wild + 0.08 AND numaudit_diff.has('invalid_pattern') THEN
        RETURN numaudit_diff.dress(numaudit_diff.pick(numaudit_diff.invalids()));
    END IF;
    RETURN numaudit_diff.pattern_for(numaudit_diff.pick(pool));
END
$fn$;

-- Another entry of one node for the same number as entry text t: ' 5001'
-- for '5001', '\+4420…' for '+4420…' and the other way round, CR LF after it.
CREATE FUNCTION numaudit_diff.variant(t text) RETURNS text
    LANGUAGE sql VOLATILE
    RETURN CASE WHEN left(t, 1) = '+' AND random() < 0.6 THEN '\' || t
                WHEN left(t, 2) = '\+' AND random() < 0.6 THEN substr(t, 2)
                ELSE numaudit_diff.pick(ARRAY[' ' || t, t || ' ', E'\t' || t, t || E'\r\n', E'\n' || t || ' '])
           END;

-- The id of an entry the generator adds: the identity's next value, or past
-- the largest id when a scenario left the identity behind (as a loader that
-- supplies ids does), so that mutate() never collides either.
CREATE FUNCTION numaudit_diff.next_entry_id() RETURNS bigint
    LANGUAGE sql VOLATILE
    RETURN greatest(nextval(pg_get_serial_sequence('numaudit.number', 'id')),
                    (SELECT coalesce(max(n.id), 0) + 1 FROM numaudit.number n));

-- An inventory entry with a random status and usage (right, wrong, out of
-- order or ''), unless its node already has one of that text.
CREATE FUNCTION numaudit_diff.add_entry(node bigint, num text, descr text) RETURNS void
    LANGUAGE plpgsql VOLATILE
AS $fn$
BEGIN
    INSERT INTO numaudit.number (id, hierarchy_id, internal_number, status, usage, description, updated_at)
    VALUES (numaudit_diff.next_entry_id(), node, num,
            numaudit_diff.pick(ARRAY['Available', 'Available', 'Available', 'Used', 'Used',
                                     'Used-Utility', 'Used-Utility', 'Reserved', 'Reserved', 'Cooling', 'Cooling']),
            numaudit_diff.pick(ARRAY[NULL, NULL, NULL, 'Device', 'Device', 'Device', 'Hunt_Pilot', 'Hunt_Pilot',
                                     'Device,Hunt_Pilot', 'Hunt_Pilot,Device', 'Call_Park', 'Meet_Me', 'Teams',
                                     '']),
            descr, '2000-01-01 00:00+00')
    ON CONFLICT (hierarchy_id, internal_number) DO NOTHING;
END
$fn$;

-- Devices, lines, services and entries of one customer. nodes[1] is the
-- customer, the others its sites; homes[i] is the cluster nodes[i] mostly uses.
CREATE FUNCTION numaudit_diff.populate(cust bigint, nodes bigint[], homes text[], clusters text[],
                                       pool text[], size double precision) RETURNS void
    LANGUAGE plpgsql
AS $fn$
DECLARE
    utility text[] := ARRAY['hunt_pilot', 'hunt_pilot', 'pickup_group', 'call_handler', 'voicemail_pilot',
                            'meet_me', 'cti_route_point', 'call_park', 'directed_call_park'];
    devkinds text[] := ARRAY['phone', 'phone', 'phone', 'device_profile', 'device_profile',
                             'remote_destination_profile'];
    i integer; j integer; k integer; pos integer; nlines integer;
    v_owner bigint; cl text; v_kind text; v_name text; did bigint;
    src_id bigint; src_kind text; src_name text;
    r double precision; num text;
BEGIN
    -- Devices.
    FOR i IN 1 .. numaudit_diff.rint(0, ceil(10 * size)::integer) LOOP
        pos := numaudit_diff.rint(1, cardinality(nodes));
        IF cardinality(nodes) > 1 AND NOT numaudit_diff.chance(0.15) THEN
            pos := numaudit_diff.rint(2, cardinality(nodes));   -- mostly a site's
        END IF;
        v_owner := nodes[pos];
        cl := CASE WHEN numaudit_diff.chance(0.85) THEN homes[pos] ELSE numaudit_diff.pick(clusters) END;
        src_id := NULL;
        IF numaudit_diff.chance(0.25) THEN
            -- A copy of one of this customer's devices (same kind and name) in
            -- another cluster: a duplicate device.
            -- (Draws never depend on the tables' physical order: a scenario is
            -- the same whatever ran before it.)
            src_id := numaudit_diff.pick(ARRAY(SELECT d.id FROM numaudit.device d
                                                WHERE d.hierarchy_id = ANY (nodes) ORDER BY d.id));
            SELECT d.kind, d.name INTO src_kind, src_name FROM numaudit.device d WHERE d.id = src_id;
        END IF;
        IF src_id IS NOT NULL THEN
            v_kind := src_kind; v_name := src_name;
            SELECT c INTO cl FROM unnest(clusters) AS c
             WHERE NOT EXISTS (SELECT 1 FROM numaudit.device d
                                WHERE d.cluster = c AND d.kind = src_kind AND d.name = src_name)
             ORDER BY random() LIMIT 1;
        ELSE
            v_kind := numaudit_diff.pick(devkinds);
            v_name := CASE v_kind
                        WHEN 'phone' THEN 'SEP' || lpad(upper(to_hex(numaudit_diff.rint(0, 4095))), 12, '0')
                        -- device profiles and remote destination profiles share names:
                        -- one name of two kinds is no duplicate.
                        ELSE numaudit_diff.pick(ARRAY['jdoe', 'mdupont', 'asmith', 'kli'])
                             || numaudit_diff.rint(1, 6) END;
        END IF;
        CONTINUE WHEN cl IS NULL;   -- every cluster already has this device
        INSERT INTO numaudit.device (hierarchy_id, cluster, kind, name)
        VALUES (v_owner, cl, v_kind, v_name)
        ON CONFLICT (cluster, kind, name) DO NOTHING
        RETURNING id INTO did;
        CONTINUE WHEN did IS NULL;
        IF src_id IS NOT NULL AND numaudit_diff.chance(0.6) THEN
            -- The copy has the same lines, or the same lines with one number changed.
            INSERT INTO numaudit.device_line (device_id, line_index, pattern, partition)
            SELECT did, l.line_index, l.pattern, 'PT-Copy'
              FROM numaudit.device_line l WHERE l.device_id = src_id;
            IF numaudit_diff.chance(0.3) THEN
                UPDATE numaudit.device_line l
                   SET pattern = numaudit_diff.pattern_for(numaudit_diff.pick(pool))
                 WHERE l.device_id = did
                   AND l.line_index = (SELECT min(x.line_index) FROM numaudit.device_line x WHERE x.device_id = did);
            END IF;
            CONTINUE;
        END IF;
        nlines := CASE WHEN numaudit_diff.chance(0.1) THEN 0 ELSE numaudit_diff.rint(1, 3) END;
        FOR j IN 1 .. nlines LOOP
            k := CASE WHEN numaudit_diff.chance(0.85) THEN j ELSE numaudit_diff.rint(4, 12) END;
            INSERT INTO numaudit.device_line (device_id, line_index, pattern, partition)
            VALUES (did, k,
                    numaudit_diff.some_pattern(pool, 0.1),
                    numaudit_diff.pick(ARRAY['', 'PT-Internal', 'PT-E164']))
            ON CONFLICT DO NOTHING;
        END LOOP;
    END LOOP;

    -- Utility services (and the users' own kinds teams and webex).
    FOR i IN 1 .. numaudit_diff.rint(0, ceil(8 * size)::integer) LOOP
        pos := numaudit_diff.rint(1, cardinality(nodes));
        IF cardinality(nodes) > 1 AND NOT numaudit_diff.chance(0.2) THEN
            pos := numaudit_diff.rint(2, cardinality(nodes));
        END IF;
        v_kind := CASE WHEN numaudit_diff.chance(0.06) THEN numaudit_diff.pick(ARRAY['teams', 'webex'])
                     ELSE numaudit_diff.pick(utility) END;
        cl := CASE WHEN numaudit_diff.chance(0.85) THEN homes[pos] ELSE numaudit_diff.pick(clusters) END;
        v_name := upper(left(v_kind, 2)) || '-' || cust || '-' || i;
        IF numaudit_diff.chance(0.05) THEN
            -- The name of a service of another cluster: services are no duplicates.
            src_id := numaudit_diff.pick(ARRAY(SELECT y.id FROM numaudit.service y
                                                WHERE y.hierarchy_id = ANY (nodes) AND y.cluster <> cl
                                                ORDER BY y.id));
            SELECT x.kind, x.name INTO src_kind, src_name FROM numaudit.service x WHERE x.id = src_id;
            IF FOUND THEN
                v_kind := src_kind; v_name := src_name;
            END IF;
        END IF;
        INSERT INTO numaudit.service (hierarchy_id, cluster, kind, name, pattern, partition)
        VALUES (nodes[pos], cl, v_kind, v_name,
                numaudit_diff.some_pattern(pool, 0.12),
                numaudit_diff.pick(ARRAY['', 'PT-Internal']));
    END LOOP;

    IF numaudit_diff.chance(0.05) THEN
        -- Lines 2 and 10 of one phone on one number, also used in another
        -- cluster when there is one: items of one cluster in a detail.
        pos := numaudit_diff.rint(1, cardinality(nodes));
        num := numaudit_diff.pick(pool);
        INSERT INTO numaudit.device (hierarchy_id, cluster, kind, name)
        VALUES (nodes[pos], homes[pos], 'phone', 'SEP0000L210' || lpad(cust::text, 4, '0')) RETURNING id INTO did;
        INSERT INTO numaudit.device_line (device_id, line_index, pattern)
        VALUES (did, 2, num), (did, 10, num), (did, 3, '88XX'), (did, 11, '88XX');
        INSERT INTO numaudit.service (hierarchy_id, cluster, kind, name, pattern)
        VALUES (nodes[pos], numaudit_diff.pick(clusters), 'call_park', 'CP-L210', num),
               (nodes[pos], numaudit_diff.pick(clusters), 'call_park', 'CP-88', '88XX');
    END IF;

    -- Now and then, lists longer than the 20 items a detail names.
    IF size >= 1 AND numaudit_diff.chance(0.03) THEN
        -- One number, 21 to 24 call parks, in every cluster.
        num := numaudit_diff.pick(pool);
        FOR i IN 1 .. numaudit_diff.rint(21, 24) LOOP
            INSERT INTO numaudit.service (hierarchy_id, cluster, kind, name, pattern)
            VALUES (numaudit_diff.pick(nodes), clusters[1 + i % cardinality(clusters)], 'call_park',
                    'CPB-' || lpad(i::text, 2, '0'), numaudit_diff.pattern_for(num));
        END LOOP;
    END IF;
    IF size >= 1 AND numaudit_diff.chance(0.03) THEN
        -- One wildcard pattern, 21 to 23 hunt pilots of one node.
        pos := numaudit_diff.rint(1, cardinality(nodes));
        FOR i IN 1 .. numaudit_diff.rint(21, 23) LOOP
            INSERT INTO numaudit.service (hierarchy_id, cluster, kind, name, pattern)
            VALUES (nodes[pos], homes[pos], 'hunt_pilot', 'HPW-' || lpad(i::text, 2, '0'), '77XX');
        END LOOP;
    END IF;
    IF size >= 1 AND numaudit_diff.chance(0.03) THEN
        -- A phone with 21 to 23 lines, in each cluster.
        k := numaudit_diff.rint(21, 23);
        FOREACH cl IN ARRAY clusters LOOP
            INSERT INTO numaudit.device (hierarchy_id, cluster, kind, name)
            VALUES (numaudit_diff.pick(nodes), cl, 'phone', 'SEPB16B16B16B16') RETURNING id INTO did;
            INSERT INTO numaudit.device_line (device_id, line_index, pattern)
            SELECT did, g.x, CASE WHEN g.x = 1 THEN numaudit_diff.pick(pool) ELSE (3000 + g.x)::text END
              FROM generate_series(1, k) AS g(x);
        END LOOP;
    END IF;

    -- Inventory entries: numbers in use, unused ones; with messy data,
    -- wildcard-looking ones such as 65XX and invalid ones (neither reads as a
    -- number), '\+44…' and whitespace around them.
    FOR i IN 1 .. numaudit_diff.rint(0, ceil(12 * size)::integer) LOOP
        pos := numaudit_diff.rint(1, cardinality(nodes));
        IF cardinality(nodes) > 1 AND NOT numaudit_diff.chance(0.25) THEN
            pos := numaudit_diff.rint(2, cardinality(nodes));
        END IF;
        r := random();
        num := CASE WHEN r < 0.72 THEN numaudit_diff.pick(pool)
                    WHEN r < 0.9 THEN (9000 + numaudit_diff.rint(0, 20))::text
                    WHEN numaudit_diff.messy() THEN replace(numaudit_diff.pick(numaudit_diff.wildcards()), '\+', '+')
                    ELSE numaudit_diff.pick(pool) END;
        IF numaudit_diff.has('invalid_entry') AND numaudit_diff.chance(0.12) THEN
            num := numaudit_diff.pick(numaudit_diff.invalids());
        END IF;
        IF numaudit_diff.has('escaped_entry') AND left(num, 1) = '+' AND numaudit_diff.chance(0.5) THEN
            num := '\' || num;
        END IF;
        PERFORM numaudit_diff.add_entry(nodes[pos], numaudit_diff.dress(num),
                                        CASE WHEN numaudit_diff.chance(0.5) THEN 'd' || i END);
    END LOOP;
    IF numaudit_diff.has('dup_entries') THEN
        -- Another entry of the same node for the same number: '5001' and
        -- ' 5001', '+4420…' and '\+4420…'.
        FOR i IN 1 .. numaudit_diff.rint(1, 3) LOOP
            src_id := numaudit_diff.pick(ARRAY(
                SELECT n.id FROM numaudit.number n
                 WHERE n.hierarchy_id = ANY (nodes)
                   AND numaudit_oracle.is_number(numaudit_oracle.read_text(n.internal_number))
                 ORDER BY n.id));
            CONTINUE WHEN src_id IS NULL;
            SELECT n.hierarchy_id, n.internal_number INTO v_owner, num FROM numaudit.number n WHERE n.id = src_id;
            PERFORM numaudit_diff.add_entry(v_owner, numaudit_diff.variant(num), 'dup' || i);
        END LOOP;
    END IF;
END
$fn$;

-- One entry per number in a flat customer: numbers held at one site and used
-- at another, used by several sites and held nowhere, held at several sites.
-- nodes[1] is the customer, the others its sites (two at least).
CREATE FUNCTION numaudit_diff.cross_site(nodes bigint[], homes text[], clusters text[], pool text[]) RETURNS void
    LANGUAGE plpgsql
AS $fn$
DECLARE
    sites bigint[] := nodes[2:];
    sel bigint[];
    num text;
    cl text;
    i integer;
BEGIN
    IF cardinality(sites) < 2 THEN
        RETURN;
    END IF;
    IF numaudit_diff.chance(0.7) THEN
        -- Held at one site, used at another.
        sel := numaudit_diff.shuffle(sites);
        num := numaudit_diff.pick(pool);
        INSERT INTO numaudit.service (hierarchy_id, cluster, kind, name, pattern)
        VALUES (sel[1], homes[array_position(nodes, sel[1])],
                numaudit_diff.pick(ARRAY['hunt_pilot', 'meet_me', 'call_park']), 'XS-' || sel[1],
                numaudit_diff.pattern_for(num));
        PERFORM numaudit_diff.add_entry(sel[2], numaudit_diff.dress(num), 'xs');
    END IF;
    IF numaudit_diff.chance(0.7) THEN
        -- Used by several sites (in one cluster), held nowhere.
        sel := numaudit_diff.shuffle(sites);
        num := (6000 + numaudit_diff.rint(0, 99))::text;
        cl := numaudit_diff.pick(clusters);
        FOR i IN 1 .. numaudit_diff.rint(2, cardinality(sel)) LOOP
            INSERT INTO numaudit.service (hierarchy_id, cluster, kind, name, pattern)
            VALUES (sel[i], cl, numaudit_diff.pick(ARRAY['call_park', 'pickup_group', 'teams']),
                    'XU-' || sel[i], numaudit_diff.pattern_for(num));
        END LOOP;
    END IF;
    IF numaudit_diff.chance(0.6) THEN
        -- Held at several sites, used at one of them or at another.
        sel := numaudit_diff.shuffle(sites);
        num := CASE WHEN numaudit_diff.chance(0.5) THEN (6100 + numaudit_diff.rint(0, 99))::text
                    ELSE numaudit_diff.pick(pool) END;
        FOR i IN 1 .. numaudit_diff.rint(2, cardinality(sel)) LOOP
            PERFORM numaudit_diff.add_entry(sel[i], numaudit_diff.dress(num), 'xh');
        END LOOP;
        sel := numaudit_diff.shuffle(sites);
        INSERT INTO numaudit.service (hierarchy_id, cluster, kind, name, pattern)
        VALUES (sel[1], homes[array_position(nodes, sel[1])], 'hunt_pilot', 'XH-' || sel[1],
                numaudit_diff.pattern_for(num));
    END IF;
END
$fn$;

-- Now and then, one or two texts longer than the 10,000 characters a result
-- row quotes (or exactly 10,000): a device's name or cluster, a wildcard or
-- invalid pattern, a service's name (not ASCII: cut by characters), an
-- invalid entry, an entry's usage, a duplicate entry with 10,000 leading
-- spaces. Repetitive, so that they fit in a btree index once compressed.
CREATE FUNCTION numaudit_diff.long_texts(nodes bigint[], homes text[], clusters text[], pool text[]) RETURNS void
    LANGUAGE plpgsql
AS $fn$
DECLARE
    pos integer;
    len integer;
    did bigint;
    num text;
    v_name text;
    cl text;
BEGIN
    FOR i IN 1 .. numaudit_diff.rint(1, 2) LOOP
        pos := numaudit_diff.rint(1, cardinality(nodes));
        len := numaudit_diff.pick(ARRAY[10000, 10001, 10001, 10005]);
        num := numaudit_diff.pick(pool);
        CASE numaudit_diff.rint(1, 8)
        WHEN 1 THEN
            -- A phone's name, with a wildcard line; half the time also in another cluster.
            v_name := left('SEP' || repeat('A1', 5010), len);
            FOR cl IN SELECT c FROM unnest(CASE WHEN numaudit_diff.chance(0.5) THEN clusters
                                                ELSE ARRAY[homes[pos]] END) AS c LOOP
                INSERT INTO numaudit.device (hierarchy_id, cluster, kind, name)
                VALUES (nodes[pos], cl, 'phone', v_name) ON CONFLICT DO NOTHING RETURNING id INTO did;
                CONTINUE WHEN did IS NULL;
                INSERT INTO numaudit.device_line (device_id, line_index, pattern)
                VALUES (did, 1, '10XX'), (did, 2, num);
            END LOOP;
        WHEN 2 THEN
            -- A cluster's name: a device there with a wildcard line and a number.
            cl := left(repeat('CL-', 3340), len);
            INSERT INTO numaudit.device (hierarchy_id, cluster, kind, name)
            VALUES (nodes[pos], cl, 'device_profile', 'longcluster') ON CONFLICT DO NOTHING RETURNING id INTO did;
            INSERT INTO numaudit.device_line (device_id, line_index, pattern)
            SELECT did, x.i, x.p FROM (VALUES (1, '1X0'), (2, num)) AS x(i, p) WHERE did IS NOT NULL;
        WHEN 3 THEN
            -- An invalid pattern.
            INSERT INTO numaudit.service (hierarchy_id, cluster, kind, name, pattern)
            VALUES (nodes[pos], homes[pos], 'meet_me', 'MM-long', left(repeat('12', 5010), len - 1) || 'A');
        WHEN 4 THEN
            -- A wildcard pattern.
            INSERT INTO numaudit.service (hierarchy_id, cluster, kind, name, pattern)
            VALUES (nodes[pos], homes[pos], 'call_park', 'CP-long', left(repeat('1', 10010), len - 1) || 'X');
        WHEN 5 THEN
            -- A service's name.
            INSERT INTO numaudit.service (hierarchy_id, cluster, kind, name, pattern)
            VALUES (nodes[pos], homes[pos], 'hunt_pilot', repeat('Ü', len), numaudit_diff.pick(ARRAY['99XX', '9a9']));
        WHEN 6 THEN
            -- An invalid entry.
            PERFORM numaudit_diff.add_entry(nodes[pos], left(repeat('9', 10010), len - 1) || 'x', 'long');
        WHEN 7 THEN
            -- An entry's usage.
            INSERT INTO numaudit.number (id, hierarchy_id, internal_number, status, usage, updated_at)
            VALUES (numaudit_diff.next_entry_id(), nodes[pos], num, numaudit_diff.pick(ARRAY['Used', 'Available', 'Reserved']),
                    left(repeat('Device,', 1440), len), '2000-01-01 00:00+00')
            ON CONFLICT (hierarchy_id, internal_number) DO UPDATE SET usage = excluded.usage;
        ELSE
            -- Two entries of one number, one with 10,000 leading spaces.
            PERFORM numaudit_diff.add_entry(nodes[pos], num, 'short');
            PERFORM numaudit_diff.add_entry(nodes[pos], repeat(' ', len - length(num)) || num, 'spaces');
        END CASE;
    END LOOP;
END
$fn$;

-- Clean data (numaudit_diff.messy off): data on which numaudit 0.2.0 and the
-- 0.3.0 rules agree. The generator then writes no invalid or wildcard-looking
-- entry, no odd pool number 0.3.0 reads as invalid, no whitespace, no escaped
-- entry, no duplicate entry, no long text; and since 0.2.0 added a number at
-- every site that needed it, this gives an entry to every site of a flat
-- customer that uses a number another site also holds or uses (and the
-- customer does not hold).
CREATE FUNCTION numaudit_diff.clean_fixup() RETURNS void
    LANGUAGE plpgsql
AS $fn$
DECLARE
    r record;
BEGIN
    FOR r IN
        WITH site_use AS (
            SELECT DISTINCT x.owner, numaudit_oracle.read_text(x.pattern) AS num
              FROM (SELECT d.hierarchy_id AS owner, l.pattern
                      FROM numaudit.device d JOIN numaudit.device_line l ON l.device_id = d.id
                    UNION ALL
                    SELECT s.hierarchy_id, s.pattern FROM numaudit.service s) AS x
              JOIN numaudit.hierarchy h ON h.id = x.owner
              JOIN numaudit.hierarchy c ON c.id = h.parent_id
             WHERE c.id = 10 AND c.dial_plan = 'flat'
               AND numaudit_oracle.kind_of(numaudit_oracle.read_text(x.pattern)) = 'number')
        SELECT su.owner, su.num
          FROM site_use su
         WHERE NOT EXISTS (SELECT 1 FROM numaudit.number n
                            WHERE n.hierarchy_id IN (10, su.owner) AND n.internal_number = su.num)
           AND (EXISTS (SELECT 1 FROM site_use o WHERE o.num = su.num AND o.owner <> su.owner)
                OR EXISTS (SELECT 1 FROM numaudit.number n JOIN numaudit.hierarchy h ON h.id = n.hierarchy_id
                            WHERE h.parent_id = 10 AND n.hierarchy_id <> su.owner AND n.internal_number = su.num))
         ORDER BY su.owner, su.num COLLATE "C"
    LOOP
        INSERT INTO numaudit.number (id, hierarchy_id, internal_number, status, updated_at)
        VALUES (numaudit_diff.next_entry_id(), r.owner, r.num, 'Available', '2000-01-01 00:00+00');
    END LOOP;
END
$fn$;

-- Resets numaudit's tables and loads scenario idx of seed. Acme (id 10) is
-- the audited customer; sometimes a second customer, Globex (id 20), shares
-- numbers, clusters and device names with it.
CREATE FUNCTION numaudit_diff.generate(seed bigint, idx integer) RETURNS void
    LANGUAGE plpgsql
AS $fn$
DECLARE
    dial text;
    nsites integer;
    names text[];
    clusters text[];
    pool text[] := '{}';
    nodes bigint[];
    homes text[];
    r double precision;
    i integer;
    num text;
    kinds text[] := ARRAY['ws', 'escaped_entry', 'invalid_pattern', 'invalid_entry', 'dup_entries',
                          'cross_site', 'long'];
    odds double precision[] := ARRAY[0.35, 0.3, 0.3, 0.3, 0.3, 0.5, 0.05];
BEGIN
    -- The effect of TRUNCATE ... RESTART IDENTITY CASCADE on these tables, at a
    -- fraction of its cost on tables this small (TRUNCATE makes new files).
    DELETE FROM numaudit.audit_change;
    DELETE FROM numaudit.audit_run;
    DELETE FROM numaudit.device_line;
    DELETE FROM numaudit.device;
    DELETE FROM numaudit.service;
    DELETE FROM numaudit.number;
    DELETE FROM numaudit.hierarchy;
    PERFORM setval(pg_get_serial_sequence('numaudit.' || t, 'id'), 1, false)
       FROM unnest(ARRAY['audit_change', 'audit_run', 'device', 'service', 'number', 'hierarchy']) AS t;
    PERFORM setseed(numaudit_diff.seed_of(seed, idx));

    -- The kinds of messy data of this scenario, each in a good share of them.
    DELETE FROM numaudit_diff.mess;
    IF numaudit_diff.messy() THEN
        FOR i IN 1 .. cardinality(kinds) LOOP
            IF numaudit_diff.chance(odds[i]) THEN
                INSERT INTO numaudit_diff.mess VALUES (kinds[i]);
            END IF;
        END LOOP;
    END IF;

    dial := CASE WHEN numaudit_diff.chance(0.5) THEN 'flat' ELSE 'slc' END;
    clusters := (CASE WHEN numaudit_diff.chance(0.7) THEN ARRAY['CL1', 'CL2', 'CL3']
                      ELSE numaudit_diff.shuffle(ARRAY['EMEA-1', 'AMER', 'apac', 'CL10', 'CL1']) END)
                [1:numaudit_diff.rint(1, 3)];
    FOR i IN 1 .. numaudit_diff.rint(3, 14) LOOP
        r := random();
        pool := pool || CASE WHEN r < 0.75 THEN (1000 + numaudit_diff.rint(0, 30))::text
                             WHEN r < 0.88 THEN '+4420700' || lpad(numaudit_diff.rint(0, 99)::text, 2, '0')
                             WHEN r < 0.93 THEN '*5' || numaudit_diff.rint(0, 9)
                             -- Odd ones: # and numbers of 50 characters are numbers;
                             -- with messy data also a lone *, a lower-case x, an
                             -- inner +, a lone + and 51 characters, which are not
                             -- (0.2.0 read them as numbers).
                             WHEN r < 0.94 THEN numaudit_diff.pick(
                                 CASE WHEN numaudit_diff.messy()
                                      THEN ARRAY['*', '10#', '10x1', '1+2', '+', '#', '+' || repeat('2', 49),
                                                 repeat('3', 50), repeat('3', 51)]
                                      ELSE ARRAY['10#', '#', '+' || repeat('2', 49), repeat('3', 50)] END)
                             ELSE (2000 + numaudit_diff.rint(0, 99))::text END;
    END LOOP;

    -- Acme sits under P.R (mostly), right under P, or under P.R.Sub.
    INSERT INTO numaudit.hierarchy (id, parent_id, name, kind, dial_plan) VALUES
        (1, NULL, 'P', 'provider', 'flat'),
        (2, 1, 'R', 'reseller', 'flat'),
        (4, 2, 'Sub', 'reseller', 'flat');
    r := random();
    INSERT INTO numaudit.hierarchy (id, parent_id, name, kind, dial_plan)
    VALUES (10, CASE WHEN r < 0.7 THEN 2 WHEN r < 0.85 THEN 1 ELSE 4 END, 'Acme', 'customer', dial);
    nsites := CASE WHEN numaudit_diff.chance(0.04) THEN 0
                   WHEN numaudit_diff.chance(0.1) THEN numaudit_diff.rint(5, 6)
                   ELSE numaudit_diff.rint(1, 4) END;
    names := numaudit_diff.shuffle(CASE WHEN numaudit_diff.chance(0.8)
                                        THEN ARRAY['London', 'Paris', 'Rome', 'Berlin', 'Oslo', 'Madrid']
                                        ELSE ARRAY['london', 'London-2', 'Zürich', 'Paris 15', 'Éze', 'B'] END);
    nodes := ARRAY[10::bigint];
    homes := ARRAY[numaudit_diff.pick(clusters)];
    FOR i IN 1 .. nsites LOOP
        INSERT INTO numaudit.hierarchy (id, parent_id, name, kind, dial_plan, site_location_code)
        VALUES (10 + i, 10, names[i], 'site', 'flat', CASE WHEN dial = 'slc' THEN (100 + i)::text END);
        nodes := nodes || (10 + i)::bigint;
        homes := homes || numaudit_diff.pick(clusters);
    END LOOP;
    PERFORM numaudit_diff.populate(10, nodes, homes, clusters, pool, 1.0);
    IF numaudit_diff.chance(0.05) THEN
        -- Uses owned by a reseller and a provider: nobody's.
        INSERT INTO numaudit.device (hierarchy_id, cluster, kind, name)
        VALUES (2, numaudit_diff.pick(clusters), 'phone', 'SEP00000000RRRR');
        INSERT INTO numaudit.device_line (device_id, line_index, pattern)
        SELECT d.id, 1, numaudit_diff.pick(pool) FROM numaudit.device d WHERE d.name = 'SEP00000000RRRR';
        INSERT INTO numaudit.service (hierarchy_id, cluster, kind, name, pattern)
        VALUES (1, numaudit_diff.pick(clusters), 'hunt_pilot', 'HP-P', numaudit_diff.pick(pool));
    END IF;
    IF numaudit_diff.has('escaped_entry') THEN
        -- An entry '\+4420…' (as exports write it) of a number a use writes
        -- '+4420…' or '\+4420…', at the use's node or elsewhere.
        i := numaudit_diff.rint(1, cardinality(nodes));
        r := random();
        INSERT INTO numaudit.service (hierarchy_id, cluster, kind, name, pattern)
        VALUES (nodes[i], homes[i], 'call_handler', 'CH-E164',
                numaudit_diff.pattern_for('+44207009' || numaudit_diff.rint(0, 9)))
        RETURNING numaudit_oracle.read_text(pattern) INTO num;
        PERFORM numaudit_diff.add_entry(CASE WHEN r < 0.6 THEN nodes[i] ELSE numaudit_diff.pick(nodes) END,
                                        numaudit_diff.dress('\' || num), 'e164');
    END IF;
    IF numaudit_diff.has('cross_site') THEN
        PERFORM numaudit_diff.cross_site(nodes, homes, clusters, pool);
    END IF;
    IF numaudit_diff.has('long') THEN
        PERFORM numaudit_diff.long_texts(nodes, homes, clusters, pool);
    END IF;

    IF numaudit_diff.chance(0.3) THEN
        -- Another customer, with a site named like Acme's sites and one named
        -- "Acme" (the bare name Acme still names one customer).
        INSERT INTO numaudit.hierarchy (id, parent_id, name, kind, dial_plan) VALUES
            (3, 1, 'R2', 'reseller', 'flat'),
            (20, 3, 'Globex', 'customer', numaudit_diff.pick(ARRAY['flat', 'slc'])),
            (21, 20, names[1], 'site', 'flat'),
            (22, 20, 'Acme', 'site', 'flat');
        PERFORM numaudit_diff.populate(20, ARRAY[20, 21, 22]::bigint[],
                                       ARRAY[numaudit_diff.pick(clusters), numaudit_diff.pick(clusters),
                                             numaudit_diff.pick(clusters)],
                                       clusters, pool, 0.5);
    END IF;
    IF NOT numaudit_diff.messy() THEN
        PERFORM numaudit_diff.clean_fixup();
    END IF;
    IF numaudit_diff.chance(0.15) THEN
        -- As a loader that supplied the entries' ids and did not move the
        -- identity past them: the audit must not collide with them.
        PERFORM setval(pg_get_serial_sequence('numaudit.number', 'id'), 1, false);
    END IF;
END
$fn$;

-- Coverage tags of the generated data (Acme's), before any audit.
CREATE FUNCTION numaudit_diff.data_tags() RETURNS text[]
    LANGUAGE sql STABLE
AS $$
WITH node AS (SELECT h.id FROM numaudit.hierarchy h WHERE h.id = 10 OR h.parent_id = 10),
u0 AS (
    SELECT d.hierarchy_id AS owner, d.cluster, d.kind, d.name, true AS dev, l.pattern
      FROM numaudit.device d JOIN numaudit.device_line l ON l.device_id = d.id
     WHERE d.hierarchy_id IN (SELECT node.id FROM node)
    UNION ALL
    SELECT s.hierarchy_id, s.cluster, s.kind, s.name, false, s.pattern
      FROM numaudit.service s WHERE s.hierarchy_id IN (SELECT node.id FROM node)),
u AS (         -- num: the pattern's read text, rk: what it is
    SELECT u0.*, numaudit_oracle.read_text(u0.pattern) AS num,
           numaudit_oracle.kind_of(numaudit_oracle.read_text(u0.pattern)) AS rk
      FROM u0),
e AS (         -- entries, read the same way
    SELECT n.id, n.hierarchy_id, n.internal_number, n.usage, numaudit_oracle.read_text(n.internal_number) AS num,
           numaudit_oracle.kind_of(numaudit_oracle.read_text(n.internal_number)) AS rk
      FROM numaudit.number n WHERE n.hierarchy_id IN (SELECT node.id FROM node)),
site_use AS (SELECT DISTINCT u.owner, u.num FROM u WHERE u.owner <> 10 AND u.rk = 'number'),
site_hold AS (SELECT DISTINCT e.hierarchy_id AS holder, e.num FROM e WHERE e.hierarchy_id <> 10 AND e.rk = 'number')
SELECT ARRAY(
    SELECT 'shared_line' WHERE EXISTS (SELECT 1 FROM u WHERE u.dev AND u.owner <> 10
                                        GROUP BY u.num HAVING count(DISTINCT u.owner) > 1)
    UNION ALL
    SELECT 'number_with_3_uses' WHERE EXISTS (SELECT 1 FROM u GROUP BY u.num HAVING count(*) >= 3)
    UNION ALL
    SELECT 'customer_level_device' WHERE EXISTS (SELECT 1 FROM u WHERE u.owner = 10 AND u.dev)
    UNION ALL
    SELECT 'customer_level_service' WHERE EXISTS (SELECT 1 FROM u WHERE u.owner = 10 AND NOT u.dev)
    UNION ALL
    SELECT 'customer_level_entry' WHERE EXISTS (SELECT 1 FROM numaudit.number n WHERE n.hierarchy_id = 10)
    UNION ALL
    SELECT 'device_without_lines'
     WHERE EXISTS (SELECT 1 FROM numaudit.device d
                    WHERE d.hierarchy_id IN (SELECT node.id FROM node)
                      AND NOT EXISTS (SELECT 1 FROM numaudit.device_line l WHERE l.device_id = d.id))
    UNION ALL
    SELECT 'duplicate_device_copies_differ'
     WHERE EXISTS (SELECT 1 FROM (SELECT u.kind, u.name, u.cluster, array_agg(u.num ORDER BY u.num) AS nums
                                    FROM u WHERE u.dev GROUP BY u.kind, u.name, u.cluster) AS x
                    GROUP BY x.kind, x.name HAVING count(*) > 1 AND count(DISTINCT x.nums) > 1)
    UNION ALL
    SELECT 'duplicate_device_in_3_clusters'
     WHERE EXISTS (SELECT 1 FROM u WHERE u.dev GROUP BY u.kind, u.name HAVING count(DISTINCT u.cluster) > 2)
    UNION ALL
    SELECT 'same_name_two_kinds'
     WHERE EXISTS (SELECT 1 FROM u WHERE u.dev GROUP BY u.name HAVING count(DISTINCT u.kind) > 1)
    UNION ALL
    SELECT 'service_name_in_two_clusters'
     WHERE EXISTS (SELECT 1 FROM u WHERE NOT u.dev GROUP BY u.kind, u.name HAVING count(DISTINCT u.cluster) > 1)
    UNION ALL
    SELECT 'escaped_plus_pattern' WHERE EXISTS (SELECT 1 FROM u WHERE left(btrim(u.pattern, E' \t\r\n'), 2) = '\+')
    UNION ALL
    SELECT 'wildcard_pattern' WHERE EXISTS (SELECT 1 FROM u WHERE u.rk = 'wildcard')
    UNION ALL
    SELECT 'user_usage_kind' WHERE EXISTS (SELECT 1 FROM u WHERE u.kind IN ('teams', 'webex'))
    UNION ALL
    SELECT 'entry_unused_number'
     WHERE EXISTS (SELECT 1 FROM e WHERE e.rk = 'number' AND e.num NOT IN (SELECT u.num FROM u))
    UNION ALL
    SELECT 'entry_wildcard_number' WHERE EXISTS (SELECT 1 FROM e WHERE e.rk = 'wildcard')
    UNION ALL
    SELECT 'other_customer' WHERE EXISTS (SELECT 1 FROM numaudit.hierarchy h WHERE h.id = 20)
    UNION ALL
    SELECT 'customer_without_sites' WHERE NOT EXISTS (SELECT 1 FROM numaudit.hierarchy h WHERE h.parent_id = 10)
    -- Messy data (0.3.0).
    UNION ALL
    SELECT 'clean_data' WHERE NOT numaudit_diff.messy()
    UNION ALL
    SELECT 'ws_pattern' WHERE EXISTS (SELECT 1 FROM u WHERE u.pattern <> btrim(u.pattern, E' \t\r\n'))
    UNION ALL
    SELECT 'ws_entry'
     WHERE EXISTS (SELECT 1 FROM e WHERE e.internal_number <> btrim(e.internal_number, E' \t\r\n'))
    UNION ALL
    SELECT 'escaped_plus_entry'
     WHERE EXISTS (SELECT 1 FROM e WHERE left(btrim(e.internal_number, E' \t\r\n'), 2) = '\+')
    UNION ALL
    SELECT 'escaped_plus_entry_in_use'
     WHERE EXISTS (SELECT 1 FROM e WHERE left(btrim(e.internal_number, E' \t\r\n'), 2) = '\+'
                      AND e.rk = 'number' AND e.num IN (SELECT u.num FROM u))
    UNION ALL
    SELECT 'invalid_pattern_data' WHERE EXISTS (SELECT 1 FROM u WHERE u.rk = 'invalid')
    UNION ALL
    SELECT 'empty_or_blank_pattern' WHERE EXISTS (SELECT 1 FROM u WHERE u.num = '')
    UNION ALL
    SELECT 'invalid_entry_data' WHERE EXISTS (SELECT 1 FROM e WHERE e.rk = 'invalid')
    UNION ALL
    SELECT 'number_of_50_characters'
     WHERE EXISTS (SELECT 1 FROM u WHERE u.rk = 'number' AND length(u.num) = 50)
    UNION ALL
    SELECT 'duplicate_entries_data'
     WHERE EXISTS (SELECT 1 FROM e WHERE e.rk = 'number' GROUP BY e.hierarchy_id, e.num HAVING count(*) > 1)
    UNION ALL
    SELECT 'number_used_at_one_site_held_at_another'
     WHERE EXISTS (SELECT 1 FROM site_use su JOIN site_hold sh ON sh.num = su.num AND sh.holder <> su.owner
                    WHERE NOT EXISTS (SELECT 1 FROM site_hold x WHERE (x.holder, x.num) = (su.owner, su.num)))
    UNION ALL
    SELECT 'number_used_by_sites_held_nowhere'
     WHERE EXISTS (SELECT 1 FROM site_use su
                    WHERE NOT EXISTS (SELECT 1 FROM e WHERE e.rk = 'number' AND e.num = su.num)
                    GROUP BY su.num HAVING count(*) > 1)
    UNION ALL
    SELECT 'number_held_at_several_sites'
     WHERE EXISTS (SELECT 1 FROM site_hold GROUP BY site_hold.num HAVING count(*) > 1)
    UNION ALL
    SELECT 'long_text'
     WHERE EXISTS (SELECT 1 FROM u WHERE greatest(length(u.cluster), length(u.name), length(u.pattern)) > 10000)
        OR EXISTS (SELECT 1 FROM e WHERE greatest(length(e.internal_number), length(e.usage)) > 10000))
$$;

-- Small changes between two audits of one scenario: a device or service
-- goes, a line or service appears, an entry is reserved; with messy data,
-- also a duplicate entry, an invalid pattern, a number entered at a site
-- other than the one that uses it.
CREATE FUNCTION numaudit_diff.mutate() RETURNS void
    LANGUAGE plpgsql
AS $fn$
DECLARE
    pool text[];
    v_id bigint;
    node bigint;
    cl text;
    num text;
    use_site bigint;
BEGIN
    pool := ARRAY(SELECT x.n FROM (SELECT numaudit_oracle.read_text(l.pattern) AS n FROM numaudit.device_line l
                                   UNION SELECT numaudit_oracle.read_text(s.pattern) FROM numaudit.service s) AS x
                   ORDER BY x.n COLLATE "C");
    IF numaudit_diff.chance(0.4) THEN
        v_id := numaudit_diff.pick(ARRAY(SELECT d.id FROM numaudit.device d ORDER BY d.id));
        DELETE FROM numaudit.device d WHERE d.id = v_id;
    END IF;
    IF numaudit_diff.chance(0.4) THEN
        v_id := numaudit_diff.pick(ARRAY(SELECT s.id FROM numaudit.service s ORDER BY s.id));
        DELETE FROM numaudit.service s WHERE s.id = v_id;
    END IF;
    IF numaudit_diff.chance(0.4) AND cardinality(pool) > 0 THEN
        v_id := numaudit_diff.pick(ARRAY(SELECT d.id FROM numaudit.device d ORDER BY d.id));
        num := numaudit_diff.pattern_for(numaudit_diff.pick(pool));
        INSERT INTO numaudit.device_line (device_id, line_index, pattern)
        SELECT v_id, 20, num WHERE v_id IS NOT NULL
        ON CONFLICT DO NOTHING;
    END IF;
    IF numaudit_diff.chance(0.4) AND cardinality(pool) > 0 THEN
        node := numaudit_diff.pick(ARRAY(SELECT h.id FROM numaudit.hierarchy h
                                          WHERE h.id = 10 OR h.parent_id = 10 ORDER BY h.id));
        cl := coalesce(numaudit_diff.pick(ARRAY(SELECT d.cluster FROM numaudit.device d ORDER BY d.id)), 'CL1');
        num := numaudit_diff.pattern_for(numaudit_diff.pick(pool));
        INSERT INTO numaudit.service (hierarchy_id, cluster, kind, name, pattern)
        VALUES (node, cl, 'call_park', 'CP-new', num);
    END IF;
    IF numaudit_diff.chance(0.3) THEN
        v_id := numaudit_diff.pick(ARRAY(SELECT n.id FROM numaudit.number n ORDER BY n.id));
        UPDATE numaudit.number n SET status = numaudit_diff.pick(ARRAY['Reserved', 'Cooling', 'Used'])
         WHERE n.id = v_id;
    END IF;
    IF NOT numaudit_diff.messy() THEN
        PERFORM numaudit_diff.clean_fixup();
        RETURN;
    END IF;
    IF numaudit_diff.chance(0.25) THEN
        -- Another entry of one node for an entry's number.
        v_id := numaudit_diff.pick(ARRAY(SELECT n.id FROM numaudit.number n
                                          WHERE numaudit_oracle.is_number(numaudit_oracle.read_text(n.internal_number))
                                          ORDER BY n.id));
        SELECT n.hierarchy_id, n.internal_number INTO node, num FROM numaudit.number n WHERE n.id = v_id;
        IF FOUND THEN
            PERFORM numaudit_diff.add_entry(node, numaudit_diff.variant(num), 'mutated');
        END IF;
    END IF;
    IF numaudit_diff.chance(0.2) THEN
        -- A service with an invalid pattern.
        node := numaudit_diff.pick(ARRAY(SELECT h.id FROM numaudit.hierarchy h
                                          WHERE h.id = 10 OR h.parent_id = 10 ORDER BY h.id));
        INSERT INTO numaudit.service (hierarchy_id, cluster, kind, name, pattern)
        VALUES (node, 'CL1', 'voicemail_pilot', 'VM-new',
                numaudit_diff.dress(numaudit_diff.pick(numaudit_diff.invalids())));
    END IF;
    IF numaudit_diff.chance(0.25) THEN
        -- A number a site uses, entered at another site of Acme.
        SELECT x.owner, x.num INTO use_site, num
          FROM (SELECT d.hierarchy_id AS owner, numaudit_oracle.read_text(l.pattern) AS num
                  FROM numaudit.device d JOIN numaudit.device_line l ON l.device_id = d.id
                UNION
                SELECT s.hierarchy_id, numaudit_oracle.read_text(s.pattern) FROM numaudit.service s) AS x
          JOIN numaudit.hierarchy h ON h.id = x.owner
         WHERE h.parent_id = 10 AND numaudit_oracle.is_number(x.num)
         ORDER BY x.owner, x.num COLLATE "C"
         OFFSET numaudit_diff.rint(0, 30) LIMIT 1;
        node := numaudit_diff.pick(ARRAY(SELECT h.id FROM numaudit.hierarchy h
                                          WHERE h.parent_id = 10 AND h.id <> use_site ORDER BY h.id));
        IF node IS NOT NULL AND num IS NOT NULL THEN
            PERFORM numaudit_diff.add_entry(node, numaudit_diff.dress(num), 'mutated');
        END IF;
    END IF;
END
$fn$;

-- The arguments of the next audit of Acme.
CREATE FUNCTION numaudit_diff.draw_request(OUT customer text, OUT scope text, OUT sites text[])
    LANGUAGE plpgsql
AS $fn$
DECLARE
    dial text := (SELECT h.dial_plan FROM numaudit.hierarchy h WHERE h.id = 10);
    all_sites text[] := numaudit_diff.shuffle(ARRAY(SELECT h.name FROM numaudit.hierarchy h
                                                     WHERE h.parent_id = 10 ORDER BY h.id));
    path text := (WITH RECURSIVE up AS (
                      SELECT h.parent_id, h.name::text AS p FROM numaudit.hierarchy h WHERE h.id = 10
                      UNION ALL
                      SELECT h.parent_id, h.name || '.' || up.p FROM up JOIN numaudit.hierarchy h ON h.id = up.parent_id)
                  SELECT up.p FROM up WHERE up.parent_id IS NULL);
    r double precision;
BEGIN
    customer := CASE WHEN numaudit_diff.chance(0.7) THEN path ELSE 'Acme' END;
    IF dial = 'slc' THEN
        scope := CASE WHEN numaudit_diff.chance(0.05) THEN 'customer' ELSE 'site' END;
    ELSE
        scope := CASE WHEN numaudit_diff.chance(0.4) THEN 'customer' ELSE 'site' END;
    END IF;
    IF numaudit_diff.chance(0.1) THEN
        scope := CASE WHEN numaudit_diff.chance(0.5) THEN upper(scope) ELSE initcap(scope) END;
    END IF;
    r := random();
    IF lower(scope) = 'site' THEN
        sites := CASE WHEN r < 0.3 THEN NULL
                      WHEN r < 0.35 THEN '{}'
                      ELSE all_sites[1:numaudit_diff.rint(1, cardinality(all_sites))] END;
    ELSE
        sites := CASE WHEN r < 0.1 THEN '{}'::text[] END;
    END IF;
END
$fn$;

CREATE FUNCTION numaudit_diff.inventory() RETURNS numaudit_diff.inv_row[]
    LANGUAGE sql STABLE
    RETURN ARRAY(SELECT ROW(n.hierarchy_id, n.internal_number, n.status, n.usage, n.description)::numaudit_diff.inv_row
                   FROM numaudit.number n ORDER BY n.hierarchy_id, n.internal_number COLLATE "C");

-- A line of a report: a line longer than max characters (a text of 10,000)
-- shows its start, its length and md5, and its end.
CREATE FUNCTION numaudit_diff.shown(line text, max integer DEFAULT 400) RETURNS text
    LANGUAGE sql IMMUTABLE
    RETURN CASE WHEN length(line) <= max THEN line
                ELSE left(line, max - 200) || format(' [%s characters, md5 %s] ', length(line), md5(line))
                     || right(line, 120) END;

-- "- expected" / "+ actual" lines for two arrays (as multisets).
CREATE FUNCTION numaudit_diff.diff(expected anyarray, actual anyarray) RETURNS text
    LANGUAGE sql STABLE
AS $$
    SELECT string_agg(numaudit_diff.shown(line), E'\n' ORDER BY ord, line COLLATE "C")
      FROM (SELECT 1 AS ord, '  - ' || x::text AS line
              FROM (SELECT unnest(expected) EXCEPT ALL SELECT unnest(actual)) AS e(x)
            UNION ALL
            SELECT 2, '  + ' || x::text
              FROM (SELECT unnest(actual) EXCEPT ALL SELECT unnest(expected)) AS a(x)) AS d
$$;

-- Both sequences, numbered, for an order mismatch.
CREATE FUNCTION numaudit_diff.listing(label text, a anyarray) RETURNS text
    LANGUAGE sql STABLE
AS $$
    SELECT label || E':\n' || coalesce((SELECT string_agg(numaudit_diff.shown('  ' || u.o || ' ' || u.x::text), E'\n'
                                                          ORDER BY u.o)
                                          FROM (SELECT x, o FROM unnest(a) WITH ORDINALITY AS t(x, o)) AS u), '  (none)')
$$;

-- One audit of the current data, by the oracle and by numaudit, compared.
-- Returns NULL when they agree, else a report; adds feature tags to tags.
CREATE FUNCTION numaudit_diff.check_round(label text, INOUT tags text[], OUT report text)
    LANGUAGE plpgsql
AS $fn$
DECLARE
    req record;
    dry boolean;
    via_audit boolean;
    entry_point text;
    inv_before numaudit_diff.inv_row[];
    o_rows numaudit_diff.res_row[];
    o_inv numaudit_diff.inv_row[];
    o_cnt record;
    o_req record;
    o_dec numaudit_oracle.decision[];
    o_sites_total integer;
    o_err text; o_msg text;
    n_rows numaudit_diff.res_row[];
    d_rows numaudit_diff.res_row[];
    n_inv numaudit_diff.inv_row[];
    n_err text; n_msg text;
    hist record;
    changes numaudit_diff.res_row[];
    touched text[]; expect_touched text[];
    problems text[] := '{}';
    dial text := (SELECT h.dial_plan FROM numaudit.hierarchy h WHERE h.id = 10);
BEGIN
    req := numaudit_diff.draw_request();
    dry := numaudit_diff.chance(0.2);
    -- Now and then the audit is made by CALL numaudit.audit (the same rules;
    -- inside this function's transaction it makes no intermediate commit).
    via_audit := numaudit_diff.chance(0.15);
    entry_point := CASE WHEN via_audit THEN 'audit' ELSE 'run' END;
    UPDATE numaudit.number SET updated_at = '2000-01-01 00:00+00' WHERE updated_at <> '2000-01-01 00:00+00';
    inv_before := numaudit_diff.inventory();

    BEGIN
        o_req := numaudit_oracle.resolve(req.customer, req.scope, req.sites);
        o_dec := ARRAY(SELECT numaudit_oracle.decisions(o_req.cust, o_req.scope_lc, o_req.sel));
        o_rows := ARRAY(SELECT ROW(o.hierarchy, o.site, o.internal_number, o.action, o.old_status, o.old_usage,
                                   o.new_status, o.new_usage, o.detail)::numaudit_diff.res_row
                          FROM numaudit_oracle.rows_of(o_dec) WITH ORDINALITY AS o
                         ORDER BY o.ordinality);
        o_inv := ARRAY(SELECT ROW(i.*)::numaudit_diff.inv_row
                         FROM numaudit_oracle.inventory_of(o_dec) AS i
                        ORDER BY i.hierarchy_id, i.internal_number COLLATE "C");
        o_cnt := numaudit_oracle.counts_of(o_dec);
        o_sites_total := cardinality(o_req.sel);
    EXCEPTION WHEN OTHERS THEN
        o_err := SQLSTATE; o_msg := SQLERRM;
    END;

    IF dry AND o_err IS NULL THEN
        BEGIN
            d_rows := ARRAY(SELECT ROW(n.hierarchy, n.site, n.internal_number, n.action, n.old_status, n.old_usage,
                                       n.new_status, n.new_usage, n.detail)::numaudit_diff.res_row
                              FROM numaudit.run(req.customer, req.scope, req.sites, dry_run => true)
                                   WITH ORDINALITY AS n
                             ORDER BY n.ordinality);
        EXCEPTION WHEN OTHERS THEN
            problems := problems || format('dry run raised %s: %s', SQLSTATE, SQLERRM);
        END;
        IF d_rows IS DISTINCT FROM o_rows THEN
            problems := problems || ('dry-run rows differ from the oracle''s:' || E'\n'
                                     || coalesce(numaudit_diff.diff(o_rows, d_rows), '  (same rows, other order)'));
        END IF;
        IF numaudit_diff.inventory() IS DISTINCT FROM inv_before THEN
            problems := problems || ('the dry run changed the inventory:' || E'\n'
                                     || numaudit_diff.diff(inv_before, numaudit_diff.inventory()));
        END IF;
        tags := tags || 'dry_run'::text;
    END IF;

    BEGIN
        IF via_audit THEN
            CALL numaudit.audit(req.customer, req.scope, req.sites);
            -- Its rows are those of its history, site by site: compared as a multiset.
            n_rows := ARRAY(SELECT ROW(c.hierarchy, c.site, c.internal_number, c.action, c.old_status, c.old_usage,
                                       c.new_status, c.new_usage, c.detail)::numaudit_diff.res_row
                              FROM numaudit.audit_change c
                             WHERE c.run_id = (SELECT max(r.id) FROM numaudit.audit_run r)
                             ORDER BY c.id);
        ELSE
            n_rows := ARRAY(SELECT ROW(n.hierarchy, n.site, n.internal_number, n.action, n.old_status, n.old_usage,
                                       n.new_status, n.new_usage, n.detail)::numaudit_diff.res_row
                              FROM numaudit.run(req.customer, req.scope, req.sites) WITH ORDINALITY AS n
                             ORDER BY n.ordinality);
        END IF;
    EXCEPTION WHEN OTHERS THEN
        n_err := SQLSTATE; n_msg := SQLERRM;
    END;
    IF via_audit THEN
        tags := tags || 'call_audit'::text;
    END IF;

    IF o_err IS NOT NULL OR n_err IS NOT NULL THEN
        IF o_err = '55000' AND n_err = '55000' AND dial = 'slc' AND lower(req.scope) = 'customer' THEN
            tags := tags || 'slc_scope_customer_55000'::text;
        ELSE
            problems := problems || format('errors differ: oracle %s (%s), numaudit %s (%s)',
                                           coalesce(o_err, 'none'), o_msg, coalesce(n_err, 'none'), n_msg);
        END IF;
    ELSE
        -- Result rows: the same multiset, in the same order.
        IF n_rows IS DISTINCT FROM o_rows THEN
            IF ARRAY(SELECT x FROM unnest(n_rows) x ORDER BY x::text COLLATE "C")
               = ARRAY(SELECT x FROM unnest(o_rows) x ORDER BY x::text COLLATE "C") THEN
                IF NOT via_audit THEN
                problems := problems || ('rows: the same rows in another order' || E'\n'
                                         || numaudit_diff.listing('  oracle', o_rows) || E'\n'
                                         || numaudit_diff.listing('  numaudit', n_rows));
                END IF;
            ELSE
                problems := problems || ('rows differ (- oracle, + numaudit):' || E'\n'
                                         || numaudit_diff.diff(o_rows, n_rows));
            END IF;
        END IF;
        -- The inventory after the audit.
        n_inv := numaudit_diff.inventory();
        IF n_inv IS DISTINCT FROM o_inv THEN
            problems := problems || ('inventory differs (- oracle, + numaudit):' || E'\n'
                                     || numaudit_diff.diff(o_inv, n_inv));
        END IF;
        -- updated_at moved on exactly the rows added or changed.
        touched := ARRAY(SELECT t FROM (SELECT n.hierarchy_id || '/' || n.internal_number AS t
                                          FROM numaudit.number n
                                         WHERE n.updated_at <> '2000-01-01 00:00+00') AS x
                          ORDER BY t COLLATE "C");
        expect_touched := ARRAY(SELECT t FROM (SELECT (x.u).hierarchy_id || '/' || (x.u).internal_number AS t
                                                 FROM (SELECT unnest(o_inv) AS u
                                                       EXCEPT SELECT unnest(inv_before)) AS x) AS y
                                 ORDER BY t COLLATE "C");
        IF touched IS DISTINCT FROM expect_touched THEN
            problems := problems || numaudit_diff.shown(format('updated_at moved on %s, expected on %s',
                                                               touched, expect_touched), 4000);
        END IF;
        -- History: one audit_run row with the counts, one audit_change row per result row.
        SELECT * INTO hist FROM numaudit.audit_run ORDER BY id DESC LIMIT 1;
        IF hist.status IS DISTINCT FROM 'done' OR hist.scope IS DISTINCT FROM lower(req.scope)
           OR hist.entry_point IS DISTINCT FROM entry_point
           OR (hist.added, hist.updated, hist.unchanged, hist.skipped, hist.conflicts, hist.sites_total,
               hist.sites_done)
              IS DISTINCT FROM (o_cnt.added, o_cnt.updated, o_cnt.unchanged, o_cnt.skipped, o_cnt.conflicts,
                                o_sites_total, o_sites_total) THEN
            problems := problems || format('audit_run: status %s scope %s entry_point %s added %s updated %s '
                                           'unchanged %s skipped %s conflicts %s sites_total %s sites_done %s; '
                                           'expected done %s %s %s %s %s %s %s %s %s',
                                           hist.status, hist.scope, hist.entry_point, hist.added, hist.updated,
                                           hist.unchanged, hist.skipped, hist.conflicts, hist.sites_total,
                                           hist.sites_done, lower(req.scope), entry_point,
                                           o_cnt.added, o_cnt.updated, o_cnt.unchanged, o_cnt.skipped,
                                           o_cnt.conflicts, o_sites_total, o_sites_total);
        END IF;
        changes := ARRAY(SELECT ROW(c.hierarchy, c.site, c.internal_number, c.action, c.old_status, c.old_usage,
                                    c.new_status, c.new_usage, c.detail)::numaudit_diff.res_row
                           FROM numaudit.audit_change c WHERE c.run_id = hist.id ORDER BY c.id);
        IF NOT via_audit AND changes IS DISTINCT FROM n_rows THEN
            problems := problems || ('audit_change differs from the returned rows:' || E'\n'
                                     || coalesce(numaudit_diff.diff(n_rows, changes), '  (other order)'));
        END IF;

        -- Coverage tags, from the oracle's rows.
        tags := tags || ARRAY(
            SELECT DISTINCT t FROM (
                SELECT CASE
                         WHEN r.action = 'added' AND r.site IS NULL THEN 'added_at_customer'
                         WHEN r.action = 'added' THEN 'added_at_site'
                         WHEN r.action = 'updated' THEN 'updated'
                         WHEN r.action = 'skipped' AND r.detail IN ('Reserved', 'Cooling') THEN 'skipped_' || r.detail
                         WHEN r.action = 'skipped' AND r.detail = 'held at customer level' THEN 'held_at_customer_level'
                         WHEN r.action = 'skipped' AND r.detail LIKE 'held at site %' THEN 'held_at_site'
                         WHEN r.action = 'skipped' AND r.detail = 'invalid number' THEN 'invalid_entry'
                         WHEN r.action = 'skipped' AND r.detail LIKE 'invalid pattern: %' THEN 'invalid_pattern'
                         WHEN r.action = 'skipped' THEN 'wildcard'
                         WHEN r.internal_number IS NULL THEN 'conflict_device'
                         WHEN r.detail LIKE 'number is held by more than one entry: %' THEN 'duplicate_entries'
                         ELSE 'conflict_number' END AS t
                  FROM unnest(o_rows) r
                UNION ALL
                -- A number held nowhere, needed by several selected sites: added at the first.
                SELECT 'added_once_for_several_sites' FROM unnest(o_rows) a, unnest(o_rows) h
                 WHERE a.action = 'added' AND h.action = 'skipped' AND h.internal_number = a.internal_number
                   AND h.detail = 'held at site ' || a.site
                UNION ALL
                SELECT 'held_at_site_by_unselected_site' FROM unnest(o_rows) h
                 WHERE h.action = 'skipped' AND h.detail LIKE 'held at site %'
                   AND NOT EXISTS (SELECT 1 FROM numaudit.hierarchy x
                                    WHERE x.id = ANY (o_req.sel) AND x.name = substr(h.detail, 14))
                UNION ALL
                SELECT 'invalid_pattern_empty' FROM unnest(o_rows) r
                 WHERE r.detail LIKE 'invalid pattern: %' AND r.internal_number = ''
                UNION ALL
                -- Rows and decisions about entries whose text is not their read number.
                SELECT CASE WHEN d.action = 'unchanged' THEN 'entry_read_number_unchanged'
                            ELSE 'entry_read_number_row' END
                  FROM unnest(o_dec) d JOIN numaudit.number n ON n.id = d.entry_id
                 WHERE d.internal_number IS DISTINCT FROM n.internal_number
                   AND d.detail IS DISTINCT FROM 'invalid number'
                UNION ALL
                SELECT 'text_cut' FROM unnest(o_rows) r
                 WHERE strpos(r::text, substr(numaudit_oracle.cut(repeat(' ', 10001)), 10001)) > 0
                UNION ALL
                SELECT 'conflict_number_of_duplicate_device' FROM unnest(o_rows) d, unnest(o_rows) n
                 WHERE d.action = 'conflict' AND d.internal_number IS NULL
                   AND n.action = 'conflict' AND n.internal_number IS NOT NULL
                   AND n.internal_number = ANY (string_to_array(split_part(d.detail, '; numbers ', 2), ', '))

                UNION ALL
                SELECT 'list_truncated' WHERE EXISTS (SELECT 1 FROM unnest(o_rows) r WHERE r.detail LIKE '% more')
                UNION ALL
                SELECT 'detail_line_10_or_more' WHERE EXISTS (SELECT 1 FROM unnest(o_rows) r
                                                               WHERE r.detail ~ ' line [0-9]{2}')
                UNION ALL
                SELECT 'wildcard_list_several_clusters'
                 WHERE EXISTS (SELECT 1 FROM unnest(o_rows) r
                                WHERE r.detail LIKE 'wildcard pattern: %'
                                  AND (SELECT count(DISTINCT m[1]) FROM regexp_matches(r.detail, '\(([^)]*)\)', 'g') AS m) > 1)
                UNION ALL
                SELECT 'number_conflict_two_uses_in_a_cluster'
                 WHERE EXISTS (SELECT 1 FROM unnest(o_rows) r
                                WHERE r.detail LIKE 'number is used in more than one cluster: %'
                                  AND (SELECT count(*) - count(DISTINCT m[1])
                                         FROM regexp_matches(r.detail, '(?:: |, )([^ ,]+) \(', 'g') AS m) > 0)
                UNION ALL
                SELECT 'entries_unchanged' WHERE o_cnt.unchanged > 0) AS x);
    END IF;

    tags := tags || (dial || '_' || lower(req.scope))
                 || CASE WHEN req.sites IS NULL THEN 'sites_null'
                         WHEN cardinality(req.sites) = 0 THEN 'sites_empty'
                         ELSE 'sites_' || cardinality(req.sites) END;
    IF cardinality(problems) > 0 THEN
        report := format(E'%s: %s(%L, %L, %L) (dial plan %s%s)\n%s',
                         label, CASE entry_point WHEN 'audit' THEN 'CALL numaudit.audit' ELSE 'numaudit.run' END,
                         req.customer, req.scope, req.sites, dial,
                         CASE WHEN dry THEN ', after a dry run' ELSE '' END,
                         array_to_string(problems, E'\n'));
    END IF;
END
$fn$;

-- Runs scenarios first .. first+count-1 of seed: each is generated, audited
-- once, and half the time changed a little and audited again. Returns the
-- number of mismatching scenarios.
CREATE FUNCTION numaudit_diff.run_batch(seed bigint, first integer, count integer) RETURNS integer
    LANGUAGE plpgsql
AS $fn$
DECLARE
    idx integer;
    rounds integer;
    tags text[];
    rep text;
    reports text[];
    bad integer := 0;
BEGIN
    FOR idx IN first .. first + count - 1 LOOP
        PERFORM numaudit_diff.generate(seed, idx);
        rounds := CASE WHEN numaudit_diff.chance(0.5) THEN 2 ELSE 1 END;
        tags := numaudit_diff.data_tags();
        reports := '{}';
        FOR r IN 1 .. rounds LOOP
            IF r = 2 AND numaudit_diff.chance(0.5) THEN
                PERFORM numaudit_diff.mutate();
                tags := tags || 'mutated'::text;
            END IF;
            SELECT c.tags, c.report INTO tags, rep
              FROM numaudit_diff.check_round(format('seed %s scenario %s round %s', seed, idx, r), tags) c;
            IF rep IS NOT NULL THEN
                reports := reports || rep;
                EXIT;
            END IF;
        END LOOP;
        INSERT INTO numaudit_diff.result (seed, idx, rounds, features, report)
        VALUES (seed, idx, rounds, ARRAY(SELECT DISTINCT t FROM unnest(tags) t ORDER BY 1),
                CASE WHEN cardinality(reports) > 0 THEN array_to_string(reports, E'\n') END)
        ON CONFLICT ON CONSTRAINT result_pkey DO UPDATE
           SET rounds = excluded.rounds, features = excluded.features, report = excluded.report;
        IF cardinality(reports) > 0 THEN
            bad := bad + 1;
        END IF;
    END LOOP;
    RETURN bad;
END
$fn$;

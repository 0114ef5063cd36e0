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

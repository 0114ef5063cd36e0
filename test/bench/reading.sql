-- numaudit benchmark: reading a pattern or an internal number (0.3.0), as
-- docs/BEHAVIOUR.md "Real data (0.3.0)" states it, for both contenders
-- (contenders.sql, set_based.sql: load this file first). A restatement in
-- plain SQL, sharing no code with numaudit's core.
--
--   read(text): (1) drop leading and trailing space, tab, CR and LF; (2) a
--   leading '\+' becomes '+'; (3) the result is a number when it matches
--   ^[+*]?[0-9#]+$ and is at most 50 characters long; (4) otherwise a
--   wildcard when it holds any of X [ ] ! . @ or a * after its first
--   character; (5) otherwise invalid. The read text is the result of 1-2.
--
-- Every function is a single SQL expression, IMMUTABLE and not STRICT, so
-- that the planner inlines it: in a query it costs what the expression
-- costs, with no function call per row. Literals are E'' strings, so that
-- the backslash means the same whatever standard_conforming_strings says.
CREATE SCHEMA IF NOT EXISTS bench;

-- Steps 1-2: the read text (NULL for NULL).
CREATE OR REPLACE FUNCTION bench.read_text(t text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN CASE WHEN starts_with(btrim(t, E' \t\r\n'), E'\\+')
                THEN '+' || substr(btrim(t, E' \t\r\n'), 3)
                ELSE btrim(t, E' \t\r\n') END;

-- Step 3 on a read text: is it a number? (Once the pattern matches, every
-- character is ASCII, so octet_length is its length.)
CREATE OR REPLACE FUNCTION bench.is_number(r text) RETURNS boolean
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN r ~ E'^[+*]?[0-9#]+$' AND octet_length(r) <= 50;

-- Step 4 on a read text that is not a number: is it a wildcard?
CREATE OR REPLACE FUNCTION bench.is_wildcard(r text) RETURNS boolean
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN r ~ E'[][X!.@]|.\\*';

-- The number a pattern or internal number stands for: its read text when
-- that is a number, else NULL (wildcard or invalid). A text that is already
-- a number (almost every one in practice) is its own read text: one regular
-- expression, and reading (trimming) only for the others.
CREATE OR REPLACE FUNCTION bench.number_of(t text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN CASE WHEN bench.is_number(t) THEN t
                WHEN bench.is_number(bench.read_text(t)) THEN bench.read_text(t) END;

-- What a read text is: 'number', 'wildcard' or 'invalid'.
CREATE OR REPLACE FUNCTION bench.read_kind(r text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN CASE WHEN bench.is_number(r) THEN 'number'
                WHEN bench.is_wildcard(r) THEN 'wildcard'
                ELSE 'invalid' END;

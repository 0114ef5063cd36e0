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

--
-- Entry points: CALL numaudit.audit takes run()'s flags.
--

--
-- No value of any text column of device, device_line, service or number, of
-- any length or content, makes an audit fail (SPEC §3 "Reading numbers"):
-- empty, 1 MB, control characters, invalid patterns, every wildcard,
-- numbers of 9,600 digits. Every audit below succeeds, reports what it
-- cannot use, and audits the rest. (Indexed columns - device cluster and
-- name, number internal_number - take what their unique indexes take: up to
-- 200 kB of repeated text.) Long values are shown by length.
--
SET client_min_messages = warning;
DROP EXTENSION IF EXISTS numaudit CASCADE;
CREATE EXTENSION numaudit;
RESET client_min_messages;

CREATE TEMP TABLE hostile (k text PRIMARY KEY, v text NOT NULL);
INSERT INTO hostile VALUES
    ('empty', ''), ('blank', E' \t\r\n '), ('control', E'\x01\x02\x1b[0m\x7f'),
    ('quotes', E'\'"\\;--%s%n'), ('unicode', E'Zürich 東京 🚀'), ('newlines', E'a\nb\r\nc'),
    ('mb', repeat('x', 1048576)), ('mb_digits', repeat('7', 1048576)),
    ('digits_9600', repeat('5', 9600)), ('digits_51', repeat('5', 51)),
    ('letters', '1003A'), ('inner_plus', '12\+34'), ('lone_plus', '+'), ('lone_star', '*'),
    ('dash', '10-20'), ('nul_like', E'\\0'), ('wild_X', '10XX'), ('wild_open', '1[2'),
    ('wild_close', '1]2'), ('wild_bang', '10!'), ('wild_dot', '1.0'), ('wild_at', '@'),
    ('wild_star', '1*'), ('wild_all', E'\\+1X[]!.@*'), ('wild_mb', repeat('X', 1048576)),
    ('long_name', repeat('N', 10001));
CREATE FUNCTION pg_temp.h(key text) RETURNS text LANGUAGE sql STABLE
BEGIN ATOMIC
    SELECT v FROM hostile WHERE k = key;
END;

-- P > R > Acme (flat): A, B; P > R > Slc (slc): S1.
INSERT INTO numaudit.hierarchy (id, parent_id, name, kind, dial_plan) VALUES
    (1, NULL, 'P', 'provider', 'flat'), (2, 1, 'R', 'reseller', 'flat'),
    (10, 2, 'Acme', 'customer', 'flat'), (11, 10, 'A', 'site', 'flat'),
    (12, 10, 'B', 'site', 'flat'), (20, 2, 'Slc', 'customer', 'slc'), (21, 20, 'S1', 'site', 'flat');

-- Devices whose cluster and name are hostile, each with a line per hostile
-- pattern and hostile partitions; two sound phones keep numbers in use.
INSERT INTO numaudit.device (id, hierarchy_id, cluster, kind, name)
SELECT row_number() OVER (ORDER BY k), CASE WHEN k < 'm' THEN 11 ELSE 12 END,
       CASE WHEN k LIKE 'mb%' OR k = 'wild_mb' THEN repeat('c', 50000) || k WHEN k = 'long_name' THEN 'CL1' ELSE v END,
       'phone', CASE WHEN k LIKE 'mb%' OR k = 'wild_mb' THEN repeat('n', 50000) ELSE v END
  FROM hostile;
INSERT INTO numaudit.device (id, hierarchy_id, cluster, kind, name) VALUES
    (100, 11, 'CL1', 'phone', 'SEPSOUND00001'), (101, 12, 'CL1', 'phone', 'SEPSOUND00002'),
    (102, 21, pg_temp.h('control'), 'phone', repeat('7', 100000));
INSERT INTO numaudit.device_line (device_id, line_index, pattern, partition)
SELECT d.id, row_number() OVER (PARTITION BY d.id ORDER BY h.k), h.v, pg_temp.h('mb')
  FROM numaudit.device d CROSS JOIN hostile h WHERE d.id < 100;
INSERT INTO numaudit.device_line (device_id, line_index, pattern, partition) VALUES
    (100, 1, '1001', pg_temp.h('control')), (100, 2, E' \\+4420\n', ''),
    (101, 1, '1002', pg_temp.h('unicode')), (102, 1, '2001', pg_temp.h('mb')),
    (102, 2, pg_temp.h('mb_digits'), '');
-- Services: every hostile value in name, cluster, pattern and partition.
INSERT INTO numaudit.service (hierarchy_id, cluster, kind, name, pattern, partition)
SELECT CASE WHEN a.k < 'm' THEN 11 ELSE 12 END, a.v, 'hunt_pilot', b.v, b.v, a.v
  FROM hostile a JOIN hostile b ON b.k = (SELECT min(x.k) FROM hostile x WHERE x.k > a.k)
UNION ALL
SELECT 21, 'CL1', 'call_park', pg_temp.h('mb'), v, v FROM hostile;
INSERT INTO numaudit.service (hierarchy_id, cluster, kind, name, pattern) VALUES
    (11, pg_temp.h('mb'), 'voicemail_pilot', pg_temp.h('mb'), '1003');
-- Entries: hostile internal numbers, usages and descriptions; some sound
-- numbers with hostile usages, which the audit must rewrite.
INSERT INTO numaudit.number (hierarchy_id, internal_number, status, usage, description)
SELECT n.holder, CASE WHEN h.k = 'mb' THEN repeat('i', 200000)
                      WHEN h.k IN ('mb_digits', 'wild_mb') THEN repeat('8', 200000) ELSE h.v END,
       'Used', h.v, h.v
  FROM hostile h CROSS JOIN (VALUES (10), (11), (21)) AS n (holder)
 WHERE h.k NOT IN ('wild_mb');
INSERT INTO numaudit.number (hierarchy_id, internal_number, status, usage, description) VALUES
    (11, '1001', 'Used', pg_temp.h('mb'), pg_temp.h('mb')),
    (11, E'\t1003 ', 'Available', pg_temp.h('control'), NULL),
    (12, '1002', 'Available', pg_temp.h('mb_digits'), NULL),
    (21, '2001', 'Available', repeat('u', 50000), NULL);
SELECT count(*) AS devices, (SELECT count(*) FROM numaudit.device_line) AS lines,
       (SELECT count(*) FROM numaudit.service) AS services,
       (SELECT count(*) FROM numaudit.number) AS entries,
       (SELECT sum(octet_length(pattern) + octet_length(partition)) FROM numaudit.device_line)
           + (SELECT sum(octet_length(name) + octet_length(cluster) + octet_length(pattern))
                FROM numaudit.service) > 100000000 AS over_100_mb
  FROM numaudit.device;

-- Every audit succeeds: dry runs of both scopes, a run, a CALL, and an slc site.
CREATE TEMP TABLE dry_customer AS SELECT * FROM numaudit.run('Acme', 'customer', dry_run => true);
CREATE TEMP TABLE dry_site AS SELECT * FROM numaudit.run('P.R.Acme', 'site', dry_run => true);
SELECT action, left(coalesce(substring(detail from '^[a-z ]+'), '-'), 20) AS detail_kind, count(*),
       max(length(internal_number)) AS longest_number, max(length(detail)) AS longest_detail
  FROM dry_customer GROUP BY 1, 2 ORDER BY 1, 2;
-- Nothing that reads as no number is ever added, and every entry that is no
-- number is reported.
SELECT count(*) FILTER (WHERE action = 'added'
                          AND numaudit.pattern_number(internal_number) IS DISTINCT FROM internal_number)
           AS bad_additions,
       count(*) FILTER (WHERE detail = 'invalid number') AS invalid_entries_reported,
       (SELECT count(*) FROM numaudit.number n
         WHERE n.hierarchy_id IN (10, 11, 12) AND numaudit.pattern_number(n.internal_number) IS NULL)
           AS invalid_entries
  FROM dry_customer;
-- The sound numbers: 1001 (usage of 1 MB) and \t1003 (control characters)
-- are rewritten, \+4420 added as +4420.
SELECT hierarchy, internal_number, action, length(old_usage) AS old_usage_length, new_status, new_usage
  FROM dry_customer WHERE internal_number IN ('1001', '1002', '1003', '+4420') ORDER BY 1, 2;
-- Text quoted in a row is cut at 10,000 characters and an ellipsis.
SELECT count(*) AS cut, min(length(internal_number)) AS min_len, max(length(internal_number)) AS max_len
  FROM dry_customer WHERE right(internal_number, 1) = chr(8230);

CALL numaudit.audit('Acme', 'site');
-- The dry site run predicted the CALL's rows.
SELECT count(*) AS differ FROM (
    (SELECT hierarchy, site, internal_number, action, old_status, old_usage, detail FROM dry_site
     EXCEPT ALL
     SELECT c.hierarchy, c.site, c.internal_number, c.action, c.old_status, c.old_usage, c.detail
       FROM numaudit.audit_change c WHERE c.run_id = 1)) x;
SELECT count(*) AS rows FROM numaudit.run('Acme', 'customer');
CALL numaudit.audit('Slc', 'site');
SELECT id, entry_point, scope, status, added, updated, skipped, conflicts, error
  FROM numaudit.audit_run ORDER BY id;
-- What the audits wrote: status and usage only, and history rows for every
-- row reported, the longest as long as the reports.
SELECT n.hierarchy_id, n.internal_number, n.status, length(n.usage) AS usage_length,
       length(n.description) AS description_length
  FROM numaudit.number n
 WHERE n.internal_number IN ('1001', '1002', E'\t1003 ', '+4420', '2001') ORDER BY 1, 2;
SELECT r.entry_point, r.scope, count(c.*) AS changes, max(length(c.detail)) AS longest_detail,
       max(length(c.old_usage)) AS longest_old_usage
  FROM numaudit.audit_run r JOIN numaudit.audit_change c ON c.run_id = r.id
 GROUP BY r.id, r.entry_point, r.scope ORDER BY r.id;
-- A second audit only reports.
SELECT action, count(*) FROM numaudit.run('Acme', 'customer') GROUP BY action ORDER BY action;

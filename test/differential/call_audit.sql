-- numaudit_diff, committing CALL numaudit.audit: the scenarios of
-- differential.sql audited by CALL numaudit.audit issued as a statement of
-- its own, so that it commits after every site (call_audit.sh). Each
-- scenario is three statements:
--   SELECT numaudit_diff.call_prepare(seed, idx) AS args \gset
--   CALL numaudit.audit(:args);
--   SELECT numaudit_diff.call_check();

-- The oracle's expectations for the audit in progress.
CREATE TABLE numaudit_diff.pending (
    seed        bigint NOT NULL,
    idx         integer NOT NULL,
    customer    text,
    scope       text,
    sites       text[],
    dial        text,
    rows        numaudit_diff.res_row[],
    inv         numaudit_diff.inv_row[],
    inv_before  numaudit_diff.inv_row[],
    added       bigint, updated bigint, unchanged bigint, skipped bigint, conflicts bigint,
    sites_total integer
);

-- Loads scenario idx of seed, draws its audit (never scope customer for an
-- slc customer: that error is covered by run.sh), records what the oracle
-- expects, and returns the audit's arguments as SQL text.
CREATE FUNCTION numaudit_diff.call_prepare(seed bigint, idx integer) RETURNS text
    LANGUAGE plpgsql
AS $fn$
DECLARE
    req record;
    res record;
    dec numaudit_oracle.decision[];
    cnt record;
    dial text;
BEGIN
    DELETE FROM numaudit_diff.pending;
    PERFORM numaudit_diff.generate(seed, idx);
    dial := (SELECT h.dial_plan FROM numaudit.hierarchy h WHERE h.id = 10);
    req := numaudit_diff.draw_request();
    IF dial = 'slc' AND lower(req.scope) = 'customer' THEN
        req.scope := 'site';
    END IF;
    res := numaudit_oracle.resolve(req.customer, req.scope, req.sites);
    dec := ARRAY(SELECT numaudit_oracle.decisions(res.cust, res.scope_lc, res.sel));
    cnt := numaudit_oracle.counts_of(dec);
    INSERT INTO numaudit_diff.pending
    VALUES (seed, idx, req.customer, req.scope, req.sites, dial,
            ARRAY(SELECT ROW(o.*)::numaudit_diff.res_row FROM numaudit_oracle.rows_of(dec) AS o),
            ARRAY(SELECT ROW(i.*)::numaudit_diff.inv_row FROM numaudit_oracle.inventory_of(dec) AS i
                   ORDER BY i.hierarchy_id, i.internal_number COLLATE "C"),
            numaudit_diff.inventory(),
            cnt.added, cnt.updated, cnt.unchanged, cnt.skipped, cnt.conflicts, cardinality(res.sel));
    RETURN format('%L, %L, %s', req.customer, req.scope,
                  CASE WHEN req.sites IS NULL THEN 'NULL' ELSE quote_literal(req.sites) || '::text[]' END);
END
$fn$;

-- Compares what the CALL did with the oracle's expectations and records the
-- scenario in numaudit_diff.result. Returns the report, or NULL.
CREATE FUNCTION numaudit_diff.call_check() RETURNS text
    LANGUAGE plpgsql
AS $fn$
DECLARE
    p record;
    hist record;
    n_rows numaudit_diff.res_row[];
    n_inv numaudit_diff.inv_row[];
    touched text[]; expect_touched text[];
    problems text[] := '{}';
    report text;
BEGIN
    SELECT * INTO p FROM numaudit_diff.pending;
    IF NOT FOUND THEN
        RETURN NULL;   -- call_prepare failed: its error is on record
    END IF;
    SELECT * INTO hist FROM numaudit.audit_run ORDER BY id DESC LIMIT 1;
    IF NOT FOUND THEN
        problems := problems || 'no audit_run row'::text;
    ELSE
        n_rows := ARRAY(SELECT ROW(c.hierarchy, c.site, c.internal_number, c.action, c.old_status, c.old_usage,
                                   c.new_status, c.new_usage, c.detail)::numaudit_diff.res_row
                          FROM numaudit.audit_change c WHERE c.run_id = hist.id ORDER BY c.id);
        IF ARRAY(SELECT x FROM unnest(n_rows) x ORDER BY x::text COLLATE "C")
           IS DISTINCT FROM ARRAY(SELECT x FROM unnest(p.rows) x ORDER BY x::text COLLATE "C") THEN
            problems := problems || ('audit_change rows differ (- oracle, + numaudit):' || E'\n'
                                     || numaudit_diff.diff(p.rows, n_rows));
        END IF;
        IF (hist.status, hist.entry_point, hist.scope, hist.added, hist.updated, hist.unchanged, hist.skipped,
            hist.conflicts, hist.sites_total, hist.sites_done)
           IS DISTINCT FROM ('done', 'audit', lower(p.scope), p.added, p.updated, p.unchanged, p.skipped,
                             p.conflicts, p.sites_total, p.sites_total) THEN
            problems := problems || format('audit_run: status %s entry_point %s scope %s added %s updated %s '
                                           'unchanged %s skipped %s conflicts %s sites_total %s sites_done %s '
                                           '(error %s); expected done audit %s %s %s %s %s %s %s %s',
                                           hist.status, hist.entry_point, hist.scope, hist.added, hist.updated,
                                           hist.unchanged, hist.skipped, hist.conflicts, hist.sites_total,
                                           hist.sites_done, hist.error, lower(p.scope), p.added, p.updated,
                                           p.unchanged, p.skipped, p.conflicts, p.sites_total, p.sites_total);
        END IF;
    END IF;
    n_inv := numaudit_diff.inventory();
    IF n_inv IS DISTINCT FROM p.inv THEN
        problems := problems || ('inventory differs (- oracle, + numaudit):' || E'\n'
                                 || numaudit_diff.diff(p.inv, n_inv));
    END IF;
    touched := ARRAY(SELECT t FROM (SELECT n.hierarchy_id || '/' || n.internal_number AS t
                                      FROM numaudit.number n
                                     WHERE n.updated_at <> '2000-01-01 00:00+00') AS x
                      ORDER BY t COLLATE "C");
    expect_touched := ARRAY(SELECT t FROM (SELECT (x.u).hierarchy_id || '/' || (x.u).internal_number AS t
                                             FROM (SELECT unnest(p.inv) AS u
                                                   EXCEPT SELECT unnest(p.inv_before)) AS x) AS y
                             ORDER BY t COLLATE "C");
    IF touched IS DISTINCT FROM expect_touched THEN
        problems := problems || numaudit_diff.shown(format('updated_at moved on %s, expected on %s',
                                                           touched, expect_touched), 4000);
    END IF;
    IF cardinality(problems) > 0 THEN
        report := format(E'seed %s scenario %s: CALL numaudit.audit(%L, %L, %L), committing (dial plan %s)\n%s',
                         p.seed, p.idx, p.customer, p.scope, p.sites, p.dial, array_to_string(problems, E'\n'));
    END IF;
    INSERT INTO numaudit_diff.result (seed, idx, rounds, features, report)
    VALUES (p.seed, p.idx, 1,
            ARRAY[p.dial || '_' || lower(p.scope),
                  CASE WHEN p.sites IS NULL THEN 'sites_null' WHEN cardinality(p.sites) = 0 THEN 'sites_empty'
                       ELSE 'sites_' || cardinality(p.sites) END],
            report)
    ON CONFLICT ON CONSTRAINT result_pkey DO UPDATE SET features = excluded.features, report = excluded.report;
    DELETE FROM numaudit_diff.pending;
    RETURN report;
END
$fn$;

-- numaudit 0.1.0 -> 0.2.0: explaining numbers (uses, pattern_number), the
-- inventory_summary view, last_run_id, dump/restore of every table, and
-- COMMENTs on every object. CREATE EXTENSION numaudit installs 0.2.0 by
-- running the 0.1.0 script and then this one, so each object is defined once.
\echo Use "ALTER EXTENSION numaudit UPDATE TO '0.2.0'" to load this file. \quit

-- The customer a path or bare name means, with run()'s rules and errors.
CREATE FUNCTION numaudit._customer_id(customer text)
    RETURNS bigint
    LANGUAGE C STABLE CALLED ON NULL INPUT PARALLEL UNSAFE
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'numaudit_customer_id';

-- The same code the audit uses: "\+" is "+", wildcards stand for no number.
CREATE FUNCTION numaudit.pattern_number(pattern text)
    RETURNS text
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'numaudit_pattern_number';

CREATE FUNCTION numaudit.last_run_id()
    RETURNS bigint
    LANGUAGE C VOLATILE PARALLEL RESTRICTED
    AS 'MODULE_PATHNAME', 'numaudit_last_run_id';

-- Dotted path from the root; NULL if the parents loop.
CREATE FUNCTION numaudit._node_path(node bigint)
    RETURNS text
    LANGUAGE sql STABLE STRICT PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
    BEGIN ATOMIC
        WITH RECURSIVE up (id, parent_id, path) AS (
            SELECT h.id, h.parent_id, h.name FROM numaudit.hierarchy h WHERE h.id = $1
            UNION ALL
            SELECT p.id, p.parent_id, p.name || '.' || up.path
              FROM up JOIN numaudit.hierarchy p ON p.id = up.parent_id
        ) CYCLE id SET looped USING route
        SELECT up.path FROM up WHERE up.parent_id IS NULL AND NOT up.looped;
    END;

-- Why is this number Used? Every use of the customer or its sites whose
-- pattern stands for the number (wildcard patterns stand for none).
CREATE FUNCTION numaudit.uses(customer text, internal_number text)
    RETURNS TABLE (kind text, name text, cluster text, "partition" text, pattern text,
                   line_index integer, status text, usage text, owner text, site text)
    LANGUAGE plpgsql STABLE CALLED ON NULL INPUT PARALLEL UNSAFE
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    customer_node bigint;
BEGIN
    IF uses.internal_number IS NULL THEN
        RAISE EXCEPTION 'internal_number must not be NULL'
              USING ERRCODE = 'invalid_parameter_value',
                    HINT = 'Give the number as the inventory holds it (numaudit.number.internal_number).';
    END IF;
    customer_node := numaudit._customer_id(uses.customer);
    -- replace() is a cheap first filter; pattern_number() decides exactly.
    RETURN QUERY
    WITH owner_node AS (
        SELECT c.id, NULL::text AS site FROM numaudit.hierarchy c WHERE c.id = customer_node
        UNION ALL
        SELECT s.id, s.name FROM numaudit.hierarchy s
         WHERE s.parent_id = customer_node AND s.kind = 'site'),
    found AS (
        SELECT d.kind, d.name, d.cluster, l.partition, l.pattern, l.line_index, o.id AS node, o.site
          FROM owner_node o
          JOIN numaudit.device d ON d.hierarchy_id = o.id
          JOIN numaudit.device_line l ON l.device_id = d.id
         WHERE replace(l.pattern, E'\\+', '+') = uses.internal_number
           AND numaudit.pattern_number(l.pattern) = uses.internal_number
        UNION ALL
        SELECT v.kind, v.name, v.cluster, v.partition, v.pattern, NULL, o.id, o.site
          FROM owner_node o
          JOIN numaudit.service v ON v.hierarchy_id = o.id
         WHERE replace(v.pattern, E'\\+', '+') = uses.internal_number
           AND numaudit.pattern_number(v.pattern) = uses.internal_number)
    SELECT f.kind, f.name, f.cluster, f.partition, f.pattern, f.line_index, k.status, k.usage,
           numaudit._node_path(f.node), f.site
      FROM found f JOIN numaudit.usage_kind k ON k.kind = f.kind
     ORDER BY f.site NULLS FIRST, k.rank, f.cluster, f.name, f.line_index, f.pattern, f.partition;
END
$$;

-- For dashboards: per customer (site NULL: every entry of the customer, at
-- customer level and at its sites) and per site, entries by status. Rows
-- are counted as the caller sees them (row-level security applies).
CREATE VIEW numaudit.inventory_summary WITH (security_invoker = true) AS
SELECT g.customer_id, numaudit._node_path(g.customer_id) AS customer, g.site_id, g.site,
       k.total, k.available, k.used, k.used_utility, k.reserved, k.cooling,
       CASE WHEN k.total > 0 THEN round(k.available::numeric / k.total, 4) END AS share_available
  FROM (SELECT c.id AS customer_id, NULL::bigint AS site_id, NULL::text AS site,
               ARRAY(SELECT c.id
                     UNION ALL
                     SELECT s.id FROM numaudit.hierarchy s
                      WHERE s.parent_id = c.id AND s.kind = 'site') AS nodes
          FROM numaudit.hierarchy c
         WHERE c.kind = 'customer'
        UNION ALL
        SELECT c.id, s.id, s.name, ARRAY[s.id]
          FROM numaudit.hierarchy c
          JOIN numaudit.hierarchy s ON s.parent_id = c.id AND s.kind = 'site'
         WHERE c.kind = 'customer') g
 CROSS JOIN LATERAL (
       SELECT count(*) AS total,
              count(*) FILTER (WHERE n.status = 'Available') AS available,
              count(*) FILTER (WHERE n.status = 'Used') AS used,
              count(*) FILTER (WHERE n.status = 'Used-Utility') AS used_utility,
              count(*) FILTER (WHERE n.status = 'Reserved') AS reserved,
              count(*) FILTER (WHERE n.status = 'Cooling') AS cooling
         FROM numaudit.number n
        WHERE n.hierarchy_id = ANY (g.nodes)) k;

--
-- Dump and restore: the tables hold the provider's data, so pg_dump keeps
-- their rows and their identity sequences' positions. Shipped usage kinds
-- are created by CREATE EXTENSION, so only kinds the DBA added are dumped.
--
-- Parents before children (the filter is appended to pg_dump's SELECT), so
-- that a dump made with --inserts restores too: a row's foreign key to its
-- parent is checked at its own INSERT.
SELECT pg_catalog.pg_extension_config_dump('numaudit.hierarchy',
    'ORDER BY (WITH RECURSIVE up (parent_id, depth) AS ('
    'SELECT hierarchy.parent_id, 0 UNION ALL '
    'SELECT p.parent_id, up.depth + 1 FROM numaudit.hierarchy p JOIN up ON p.id = up.parent_id '
    'WHERE up.depth < 1000) SELECT max(up.depth) FROM up), id');
SELECT pg_catalog.pg_extension_config_dump('numaudit.usage_kind',
    'WHERE kind NOT IN (''phone'', ''device_profile'', ''remote_destination_profile'', '
    '''hunt_pilot'', ''pickup_group'', ''call_handler'', ''voicemail_pilot'', ''meet_me'', '
    '''cti_route_point'', ''call_park'', ''directed_call_park'')');
SELECT pg_catalog.pg_extension_config_dump('numaudit.device', '');
SELECT pg_catalog.pg_extension_config_dump('numaudit.device_line', '');
SELECT pg_catalog.pg_extension_config_dump('numaudit.service', '');
SELECT pg_catalog.pg_extension_config_dump('numaudit.number', '');
SELECT pg_catalog.pg_extension_config_dump('numaudit.audit_run', '');
SELECT pg_catalog.pg_extension_config_dump('numaudit.audit_change', '');
SELECT pg_catalog.pg_extension_config_dump('numaudit.hierarchy_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('numaudit.device_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('numaudit.service_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('numaudit.number_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('numaudit.audit_run_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('numaudit.audit_change_id_seq', '');

--
-- Privileges, as for 0.1.0's objects: nothing for PUBLIC; the explaining
-- functions and the view for both roles (they run as the caller).
--
REVOKE EXECUTE ON FUNCTION numaudit._customer_id(text) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION numaudit.pattern_number(text) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION numaudit.last_run_id() FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION numaudit._node_path(bigint) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION numaudit.uses(text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION numaudit._customer_id(text), numaudit.pattern_number(text),
                          numaudit.last_run_id(), numaudit._node_path(bigint),
                          numaudit.uses(text, text)
    TO numaudit_auditor, numaudit_reader;
GRANT SELECT ON numaudit.inventory_summary TO numaudit_auditor, numaudit_reader;

--
-- Comments, so that \d+ and \df+ explain every table, column, view and function.
--
-- numaudit.hierarchy
COMMENT ON TABLE numaudit.hierarchy IS 'The tenant tree: provider > reseller > customer > site, sites directly under their customer. A node''s path is the names from its root down to it joined by dots, e.g. Provider1.ResellerA.Acme.London.';
COMMENT ON COLUMN numaudit.hierarchy.id IS 'Identity of the node; loaders may supply their own ids (then move the sequence past them).';
COMMENT ON COLUMN numaudit.hierarchy.parent_id IS 'The parent node; NULL only for a root.';
COMMENT ON COLUMN numaudit.hierarchy.name IS 'The node''s name, the last part of its path; unique among its siblings, and among roots.';
COMMENT ON COLUMN numaudit.hierarchy.kind IS 'provider, reseller, customer or site.';
COMMENT ON COLUMN numaudit.hierarchy.number_management IS 'On customers: whether numaudit manages the customer''s inventory; when false the audit refuses to run (SQLSTATE 55000). Ignored on other kinds.';
COMMENT ON COLUMN numaudit.hierarchy.dial_plan IS 'On customers: flat (every use anywhere in the customer counts for every entry) or slc (Site Location Code: an entry counts only the uses of the site that holds it; audits by scope site only). Ignored on other kinds.';
COMMENT ON COLUMN numaudit.hierarchy.site_location_code IS 'On sites of an slc customer: the site''s Site Location Code; NULL when none. The audit does not read it.';

-- numaudit.usage_kind
COMMENT ON TABLE numaudit.usage_kind IS 'What a use of a number means: for each kind of device or service, the status and the Usage token its uses give their number. CREATE EXTENSION recreates the eleven shipped kinds and pg_dump keeps only the kinds a DBA added, so to change a shipped kind add a new kind (and use it) rather than editing the shipped row.';
COMMENT ON COLUMN numaudit.usage_kind.kind IS 'The kind''s name (phone, hunt_pilot, ...), referenced by device.kind and service.kind.';
COMMENT ON COLUMN numaudit.usage_kind.status IS 'The status a use of this kind gives its number: Used or Used-Utility. A number with uses of both is Used.';
COMMENT ON COLUMN numaudit.usage_kind.usage IS 'The Usage token a use of this kind writes into the inventory, e.g. Device or Hunt_Pilot; not empty, no comma.';
COMMENT ON COLUMN numaudit.usage_kind.rank IS 'Order of this kind''s token in a joined Usage value: tokens are joined by commas in ascending rank (Device,Hunt_Pilot).';

-- numaudit.device
COMMENT ON TABLE numaudit.device IS 'Devices configured in the call-control clusters (phones, device profiles, remote destination profiles, ...); each of their lines is a use of a number. A device of the same kind and name in two clusters is reported as a conflict.';
COMMENT ON COLUMN numaudit.device.id IS 'Identity of the device.';
COMMENT ON COLUMN numaudit.device.hierarchy_id IS 'The site or customer that owns the device.';
COMMENT ON COLUMN numaudit.device.cluster IS 'The call-control cluster the device is configured in.';
COMMENT ON COLUMN numaudit.device.kind IS 'The device''s usage kind (phone, device_profile, remote_destination_profile, ...), which gives the status and Usage of its lines'' numbers.';
COMMENT ON COLUMN numaudit.device.name IS 'The device''s name, unique per cluster and kind; a phone''s name is SEP followed by its MAC.';

-- numaudit.device_line
COMMENT ON TABLE numaudit.device_line IS 'The lines of the devices: each line is a use of the number its pattern stands for. Deleted with their device.';
COMMENT ON COLUMN numaudit.device_line.device_id IS 'The device the line belongs to.';
COMMENT ON COLUMN numaudit.device_line.line_index IS 'The line''s index on its device, unique per device; conflict details name it as line N.';
COMMENT ON COLUMN numaudit.device_line.pattern IS 'The directory number; \+ stands for +. A wildcard pattern (X [ ] ! . @ anywhere, * after the first character) is no single number: the audit reports it skipped and it counts for nothing.';
COMMENT ON COLUMN numaudit.device_line.partition IS 'The line''s partition; empty when none. The audit ignores it: the same number in two partitions is one number.';

-- numaudit.service
COMMENT ON TABLE numaudit.service IS 'Utility services configured in the call-control clusters (hunt pilots, pickup groups, call handlers, voicemail pilots, meet-me numbers, CTI route points, call parks, ...): each is a use of the number its pattern stands for.';
COMMENT ON COLUMN numaudit.service.id IS 'Identity of the service.';
COMMENT ON COLUMN numaudit.service.hierarchy_id IS 'The site or customer that owns the service.';
COMMENT ON COLUMN numaudit.service.cluster IS 'The call-control cluster the service is configured in.';
COMMENT ON COLUMN numaudit.service.kind IS 'The service''s usage kind (hunt_pilot, call_park, voicemail_pilot, ...), which gives the status and Usage of its number.';
COMMENT ON COLUMN numaudit.service.name IS 'The service''s name, as result details name it.';
COMMENT ON COLUMN numaudit.service.pattern IS 'The number; \+ stands for +. A wildcard pattern (X [ ] ! . @ anywhere, * after the first character) is no single number: the audit reports it skipped and it counts for nothing.';
COMMENT ON COLUMN numaudit.service.partition IS 'The service''s partition; empty when none. The audit ignores it: the same number in two partitions is one number.';

-- numaudit.number
COMMENT ON TABLE numaudit.number IS 'The inventory: one entry per internal number held by a customer or one of its sites. An audit adds missing entries and changes only status, usage and updated_at; it never deletes an entry.';
COMMENT ON COLUMN numaudit.number.id IS 'Identity of the entry; loaders may supply their own ids (the audit moves the sequence past them before it adds entries).';
COMMENT ON COLUMN numaudit.number.hierarchy_id IS 'The customer or site that holds the entry.';
COMMENT ON COLUMN numaudit.number.internal_number IS 'The number, unique per holder; a use''s pattern \+123 stands for the number +123.';
COMMENT ON COLUMN numaudit.number.status IS 'Available (nothing uses it), Used (some use is of a Used kind, e.g. a device), Used-Utility (only utility services use it), Reserved or Cooling. The audit never changes a Reserved or Cooling entry.';
COMMENT ON COLUMN numaudit.number.usage IS 'The Usage: NULL means blank, else tokens joined by commas. The audit sets the distinct tokens of the number''s uses in usage_kind rank order (Device,Hunt_Pilot).';
COMMENT ON COLUMN numaudit.number.description IS 'Free text; the audit never changes it.';
COMMENT ON COLUMN numaudit.number.updated_at IS 'Set to now(), the transaction''s start, whenever an audit changes the entry; defaults to now() when the entry is added.';

-- numaudit.audit_run
COMMENT ON TABLE numaudit.audit_run IS 'History: one row per audit that writes (numaudit.run without dry_run, CALL numaudit.audit), with its progress and counts; a numaudit.run that fails is rolled back and leaves none. When a run finishes, a NOTIFY on channel numaudit carries the row as JSON, delivered when that transaction commits (setting numaudit.notify, default on).';
COMMENT ON COLUMN numaudit.audit_run.id IS 'The run id, as in the NOTICE summary of CALL numaudit.audit.';
COMMENT ON COLUMN numaudit.audit_run.customer IS 'The audited customer''s path.';
COMMENT ON COLUMN numaudit.audit_run.scope IS 'customer or site.';
COMMENT ON COLUMN numaudit.audit_run.sites IS 'The site names given with scope site; NULL when all sites.';
COMMENT ON COLUMN numaudit.audit_run.started_at IS 'When the run started (clock time).';
COMMENT ON COLUMN numaudit.audit_run.finished_at IS 'When the run ended, done or failed; NULL while running.';
COMMENT ON COLUMN numaudit.audit_run.run_by IS 'The role that ran the audit (the caller''s current_user).';
COMMENT ON COLUMN numaudit.audit_run.status IS 'running (CALL numaudit.audit at work), done or failed. A running row whose session ended is marked failed by the next CALL numaudit.audit.';
COMMENT ON COLUMN numaudit.audit_run.error IS 'When failed: the error message with its SQLSTATE, prefixed with site <name>: when a site failed; NULL otherwise.';
COMMENT ON COLUMN numaudit.audit_run.sites_total IS 'Sites the run covers: the customer''s site count for scope customer, the number of selected sites for scope site.';
COMMENT ON COLUMN numaudit.audit_run.sites_done IS 'Sites audited and committed so far; CALL numaudit.audit raises it as it goes.';
COMMENT ON COLUMN numaudit.audit_run.added IS 'Entries added.';
COMMENT ON COLUMN numaudit.audit_run.updated IS 'Entries whose status or usage was changed.';
COMMENT ON COLUMN numaudit.audit_run.unchanged IS 'Audited entries left as they were, including those of numbers in a conflict and unused Reserved or Cooling ones; not reported as rows.';
COMMENT ON COLUMN numaudit.audit_run.skipped IS 'Rows reported skipped: Reserved or Cooling entries in use, numbers held at customer level, wildcard patterns.';
COMMENT ON COLUMN numaudit.audit_run.conflicts IS 'Conflicts reported: devices configured in more than one cluster, numbers used in more than one cluster.';
COMMENT ON COLUMN numaudit.audit_run.customer_id IS 'The audited customer''s id in numaudit.hierarchy (not a foreign key).';
COMMENT ON COLUMN numaudit.audit_run.entry_point IS 'How the audit was run: run (numaudit.run) or audit (CALL numaudit.audit).';
COMMENT ON COLUMN numaudit.audit_run.current_site IS 'The site CALL numaudit.audit is working on, kept when it fails there; NULL otherwise and for numaudit.run.';

-- numaudit.audit_change
COMMENT ON TABLE numaudit.audit_change IS 'History: one row per result row a run reported (added, updated, skipped, conflict), with the columns of numaudit.run''s result. Deleting a run deletes its change rows.';
COMMENT ON COLUMN numaudit.audit_change.id IS 'Identity of the change row.';
COMMENT ON COLUMN numaudit.audit_change.run_id IS 'The numaudit.audit_run row of the run that reported it.';
COMMENT ON COLUMN numaudit.audit_change.hierarchy IS 'Path of the node holding the entry; for a wildcard pattern the owner of the use, for a conflict the customer (flat) or the site (slc).';
COMMENT ON COLUMN numaudit.audit_change.site IS 'That node''s site name; NULL at customer level.';
COMMENT ON COLUMN numaudit.audit_change.internal_number IS 'The number; the pattern for a wildcard skip (\+ read as +), NULL for a duplicate-device conflict.';
COMMENT ON COLUMN numaudit.audit_change.action IS 'added, updated, skipped or conflict.';
COMMENT ON COLUMN numaudit.audit_change.old_status IS 'The entry''s status before the audit (updated, or skipped as Reserved or Cooling); NULL otherwise.';
COMMENT ON COLUMN numaudit.audit_change.old_usage IS 'The entry''s usage before the audit (updated, or skipped as Reserved or Cooling); NULL when blank or not applicable.';
COMMENT ON COLUMN numaudit.audit_change.new_status IS 'The status the audit set (added, updated); NULL otherwise.';
COMMENT ON COLUMN numaudit.audit_change.new_usage IS 'The usage the audit set (added, updated); NULL when blank or not applicable.';
COMMENT ON COLUMN numaudit.audit_change.detail IS 'Why: for skipped the status (Reserved or Cooling), held at customer level, or wildcard pattern: with the objects; for conflict the clusters and objects involved; NULL for added and updated.';

-- Entry points
COMMENT ON FUNCTION numaudit.run(text, text, text[], boolean, boolean) IS 'Audits a customer (scope customer, flat dial plan) or some or all of its sites (scope site) in the caller''s transaction, and returns one row per entry added or updated, per number skipped and per conflict. dry_run writes nothing and leaves no history; nowait fails with 55P03 instead of waiting for another audit; a run that writes leaves an audit_run row and a NOTIFY on channel numaudit.';
COMMENT ON PROCEDURE numaudit.audit(text, text, text[]) IS 'The audit of numaudit.run as a procedure for pg_cron and applications: commits after each site, keeps its audit_run row current for watchers, and ends with a one-line NOTICE summary and a NOTIFY on channel numaudit. Call it as a lone statement outside a transaction block, else it cannot commit per site.';

-- Internal helpers
COMMENT ON FUNCTION numaudit._audit_start(text, text, text[]) IS 'Internal step of CALL numaudit.audit, not part of the contract: checks and resolves the arguments, records the run (status running) and returns its id and units of work.';
COMMENT ON FUNCTION numaudit._audit_step(bigint, bigint) IS 'Internal step of CALL numaudit.audit, not part of the contract: audits one unit of work of a run (a site, or the customer) and adds its counts to the run.';
COMMENT ON FUNCTION numaudit._audit_mark(bigint, bigint) IS 'Internal step of CALL numaudit.audit, not part of the contract: records in audit_run.current_site the site a run works on next.';
COMMENT ON FUNCTION numaudit._audit_finish(bigint, bigint, text) IS 'Internal step of CALL numaudit.audit, not part of the contract: marks a run done, or failed with the error, and returns its one-line summary.';
COMMENT ON FUNCTION numaudit._sync_number_ids() IS 'Internal step of numaudit.run and CALL numaudit.audit, not part of the contract: moves the identity sequence of numaudit.number past every id in use, as the extension''s owner; returns its new position, NULL when it was already past.';

-- Objects new in 0.2.0

COMMENT ON FUNCTION numaudit.uses(text, text) IS 'Every use (device line or service) of the customer (path or bare name, as for run) or of its sites whose pattern stands for the given number: why the number is Used. owner is the path of the node owning the device or service, site its site name (NULL when owned by the customer itself); line_index is NULL for services; status and usage are what the use''s usage kind contributes.';
COMMENT ON FUNCTION numaudit.pattern_number(text) IS 'The number a directory-number pattern stands for (\+ becomes +), as the audit reads device_line.pattern and service.pattern. NULL for a wildcard pattern (X [ ] ! . @ anywhere, * after the first character).';
COMMENT ON FUNCTION numaudit.last_run_id() IS 'The id of the audit_run row created by this session''s latest numaudit.run (not a dry run) or CALL numaudit.audit, like lastval(); NULL if none. The row is not there if that transaction rolled back.';
COMMENT ON FUNCTION numaudit._customer_id(text) IS 'Internal helper, not part of the contract: the hierarchy id of a customer given by path or bare name, with the same rules and errors as numaudit.run.';
COMMENT ON FUNCTION numaudit._node_path(bigint) IS 'Internal helper, not part of the contract: the dotted path of a hierarchy node (Provider.Reseller.Customer.Site).';

COMMENT ON VIEW numaudit.inventory_summary IS 'Inventory entries counted by status: per customer one row with site NULL counting every entry of the customer (held at the customer and at its sites), and one row per site counting the entries held at that site. security_invoker: the reader''s privileges and row-level security policies apply.';
COMMENT ON COLUMN numaudit.inventory_summary.customer_id IS 'The customer''s id in numaudit.hierarchy.';
COMMENT ON COLUMN numaudit.inventory_summary.customer IS 'The customer''s path.';
COMMENT ON COLUMN numaudit.inventory_summary.site_id IS 'The site''s id in numaudit.hierarchy; NULL on the customer''s row.';
COMMENT ON COLUMN numaudit.inventory_summary.site IS 'The site''s name; NULL on the customer''s row, which counts all of the customer''s entries.';
COMMENT ON COLUMN numaudit.inventory_summary.total IS 'Entries counted.';
COMMENT ON COLUMN numaudit.inventory_summary.available IS 'Entries with status Available.';
COMMENT ON COLUMN numaudit.inventory_summary.used IS 'Entries with status Used.';
COMMENT ON COLUMN numaudit.inventory_summary.used_utility IS 'Entries with status Used-Utility.';
COMMENT ON COLUMN numaudit.inventory_summary.reserved IS 'Entries with status Reserved.';
COMMENT ON COLUMN numaudit.inventory_summary.cooling IS 'Entries with status Cooling.';
COMMENT ON COLUMN numaudit.inventory_summary.share_available IS 'available / total, a fraction between 0 and 1; NULL when total is 0.';

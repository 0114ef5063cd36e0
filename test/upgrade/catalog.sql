-- Everything CREATE EXTENSION numaudit puts in the catalog, one sorted line
-- per fact, with no OIDs: two databases whose outputs are equal have the
-- same extension (objects, definitions, privileges, comments, dump marks).
\pset format unaligned
\pset tuples_only on
WITH ext AS (SELECT * FROM pg_extension WHERE extname = 'numaudit'),
rel AS (
    SELECT c.oid, c.relname, c.relkind, c.reloptions, c.relacl FROM pg_class c
     WHERE c.relnamespace = 'numaudit'::regnamespace),
facts (fact) AS (
    SELECT format('extension %s schema %s relocatable %s', e.extversion,
                  e.extnamespace::regnamespace, e.extrelocatable) FROM ext e
    UNION ALL
    SELECT format('dumped %s %s', c.oid::regclass, e.cond)
      FROM ext x, unnest(x.extconfig, x.extcondition) AS e (oid, cond) JOIN pg_class c ON c.oid = e.oid
    UNION ALL
    SELECT format('member %s', pg_describe_object(d.classid, d.objid, d.objsubid))
      FROM pg_depend d, ext x
     WHERE d.refclassid = 'pg_extension'::regclass AND d.refobjid = x.oid AND d.deptype = 'e'
    UNION ALL
    SELECT format('schema acl %s', (SELECT array_agg(a ORDER BY a::text) FROM unnest(n.nspacl) a))
      FROM pg_namespace n WHERE n.nspname = 'numaudit'
    UNION ALL
    SELECT format('relation %s kind %s options %s acl %s comment %s', r.oid::regclass, r.relkind,
                  r.reloptions, (SELECT array_agg(a ORDER BY a::text) FROM unnest(r.relacl) a),
                  obj_description(r.oid, 'pg_class'))
      FROM rel r
    UNION ALL
    -- Columns by their position among the live ones (what \d shows).
    SELECT format('column %s #%s %s %s notnull %s default %s identity %s acl %s comment %s',
                  a.attrelid::regclass, row_number() OVER (PARTITION BY a.attrelid ORDER BY a.attnum),
                  a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull,
                  pg_get_expr(ad.adbin, ad.adrelid), a.attidentity,
                  (SELECT array_agg(x ORDER BY x::text) FROM unnest(a.attacl) x),
                  col_description(a.attrelid, a.attnum))
      FROM rel r JOIN pg_attribute a ON a.attrelid = r.oid AND a.attnum > 0 AND NOT a.attisdropped
      LEFT JOIN pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum
    UNION ALL
    SELECT format('constraint %s %s %s', c.conrelid::regclass, c.conname, pg_get_constraintdef(c.oid))
      FROM pg_constraint c WHERE c.connamespace = 'numaudit'::regnamespace
    UNION ALL
    SELECT format('index %s', pg_get_indexdef(i.indexrelid))
      FROM pg_index i JOIN rel r ON r.oid = i.indrelid
    UNION ALL
    SELECT format('view %s %s', r.oid::regclass, pg_get_viewdef(r.oid)) FROM rel r WHERE r.relkind = 'v'
    UNION ALL
    SELECT format('sequence %s %s %s %s %s %s %s', s.seqrelid::regclass, format_type(s.seqtypid, NULL),
                  s.seqstart, s.seqincrement, s.seqmax, s.seqmin, s.seqcycle)
      FROM pg_sequence s JOIN rel r ON r.oid = s.seqrelid
    UNION ALL
    SELECT format('trigger %s %s', t.tgrelid::regclass, pg_get_triggerdef(t.oid))
      FROM pg_trigger t JOIN rel r ON r.oid = t.tgrelid WHERE NOT t.tgisinternal
    UNION ALL
    SELECT format('policy %s %s', p.polrelid::regclass, p.polname) FROM pg_policy p JOIN rel r ON r.oid = p.polrelid
    UNION ALL
    SELECT format('routine %s acl %s comment %s definition %s', p.oid::regprocedure,
                  (SELECT array_agg(a ORDER BY a::text) FROM unnest(p.proacl) a),
                  obj_description(p.oid, 'pg_proc'), pg_get_functiondef(p.oid))
      FROM pg_proc p WHERE p.pronamespace = 'numaudit'::regnamespace
    UNION ALL
    SELECT format('initial privileges %s %s %s', pg_describe_object(i.classoid, i.objoid, i.objsubid),
                  i.privtype, (SELECT array_agg(a ORDER BY a::text) FROM unnest(i.initprivs) a))
      FROM pg_init_privs i, ext x, pg_depend d
     WHERE d.refclassid = 'pg_extension'::regclass AND d.refobjid = x.oid AND d.deptype = 'e'
       AND d.classid = i.classoid AND d.objid = i.objoid
    UNION ALL
    SELECT format('usage kind %s %s %s %s', k.kind, k.status, k.usage, k.rank) FROM numaudit.usage_kind k
)
SELECT fact FROM facts ORDER BY fact COLLATE "C";

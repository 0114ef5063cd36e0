-- CALL numaudit.audit as pg_cron runs it: a lone statement in autocommit, so
-- it commits after every site. No error is expected.
\set c random(1, 3)
\set s random(0, 3)
CALL numaudit.audit(soak.path(:c), soak.call_scope(:c, :s), soak.call_sites(:c, :s));

-- numaudit.run as a statement of its own, as an application calls it: no
-- error is expected (an error aborts this pgbench client and fails the soak).
\set c random(1, 3)
SELECT count(*) FROM numaudit.run(soak.path(:c), 'site', soak.random_sites(:c));

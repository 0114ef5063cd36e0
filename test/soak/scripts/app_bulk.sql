-- Provisioning: relabel every entry of a node in one statement (SOAK_BULK=1).
\set c random(1, 3)
SELECT soak.app('app_bulk_describe', :c);

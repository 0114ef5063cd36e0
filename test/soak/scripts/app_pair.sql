-- Provisioning (SOAK_BULK=1): one application transaction that changes two
-- entries of a node, one statement each, in random order (a number moved from
-- one user to another, say). Row locks held across statements.
\set c random(1, 3)
SELECT coalesce(soak.random_entry(:c), 0) AS x, coalesce(soak.random_entry(:c), 0) AS y \gset
BEGIN;
WITH u AS (UPDATE numaudit.number SET description = 'pair ' || txid_current() WHERE id = :x
           RETURNING id, hierarchy_id, internal_number, description)
INSERT INTO soak.app_entries SELECT u.*, NULL FROM u
ON CONFLICT (number_id) DO UPDATE SET description = excluded.description;
WITH u AS (UPDATE numaudit.number SET description = 'pair ' || txid_current() WHERE id = :y
           RETURNING id, hierarchy_id, internal_number, description)
INSERT INTO soak.app_entries SELECT u.*, NULL FROM u
ON CONFLICT (number_id) DO UPDATE SET description = excluded.description;
COMMIT;

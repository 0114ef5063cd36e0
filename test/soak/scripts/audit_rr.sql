-- An audit in a REPEATABLE READ transaction: 40001 when it had to wait for
-- another audit, or found an entry changed since its snapshot.
\set c random(1, 3)
BEGIN ISOLATION LEVEL REPEATABLE READ;
SELECT soak.audit('rr', :c);
COMMIT;

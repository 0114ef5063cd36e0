-- Provisioning: a utility service moves to another number.
\set c random(1, 3)
SELECT soak.app('app_move_service', :c);

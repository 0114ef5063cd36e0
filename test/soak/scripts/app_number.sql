-- Provisioning: inventory entries (add with a random status, change the
-- status, change the description, delete).
\set c random(1, 3)
\set op random(1, 4)
SELECT soak.app((ARRAY['app_add_number', 'app_set_status', 'app_describe', 'app_del_number'])[:op], :c);

-- Provisioning: phones and their lines.
\set c random(1, 3)
\set op random(1, 4)
SELECT soak.app((ARRAY['app_add_phone', 'app_del_phone', 'app_add_line', 'app_del_line'])[:op], :c);

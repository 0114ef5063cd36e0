-- A dry run, scope customer or site.
\set c random(1, 3)
SELECT soak.audit('dry', :c);

-- A site-scope audit of random overlapping sites of a random customer.
\set c random(1, 3)
SELECT soak.audit('site', :c);

-- A customer-scope audit of a flat customer.
\set c random(1, 2)
SELECT soak.audit('customer', :c);

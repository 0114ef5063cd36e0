-- An audit with nowait => true: 55P03 when another audit holds a lock it needs.
\set c random(1, 3)
SELECT soak.audit('nowait', :c);

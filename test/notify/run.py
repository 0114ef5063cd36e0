#!/usr/bin/python3
"""NOTIFY numaudit, against the running test cluster (PGHOST/PGPORT/PGUSER).

A listener hears of every run that is recorded, once, when it commits, with
the audit_run row as its JSON payload; it hears nothing of dry runs, of
rolled-back runs, or when numaudit.notify is off (which lets a run be part of
a prepared transaction). A failed CALL is announced as failed. A payload that
would pass NOTIFY's 8000-byte limit is cut short and says so. A sweep of
CALL numaudit.audit_all is announced once on channel numaudit_sweep when it is
done, with its sweep_status row.

Runs with Debian's python3 and python3-psycopg2.
"""
import json
import select
import sys
import time

import psycopg2

DB = "numaudit_notify"
failures = 0


def check(what, ok, got=None):
    global failures
    if ok:
        print(f"ok:   {what}")
    else:
        failures += 1
        print(f"FAIL: {what}" + (f" (got {got!r})" if got is not None else ""))


def connect(dbname):
    conn = psycopg2.connect(dbname=dbname)
    conn.autocommit = True
    return conn


def notifications(conn, expect=0):
    """The notifications delivered to conn: waits until `expect` have come
    (at most 10 s), or, expecting none, 0.5 s for any that should not."""
    deadline = time.monotonic() + (10 if expect else 0.5)
    got = []
    while True:
        conn.poll()
        got.extend(conn.notifies)
        conn.notifies.clear()
        left = deadline - time.monotonic()
        if left <= 0 or (expect and len(got) >= expect):
            break
        select.select([conn], [], [], left)
    if expect:  # anything extra that arrives just after
        time.sleep(0.2)
        conn.poll()
        got.extend(conn.notifies)
        conn.notifies.clear()
    return got


def run_row(cur, run_id):
    cur.execute("""SELECT id, customer, scope, sites, entry_point, status, run_by, sites_total,
                          sites_done, added, updated, unchanged, skipped, conflicts, error,
                          to_json(started_at)::text, to_json(finished_at)::text
                     FROM numaudit.audit_run WHERE id = %s""", (run_id,))
    return cur.fetchone()


def matches_row(payload, row):
    keys = ["run_id", "customer", "scope", "sites", "entry_point", "status", "run_by",
            "sites_total", "sites_done", "added", "updated", "unchanged", "skipped",
            "conflicts", "error"]
    same = [payload[k] for k in keys] == list(row[:15])
    times = [json.dumps(payload["started_at"]), json.dumps(payload["finished_at"])] == list(row[15:])
    return same and times


admin = connect("postgres")
admin.cursor().execute(f"DROP DATABASE IF EXISTS {DB}")
admin.cursor().execute(f"CREATE DATABASE {DB}")
app = connect(DB)        # runs audits
listener = connect(DB)   # another session, listening
cur = app.cursor()
cur.execute("CREATE EXTENSION numaudit")
cur.execute("""
INSERT INTO numaudit.hierarchy (id, parent_id, name, kind) VALUES
    (1, NULL, 'P', 'provider'), (2, 1, 'R', 'reseller'), (3, 2, 'Acme', 'customer'),
    (4, 3, 'London', 'site'), (5, 3, 'Paris', 'site');
INSERT INTO numaudit.device (id, hierarchy_id, cluster, kind, name) VALUES
    (1, 4, 'CL1', 'phone', 'SEP1'), (2, 5, 'CL1', 'phone', 'SEP2');
INSERT INTO numaudit.device_line (device_id, line_index, pattern) VALUES (1, 1, '1001'), (2, 1, '2001');
INSERT INTO numaudit.number (hierarchy_id, internal_number) VALUES (4, '1001'), (5, '2001');
""")
listener.cursor().execute("LISTEN numaudit")

# run(), committed: one notification, after the commit, equal to the row.
app.autocommit = False
cur.execute("SELECT count(*) FROM numaudit.run('Acme', 'customer')")
check("no notification before the commit", notifications(listener) == [])
app.commit()
got = notifications(listener, 1)
check("one notification for a committed run()", len(got) == 1, len(got))
if got:
    payload = json.loads(got[0].payload)
    check("channel is numaudit", got[0].channel == "numaudit", got[0].channel)
    check("sent by the session that ran it", got[0].pid == app.get_backend_pid(), got[0].pid)
    check("payload is the audit_run row",
          matches_row(payload, run_row(cur, payload["run_id"])), payload)
    check("payload counts", (payload["status"], payload["entry_point"], payload["updated"],
                             payload["sites_done"]) == ("done", "run", 2, 2), payload)
    app.commit()

# dry run and rolled-back run: nothing.
cur.execute("SELECT count(*) FROM numaudit.run('Acme', 'customer', dry_run => true)")
app.commit()
check("dry run: no notification", notifications(listener) == [])
cur.execute("UPDATE numaudit.number SET status = 'Available' WHERE internal_number = '1001'")
cur.execute("SELECT count(*) FROM numaudit.run('Acme', 'site')")
app.rollback()
check("rolled-back run: no notification", notifications(listener) == [])

# With notify on, a run cannot be part of a prepared transaction (PostgreSQL
# refuses to prepare one that sent NOTIFY); numaudit.notify = off allows it.
cur.execute("UPDATE numaudit.number SET status = 'Available' WHERE internal_number = '1001'")
cur.execute("SELECT count(*) FROM numaudit.run('Acme', 'site')")
try:
    cur.execute("PREPARE TRANSACTION 'numaudit_notify_on'")
    check("notify on: PREPARE TRANSACTION refused", False)
except psycopg2.Error as e:
    check("notify on: PREPARE TRANSACTION refused (0A000)", e.pgcode == "0A000", e.pgcode)
app.rollback()
check("refused prepare: no notification", notifications(listener) == [])

# numaudit.notify = off: nothing, and the run can be prepared (2PC).
cur.execute("SET numaudit.notify = off")
cur.execute("UPDATE numaudit.number SET status = 'Available' WHERE internal_number = '1001'")
cur.execute("SELECT count(*) FROM numaudit.run('Acme', 'site')")
cur.execute("PREPARE TRANSACTION 'numaudit_notify_off'")
cur.execute("COMMIT PREPARED 'numaudit_notify_off'")
check("notify off: no notification, and the run was prepared and committed",
      notifications(listener) == [])
cur.execute("RESET numaudit.notify")
app.commit()
app.autocommit = True

# CALL audit: one notification at the end, done.
cur.execute("UPDATE numaudit.number SET status = 'Available'")
cur.execute("CALL numaudit.audit('Acme', 'site')")
got = notifications(listener, 1)
check("one notification for CALL audit", len(got) == 1, len(got))
if got:
    payload = json.loads(got[0].payload)
    check("CALL payload is its row", matches_row(payload, run_row(cur, payload["run_id"])), payload)
    check("CALL payload: done, 2 of 2 sites", (payload["status"], payload["entry_point"],
          payload["sites_done"], payload["sites_total"]) == ("done", "audit", 2, 2), payload)
    cur.execute("SELECT numaudit.last_run_id()")
    check("last_run_id() is the announced run", cur.fetchone()[0] == payload["run_id"])

# A CALL that fails at its second site: announced as failed, with the error.
cur.execute("""CREATE FUNCTION public.refuse() RETURNS trigger LANGUAGE plpgsql AS $$
               BEGIN RAISE EXCEPTION 'refused by test' USING ERRCODE = 'P0001'; END $$""")
cur.execute("""CREATE TRIGGER refuse BEFORE UPDATE ON numaudit.number FOR EACH ROW
               WHEN (OLD.hierarchy_id = 5) EXECUTE FUNCTION public.refuse()""")
cur.execute("UPDATE numaudit.number SET status = 'Available' WHERE hierarchy_id = 4")
cur.execute("ALTER TABLE numaudit.number DISABLE TRIGGER refuse")
cur.execute("UPDATE numaudit.number SET status = 'Available' WHERE hierarchy_id = 5")
cur.execute("ALTER TABLE numaudit.number ENABLE TRIGGER refuse")
try:
    cur.execute("CALL numaudit.audit('Acme', 'site')")
    check("the CALL fails", False)
except psycopg2.Error as e:
    check("the CALL fails with the trigger's error", e.pgcode == "P0001", e.pgcode)
got = notifications(listener, 1)
check("one notification for the failed CALL", len(got) == 1, len(got))
if got:
    payload = json.loads(got[0].payload)
    check("failed CALL payload", (payload["status"], payload["sites_done"]) == ("failed", 1)
          and "refused by test" in (payload["error"] or ""), payload)
    check("failed CALL payload is its row", matches_row(payload, run_row(cur, payload["run_id"])))
cur.execute("DROP TRIGGER refuse ON numaudit.number")

# A customer path of 10,000 characters: the payload is cut short, still JSON.
long_name = "Ä" * 5000 + "x" * 5000
cur.execute("INSERT INTO numaudit.hierarchy (id, parent_id, name, kind) VALUES (9, 2, %s, 'customer')",
            (long_name,))
cur.execute("SELECT count(*) FROM numaudit.run(%s, 'customer')", ("P.R." + long_name,))
got = notifications(listener, 1)
check("one notification for a run with a huge name", len(got) == 1, len(got))
if got:
    raw = got[0].payload
    payload = json.loads(raw)
    check("payload under 8000 bytes", len(raw.encode()) < 8000, len(raw.encode()))
    check("truncated payload says so and keeps the counts, without the sites",
          payload.get("truncated") is True and payload["customer"] == ("P.R." + long_name)[:500]
          and payload["status"] == "done" and payload["run_id"] is not None
          and "sites" not in payload, payload)

# The worst case for escaping: control characters (\u0001, 6 bytes each in
# JSON) in both the customer's name and the error of a failed CALL.
ctl = "\x01" * 9000
cur.execute("""
INSERT INTO numaudit.hierarchy (id, parent_id, name, kind) VALUES (11, 2, %s, 'customer'), (12, 11, 'S', 'site');
INSERT INTO numaudit.device (id, hierarchy_id, cluster, kind, name) VALUES (9, 12, 'CL1', 'phone', 'SEP9');
INSERT INTO numaudit.device_line (device_id, line_index, pattern) VALUES (9, 1, '7777');
INSERT INTO numaudit.number (hierarchy_id, internal_number) VALUES (12, '7777');
CREATE FUNCTION public.refuse_ctl() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN RAISE EXCEPTION '%%', repeat(chr(1), 9000); END $$;
CREATE TRIGGER refuse_ctl BEFORE UPDATE ON numaudit.number FOR EACH ROW
    WHEN (OLD.hierarchy_id = 12) EXECUTE FUNCTION public.refuse_ctl();
""", (ctl,))
try:
    cur.execute("CALL numaudit.audit(%s, 'site')", ("P.R." + ctl,))
    check("the CALL of the control-character customer fails", False)
except psycopg2.Error as e:
    check("the CALL of the control-character customer fails (P0001)", e.pgcode == "P0001", e.pgcode)
got = notifications(listener, 1)
check("one notification for it", len(got) == 1, len(got))
if got:
    raw = got[0].payload
    payload = json.loads(raw)
    check("escaped payload under 8000 bytes, valid JSON, truncated, failed",
          len(raw.encode()) < 8000 and payload.get("truncated") is True
          and payload["status"] == "failed" and len(payload["error"]) == 500
          and len(payload["customer"]) == 500, len(raw.encode()))
cur.execute("DROP TRIGGER refuse_ctl ON numaudit.number")

# A run abandoned by its session (no run lock) is marked failed by the next
# CALL, and announced then.
cur.execute("""INSERT INTO numaudit.audit_run (customer, scope, entry_point, customer_id)
               VALUES ('P.R.Acme', 'site', 'audit', 3) RETURNING id""")
abandoned = cur.fetchone()[0]
cur.execute("CALL numaudit.audit('Acme', 'site')")
got = notifications(listener, 2)
runs = {json.loads(n.payload)["run_id"]: json.loads(n.payload) for n in got}
check("the abandoned run is announced as failed, and the new one as done",
      len(got) == 2 and runs.get(abandoned, {}).get("status") == "failed"
      and "interrupted" in (runs.get(abandoned, {}).get("error") or "")
      and [r["status"] for i, r in runs.items() if i != abandoned] == ["done"], got)

# Without pg_notify()'s EXECUTE privilege (a DBA may revoke it from PUBLIC),
# an auditor's run is still announced: numaudit does not call pg_notify().
cur.execute("REVOKE EXECUTE ON FUNCTION pg_notify(text, text) FROM PUBLIC")
cur.execute("DROP ROLE IF EXISTS numaudit_notify_test")
cur.execute("CREATE ROLE numaudit_notify_test IN ROLE numaudit_auditor")
cur.execute("SET ROLE numaudit_notify_test")
cur.execute("SELECT count(*) FROM numaudit.run('Acme', 'customer')")
cur.execute("RESET ROLE")
got = notifications(listener, 1)
check("pg_notify revoked: the auditor's run is announced", len(got) == 1
      and json.loads(got[0].payload)["run_by"] == "numaudit_notify_test", got)
cur.execute("GRANT EXECUTE ON FUNCTION pg_notify(text, text) TO PUBLIC")

# CALL numaudit.audit_all: one NOTIFY numaudit_sweep when the sweep is done,
# sent by the session that closes it, with the sweep's sweep_status row; none
# while it is open (stopped at max_duration); the runs are announced as ever.
cur.execute("""
INSERT INTO numaudit.hierarchy (id, parent_id, name, kind) VALUES
    (900, NULL, 'Q', 'provider'), (901, 900, 'QR', 'reseller'),
    (910, 901, 'Q1', 'customer'), (911, 910, 'Q1S', 'site'),
    (920, 901, 'Q2', 'customer'), (921, 920, 'Q2S', 'site');
INSERT INTO numaudit.number (hierarchy_id, internal_number) VALUES (911, '9101'), (921, '9201');
""")
listener.cursor().execute("LISTEN numaudit_sweep")
notifications(listener)  # nothing pending
cur.execute("CALL numaudit.audit_all('Q', max_duration => '1 microsecond')")
got = notifications(listener)
check("a sweep stopped at max_duration (still open): no NOTIFY", got == [], got)
cur.execute("CALL numaudit.audit_all('Q')")
got = notifications(listener, 3)
sweeps = [n for n in got if n.channel == "numaudit_sweep"]
runs = [n for n in got if n.channel == "numaudit"]
cur.execute("""SELECT sweep_id, under, status, customers, done, failed, busy, skipped, running,
                      left_to_do, to_json(finished_at)::text
                 FROM numaudit.sweep_status WHERE under = 'Q'""")
row = cur.fetchone()
payload = json.loads(sweeps[0].payload) if len(sweeps) == 1 else {}
check("the sweep that finished: one NOTIFY numaudit_sweep equal to its sweep_status row, "
      "and one NOTIFY numaudit per customer run",
      len(sweeps) == 1 and len(runs) == 2 and row is not None and row[2] == "done" and row[3] == 2
      and [payload.get(k) for k in ["sweep_id", "under", "status", "customers", "done", "failed",
                                     "busy", "skipped", "running", "left_to_do"]] == list(row[:10])
      and json.dumps(payload.get("finished_at")) == row[10], (got, row))

listener.close()
app.close()
admin.cursor().execute(f"DROP DATABASE {DB}")
admin.cursor().execute("DROP ROLE IF EXISTS numaudit_notify_test")
if failures:
    print(f"notify: {failures} check(s) failed")
    sys.exit(1)
print("notify: all checks passed")

#!/usr/bin/env python3
"""Run a numaudit audit from application code and report what it changed.

    python3 audit_and_report.py Provider1.ResellerA.Acme
    python3 audit_and_report.py Acme --scope site --sites London Paris
    python3 audit_and_report.py Acme --dsn 'host=db.example dbname=inventory'

It LISTENs on channel 'numaudit', CALLs numaudit.audit, takes the
notification of its own run (sent by its own backend: other sessions' runs
are ignored), prints a summary line, then the run's rows of
numaudit.audit_change as tab-separated values (NULL is empty).

Connection: the --dsn argument plus the libpq environment (PGHOST, PGPORT,
PGUSER, PGDATABASE, ...). Needs psycopg2 (Debian: python3-psycopg2).
Exit status: 0 the run is done; 1 it failed, or PostgreSQL raised an error;
2 bad arguments.
"""
import argparse
import json
import select
import sys
import time

import psycopg2

CHANGE_COLUMNS = ("hierarchy", "site", "internal_number", "action", "old_status",
                  "old_usage", "new_status", "new_usage", "detail")


def parse_args():
    p = argparse.ArgumentParser(description="Audit a customer's numbers and report the changes.")
    p.add_argument("customer", help="customer path (Provider1.ResellerA.Acme) or unique bare name")
    p.add_argument("--scope", default="site", help="'site' (default) or 'customer'")
    p.add_argument("--sites", nargs="+", metavar="SITE", help="only these sites (scope site)")
    p.add_argument("--dsn", default="", help="libpq connection string (default: PG* environment)")
    p.add_argument("--wait", type=float, default=5.0, metavar="SECONDS",
                   help="how long to wait for the run's notification (default 5)")
    p.add_argument("-v", "--verbose", action="store_true",
                   help="show the notification payload and the notifications ignored")
    return p.parse_args()


def note(msg):
    print(f"numaudit: {msg}", file=sys.stderr)


def own_run(conn, wait, verbose):
    """The payload of the notification sent by this session's run, or None."""
    deadline = time.monotonic() + wait
    while True:
        conn.poll()  # moves arrived notifications into conn.notifies
        while conn.notifies:
            n = conn.notifies.pop(0)
            run = json.loads(n.payload)
            if n.pid == conn.info.backend_pid:
                if verbose:
                    note(f"notification of this session: {n.payload}")
                return run
            if verbose:
                note(f"ignoring run {run.get('run_id')} of another session (pid {n.pid})")
        left = deadline - time.monotonic()
        if left <= 0:
            return None
        select.select([conn], [], [], left)


def summary(run):
    return ("run {run_id} of {customer} (scope {scope}) {status}: sites {sites_done}/{sites_total}, "
            "added {added}, updated {updated}, unchanged {unchanged}, skipped {skipped}, "
            "conflicts {conflicts}").format(**run)


def main():
    args = parse_args()
    try:
        conn = psycopg2.connect(args.dsn)
    except psycopg2.OperationalError as e:
        note(f"cannot connect: {str(e).strip()}")
        return 1
    # Autocommit: the CALL must be a statement of its own to commit site by site.
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            cur.execute("LISTEN numaudit")
            error = None
            try:
                cur.execute("CALL numaudit.audit(%s, %s, %s)",
                            (args.customer, args.scope, args.sites))
            except psycopg2.Error as e:
                error = e  # a run that started and failed still notifies
            run = None if conn.closed else own_run(conn, 0 if error else args.wait, args.verbose)
            if run is not None:
                print(summary(run), flush=True)
                if run["status"] == "failed":
                    note(f"run {run['run_id']} failed: {run['error']}")
            if error is not None:
                note(f"SQLSTATE {error.pgcode}: {error.diag.message_primary or str(error).strip()}")
                if error.diag.message_hint:
                    note(f"hint: {error.diag.message_hint}")
            elif run is None:
                note(f"no notification from this session's run within {args.wait:g} s "
                     "(is numaudit.notify off?)")
                return 1
            if run is not None:
                # A failed run keeps the sites it committed: report them too.
                cur.execute("SELECT " + ", ".join(CHANGE_COLUMNS) +
                            " FROM numaudit.audit_change WHERE run_id = %s ORDER BY id",
                            (run["run_id"],))
                print("\t".join(CHANGE_COLUMNS))
                for row in cur:
                    print("\t".join("" if v is None else str(v) for v in row))
            return 0 if error is None and run["status"] == "done" else 1
    except psycopg2.Error as e:
        note(f"SQLSTATE {e.pgcode}: {e.diag.message_primary or str(e).strip()}")
        return 1
    finally:
        conn.close()


if __name__ == "__main__":
    sys.exit(main())

"""Operator commands of the report service (python -m services.manage report <command>).

Both run here, on the report's database (KEFU_REPORT_DB_URI) and asking the ticket
service over RPC as the report's own system identity (a token signed with its key,
KEFU_REPORT_SYSTEM_KEY; the broker as the operator, KEFU_AMQP_URI) — the calls the ticket
service's contract allows the report.  Source deploy/local/env.sh first.

    rebuild                      rebuild every ticket, call and contact rollup from the
                                 ticket service (R4)
                                 while events keep arriving (the same run as the admin's
                                 rebuild_reports; when a report replica took it first,
                                 wait for it); prints progress
    check --from DAY --to DAY    compare the rollups with the ticket service's own counts
                                 per day and kind (calls: kind "calls"); prints each
                                 difference (exit 1: any)
"""
import argparse
import datetime
import os
import sys
import time
import warnings
from contextlib import contextmanager

import psycopg2
import psycopg2.extras

from services.common.config import service_config
from services.common.errors import KefuError
from services.common.identity import CONTEXT_KEY, codec_from_config
from services.report.contract import SERVICE
from services.report.handlers import rebuild as rebuild_handlers
from services.ticket.contract.events import TicketSnapshot

OPERATOR = "operator"
POLL_SECONDS = 1.0
RUNNING = ("queued", "running")


def _config() -> dict:
    config = service_config(SERVICE)
    config["AMQP_URI"] = os.environ.get("KEFU_AMQP_URI") or config["AMQP_URI"]
    if not config.get("DB_URI"):
        raise SystemExit("KEFU_REPORT_DB_URI is not set: source deploy/local/env.sh first")
    return config


class _Database:
    """The report's database for a command: one connection, a transaction per block."""

    def __init__(self, dsn: str):
        self.conn = psycopg2.connect(dsn, cursor_factory=psycopg2.extras.RealDictCursor)

    @contextmanager
    def transaction(self):
        warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")
        from services.common.db import Tx  # the unit of work (eventlet: imported late)

        with self.conn, self.conn.cursor() as cur:
            yield Tx(cur, OPERATOR)

    def close(self):
        self.conn.close()


@contextmanager
def _owners(config: dict, timeout: float = 120):
    """(the owner services' proxies — `.ticket`, ... — calling as the report's system
    identity; `fresh()`, a block whose calls carry a newly minted system token — a
    system token lives 5 minutes, a rebuild longer: each page's call is made in one)."""
    warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")
    from nameko.standalone.rpc import ClusterRpcProxy

    codec = codec_from_config(config)
    context = {CONTEXT_KEY: codec.system_token()}  # the proxy's worker keeps this dict

    @contextmanager
    def fresh():
        context[CONTEXT_KEY] = codec.system_token()
        yield

    with ClusterRpcProxy({"AMQP_URI": config["AMQP_URI"]}, context_data=context,
                         timeout=timeout) as cluster:
        yield cluster, fresh


def _line(job: dict) -> str:
    return (f"rebuild {job['id']} (generation {job['generation']}): {job['state']}, "
            f"{job['pages']} pages, {job['tickets']} tickets, {job.get('calls', 0)} calls, "
            f"{job.get('contacts', 0)} contacts read"
            + (f", {job['removed']} facts the owner no longer has removed"
               if job["state"] == "done" else "")
            + (f" — {job['error']}" if job.get("error") else ""))


def rebuild(*args: str, config: dict | None = None, out=sys.stdout) -> int:
    """rebuild: every ticket rollup rebuilt from the ticket service.  Exit status 0 when
    done, 1 when it failed (queued again: a report replica retries it), 2 on bad
    arguments."""
    if args:
        print("usage: rebuild", file=sys.stderr)
        return 2
    config = config or _config()
    started = time.monotonic()
    db = _Database(config["DB_URI"])
    try:
        with db.transaction() as tx:
            job = rebuild_handlers.request_rebuild(tx, OPERATOR)
        print(_line(job), file=out)
        with _owners(config) as (owners, fresh):
            try:
                ran = rebuild_handlers.run(
                    db, owners, TicketSnapshot().load,
                    int(config.get("REPORT_REBUILD_PAGE") or 500),
                    progress=lambda j: print(_line(j), file=out), as_system=fresh,
                    quick_hangup_seconds=int(config.get("QUICK_HANGUP_SECONDS") or 5))
            except Exception as exc:  # noqa: BLE001 — the run is queued again, retried later
                print(f"rebuild failed: {type(exc).__name__}: {exc} (the report service "
                      "takes it again after a back-off)", file=sys.stderr)
                with db.transaction() as tx:
                    ran = rebuild_handlers.rebuild_state(tx, job["id"])
        if ran is None or ran["id"] != job["id"]:  # a report replica runs it: its end
            ran = _wait(db, job["id"], out)
    finally:
        db.close()
    print(_line(ran), file=out)
    if ran["state"] == "done":
        print(f"rebuilt in {time.monotonic() - started:.1f} s", file=out)
    return 0 if ran["state"] == "done" else 1


def _wait(db, rebuild_id: str, out) -> dict:
    shown = ""
    while True:
        with db.transaction() as tx:
            job = rebuild_handlers.rebuild_state(tx, rebuild_id)
        if job["state"] not in RUNNING:
            return job
        if _line(job) != shown:
            shown = _line(job)
            print(shown, file=out)
        time.sleep(POLL_SECONDS)


def check(*args: str, config: dict | None = None, out=sys.stdout) -> int:
    """check --from DAY --to DAY: each (day, kind, measure) where our rollups and the
    ticket service's own counts differ.  Exit status 0: none, 1: some, 2: bad arguments."""
    parser = argparse.ArgumentParser(prog="check", add_help=False)
    parser.add_argument("--from", dest="first", required=True,
                        type=datetime.date.fromisoformat)
    parser.add_argument("--to", dest="last", required=True, type=datetime.date.fromisoformat)
    try:
        given = parser.parse_args(list(args))
    except SystemExit:
        return 2
    config = config or _config()
    db = _Database(config["DB_URI"])
    try:
        with _owners(config) as (owners, fresh):
            found = rebuild_handlers.check(db, fresh, owners, {"from_day": given.first,
                                                                 "to_day": given.last})
    except KefuError as exc:
        print(f"check refused: {exc}", file=sys.stderr)
        return 2
    finally:
        db.close()
    for d in found["differences"]:
        where = f" (in {d['rollup']})" if d.get("rollup") else ""
        print(f"{d['day']} {d['kind']} {d['measure']}{where}: ours {d['ours']}, "
              f"owner {d['owner']}", file=out)
    print(f"{len(found['differences'])} differences from {given.first} to {given.last}",
          file=out)
    return 1 if found["differences"] else 0


COMMANDS = {"rebuild": rebuild, "check": check}

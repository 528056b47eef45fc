"""A service made for the platform's integration tests (issue 9, findings 1, 9 and 11):
its RPCs die, hang, record what ran and send text to PostgreSQL; its event handler
needs its database.  It runs in the test process (container_factory) or, when it must
really die, in a process of its own (`run_in_subprocess`).

It uses the notify test database, whose outbox stays empty (notify publishes no
event), so its relay relays nothing of anyone else's.
"""
import json
import os
import subprocess
import sys
from pathlib import Path

import eventlet

from services.common.contracts import Consumes, Contract, Operation
from services.common.db import Database
from services.common.events import on_event
from services.common.health import HealthCheck
from services.common.metrics import Metrics
from services.common.rpc import rpc_entrypoints

NAME = "probe"
SOURCE = "probe_source"  # the events the probe consumes come from here
ROLES = frozenset({"agent"})
ROOT = Path(__file__).resolve().parents[3]

CONTRACT = Contract(NAME, operations=[
    Operation("die", ROLES),
    Operation("hang", ROLES),
    Operation("record", ROLES),
    Operation("recorded", ROLES),
    Operation("echo_text", ROLES),
    Operation("nul_from_inside", ROLES),
], consumes=[Consumes(SOURCE, "poked")])

rpc = rpc_entrypoints(CONTRACT)
RECORDED: list = []
POKES: list = []


class ProbeService(HealthCheck):
    name = NAME
    db = Database()
    metrics = Metrics()

    @rpc
    def die(self, tag):
        """The process ends at once, mid-request (as a native crash would)."""
        os._exit(3)

    @rpc
    def hang(self, seconds):
        eventlet.sleep(seconds)
        return seconds

    @rpc
    def record(self, tag):
        RECORDED.append(tag)
        return tag

    @rpc
    def recorded(self):
        return list(RECORDED)

    @rpc
    def echo_text(self, data):
        """The text as PostgreSQL gives it back."""
        with self.db.transaction() as tx:
            tx.cur.execute("SELECT %s::text AS text", (data["text"],))
            return tx.cur.fetchone()["text"]

    @rpc
    def nul_from_inside(self):
        """Text with a NUL made by the service itself reaches PostgreSQL."""
        with self.db.transaction() as tx:
            tx.cur.execute("SELECT %s::text AS text", ("made\x00inside",))

    @on_event(SOURCE, "poked")
    def poked(self, event):
        POKES.append(event["event_id"])
        with self.db.transaction() as tx:
            tx.cur.execute("SELECT 1")


SERVICE = ProbeService


def config(rabbit_config: dict, **over) -> dict:
    from tests.helpers import key_config
    cfg = {"AMQP_URI": rabbit_config["AMQP_URI"], "serializer": "json",
           "DB_URI": os.environ["KEFU_NOTIFY_DB_URI"], **key_config("notify"),
           "METRICS_ADDRESS": None, "EVENT_RETRY_DELAYS_MS": [50, 100], "max_workers": 4,
           "OUTBOX_POLL_SECONDS": 30,
           # its source's events come from the tier's one broker user (issue 9, finding 3)
           "EVENT_PUBLISHERS": {SOURCE: rabbit_config["username"]}}
    cfg.update(over)
    return cfg


def run_in_subprocess(cfg: dict) -> subprocess.Popen:
    """The probe in a process of its own, as the runner starts a service."""
    return subprocess.Popen(
        [sys.executable, "-c", "import eventlet; eventlet.monkey_patch(); "
         "import sys; from tests.integration.common import probe; probe.main(sys.argv[1])",
         json.dumps(cfg)], cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def main(cfg_json: str) -> None:
    from nameko.runners import ServiceRunner

    from services.common.green import prepare_process
    prepare_process()
    runner = ServiceRunner(json.loads(cfg_json))
    runner.add_service(ProbeService)
    runner.start()
    runner.wait()

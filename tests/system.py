"""The whole system started by the same scripts as `make run`, in the test env.

Used by the end-to-end and fault tiers: databases `*_test`, vhost `kefu_test`,
gateway on 127.0.0.1:8800, metrics on the registry's ports + 100.
"""
import datetime
import os
import subprocess
import sys
import time
from pathlib import Path
from zoneinfo import ZoneInfo

import requests

from services.common import registry

ROOT = Path(__file__).resolve().parent.parent
BASE = "http://127.0.0.1:8800"
METRICS = {entry.name: entry.test_metrics_port for entry in registry.SERVICES}
ENV = {**os.environ, "KEFU_ENV": "test"}


def sh(*args: str) -> str:
    return subprocess.run(args, cwd=ROOT, env=ENV, check=True, capture_output=True,
                          text=True).stdout


def start_system() -> str:
    """Declare queues, make the admin, start every service; returns the admin password."""
    py = sys.executable
    sh(py, "-m", "services.manage", "all", "declare")
    secret = ROOT / "var" / "secrets" / "admin-password-test"
    sh(py, "-m", "services.manage", "gateway", "ensure-admin", str(secret))
    sh("deploy/local/services.sh", "start")
    return secret.read_text().strip()


def stop_system() -> None:
    sh("deploy/local/services.sh", "stop")


def today_in_china() -> str:
    return datetime.datetime.now(ZoneInfo("Asia/Shanghai")).date().isoformat()


class Client:
    """A signed-in HTTP session against the gateway."""

    def __init__(self, username: str, password: str):
        self.http = requests.Session()
        reply = self.http.post(f"{BASE}/api/v1/auth/login",
                               json={"username": username, "password": password}, timeout=10)
        reply.raise_for_status()
        self.http.headers["Authorization"] = "Bearer " + reply.json()["token"]
        self.staff = reply.json()["staff"]

    def get(self, path, **kw):
        return self.http.get(BASE + path, timeout=10, **kw)

    def post(self, path, body, **kw):
        return self.http.post(BASE + path, json=body, timeout=10, **kw)

    def put(self, path, body, **kw):
        return self.http.put(BASE + path, json=body, timeout=10, **kw)

    def patch(self, path, body, **kw):
        return self.http.patch(BASE + path, json=body, timeout=10, **kw)

    def daily_count(self, kind: str) -> int:
        day = today_in_china()
        series = self.get(f"/api/v1/reports/tickets/daily?from={day}&to={day}").json()["series"]
        return sum(p["count"] for p in series if p["kind"] == kind)

    def wait_for(self, predicate, seconds: float = 2.0, step: float = 0.05) -> bool:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if predicate():
                return True
            time.sleep(step)
        return predicate()

"""The whole system started by the same scripts as `make run`, in the test env.

Used by the end-to-end and fault tiers: databases `*_test`, vhost `kefu_test`,
gateway on 127.0.0.1:8800, metrics on the registry's ports + 100.
"""
import datetime
import os
import subprocess
import sys
import time
import uuid
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
    """A signed-in HTTP session against the gateway.  An admin's `approver` is the
    second admin who approves what needs two (issue 9, finding 6)."""

    def __init__(self, username: str, password: str):
        self.approver: Client | None = None
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

    def create_staff(self, body) -> requests.Response:
        """POST /api/v1/staff as this admin.  An account holding a right above the
        ceiling (a role from supervisor up, admin, auditor; a clearance above 0)
        waits for a second admin (202): the approver approves it, and the answer is
        the approval's — 201, the account under "staff"."""
        reply = self.post("/api/v1/staff", body)
        if reply.status_code != 202 or self.approver is None:
            return reply
        return self.approver.post(f"/api/v1/staff-changes/{reply.json()['id']}/approve", {})

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


def second_admin(first: Client) -> Client:
    """A fresh install's second admin, made as services/gateway/manage.py says: the first admin asks
    for it (202, pending) and the operator approves it on the host (manage.py
    approve-staff-change).  From then on the two approve each other's requests."""
    username, password = f"admin{uuid.uuid4().hex[:8]}", "Pw-" + uuid.uuid4().hex
    asked = first.post("/api/v1/staff", {"username": username, "display_name": "第二管理员",
                                         "password": password, "roles": ["admin"]})
    assert asked.status_code == 202, asked.text
    sh(sys.executable, "-m", "services.manage", "gateway", "approve-staff-change",
       asked.json()["id"])
    return Client(username, password)

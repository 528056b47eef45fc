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


class SignedInSession(requests.Session):
    """An HTTP session that keeps its bearer token fresh (issue 9, finding 5: access tokens
    live at most 15 minutes): before a request, when the access token has less than
    FRESH_SECONDS left, the refresh token gets the next pair.  So the token a test copies
    out of `headers` after a request still lives FRESH_SECONDS at least."""

    FRESH_SECONDS = 600

    def __init__(self):
        super().__init__()
        self.refresh_token: str | None = None
        self.expires_at = float("inf")

    def signed_in(self, answer: dict) -> None:
        self.headers["Authorization"] = "Bearer " + answer["token"]
        self.refresh_token = answer["refresh_token"]
        self.expires_at = time.monotonic() + answer["expires_in"]

    def request(self, method, url, *args, **kwargs):
        if self.refresh_token and time.monotonic() > self.expires_at - self.FRESH_SECONDS:
            self.refresh()
        return super().request(method, url, *args, **kwargs)

    def refresh(self) -> None:
        token, self.refresh_token = self.refresh_token, None
        reply = super().request("POST", f"{BASE}/api/v1/auth/refresh",
                                json={"refresh_token": token}, timeout=10)
        if reply.status_code == 200:  # else the session ended: the old token goes on
            self.signed_in(reply.json())


class Client:
    """A signed-in HTTP session against the gateway.  An admin's `approver` is the
    second admin who approves what needs two (issue 9, finding 6)."""

    def __init__(self, username: str, password: str):
        self.approver: Client | None = None
        self.http = SignedInSession()
        reply = self.http.post(f"{BASE}/api/v1/auth/login",
                               json={"username": username, "password": password}, timeout=10)
        reply.raise_for_status()
        self.http.signed_in(reply.json())
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

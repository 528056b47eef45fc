"""The gateway over HTTP on a free port, on the shared test database: accounts are
made straight in the database (unique names), callers sign in or carry a token
for an account that exists.  A test's sign-in attempts come from its own client
address (X-Forwarded-For through the loopback proxy the config trusts), so one
test's failures never throttle another test or another helper's run."""
import ipaddress
import os
import random
import socket
import uuid

import psycopg2
import psycopg2.extras
import pytest
import requests

from services.gateway.domain import accounts
from services.gateway.store import staff as store
from tests.helpers import token


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def client_address() -> str:
    """An address of the documentation range 2001:db8::/32 nobody else uses."""
    return str(ipaddress.IPv6Address((0x20010DB8 << 96) | random.getrandbits(96)))


class Http:
    """Requests to the gateway under test, from one client address."""

    def __init__(self, base: str, address: str | None = None, bearer: str | None = None):
        self.base, self.headers = base, {"X-Forwarded-For": address or client_address()}
        if bearer:
            self.headers["Authorization"] = "Bearer " + bearer

    def request(self, method: str, path: str, body=None) -> requests.Response:
        return requests.request(method, self.base + path, json=body, headers=self.headers,
                                timeout=30)

    def get(self, path):
        return self.request("GET", path)

    def post(self, path, body=None):
        return self.request("POST", path, body)

    def put(self, path, body=None):
        return self.request("PUT", path, body)

    def patch(self, path, body=None):
        return self.request("PATCH", path, body)

    def login(self, username: str, password: str, device: str | None = None
              ) -> requests.Response:
        body = {"username": username, "password": password}
        return self.post("/api/v1/auth/login", body | ({"device": device} if device else {}))


@pytest.fixture
def gateway(start):
    """start(**config) -> the base URL of a gateway container on a free port."""
    def run(**over) -> str:
        port = free_port()
        start("gateway", WEB_SERVER_ADDRESS=f"127.0.0.1:{port}",
              TRUSTED_PROXIES=["127.0.0.1"], **over)
        return f"http://127.0.0.1:{port}"
    return run


@pytest.fixture
def db():
    conn = psycopg2.connect(os.environ["KEFU_GATEWAY_DB_URI"],
                            cursor_factory=psycopg2.extras.RealDictCursor)
    conn.autocommit = True
    yield conn
    conn.close()


@pytest.fixture
def staff(db):
    """staff(roles, clearance=0, groups=()) -> an account made in the database, with
    its password and a token for it."""
    def make(roles=("agent",), clearance=0, groups=(), active=True) -> dict:
        username = "t" + uuid.uuid4().hex[:12]
        password = "pw-" + uuid.uuid4().hex
        with db.cursor() as cur:
            row = store.insert_staff(cur, {"username": username, "display_name": username,
                                           "roles": list(roles), "groups": list(groups),
                                           "clearance": clearance},
                                     accounts.hash_password(password))
            if not active:
                cur.execute("UPDATE staff SET active = false WHERE id = %s", (row["id"],))
        return {**row, "password": password,
                "token": token(roles, staff_id=row["id"], groups=groups, clearance=clearance,
                               version=row["version"])}
    return make


def account(db, staff_id: str) -> dict:
    with db.cursor() as cur:
        return store.staff_by_id(cur, staff_id)

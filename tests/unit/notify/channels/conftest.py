"""The local provider simulator (simulators/) for the adapters' end-to-end tests, one per
module, reset before each test; and a callback receiver standing for notify's gateway,
where the simulator posts its (signed) receipts and uplinks."""
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests

from simulators import start


class Callbacks:
    """What the simulator posted to `/api/v1/providers/<provider>/<kind>`."""

    def __init__(self):
        self.lock = threading.Lock()
        self.received: list[dict] = []
        self.answer = b'{"code": 0}'

    def add(self, path: str, headers: dict, body: bytes) -> None:
        with self.lock:
            self.received.append({"path": path, "headers": headers, "body": body})

    def wait(self, path: str, count: int = 1, timeout: float = 10) -> list[dict]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                found = [r for r in self.received if r["path"] == path]
            if len(found) >= count:
                return found
            time.sleep(0.05)
        raise AssertionError(f"no {count} callback(s) to {path} in {timeout} s")


@pytest.fixture(scope="module")
def callbacks():
    got = Callbacks()

    class Receiver(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            got.add(self.path, dict(self.headers.items()), body)
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(got.answer)))
            self.end_headers()
            self.wfile.write(got.answer)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    got.url = f"http://127.0.0.1:{server.server_address[1]}"
    yield got
    server.shutdown()
    server.server_close()


class Sim:
    """The running simulator and its /_sim/ reading API."""

    def __init__(self, running, secrets_dir, maildir):
        self.running, self.url, self.smtp_port = running, running.url, running.smtp_port
        self.secrets_dir, self.maildir = secrets_dir, maildir
        self.http = requests.Session()
        self.http.trust_env = False

    def secrets(self, name: str) -> dict:
        return json.loads((self.secrets_dir / name).read_text())

    def get(self, path: str, **query) -> dict:
        answer = self.http.get(self.url + path, params=query, timeout=5)
        assert answer.status_code == 200, answer.text
        return answer.json()

    def post(self, path: str, body: dict) -> dict:
        answer = self.http.post(self.url + path, json=body, timeout=10)
        assert answer.status_code == 200, answer.text
        return answer.json()

    def sms(self, **query) -> list[dict]:
        return self.get("/_sim/sms", **query)["messages"]

    def configure(self, **settings) -> None:
        self.post("/_sim/config", settings)


def running_sim(tmp_path_factory, callbacks, smtp_tls: bool = False):
    """A simulator for one module.  Under eventlet (the test runner patches it) the
    simulator's SMTP server (aiosmtpd's asyncio loop) can run only once per process at a
    time: one simulator at a time, so a module needing STARTTLS overrides `sim`."""
    folder = tmp_path_factory.mktemp("sim")
    secrets_dir, maildir = folder / "secrets", folder / "mail"
    running = start(http="127.0.0.1:0", smtp="127.0.0.1:0", callback_base=callbacks.url,
                    secrets_dir=secrets_dir, maildir=maildir, smtp_tls=smtp_tls)
    try:
        yield Sim(running, secrets_dir, maildir)
    finally:
        running.stop()


@pytest.fixture(scope="module")
def sim(tmp_path_factory, callbacks):
    yield from running_sim(tmp_path_factory, callbacks)


@pytest.fixture
def fresh(sim, callbacks):
    """The simulator as new (nothing received, default behaviour), no callbacks seen."""
    sim.post("/_sim/reset", {})
    with callbacks.lock:
        callbacks.received.clear()
    return sim

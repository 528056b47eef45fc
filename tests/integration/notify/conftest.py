"""Notify against the provider simulator (simulators/: SMS shaped like Aliyun and
Tencent, robots, webhook receivers, an SMTP server), started in this process on free
loopback ports with its own credentials; and a receiver standing in for the gateway's
provider callback routes (it hands the raw body and signature to notify, as the
gateway does)."""
import http.server
import json
import socket
import subprocess
import sys
import threading
import time
import uuid

import pytest
import requests

from tests.helpers import token

FAST = {"sms": 200, "email": 50, "robot": 50, "webhook": 50}


class Callbacks(http.server.BaseHTTPRequestHandler):
    """POST /api/v1/providers/<provider>/<kind> -> notify.provider_callback of the
    current test's broker (the gateway's part, done the way it does it)."""

    proxy = None
    received: list[dict] = []  # every callback as handed on, for tests that replay one
    # One proxy, one socket: receipts arrive on several handler threads at once, and two
    # green threads reading one socket is an error (CI of c84e080), so calls take turns.
    turn = threading.Lock()

    def do_POST(self):  # noqa: N802
        parts = self.path.split("?")[0].split("/")
        provider, kind = parts[4], parts[5]
        body = self.rfile.read(int(self.headers.get("Content-Length", 0))).decode()
        callback = {"provider": provider, "kind": kind,
                    "signature": self.headers.get("X-Provider-Signature", ""), "body": body}
        type(self).received.append(callback)
        try:
            with type(self).turn:
                answer = type(self).proxy.provider_callback(callback)
            status, out = 200, answer["answer"]
        except Exception as exc:  # noqa: BLE001 — answered as the gateway would
            status, out = 401 if "signature" in str(exc) else 400, {"error": str(exc)}
        data = json.dumps(out).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def callback_server():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Callbacks)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


@pytest.fixture(scope="module")
def sim_process(tmp_path_factory, callback_server):
    """`python -m simulators` as its own process (as services.sh runs it: aiosmtpd's
    asyncio loop does not share a process with eventlet's hub)."""
    folder = tmp_path_factory.mktemp("sim")
    secrets = folder / "secrets"
    http_port, smtp_port = free_port(), free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "simulators", "--http", f"127.0.0.1:{http_port}",
         "--smtp", f"127.0.0.1:{smtp_port}", "--callback-base", callback_server,
         "--secrets", str(secrets), "--maildir", str(folder / "mail")],
        stdout=subprocess.DEVNULL, stderr=open(folder / "sim.log", "wb"))  # noqa: SIM115
    url = f"http://127.0.0.1:{http_port}"
    deadline = time.monotonic() + 15
    while True:
        try:
            requests.get(url + "/_sim/stats", timeout=1).raise_for_status()
            break
        except requests.RequestException:
            if time.monotonic() > deadline or process.poll() is not None:
                process.kill()
                raise RuntimeError((folder / "sim.log").read_text()[-2000:]) from None
            time.sleep(0.1)
    yield {"url": url, "smtp_port": smtp_port, "secrets": secrets}
    process.terminate()
    process.wait(10)


@pytest.fixture
def callbacks(rabbit_config):
    """The callback receiver hands this test's callbacks to this test's notify."""
    from nameko.standalone.rpc import ServiceRpcProxy

    holder = ServiceRpcProxy("notify", rabbit_config, timeout=10)
    Callbacks.proxy = holder.start()
    Callbacks.received = []
    yield Callbacks.received
    with Callbacks.turn:  # not while a handler thread reads the proxy's socket (CI)
        Callbacks.proxy = None
        holder.stop()


class Sim:
    """The simulator and what tests ask of it."""

    def __init__(self, process: dict):
        self.url, self.smtp_port = process["url"], process["smtp_port"]
        self.secrets = process["secrets"]

    def get(self, path, **params):
        answer = requests.get(self.url + path, params=params, timeout=5)
        answer.raise_for_status()
        return answer.json()

    def post(self, path, body):
        answer = requests.post(self.url + path, json=body, timeout=5)
        answer.raise_for_status()
        return answer.json()

    def sms(self, phone=None, **params):
        return self.get("/_sim/sms", **({"phone": phone} if phone else {}), **params)["messages"]

    def mail(self, to):
        return self.get("/_sim/mail", to=to)["messages"]

    def configure(self, **settings):
        return self.post("/_sim/config", settings)


@pytest.fixture
def sim(sim_process, callbacks):
    handle = Sim(sim_process)
    handle.post("/_sim/reset", {})
    handle.configure(receipt_delay_ms=100)
    return handle


SETTINGS = {"quiet_hours": "", "marketing_daily_cap": 1, "marketing_weekly_cap": 3}


@pytest.fixture
def notify(start, sim, rpc):
    """notify pointed at the simulator; quiet hours off (tests run at any hour) unless a
    test sets them, and back to the default after."""
    started = []

    def run(**over):
        container = start("notify", SMS_BASE_URL=sim.url, SECRETS_DIR=str(sim.secrets),
                          SMTP_ADDRESS=f"127.0.0.1:{sim.smtp_port}",
                          NOTIFY_RATES=over.pop("rates", FAST),
                          SENDING_LEASE_SECONDS=over.pop("lease", 3), **over)
        rpc("notify", roles=("admin",)).update_settings(SETTINGS)
        started.append(container)
        return container
    yield run
    if started:
        rpc("notify", roles=("admin",)).update_settings({**SETTINGS,
                                                          "quiet_hours": "21:00-08:00"})


@pytest.fixture
def supervisor(rpc):
    return rpc("notify", roles=("supervisor",), clearance=3)


@pytest.fixture
def agent_notify(rpc):
    return rpc("notify", roles=("agent",))


def unique(prefix="t"):
    return f"{prefix}_{uuid.uuid4().hex[:10]}"


def sms_template(proxy, name=None, purpose="service", quiet="send", body=None,
                 variables=("name", "serial")):
    return proxy.save_template({
        "name": name or unique(), "channel": "sms", "purpose": purpose, "quiet_hours": quiet,
        "body": body or "{{ name }}您好，服务单{{ serial }}已受理。",
        "variables": list(variables), "provider_code": "SMS_" + uuid.uuid4().hex[:8],
        "sign_name": "客服中心"})


def wait_for(check, timeout=20.0, interval=0.1):
    """The first truthy value of check() within timeout seconds, else AssertionError."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout} s: {check}")
        time.sleep(interval)


def staff_token(roles=("agent",), **kwargs):
    return token(roles, **kwargs)

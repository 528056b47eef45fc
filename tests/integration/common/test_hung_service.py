"""One hung service does not stall the rest (issue 9, finding 9): RPC requests expire in
the broker at the caller's deadline, so a hung service's backlog is not run late (and
one already handed to a paused process is refused when it wakes); and the gateway
holds at most UPSTREAM_CONCURRENCY requests to one service at a time, so past that a
route to it answers 503 at once while every other route answers."""
import signal
import socket
import time
import uuid

import eventlet
import pytest
import requests

from services.common.errors import DeadlineExceeded
from services.common.rpc import call, proxy
from services.gateway.http import Api
from tests.helpers import key_config, token
from tests.integration.common import probe


@pytest.fixture
def probe_rpc(container_factory, rabbit_config, rpc):
    def run(**over):
        container = container_factory(probe.ProbeService, probe.config(rabbit_config, **over))
        container.start()
        return rpc(probe.NAME, roles=("agent",))
    return run


def test_finding9_a_request_past_its_deadline_is_not_run_later(probe_rpc):
    """Issue 9 finding 9: before, a request queued behind a hung worker ran once the
    worker was free, long after its caller had been told 504."""
    probe_service = probe_rpc(max_workers=1)
    tag = f"stale-{uuid.uuid4().hex}"
    with pytest.raises(DeadlineExceeded):
        call(probe_service.hang, 1.5, timeout=0.3)
    with pytest.raises(DeadlineExceeded):
        call(probe_service.record, tag, timeout=0.3)  # waits behind the hung worker
    time.sleep(2)
    assert call(probe_service.record, "fresh", timeout=5) == "fresh"
    assert tag not in probe_service.recorded()


def test_finding9_a_request_handed_to_a_paused_service_is_not_run_when_it_wakes(
        rabbit_config, rpc):
    """Issue 9 finding 9: a paused process (SIGSTOP) has requests pushed to it by the
    broker (up to its prefetch) that no expiry can reach any more; when it wakes, the
    entrypoint refuses those whose caller's deadline has passed."""
    from tests.integration.common.test_poison_requests import _wait_serving

    process = probe.run_in_subprocess(probe.config(rabbit_config))
    caller = rpc(probe.NAME, roles=("agent",))
    tag = f"late-{uuid.uuid4().hex}"
    try:
        _wait_serving(caller, process)
        process.send_signal(signal.SIGSTOP)
        try:
            with pytest.raises(DeadlineExceeded):
                call(caller.record, tag, timeout=0.5)
        finally:
            process.send_signal(signal.SIGCONT)
        assert call(caller.record, "fresh", timeout=10) == "fresh"
        assert tag not in call(caller.recorded, timeout=10)
    finally:
        process.terminate()
        process.wait(timeout=30)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def front_service():
    class Front:
        """A gateway of two routes: one to the probe, one that asks nobody."""

        name = "front"
        target = proxy(probe.NAME)

        @Api.decorator("GET", "/hang", allow=probe.ROLES, upstreams=(probe.NAME,))
        def hang(self, request):
            return {"slept": call(self.target.hang, float(request.args["s"]), timeout=10)}

        @Api.decorator("GET", "/free", public=True)
        def free(self, request):
            return {"ok": True}

    return Front


def test_finding9_a_hung_service_gets_a_bounded_share_of_the_gateway(
        container_factory, rabbit_config, probe_rpc):
    """Issue 9 finding 9: with UPSTREAM_CONCURRENCY=2, two hung requests hold the probe's
    share; a third is 503 at once, the route that asks nobody answers, and the share
    comes back when they end."""
    probe_rpc(max_workers=4)
    port = _free_port()
    front = container_factory(front_service(), {
        **rabbit_config, "WEB_SERVER_ADDRESS": f"127.0.0.1:{port}", **key_config("gateway"),
        "UPSTREAM_CONCURRENCY": 2, "max_workers": 10, "serializer": "json"})
    front.start()
    base = f"http://127.0.0.1:{port}"
    session = requests.Session()
    session.headers["Authorization"] = "Bearer " + token(("agent",))
    pool = eventlet.GreenPool()
    hung = [pool.spawn(session.get, f"{base}/hang?s=2", timeout=10) for _ in range(2)]
    time.sleep(0.5)

    started = time.monotonic()
    refused = session.get(f"{base}/hang?s=0", timeout=10)
    assert refused.status_code == 503, refused.text
    assert time.monotonic() - started < 0.5
    assert refused.json()["error"] == "unavailable" and "probe" in refused.json()["message"]
    assert requests.get(f"{base}/free", timeout=2).status_code == 200

    assert [reply.wait().status_code for reply in hung] == [200, 200]
    assert session.get(f"{base}/hang?s=0", timeout=10).status_code == 200

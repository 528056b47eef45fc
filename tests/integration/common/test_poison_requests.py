"""A poison request is not redelivered forever (issue 9, finding 1, platform part).

A request whose worker kills its process is unacknowledged, so RabbitMQ redelivers it
to the restarted service, which it kills again.  The RPC entrypoint counts the
deliveries of a redelivered request in the service's own database before any worker
runs; past RPC_MAX_DELIVERIES the request is not run: the caller is answered
`RequestParked` (HTTP 422 at the gateway) and the request is parked.

The probe really dies here (os._exit in its own process), and is started again as
the service runner would be after a crash.
"""
import os
import time
import uuid

import eventlet
import psycopg2
import psycopg2.extras
import pytest

from tests.integration.common import probe


def _start(cfg):
    """The probe in its own process, once it serves requests."""
    return probe.run_in_subprocess(cfg)


def _wait_serving(rpc_proxy, process, seconds=30.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert process.poll() is None, process.stderr.read().decode()[-3000:]
        try:
            rpc_proxy.health()
            return
        except Exception:  # noqa: BLE001 — not up yet
            time.sleep(0.2)
    raise AssertionError("the probe did not start")


def _parked(tag: str) -> list[dict]:
    with psycopg2.connect(os.environ["KEFU_NOTIFY_DB_URI"],
                          cursor_factory=psycopg2.extras.RealDictCursor) as conn:
        with conn.cursor() as cur:
            cur.execute("SELECT method, deliveries, caller, body FROM parked_request"
                        " WHERE body->'args'->>0 = %s", (tag,))
            return cur.fetchall()


def test_finding1_a_request_that_kills_its_service_is_answered_and_parked_after_n_deliveries(
        rabbit_config, rpc):
    """Issue 9 finding 1: with RPC_MAX_DELIVERIES=3 the request kills the service three
    times (its first delivery, then two counted redeliveries); the fourth delivery is
    not run: the caller gets RequestParked and the request is parked."""
    from services.common.errors import RequestParked

    cfg = probe.config(rabbit_config, RPC_MAX_DELIVERIES=3)
    health = rpc(probe.NAME, roles=("agent",))
    caller = rpc(probe.NAME, roles=("agent",))
    tag = f"poison-{uuid.uuid4().hex}"

    process = _start(cfg)
    _wait_serving(health, process)
    reply = caller.die.call_async(tag)
    deaths = 0
    for _ in range(3):
        assert process.wait(timeout=30) == 3  # os._exit(3) in the worker
        deaths += 1
        process = _start(cfg)
    try:
        with eventlet.Timeout(30):
            with pytest.raises(RequestParked) as refused:
                reply.result()
        assert "3" in str(refused.value)
        assert process.poll() is None  # the fourth delivery did not kill it
        _wait_serving(health, process)
    finally:
        process.terminate()
        process.wait(timeout=30)
    assert deaths == 3
    parked = _parked(tag)
    assert len(parked) == 1
    assert parked[0]["method"] == "probe.die"
    assert parked[0]["deliveries"] == 4
    assert parked[0]["caller"]

"""/healthz over HTTP (issue 9, finding 11): 503 naming the checks that fail — here
every other service, none of which runs in this test's broker — and no reason."""
import requests


def test_finding11_healthz_answers_the_failing_names_only(gateway):
    base = gateway(RPC_TIMEOUT_SECONDS=0.5)
    reply = requests.get(base + "/healthz", timeout=10)
    assert reply.status_code == 503
    body = reply.json()
    assert body["status"] == "unavailable" and body["checks"]["gateway"] is True
    assert body["failing"] == sorted(name for name, ok in body["checks"].items() if not ok)
    assert "customer" in body["failing"]
    assert set(body) == {"status", "checks", "failing"}  # no message, no exception text

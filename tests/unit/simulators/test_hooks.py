"""Outgoing webhooks' receiver: X-Kefu-Signature checked, deliveries recorded with
repeats marked, a hook made to fail the next n deliveries."""
import json

from simulators import signing
from tests.unit.simulators.client import call, get, post


def deliver(sim, name, payload, secret=None, delivery="m-1", signature=None):
    body = json.dumps(payload).encode()
    secret = sim.secrets["webhook"] if secret is None else secret
    return call(sim.url + f"/hooks/{name}", body, {
        "Content-Type": "application/json", "X-Kefu-Event": "ticket.created",
        "X-Kefu-Delivery": delivery,
        "X-Kefu-Signature": signature or signing.timed_signature(secret, body)}, "POST")[0]


PAYLOAD = {"id": "m-1", "event": "ticket.created", "at": "2024-05-01T00:00:00Z",
           "data": {"ticket": "T-1"}}


def test_a_signed_delivery_is_recorded(sim):
    assert deliver(sim, "crm", PAYLOAD) == 200
    [kept] = get(sim, "/_sim/hooks?name=crm")["messages"]
    assert (kept["event"], kept["delivery"], kept["body"], kept["repeat"]) == \
        ("ticket.created", "m-1", PAYLOAD, False)


def test_a_wrong_or_missing_signature_is_401_and_not_recorded(sim):
    assert deliver(sim, "crm", PAYLOAD, secret="not-it") == 401
    assert deliver(sim, "crm", PAYLOAD, signature="t=1,v1=00") == 401
    assert call(sim.url + "/hooks/crm", b"{}", {}, "POST")[0] == 401
    assert get(sim, "/_sim/hooks")["count"] == 0


def test_a_repeat_is_marked(sim):
    deliver(sim, "crm", PAYLOAD)
    deliver(sim, "crm", PAYLOAD)
    assert [h["repeat"] for h in get(sim, "/_sim/hooks")["messages"]] == [False, True]


def test_hook_fail_answers_503_n_times_then_delivers(sim):
    post(sim, "/_sim/config", {"hook_fail": {"crm": 2, "erp": {"count": 1, "status": 400}}})
    assert [deliver(sim, "crm", PAYLOAD) for _ in range(3)] == [503, 503, 200]
    assert [deliver(sim, "erp", PAYLOAD) for _ in range(2)] == [400, 200]
    assert [h["name"] for h in get(sim, "/_sim/hooks")["messages"]] == ["crm", "erp"]


def test_a_non_ascii_or_malformed_signature_is_401_not_an_error(sim):
    assert deliver(sim, "crm", PAYLOAD, signature="t=1700000000,v1=é") == 401
    assert deliver(sim, "crm", PAYLOAD, signature="t=²,v1=00") == 401
    assert deliver(sim, "crm", PAYLOAD, signature="t=" + "9" * 5000 + ",v1=00") == 401
    assert get(sim, "/_sim/hooks")["count"] == 0


def test_a_hook_with_its_own_secret_registered_checks_that_one(sim):
    assert post(sim, "/_sim/hooks/register", {"name": "crm", "secret": "crm-own"}) == \
        (200, {"ok": True})
    assert deliver(sim, "crm", PAYLOAD, secret="crm-own") == 200
    assert deliver(sim, "crm", PAYLOAD) == 401               # notify's secret: not this hook's
    assert deliver(sim, "erp", PAYLOAD) == 200               # others: webhook-signing still
    assert deliver(sim, "erp", PAYLOAD, secret="crm-own") == 401
    assert post(sim, "/_sim/hooks/register", {"name": "crm", "secret": ""})[0] == 200
    assert deliver(sim, "crm", PAYLOAD) == 200               # back to webhook-signing
    assert [h["name"] for h in get(sim, "/_sim/hooks")["messages"]] == ["crm", "erp", "crm"]


def test_registered_hook_secrets_are_forgotten_on_reset(sim):
    post(sim, "/_sim/hooks/register", {"name": "crm", "secret": "crm-own"})
    post(sim, "/_sim/reset", {})
    assert deliver(sim, "crm", PAYLOAD, secret="crm-own") == 401
    assert deliver(sim, "crm", PAYLOAD) == 200


def test_register_needs_a_name_and_a_secret(sim):
    for bad in ({"secret": "s"}, {"name": "", "secret": "s"}, {"name": "a/b", "secret": "s"},
                {"name": "crm"}, {"name": "crm", "secret": 5}):
        assert post(sim, "/_sim/hooks/register", bad)[0] == 400

"""Outgoing webhooks against the simulator's receiver, which checks X-Kefu-Signature with
the secrets folder's webhook-signing (or a hook's own registered secret): the body, the
headers, and each status's outcome."""
import hashlib
import hmac
import json
import uuid
from datetime import UTC, datetime

from services.notify.channels.base import Outgoing
from services.notify.channels.webhooks import OutgoingWebhook, payload


def hook(sim, name="crm", **kw) -> Outgoing:
    return Outgoing(message_id=str(uuid.uuid4()), address=f"{sim.url}/hooks/{name}", text="",
                    event=kw.pop("event", "ticket.closed"),
                    params=kw.pop("params", {"ticket": "T-1", "客户": "张三"}), **kw)


def channel(sim) -> OutgoingWebhook:
    return OutgoingWebhook((sim.secrets_dir / "webhook-signing").read_text().strip())


def test_a_signed_delivery_is_accepted_and_recorded(fresh):
    sent = hook(fresh)
    [result] = channel(fresh).send([sent], "a1")
    assert (result.outcome, result.code, result.provider_id) == \
        ("sent", "http.200", sent.message_id)
    [got] = fresh.get("/_sim/hooks", name="crm")["messages"]
    assert (got["event"], got["delivery"], got["repeat"]) == \
        ("ticket.closed", sent.message_id, False)
    assert got["body"]["id"] == sent.message_id and got["body"]["event"] == "ticket.closed"
    assert got["body"]["data"] == {"ticket": "T-1", "客户": "张三"}
    assert got["body"]["at"].endswith("Z")


def test_a_resend_carries_the_same_delivery_id(fresh):
    sent = hook(fresh)
    channel(fresh).send([sent], "a1")
    channel(fresh).send([sent], "a2")
    assert [g["repeat"] for g in fresh.get("/_sim/hooks")["messages"]] == [False, True]


def test_a_wrong_secret_is_refused_and_failed(fresh):
    [result] = OutgoingWebhook("not-the-secret").send([hook(fresh)], "a1")
    assert (result.outcome, result.code) == ("failed", "http.401")
    assert fresh.get("/_sim/hooks")["count"] == 0


def test_the_targets_own_secret_wins(fresh):
    [result] = OutgoingWebhook("not-the-secret").send(
        [hook(fresh, secret=(fresh.secrets_dir / "webhook-signing").read_text().strip())],
        "a1")
    assert result.outcome == "sent"


def test_a_target_with_its_own_secret_is_signed_with_it(fresh):
    """The simulator checks a hook registered with its own secret against that secret."""
    fresh.post("/_sim/hooks/register", {"name": "erp", "secret": "erp-own-secret"})
    [own] = channel(fresh).send([hook(fresh, "erp", secret="erp-own-secret")], "a1")
    assert (own.outcome, own.code) == ("sent", "http.200")
    [shared] = channel(fresh).send([hook(fresh, "erp")], "a2")   # notify's secret
    assert (shared.outcome, shared.code) == ("failed", "http.401")
    assert [g["name"] for g in fresh.get("/_sim/hooks")["messages"]] == ["erp"]


def test_5xx_is_retry_429_throttled_4xx_failed(fresh):
    fresh.configure(hook_fail={"a": {"count": 1, "status": 503},
                               "b": {"count": 1, "status": 429},
                               "c": {"count": 1, "status": 410}})
    results = channel(fresh).send([hook(fresh, "a"), hook(fresh, "b"), hook(fresh, "c")], "x")
    assert [(r.outcome, r.code) for r in results] == [
        ("retry", "http.503"), ("throttled", "http.429"), ("failed", "http.410")]
    assert results[0].maybe_taken is True and not results[0].provider_id
    # The next delivery to "a" goes through.
    assert channel(fresh).send([hook(fresh, "a")], "y")[0].outcome == "sent"


def test_not_an_http_url_is_failed(fresh):
    [result] = channel(fresh).send([Outgoing("m", "file:///etc/passwd", "", event="e")], "a")
    assert (result.outcome, result.code) == ("failed", "kefu.BadAddress")


def test_signature_header_signs_the_raw_body():
    """The header as a receiver recomputes it (independent of the simulator)."""
    seen = {}

    class Session:
        def post(self, url, data, headers, **kw):
            seen.update(data=data, headers=headers)
            raise OSError("stop here")

    message = Outgoing("m-1", "https://example.com/h", "", event="e.v", params={"k": 1})
    OutgoingWebhook("sekret", session=Session(), clock=lambda: 1_700_000_000.5).send(
        [message], "a")
    t, _, mac = seen["headers"]["X-Kefu-Signature"].partition(",v1=")
    assert t == "t=1700000000"
    assert mac == hmac.new(b"sekret", b"1700000000." + seen["data"], hashlib.sha256).hexdigest()
    assert seen["headers"]["X-Kefu-Delivery"] == "m-1"
    assert seen["headers"]["X-Kefu-Event"] == "e.v"
    assert json.loads(seen["data"]) == {"id": "m-1", "event": "e.v",
                                        "at": "2023-11-14T22:13:20Z", "data": {"k": 1}}
    assert seen["data"] == payload(message, datetime.fromtimestamp(1_700_000_000, UTC))

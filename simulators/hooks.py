"""Outgoing webhooks' receiver: `/hooks/<name>` checks X-Kefu-Signature with the hook's
own secret when one is registered (`POST /_sim/hooks/register`: notify signs with a
target's own secret when it has one), else with `<secrets>/webhook-signing` (401 when
wrong), records the delivery (marking repeats of an X-Kefu-Delivery), and can be told to
fail the next n deliveries (retry tests)."""
import time

from simulators import signing
from simulators.http import Answer, HttpError, Request, bad_request, json_answer, route
from simulators.state import iso


def deliver(sim, req: Request) -> Answer:
    name = req.params["name"]
    with sim.state.lock:
        failing = sim.state.hook_fail.get(name)
        if failing and failing[0] > 0:
            failing[0] -= 1
            return json_answer({"error": "failing on purpose"}, failing[1])
        secret = sim.state.hook_secrets.get(name) or sim.secrets["webhook"]
    if not signing.check_timed_signature(req.header("x-kefu-signature"), req.body, secret):
        return json_answer({"error": "bad signature"}, 401)
    try:
        body = req.json()
    except HttpError:
        body = req.body.decode("utf-8", "replace")
    delivery = req.header("x-kefu-delivery")
    with sim.state.lock:
        repeat = bool(delivery) and delivery in sim.state.hook_seen
        sim.state.hook_seen.add(delivery)
        sim.state.hooks.append({
            "id": sim.state.next_id(), "name": name, "event": req.header("x-kefu-event"),
            "delivery": delivery, "repeat": repeat, "body": body,
            "received_at": iso(time.time())})
        sim.state.stats["hook_deliveries"] += 1
    return json_answer({"ok": True})


def register(sim, req: Request) -> Answer:
    """`{"name", "secret"}`: deliveries to `/hooks/<name>` are checked with that secret
    (and no longer with webhook-signing); an empty secret goes back to webhook-signing.
    Forgotten on reset."""
    body = req.json_object()
    name, secret = body.get("name"), body.get("secret")
    if not isinstance(name, str) or not name or "/" in name or not isinstance(secret, str):
        raise bad_request("needs name (a hook's, no '/') and secret")
    with sim.state.lock:
        if secret:
            sim.state.hook_secrets[name] = secret
        else:
            sim.state.hook_secrets.pop(name, None)
    return json_answer({"ok": True})


def listing(sim, req: Request) -> Answer:
    name = req.query.get("name")
    with sim.state.lock:
        found = [dict(h) for h in sim.state.hooks if not name or h["name"] == name]
    return json_answer({"messages": found, "count": len(found)})


ROUTES = [
    route("POST", r"/hooks/(?P<name>[^/]+)", deliver),
    route("POST", r"/_sim/hooks/register", register),
    route("GET", r"/_sim/hooks", listing),
]

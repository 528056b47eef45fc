"""Outgoing webhooks' receiver: `/hooks/<name>` checks X-Kefu-Signature with
`<secrets>/webhook-signing` (401 when wrong), records the delivery (marking repeats of
an X-Kefu-Delivery), and can be told to fail the next n deliveries (retry tests)."""
import time

from simulators import signing
from simulators.http import Answer, HttpError, Request, json_answer, route
from simulators.state import iso


def deliver(sim, req: Request) -> Answer:
    name = req.params["name"]
    with sim.state.lock:
        failing = sim.state.hook_fail.get(name)
        if failing and failing[0] > 0:
            failing[0] -= 1
            return json_answer({"error": "failing on purpose"}, failing[1])
    if not signing.check_timed_signature(req.header("x-kefu-signature"), req.body,
                                         sim.secrets["webhook"]):
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


def listing(sim, req: Request) -> Answer:
    name = req.query.get("name")
    with sim.state.lock:
        found = [dict(h) for h in sim.state.hooks if not name or h["name"] == name]
    return json_answer({"messages": found, "count": len(found)})


ROUTES = [
    route("POST", r"/hooks/(?P<name>[^/]+)", deliver),
    route("GET", r"/_sim/hooks", listing),
]

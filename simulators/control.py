"""The reading and steering API under `/_sim/`: SMS accepted, behaviour (config),
counters, reset, and a customer's uplink posted to notify."""
import time

from simulators import phones
from simulators.http import Answer, Request, bad_request, digits, json_answer, route
from simulators.receipts import PROVIDERS, post_callback
from simulators.state import public_sms


def sms(sim, req: Request) -> Answer:
    q = req.query
    phone = phones.normalize(q["phone"]) or q["phone"] if q.get("phone") else None
    limit = q.get("limit", "")
    if limit and not digits(limit):
        raise bad_request("limit must be a number")
    with sim.state.lock:
        found = [public_sms(r) for r in sim.state.sms
                 if (phone is None or r["phone"] == phone)
                 and (not q.get("provider") or r["provider"] == q["provider"])
                 and (not q.get("out_id") or r["out_id"] == q["out_id"])]
    shown = found[-int(limit):] if limit and int(limit) else ([] if limit else found)
    return json_answer({"messages": shown, "count": len(found)})


def _share(value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and 0 <= value <= 1


def _whole(value, low: int, high: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high


def _hook_fail(value) -> dict:
    """{"<name>": n} or {"<name>": {"count": n, "status": 503}} -> {name: [n, status]}."""
    if not isinstance(value, dict):
        raise bad_request("hook_fail must be an object")
    out = {}
    for name, spec in value.items():
        count, status = (spec.get("count"), spec.get("status", 503)) \
            if isinstance(spec, dict) else (spec, 503)
        if not _whole(count, 0, 10**6) or not _whole(status, 400, 599):
            raise bad_request("hook_fail: a count (0..) and a status (400..599) per hook")
        out[name] = [count, status]
    return out


def set_config(sim, req: Request) -> Answer:
    body = req.json_object()
    checks = {"qps": lambda v: _whole(v, 1, 10**6), "fail_share": _share,
              "fail_next": lambda v: _whole(v, 0, 10**6),
              "undelivered_share": _share, "receipt_delay_ms": lambda v: _whole(v, 0, 3_600_000),
              "answer_delay_ms": lambda v: _whole(v, 0, 60_000),
              "blacklist": lambda v: isinstance(v, list), "hook_fail": lambda v: True}
    unknown = set(body) - set(checks)
    if unknown:
        raise bad_request(f"unknown settings: {', '.join(sorted(unknown))}")
    for key, value in body.items():
        if not checks[key](value):
            raise bad_request(f"bad value for {key}")
    changes = dict(body)
    if "blacklist" in changes:
        numbers = [phones.normalize(n) for n in changes["blacklist"]]
        if None in numbers:
            raise bad_request("blacklist holds mainland mobile numbers")
        changes["blacklist"] = sorted(set(numbers))
    hook_fail = _hook_fail(changes.pop("hook_fail")) if "hook_fail" in changes else None
    with sim.state.lock:
        sim.state.config.update(changes)
        if hook_fail is not None:
            sim.state.hook_fail.update(hook_fail)
    return get_config(sim, req)


def get_config(sim, req: Request) -> Answer:
    with sim.state.lock:
        config = dict(sim.state.config, blacklist=list(sim.state.config["blacklist"]),
                      hook_fail={k: {"count": v[0], "status": v[1]}
                                 for k, v in sim.state.hook_fail.items() if v[0]})
    return json_answer(config)


def stats(sim, req: Request) -> Answer:
    with sim.state.lock:
        return json_answer(dict(sim.state.stats))


def reset(sim, req: Request) -> Answer:
    sim.reset()
    return json_answer({"ok": True})


def uplink(sim, req: Request) -> Answer:
    body = req.json_object()
    provider, text = body.get("provider"), body.get("text")
    phone = phones.normalize(body.get("phone"))
    if provider not in PROVIDERS or phone is None or not isinstance(text, str):
        raise bad_request("needs provider (aliyun, tencent), a mainland mobile phone and text")
    if not sim.callback_base:
        raise bad_request("the simulator has no callback base")
    sign = sim.state.last_sign(provider, phone)
    payload = PROVIDERS[provider].uplink(phone, text, sign, sim.state.next_id(), time.time())
    try:
        status, answer, content_type = post_callback(sim, provider, "uplink", payload)
    except OSError as e:
        return json_answer({"error": "callback_unreachable", "message": str(e)}, 502)
    return Answer(status, answer, content_type or "application/octet-stream")


ROUTES = [
    route("GET", r"/_sim/sms", sms),
    route("GET", r"/_sim/config", get_config),
    route("POST", r"/_sim/config", set_config),
    route("GET", r"/_sim/stats", stats),
    route("POST", r"/_sim/reset", reset),
    route("POST", r"/_sim/uplink", uplink),
]

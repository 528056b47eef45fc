"""Group robots: DingTalk (timestamp + sign), WeCom (key) and Feishu (sign in the body),
each limited to 20 messages a minute per robot.  Robot secrets are known to the
simulator only when registered (`POST /_sim/robots/register`)."""
import time

from simulators import signing
from simulators.http import Answer, Request, bad_request, digits, json_answer, route
from simulators.state import iso

PLATFORMS = ("dingtalk", "wecom", "feishu")
PER_MINUTE = 20
MAX_SKEW = 3600   # seconds a sign's timestamp may be off


def _record(sim, platform: str, token: str, msgtype: str, content: str, title: str,
            signed) -> None:
    with sim.state.lock:
        sim.state.robots.append({
            "id": sim.state.next_id(), "platform": platform, "token": token,
            "msgtype": msgtype, "title": title, "content": content, "signed": signed,
            "received_at": iso(time.time())})
        sim.state.stats["robot_messages"] += 1


def _secret(sim, platform: str, token: str) -> str | None:
    with sim.state.lock:
        return sim.state.robot_secrets.get((platform, token))


def _verify(secret: str | None, timestamp: str, sign: str, good_sign, unit: float):
    """True / False / "unverified" (a sign we have no secret for) / None (none needed)."""
    if not secret:
        return "unverified" if sign else None
    if not digits(timestamp, 15) or not sign:
        return False
    if abs(time.time() - int(timestamp) / unit) > MAX_SKEW:
        return False
    return signing.same(good_sign(secret, timestamp), sign)


def _admit(sim, platform: str, token: str) -> bool:
    return sim.state.admit(("robot", platform, token), PER_MINUTE, 60.0)


def _text_or_markdown(body: dict, markdown_field: str) -> tuple[str, str, str] | None:
    msgtype = body.get("msgtype")
    part = body.get(msgtype) if msgtype in ("text", "markdown") else None
    field = "content" if msgtype == "text" else markdown_field
    if not isinstance(part, dict) or not isinstance(part.get(field), str):
        return None
    return msgtype, part[field], part.get("title", "") if msgtype == "markdown" else ""


def dingtalk(sim, req: Request) -> Answer:
    token = req.query.get("access_token", "")
    if not token:
        raise bad_request("access_token missing")
    body = req.json_object()
    signed = _verify(_secret(sim, "dingtalk", token), req.query.get("timestamp", ""),
                     req.query.get("sign", ""), signing.dingtalk_sign, 1000.0)
    if signed is False:
        return json_answer({"errcode": 310000, "errmsg": "sign not match or timestamp stale"})
    message = _text_or_markdown(body, "text")
    if message is None:
        return json_answer({"errcode": 40035, "errmsg": "缺少参数 json"})
    if not _admit(sim, "dingtalk", token):
        return json_answer({"errcode": 130101,
                            "errmsg": "send too fast, exceed 20 times per minute"})
    _record(sim, "dingtalk", token, *message, signed=signed or False)
    return json_answer({"errcode": 0, "errmsg": "ok"})


def wecom(sim, req: Request) -> Answer:
    key = req.query.get("key", "")
    if not key:
        return json_answer({"errcode": 93000, "errmsg": "invalid webhook url"})
    body = req.json_object()
    message = _text_or_markdown(body, "content")
    if message is None:
        return json_answer({"errcode": 40008, "errmsg": "invalid message type"})
    if not _admit(sim, "wecom", key):
        return json_answer({"errcode": 45009, "errmsg": "api freq out of limit"})
    _record(sim, "wecom", key, *message, signed=False)
    return json_answer({"errcode": 0, "errmsg": "ok"})


def _feishu_message(body: dict) -> tuple[str, str, str] | None:
    kind = body.get("msg_type")
    if kind == "text":
        text = (body.get("content") or {}).get("text") if isinstance(body.get("content"),
                                                                      dict) else None
        return (kind, text, "") if isinstance(text, str) else None
    card = body.get("card")
    if kind != "interactive" or not isinstance(card, dict):
        return None
    elements = card.get("elements") if isinstance(card.get("elements"), list) else []
    texts = [e["content"] for e in elements
             if isinstance(e, dict) and e.get("tag") == "markdown"
             and isinstance(e.get("content"), str)]
    if not texts:
        return None
    header = card.get("header") if isinstance(card.get("header"), dict) else {}
    title = header.get("title") if isinstance(header.get("title"), dict) else {}
    return kind, "\n".join(texts), str(title.get("content", ""))


def feishu(sim, req: Request) -> Answer:
    token = req.params["token"]
    body = req.json_object()
    signed = _verify(_secret(sim, "feishu", token), str(body.get("timestamp", "")),
                     str(body.get("sign", "")), signing.feishu_sign, 1.0)
    if signed is False:
        return json_answer({"code": 19021, "msg": "sign match fail or timestamp is not within "
                                                  "one hour from current time"})
    message = _feishu_message(body)
    if message is None:
        return json_answer({"code": 9499, "msg": "Bad Request"})
    if not _admit(sim, "feishu", token):
        return json_answer({"code": 11232, "msg": "frequency limited"})
    _record(sim, "feishu", token, *message, signed=signed or False)
    return json_answer({"code": 0, "msg": "success", "data": {}})


def register(sim, req: Request) -> Answer:
    body = req.json_object()
    platform, token, secret = body.get("platform"), body.get("token"), body.get("secret", "")
    if platform not in PLATFORMS or not isinstance(token, str) or not token \
            or not isinstance(secret, str):
        raise bad_request("needs platform (dingtalk, wecom, feishu), token and secret")
    with sim.state.lock:
        sim.state.robot_secrets[(platform, token)] = secret
    return json_answer({"ok": True})


def listing(sim, req: Request) -> Answer:
    platform, token = req.query.get("platform"), req.query.get("token")
    with sim.state.lock:
        found = [dict(m) for m in sim.state.robots
                 if (not platform or m["platform"] == platform)
                 and (not token or m["token"] == token)]
    return json_answer({"messages": found, "count": len(found)})


ROUTES = [
    route("POST", r"/dingtalk/robot/send", dingtalk),
    route("POST", r"/wecom/cgi-bin/webhook/send", wecom),
    route("POST", r"/feishu/open-apis/bot/v2/hook/(?P<token>[^/]+)", feishu),
    route("POST", r"/_sim/robots/register", register),
    route("GET", r"/_sim/robots", listing),
]

"""Group robots (群机器人) of DingTalk, WeCom and Feishu: one message per send().

The Outgoing's address is the robot's full webhook URL; its path names the platform:
`/robot/send` DingTalk, `/cgi-bin/webhook/send` WeCom, `/open-apis/bot/v2/hook/` Feishu.
Text, or markdown when Outgoing.markdown (the subject as its title).  With a secret
(Outgoing.secret), DingTalk's URL carries `timestamp` and `sign` and Feishu's body
`timestamp` and `sign`; WeCom has no signing.

Answers: errcode / code 0 sent; the platforms' rate limits throttled; bad signature or
key, and a body without a known message type (sending it again cannot help), failed;
HTTP 5xx, timeouts and codes not listed in docs/providers.md retry.
"""
import json
import logging
import time
from collections.abc import Callable
from urllib.parse import quote, urlsplit

import requests

from services.notify.channels.base import Outcome, Outgoing, Result
from services.notify.channels.masking import mask_address, scrub
from services.notify.channels.signing import dingtalk_sign, feishu_sign
from services.notify.channels.transport import Transport, TransportFailure

log = logging.getLogger(__name__)

PLATFORMS = (("/robot/send", "dingtalk"), ("/cgi-bin/webhook/send", "wecom"),
             ("/open-apis/bot/v2/hook/", "feishu"))
THROTTLED = {"dingtalk": {130101}, "wecom": {45009}, "feishu": {11232}}
# Permanent (docs/providers.md): a bad sign or stale timestamp (DingTalk 310000, Feishu
# 19021), an invalid key (WeCom 93000), a body without a known message type and its
# content (DingTalk 40035, WeCom 40008, Feishu 9499).
FAILED = {"dingtalk": {310000, 40035}, "wecom": {93000, 40008}, "feishu": {19021, 9499}}
MAX_TEXT = 20000           # characters; the platforms refuse longer messages anyway


def platform_of(url: str) -> str | None:
    """"dingtalk", "wecom", "feishu", or None for a URL that is no robot's."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    for marker, platform in PLATFORMS:
        if marker in parts.path:
            return platform
    return None


def body_of(platform: str, message: Outgoing, secret_timestamp: int | None) -> dict:
    """The JSON body of a message for a platform (Feishu's carries its signature)."""
    text, title = message.text[:MAX_TEXT], message.subject or message.text[:30]
    if platform == "dingtalk":
        return ({"msgtype": "markdown", "markdown": {"title": title, "text": text}}
                if message.markdown else {"msgtype": "text", "text": {"content": text}})
    if platform == "wecom":
        if message.markdown:
            content = f"### {message.subject}\n{text}" if message.subject else text
            return {"msgtype": "markdown", "markdown": {"content": content}}
        return {"msgtype": "text", "text": {"content": text}}
    body: dict = {}
    if secret_timestamp is not None:
        body = {"timestamp": str(secret_timestamp),
                "sign": feishu_sign(message.secret, secret_timestamp)}
    if message.markdown:
        card: dict = {"elements": [{"tag": "markdown", "content": text}]}
        if message.subject:
            card["header"] = {"title": {"tag": "plain_text", "content": message.subject}}
        return {**body, "msg_type": "interactive", "card": card}
    return {**body, "msg_type": "text", "content": {"text": text}}


def outcome_of(platform: str, code: int) -> Outcome:
    if code == 0:
        return "sent"
    if code in THROTTLED[platform]:
        return "throttled"
    if code in FAILED[platform]:
        return "failed"
    return "retry"


class RobotWebhook:
    """Channel "robot": the group robots' webhooks."""

    name = "robot"
    batch_size = 1

    def __init__(self, session: requests.Session | None = None, timeout: float = 5,
                 clock: Callable[[], float] = time.time):
        self.transport = Transport(session, timeout)
        self.clock = clock

    def send(self, batch: list[Outgoing], attempt_id: str) -> list[Result]:
        return [self._send_one(message) for message in batch]

    def _send_one(self, message: Outgoing) -> Result:
        platform = platform_of(message.address)
        if platform is None:
            return Result(message.message_id, "failed", code="kefu.BadAddress",
                          detail="unknown robot url")
        url, now = message.address, self.clock()
        signed_at: int | None = None
        if message.secret and platform == "dingtalk":
            ms = int(now * 1000)
            url += ("&" if urlsplit(url).query else "?") + \
                f"timestamp={ms}&sign={quote(dingtalk_sign(message.secret, ms), safe='')}"
        elif message.secret and platform == "feishu":
            signed_at = int(now)
        body = json.dumps(body_of(platform, message, signed_at), ensure_ascii=False)
        try:
            reply = self.transport.post(url, data=body.encode(), headers={
                "Content-Type": "application/json; charset=utf-8"})
        except TransportFailure as e:
            log.warning("robot %s %s: %s", platform, mask_address(message.address), e.code)
            return Result(message.message_id, "retry", code=e.code, detail=e.detail,
                          maybe_taken=e.maybe_taken)
        answer = reply.json()
        key = "code" if platform == "feishu" else "errcode"
        code = answer.get(key) if isinstance(answer, dict) else None
        if reply.status == 429:
            return Result(message.message_id, "throttled", code="http.429")
        if not isinstance(code, int) or isinstance(code, bool):
            # No platform answer: 5xx and an unreadable 2xx retried (it may have been
            # posted), other statuses (a wrong URL) failed.
            retry = reply.status >= 500 or reply.status < 300
            return Result(message.message_id, "retry" if retry else "failed",
                          code=f"http.{reply.status}", detail="no platform answer",
                          maybe_taken=retry)
        outcome = outcome_of(platform, code)
        detail = scrub(str(answer.get("errmsg" if key == "errcode" else "msg") or ""))
        if outcome != "sent":
            log.warning("robot %s %s: %s %s", platform, mask_address(message.address),
                        code, detail)
        return Result(message.message_id, outcome,
                      provider_id=message.message_id if outcome == "sent" else "",
                      code=str(code), detail=detail)

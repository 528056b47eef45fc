"""SMS through a Tencent Cloud-shaped provider (SMS API 3.0, TC3-HMAC-SHA256;
docs/providers.md).

send(): messages with the same template, signature and parameters go in one SendSms
(≤ 200 numbers; SessionContext = the message id for one number, else the attempt id);
the answer has a status per number (SendStatusSet), or one Response.Error for the whole
request.  TemplateParamSet is positional: Outgoing.params in Outgoing.param_order (a
name of param_order missing from params fails the message without asking; params not
named in param_order are not sent).

taken(): PullSmsSendStatusByPhoneNumber per distinct phone from `since`, matching
SessionContext against the attempt id and the message ids (the simulator includes it;
Tencent's real pull results do not — see docs/providers.md).  A record under the attempt
id names no template, so when several messages of the attempt to its phone are still
open it is matched to none of them (see _match).
"""
import json
import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime
from urllib.parse import urlsplit

import requests

from services.notify.channels import callbacks
from services.notify.channels.base import (
    ChannelError,
    Outcome,
    Outgoing,
    Receipt,
    Result,
    Uplink,
)
from services.notify.channels.masking import mask_phone, scrub
from services.notify.channels.signing import tc3_authorization, verify_timestamped
from services.notify.channels.transport import Reply, Transport, TransportFailure

log = logging.getLogger(__name__)

VERSION = "2021-01-11"
SERVICE = "sms"
CONTENT_TYPE = "application/json; charset=utf-8"
OK = "Ok"
THROTTLED = frozenset({"RequestLimitExceeded", "LimitExceeded.PhoneNumberThirtySecondLimit"})
FAILED = frozenset({
    "InvalidParameterValue.IncorrectPhoneNumber", "FailedOperation.PhoneNumberInBlacklist",
    "FailedOperation.TemplateIncorrectOrUnapproved",
    "FailedOperation.SignatureIncorrectOrUnapproved",
    "InvalidParameterValue.TemplateParameterFormatError",
})
MAX_BATCH = 200
PULL_LIMIT = 100
MAX_PAGES = 10             # per phone in taken(): 1000 records
PULL_SLACK = 60            # seconds before `since` pulled too (clock differences)


def outcome_of(code: str) -> Outcome:
    """The outcome of a provider code.  Per-number frequency limits (LimitExceeded.*) are
    "throttled"; InternalError, auth errors (our configuration) and codes not in
    docs/providers.md are "retry": the provider did not take the message."""
    if code == OK:
        return "sent"
    if code in THROTTLED or code.startswith("LimitExceeded."):
        return "throttled"
    if code in FAILED:
        return "failed"
    return "retry"


class TencentSms:
    """SmsProvider for the Tencent Cloud-shaped API at `{base_url}/tencent/`."""

    name = "sms"
    provider = "tencent"
    batch_size = MAX_BATCH
    callback_answer = {"result": 0, "errmsg": "OK"}

    def __init__(self, base_url: str, secret_id: str, secret_key: str, sdk_app_id: str,
                 callback_secret: str, region: str = "ap-guangzhou",
                 session: requests.Session | None = None, timeout: float = 5.0,
                 clock: Callable[[], float] = time.time):
        self.url = base_url.rstrip("/") + "/tencent/"
        self.host = urlsplit(self.url).netloc.rpartition("@")[2]
        self.secret_id = secret_id
        self.secret_key = secret_key
        self.sdk_app_id = str(sdk_app_id)
        self.callback_secret = callback_secret
        self.region = region
        self.transport = Transport(session, timeout)
        self.clock = clock

    # -- sending ----------------------------------------------------------------------
    def send(self, batch: list[Outgoing], attempt_id: str) -> list[Result]:
        results: dict[int, Result] = {}
        groups: dict[tuple, list[int]] = {}
        for i, message in enumerate(batch):
            values = _positional(message)
            if isinstance(values, Result):
                results[i] = values
            else:
                key = (message.template_code, message.sign_name, tuple(values))
                groups.setdefault(key, []).append(i)
        for (template, sign, values), indexes in groups.items():
            for start in range(0, len(indexes), MAX_BATCH):
                chunk = indexes[start:start + MAX_BATCH]
                messages = [batch[i] for i in chunk]
                payload = {
                    "PhoneNumberSet": [m.address for m in messages],
                    "SmsSdkAppId": self.sdk_app_id, "SignName": sign, "TemplateId": template,
                    "TemplateParamSet": list(values),
                    "SessionContext": messages[0].message_id if len(chunk) == 1
                    else attempt_id,
                }
                results.update(zip(chunk, self._send(messages, payload), strict=True))
        return [results[i] for i in range(len(batch))]

    def _send(self, messages: list[Outgoing], payload: dict) -> list[Result]:
        try:
            reply = self.call("SendSms", payload)
        except TransportFailure as e:
            return self._all(messages, e.code, e.detail, e.maybe_taken)
        response = _response(reply)
        if response is None:
            return self._all(messages, f"http.{reply.status}", "no provider answer",
                             reply.status < 400 or reply.status >= 500)
        error = response.get("Error")
        if isinstance(error, dict):
            return self._all(messages, str(error.get("Code") or "kefu.NoCode"),
                             scrub(str(error.get("Message") or "")), False)
        statuses = response.get("SendStatusSet")
        if not isinstance(statuses, list):
            return self._all(messages, "kefu.NoStatus", "no SendStatusSet", True)
        return self._per_number(messages, statuses)

    def _per_number(self, messages: list[Outgoing], statuses: list) -> list[Result]:
        """A result per message from the status of its number: matched by the number as
        sent, else as E.164, else by position (the answer keeps the request's order); a
        number twice in one request takes two statuses."""
        waiting: dict[str, list[int]] = {}
        for i, m in enumerate(messages):
            waiting.setdefault(m.address, []).append(i)
        results: dict[int, Result] = {}
        for position, status in enumerate(statuses):
            if not isinstance(status, dict):
                continue
            raw = status.get("PhoneNumber")
            queue = waiting.get(raw if isinstance(raw, str) else "") or \
                waiting.get(callbacks.e164(raw) or "")
            if queue:
                i = queue.pop(0)
            elif position < len(messages) and \
                    position in waiting.get(messages[position].address, []):
                i = position
                waiting[messages[i].address].remove(i)
            else:
                continue
            code = str(status.get("Code") or "kefu.NoCode")
            serial = status.get("SerialNo")
            outcome = outcome_of(code)
            if outcome == "sent" and not (isinstance(serial, str) and serial):
                results[i] = Result(messages[i].message_id, "retry", code=code,
                                    detail="Ok without SerialNo", maybe_taken=True)
                continue
            detail = scrub(str(status.get("Message") or ""))
            if outcome != "sent":
                log.warning("tencent %s for %s: %s", code, mask_phone(messages[i].address),
                            detail)
            results[i] = Result(messages[i].message_id, outcome,
                                serial if outcome == "sent" and isinstance(serial, str)
                                else "", code, detail)
        return [results.get(i) or Result(m.message_id, "retry", code="kefu.NoStatus",
                                         detail="no status for this number",
                                         maybe_taken=True)
                for i, m in enumerate(messages)]

    def _all(self, messages: list[Outgoing], code: str, detail: str, maybe_taken: bool
             ) -> list[Result]:
        """The same result for every message of a request (a request-level answer)."""
        outcome = outcome_of(code)
        log.warning("tencent %s for %s: %s", code,
                    ",".join(mask_phone(m.address) for m in messages[:5]), detail)
        return [Result(m.message_id, outcome, code=code, detail=detail,
                       maybe_taken=maybe_taken and outcome == "retry") for m in messages]

    def call(self, action: str, payload: dict) -> Reply:
        """POST one TC3-signed call; raises TransportFailure."""
        body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
        timestamp = int(self.clock())
        headers = {
            "Content-Type": CONTENT_TYPE, "Host": self.host,
            "Authorization": tc3_authorization(self.secret_id, self.secret_key, SERVICE,
                                               timestamp, CONTENT_TYPE, self.host, body),
            "X-TC-Action": action, "X-TC-Version": VERSION,
            "X-TC-Timestamp": str(timestamp), "X-TC-Region": self.region,
        }
        return self.transport.post(self.url, data=body, headers=headers)

    # -- settling a send cut short ----------------------------------------------------
    def taken(self, messages: list[Outgoing], attempt_id: str,
              since: datetime) -> dict[str, str]:
        begin = int((since if since.tzinfo else since.replace(tzinfo=UTC)).timestamp())
        by_phone: dict[str, list[Outgoing]] = {}
        for message in messages:
            by_phone.setdefault(message.address, []).append(message)
        found: dict[str, str] = {}
        for phone, candidates in by_phone.items():
            _match(self._pulled(phone, max(0, begin - PULL_SLACK)), candidates, attempt_id,
                   found)
        return found

    def _pulled(self, phone: str, begin: int) -> list[dict]:
        records: list[dict] = []
        for page in range(MAX_PAGES):
            payload = {"BeginTime": begin, "Offset": page * PULL_LIMIT, "Limit": PULL_LIMIT,
                       "PhoneNumber": phone, "SmsSdkAppId": self.sdk_app_id}
            try:
                reply = self.call("PullSmsSendStatusByPhoneNumber", payload)
            except TransportFailure as e:
                raise ChannelError(f"tencent PullSmsSendStatusByPhoneNumber: {e.code}") from e
            response = _response(reply)
            if response is None or isinstance(response.get("Error"), dict):
                error = response.get("Error") if response else None
                code = error.get("Code") if isinstance(error, dict) else reply.status
                raise ChannelError(f"tencent PullSmsSendStatusByPhoneNumber: {code}")
            items = response.get("PullSmsSendStatusSet")
            items = [i for i in items if isinstance(i, dict)] if isinstance(items, list) else []
            records += items
            if len(items) < PULL_LIMIT:
                break
        return records

    # -- callbacks --------------------------------------------------------------------
    def verify_callback(self, headers: dict, body: bytes) -> bool:
        return verify_timestamped(self.callback_secret,
                                  callbacks.header(headers, "X-Provider-Signature"),
                                  body, self.clock())

    def receipts(self, body: bytes) -> list[Receipt]:
        found = []
        for item in callbacks.json_body(body, list):
            if not isinstance(item, dict):
                continue
            phone = callbacks.e164(item.get("mobile"), item.get("nationcode") or "86")
            sid = callbacks.text(item, "sid", 100)
            status = item.get("report_status")
            if phone is None or not sid or status not in ("SUCCESS", "FAIL"):
                continue
            found.append(Receipt(
                provider_id=sid, phone=phone,
                out_id=callbacks.text(item, "session_context", 100) or "",
                delivered=status == "SUCCESS", code=callbacks.text(item, "errmsg", 100) or "",
                at=callbacks.moment(item.get("user_receive_time"))))
        return found

    def uplinks(self, body: bytes) -> list[Uplink]:
        item = callbacks.json_body(body, dict)
        phone = callbacks.e164(item.get("mobile"), item.get("nationcode") or "86")
        content = callbacks.text(item, "text", 2000)
        if phone is None or content is None:
            return []
        return [Uplink(phone=phone, text=content, at=callbacks.moment(item.get("time")))]


def _positional(message: Outgoing) -> list[str] | Result:
    """The template's parameters in their positional order, or a failed result when the
    message cannot be sent as it is."""
    address = message.address
    if not (address.startswith("+") and address[1:].isdigit() and 8 <= len(address) <= 16):
        return Result(message.message_id, "failed", code="kefu.BadAddress",
                      detail="not an E.164 phone number")
    if not message.template_code:
        return Result(message.message_id, "failed", code="kefu.NoTemplate",
                      detail="no template id")
    missing = [name for name in message.param_order if name not in message.params]
    if missing:
        return Result(message.message_id, "failed", code="kefu.ParamOrder",
                      detail=f"missing parameter(s) {', '.join(map(str, missing))}")
    # An empty param_order sends no parameters (params beyond the template's are context).
    return [str(message.params[name]) for name in message.param_order]


def _response(reply: Reply) -> dict | None:
    body = reply.json()
    response = body.get("Response") if isinstance(body, dict) else None
    return response if isinstance(response, dict) else None


def _match(records: list[dict], candidates: list[Outgoing], attempt_id: str,
           found: dict[str, str]) -> None:
    """Mark the messages the pulled records of one phone stand for as taken, with each
    record's SerialNo: first those whose SessionContext is a message's own id (a request
    of one number), then those under the attempt's id (a request of several numbers).

    A record under the attempt id tells only the phone: it names neither the template
    nor the parameters (the pull carries no TemplateId, unlike Aliyun's TemplateCode).
    It is matched only when a single message of the attempt to that phone is still open.
    With several open it is matched to none: recover() then queues every unmatched one
    again, so the one the provider had is sent twice (a duplicate), whereas a guess, when
    wrong, marks sent a message the provider never got (lost) and sends the one it had a
    second time anyway.  Losing a message is worse than a duplicate."""
    usable = [(r["SessionContext"], r["SerialNo"]) for r in records
              if isinstance(r.get("SerialNo"), str) and r["SerialNo"]
              and isinstance(r.get("SessionContext"), str)]
    by_id = {m.message_id: m for m in candidates}
    used = set(found.values())
    for context, serial in usable:
        if context != attempt_id and context in by_id and context not in found \
                and serial not in used:
            found[context] = serial
            used.add(serial)
    for context, serial in usable:
        if context != attempt_id or serial in used:
            continue
        open_ = [m for m in candidates if m.message_id not in found]
        if len(open_) != 1:
            return      # none open, or several the record cannot tell apart
        found[open_[0].message_id] = serial
        used.add(serial)

"""SMS through an Alibaba Cloud-shaped provider (Dysmsapi, RPC style; docs/providers.md).

send(): one message -> SendSms (OutId = the message id); several with one template ->
SendBatchSms (OutId = the attempt id; one BizId for all).  Messages of one send() with
different templates go in separate requests.  A batch refused for one message's fault
(invalid or blacklisted number, missing parameter) was not taken at all, so that group is
sent again one by one to find the bad message(s) and send the others.

taken(): QuerySendDetails per distinct phone, for each China-time day from `since` to
today, matching OutId against the attempt id and the message ids.
"""
import json
import logging
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import requests

from services.common.zone import CHINA
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
from services.notify.channels.signing import pop_signature, verify_timestamped
from services.notify.channels.transport import Reply, Transport, TransportFailure

log = logging.getLogger(__name__)

VERSION = "2017-05-25"
OK = "OK"
THROTTLED = frozenset({"Throttling.User", "isv.BUSINESS_LIMIT_CONTROL"})
FAILED = frozenset({
    "isv.MOBILE_NUMBER_ILLEGAL", "isv.BLACK_KEY_CONTROL_LIMIT", "isv.SMS_TEMPLATE_ILLEGAL",
    "isv.SMS_SIGNATURE_ILLEGAL", "isv.TEMPLATE_MISSING_PARAMETERS",
})
# A batch refused with one of these names one message's fault, not the batch's.
ONE_MESSAGES_FAULT = frozenset({
    "isv.MOBILE_NUMBER_ILLEGAL", "isv.BLACK_KEY_CONTROL_LIMIT",
    "isv.TEMPLATE_MISSING_PARAMETERS",
})
SIGNATURE_ILLEGAL = "isv.SMS_SIGNATURE_ILLEGAL"
MAX_BATCH = 100
PAGE_SIZE = 50
MAX_PAGES = 20             # per phone and day in taken(): 1000 records
MAX_DAYS = 30              # the provider keeps 30 days of send details


def outcome_of(code: str) -> Outcome:
    """The outcome of a provider code.  isp.SYSTEM_ERROR, auth errors (our configuration)
    and codes not in docs/providers.md are "retry": the provider did not take the message,
    so trying again later cannot repeat it."""
    if code == OK:
        return "sent"
    if code in THROTTLED:
        return "throttled"
    if code in FAILED:
        return "failed"
    return "retry"


class AliyunSms:
    """SmsProvider for the Alibaba Cloud-shaped API at `{base_url}/aliyun/`."""

    name = "sms"
    provider = "aliyun"
    batch_size = MAX_BATCH
    callback_answer = {"code": 0, "msg": "成功"}

    def __init__(self, base_url: str, access_key_id: str, access_key_secret: str,
                 callback_secret: str, session: requests.Session | None = None,
                 timeout: float = 5.0, clock: Callable[[], float] = time.time):
        self.url = base_url.rstrip("/") + "/aliyun/"
        self.access_key_id = access_key_id
        self.access_key_secret = access_key_secret
        self.callback_secret = callback_secret
        self.transport = Transport(session, timeout)
        self.clock = clock

    # -- sending ----------------------------------------------------------------------
    def send(self, batch: list[Outgoing], attempt_id: str) -> list[Result]:
        results: dict[int, Result] = {}
        groups: dict[str, list[int]] = {}
        for i, message in enumerate(batch):
            refusal = _refusal(message)
            if refusal is not None:
                results[i] = refusal
            else:
                groups.setdefault(message.template_code, []).append(i)
        for indexes in groups.values():
            for start in range(0, len(indexes), MAX_BATCH):
                chunk = indexes[start:start + MAX_BATCH]
                messages = [batch[i] for i in chunk]
                answers = (self._send_one(messages[0]) if len(chunk) == 1 else
                           self._send_batch(messages, attempt_id))
                results.update(zip(chunk, answers, strict=True))
        return [results[i] for i in range(len(batch))]

    def _send_one(self, message: Outgoing) -> list[Result]:
        params = {"PhoneNumbers": message.address, "SignName": message.sign_name,
                  "TemplateCode": message.template_code, "OutId": message.message_id}
        if message.params:
            params["TemplateParam"] = _json(message.params)
        return self._answer([message], self._request("SendSms", params))

    def _send_batch(self, messages: list[Outgoing], attempt_id: str) -> list[Result]:
        params = {
            "PhoneNumberJson": _json([m.address for m in messages]),
            "SignNameJson": _json([m.sign_name for m in messages]),
            "TemplateCode": messages[0].template_code,
            "TemplateParamJson": _json([m.params for m in messages]),
            "OutId": attempt_id,
        }
        answer = self._request("SendBatchSms", params)
        code = answer[0]
        if code in ONE_MESSAGES_FAULT or (
                code == SIGNATURE_ILLEGAL and len({m.sign_name for m in messages}) > 1):
            # Refused whole, so none was taken: one by one finds the culprit(s).
            log.info("aliyun batch of %d refused (%s): sending one by one",
                     len(messages), code)
            return [r for m in messages for r in self._send_one(m)]
        return self._answer(messages, answer)

    def _answer(self, messages: list[Outgoing], answer: tuple[str, str, str, bool]
                ) -> list[Result]:
        code, provider_id, detail, maybe_taken = answer
        outcome = outcome_of(code)
        if outcome == "sent" and not provider_id:     # OK without a BizId: unreadable
            outcome, detail, maybe_taken = "retry", "OK without BizId", True
        if outcome != "sent":
            log.warning("aliyun %s for %s: %s", code,
                        ",".join(mask_phone(m.address) for m in messages[:5]), detail)
        return [Result(m.message_id, outcome, provider_id if outcome == "sent" else "",
                       code, detail, maybe_taken and outcome == "retry") for m in messages]

    def _request(self, action: str, params: dict[str, str]) -> tuple[str, str, str, bool]:
        """(code, BizId, detail, maybe_taken) of one call; transport failures included."""
        try:
            reply = self.call(action, params)
        except TransportFailure as e:
            return e.code, "", e.detail, e.maybe_taken
        body = reply.json()
        if isinstance(body, dict) and isinstance(body.get("Code"), str):
            biz_id = body.get("BizId")
            return (body["Code"], biz_id if isinstance(biz_id, str) else "",
                    scrub(body.get("Message") or ""), False)
        # No provider code: a proxy's or a server's error page.  A 2xx or 5xx may have
        # followed the provider taking the request.
        return f"http.{reply.status}", "", "no provider code", \
            reply.status < 400 or reply.status >= 500

    def call(self, action: str, params: dict[str, str]) -> Reply:
        """POST one signed RPC call; raises TransportFailure."""
        signed = {
            "Action": action, "Version": VERSION, "Format": "JSON",
            "AccessKeyId": self.access_key_id, "SignatureMethod": "HMAC-SHA1",
            "SignatureVersion": "1.0", "SignatureNonce": uuid.uuid4().hex,
            "Timestamp": datetime.fromtimestamp(self.clock(), UTC).strftime(
                "%Y-%m-%dT%H:%M:%SZ"),
            **params,
        }
        signed["Signature"] = pop_signature(signed, self.access_key_secret)
        return self.transport.post(self.url, data=signed,
                                   headers={"Accept": "application/json"})

    # -- settling a send cut short ----------------------------------------------------
    def taken(self, messages: list[Outgoing], attempt_id: str,
              since: datetime) -> dict[str, str]:
        now = datetime.fromtimestamp(self.clock(), CHINA)
        start = (since if since.tzinfo else since.replace(tzinfo=UTC)).astimezone(CHINA)
        first_day = max(start.date(), now.date() - timedelta(days=MAX_DAYS))
        days = [first_day + timedelta(days=n)
                for n in range((now.date() - first_day).days + 1)]
        by_phone: dict[str, list[Outgoing]] = {}
        for message in messages:
            by_phone.setdefault(message.address, []).append(message)
        found: dict[str, str] = {}
        for phone, candidates in by_phone.items():
            for day in days:
                for record in self._details(phone, day.strftime("%Y%m%d")):
                    _match(record, candidates, attempt_id, found)
        return found

    def _details(self, phone: str, send_date: str) -> list[dict]:
        """Every send detail of a phone on a China-time day (paged); ChannelError when the
        provider cannot be asked."""
        records: list[dict] = []
        for page in range(1, MAX_PAGES + 1):
            params = {"PhoneNumber": phone, "SendDate": send_date,
                      "PageSize": str(PAGE_SIZE), "CurrentPage": str(page)}
            try:
                reply = self.call("QuerySendDetails", params)
            except TransportFailure as e:
                raise ChannelError(f"aliyun QuerySendDetails: {e.code}") from e
            body = reply.json()
            if not isinstance(body, dict) or body.get("Code") != OK:
                code = body.get("Code") if isinstance(body, dict) else None
                raise ChannelError(f"aliyun QuerySendDetails: {code or reply.status}")
            dtos = body.get("SmsSendDetailDTOs")
            items = dtos.get("SmsSendDetailDTO") if isinstance(dtos, dict) else dtos
            items = [i for i in items if isinstance(i, dict)] if isinstance(items, list) else []
            records += items
            total = body.get("TotalCount")
            if len(items) < PAGE_SIZE or (isinstance(total, int) and len(records) >= total):
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
            phone = callbacks.e164(item.get("phone_number"))
            biz_id = callbacks.text(item, "biz_id", 100)
            success = item.get("success")
            if phone is None or not biz_id or not isinstance(success, bool):
                continue
            found.append(Receipt(
                provider_id=biz_id, phone=phone, out_id=callbacks.text(item, "out_id", 100)
                or "", delivered=success, code=callbacks.text(item, "err_code", 100) or "",
                at=callbacks.moment(item.get("report_time"))))
        return found

    def uplinks(self, body: bytes) -> list[Uplink]:
        found = []
        for item in callbacks.json_body(body, list):
            if not isinstance(item, dict):
                continue
            phone = callbacks.e164(item.get("phone_number"))
            content = callbacks.text(item, "content", 2000)
            if phone is None or content is None:
                continue
            found.append(Uplink(phone=phone, text=content,
                                at=callbacks.moment(item.get("send_time"))))
        return found


def _refusal(message: Outgoing) -> Result | None:
    """A message that cannot be sent as it is (no number, no template): failed here."""
    address = message.address
    if not (address.startswith("+") and address[1:].isdigit() and 8 <= len(address) <= 16):
        return Result(message.message_id, "failed", code="kefu.BadAddress",
                      detail="not an E.164 phone number")
    if not message.template_code:
        return Result(message.message_id, "failed", code="kefu.NoTemplate",
                      detail="no template code")
    return None


def _json(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _match(record: dict, candidates: list[Outgoing], attempt_id: str,
           found: dict[str, str]) -> None:
    """Mark the message a send-detail record stands for (OutId = its id, or the attempt's
    id and then its template), if any, as taken with the record's BizId."""
    out_id, biz_id = record.get("OutId"), record.get("BizId")
    if not isinstance(biz_id, str) or not biz_id or not isinstance(out_id, str):
        return
    open_ = [m for m in candidates if m.message_id not in found]
    if out_id != attempt_id:
        chosen = [m for m in open_ if m.message_id == out_id]
    else:
        template = record.get("TemplateCode")
        chosen = [m for m in open_ if m.template_code == template] or (
            open_ if not template else [])
    if chosen:
        found[chosen[0].message_id] = biz_id

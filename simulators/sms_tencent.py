"""Tencent Cloud SMS (API 3.0, 2021-01-11): SendSms and PullSmsSendStatusByPhoneNumber,
TC3-HMAC-SHA256-signed; the bodies of its receipt and uplink callbacks."""
import json
import re
import time
import uuid

from simulators import phones, signing
from simulators.http import Answer, Request, digits, json_answer, route
from simulators.sms import Refusal, check_phone, china, request_id

PROVIDER = "tencent"
AUTH = re.compile(r"TC3-HMAC-SHA256\s+Credential=([^/,\s]+)/(\d{4}-\d{2}-\d{2})/sms/tc3_request"
                  r"\s*,\s*SignedHeaders=([^,\s]+)\s*,\s*Signature=([0-9a-f]{64})")
INVALID = "InvalidParameterValue.IncorrectPhoneNumber"
BLACK = "FailedOperation.PhoneNumberInBlacklist"
NO_TEMPLATE = "FailedOperation.TemplateIncorrectOrUnapproved"
NO_SIGN = "FailedOperation.SignatureIncorrectOrUnapproved"
BAD_PARAMS = "InvalidParameterValue.TemplateParameterFormatError"
BAD_APP = "InvalidParameterValue.SdkAppIdNotExist"
BAD_QUERY = "InvalidParameter"


def error(code: str, message: str, status: int = 200) -> Answer:
    return json_answer({"Response": {"Error": {"Code": code, "Message": message},
                                     "RequestId": request_id()}}, status)


def ok(**fields) -> Answer:
    return json_answer({"Response": {**fields, "RequestId": request_id()}})


def signed(sim, req: Request) -> bool:
    m = AUTH.fullmatch(req.header("authorization").strip())
    timestamp = req.header("x-tc-timestamp")
    if not m or not digits(timestamp, 12):
        return False
    secret_id, date, signed_headers, signature = m.groups()
    creds = sim.secrets["tencent"]
    if (secret_id != creds["secret_id"] or signed_headers != "content-type;host"
            or date != time.strftime("%Y-%m-%d", time.gmtime(int(timestamp)))):
        return False
    content_type = req.header("content-type").strip().lower()
    good = signing.tc3_signature(creds["secret_key"], date, timestamp,
                                 req.header("host").strip().lower(), req.body, content_type)
    return signing.same(good, signature)


def handle(sim, req: Request) -> Answer:
    if not signed(sim, req):
        return error("AuthFailure.SignatureFailure",
                     "The provided credentials could not be validated.")
    action = req.header("x-tc-action")
    if req.header("x-tc-version") != "2021-01-11":
        return error("InvalidParameter", "X-TC-Version must be 2021-01-11")
    try:
        data = json.loads(req.body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        data = None
    if not isinstance(data, dict):
        return error("InvalidParameter", "the body is not a JSON object", 400)
    if data.get("SmsSdkAppId") != sim.secrets["tencent"]["sdk_app_id"]:
        return error(BAD_APP, "SmsSdkAppId does not exist")
    try:
        if action == "SendSms":
            return send(sim, data)
        if action == "PullSmsSendStatusByPhoneNumber":
            return pull(sim, data)
    except Refusal as r:
        return error(r.code, r.message)
    return error("InvalidAction", f"unknown X-TC-Action {action!r}")


def send(sim, data: dict) -> Answer:
    gate = sim.state.send_gate(PROVIDER, sim.secrets["tencent"]["secret_id"])
    if gate == "throttled":
        return error("RequestLimitExceeded", "request count exceeds the frequency limit")
    if gate == "failed":
        return error("InternalError", "internal error")
    try:
        numbers, sign, template, tparams = _content(data)
    except Refusal:
        sim.state.count("rejected")
        raise
    context = data.get("SessionContext") or ""
    statuses, records = [], []
    for raw in numbers:
        try:
            phone = check_phone(sim, raw, INVALID, BLACK)
        except Refusal as r:
            sim.state.count("rejected")
            statuses.append({"SerialNo": "", "PhoneNumber": str(raw), "Fee": 0,
                             "SessionContext": context, "Code": r.code,
                             "Message": r.message, "IsoCode": ""})
            continue
        serial = f"2645:{uuid.uuid4().hex}"
        records.append({"provider": PROVIDER, "provider_id": serial, "phone": phone,
                        "sign_name": sign, "template_code": template, "params": tparams,
                        "out_id": context})
        statuses.append({"SerialNo": serial, "PhoneNumber": phone, "Fee": 1,
                         "SessionContext": context, "Code": "Ok", "Message": "send success",
                         "IsoCode": "CN"})
    if records:
        sim.keep_sms(records)
    return ok(SendStatusSet=statuses)


def _content(data: dict) -> tuple[list, str, str, list]:
    numbers = data.get("PhoneNumberSet")
    if not isinstance(numbers, list) or not 1 <= len(numbers) <= 200:
        raise Refusal(INVALID, "PhoneNumberSet must hold 1..200 numbers")
    sign, template = data.get("SignName"), data.get("TemplateId")
    if not isinstance(sign, str) or not sign:
        raise Refusal(NO_SIGN, "SignName missing")
    if not isinstance(template, str) or not template:
        raise Refusal(NO_TEMPLATE, "TemplateId missing")
    tparams = data.get("TemplateParamSet", [])
    if not isinstance(tparams, list) or not all(isinstance(t, str) for t in tparams):
        raise Refusal(BAD_PARAMS, "TemplateParamSet must be a list of strings")
    return numbers, sign, template, tparams


def _int(data: dict, name: str, low: int, high: int, default: int | None = None) -> int:
    value = data.get(name, default)
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise Refusal(BAD_QUERY, f"{name} must be an integer {low}..{high}")
    return value


def pull(sim, data: dict) -> Answer:
    phone = phones.normalize(data.get("PhoneNumber"))
    if phone is None:
        raise Refusal(INVALID, "invalid PhoneNumber")
    begin = _int(data, "BeginTime", 0, 2**40)
    end = _int(data, "EndTime", 0, 2**40, 2**40)
    offset = _int(data, "Offset", 0, 10**9, 0)
    limit = _int(data, "Limit", 1, 100)
    with sim.state.lock:
        found = [dict(r) for r in sim.state.sms
                 if r["provider"] == PROVIDER and r["phone"] == phone and r["report_at"]
                 and begin <= r["at"] <= end + 1]
    rows = [{"UserReceiveTime": int(r["report_at"]), "CountryCode": "86",
             "SubscriberNumber": phones.national(r["phone"]), "PhoneNumber": r["phone"],
             "SerialNo": r["provider_id"],
             "ReportStatus": "SUCCESS" if r["status"] == "delivered" else "FAIL",
             "Description": "DELIVRD" if r["status"] == "delivered" else r["err_code"],
             "SessionContext": r["out_id"]}
            for r in found[offset: offset + limit]]
    return ok(PullSmsSendStatusSet=rows)


def receipt(record: dict) -> dict:
    delivered = record["status"] == "delivered"
    return {"user_receive_time": china(record["report_at"]), "nationcode": "86",
            "mobile": phones.national(record["phone"]),
            "report_status": "SUCCESS" if delivered else "FAIL",
            "errmsg": "DELIVRD" if delivered else record["err_code"],
            "description": "用户短信送达成功" if delivered else "用户短信接收失败",
            "sid": record["provider_id"], "session_context": record["out_id"]}


def uplink(e164: str, text: str, sign: str, sequence: int, at: float) -> bytes:
    item = {"extend": "", "mobile": phones.national(e164), "nationcode": "86", "sign": sign,
            "text": text, "time": int(at)}
    return json.dumps(item, ensure_ascii=False).encode()


ROUTES = [route("POST", r"/tencent/?", handle)]

"""Alibaba Cloud SMS (Dysmsapi 2017-05-25, RPC style): SendSms, SendBatchSms and
QuerySendDetails, POP-signed; the bodies of its receipt and uplink callbacks."""
import json
import random
from datetime import datetime
from urllib.parse import parse_qsl

from simulators import phones, signing
from simulators.http import Answer, Request, digits, json_answer, route
from simulators.sms import Refusal, check_phone, china, request_id

PROVIDER = "aliyun"
COMMON = ("Action", "Version", "Format", "AccessKeyId", "SignatureMethod", "SignatureVersion",
          "SignatureNonce", "Timestamp", "Signature")
INVALID, BLACK = "isv.MOBILE_NUMBER_ILLEGAL", "isv.BLACK_KEY_CONTROL_LIMIT"
NO_TEMPLATE, NO_SIGN = "isv.SMS_TEMPLATE_ILLEGAL", "isv.SMS_SIGNATURE_ILLEGAL"
NO_PARAMS, BAD_QUERY = "isv.TEMPLATE_MISSING_PARAMETERS", "isv.INVALID_PARAMETERS"


def answer(code: str, message: str, status: int = 200, **extra) -> Answer:
    return json_answer({"Code": code, "Message": message, "RequestId": request_id(), **extra},
                       status)


def handle(sim, req: Request) -> Answer:
    try:
        text = req.body.decode("utf-8")
        pairs = parse_qsl(text, keep_blank_values=True, strict_parsing=bool(text))
    except (UnicodeDecodeError, ValueError):
        return answer("MissingParameter", "the body is not form-encoded UTF-8", 400)
    params = dict(pairs)
    if len(params) != len(pairs):
        return answer("MissingParameter", "a parameter is repeated", 400)
    missing = [k for k in COMMON if not params.get(k)]
    if missing:
        return answer("MissingParameter", f"missing {', '.join(missing)}", 400)
    creds = sim.secrets["aliyun"]
    good = signing.pop_signature(params, creds["access_key_secret"])
    if (params["AccessKeyId"] != creds["access_key_id"]
            or params["SignatureMethod"] != "HMAC-SHA1" or params["SignatureVersion"] != "1.0"
            or not signing.same(good, params["Signature"])):
        return answer("SignatureDoesNotMatch",
                      "Specified signature is not matched with our calculation.", 400)
    action = params["Action"]
    if action in ("SendSms", "SendBatchSms"):
        return send(sim, params, batch=action == "SendBatchSms")
    if action == "QuerySendDetails":
        try:
            return query(sim, params)
        except Refusal as r:
            return answer(r.code, r.message)
    return answer("InvalidAction.NotFound", f"unknown Action {action!r}", 404)


def send(sim, params: dict, batch: bool) -> Answer:
    gate = sim.state.send_gate(PROVIDER, params["AccessKeyId"])
    if gate == "throttled":
        return answer("Throttling.User", "Request was denied due to user flow control.", 400)
    if gate == "failed":
        return answer("isp.SYSTEM_ERROR", "isp.SYSTEM_ERROR", 500)
    try:
        records = batch_records(sim, params) if batch else [single_record(sim, params)]
    except Refusal as r:
        sim.state.count("rejected")
        return answer(r.code, r.message)
    biz_id = f"{random.randrange(10**15, 10**16)}^0"
    for r in records:
        r.update(provider=PROVIDER, provider_id=biz_id, out_id=params.get("OutId", ""),
                 template_code=params["TemplateCode"])
    sim.keep_sms(records)
    return answer("OK", "OK", BizId=biz_id)


def _template_params(raw: str | None) -> dict:
    if raw is None or raw == "":
        return {}
    try:
        value = json.loads(raw)
    except ValueError:
        value = None
    if not isinstance(value, dict):
        raise Refusal(NO_PARAMS, "TemplateParam is not a JSON object")
    return value


def _json_list(raw: str | None, code: str, name: str) -> list:
    try:
        value = json.loads(raw or "")
    except ValueError:
        value = None
    if not isinstance(value, list) or not value:
        raise Refusal(code, f"{name} is not a JSON array")
    return value


def single_record(sim, params: dict) -> dict:
    if not params.get("SignName"):
        raise Refusal(NO_SIGN, "SignName missing")
    if not params.get("TemplateCode"):
        raise Refusal(NO_TEMPLATE, "TemplateCode missing")
    tparams = _template_params(params.get("TemplateParam"))
    phone = check_phone(sim, params.get("PhoneNumbers"), INVALID, BLACK)
    return {"phone": phone, "sign_name": params["SignName"], "params": tparams}


def batch_records(sim, params: dict) -> list[dict]:
    numbers = _json_list(params.get("PhoneNumberJson"), INVALID, "PhoneNumberJson")
    if len(numbers) > 100:
        raise Refusal(INVALID, "more than 100 numbers")
    signs = _json_list(params.get("SignNameJson"), NO_SIGN, "SignNameJson")
    if len(signs) != len(numbers) or not all(isinstance(s, str) and s for s in signs):
        raise Refusal(NO_SIGN, "SignNameJson does not match PhoneNumberJson")
    if not params.get("TemplateCode"):
        raise Refusal(NO_TEMPLATE, "TemplateCode missing")
    tparams = ([{}] * len(numbers) if not params.get("TemplateParamJson")
               else _json_list(params["TemplateParamJson"], NO_PARAMS, "TemplateParamJson"))
    if len(tparams) != len(numbers) or not all(isinstance(t, dict) for t in tparams):
        raise Refusal(NO_PARAMS, "TemplateParamJson does not match PhoneNumberJson")
    records = []
    for i, (number, sign, tp) in enumerate(zip(numbers, signs, tparams, strict=True)):
        try:
            phone = check_phone(sim, number, INVALID, BLACK)
        except Refusal as r:
            raise Refusal(r.code, f"{r.message} (number {i + 1} of the batch)") from None
        records.append({"phone": phone, "sign_name": sign, "params": tp})
    return records


SEND_STATUS = {"sent": 1, "failed": 2, "delivered": 3}


def _int(params: dict, name: str, low: int, high: int, default: int | None = None) -> int:
    raw = params.get(name)
    if raw is None and default is not None:
        return default
    if raw is None or not digits(raw) or not low <= int(raw) <= high:
        raise Refusal(BAD_QUERY, f"{name} must be an integer {low}..{high}")
    return int(raw)


def query(sim, params: dict) -> Answer:
    phone = phones.normalize(params.get("PhoneNumber"))
    if phone is None:
        raise Refusal(INVALID, "invalid PhoneNumber")
    try:
        day = datetime.strptime(params.get("SendDate", ""), "%Y%m%d").strftime("%Y%m%d")
    except ValueError:
        raise Refusal(BAD_QUERY, "SendDate must be yyyyMMdd") from None
    size = _int(params, "PageSize", 1, 50)
    page = _int(params, "CurrentPage", 1, 10**6)
    biz_id = params.get("BizId") or None
    with sim.state.lock:
        found = [dict(r) for r in sim.state.sms
                 if r["provider"] == PROVIDER and r["phone"] == phone
                 and china(r["at"], "%Y%m%d") == day
                 and (biz_id is None or r["provider_id"] == biz_id)]
    rows = [{"PhoneNum": phones.national(r["phone"]), "SendStatus": SEND_STATUS[r["status"]],
             "ErrCode": {"sent": "", "delivered": "DELIVERED"}.get(r["status"], r["err_code"]),
             "TemplateCode": r["template_code"],
             "Content": f"【{r['sign_name']}】{r['template_code']} "
                        + json.dumps(r["params"], ensure_ascii=False),
             "SendDate": china(r["at"]),
             "ReceiveDate": china(r["report_at"]) if r["report_at"] else "",
             "OutId": r["out_id"], "BizId": r["provider_id"]}
            for r in found[(page - 1) * size: page * size]]
    return answer("OK", "OK", TotalCount=len(found), SmsSendDetailDTOs={"SmsSendDetailDTO": rows})


def receipt(record: dict) -> dict:
    delivered = record["status"] == "delivered"
    return {"phone_number": phones.national(record["phone"]), "send_time": china(record["at"]),
            "report_time": china(record["report_at"]), "success": delivered,
            "err_code": "DELIVERED" if delivered else record["err_code"],
            "err_msg": "用户接收成功" if delivered else "用户接收失败", "sms_size": "1",
            "biz_id": record["provider_id"], "out_id": record["out_id"]}


def uplink(e164: str, text: str, sign: str, sequence: int, at: float) -> bytes:
    item = {"phone_number": phones.national(e164), "send_time": china(at), "content": text,
            "sign_name": sign, "dest_code": "", "sequence_id": sequence}
    return json.dumps([item], ensure_ascii=False).encode()


ROUTES = [route("POST", r"/aliyun/?", handle)]

"""The Tencent Cloud SMS stand-in: TC3 signature, per-number statuses kept with their
SessionContext, request-level throttling and errors, the status pull."""
import json
import time

from simulators import signing
from tests.unit.simulators.client import call, get, post, tencent, wait_for

SEND = {"PhoneNumberSet": ["+8613800138000", "13900139000"], "SignName": "客服中心",
        "TemplateId": "1234567", "TemplateParamSet": ["4321", "5"], "SessionContext": "msg-9"}


def test_a_signed_send_answers_a_status_per_number_and_keeps_them(sim):
    answer = tencent(sim, "SendSms", SEND)
    statuses = answer["SendStatusSet"]
    assert [s["Code"] for s in statuses] == ["Ok", "Ok"]
    assert [s["PhoneNumber"] for s in statuses] == ["+8613800138000", "+8613900139000"]
    assert {s["SessionContext"] for s in statuses} == {"msg-9"}
    kept = get(sim, "/_sim/sms?provider=tencent")["messages"]
    assert [(m["phone"], m["out_id"], m["provider_id"]) for m in kept] == \
        [(s["PhoneNumber"], "msg-9", s["SerialNo"]) for s in statuses]
    assert kept[0]["params"] == ["4321", "5"] and kept[0]["template_code"] == "1234567"


def test_a_wrong_secret_key_fails_the_signature(sim):
    answer = tencent(sim, "SendSms", SEND, secret_key="wrong")
    assert answer["Error"]["Code"] == "AuthFailure.SignatureFailure"
    assert get(sim, "/_sim/sms")["count"] == 0


def test_the_signature_covers_the_host_and_the_body(sim):
    assert tencent(sim, "SendSms", SEND, host="example.com")["Error"]["Code"] == \
        "AuthFailure.SignatureFailure"
    other = json.dumps({"SmsSdkAppId": sim.secrets["tencent"]["sdk_app_id"],
                        **dict(SEND, PhoneNumberSet=["+8615000150000"])}).encode()
    assert tencent(sim, "SendSms", SEND, body=other)["Error"]["Code"] == \
        "AuthFailure.SignatureFailure"
    assert get(sim, "/_sim/sms")["count"] == 0


def test_an_unsigned_request_is_refused(sim):
    status, answer = call(sim.url + "/tencent/", json.dumps(SEND).encode(),
                          {"Content-Type": "application/json", "X-TC-Action": "SendSms"}, "POST")
    assert answer["Response"]["Error"]["Code"] == "AuthFailure.SignatureFailure"


def test_invalid_and_blacklisted_numbers_get_their_codes_the_others_go(sim):
    post(sim, "/_sim/config", {"blacklist": ["13900139000"]})
    answer = tencent(sim, "SendSms", dict(SEND, PhoneNumberSet=[
        "+8613800138000", "+8613900139000", "+12025550100"]))
    assert [s["Code"] for s in answer["SendStatusSet"]] == [
        "Ok", "FailedOperation.PhoneNumberInBlacklist",
        "InvalidParameterValue.IncorrectPhoneNumber"]
    assert [m["phone"] for m in get(sim, "/_sim/sms")["messages"]] == ["+8613800138000"]


def test_missing_template_or_sign_is_a_request_error(sim):
    for change, code in (({"TemplateId": ""}, "FailedOperation.TemplateIncorrectOrUnapproved"),
                         ({"SignName": ""}, "FailedOperation.SignatureIncorrectOrUnapproved"),
                         ({"TemplateParamSet": [1]},
                          "InvalidParameterValue.TemplateParameterFormatError")):
        assert tencent(sim, "SendSms", dict(SEND, **change))["Error"]["Code"] == code
    assert get(sim, "/_sim/sms")["count"] == 0


def test_over_the_qps_a_request_is_throttled_whole_and_not_kept(sim):
    post(sim, "/_sim/config", {"qps": 2})
    answers = [tencent(sim, "SendSms", SEND) for _ in range(3)]
    assert "SendStatusSet" in answers[1]
    assert answers[2]["Error"]["Code"] == "RequestLimitExceeded"
    assert get(sim, "/_sim/sms")["count"] == 4
    assert get(sim, "/_sim/stats")["throttled"] == 1


def test_the_fail_share_answers_an_internal_error_and_keeps_nothing(sim):
    post(sim, "/_sim/config", {"fail_share": 1.0})
    assert tencent(sim, "SendSms", SEND)["Error"]["Code"] == "InternalError"
    assert get(sim, "/_sim/sms")["count"] == 0


def test_the_pull_returns_reports_with_the_session_context(sim):
    begin = int(time.time()) - 5
    post(sim, "/_sim/config", {"receipt_delay_ms": 0, "undelivered_share": 1})
    sent = tencent(sim, "SendSms", SEND)["SendStatusSet"][0]
    wait_for(lambda: get(sim, "/_sim/sms?phone=13800138000")["messages"][0]["status"] == "failed")
    answer = tencent(sim, "PullSmsSendStatusByPhoneNumber", {
        "BeginTime": begin, "Offset": 0, "Limit": 10, "PhoneNumber": "+8613800138000"})
    [row] = answer["PullSmsSendStatusSet"]
    assert (row["SerialNo"], row["SessionContext"]) == (sent["SerialNo"], "msg-9")
    assert (row["ReportStatus"], row["SubscriberNumber"]) == ("FAIL", "13800138000")
    later = tencent(sim, "PullSmsSendStatusByPhoneNumber", {
        "BeginTime": begin + 3600, "Offset": 0, "Limit": 10, "PhoneNumber": "+8613800138000"})
    assert later["PullSmsSendStatusSet"] == []


def test_another_sdk_app_id_is_refused(sim):
    answer = tencent(sim, "SendSms", dict(SEND, SmsSdkAppId="1400000000"))
    assert answer["Error"]["Code"] == "InvalidParameterValue.SdkAppIdNotExist"


def test_more_than_two_hundred_numbers_is_a_request_error(sim):
    numbers = [f"+86138{i:08d}" for i in range(201)]
    answer = tencent(sim, "SendSms", dict(SEND, PhoneNumberSet=numbers))
    assert answer["Error"]["Code"] == "InvalidParameterValue.IncorrectPhoneNumber"
    assert len(tencent(sim, "SendSms", dict(SEND, PhoneNumberSet=numbers[:200]))
               ["SendStatusSet"]) == 200


def test_a_malformed_timestamp_fails_the_signature_not_the_simulator(sim):
    creds = sim.secrets["tencent"]
    payload = json.dumps({"SmsSdkAppId": creds["sdk_app_id"], **SEND}).encode()
    auth = signing.tc3_authorization(creds["secret_id"], creds["secret_key"],
                                     int(time.time()), sim.url.split("//")[1], payload)
    for timestamp in ("²", "9" * 20):
        status, answer = call(sim.url + "/tencent/", payload, {
            "Content-Type": signing.TC3_CONTENT_TYPE, "X-TC-Action": "SendSms",
            "X-TC-Version": "2021-01-11", "X-TC-Timestamp": timestamp,
            "Authorization": auth}, "POST")
        assert (status, answer["Response"]["Error"]["Code"]) == \
            (200, "AuthFailure.SignatureFailure")
    assert get(sim, "/_sim/sms")["count"] == 0

"""The Alibaba Cloud SMS stand-in: POP signature, SendSms / SendBatchSms kept with their
OutId, refusal codes, QPS and fail_share, QuerySendDetails."""
import json
import time
import urllib.parse

from simulators import signing
from tests.unit.simulators.client import aliyun, aliyun_params, call, get, post, wait_for

SIGNED = {"PhoneNumbers": "13800138000", "SignName": "客服中心", "TemplateCode": "SMS_100",
          "TemplateParam": json.dumps({"code": "4321"}), "OutId": "msg-1"}


def batch(numbers, **extra):
    return {"PhoneNumberJson": json.dumps(numbers),
            "SignNameJson": json.dumps(["客服中心"] * len(numbers)),
            "TemplateCode": "SMS_200",
            "TemplateParamJson": json.dumps([{"n": str(i)} for i in range(len(numbers))]),
            "OutId": "attempt-7", **extra}


def test_a_signed_send_is_answered_ok_and_kept_with_its_out_id(sim):
    status, answer = aliyun(sim, "SendSms", **SIGNED)
    assert (status, answer["Code"]) == (200, "OK") and answer["BizId"]
    [kept] = get(sim, "/_sim/sms?provider=aliyun")["messages"]
    assert kept["phone"] == "+8613800138000" and kept["out_id"] == "msg-1"
    assert kept["params"] == {"code": "4321"} and kept["template_code"] == "SMS_100"
    assert kept["provider_id"] == answer["BizId"] and kept["status"] == "sent"
    assert kept["sign_name"] == "客服中心"


def test_a_wrong_secret_is_refused_and_not_kept(sim):
    status, answer = aliyun(sim, "SendSms", secret="not-the-secret", **SIGNED)
    assert (status, answer["Code"]) == (400, "SignatureDoesNotMatch")
    assert get(sim, "/_sim/sms")["count"] == 0


def test_a_parameter_changed_after_signing_is_refused(sim):
    params = aliyun_params(sim.secrets["aliyun"], "SendSms", **SIGNED)
    params["PhoneNumbers"] = "13900139000"
    status, answer = call(sim.url + "/aliyun/", urllib.parse.urlencode(params).encode(),
                          {"Content-Type": "application/x-www-form-urlencoded"}, "POST")
    assert (status, answer["Code"]) == (400, "SignatureDoesNotMatch")


def test_the_pop_signature_matches_alibabas_documented_example():
    # Alibaba Cloud's RPC signature documentation, "Signature example" (DescribeRegions).
    params = {"AccessKeyId": "testid", "Action": "DescribeRegions", "Format": "XML",
              "SignatureMethod": "HMAC-SHA1", "SignatureVersion": "1.0",
              "SignatureNonce": "3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf",
              "Timestamp": "2016-02-23T12:46:24Z", "Version": "2014-05-26"}
    assert signing.pop_signature(params, "testsecret", "GET") == "OLeaidS1JvxuMvnyHOwuJ+uX5qY="


def test_a_batch_is_kept_whole_under_one_biz_id_and_the_attempt_out_id(sim):
    numbers = ["13800138000", "+8613900139000", "15000150000"]
    status, answer = aliyun(sim, "SendBatchSms", **batch(numbers))
    assert (status, answer["Code"]) == (200, "OK")
    kept = get(sim, "/_sim/sms?out_id=attempt-7")["messages"]
    assert [m["phone"] for m in kept] == ["+8613800138000", "+8613900139000", "+8615000150000"]
    assert {m["provider_id"] for m in kept} == {answer["BizId"]}
    assert [m["params"] for m in kept] == [{"n": "0"}, {"n": "1"}, {"n": "2"}]


def test_one_invalid_number_refuses_the_whole_batch_with_its_code(sim):
    status, answer = aliyun(sim, "SendBatchSms", **batch(["13800138000", "12345", "13900139000"]))
    assert (status, answer["Code"]) == (200, "isv.MOBILE_NUMBER_ILLEGAL")
    assert get(sim, "/_sim/sms")["count"] == 0


def test_one_blacklisted_number_refuses_the_whole_batch_with_the_blacklist_code(sim):
    post(sim, "/_sim/config", {"blacklist": ["+8613900139000"]})
    status, answer = aliyun(sim, "SendBatchSms", **batch(["13800138000", "13900139000"]))
    assert answer["Code"] == "isv.BLACK_KEY_CONTROL_LIMIT"
    assert get(sim, "/_sim/sms")["count"] == 0
    status, answer = aliyun(sim, "SendSms", **dict(SIGNED, PhoneNumbers="13900139000"))
    assert answer["Code"] == "isv.BLACK_KEY_CONTROL_LIMIT"


def test_permanent_codes_for_a_bad_number_and_missing_template_or_sign(sim):
    cases = [({"PhoneNumbers": "+12025550100"}, "isv.MOBILE_NUMBER_ILLEGAL"),
             ({"PhoneNumbers": "1380013800"}, "isv.MOBILE_NUMBER_ILLEGAL"),
             ({"TemplateCode": ""}, "isv.SMS_TEMPLATE_ILLEGAL"),
             ({"SignName": ""}, "isv.SMS_SIGNATURE_ILLEGAL"),
             ({"TemplateParam": "[1]"}, "isv.TEMPLATE_MISSING_PARAMETERS")]
    for change, code in cases:
        assert aliyun(sim, "SendSms", **dict(SIGNED, **change))[1]["Code"] == code, change
    assert get(sim, "/_sim/sms")["count"] == 0
    assert get(sim, "/_sim/stats")["rejected"] == len(cases)


def test_over_the_qps_requests_are_throttled_and_not_kept(sim):
    post(sim, "/_sim/config", {"qps": 3})
    answers = [aliyun(sim, "SendSms", **SIGNED) for _ in range(5)]
    assert [a[1]["Code"] for a in answers] == ["OK"] * 3 + ["Throttling.User"] * 2
    assert {a[0] for a in answers[3:]} == {400}
    assert get(sim, "/_sim/sms")["count"] == 3
    assert get(sim, "/_sim/stats")["throttled"] == 2


def test_the_qps_window_slides_and_a_batch_counts_once(sim):
    post(sim, "/_sim/config", {"qps": 1})
    assert aliyun(sim, "SendBatchSms", **batch(["13800138000", "13900139000"]))[1]["Code"] == "OK"
    assert aliyun(sim, "SendSms", **SIGNED)[1]["Code"] == "Throttling.User"
    time.sleep(1.05)
    assert aliyun(sim, "SendSms", **SIGNED)[1]["Code"] == "OK"


def test_the_fail_share_answers_a_system_error_and_keeps_nothing(sim):
    post(sim, "/_sim/config", {"fail_share": 1})
    status, answer = aliyun(sim, "SendSms", **SIGNED)
    assert (status, answer["Code"]) == (500, "isp.SYSTEM_ERROR")
    assert get(sim, "/_sim/sms")["count"] == 0
    assert get(sim, "/_sim/stats")["failed"] == 1


def test_fail_next_fails_that_many_requests_then_none(sim):
    post(sim, "/_sim/config", {"fail_next": 2})
    codes = [aliyun(sim, "SendSms", **SIGNED)[1]["Code"] for _ in range(3)]
    assert codes == ["isp.SYSTEM_ERROR", "isp.SYSTEM_ERROR", "OK"]
    assert get(sim, "/_sim/config")["fail_next"] == 0
    assert get(sim, "/_sim/sms")["count"] == 1


def test_query_send_details_finds_the_message_with_out_id_and_delivery(sim):
    post(sim, "/_sim/config", {"receipt_delay_ms": 0})
    _, sent = aliyun(sim, "SendSms", **SIGNED)
    aliyun(sim, "SendSms", **dict(SIGNED, PhoneNumbers="13900139000", OutId="other"))
    wait_for(lambda: get(sim, "/_sim/sms?out_id=msg-1")["messages"][0]["status"] != "sent")
    today = time.strftime("%Y%m%d", time.gmtime(time.time() + 8 * 3600))
    _, answer = aliyun(sim, "QuerySendDetails", PhoneNumber="13800138000", SendDate=today,
                       PageSize="10", CurrentPage="1", BizId=sent["BizId"])
    assert answer["Code"] == "OK" and answer["TotalCount"] == 1
    [row] = answer["SmsSendDetailDTOs"]["SmsSendDetailDTO"]
    assert (row["OutId"], row["BizId"], row["PhoneNum"]) == ("msg-1", sent["BizId"], "13800138000")
    assert (row["SendStatus"], row["ErrCode"]) == (3, "DELIVERED")
    _, other_day = aliyun(sim, "QuerySendDetails", PhoneNumber="13800138000",
                          SendDate="20200101", PageSize="10", CurrentPage="1")
    assert other_day["TotalCount"] == 0


def test_query_send_details_refuses_a_page_size_over_fifty(sim):
    _, answer = aliyun(sim, "QuerySendDetails", PhoneNumber="13800138000", SendDate="20240101",
                       PageSize="51", CurrentPage="1")
    assert answer["Code"] == "isv.INVALID_PARAMETERS"


def test_a_batch_over_a_hundred_numbers_is_refused(sim):
    numbers = [f"138{i:08d}" for i in range(101)]
    assert aliyun(sim, "SendBatchSms", **batch(numbers))[1]["Code"] == "isv.MOBILE_NUMBER_ILLEGAL"
    assert aliyun(sim, "SendBatchSms", **batch(numbers[:100]))[1]["Code"] == "OK"
    assert get(sim, "/_sim/sms")["count"] == 100


def test_a_non_ascii_signature_is_refused_not_an_error(sim):
    params = aliyun_params(sim.secrets["aliyun"], "SendSms", **SIGNED)
    params["Signature"] = "签名"
    status, answer = call(sim.url + "/aliyun/", urllib.parse.urlencode(params).encode(),
                          {"Content-Type": "application/x-www-form-urlencoded"}, "POST")
    assert (status, answer["Code"]) == (400, "SignatureDoesNotMatch")
    assert get(sim, "/_sim/sms")["count"] == 0


def test_a_page_size_in_other_digits_is_refused_not_an_error(sim):
    _, answer = aliyun(sim, "QuerySendDetails", PhoneNumber="13800138000", SendDate="20240101",
                       PageSize="²", CurrentPage="1")
    assert answer["Code"] == "isv.INVALID_PARAMETERS"

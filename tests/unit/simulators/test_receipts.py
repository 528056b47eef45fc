"""Receipts pushed to notify's callbacks: formats, X-Provider-Signature, batches of at
most 100, undelivered share, retries; and a customer's uplink."""
from simulators import signing
from tests.unit.simulators.client import aliyun, get, post, tencent, wait_for

ALIYUN = "/api/v1/providers/aliyun/receipts"
TENCENT = "/api/v1/providers/tencent/receipts"


def signed_right(sim, provider, post_):
    header = post_["headers"]["X-Provider-Signature"]
    return signing.check_timed_signature(header, post_["body"],
                                         sim.secrets[provider]["callback_secret"], 300)


def test_an_aliyun_receipt_is_posted_signed_with_the_biz_id_and_out_id(sim, receiver):
    post(sim, "/_sim/config", {"receipt_delay_ms": 50})
    _, sent = aliyun(sim, "SendSms", PhoneNumbers="+8613800138000", SignName="客服",
                     TemplateCode="SMS_1", OutId="msg-1")
    [receipts] = wait_for(lambda: receiver.bodies(ALIYUN))
    [r] = receipts
    assert (r["biz_id"], r["out_id"], r["phone_number"]) == (sent["BizId"], "msg-1", "13800138000")
    assert (r["success"], r["err_code"]) == (True, "DELIVERED")
    assert all(signed_right(sim, "aliyun", p) for p in receiver.posts)
    assert get(sim, "/_sim/sms")["messages"][0]["status"] == "delivered"
    wait_for(lambda: get(sim, "/_sim/stats")["receipts_posted"] == 1)


def test_a_receipt_signature_is_not_valid_under_another_secret(sim, receiver):
    post(sim, "/_sim/config", {"receipt_delay_ms": 0})
    aliyun(sim, "SendSms", PhoneNumbers="13800138000", SignName="客服", TemplateCode="SMS_1")
    wait_for(lambda: receiver.posts)
    assert not signed_right(sim, "tencent", receiver.posts[0])


def test_undelivered_share_makes_failed_receipts(sim, receiver):
    post(sim, "/_sim/config", {"receipt_delay_ms": 0, "undelivered_share": 1})
    sent = tencent(sim, "SendSms", {"PhoneNumberSet": ["13800138000"], "SignName": "客服",
                                    "TemplateId": "1", "SessionContext": "msg-2"})
    [[r]] = wait_for(lambda: receiver.bodies(TENCENT))
    assert (r["report_status"], r["sid"], r["session_context"]) == \
        ("FAIL", sent["SendStatusSet"][0]["SerialNo"], "msg-2")
    assert (r["mobile"], r["nationcode"]) == ("13800138000", "86") and r["errmsg"] != "DELIVRD"
    assert signed_right(sim, "tencent", receiver.posts[0])
    assert get(sim, "/_sim/sms")["messages"][0]["status"] == "failed"


def test_receipts_go_in_posts_of_at_most_a_hundred(sim, receiver):
    post(sim, "/_sim/config", {"receipt_delay_ms": 100})
    numbers = [f"+86138{i:08d}" for i in range(150)]
    tencent(sim, "SendSms", {"PhoneNumberSet": numbers, "SignName": "客服", "TemplateId": "1"})
    wait_for(lambda: sum(map(len, receiver.bodies(TENCENT))) == 150)
    assert sorted(map(len, receiver.bodies(TENCENT))) == [50, 100]
    assert sorted(r["mobile"] for b in receiver.bodies(TENCENT) for r in b) == \
        sorted(n[3:] for n in numbers)


def test_a_failing_callback_is_retried_then_given_up(sim, receiver):
    post(sim, "/_sim/config", {"receipt_delay_ms": 0})
    receiver.statuses = [500]
    aliyun(sim, "SendSms", PhoneNumbers="13800138000", SignName="客服", TemplateCode="SMS_1")
    wait_for(lambda: get(sim, "/_sim/stats")["receipts_posted"] == 1)
    assert len(receiver.posts) == 2 and receiver.posts[0]["body"] == receiver.posts[1]["body"]
    receiver.statuses = [503] * 10
    aliyun(sim, "SendSms", PhoneNumbers="13800138000", SignName="客服", TemplateCode="SMS_1")
    wait_for(lambda: get(sim, "/_sim/stats")["receipts_dropped"] == 1)
    assert len(receiver.posts) == 5


def test_an_uplink_is_posted_signed_and_the_callbacks_answer_returned(sim, receiver):
    aliyun(sim, "SendSms", PhoneNumbers="13800138000", SignName="某商城", TemplateCode="SMS_1")
    receiver.answer = {"code": 0, "msg": "收到"}
    status, answer = post(sim, "/_sim/uplink", {"provider": "aliyun", "phone": "+8613800138000",
                                                "text": "退订"})
    assert (status, answer) == (200, {"code": 0, "msg": "收到"})
    [[item]] = receiver.bodies("/api/v1/providers/aliyun/uplink")
    assert (item["phone_number"], item["content"], item["sign_name"]) == \
        ("13800138000", "退订", "某商城")
    uplink_post = [p for p in receiver.posts if p["path"].endswith("/uplink")][0]
    assert signed_right(sim, "aliyun", uplink_post)


def test_a_tencent_uplink_is_one_object_and_a_refusal_comes_back(sim, receiver):
    receiver.statuses = [401]
    status, _ = post(sim, "/_sim/uplink", {"provider": "tencent", "phone": "13900139000",
                                           "text": "TD"})
    assert status == 401
    [body] = receiver.bodies("/api/v1/providers/tencent/uplink")
    assert (body["mobile"], body["nationcode"], body["text"]) == ("13900139000", "86", "TD")
    assert post(sim, "/_sim/uplink", {"provider": "tencent", "phone": "123", "text": "x"})[0] \
        == 400


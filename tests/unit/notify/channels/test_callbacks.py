"""The SMS providers' callbacks to notify: authentication, receipts and uplinks parsed
from the JSON of docs/providers.md; bad items skipped, a body of the wrong shape a
ValueError."""
import json
from datetime import UTC, datetime

import pytest

from services.notify.channels.base import Receipt, Uplink
from services.notify.channels.signing import timestamped_header
from services.notify.channels.sms_aliyun import AliyunSms
from services.notify.channels.sms_tencent import TencentSms

NOW = 1_700_000_000.0
CALLBACK_SECRET = "cb-secret"


@pytest.fixture(params=["aliyun", "tencent"])
def provider(request):
    if request.param == "aliyun":
        return AliyunSms("http://127.0.0.1:1", "id", "key", CALLBACK_SECRET, clock=lambda: NOW)
    return TencentSms("http://127.0.0.1:1", "id", "key", "1400000000", CALLBACK_SECRET,
                      clock=lambda: NOW)


def aliyun():
    return AliyunSms("http://127.0.0.1:1", "id", "key", CALLBACK_SECRET, clock=lambda: NOW)


def tencent():
    return TencentSms("http://127.0.0.1:1", "id", "key", "1400000000", CALLBACK_SECRET,
                      clock=lambda: NOW)


class TestVerifyCallback:
    BODY = b'[{"biz_id": "1"}]'

    def test_good_signature_any_header_case(self, provider):
        value = timestamped_header(CALLBACK_SECRET, int(NOW) - 10, self.BODY)
        assert provider.verify_callback({"X-Provider-Signature": value}, self.BODY)
        assert provider.verify_callback({"x-provider-signature": value}, self.BODY)

    def test_wrong_secret_or_body_refused(self, provider):
        value = timestamped_header("other", int(NOW), self.BODY)
        assert not provider.verify_callback({"X-Provider-Signature": value}, self.BODY)
        value = timestamped_header(CALLBACK_SECRET, int(NOW), self.BODY)
        assert not provider.verify_callback({"X-Provider-Signature": value}, b"[]")

    def test_stale_and_future_refused(self, provider):
        stale = timestamped_header(CALLBACK_SECRET, int(NOW) - 301, self.BODY)
        ahead = timestamped_header(CALLBACK_SECRET, int(NOW) + 61, self.BODY)
        assert not provider.verify_callback({"X-Provider-Signature": stale}, self.BODY)
        assert not provider.verify_callback({"X-Provider-Signature": ahead}, self.BODY)

    def test_missing_header_refused(self, provider):
        assert not provider.verify_callback({}, self.BODY)
        assert not provider.verify_callback({"X-Provider-Signature": 5}, self.BODY)

    def test_callback_answers(self):
        assert aliyun().callback_answer == {"code": 0, "msg": "成功"}
        assert tencent().callback_answer == {"result": 0, "errmsg": "OK"}


class TestAliyunCallbacks:
    RECEIPT = {"phone_number": "13800138000", "send_time": "2024-05-01 10:00:00",
               "report_time": "2024-05-01 10:00:05", "success": True,
               "err_code": "DELIVERED", "err_msg": "用户接收成功", "sms_size": "1",
               "biz_id": "123456^0", "out_id": "attempt-1"}

    def test_receipt(self):
        [r] = aliyun().receipts(json.dumps([self.RECEIPT]).encode())
        assert r == Receipt(provider_id="123456^0", phone="+8613800138000", out_id="attempt-1",
                            delivered=True, code="DELIVERED",
                            at=datetime(2024, 5, 1, 2, 0, 5, tzinfo=UTC))

    def test_failed_receipt_without_out_id(self):
        item = {**self.RECEIPT, "success": False, "err_code": "UNDELIV"}
        del item["out_id"]
        [r] = aliyun().receipts(json.dumps([item]).encode())
        assert (r.delivered, r.code, r.out_id) == (False, "UNDELIV", "")

    @pytest.mark.parametrize("change", [
        {"phone_number": "12345"}, {"phone_number": None}, {"biz_id": ""}, {"biz_id": None},
        {"success": "yes"}, {"success": None}])
    def test_bad_items_are_skipped(self, change):
        good, bad = self.RECEIPT, {**self.RECEIPT, **change}
        found = aliyun().receipts(json.dumps([bad, "x", 3, good]).encode())
        assert [r.provider_id for r in found] == ["123456^0"]

    def test_unreadable_time_is_none(self):
        [r] = aliyun().receipts(json.dumps([{**self.RECEIPT, "report_time": "later"}]).encode())
        assert r.at is None

    def test_uplink(self):
        body = json.dumps([{"phone_number": "13800138000", "send_time": "2024-05-01 10:00:00",
                            "content": "退订", "sign_name": "客服", "dest_code": "",
                            "sequence_id": 7}, {"content": "TD"}]).encode()
        assert aliyun().uplinks(body) == [
            Uplink("+8613800138000", "退订", datetime(2024, 5, 1, 2, 0, tzinfo=UTC))]

    @pytest.mark.parametrize("body", [b"", b"not json", b'{"a": 1}', b'"x"', b"\xff\xfe",
                                      b"null"])
    def test_wrong_shape_is_a_value_error(self, body):
        with pytest.raises(ValueError):
            aliyun().receipts(body)
        with pytest.raises(ValueError):
            aliyun().uplinks(body)


class TestTencentCallbacks:
    RECEIPT = {"user_receive_time": "2024-05-01 10:00:05", "nationcode": "86",
               "mobile": "13800138000", "report_status": "SUCCESS", "errmsg": "DELIVRD",
               "description": "用户短信送达成功", "sid": "2106:1234", "session_context": "m-1"}

    def test_receipt(self):
        [r] = tencent().receipts(json.dumps([self.RECEIPT]).encode())
        assert r == Receipt(provider_id="2106:1234", phone="+8613800138000", out_id="m-1",
                            delivered=True, code="DELIVRD",
                            at=datetime(2024, 5, 1, 2, 0, 5, tzinfo=UTC))

    def test_failed_receipt_and_other_country(self):
        item = {**self.RECEIPT, "report_status": "FAIL", "errmsg": "UNDELIV",
                "nationcode": "852", "mobile": "91234567"}
        [r] = tencent().receipts(json.dumps([item]).encode())
        assert (r.delivered, r.code, r.phone) == (False, "UNDELIV", "+85291234567")

    @pytest.mark.parametrize("change", [
        {"mobile": "1"}, {"mobile": None}, {"sid": ""}, {"report_status": "MAYBE"},
        {"nationcode": "abc"}])
    def test_bad_items_are_skipped(self, change):
        found = tencent().receipts(json.dumps([{**self.RECEIPT, **change}, None,
                                               self.RECEIPT]).encode())
        assert len(found) == 1

    def test_uplink_is_one_object(self):
        body = json.dumps({"extend": "", "mobile": "13800138000", "nationcode": "86",
                           "sign": "客服", "text": "TD", "time": 1714528800}).encode()
        assert tencent().uplinks(body) == [
            Uplink("+8613800138000", "TD", datetime(2024, 5, 1, 2, 0, tzinfo=UTC))]

    def test_uplink_without_mobile_is_nothing(self):
        assert tencent().uplinks(b'{"text": "TD"}') == []

    @pytest.mark.parametrize("body", [b"[]", b"garbage", b"1"])
    def test_uplink_of_wrong_shape(self, body):
        with pytest.raises(ValueError):
            tencent().uplinks(body)

    def test_receipts_of_wrong_shape(self):
        with pytest.raises(ValueError):
            tencent().receipts(json.dumps(self.RECEIPT).encode())

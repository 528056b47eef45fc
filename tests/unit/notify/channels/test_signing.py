"""The signatures of docs/providers.md against vectors published by the providers (so a
mistake shared by adapter and simulator still fails here) and the callback header's
freshness rules."""
import base64
import hashlib
import hmac

import pytest

from services.notify.channels import signing

# Alibaba Cloud's published example of the SMS API (GET, secret "testSecret").
ALIYUN_SMS_EXAMPLE = {
    "AccessKeyId": "testId", "Action": "SendSms", "Format": "XML", "OutId": "123",
    "PhoneNumbers": "15300000001", "RegionId": "cn-hangzhou", "SignName": "阿里云短信测试专用",
    "SignatureMethod": "HMAC-SHA1", "SignatureNonce": "45e25e9b-0a6f-4070-8c85-2956eda1b466",
    "SignatureVersion": "1.0", "TemplateCode": "SMS_71390007",
    "TemplateParam": '{"customer":"test"}', "Timestamp": "2017-07-12T02:42:19Z",
    "Version": "2017-05-25",
}
ALIYUN_SMS_STRING_TO_SIGN = (
    "GET&%2F&AccessKeyId%3DtestId%26Action%3DSendSms%26Format%3DXML%26OutId%3D123"
    "%26PhoneNumbers%3D15300000001%26RegionId%3Dcn-hangzhou%26SignName%3D%25E9%2598%25BF"
    "%25E9%2587%258C%25E4%25BA%2591%25E7%259F%25AD%25E4%25BF%25A1%25E6%25B5%258B%25E8%25AF"
    "%2595%25E4%25B8%2593%25E7%2594%25A8%26SignatureMethod%3DHMAC-SHA1%26SignatureNonce"
    "%3D45e25e9b-0a6f-4070-8c85-2956eda1b466%26SignatureVersion%3D1.0%26TemplateCode"
    "%3DSMS_71390007%26TemplateParam%3D%257B%2522customer%2522%253A%2522test%2522%257D"
    "%26Timestamp%3D2017-07-12T02%253A42%253A19Z%26Version%3D2017-05-25")


class TestAliyunPop:
    def test_string_to_sign_of_the_published_sms_example(self):
        assert signing.pop_string_to_sign(ALIYUN_SMS_EXAMPLE, "GET") == \
            ALIYUN_SMS_STRING_TO_SIGN

    def test_signature_of_the_published_sms_example(self):
        assert signing.pop_signature(ALIYUN_SMS_EXAMPLE, "testSecret", "GET") == \
            "zJDF+Lrzhj/ThnlvIToysFRq6t4="

    def test_signature_of_the_published_rpc_example(self):
        params = {"Format": "XML", "AccessKeyId": "testid", "Action": "DescribeRegions",
                  "SignatureMethod": "HMAC-SHA1",
                  "SignatureNonce": "3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf",
                  "SignatureVersion": "1.0", "Version": "2014-05-26",
                  "Timestamp": "2016-02-23T12:46:24Z"}
        assert signing.pop_signature(params, "testsecret", "GET") == \
            "OLeaidS1JvxuMvnyHOwuJ+uX5qY="

    def test_an_existing_signature_parameter_is_left_out(self):
        with_sig = {**ALIYUN_SMS_EXAMPLE, "Signature": "whatever"}
        assert signing.pop_signature(with_sig, "testSecret", "GET") == \
            "zJDF+Lrzhj/ThnlvIToysFRq6t4="

    @pytest.mark.parametrize("raw,encoded", [
        ("a b", "a%20b"), ("*", "%2A"), ("~-_.", "~-_."), ("/=&+", "%2F%3D%26%2B"),
        ("派", "%E6%B4%BE")])
    def test_percent_encoding_is_rfc3986(self, raw, encoded):
        assert signing.pop_encode(raw) == encoded

    def test_post_method_in_the_string_to_sign(self):
        assert signing.pop_string_to_sign({"A": "1"}).startswith("POST&%2F&A%3D1")


class TestTencentTc3:
    """Tencent Cloud's published TC3 example (CVM DescribeInstances, 1551113065)."""

    PAYLOAD = b'{"Limit": 1, "Filters": [{"Values": ["\\u672a\\u547d\\u540d"], ' \
              b'"Name": "instance-name"}]}'
    CT = "application/json; charset=utf-8"
    HOST = "cvm.tencentcloudapi.com"

    def test_canonical_request(self):
        canonical = signing.tc3_canonical_request(self.CT, self.HOST, self.PAYLOAD)
        assert canonical == (
            "POST\n/\n\ncontent-type:application/json; charset=utf-8\n"
            "host:cvm.tencentcloudapi.com\n\ncontent-type;host\n"
            "35e9c5b0e3ae67532d3c9f17ead6c90222632e5b1ff7f6e89887f1398934f064")
        assert hashlib.sha256(canonical.encode()).hexdigest() == \
            "5ffe6a04c0664d6b969fab9a13bdab201d63ee709638e2749d62a09ca18d7031"

    def test_signature(self):
        canonical = signing.tc3_canonical_request(self.CT, self.HOST, self.PAYLOAD)
        scope, signature = signing.tc3_signature(
            "Gu5t9xGARNpq86cd98joQYCN3EXAMPLE", "cvm", 1551113065, canonical)
        assert scope == "2019-02-25/cvm/tc3_request"      # the UTC date, not China's
        assert signature == "72e494ea809ad7a8c8f7a4507b9bddcbaa8e581f516e8da2f66e2c5a96525168"

    def test_authorization_header(self):
        header = signing.tc3_authorization(
            "AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE", "Gu5t9xGARNpq86cd98joQYCN3EXAMPLE", "cvm",
            1551113065, self.CT, self.HOST, self.PAYLOAD)
        assert header == (
            "TC3-HMAC-SHA256 Credential=AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE/2019-02-25/cvm/"
            "tc3_request, SignedHeaders=content-type;host, Signature="
            "72e494ea809ad7a8c8f7a4507b9bddcbaa8e581f516e8da2f66e2c5a96525168")


class TestTimestamped:
    SECRET = "s3cret"
    BODY = '[{"a": "中"}]'.encode()

    def header(self, t, body=BODY, secret=SECRET):
        mac = hmac.new(secret.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
        return f"t={t},v1={mac}"

    def test_header_is_hmac_of_t_dot_body(self):
        assert signing.timestamped_header(self.SECRET, 1700000000, self.BODY) == \
            self.header(1700000000)

    def test_good_header_verifies(self):
        assert signing.verify_timestamped(self.SECRET, self.header(1000), self.BODY, 1000)

    @pytest.mark.parametrize("age,ok", [(299, True), (300, True), (301, False),
                                        (-60, True), (-61, False)])
    def test_freshness_window(self, age, ok):
        now = 1_700_000_000
        assert signing.verify_timestamped(
            self.SECRET, self.header(now - age), self.BODY, now) is ok

    def test_other_body_secret_or_t_refused(self):
        h = self.header(1000)
        assert not signing.verify_timestamped(self.SECRET, h, self.BODY + b" ", 1000)
        assert not signing.verify_timestamped("other", h, self.BODY, 1000)
        forged = h.replace("t=1000", "t=1001")
        assert not signing.verify_timestamped(self.SECRET, forged, self.BODY, 1000)

    def test_one_of_several_v1_suffices(self):
        h = self.header(1000).replace(",v1=", ",v1=" + "0" * 64 + ",v1=")
        assert signing.verify_timestamped(self.SECRET, h, self.BODY, 1000)

    @pytest.mark.parametrize("header", [
        None, "", "garbage", "t=,v1=", "t=1000", "v1=abc", "t=abc,v1=00", "t=1000,v1",
        "t=١٠٠٠,v1=00", "t=1000,v1=\u00e9", "t=" + "9" * 40 + ",v1=00", "x" * 5000])
    def test_malformed_is_false_not_an_error(self, header):
        assert signing.verify_timestamped(self.SECRET, header, self.BODY, 1000) is False

    def test_no_secret_never_verifies(self):
        assert not signing.verify_timestamped("", self.header(1000, secret=""), self.BODY, 1000)


def test_dingtalk_sign_is_base64_hmac_of_ms_and_secret():
    expected = base64.b64encode(hmac.new(b"SEC1", b"1700000000000\nSEC1",
                                         hashlib.sha256).digest()).decode()
    assert signing.dingtalk_sign("SEC1", 1700000000000) == expected


def test_feishu_sign_keys_hmac_with_timestamp_and_secret_over_nothing():
    expected = base64.b64encode(hmac.new(b"1700000000\nabc", b"",
                                         hashlib.sha256).digest()).decode()
    assert signing.feishu_sign("abc", 1700000000) == expected

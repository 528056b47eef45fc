"""The Aliyun-shaped SMS adapter against the simulator: what customers really got
(/_sim/sms), the outcome of every provider answer, isolation of a bad number in a batch,
settling a cut-short send with taken(), and the simulator's signed callbacks."""
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from services.notify.channels.base import Outgoing
from services.notify.channels.sms_aliyun import AliyunSms
from tests.helpers import random_mobile


def adapter(sim, **changes) -> AliyunSms:
    creds = {**sim.secrets("sms-aliyun.json"), **changes}
    return AliyunSms(sim.url, creds["access_key_id"], creds["access_key_secret"],
                     creds["callback_secret"])


def sms(template="SMS_100", sign="客服中心", phone=None, **params) -> Outgoing:
    return Outgoing(message_id=str(uuid.uuid4()), address=phone or "+86" + random_mobile(),
                    text="rendered", template_code=template, sign_name=sign,
                    params=params or {"code": "1234"})


def new_id() -> str:
    return str(uuid.uuid4())


def test_one_message_is_send_sms_with_its_own_out_id(fresh):
    message = sms(name="张三", ticket="T-1")
    [result] = adapter(fresh).send([message], new_id())
    assert (result.message_id, result.outcome, result.code) == (message.message_id, "sent", "OK")
    [got] = fresh.sms(phone=message.address)
    assert got["provider_id"] == result.provider_id != ""
    assert (got["out_id"], got["template_code"], got["sign_name"], got["params"]) == \
        (message.message_id, "SMS_100", "客服中心", {"name": "张三", "ticket": "T-1"})


def test_a_batch_is_one_send_batch_sms_under_the_attempt_id(fresh):
    batch = [sms(code=str(n)) for n in range(3)]
    attempt = new_id()
    results = adapter(fresh).send(batch, attempt)
    assert [r.outcome for r in results] == ["sent"] * 3
    assert len({r.provider_id for r in results}) == 1        # one BizId for the batch
    got = fresh.sms(out_id=attempt)
    assert [(g["phone"], g["params"]) for g in got] == [
        (m.address, m.params) for m in batch]
    assert fresh.get("/_sim/stats")["accepted"] == 3


def test_templates_are_grouped_and_results_stay_in_order(fresh):
    a1, b, a2 = sms("SMS_A"), sms("SMS_B"), sms("SMS_A")
    attempt = new_id()
    results = adapter(fresh).send([a1, b, a2], attempt)
    assert [r.message_id for r in results] == [a1.message_id, b.message_id, a2.message_id]
    assert [r.outcome for r in results] == ["sent"] * 3
    assert {g["phone"] for g in fresh.sms(out_id=attempt)} == {a1.address, a2.address}
    [alone] = fresh.sms(out_id=b.message_id)          # a group of one: SendSms
    assert alone["template_code"] == "SMS_B"
    assert results[0].provider_id == results[2].provider_id != results[1].provider_id


def test_over_the_qps_is_throttled_and_not_taken(fresh):
    fresh.configure(qps=1)
    messages = [sms(f"SMS_{n}") for n in range(3)]    # three requests in one second
    results = adapter(fresh).send(messages, new_id())
    assert [r.outcome for r in results] == ["sent", "throttled", "throttled"]
    assert results[1].code == "Throttling.User" and not results[1].provider_id
    assert [g["phone"] for g in fresh.sms()] == [messages[0].address]


def test_a_provider_system_error_is_retry(fresh):
    fresh.configure(fail_share=1.0)
    results = adapter(fresh).send([sms(), sms()], new_id())
    assert [(r.outcome, r.code, r.maybe_taken) for r in results] == \
        [("retry", "isp.SYSTEM_ERROR", False)] * 2
    assert fresh.sms() == []


def test_a_blacklisted_number_is_isolated_and_the_others_sent_once(fresh):
    batch = [sms(), sms(), sms()]
    fresh.configure(blacklist=[batch[1].address])
    results = adapter(fresh).send(batch, new_id())
    assert [r.outcome for r in results] == ["sent", "failed", "sent"]
    assert results[1].code == "isv.BLACK_KEY_CONTROL_LIMIT" and not results[1].provider_id
    got = fresh.sms()
    assert sorted(g["phone"] for g in got) == sorted([batch[0].address, batch[2].address])
    # Sent again one by one, so each under its own message id.
    assert {g["out_id"] for g in got} == {batch[0].message_id, batch[2].message_id}
    assert batch[1].address[3:] not in results[1].detail


def test_an_invalid_number_is_failed(fresh):
    bad = sms(phone="+8612345678901")                     # no mobile prefix 12
    results = adapter(fresh).send([sms(), bad], new_id())
    assert [r.outcome for r in results] == ["sent", "failed"]
    assert results[1].code == "isv.MOBILE_NUMBER_ILLEGAL"


def test_a_missing_signature_fails_the_whole_group(fresh):
    results = adapter(fresh).send([sms(sign=""), sms(sign="")], new_id())
    assert [(r.outcome, r.code) for r in results] == [("failed", "isv.SMS_SIGNATURE_ILLEGAL")] * 2


def test_not_an_e164_address_is_failed_without_asking(fresh):
    [result] = adapter(fresh).send([sms(phone="13800138000")], new_id())
    assert (result.outcome, result.code) == ("failed", "kefu.BadAddress")
    assert fresh.get("/_sim/stats")["accepted"] == 0


def test_a_wrong_secret_is_retry_not_failed(fresh):
    [result] = adapter(fresh, access_key_secret="wrong").send([sms()], new_id())
    assert (result.outcome, result.code) == ("retry", "SignatureDoesNotMatch")
    assert fresh.sms() == []


class TestTaken:
    def test_finds_a_batch_sent_under_the_attempt_id(self, fresh):
        since = datetime.now(UTC) - timedelta(seconds=5)
        batch, attempt = [sms(), sms()], new_id()
        results = adapter(fresh).send(batch, attempt)
        never_sent = sms()
        taken = adapter(fresh).taken(batch + [never_sent], attempt, since)
        assert taken == {m.message_id: r.provider_id for m, r in zip(batch, results,
                                                                     strict=True)}

    def test_finds_a_single_send_by_its_message_id(self, fresh):
        since = datetime.now(UTC) - timedelta(seconds=5)
        message = sms()
        [result] = adapter(fresh).send([message], new_id())
        assert adapter(fresh).taken([message], new_id(), since) == \
            {message.message_id: result.provider_id}

    def test_another_attempts_send_is_not_this_one(self, fresh):
        since = datetime.now(UTC) - timedelta(seconds=5)
        batch = [sms(), sms()]
        adapter(fresh).send(batch, new_id())
        assert adapter(fresh).taken(batch, new_id(), since) == {}

    def test_two_messages_to_one_phone_in_one_batch_by_template(self, fresh):
        since = datetime.now(UTC) - timedelta(seconds=5)
        phone = "+86" + random_mobile()
        first, second = sms("SMS_X", phone=phone), sms("SMS_Y", phone=phone)
        other = sms("SMS_X")
        attempt = new_id()
        results = adapter(fresh).send([first, other, second], attempt)
        taken = adapter(fresh).taken([first, other, second], attempt, since)
        assert taken == {first.message_id: results[0].provider_id,
                         other.message_id: results[1].provider_id,
                         second.message_id: results[2].provider_id}

    def test_an_unreachable_provider_is_an_error_not_nothing(self, fresh):
        from services.notify.channels.base import ChannelError
        broken = AliyunSms("http://127.0.0.1:1", "id", "secret", "cb", timeout=1)
        with pytest.raises(ChannelError):
            broken.taken([sms()], new_id(), datetime.now(UTC))
        with pytest.raises(ChannelError):
            adapter(fresh, access_key_secret="wrong").taken([sms()], new_id(),
                                                            datetime.now(UTC))


class TestCallbacksFromTheSimulator:
    def test_receipts_verify_and_parse(self, fresh, callbacks):
        fresh.configure(receipt_delay_ms=0)
        batch, attempt = [sms(), sms()], new_id()
        results = adapter(fresh).send(batch, attempt)
        [posted] = callbacks.wait("/api/v1/providers/aliyun/receipts")
        channel = adapter(fresh)
        assert channel.verify_callback(posted["headers"], posted["body"])
        assert not channel.verify_callback(posted["headers"], posted["body"] + b" ")
        receipts = channel.receipts(posted["body"])
        assert sorted((r.phone, r.provider_id, r.out_id, r.delivered) for r in receipts) == \
            sorted((m.address, results[0].provider_id, attempt, True) for m in batch)
        assert all(r.code == "DELIVERED" and r.at is not None for r in receipts)

    def test_an_undelivered_receipt(self, fresh, callbacks):
        fresh.configure(receipt_delay_ms=0, undelivered_share=1.0)
        message = sms()
        adapter(fresh).send([message], new_id())
        [posted] = callbacks.wait("/api/v1/providers/aliyun/receipts")
        [receipt] = adapter(fresh).receipts(posted["body"])
        assert (receipt.delivered, receipt.out_id) == (False, message.message_id)
        assert receipt.code not in ("", "DELIVERED")

    def test_uplink_verifies_and_parses(self, fresh, callbacks):
        phone = "+86" + random_mobile()
        fresh.post("/_sim/uplink", {"provider": "aliyun", "phone": phone, "text": "退订"})
        [posted] = callbacks.wait("/api/v1/providers/aliyun/uplink")
        channel = adapter(fresh)
        assert channel.verify_callback(posted["headers"], posted["body"])
        [uplink] = channel.uplinks(posted["body"])
        assert (uplink.phone, uplink.text) == (phone, "退订") and uplink.at is not None

    def test_another_accounts_secret_does_not_verify(self, fresh, callbacks):
        fresh.post("/_sim/uplink", {"provider": "aliyun", "phone": "+86" + random_mobile(),
                                    "text": "TD"})
        [posted] = callbacks.wait("/api/v1/providers/aliyun/uplink")
        assert not adapter(fresh, callback_secret="other").verify_callback(
            posted["headers"], posted["body"])

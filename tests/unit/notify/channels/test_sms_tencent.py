"""The Tencent-shaped SMS adapter against the simulator: TC3 signing accepted, positional
parameters, requests split by template/signature/parameters, per-number statuses and
request-level errors, taken() and the simulator's signed callbacks."""
import time
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from services.notify.channels.base import ChannelError, Outgoing
from services.notify.channels.sms_tencent import TencentSms
from tests.helpers import random_mobile


def adapter(sim, **changes) -> TencentSms:
    creds = {**sim.secrets("sms-tencent.json"), **changes}
    return TencentSms(sim.url, creds["secret_id"], creds["secret_key"], creds["sdk_app_id"],
                      creds["callback_secret"])


def sms(template="1234567", sign="客服中心", phone=None, **params) -> Outgoing:
    params = params or {"code": "1234", "minutes": 5}
    return Outgoing(message_id=str(uuid.uuid4()), address=phone or "+86" + random_mobile(),
                    text="rendered", template_code=template, sign_name=sign, params=params,
                    param_order=tuple(params))


def new_id() -> str:
    return str(uuid.uuid4())


def test_one_message_with_positional_parameters(fresh):
    message = Outgoing(str(uuid.uuid4()), "+86" + random_mobile(), "t", template_code="1001",
                       sign_name="客服中心", params={"b": "second", "a": "first"},
                       param_order=("a", "b"))
    [result] = adapter(fresh).send([message], new_id())
    assert (result.outcome, result.code) == ("sent", "Ok")
    [got] = fresh.sms(phone=message.address)
    assert got["provider_id"] == result.provider_id != ""
    assert (got["out_id"], got["params"], got["template_code"], got["sign_name"]) == \
        (message.message_id, ["first", "second"], "1001", "客服中心")


def test_same_parameters_share_a_request_different_ones_do_not(fresh):
    same1, same2 = sms(code="1"), sms(code="1")
    other = sms(code="2")
    attempt = new_id()
    results = adapter(fresh).send([same1, other, same2], attempt)
    assert [r.message_id for r in results] == [same1.message_id, other.message_id,
                                               same2.message_id]
    assert [r.outcome for r in results] == ["sent"] * 3
    assert sorted(g["phone"] for g in fresh.sms(out_id=attempt)) == \
        sorted([same1.address, same2.address])
    [alone] = fresh.sms(out_id=other.message_id)
    assert alone["params"] == ["2"]
    assert len({r.provider_id for r in results}) == 3     # a SerialNo per number


def test_different_signatures_or_templates_do_not_share_a_request(fresh):
    a, b, c = sms(sign="甲"), sms(sign="乙"), sms(template="999")
    adapter(fresh).send([a, b, c], new_id())
    for m in (a, b, c):
        [got] = fresh.sms(phone=m.address)
        assert (got["out_id"], got["sign_name"], got["template_code"]) == \
            (m.message_id, m.sign_name, m.template_code)


def test_a_blacklisted_number_fails_alone(fresh):
    batch = [sms(code="9"), sms(code="9"), sms(code="9")]
    fresh.configure(blacklist=[batch[1].address])
    attempt = new_id()
    results = adapter(fresh).send(batch, attempt)
    assert [r.outcome for r in results] == ["sent", "failed", "sent"]
    assert results[1].code == "FailedOperation.PhoneNumberInBlacklist"
    assert not results[1].provider_id
    assert sorted(g["phone"] for g in fresh.sms()) == sorted([batch[0].address,
                                                              batch[2].address])


def test_an_invalid_number_fails_alone(fresh):
    good, bad = sms(code="7"), sms(code="7", phone="+8612345678901")
    results = adapter(fresh).send([good, bad], new_id())
    assert [(r.outcome, r.code) for r in results] == [
        ("sent", "Ok"), ("failed", "InvalidParameterValue.IncorrectPhoneNumber")]


def test_over_the_qps_the_whole_request_is_throttled(fresh):
    fresh.configure(qps=1)
    first, second = [sms(code="1")], [sms(code="2"), sms(code="2")]
    results = adapter(fresh).send(first + second, new_id())
    assert [(r.outcome, r.code) for r in results] == [
        ("sent", "Ok"), ("throttled", "RequestLimitExceeded"),
        ("throttled", "RequestLimitExceeded")]
    assert [g["phone"] for g in fresh.sms()] == [first[0].address]


def test_an_internal_error_is_retry(fresh):
    fresh.configure(fail_share=1.0)
    results = adapter(fresh).send([sms(), sms()], new_id())
    assert {(r.outcome, r.code, r.maybe_taken) for r in results} == \
        {("retry", "InternalError", False)}
    assert fresh.sms() == []


def test_a_wrong_key_is_retry(fresh):
    [result] = adapter(fresh, secret_key="wrong").send([sms()], new_id())
    assert (result.outcome, result.code) == ("retry", "AuthFailure.SignatureFailure")


def test_a_parameter_missing_from_params_fails_without_asking(fresh):
    missing = Outgoing(new_id(), "+86" + random_mobile(), "t", template_code="1",
                       sign_name="s", params={"a": "1"}, param_order=("a", "b"))
    [result] = adapter(fresh).send([missing], new_id())
    assert (result.outcome, result.code) == ("failed", "kefu.ParamOrder")
    assert "b" in result.detail
    assert fresh.get("/_sim/stats")["accepted"] == 0


def test_only_the_named_parameters_are_sent(fresh):
    extra = Outgoing(new_id(), "+86" + random_mobile(), "t", template_code="1",
                     sign_name="s", params={"a": "1", "context": "x"}, param_order=("a",))
    none = Outgoing(new_id(), "+86" + random_mobile(), "t", template_code="2",
                    sign_name="s", params={"context": "x"})
    assert [r.outcome for r in adapter(fresh).send([extra, none], new_id())] == ["sent"] * 2
    assert fresh.sms(phone=extra.address)[0]["params"] == ["1"]
    assert fresh.sms(phone=none.address)[0]["params"] == []


class TestTaken:
    """The simulator's pull results are delivery reports: a send shows once reported."""

    def test_finds_a_batch_sent_under_the_attempt_id(self, fresh, callbacks):
        fresh.configure(receipt_delay_ms=0)
        since = datetime.now(UTC) - timedelta(seconds=5)
        batch, attempt = [sms(code="3"), sms(code="3")], new_id()
        results = adapter(fresh).send(batch, attempt)
        callbacks.wait("/api/v1/providers/tencent/receipts")
        taken = adapter(fresh).taken(batch + [sms()], attempt, since)
        assert taken == {m.message_id: r.provider_id
                         for m, r in zip(batch, results, strict=True)}
        assert adapter(fresh).taken(batch, new_id(), since) == {}

    def test_finds_a_single_send_by_its_message_id(self, fresh, callbacks):
        fresh.configure(receipt_delay_ms=0)
        since = datetime.now(UTC) - timedelta(seconds=5)
        message = sms()
        [result] = adapter(fresh).send([message], new_id())
        callbacks.wait("/api/v1/providers/tencent/receipts")
        assert adapter(fresh).taken([message], new_id(), since) == \
            {message.message_id: result.provider_id}

    @staticmethod
    def reported(sim, count: int) -> None:
        """Wait until `count` messages have their delivery report (the pull shows them)."""
        deadline = time.monotonic() + 10
        while sum(m["status"] != "sent" for m in sim.sms()) < count:
            assert time.monotonic() < deadline, "no delivery reports in time"
            time.sleep(0.05)

    def test_a_record_under_the_attempt_id_is_not_guessed_between_two_open(self, fresh):
        """Two messages of one attempt to one phone, in two requests of several numbers
        (other templates): a pulled record names the phone and the attempt, not which
        of the two it is.  Matching neither queues both again (one duplicate); a guess
        could mark sent the one never taken (lost)."""
        fresh.configure(receipt_delay_ms=0)
        since = datetime.now(UTC) - timedelta(seconds=5)
        phone, attempt = "+86" + random_mobile(), new_id()
        a, x = sms(template="111", phone=phone, code="1"), sms(template="111", code="1")
        b, y = sms(template="222", phone=phone, code="1"), sms(template="222", code="1")
        # Only the request of a and x reached the provider (b and y's answer was lost
        # before it was sent: nothing of theirs was taken).
        sent = adapter(fresh).send([a, x], attempt)
        assert [r.outcome for r in sent] == ["sent", "sent"]
        self.reported(fresh, 2)
        assert adapter(fresh).taken([b, a, x, y], attempt, since) == \
            {x.message_id: sent[1].provider_id}
        # Both taken: still neither of the phone's two is matched, the others are.
        fresh.post("/_sim/reset", {})
        fresh.configure(receipt_delay_ms=0)
        attempt = new_id()
        results = dict(zip([m.message_id for m in (a, x, b, y)],
                           [r.provider_id for r in adapter(fresh).send([a, x, b, y], attempt)],
                           strict=True))
        self.reported(fresh, 4)
        assert adapter(fresh).taken([a, b, x, y], attempt, since) == \
            {m.message_id: results[m.message_id] for m in (x, y)}

    def test_own_id_records_are_matched_before_the_attempts(self, fresh):
        """c went alone (SessionContext = its id), a with x under the attempt id: c's own
        record is its, which leaves a the one open message of the phone for the
        attempt's record, whatever order the records come in."""
        fresh.configure(receipt_delay_ms=0)
        since = datetime.now(UTC) - timedelta(seconds=5)
        phone, attempt = "+86" + random_mobile(), new_id()
        a, x = sms(template="111", phone=phone, code="1"), sms(template="111", code="1")
        c = sms(template="333", phone=phone, code="3")
        results = adapter(fresh).send([a, x, c], attempt)
        self.reported(fresh, 3)
        assert adapter(fresh).taken([c, a, x], attempt, since) == \
            {m.message_id: r.provider_id for m, r in zip([a, x, c], results, strict=True)}

    def test_a_refused_pull_is_an_error(self, fresh):
        with pytest.raises(ChannelError):
            adapter(fresh, secret_key="wrong").taken([sms()], new_id(), datetime.now(UTC))


class TestCallbacksFromTheSimulator:
    def test_receipts_verify_and_parse(self, fresh, callbacks):
        fresh.configure(receipt_delay_ms=0)
        message = sms()
        [result] = adapter(fresh).send([message], new_id())
        [posted] = callbacks.wait("/api/v1/providers/tencent/receipts")
        channel = adapter(fresh)
        assert channel.verify_callback(posted["headers"], posted["body"])
        [receipt] = channel.receipts(posted["body"])
        assert (receipt.phone, receipt.provider_id, receipt.out_id, receipt.delivered) == \
            (message.address, result.provider_id, message.message_id, True)
        assert not adapter(fresh, callback_secret="x").verify_callback(
            posted["headers"], posted["body"])

    def test_uplink_verifies_and_parses(self, fresh, callbacks):
        phone = "+86" + random_mobile()
        fresh.post("/_sim/uplink", {"provider": "tencent", "phone": phone, "text": "TD"})
        [posted] = callbacks.wait("/api/v1/providers/tencent/uplink")
        channel = adapter(fresh)
        assert channel.verify_callback(posted["headers"], posted["body"])
        [uplink] = channel.uplinks(posted["body"])
        assert (uplink.phone, uplink.text) == (phone, "TD") and uplink.at is not None

"""T8 contact log and call events: who is the agent, which customer, caller numbers,
the statistics period and figures, and the input each call takes."""
import datetime
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
from marshmallow import ValidationError

from services.common.errors import Forbidden, Invalid, NotFound
from services.ticket.contract import contacts as schemas
from services.ticket.domain import contacts as rules

UTC = datetime.UTC
CHINA = ZoneInfo("Asia/Shanghai")


def principal(pid="agent-1", roles=("agent",)):
    return SimpleNamespace(id=pid, is_system=False,
                           has_any=lambda allowed: bool(set(roles) & set(allowed)))


class TestAgentOfAContact:
    def test_the_agent_is_the_caller_by_default(self):
        assert rules.agent_of(principal(), None) == "agent-1"
        assert rules.agent_of(principal(), "agent-1") == "agent-1"

    def test_a_supervisor_may_log_for_another_agent(self):
        assert rules.agent_of(principal("sup", ("supervisor",)), "agent-2") == "agent-2"

    def test_an_agent_may_not_log_for_another(self):
        with pytest.raises(Forbidden) as err:
            rules.agent_of(principal(), "agent-2")
        assert "agent_id" in err.value.fields


class TestCustomerOfAContact:
    ticket = {"id": "t1", "customer_id": "c1"}

    def test_taken_from_the_ticket_when_not_given(self):
        assert rules.customer_of(None, self.ticket, True) == "c1"
        assert rules.customer_of("c1", self.ticket, True) == "c1"
        assert rules.customer_of("c9", None, False) == "c9"
        assert rules.customer_of(None, None, False) is None

    def test_unknown_ticket_is_not_found(self):
        with pytest.raises(NotFound) as err:
            rules.customer_of(None, None, True)
        assert "ticket_id" in err.value.fields

    def test_ticket_of_another_customer_is_invalid(self):
        with pytest.raises(Invalid) as err:
            rules.customer_of("c2", self.ticket, True)
        assert "ticket_id" in err.value.fields


class TestContactInput:
    def test_a_call_with_its_ivr_path(self):
        contact = schemas.ContactIn().load({
            "channel": "phone", "direction": "in", "duration_seconds": 185,
            "started_at": "2026-11-23T09:30:00+08:00", "ivr_path": ["1 售后", "2 维修"]})
        assert contact["ivr_path"] == ["1 售后", "2 维修"]
        assert contact["agent_id"] is None and contact["ticket_id"] is None

    @pytest.mark.parametrize("bad, field", [
        ({"channel": "pigeon"}, "channel"),
        ({"direction": "sideways"}, "direction"),
        ({"duration_seconds": -1}, "duration_seconds"),
        ({"ivr_path": "1 售后"}, "ivr_path"),
        ({"ivr_path": [1, 2]}, "ivr_path"),
        ({"ivr_path": [""]}, "ivr_path"),
        ({"customer_id": "not-a-uuid"}, "customer_id"),
        ({"ticket_id": 5}, "ticket_id"),
        ({"started_at": "2026-11-23T09:30:00"}, "started_at"),
    ])
    def test_bad_fields_are_named(self, bad, field):
        with pytest.raises(ValidationError) as err:
            schemas.ContactIn().load({"channel": "phone", "direction": "in", **bad})
        assert field in err.value.messages

    def test_every_channel_of_the_ticket_contract_is_accepted(self):
        for channel in ("phone", "web", "sms", "email", "fax", "walk_in", "wechat"):
            schemas.ContactIn().load({"channel": channel, "direction": "out"})


class TestCallEvents:
    event = {"call_id": "c-1", "event": "answered", "at": "2026-11-23T09:30:00+08:00",
             "caller": "138 0013 8000", "queue": "售后", "wait_seconds": 12}

    def test_one_event_and_a_batch(self):
        assert schemas.CallEventIn().load(self.event)["wait_seconds"] == 12
        batch = schemas.CallEventBatch().load({"events": [self.event, {**self.event,
                                                                       "event": "ended"}]})
        assert [e["event"] for e in batch["events"]] == ["answered", "ended"]

    @pytest.mark.parametrize("bad, field", [
        ({"event": "ringing"}, "event"), ({"at": None}, "at"), ({"call_id": ""}, "call_id"),
        ({"wait_seconds": -3}, "wait_seconds"), ({"at": "yesterday"}, "at"),
    ])
    def test_bad_event_fields_are_named(self, bad, field):
        with pytest.raises(ValidationError) as err:
            schemas.CallEventIn().load({**self.event, **bad})
        assert field in err.value.messages

    def test_fields_the_telephony_system_adds_are_ignored(self):
        loaded = schemas.CallEventIn().load({**self.event, "trunk": "T1", "dnis": "4008"})
        assert "trunk" not in loaded and loaded["call_id"] == "c-1"

    def test_an_empty_batch_is_refused(self):
        with pytest.raises(ValidationError) as err:
            schemas.CallEventBatch().load({"events": []})
        assert "events" in err.value.messages

    def test_caller_numbers_are_normalised_when_they_are_numbers(self):
        assert rules.caller_number("+86 138 0013 8000") == "+8613800138000"
        assert rules.caller_number("anonymous") == "anonymous"
        assert rules.caller_number("  ") is None
        assert rules.caller_number(None) is None


class TestCallStatistics:
    def test_dates_are_whole_china_days_to_inclusive(self):
        query = schemas.StatsQuery().load({"from": "2026-11-23", "to": "2026-11-23"})
        assert query["from_"] == datetime.datetime(2026, 11, 23, tzinfo=CHINA)
        assert query["to"] == datetime.datetime(2026, 11, 24, tzinfo=CHINA)

    def test_date_times_need_a_zone(self):
        with pytest.raises(ValidationError) as err:
            schemas.StatsQuery().load({"from": "2026-11-23T08:00:00"})
        assert "from" in err.value.messages
        with pytest.raises(ValidationError):
            schemas.StatsQuery().load({"to": "next week"})

    def test_default_period_is_today_in_china(self):
        now = datetime.datetime(2026, 11, 23, 17, 0, tzinfo=UTC)  # 01:00 on the 24th in China
        start, end = rules.period(None, None, now)
        assert start == datetime.datetime(2026, 11, 24, tzinfo=CHINA) and end == now

    def test_empty_or_overlong_period_is_invalid(self):
        now = datetime.datetime(2026, 11, 23, tzinfo=UTC)
        with pytest.raises(Invalid) as err:
            rules.period(now, now, now)
        assert "to" in err.value.fields
        with pytest.raises(Invalid):
            rules.period(now - datetime.timedelta(days=400), now, now)

    def test_answer_rate_and_waits(self):
        figures = rules.queue_stats("售后", {"offered": 8, "answered": 6, "abandoned": 2,
                                            "avg_wait": 14.333, "p90_wait": 30.04})
        assert figures == {"queue": "售后", "offered": 8, "answered": 6, "abandoned": 2,
                           "answer_rate": 0.75, "avg_wait_seconds": 14.3,
                           "p90_wait_seconds": 30.0}

    def test_no_calls_gives_no_rate(self):
        assert rules.queue_stats(None, {})["answer_rate"] is None

    def test_calls_answered_without_an_offered_event_still_count_as_offered(self):
        assert rules.queue_stats("q", {"offered": 1, "answered": 2, "abandoned": 1})[
            "offered"] == 3

"""Issue 12 review findings of the survey service that are pure logic or schema: the
rest-only rule on a second ticket event, who an answer or link counts for, the keys,
and the bounded dates."""
import datetime
import uuid

import pytest
from marshmallow import ValidationError

from services.common.errors import Forbidden, Invalid
from services.common.identity import SYSTEM, SYSTEM_CLEARANCE, Principal
from services.common.zone import CHINA
from services.survey.contract.answers import IvrRatingIn, LinkIn, SatisfactionQuery
from services.survey.contract.followups import AttemptIn, RuleIn, RuleUpdate
from services.survey.domain import questionnaires, rules, tasks
from services.survey.handlers import answers
from services.survey.handlers.tasks import request_key
from tests.unit.survey.test_followup_rules import rule, ticket


def person(roles=("agent",), groups=(), staff_id="me") -> Principal:
    return Principal(staff_id, staff_id, frozenset(roles), frozenset(groups), 0)


NOTIFY = Principal("system:notify", "notify", frozenset({SYSTEM}), frozenset(),
                   SYSTEM_CLEARANCE, service="notify")
TASK = {"id": str(uuid.uuid4()), "assignee_id": "a-1", "groups": ["回访组"],
        "ticket_id": "t-1", "customer_id": "c-1", "ticket_kind": "complaint",
        "category_id": "cat-1", "level": 2}


def today() -> datetime.date:
    return datetime.datetime.now(CHINA).date()


class TestRestOnlyOnTheSecondEvent:
    def test_v1_a_rest_only_rule_makes_no_task_when_another_rule_took_the_ticket(self):
        complaints, rest = rule(kinds=["complaint"]), rule(rest_only=True)
        # ticket_resolved: the complaint rule made the task; then ticket_closed
        assert rules.to_make([complaints, rest], ticket(), {complaints["id"]}) == []
        assert rules.to_make([complaints, rest], ticket(), set()) == [complaints]
        assert rules.to_make([complaints, rest], ticket(kind="consultation"),
                             {rest["id"]}) == []


class TestWhoAnAnswerCountsFor:
    def test_v3_a_task_gives_its_own_agent_group_ticket_and_customer(self):
        forged = {"agent_id": "boss", "group_name": "别的组", "ticket_id": "x",
                  "customer_id": "y", "task_id": TASK["id"]}
        context = questionnaires.answer_context(person(staff_id="a-1"), forged, TASK)
        assert (context["agent_id"], context["group_name"], context["ticket_id"],
                context["customer_id"], context["task_id"]) == \
            ("a-1", "回访组", "t-1", "c-1", TASK["id"])

    def test_v3_an_agent_counts_only_as_themselves_in_their_own_group(self):
        me = person(groups=("一组",))
        assert questionnaires.answer_context(me, {}, None)["agent_id"] == "me"
        assert questionnaires.answer_context(me, {}, None)["group_name"] == "一组"
        with pytest.raises(Forbidden) as err:
            questionnaires.answer_context(me, {"agent_id": "other"}, None)
        assert "agent_id" in err.value.fields
        with pytest.raises(Forbidden) as err:
            questionnaires.answer_context(me, {"group_name": "二组"}, None)
        assert "group_name" in err.value.fields

    def test_v3_managers_and_the_system_name_another_agent_and_group(self):
        data = {"agent_id": "a-9", "group_name": "二组", "customer_id": "c"}
        for caller in (person(("manager",)), NOTIFY):
            context = questionnaires.answer_context(caller, data, None)
            assert (context["agent_id"], context["group_name"]) == ("a-9", "二组")

    def test_v3_the_system_reaches_every_task(self):
        assert tasks.scope(NOTIFY)["all"] is True
        assert tasks.scope(person())["all"] is False

    def test_v3_a_link_is_of_a_task_or_a_customer(self):
        with pytest.raises(ValidationError) as err:
            LinkIn().load({"questionnaire_id": str(uuid.uuid4())})
        assert "customer_id" in err.value.messages
        assert LinkIn().load({"questionnaire_id": str(uuid.uuid4()),
                              "task_id": TASK["id"]})["task_id"] == TASK["id"]


class TestKeys:
    def test_v2_needs_service_again_requires_an_idempotency_key(self):
        with pytest.raises(Invalid) as err:
            request_key(person(), None, required=True)
        assert "idempotency_key" in err.value.fields
        assert request_key(person(), "k1", required=True) == "me:k1"
        assert request_key(person(), None).startswith("me:")

    @pytest.mark.parametrize("key", ["x" * 3000, "", 12345, ["k"]])
    def test_v3_record_answers_checks_its_idempotency_key(self, key):
        with pytest.raises(Invalid) as err:  # before anything is read (no transaction)
            answers.record_answers(None, person(), {"questionnaire_id": uuid.uuid4()}, key)
        assert "idempotency_key" in err.value.fields


class TestBoundedDates:
    @pytest.mark.parametrize("field,day", [("to", "9999-12-31"), ("from", "1999-12-31"),
                                           ("from", "0001-01-01")])
    def test_v4_the_figures_period_is_bounded(self, field, day):
        with pytest.raises(ValidationError) as err:
            SatisfactionQuery().load({field: day})
        assert field in err.value.messages
        a_year_on = (today() + datetime.timedelta(days=365)).isoformat()
        assert SatisfactionQuery().load({"from": "2000-01-01", "to": a_year_on})["to"]

    @pytest.mark.parametrize("days", [-30000, -1, 0, 367])
    def test_v2_call_again_on_is_tomorrow_to_a_year_on(self, days):
        day = (today() + datetime.timedelta(days=days)).isoformat()
        with pytest.raises(ValidationError) as err:
            AttemptIn().load({"reached": True, "call_again_on": day})
        assert "call_again_on" in err.value.messages

    @pytest.mark.parametrize("days", [1, 366])
    def test_v2_call_again_on_within_the_bounds_is_taken(self, days):
        day = today() + datetime.timedelta(days=days)
        assert AttemptIn().load({"reached": True,
                                 "call_again_on": day.isoformat()})["call_again_on"] == day

    def test_v1_a_rule_delays_at_least_one_hour_or_day(self):
        for schema, data in ((RuleIn(), {"name": "x", "group_name": "g"}), (RuleUpdate(), {})):
            with pytest.raises(ValidationError) as err:
                schema.load({**data, "delay_amount": 0, "delay_unit": "hours"})
            assert "delay_amount" in err.value.messages
            assert schema.load({**data, "delay_amount": 1})["delay_amount"] == 1

    @pytest.mark.parametrize("offset", [datetime.timedelta(days=-2),
                                        datetime.timedelta(hours=25),
                                        datetime.timedelta(days=-3650)])
    def test_v3_an_ivr_post_is_within_a_day_of_now(self, offset):
        at = (datetime.datetime.now(datetime.UTC) + offset).isoformat()
        with pytest.raises(ValidationError) as err:
            IvrRatingIn().load({"call_id": "c1", "at": at})
        assert "at" in err.value.messages
        now = datetime.datetime.now(datetime.UTC).isoformat()
        assert IvrRatingIn().load({"call_id": "c1", "at": now})["at"]

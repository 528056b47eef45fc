"""V2 what an attempt does to its task, scope and withholding — free of I/O."""
import datetime

import pytest

from services.common.errors import Conflict
from services.common.identity import Principal
from services.survey.domain import tasks

DUE = datetime.datetime(2026, 11, 24, 10, tzinfo=datetime.UTC)


def person(roles=("agent",), groups=(), clearance=0, staff_id="me") -> Principal:
    return Principal(staff_id, staff_id, frozenset(roles), frozenset(groups), clearance)


def attempt(**over) -> dict:
    return {"reached": False, "reason": "no_answer", "notes": "", "satisfaction": None,
            "call_again_on": None, "needs_service": False, "service_note": "", **over}


class TestEffect:
    def test_v2_unreached_stays_open_with_the_next_due_time(self):
        changes = tasks.effect({"attempts": 0}, attempt(), 3, DUE)
        assert changes == {"attempts": 1, "status": "open", "due_at": DUE,
                           "reminded_at": None}

    def test_v2_the_last_unreached_attempt_ends_it_unreachable(self):
        changes = tasks.effect({"attempts": 2}, attempt(notes="空号"), 3, DUE)
        assert changes["status"] == "done" and changes["outcome"] == "unreachable"
        assert changes["notes"] == "空号" and "due_at" not in changes

    def test_v2_reached_is_done_with_its_satisfaction(self):
        changes = tasks.effect({"attempts": 1}, attempt(reached=True, reason=None,
                                                       satisfaction="satisfied"), 3, DUE)
        assert (changes["status"], changes["outcome"], changes["satisfaction"],
                changes["attempts"]) == ("done", "reached", "satisfied", 2)

    def test_v2_call_again_from_a_reached_call_makes_the_next_task(self):
        again = attempt(reached=True, reason=None, call_again_on=datetime.date(2026, 12, 1))
        assert tasks.makes_next_task(again, {})
        assert not tasks.makes_next_task(attempt(call_again_on=datetime.date(2026, 12, 1)),
                                         {})

    def test_v2_a_done_task_takes_no_attempt_a_missed_one_does(self):
        with pytest.raises(Conflict):
            tasks.check_recordable({"status": "done"})
        tasks.check_recordable({"status": "missed"})
        tasks.check_recordable({"status": "open"})

    def test_v2_the_service_ticket_names_the_original(self):
        task = {"id": "t-1", "customer_id": "c-1", "ticket_kind": "after_sales",
                "ticket_serial": "SH-20261123-0001", "ticket_id": "tk-1"}
        opened = tasks.service_ticket(task, attempt(service_note="洗衣机又漏水"))
        assert opened["customer_id"] == "c-1" and opened["kind"] == "after_sales"
        assert "SH-20261123-0001" in opened["content"] and "洗衣机又漏水" in opened["content"]


class TestScope:
    def test_v1_agents_own_supervisors_groups_managers_all(self):
        assert tasks.scope(person()) == {"all": False, "staff_id": "me", "groups": []}
        assert tasks.scope(person(("agent",), ("回访组",)))["groups"] == []
        assert tasks.scope(person(("supervisor",), ("回访组",)))["groups"] == ["回访组"]
        assert tasks.scope(person(("manager",)))["all"] is True

    def test_v1_notes_above_clearance_are_withheld(self):
        task = {"level": 2, "notes": "客户说了家里的事"}
        log = [{"notes": "n", "service_note": "s"}]
        low = tasks.shown(person(clearance=1), task, log)
        assert low["notes"] == "" and low["content_withheld"] is True
        assert low["attempt_log"] == [{"notes": "", "service_note": ""}]
        high = tasks.shown(person(clearance=2), task, log)
        assert high["notes"] == task["notes"] and high["content_withheld"] is False
        assert high["attempt_log"] == log

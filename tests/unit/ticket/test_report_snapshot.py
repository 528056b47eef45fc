"""Issue 13, the ticket side of the report feed, without I/O: the snapshot a ticket
event carries (its shape, from rows), the report RPCs' inputs (page, counts period),
who may call them, and the rules that count reopens and transfers."""
import datetime
import uuid

import pytest
from marshmallow import ValidationError

from services.common.identity import SYSTEM, SYSTEM_CLEARANCE, Principal
from services.common.rpc import AuthenticatedRpc
from services.common.zone import CHINA
from services.ticket import contract
from services.ticket.contract import events
from services.ticket.contract import report_feed as feed_contract
from services.ticket.domain import report_feed as feed
from services.ticket.domain import workflow as wf
from tests.unit.ticket.test_workflow import ALLOWED

AT = datetime.datetime(2026, 11, 30, 17, 30, tzinfo=datetime.UTC)  # 1 Dec 01:30 in China
SHAPE = {"ticket_id", "revision", "kind", "category_id", "channel", "urgency", "group_name",
         "assignee_id", "acceptor_id", "customer_id", "level", "status", "accepted_at",
         "first_response_at", "resolved_at", "closed_at", "cancelled_at", "reopen_count",
         "transfer_count", "repeat", "repeat_of", "response_breached",
         "resolution_breached"}
WORDS = ("content", "subject", "form", "contact", "note", "address")


def row(**over) -> dict:
    """A row as store.report_feed.SNAPSHOT reads it (plus what a wider select adds)."""
    base = {"id": str(uuid.uuid4()), "revision": 3, "kind": "complaint",
            "category_id": None, "channel": "phone", "urgency": "high",
            "group_name": "投诉组", "assignee_id": "a-1", "acceptor_id": "agent-9",
            "customer_id": str(uuid.uuid4()), "level": 2, "status": "resolved",
            "accepted_at": AT, "first_response_at": AT + datetime.timedelta(minutes=5),
            "resolved_at": AT + datetime.timedelta(hours=2), "closed_at": None,
            "cancelled_at": None, "reopen_count": 1, "transfer_count": 2, "repeat_of": [],
            "response_escalated_at": None, "escalated_at": None}
    base.update(over)
    return base


class TestSnapshot:
    def test_r1_the_snapshot_has_exactly_the_agreed_shape(self):
        snap = feed.snapshot(row())
        assert set(snap) == SHAPE

    def test_r1_it_keeps_no_word_of_the_customer_whatever_the_row_holds(self):
        wordy = row(content="客户说洗衣机漏水", subject="漏水", form={"地址": "北京"},
                    contact={"name": "孙八"}, note="n", address="北京市")
        snap = feed.snapshot(wordy)
        assert not set(WORDS) & set(snap)
        dumped = events.TicketSnapshot().dump(snap)
        assert "孙八" not in str(dumped) and "漏水" not in str(dumped)

    def test_r1_repeat_follows_repeat_of(self):
        earlier = [str(uuid.uuid4()), str(uuid.uuid4())]
        assert feed.snapshot(row(repeat_of=earlier))["repeat"] is True
        assert feed.snapshot(row(repeat_of=earlier))["repeat_of"] == earlier
        assert feed.snapshot(row(repeat_of=[]))["repeat"] is False
        assert feed.snapshot(row(repeat_of=None))["repeat_of"] == []

    def test_r1_breaches_are_the_escalation_stamps(self):
        plain = feed.snapshot(row())
        assert (plain["response_breached"], plain["resolution_breached"]) == (False, False)
        response = feed.snapshot(row(response_escalated_at=AT))
        assert (response["response_breached"], response["resolution_breached"]) == \
            (True, False)
        resolution = feed.snapshot(row(escalated_at=AT))
        assert (resolution["response_breached"], resolution["resolution_breached"]) == \
            (False, True)

    def test_r1_a_row_without_a_level_is_ordinary(self):
        unclassified = row()
        del unclassified["level"]
        assert feed.snapshot(unclassified)["level"] == 0
        assert feed.snapshot(row(level=3))["level"] == 3

    def test_r1_it_dumps_to_aware_iso_times_and_loads_back(self):
        snap = feed.snapshot(row(cancelled_at=AT))
        schema = events.TicketSnapshot()
        wire = schema.dump(snap)
        assert wire["accepted_at"] == "2026-11-30T17:30:00+00:00"
        assert wire["closed_at"] is None
        back = schema.load(wire)
        assert back["accepted_at"] == AT and back["cancelled_at"] == AT
        assert back["revision"] == 3 and back["transfer_count"] == 2

    def test_r1_every_ticket_event_carries_it_and_old_events_still_load(self):
        payload = {"ticket_id": "t1", "serial": "TS-20261201-1", "kind": "complaint",
                   "customer_id": "c", "channel": "phone", "urgency": "low",
                   "acceptor_id": "a", "accepted_at": AT.isoformat()}
        schema = events.TicketCreated()
        assert schema.load(payload)["snapshot"] is None
        wire = schema.dump({**payload, "accepted_at": AT,
                            "snapshot": feed.snapshot(row())})
        assert schema.load(wire)["snapshot"]["revision"] == 3
        for name in ("TicketUpdated", "TicketRouted", "TicketStatusChanged",
                     "TicketSlaBreached",
                     "TicketDispatched", "DispatchHandled", "TicketReminderDue"):
            assert "snapshot" in getattr(events, name)().fields, name

    def test_r1_an_oversized_snapshot_is_refused_on_load(self):
        wire = events.TicketSnapshot().dump(feed.snapshot(row()))
        with pytest.raises(ValidationError) as bad:
            events.TicketSnapshot().load({**wire, "group_name": "组" * 101})
        assert "group_name" in bad.value.messages
        with pytest.raises(ValidationError) as bad:
            events.TicketSnapshot().load({**wire, "repeat_of": ["x"] * 101})
        assert "repeat_of" in bad.value.messages


class TestPaging:
    def test_r4_next_is_the_last_id_only_when_more_follow(self):
        rows = [row(id=f"00000000-0000-0000-0000-00000000000{i}") for i in range(4)]
        full = feed.page(rows, 3)
        assert [t["ticket_id"] for t in full["tickets"]] == [r["id"] for r in rows[:3]]
        assert full["next"] == rows[2]["id"]
        last = feed.page(rows[:3], 3)
        assert len(last["tickets"]) == 3 and last["next"] is None
        assert feed.page([], 3) == {"tickets": [], "next": None}

    @pytest.mark.parametrize("limit", [0, 1001, -1])
    def test_r4_a_page_holds_1_to_1000(self, limit):
        with pytest.raises(ValidationError) as bad:
            feed_contract.ReportPage().load({"limit": limit})
        assert "limit" in bad.value.messages

    def test_r4_a_page_defaults_to_500_from_the_first(self):
        assert feed_contract.ReportPage().load({}) == {"after": None, "limit": 500}

    def test_r4_after_must_be_a_ticket_id(self):
        with pytest.raises(ValidationError) as bad:
            feed_contract.ReportPage().load({"after": "not-an-id"})
        assert "after" in bad.value.messages


class TestCounts:
    def test_r4_a_period_of_china_days(self):
        start, end = feed.period(datetime.date(2026, 12, 1), datetime.date(2026, 12, 1))
        assert start == datetime.datetime(2026, 11, 30, 16, 0, tzinfo=datetime.UTC)
        assert end - start == datetime.timedelta(days=1)
        assert start.astimezone(CHINA).hour == 0

    def test_r4_to_before_from_is_invalid_naming_to(self):
        with pytest.raises(ValidationError) as bad:
            feed_contract.ReportCountsQuery().load({"from": "2026-12-02", "to": "2026-12-01"})
        assert list(bad.value.messages) == ["to"]

    def test_r4_at_most_400_days(self):
        schema = feed_contract.ReportCountsQuery()
        first = datetime.date(2025, 1, 1)
        ok = schema.load({"from": first.isoformat(),
                          "to": (first + datetime.timedelta(days=399)).isoformat()})
        assert ok["to"] - ok["from_"] == datetime.timedelta(days=399)
        with pytest.raises(ValidationError) as bad:
            schema.load({"from": first.isoformat(),
                         "to": (first + datetime.timedelta(days=400)).isoformat()})
        assert list(bad.value.messages) == ["to"]

    @pytest.mark.parametrize(("query", "field"), [
        ({"to": "2026-12-01"}, "from"), ({"from": "2026-12-01"}, "to"),
        ({"from": "12/01/2026", "to": "2026-12-01"}, "from"),
        ({"from": "2026-12-01", "to": "2026-13-01"}, "to")])
    def test_r4_a_missing_or_bad_day_is_named(self, query, field):
        with pytest.raises(ValidationError) as bad:
            feed_contract.ReportCountsQuery().load(query)
        assert field in bad.value.messages

    def test_r4_counts_fill_absent_figures_with_zero(self):
        rows = [{"day": datetime.date(2026, 12, 1), "kind": "complaint", "created": 2,
                 "resolved": None, "closed": None, "cancelled": 1, "reopened_tickets": 0,
                 "repeats": 1, "response_breached": None, "resolution_breached": None}]
        [count] = feed.counts(rows)["counts"]
        assert count["created"] == 2 and count["resolved"] == 0 and count["cancelled"] == 1
        assert set(count) == {"day", "kind", *feed.COUNTED}


class TestWhoMayCall:
    @pytest.mark.parametrize("name", ["report_tickets", "report_ticket_counts", "report_calls",
                                      "report_contacts", "report_call_counts"])
    def test_r4_only_the_report_system_identity(self, name):
        operation = contract.CONTRACT.operation(name)
        entrypoint = AuthenticatedRpc(allow=operation.roles, system=operation.system)

        def system(service):
            return Principal(f"system:{service}", service, frozenset({SYSTEM}), frozenset(),
                             SYSTEM_CLEARANCE, service=service)

        assert entrypoint.allows(system("report"))
        for other in ("survey", "notify", "customer", "ticket", "gateway"):
            assert not entrypoint.allows(system(other))
        for roles in (("agent",), ("supervisor",), ("manager",), ("general_manager",),
                      ("admin",), ("auditor",)):
            staff = Principal("s", "s", frozenset(roles), frozenset({"g"}), 3)
            assert not entrypoint.allows(staff), roles


class TestCountingRules:
    @pytest.mark.parametrize(("from_status", "to_status"), sorted(ALLOWED))
    def test_r1_a_reopen_is_a_move_from_resolved_or_closed_back_to_work(self, from_status,
                                                                         to_status):
        expected = from_status in ("resolved", "closed") and to_status != "closed"
        assert wf.is_reopen(from_status, to_status) is expected

    def test_r1_the_reopening_plan_is_what_is_counted(self):
        for current, target in (("resolved", "in_progress"), ("resolved", "assigned"),
                                ("closed", "in_progress")):
            ticket = {"status": current, "assignee_id": "me", "resolved_at": AT,
                      "closed_at": AT if current == "closed" else None}
            plan = wf.plan_transition(ticket, target, None, "me", AT)
            assert plan["action"] == "reopened" and wf.is_reopen(current, plan["status"])

    def test_r1_cancelling_stamps_cancelled_at_and_nothing_else_does(self):
        ticket = {"status": "in_progress", "assignee_id": "me", "resolved_at": None,
                  "closed_at": None}
        assert wf.plan_transition(ticket, "cancelled", None, "me", AT)["cancelled_at"] == AT
        assert wf.plan_transition(ticket, "resolved", None, "me", AT)["cancelled_at"] is None

    @pytest.mark.parametrize(("before", "after", "counted"), [
        # the first routing: from no handler, or from a group's queue to one of it
        ((None, None), (None, "投诉组"), False),
        ((None, None), ("b", "投诉组"), False),
        ((None, "投诉组"), ("b", "投诉组"), False),
        # away from a person: to another person, to a group, handed back
        (("a", "投诉组"), ("b", "投诉组"), True),
        (("a", "投诉组"), ("b", "订单组"), True),
        (("a", "投诉组"), (None, "订单组"), True),
        (("a", "投诉组"), (None, "投诉组"), True),
        (("a", None), (None, "投诉组"), True),
        # from one group to another, unassigned or to a person there
        ((None, "投诉组"), (None, "订单组"), True),
        ((None, "投诉组"), ("b", "订单组"), True),
        # no change of handler
        (("a", "投诉组"), ("a", "投诉组"), False),
        ((None, "投诉组"), (None, "投诉组"), False),
    ])
    def test_r1_a_transfer_is_counted_after_the_first_assignment(self, before, after,
                                                                 counted):
        def handler(pair):
            return {"assignee_id": pair[0], "group_name": pair[1]}
        assert wf.is_transfer(handler(before), handler(after)) is counted


class TestCallFeed:
    """Calls and contacts 话务报表: the pages the report rebuilds its call facts from."""

    def test_r4_a_call_page_parses_event_times_and_next_only_when_more_follow(self):
        rows = [{"call_id": f"c{i}", "events": [
            {"event": "offered", "at": "2026-11-30T17:30:00+00:00", "queue": "售后",
             "agent_id": None, "wait_seconds": None}]} for i in range(3)]
        page = feed.call_page(rows, 2)
        assert [c["call_id"] for c in page["calls"]] == ["c0", "c1"] and page["next"] == "c1"
        assert page["calls"][0]["events"][0]["at"] == AT
        dumped = feed_contract.ReportCalls().dump(page)
        assert feed_contract.ReportCalls().load(dumped)["calls"][0]["events"][0]["at"] == AT
        assert feed.call_page(rows[:2], 2)["next"] is None

    def test_r4_a_calls_page_after_is_a_bounded_call_id(self):
        schema = feed_contract.ReportCallsPage()
        assert schema.load({"after": "pbx-1"}) == {"after": "pbx-1", "limit": 500}
        with pytest.raises(ValidationError) as caught:
            schema.load({"after": "x" * 101})
        assert "after" in caught.value.messages

    def test_r4_a_contact_page_carries_no_customer_nor_ivr_path(self):
        fields = set(feed_contract.ReportContact().fields)
        assert fields == {"contact_id", "ticket_id", "channel", "direction", "agent_id",
                          "started_at", "duration_seconds", "call_id"}
        rows = [{"contact_id": str(uuid.uuid4()), "ticket_id": None, "channel": "phone",
                 "direction": "out", "agent_id": "a", "started_at": AT,
                 "duration_seconds": 0, "call_id": None} for _ in range(2)]
        assert feed.contact_page(rows, 1)["next"] == rows[0]["contact_id"]

    def test_r4_call_counts_fill_absent_figures_with_zero(self):
        day = datetime.date(2026, 12, 1)
        answer = feed.call_counts([{"day": day, "offered": 3, "answered": 2,
                                    "abandoned": None, "outbound": None}])
        assert answer == {"counts": [{"day": day, "offered": 3, "answered": 2,
                                      "abandoned": 0, "outbound": 0}]}

"""Issue 13 (话务报表), the ticket side of the call feed on real PostgreSQL and RabbitMQ:
report_calls pages over every call once in call id order with its events, report_contacts
over every contact without its customer, report_call_counts counts each call on the
China day it was offered (else first heard of) and phone contacts out on theirs — and
nobody but the report service's system identity reads any of them.  The days are far in
the future: no other test's calls land on them."""
import datetime
import itertools
import uuid

import pytest

from services.common.errors import Forbidden
from tests.helpers import system_token

_SCENES = itertools.count()  # each scene on days of its own (the database is shared)


def china(day: datetime.date, hhmmss: str) -> str:
    """An ISO time in China (+08:00) as the telephony system would send it."""
    return datetime.datetime.fromisoformat(f"{day.isoformat()}T{hhmmss}+08:00").isoformat()


@pytest.fixture
def calls(start, rpc):
    start("ticket")
    tag = uuid.uuid4().hex[:8]
    ids = {name: f"{name}-{tag}" for name in ("a", "b", "c", "d")}
    first = datetime.date(2031, 4, 30) + datetime.timedelta(days=3 * next(_SCENES))
    second, third = first + datetime.timedelta(days=1), first + datetime.timedelta(days=2)
    events = [
        # a: offered a minute before midnight, answered after it — the offered day
        {"call_id": ids["a"], "event": "offered", "at": china(first, "23:59:30"),
         "queue": "售后"},
        {"call_id": ids["a"], "event": "answered", "at": china(second, "00:00:20"),
         "agent_id": "agent-x", "wait_seconds": 50},
        {"call_id": ids["a"], "event": "ended", "at": china(second, "00:03:00")},
        # b: only its answer was heard of
        {"call_id": ids["b"], "event": "answered", "at": china(second, "10:00:00"),
         "agent_id": "agent-x"},
        # c: offered and abandoned
        {"call_id": ids["c"], "event": "offered", "at": china(second, "11:00:00"),
         "queue": "售前"},
        {"call_id": ids["c"], "event": "abandoned", "at": china(second, "11:00:40"),
         "wait_seconds": 40},
        # d: the next day
        {"call_id": ids["d"], "event": "offered", "at": china(third, "00:00:05")},
    ]
    rpc("ticket", roles=("telephony",)).record_call_events({"events": events})
    agent = rpc("ticket", roles=("agent",), staff_id=f"agent-{tag}")
    contacts = [agent.log_contact({"channel": channel, "direction": direction,
                                   "started_at": china(day, at), "duration_seconds": seconds})
                for channel, direction, day, at, seconds in (
                    ("phone", "out", second, "09:00:00", 30),
                    ("phone", "out", first, "23:59:59", 0),
                    ("phone", "in", second, "09:30:00", 60),
                    ("wechat", "in", second, "09:40:00", 200))]
    return {"ids": ids, "contacts": contacts, "agent": f"agent-{tag}", "days": (first, second)}


def as_report(rpc):
    return rpc("ticket", auth_token=system_token("report"))


class TestCallFeed:
    def test_r4_report_calls_pages_over_every_call_once_in_call_id_order(self, calls, rpc):
        report = as_report(rpc)
        seen, after = [], None
        while True:
            page = report.report_calls({"after": after, "limit": 2})
            assert len(page["calls"]) <= 2
            seen += page["calls"]
            after = page["next"]
            if not after:
                break
        order = [c["call_id"] for c in seen]
        assert order == sorted(order) and len(set(order)) == len(order)
        mine = {c["call_id"]: c["events"] for c in seen if c["call_id"] in
                set(calls["ids"].values())}
        assert set(mine) == set(calls["ids"].values())
        a = mine[calls["ids"]["a"]]
        assert [e["event"] for e in a] == ["offered", "answered", "ended"]  # in time order
        assert datetime.datetime.fromisoformat(a[1].pop("at")) == \
            datetime.datetime.fromisoformat(china(calls["days"][1], "00:00:20"))
        # the answer came without a queue: it takes the call's
        assert a[1] == {"event": "answered", "queue": "售后", "agent_id": "agent-x",
                        "wait_seconds": 50}

    def test_r4_report_contacts_pages_every_contact_without_its_customer(self, calls, rpc):
        report = as_report(rpc)
        seen, after = [], None
        while True:
            page = report.report_contacts({"after": after, "limit": 3})
            seen += page["contacts"]
            after = page["next"]
            if not after:
                break
        mine = [c for c in seen if c["agent_id"] == calls["agent"]]
        assert {c["contact_id"] for c in mine} == {c["id"] for c in calls["contacts"]}
        assert all(set(c) == {"contact_id", "ticket_id", "channel", "direction", "agent_id",
                              "started_at", "duration_seconds", "call_id"} for c in mine)

    def test_r4_report_call_counts_count_each_call_on_its_offered_day_in_china(
            self, calls, rpc):
        first, second = (d.isoformat() for d in calls["days"])
        counts = as_report(rpc).report_call_counts({"from": first, "to": second})
        assert counts == {"counts": [
            {"day": first, "offered": 1, "answered": 1, "abandoned": 0, "outbound": 1},
            {"day": second, "offered": 2, "answered": 1, "abandoned": 1, "outbound": 1}]}

    @pytest.mark.parametrize("caller", ["agent", "supervisor", "manager", "admin", "auditor",
                                        "telephony", "system:survey"])
    def test_r4_only_the_report_system_identity_reads_the_call_feed(self, start, rpc, caller):
        start("ticket")
        if caller.startswith("system:"):
            proxy = rpc("ticket", auth_token=system_token(caller.split(":")[1]))
        else:
            proxy = rpc("ticket", roles=(caller,), groups=["g"], clearance=3)
        with pytest.raises(Forbidden):
            proxy.report_calls({"limit": 1})
        with pytest.raises(Forbidden):
            proxy.report_contacts({"limit": 1})
        with pytest.raises(Forbidden):
            proxy.report_call_counts({"from": "2031-05-01", "to": "2031-05-01"})

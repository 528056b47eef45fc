"""Issue 13, the ticket side of the report feed, on real PostgreSQL and RabbitMQ: tickets
made, routed, resolved, reopened, closed, cancelled, dispatched and escalated through
the ticket service's own operations; then the events on the wire carry the ticket's
snapshot with rising revisions, report_tickets pages over every ticket once in id
order, report_ticket_counts equals a plain count of the tickets made, and nobody but
the report service's system identity may read either."""
import datetime
import os
import time
import uuid
from collections import Counter, defaultdict

import psycopg2
import psycopg2.extras
import pytest
from kombu import Connection, Exchange, Queue

from services.common.errors import Forbidden, Invalid
from services.common.zone import CHINA
from services.ticket.contract import events as events_contract
from tests.helpers import system_token

SNAPSHOT = events_contract.TicketSnapshot()
TICKET_EVENTS = {"ticket_created", "ticket_updated", "ticket_assigned", "ticket_transferred",
                 "ticket_status_changed", "ticket_resolved", "ticket_closed",
                 "ticket_sla_breached", "ticket_dispatched", "dispatch_handled"}


def db():
    conn = psycopg2.connect(os.environ["KEFU_TICKET_DB_URI"],
                            cursor_factory=psycopg2.extras.RealDictCursor)
    conn.autocommit = True
    return conn


def sql(statement: str, *params) -> list[dict]:
    conn = db()
    try:
        with conn.cursor() as cur:
            cur.execute(statement, params)
            return cur.fetchall() if cur.description else []
    finally:
        conn.close()


class Wire:
    """A queue bound to every event of the ticket service, read in arrival order."""

    def __init__(self, rabbit_config):
        self.uri = rabbit_config["AMQP_URI"]
        exchange = Exchange("ticket.events", type="topic", durable=True)
        self.queue = Queue(f"report-feed-test-{uuid.uuid4().hex[:8]}", exchange,
                           routing_key="#", durable=False)
        with Connection(self.uri) as conn:
            self.queue(conn.default_channel).declare()
        self.seen: list[dict] = []

    def until(self, done, seconds=20) -> list[dict]:
        """Read events until done(events so far) or the time is up."""
        deadline = time.monotonic() + seconds
        with Connection(self.uri) as conn:
            simple = conn.SimpleQueue(self.queue)
            try:
                while not done(self.seen) and time.monotonic() < deadline:
                    try:
                        message = simple.get(timeout=0.5)
                    except simple.Empty:
                        continue
                    self.seen.append(message.payload)
                    message.ack()
            finally:
                simple.close()
        return self.seen


class Scene:
    """A customer, a group with two agents and a supervisor, a field staff member, and
    six tickets taken through the workflow by the ticket service's operations.  `facts`
    is what each ticket went through, written down as it was done (the reference the
    counts are checked against)."""

    def __init__(self, rpc):
        tag = uuid.uuid4().hex[:8]
        self.group, self.a, self.b, self.boss = f"rf-{tag}", f"a-{tag}", f"b-{tag}", f"s-{tag}"
        self.field = f"fd-{tag}"
        self.as_a = rpc("ticket", staff_id=self.a, groups=[self.group])
        self.as_b = rpc("ticket", staff_id=self.b, groups=[self.group])
        self.as_boss = rpc("ticket", roles=("supervisor",), staff_id=self.boss,
                           groups=[self.group])
        self.as_field = rpc("ticket", roles=("field",), staff_id=self.field,
                            groups=[f"field-{tag}"])
        for proxy in (self.as_a, self.as_b, self.as_boss, self.as_field):
            proxy.set_duty({"on_duty": False})
        rpc("ticket", roles=("admin",)).set_repeat_rule(
            {"kind": "complaint", "window_days": 7, "threshold": 0.5})
        self.customer = rpc("customer").create_customer({"name": "周九"})["id"]
        self.facts: dict[str, dict] = {}

    def new(self, kind: str, content: str) -> str:
        ticket = self.as_a.create_ticket({"customer_id": self.customer, "kind": kind,
                                          "content": content, "group_name": self.group})
        self.facts[ticket["id"]] = {"kind": kind, "repeat": bool(ticket["repeat_of"]),
                                    "resolved": False, "closed": False,
                                    "cancelled": False, "reopens": 0, "transfers": 0,
                                    "response_breached": False}
        return ticket["id"]

    def play(self) -> None:
        # 1. consultation: the supervisor assigns it from the queue, a resolves, closes
        t1 = self.new("consultation", "保修期多久")
        self.as_boss.transfer_ticket(t1, {"staff_id": self.a})
        self.as_a.accept_ticket(t1)
        self.as_a.transition_ticket(t1, {"to": "resolved"})
        self.as_a.transition_ticket(t1, {"to": "closed"})
        self.facts[t1].update(resolved=True, closed=True)
        # 2. complaint: a takes it, transfers it to b (1), b hands it back (2), the
        # supervisor gives it to b; b resolves, it is reopened, resolved again and closed
        t2 = self.new("complaint", "安装师傅迟到两小时")
        self.as_a.accept_ticket(t2)
        self.as_a.transfer_ticket(t2, {"staff_id": self.b})
        self.as_b.hand_back_ticket(t2, {"note": "不是我的"})
        self.as_boss.transfer_ticket(t2, {"staff_id": self.b})
        self.as_b.accept_ticket(t2)
        self.as_b.transition_ticket(t2, {"to": "resolved"})
        self.as_b.transition_ticket(t2, {"to": "in_progress", "note": "客户说没修好"})
        self.as_b.transition_ticket(t2, {"to": "resolved"})
        self.as_b.transition_ticket(t2, {"to": "closed"})
        self.facts[t2].update(resolved=True, closed=True, reopens=1, transfers=2)
        # 3. after-sales, cancelled
        t3 = self.new("after_sales", "重复来电")
        self.as_a.transition_ticket(t3, {"to": "cancelled", "note": "重复"})
        self.facts[t3].update(cancelled=True)
        # 4. the customer complains again (a repeat of 2), made urgent, left in the queue
        t4 = self.new("complaint", "安装师傅又迟到了")
        self.as_a.update_ticket(t4, {"urgency": "urgent"})
        # 5. suggestion, left new; its response target passes (the SLA timer escalates)
        t5 = self.new("suggestion", "希望增加微信客服")
        sql("UPDATE ticket SET response_due_at = now() - interval '1 minute' WHERE id = %s",
            t5)
        self.facts[t5].update(response_breached=True)
        # 6. after-sales, dispatched to field staff who records the job done
        t6 = self.new("after_sales", "空调不制冷")
        now = datetime.datetime.now(datetime.UTC)
        job = self.as_a.dispatch_ticket(t6, {
            "staff_id": self.field, "address": "北京市朝阳区",
            "window_start": (now + datetime.timedelta(hours=1)).isoformat(),
            "window_end": (now + datetime.timedelta(hours=3)).isoformat()})
        self.as_field.record_handling(job["id"], {"done": True, "fee": "80.00",
                                                  "paid": True})

    @property
    def ids(self) -> list[str]:
        return list(self.facts)


@pytest.fixture
def scene(start, rpc, rabbit_config):
    start("customer")
    start("ticket")
    wire = Wire(rabbit_config)
    played = Scene(rpc)
    played.play()
    return played, wire


def breached(events: list[dict], ticket_id: str) -> bool:
    return any(e["type"] == "ticket_sla_breached" and e["data"]["ticket_id"] == ticket_id
               for e in events)


def as_report(rpc):
    return rpc("ticket", auth_token=system_token("report"))


def china_day(moment: datetime.datetime | None):
    return moment.astimezone(CHINA).date() if moment else None


class TestReportFeed:
    def test_r1_every_ticket_event_carries_its_snapshot_with_rising_revisions(self, scene,
                                                                             rpc):
        played, wire = scene
        t5 = played.ids[4]
        events = wire.until(lambda seen: breached(seen, t5))
        assert breached(events, t5)
        mine = [e for e in events if e["type"] in TICKET_EVENTS
                and e["data"]["ticket_id"] in played.facts]
        assert {e["type"] for e in mine} == TICKET_EVENTS
        revisions = defaultdict(list)
        for event in mine:
            snapshot = event["data"]["snapshot"]
            assert snapshot is not None, event["type"]
            loaded = SNAPSHOT.load(snapshot)
            assert loaded["ticket_id"] == event["data"]["ticket_id"]
            if event["type"] == "ticket_status_changed":
                assert loaded["status"] == event["data"]["to_status"]
            revisions[loaded["ticket_id"]].append(loaded["revision"])
        now = {r["id"]: r["revision"] for r in sql(
            "SELECT id::text, revision FROM ticket WHERE id = ANY(%s::uuid[])",
            played.ids)}
        for ticket_id, seen in revisions.items():
            assert seen == sorted(seen), ticket_id  # never lower than an earlier event's
            assert seen[-1] <= now[ticket_id]
        t2 = played.ids[1]
        assert len(set(revisions[t2])) >= 9  # each of its steps a new revision
        last = {e["data"]["ticket_id"]: e["data"]["snapshot"] for e in mine}
        assert last[t2]["reopen_count"] == 1 and last[t2]["transfer_count"] == 2
        assert last[t5]["response_breached"] is True
        assert last[played.ids[3]]["repeat"] is True
        [edit] = [e["data"] for e in mine if e["type"] == "ticket_updated"]
        assert edit["changed"] == ["urgency"] and edit["snapshot"]["urgency"] == "urgent"
        assert played.ids[1] in last[played.ids[3]]["repeat_of"]
        for event in mine:  # a snapshot says nothing the customer said
            text = str(event["data"]["snapshot"])
            assert "迟到" not in text and "北京" not in text

    def test_r4_report_tickets_pages_over_every_ticket_once_in_id_order(self, scene, rpc):
        played, wire = scene
        wire.until(lambda seen: breached(seen, played.ids[4]))
        report = as_report(rpc)
        listed, after, pages = [], None, 0
        while True:
            page = report.report_tickets({"after": after, "limit": 1000})
            listed.extend(page["tickets"])
            pages += 1
            if page["next"] is None:
                break
            assert page["next"] == page["tickets"][-1]["ticket_id"]
            after = page["next"]
        ids = [t["ticket_id"] for t in listed]
        assert ids == sorted(ids, key=uuid.UUID) and len(ids) == len(set(ids))
        assert set(ids) == {r["id"] for r in sql("SELECT id::text FROM ticket")}
        # small pages walk the same order
        small, after = [], None
        for _ in range(4):
            page = report.report_tickets({"after": after, "limit": 3})
            small.extend(t["ticket_id"] for t in page["tickets"])
            after = page["next"]
            if after is None:
                break
        assert small == ids[:len(small)] and len(small) == min(12, len(ids))
        by_id = {t["ticket_id"]: t for t in listed}
        for ticket_id, fact in played.facts.items():
            snapshot = by_id[ticket_id]
            assert snapshot["kind"] == fact["kind"]
            assert snapshot["reopen_count"] == fact["reopens"]
            assert snapshot["transfer_count"] == fact["transfers"]
            assert (snapshot["cancelled_at"] is not None) == fact["cancelled"]
            assert (snapshot["closed_at"] is not None) == fact["closed"]
            assert snapshot["repeat"] == fact["repeat"]
        with pytest.raises(Invalid) as bad:
            report.report_tickets({"limit": 1001})
        assert "limit" in bad.value.fields

    def test_r4_report_ticket_counts_equal_a_plain_count_of_the_tickets_made(self, scene,
                                                                            rpc):
        played, wire = scene
        wire.until(lambda seen: breached(seen, played.ids[4]))
        # The tickets made move to a day of their own, so that they alone are counted.
        shift = datetime.timedelta(days=3000 + uuid.uuid4().int % 3000)
        sql("UPDATE ticket SET accepted_at = accepted_at - %s, resolved_at = resolved_at - %s,"
            " closed_at = closed_at - %s, cancelled_at = cancelled_at - %s"
            " WHERE id = ANY(%s::uuid[])", shift, shift, shift, shift, played.ids)
        rows = {r["id"]: r for r in sql(
            "SELECT id::text, accepted_at, resolved_at, closed_at, cancelled_at FROM ticket"
            " WHERE id = ANY(%s::uuid[])", played.ids)}
        expected: Counter = Counter()
        for ticket_id, fact in played.facts.items():
            row, kind = rows[ticket_id], fact["kind"]
            day = china_day(row["accepted_at"])
            expected[(day, kind, "created")] += 1
            expected[(day, kind, "reopened_tickets")] += fact["reopens"] > 0
            expected[(day, kind, "repeats")] += fact["repeat"]
            expected[(day, kind, "response_breached")] += fact["response_breached"]
            for done in ("resolved", "closed", "cancelled"):
                if fact[done]:
                    expected[(china_day(row[f"{done}_at"]), kind, done)] += 1
        days = sorted({key[0] for key in expected})
        answer = as_report(rpc).report_ticket_counts(
            {"from": (days[0] - datetime.timedelta(days=1)).isoformat(),
             "to": (days[-1] + datetime.timedelta(days=1)).isoformat()})
        counted: Counter = Counter()
        for row in answer["counts"]:
            for name, value in row.items():
                if name not in ("day", "kind"):
                    counted[(datetime.date.fromisoformat(row["day"]), row["kind"], name)] += value
        assert +counted == +expected
        assert sum(v for k, v in counted.items() if k[2] == "created") == 6

    def test_r1_a_merged_customers_tickets_are_told_with_the_survivor(self, start, rpc,
                                                                       rabbit_config):
        start("customer")
        start("ticket")
        wire = Wire(rabbit_config)
        merged = rpc("customer").create_customer({"name": "吴十"})["id"]
        ticket = rpc("ticket").create_ticket({"customer_id": merged, "kind": "consultation",
                                              "content": "发票怎么开"})
        survivor = str(uuid.uuid4())
        event = {"event_id": str(uuid.uuid4()), "type": "customer_merged",
                 "occurred_at": datetime.datetime.now(datetime.UTC).isoformat(),
                 "schema_version": 1, "actor": "test",
                 "data": {"merged_id": merged, "survivor_id": survivor}}
        exchange = Exchange("customer.events", type="topic", durable=True)
        with Connection(rabbit_config["AMQP_URI"]) as conn:
            for _ in range(2):  # twice: the inbox makes the second a no-op
                conn.Producer(serializer="json").publish(
                    event, exchange=exchange, routing_key="customer_merged",
                    declare=[exchange], user_id=conn.userid)

        def updated(seen):
            return [e["data"] for e in seen if e["type"] == "ticket_updated"]
        wire.until(updated)
        time.sleep(1)  # a second one, if any, would have come by now
        [told] = updated(wire.until(lambda seen: False, seconds=1))
        assert told["ticket_id"] == ticket["id"] and told["changed"] == ["customer_id"]
        assert SNAPSHOT.load(told["snapshot"])["customer_id"] == survivor
        [created] = [e["data"] for e in wire.seen if e["type"] == "ticket_created"]
        assert told["snapshot"]["revision"] > created["snapshot"]["revision"]

    def test_r4_counts_refuse_a_bad_period_naming_the_field(self, start, rpc):
        start("ticket")
        report = as_report(rpc)
        with pytest.raises(Invalid) as bad:
            report.report_ticket_counts({"from": "2026-12-02", "to": "2026-12-01"})
        assert "to" in bad.value.fields
        with pytest.raises(Invalid) as bad:
            report.report_ticket_counts({"from": "2025-01-01", "to": "2026-12-01"})
        assert "to" in bad.value.fields
        with pytest.raises(Invalid) as bad:
            report.report_ticket_counts({"to": "2026-12-01"})
        assert "from" in bad.value.fields

    @pytest.mark.parametrize("caller", ["agent", "manager", "general_manager", "admin",
                                        "auditor", "system:survey", "system:notify"])
    def test_r4_only_the_report_system_identity_reads_the_feed(self, start, rpc, caller):
        start("ticket")
        if caller.startswith("system:"):
            proxy = rpc("ticket", auth_token=system_token(caller.split(":")[1]))
        else:
            proxy = rpc("ticket", roles=(caller,), groups=["g"], clearance=3)
        with pytest.raises(Forbidden):
            proxy.report_tickets({"limit": 1})
        with pytest.raises(Forbidden):
            proxy.report_ticket_counts({"from": "2026-12-01", "to": "2026-12-01"})

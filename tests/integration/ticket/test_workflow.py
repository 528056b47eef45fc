"""T4 workflow against real PostgreSQL and RabbitMQ: every allowed transition driven on
real tickets, every refused one changing nothing, transfer (group, person, any
on-duty member), accept and hand back, each with its trail row and outbox events."""
import datetime
import os
import uuid

import psycopg2
import psycopg2.extras
import pytest
from kombu import Connection, Exchange
from nameko.testing.services import entrypoint_waiter

from services.common.errors import Conflict, Forbidden, Invalid, NotFound
from services.ticket.contract import events as events_contract
from services.ticket.contract import tickets as tickets_contract
from tests.unit.ticket.test_workflow import ALLOWED


def db():
    return psycopg2.connect(os.environ["KEFU_TICKET_DB_URI"],
                            cursor_factory=psycopg2.extras.RealDictCursor)


def state(ticket_id: str) -> dict:
    """The ticket's status, handler, trail length and outbox events, read directly."""
    with db() as conn, conn.cursor() as cur:
        cur.execute("SELECT status, assignee_id, group_name, waiting_on, resolved_at, closed_at"
                    " FROM ticket WHERE id = %s", (ticket_id,))
        row = dict(cur.fetchone())
        cur.execute("SELECT count(*) AS n FROM ticket_trail WHERE ticket_id = %s", (ticket_id,))
        row["trail"] = cur.fetchone()["n"]
        cur.execute("SELECT event_type, envelope FROM outbox"
                    " WHERE envelope->'data'->>'ticket_id' = %s ORDER BY id", (ticket_id,))
        row["events"] = [(r["event_type"], r["envelope"]["data"]) for r in cur.fetchall()]
    return row


def set_closed_at(ticket_id: str, days_ago: int) -> None:
    with db() as conn, conn.cursor() as cur:
        cur.execute("UPDATE ticket SET closed_at = now() - %s * interval '1 day'"
                    " WHERE id = %s", (days_ago, ticket_id))


class World:
    """A customer, a group with two agents and a supervisor, all known to the ticket
    service (set_duty brings a caller into the staff read model from the token)."""

    def __init__(self, rpc):
        self.rpc = rpc
        tag = uuid.uuid4().hex[:8]
        self.group = f"hotline-{tag}"
        self.other_group = f"field-{tag}"
        self.a, self.b, self.boss = f"a-{tag}", f"b-{tag}", f"s-{tag}"
        self.fielder = f"f-{tag}"
        self.as_a = rpc("ticket", staff_id=self.a, groups=[self.group])
        self.as_b = rpc("ticket", staff_id=self.b, groups=[self.group])
        self.as_boss = rpc("ticket", roles=("supervisor",), staff_id=self.boss,
                           groups=[self.group])
        self.as_field = rpc("ticket", roles=("field",), staff_id=self.fielder,
                            groups=[self.other_group])
        for proxy in (self.as_a, self.as_b, self.as_boss, self.as_field):
            proxy.set_duty({"on_duty": False})
        self.customer = rpc("customer").create_customer({"name": "孙八"})

    def new_ticket(self, in_group=True) -> str:
        ticket = self.as_a.create_ticket({"customer_id": self.customer["id"],
                                          "kind": "after_sales", "content": "洗衣机漏水"})
        if in_group:
            self.as_a.transfer_ticket(ticket["id"], {"group": self.group})
        return ticket["id"]

    # Bring a ticket into each status by the operations that make it.
    def into(self, status: str) -> str:
        tid = self.new_ticket()
        if status == "new":
            return tid
        if status == "cancelled":
            self.as_a.transition_ticket(tid, {"to": "cancelled", "note": "duplicate call"})
            return tid
        self.as_boss.transfer_ticket(tid, {"staff_id": self.a})
        if status == "assigned":
            return tid
        self.as_a.accept_ticket(tid)
        if status == "in_progress":
            return tid
        if status == "waiting":
            self.as_a.transition_ticket(tid, {"to": "waiting", "waiting_on": "parts"})
            return tid
        self.as_a.transition_ticket(tid, {"to": "resolved"})
        if status == "closed":
            self.as_a.transition_ticket(tid, {"to": "closed"})
        return tid

    def move(self, tid: str, from_status: str, to_status: str) -> None:
        """Make the move by the operation that owns it."""
        if to_status == "new":
            self.as_a.hand_back_ticket(tid, {"note": "not mine"})
        elif to_status == "assigned" and from_status != "resolved":
            actor = self.as_a if from_status == "new" else self.as_boss
            actor.transfer_ticket(tid, {"staff_id": self.b})
        elif to_status == "in_progress" and from_status in ("new", "assigned"):
            self.as_a.accept_ticket(tid)
        else:
            waiting_on = "customer" if to_status == "waiting" else None
            self.as_a.transition_ticket(tid, {"to": to_status, "waiting_on": waiting_on,
                                              "note": "step"})


@pytest.fixture
def world(start, rpc):
    start("customer")
    start("ticket")
    return World(rpc)


class TestTransitionTable:
    @pytest.mark.parametrize(("from_status", "to_status"), sorted(ALLOWED))
    def test_every_allowed_transition_on_a_real_ticket(self, world, from_status, to_status):
        tid = world.into(from_status)
        before = state(tid)
        assert before["status"] == from_status
        world.move(tid, from_status, to_status)
        after = state(tid)
        assert after["status"] == to_status
        assert after["trail"] == before["trail"] + 1
        new_events = after["events"][len(before["events"]):]
        changed = [d for t, d in new_events if t == "ticket_status_changed"]
        assert [(d["from_status"], d["to_status"]) for d in changed] == [(from_status, to_status)]
        events_contract.TicketStatusChanged().load(changed[0])
        if to_status in ("resolved", "closed"):
            assert f"ticket_{to_status}" in [t for t, _ in new_events]

    def test_refused_transitions_change_nothing(self, world):
        refused = 0
        for from_status in tickets_contract.STATUSES:
            tid = world.into(from_status)
            for to_status in tickets_contract.STATUSES:
                if (from_status, to_status) in ALLOWED:
                    continue
                before = state(tid)
                waiting_on = "customer" if to_status == "waiting" else None
                with pytest.raises((Conflict, Invalid)) as no:
                    world.as_boss.transition_ticket(tid, {"to": to_status,
                                                          "waiting_on": waiting_on})
                if isinstance(no.value, Conflict):
                    assert from_status in str(no.value) and to_status in str(no.value)
                assert state(tid) == before
                refused += 1
        assert refused == len(tickets_contract.STATUSES) ** 2 - len(ALLOWED)

    def test_unknown_target_is_invalid(self, world):
        tid = world.new_ticket()
        with pytest.raises(Invalid) as bad:
            world.as_a.transition_ticket(tid, {"to": "reopened"})
        assert "to" in bad.value.fields

    def test_closed_ticket_reopens_only_within_30_days(self, world):
        tid = world.into("closed")
        set_closed_at(tid, 31)
        with pytest.raises(Conflict, match="30 days"):
            world.as_a.transition_ticket(tid, {"to": "in_progress"})
        set_closed_at(tid, 29)
        world.as_a.transition_ticket(tid, {"to": "in_progress", "note": "still leaking"})
        assert state(tid)["closed_at"] is None

    def test_resolve_and_close_stamp_the_ticket(self, world):
        tid = world.into("resolved")
        assert state(tid)["resolved_at"] is not None
        world.as_a.transition_ticket(tid, {"to": "closed"})
        assert state(tid)["closed_at"] is not None


class TestWhoMayAct:
    def test_other_agent_cannot_touch_an_assigned_ticket(self, world):
        tid = world.into("in_progress")
        before = state(tid)
        with pytest.raises(NotFound):
            world.as_b.transition_ticket(tid, {"to": "resolved"})
        assert state(tid) == before

    def test_agent_of_another_group_cannot_see_unassigned_ticket(self, world, rpc):
        tid = world.new_ticket()
        stranger = rpc("ticket", staff_id="x-" + uuid.uuid4().hex[:6], groups=["elsewhere"])
        with pytest.raises(NotFound):
            stranger.accept_ticket(tid)

    def test_field_staff_only_on_their_own(self, world):
        world.as_field.set_duty({"on_duty": True})
        tid = world.new_ticket()
        with pytest.raises(NotFound):
            world.as_field.accept_ticket(tid)
        world.as_a.transfer_ticket(tid, {"staff_id": world.fielder})
        world.as_field.accept_ticket(tid)
        world.as_field.transition_ticket(tid, {"to": "resolved", "note": "fixed on site"})
        assert state(tid)["status"] == "resolved"

    def test_unknown_ticket_is_not_found(self, world):
        with pytest.raises(NotFound):
            world.as_boss.accept_ticket(str(uuid.uuid4()))
        with pytest.raises(NotFound):
            world.as_boss.accept_ticket("not-an-id")


class TestTransfer:
    def test_to_a_group_makes_it_unassigned_there(self, world):
        tid = world.into("in_progress")
        routed = world.as_a.transfer_ticket(tid, {"group": world.group, "note": "for the team"})
        assert routed["ticket"]["status"] == "new" and routed["ticket"]["assignee_id"] is None
        step = routed["step"]
        assert (step["from_handler"], step["to_handler"]) == (f"staff:{world.a}",
                                                              f"group:{world.group}")
        assert step["note"] == "for the team"
        assert "ticket_transferred" in [t for t, _ in state(tid)["events"]]

    def test_to_an_unknown_group_or_person_is_invalid(self, world):
        tid = world.new_ticket()
        before = state(tid)
        with pytest.raises(Invalid) as bad:
            world.as_a.transfer_ticket(tid, {"group": "nobody-" + uuid.uuid4().hex})
        assert "group" in bad.value.fields
        with pytest.raises(Invalid) as bad:
            world.as_a.transfer_ticket(tid, {"staff_id": "ghost-" + uuid.uuid4().hex})
        assert "staff_id" in bad.value.fields
        with pytest.raises(Invalid):
            world.as_a.transfer_ticket(tid, {"group": world.group, "staff_id": world.b})
        assert state(tid) == before

    def test_to_a_named_person_notifies_them(self, world):
        tid = world.new_ticket()
        routed = world.as_a.transfer_ticket(tid, {"staff_id": world.b, "note": "yours"})
        assert routed["ticket"]["status"] == "assigned"
        assert routed["ticket"]["assignee_id"] == world.b
        assigned = [d for t, d in state(tid)["events"] if t == "ticket_assigned"]
        assert assigned[-1]["notify_staff_ids"] == [world.b]
        assert assigned[-1]["from_group"] == world.group

    def test_to_any_on_duty_member_takes_turns(self, world):
        world.as_a.set_duty({"on_duty": True})
        world.as_b.set_duty({"on_duty": True})
        picked = []
        for _ in range(4):
            tid = world.new_ticket()
            routed = world.as_boss.transfer_ticket(tid, {"any_on_duty_of": world.group})
            assert routed["ticket"]["status"] == "assigned"
            picked.append(routed["ticket"]["assignee_id"])
        # the least recently assigned goes next: the two alternate
        assert set(picked) == {world.a, world.b}
        assert picked[0] != picked[1] and picked[0::2] == [picked[0]] * 2

    def test_nobody_on_duty_is_a_conflict_and_changes_nothing(self, world):
        tid = world.new_ticket()
        before = state(tid)
        with pytest.raises(Conflict, match="on duty"):
            world.as_a.transfer_ticket(tid, {"any_on_duty_of": world.group})
        assert state(tid) == before

    def test_finished_ticket_is_not_transferred(self, world):
        tid = world.into("resolved")
        with pytest.raises(Conflict):
            world.as_a.transfer_ticket(tid, {"staff_id": world.b})

    def test_transfer_to_where_it_is_is_a_conflict(self, world):
        tid = world.new_ticket()
        with pytest.raises(Conflict, match="already"):
            world.as_a.transfer_ticket(tid, {"group": world.group})


class TestAcceptAndHandBack:
    def test_group_member_takes_an_unassigned_ticket(self, world):
        tid = world.new_ticket()
        routed = world.as_b.accept_ticket(tid)
        assert routed["ticket"]["assignee_id"] == world.b
        assert routed["ticket"]["status"] == "in_progress"
        assert routed["step"]["action"] == "accepted"

    def test_only_one_of_two_takes_it(self, world):
        tid = world.new_ticket()
        world.as_a.accept_ticket(tid)
        with pytest.raises(NotFound):  # assigned to a: out of b's scope now
            world.as_b.accept_ticket(tid)

    def test_hand_back_needs_a_note_and_returns_it_to_the_group(self, world):
        world.as_b.set_duty({"on_duty": True})
        tid = world.into("in_progress")
        with pytest.raises(Invalid) as bad:
            world.as_a.hand_back_ticket(tid, {"note": ""})
        assert "note" in bad.value.fields
        routed = world.as_a.hand_back_ticket(tid, {"note": "needs a specialist"})
        assert routed["ticket"]["status"] == "new" and routed["ticket"]["assignee_id"] is None
        assert routed["step"]["to_handler"] == f"group:{world.group}"
        back = [d for t, d in state(tid)["events"] if t == "ticket_transferred"][-1]
        assert back["notify_staff_ids"] == [world.b]

    def test_only_the_assignee_hands_back(self, world):
        tid = world.into("in_progress")
        with pytest.raises(Forbidden):
            world.as_boss.hand_back_ticket(tid, {"note": "no"})


def publish_staff(rabbit_config, event_type: str, data: dict) -> None:
    exchange = Exchange("gateway.events", type="topic", durable=True)
    envelope = {"event_id": str(uuid.uuid4()), "type": event_type,
                "occurred_at": datetime.datetime.now(datetime.UTC).isoformat(),
                "schema_version": 1, "actor": "test", "data": data}
    with Connection(rabbit_config["AMQP_URI"]) as conn:
        conn.Producer(serializer="json").publish(
            envelope, exchange=exchange, routing_key=event_type, declare=[exchange],
            user_id=conn.userid)  # its validated publisher (issue 9, finding 3)


class TestStaffReadModel:
    def test_staff_events_feed_the_read_model_and_duty(self, start, rpc, rabbit_config):
        ticket = start("ticket")
        tag = uuid.uuid4().hex[:8]
        group, staff_id = f"grp-{tag}", f"st-{tag}"
        data = {"staff_id": staff_id, "username": f"u{tag}", "display_name": "周九",
                "roles": ["agent"], "groups": [group]}
        with entrypoint_waiter(ticket, "staff_created"):
            publish_staff(rabbit_config, "staff_created", data)
        boss = rpc("ticket", roles=("supervisor",))
        members = boss.group_duty(group)["members"]
        assert [(m["staff_id"], m["display_name"], m["on_duty"]) for m in members] == \
            [(staff_id, "周九", False)]
        me = rpc("ticket", staff_id=staff_id, groups=[group])
        assert me.set_duty({"on_duty": True})["on_duty"] is True
        with pytest.raises(Invalid):  # before the account is disabled: then its token is not
            me.set_duty({"on_duty": "maybe"})  # taken at all (issue 9, finding 5)
        with entrypoint_waiter(ticket, "staff_updated"):
            publish_staff(rabbit_config, "staff_updated",
                          {**data, "groups": [group, "vip"], "active": False})
        [member] = boss.group_duty(group)["members"]
        assert member["on_duty"] is True and member["active"] is False
        with pytest.raises(NotFound):
            rpc("ticket", groups=["other"]).group_duty(group)

    def test_finding9_a_stale_staff_update_does_not_undo_a_newer_one(self, start, rpc,
                                                                      rabbit_config):
        """Issue 9, finding 9: staff_updated carries the account's version; one that
        arrives after a newer one (the person was disabled in version 3, the event of
        version 2 still says active) changes nothing."""
        ticket = start("ticket")
        tag = uuid.uuid4().hex[:8]
        group, staff_id = f"grp-{tag}", f"st-{tag}"
        data = {"staff_id": staff_id, "username": f"u{tag}", "display_name": "吴十",
                "roles": ["agent"], "groups": [group]}
        for event_type, version, active in (("staff_created", 1, True),
                                             ("staff_updated", 3, False),
                                             ("staff_updated", 2, True)):
            with entrypoint_waiter(ticket, event_type):
                publish_staff(rabbit_config, event_type,
                              {**data, "version": version, "active": active})
        [member] = rpc("ticket", roles=("supervisor",)).group_duty(group)["members"]
        assert member["active"] is False

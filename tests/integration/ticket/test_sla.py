"""T6 on real PostgreSQL and RabbitMQ: due times set by the create hook from the
configured policy and calendar, the pause while waiting on the customer, the
escalation timer (two replicas on one database escalate each breach exactly once),
reminders delivered to the inbox, the due view, admin-only configuration."""
import datetime
import os
import uuid
from zoneinfo import ZoneInfo

import eventlet
import psycopg2
import psycopg2.extras
import pytest

from services.common.errors import Conflict, Forbidden, Invalid, NotFound
from services.ticket.domain import sla as rules
from services.ticket.handlers import sla as sla_store

CN = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def db():
    conn = psycopg2.connect(os.environ["KEFU_TICKET_DB_URI"],
                            cursor_factory=psycopg2.extras.RealDictCursor)
    conn.autocommit = True
    yield conn
    conn.close()


def q(conn, sql, args=()):
    with conn.cursor() as cur:
        cur.execute(sql, args)
        return cur.fetchall() if cur.description else None


def insert_ticket(conn, **values) -> str:
    row = {"serial": f"T6-{uuid.uuid4().hex[:12]}", "kind": "after_sales",
           "customer_id": str(uuid.uuid4()), "content": "空调不制冷", "channel": "phone",
           "urgency": "medium", "acceptor_id": "agent-x", "status": "assigned",
           "group_name": None, "assignee_id": None, "resolution_due_at": None,
           "response_due_at": None, "first_response_at": None, **values}
    return q(conn, "INSERT INTO ticket (serial, kind, customer_id, content, channel, urgency,"
             " acceptor_id, status, group_name, assignee_id, resolution_due_at,"
             " response_due_at, first_response_at) VALUES (%(serial)s, %(kind)s,"
             " %(customer_id)s, %(content)s, %(channel)s, %(urgency)s, %(acceptor_id)s,"
             " %(status)s, %(group_name)s, %(assignee_id)s, %(resolution_due_at)s,"
             " %(response_due_at)s, %(first_response_at)s) RETURNING id::text", row)[0]["id"]


def add_staff(conn, staff_id, roles, groups):
    q(conn, "INSERT INTO staff_member (id, username, roles, groups) VALUES (%s, %s, %s, %s)",
      (staff_id, staff_id, list(roles), list(groups)))


def wait_for(check, seconds=15.0):
    for _ in range(int(seconds / 0.1)):
        result = check()
        if result:
            return result
        eventlet.sleep(0.1)
    return check()


def inbox(rpc, staff_id):
    return rpc("notify", staff_id=staff_id).inbox(limit=200)["items"]


class TestDueTimesOnCreate:
    def test_hook_uses_policy_and_calendar_overrides(self, db):
        """apply_on_create: accepted_at + the kind x urgency targets in business time;
        an admin override of a day is used at once (the cache follows the version)."""
        tid = insert_ticket(db, kind="complaint", urgency="high")
        accepted = datetime.datetime(2026, 9, 30, 17, 0, tzinfo=CN)  # eve of National Day
        with db.cursor() as cur:
            due = sla_store.apply_on_create(
                cur, {"id": tid, "kind": "complaint", "urgency": "high", "accepted_at": accepted})
        policy = {(p["kind"], p["urgency"]): p for p in q(db, "SELECT * FROM sla_policy")}
        expect = rules.due_times(accepted, policy["complaint", "high"]["response_minutes"],
                                 policy["complaint", "high"]["resolution_minutes"],
                                 rules.BusinessHours(), rules.Calendar().is_workday)
        assert due == expect
        row = q(db, "SELECT response_due_at, resolution_due_at FROM ticket WHERE id = %s",
                (tid,))[0]
        assert row["resolution_due_at"] == expect["resolution_due_at"]
        assert row["resolution_due_at"].astimezone(CN).date() >= datetime.date(2026, 10, 8)

        # Override 10-08 (a Thursday) as a day off: the due time moves a working day on.
        q(db, "INSERT INTO calendar_override (day, workday, updated_by) VALUES"
              " ('2026-10-08', false, 'test') ON CONFLICT (day) DO UPDATE SET workday = false")
        q(db, "UPDATE sla_settings SET version = version + 1")
        try:
            with db.cursor() as cur:
                moved = sla_store.apply_on_create(
                    cur, {"id": tid, "kind": "complaint", "urgency": "high",
                          "accepted_at": accepted})
        finally:
            q(db, "DELETE FROM calendar_override WHERE day = '2026-10-08'")
            q(db, "UPDATE sla_settings SET version = version + 1")
        assert moved["resolution_due_at"] - expect["resolution_due_at"] \
            == datetime.timedelta(days=1)


class TestPause:
    def test_waiting_on_customer_pauses_and_resume_pushes_due_times(self, db):
        due = datetime.datetime(2026, 12, 31, 17, 0, tzinfo=CN)
        tid = insert_ticket(db, status="in_progress", resolution_due_at=due,
                            response_due_at=due, first_response_at=due)
        with db.cursor() as cur:
            sla_store.apply_on_status(cur, tid, "in_progress", "waiting", "customer")
        row = q(db, "SELECT paused_since FROM ticket WHERE id = %s", (tid,))[0]
        assert row["paused_since"] is not None
        # Pretend the pause began on a known Friday afternoon.
        since = datetime.datetime(2026, 11, 20, 16, 0, tzinfo=CN)
        q(db, "UPDATE ticket SET paused_since = %s WHERE id = %s", (since, tid))
        with db.cursor() as cur:
            sla_store.apply_on_status(cur, tid, "waiting", "in_progress", None)
            cur.execute("SELECT now() AS now")
            now = cur.fetchone()["now"]
        row = q(db, "SELECT paused_since, paused_seconds, resolution_due_at FROM ticket"
                    " WHERE id = %s", (tid,))[0]
        paused = rules.business_seconds_between(since, now, rules.BusinessHours(),
                                                rules.Calendar().is_workday)
        assert row["paused_since"] is None
        assert abs(row["paused_seconds"] - paused) <= 5
        assert row["paused_seconds"] >= 7200  # at least Friday 16:00–18:00
        assert row["resolution_due_at"] == rules.add_business_seconds(
            due, row["paused_seconds"], rules.BusinessHours(), rules.Calendar().is_workday)

    def test_waiting_on_parts_does_not_pause_and_first_response_is_stamped(self, db):
        tid = insert_ticket(db, status="assigned")
        with db.cursor() as cur:
            sla_store.apply_on_status(cur, tid, "assigned", "waiting", "parts")
        row = q(db, "SELECT paused_since, first_response_at FROM ticket WHERE id = %s",
                (tid,))[0]
        assert row["paused_since"] is None
        assert row["first_response_at"] is not None


class TestEscalation:
    def test_two_replicas_escalate_each_breach_exactly_once(self, start, rpc, db):
        group = f"g-{uuid.uuid4().hex[:8]}"
        sup1, sup2 = f"sup-{uuid.uuid4().hex[:8]}", f"sup-{uuid.uuid4().hex[:8]}"
        add_staff(db, sup1, ["supervisor"], [group])
        add_staff(db, sup2, ["supervisor"], [group])
        add_staff(db, f"agent-{uuid.uuid4().hex[:8]}", ["agent"], [group])
        past = datetime.datetime.now(datetime.UTC) - datetime.timedelta(hours=1)
        ids = [insert_ticket(db, group_name=group, resolution_due_at=past,
                             response_due_at=past, first_response_at=past)
               for _ in range(450)]  # more than one batch of 200 each
        not_yet = insert_ticket(db, group_name=group, resolution_due_at=past
                                + datetime.timedelta(days=2), first_response_at=past)
        resolved = insert_ticket(db, group_name=group, status="resolved",
                                 resolution_due_at=past, first_response_at=past)
        start("notify")
        start("ticket")
        start("ticket")  # a second replica on the same database

        def all_escalated():
            rows = q(db, "SELECT count(*) AS n FROM ticket WHERE id = ANY(%s::uuid[])"
                         " AND escalated_at IS NOT NULL", (ids,))
            return rows[0]["n"] == len(ids)
        assert wait_for(all_escalated, 30)
        eventlet.sleep(4.5)  # both timers run again: nothing more may happen

        trail = q(db, "SELECT ticket_id::text, count(*) AS n FROM ticket_trail"
                      " WHERE ticket_id = ANY(%s::uuid[]) AND action = 'escalated'"
                      " GROUP BY ticket_id", (ids + [not_yet, resolved],))
        assert {r["ticket_id"] for r in trail} == set(ids)
        assert all(r["n"] == 1 for r in trail)
        assert all(r["actor_id"] == "system:ticket" for r in q(
            db, "SELECT actor_id FROM ticket_trail WHERE ticket_id = %s", (ids[0],)))
        events = q(db, "SELECT envelope FROM outbox WHERE event_type = 'ticket_sla_breached'"
                       " AND envelope->'data'->>'ticket_id' = ANY(%s)", (ids,))
        assert len(events) == len(ids)
        data = events[0]["envelope"]["data"]
        assert data["target"] == "resolution"
        assert sorted(data["notify_staff_ids"]) == sorted([sup1, sup2])
        # Each supervisor gets one notice per breached ticket (notify service).
        notices = psycopg2.connect(os.environ["KEFU_NOTIFY_DB_URI"])
        notices.autocommit = True
        try:
            def counted():
                with notices.cursor() as cur:
                    cur.execute("SELECT staff_id, count(*), count(DISTINCT ref_id)"
                                " FROM inbox_item WHERE staff_id IN (%s, %s)"
                                " AND ref_id = ANY(%s) GROUP BY staff_id", (sup1, sup2, ids))
                    return sorted(cur.fetchall())
            expected = sorted([(sup1, len(ids), len(ids)), (sup2, len(ids), len(ids))])
            assert wait_for(lambda: counted() == expected, 30), counted()
        finally:
            notices.close()
        notified = q(db, "SELECT escalated_at FROM ticket WHERE id = ANY(%s::uuid[])",
                     ([not_yet, resolved],))
        assert all(r["escalated_at"] is None for r in notified)

    def test_response_breach_and_managers_when_no_supervisor(self, start, db):
        group = f"g-{uuid.uuid4().hex[:8]}"
        manager = f"mgr-{uuid.uuid4().hex[:8]}"
        add_staff(db, manager, ["manager"], [])
        past = datetime.datetime.now(datetime.UTC) - datetime.timedelta(minutes=5)
        tid = insert_ticket(db, status="new", group_name=group, response_due_at=past,
                            resolution_due_at=past + datetime.timedelta(days=3))
        start("ticket")

        def escalated():
            return q(db, "SELECT response_escalated_at FROM ticket WHERE id = %s",
                     (tid,))[0]["response_escalated_at"]
        assert wait_for(escalated)
        events = q(db, "SELECT envelope FROM outbox WHERE event_type = 'ticket_sla_breached'"
                       " AND envelope->'data'->>'ticket_id' = %s", (tid,))
        assert len(events) == 1
        data = events[0]["envelope"]["data"]
        assert data["target"] == "response" and manager in data["notify_staff_ids"]
        assert q(db, "SELECT escalated_at FROM ticket WHERE id = %s", (tid,))[0][
            "escalated_at"] is None  # the resolution target has not passed


class TestReminders:
    def test_remind_list_cancel_and_delivery_to_the_inbox(self, start, rpc, db):
        start("notify")
        start("ticket")
        me = f"agent-{uuid.uuid4().hex[:8]}"
        tid = insert_ticket(db, acceptor_id=me, status="new")
        ticket = rpc("ticket", staff_id=me)
        later = ticket.remind(tid, {"in_days": 2, "note": "回访客户"})
        assert later["note"] == "回访客户" and later["sent_at"] is None
        soon = ticket.remind(tid, {"in_minutes": 1, "note": "打电话"})
        mine = ticket.my_reminders({})["reminders"]
        assert [r["id"] for r in mine] == [soon["id"], later["id"]]
        page = ticket.my_reminders({"limit": 1})
        assert [r["id"] for r in page["reminders"]] == [soon["id"]]
        rest = ticket.my_reminders({"limit": 1, "cursor": page["next"]})["reminders"]
        assert [r["id"] for r in rest] == [later["id"]]

        # Someone else can neither see nor cancel it.
        other = rpc("ticket", staff_id=f"agent-{uuid.uuid4().hex[:8]}")
        assert other.my_reminders({})["reminders"] == []
        with pytest.raises(NotFound):
            other.cancel_reminder(later["id"])
        assert ticket.cancel_reminder(later["id"])["cancelled_at"] is not None

        q(db, "UPDATE reminder SET due_at = now() - interval '1 second' WHERE id = %s",
          (soon["id"],))
        items = wait_for(lambda: [i for i in inbox(rpc, me) if i["title"].startswith("工单提醒")])
        assert len(items) == 1 and "打电话" in items[0]["body"] and items[0]["ref_id"] == tid
        eventlet.sleep(2.5)
        assert len([i for i in inbox(rpc, me) if i["title"].startswith("工单提醒")]) == 1
        with pytest.raises(Conflict):
            ticket.cancel_reminder(soon["id"])
        assert ticket.my_reminders({})["reminders"] == []
        assert len(ticket.my_reminders({"pending": False})["reminders"]) == 1

    def test_bad_reminders_are_refused(self, start, rpc, db):
        start("ticket")
        me = f"agent-{uuid.uuid4().hex[:8]}"
        tid = insert_ticket(db, acceptor_id=me, status="new")
        ticket = rpc("ticket", staff_id=me)
        with pytest.raises(Invalid):
            ticket.remind(tid, {"in_days": 1, "in_hours": 1})
        with pytest.raises(Invalid) as err:
            ticket.remind(tid, {"at": "2020-01-01T00:00:00+08:00"})
        assert "at" in err.value.fields
        with pytest.raises(Invalid):
            ticket.remind(tid, {"in_days": -1})
        with pytest.raises(NotFound):
            ticket.remind(str(uuid.uuid4()), {"in_days": 1})
        with pytest.raises(NotFound):  # someone else's assigned ticket: out of scope
            rpc("ticket", staff_id="stranger").remind(
                insert_ticket(db, assignee_id="someone", status="assigned"), {"in_days": 1})
        assert q(db, "SELECT count(*) AS n FROM reminder WHERE staff_id = %s", (me,))[0]["n"] == 0


class TestDueView:
    def test_supervisor_sees_own_groups_by_due_time_keyset_paged(self, start, rpc, db):
        start("ticket")
        group, other = f"g-{uuid.uuid4().hex[:8]}", f"g-{uuid.uuid4().hex[:8]}"
        base = datetime.datetime(2020, 1, 1, tzinfo=datetime.UTC)  # long breached
        mine = [insert_ticket(db, group_name=group,
                              resolution_due_at=base + datetime.timedelta(minutes=n))
                for n in range(3)]
        insert_ticket(db, group_name=other, resolution_due_at=base)
        sup = rpc("ticket", roles=("supervisor",), groups=(group,))
        first = sup.due_tickets({"breached": True, "group": group, "limit": 2})
        assert [t["id"] for t in first["tickets"]] == mine[:2]
        assert all(t["breached"] for t in first["tickets"])
        second = sup.due_tickets({"breached": True, "group": group, "limit": 2,
                                  "cursor": first["next"]})
        assert [t["id"] for t in second["tickets"]] == mine[2:]
        with pytest.raises(NotFound):
            sup.due_tickets({"group": other})
        with pytest.raises(Forbidden):
            rpc("ticket", roles=("agent",)).due_tickets({})
        with pytest.raises(Invalid):
            sup.due_tickets({"cursor": "garbage"})


class TestConfiguration:
    def test_admin_sets_policy_hours_calendar_others_may_not(self, start, rpc, db):
        start("ticket")
        admin = rpc("ticket", roles=("admin",))
        agent = rpc("ticket", roles=("agent",))
        before = {(p["kind"], p["urgency"]): p for p in agent.sla_policies()["policies"]}
        assert len(before) == 16  # every kind x urgency seeded
        with pytest.raises(Forbidden):
            agent.set_sla_policy("complaint", "low", {"response_minutes": 5,
                                                      "resolution_minutes": 50})
        with pytest.raises(Invalid) as err:
            admin.set_sla_policy("complaint", "low", {"response_minutes": 90,
                                                      "resolution_minutes": 60})
        assert "response_minutes" in err.value.fields
        with pytest.raises(Invalid) as err:
            admin.set_sla_policy("nonsense", "low", {"response_minutes": 5,
                                                     "resolution_minutes": 50})
        assert "kind" in err.value.fields
        old = before["complaint", "low"]
        try:
            row = admin.set_sla_policy("complaint", "low", {"response_minutes": 5,
                                                            "resolution_minutes": 50})
            assert row["resolution_minutes"] == 50
        finally:
            admin.set_sla_policy("complaint", "low", {
                "response_minutes": old["response_minutes"],
                "resolution_minutes": old["resolution_minutes"]})

        with pytest.raises(Invalid) as err:
            admin.set_business_hours({"start": "18:00", "end": "09:00"})
        assert "end" in err.value.fields
        with pytest.raises(Invalid) as err:
            admin.set_business_hours({"start": "09:00", "end": "18:00", "timezone": "Mars/X"})
        assert "timezone" in err.value.fields
        assert admin.set_business_hours({"start": "09:00", "end": "18:00"})["end"] == "18:00"

        day = admin.set_calendar_day("2027-01-01", {"workday": False, "note": "元旦"})
        assert day["source"] == "override"
        try:
            view = agent.calendar({"from": "2026-12-31", "to": "2027-01-04"})
            by_day = {d["day"]: d for d in view["days"]}
            assert by_day["2027-01-01"]["workday"] is False
            assert by_day["2027-01-01"]["note"] == "元旦"
            assert by_day["2027-01-04"]["source"] == "weekend_rule"
            assert by_day["2026-12-31"]["source"] == "chinese_calendar"
            assert view["unknown_years"] == [2027]
        finally:
            back = admin.delete_calendar_day("2027-01-01")
        assert back["source"] == "weekend_rule" and back["workday"] is True
        with pytest.raises(NotFound):
            admin.delete_calendar_day("2027-01-01")
        with pytest.raises(Invalid):
            admin.set_calendar_day("2027-13-01", {"workday": True})
        with pytest.raises(Invalid):
            agent.calendar({"from": "2026-01-01", "to": "2028-01-01"})

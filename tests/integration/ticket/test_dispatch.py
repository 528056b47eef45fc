"""T7 field dispatch 派单 on the real ticket service: dispatching after-sales tickets to
field staff, the handling record, the overdue flag with replicas, destruction."""
import datetime
import json
import os
import uuid

import eventlet
import psycopg2
import psycopg2.extras
import pytest
from kombu import Connection, Exchange
from nameko.testing.services import entrypoint_hook, entrypoint_waiter

from services.common.errors import Conflict, Forbidden, Invalid, NotFound
from services.ticket.store import dispatch as dispatch_store

UTC = datetime.UTC
REDACTED = "[已销毁]"


def connect():
    conn = psycopg2.connect(os.environ["KEFU_TICKET_DB_URI"],
                            cursor_factory=psycopg2.extras.RealDictCursor)
    conn.autocommit = True
    return conn


@pytest.fixture
def db():
    conn = connect()
    yield conn
    conn.close()


# The group whose tickets the dispatchers of these tests handle (issue 9 finding 8: one
# dispatches the tickets of one's own groups).
DESK = "t7-desk"


def make_ticket(db, kind="after_sales", status="new", form=None, contact=None,
                customer_id=None) -> dict:
    with db.cursor() as cur:
        cur.execute(
            "INSERT INTO ticket (serial, kind, customer_id, content, channel, urgency,"
            " acceptor_id, status, form, contact, group_name) VALUES (%s, %s, %s,"
            " '空调不制冷', 'phone', 'medium', 'agent-x', %s, %s, %s, %s)"
            " RETURNING id::text, serial, customer_id::text",
            (f"T7-{uuid.uuid4().hex[:12]}", kind, customer_id or str(uuid.uuid4()), status,
             json.dumps(form or {}), json.dumps(contact or {}), DESK))
        return cur.fetchone()


def desk(rpc, roles=("agent",), **kwargs):
    """A member of the group the tickets are in."""
    return rpc("ticket", roles=roles, groups=[DESK], **kwargs)


def make_staff(db, roles=("field",), active=True) -> str:
    staff_id = f"field-{uuid.uuid4().hex[:10]}"
    with db.cursor() as cur:
        cur.execute("INSERT INTO staff_member (id, username, roles, active)"
                    " VALUES (%s, %s, %s, %s)", (staff_id, staff_id, list(roles), active))
    return staff_id


def window(start_minutes=60, end_minutes=180) -> dict:
    now = datetime.datetime.now(UTC)
    return {"window_start": (now + datetime.timedelta(minutes=start_minutes)).isoformat(),
            "window_end": (now + datetime.timedelta(minutes=end_minutes)).isoformat()}


def one(db, sql, *params):
    with db.cursor() as cur:
        cur.execute(sql, params)
        return cur.fetchone()


def rows(db, sql, *params):
    with db.cursor() as cur:
        cur.execute(sql, params)
        return cur.fetchall()


def trail_of(db, ticket_id) -> list[dict]:
    return rows(db, "SELECT actor_id, action, from_status, to_status, from_handler, to_handler,"
                    " note FROM ticket_trail WHERE ticket_id = %s ORDER BY id", ticket_id)


def events_of(db, ticket_id) -> list[dict]:
    return rows(db, "SELECT event_type, envelope FROM outbox"
                    " WHERE envelope->'data'->>'ticket_id' = %s ORDER BY id", ticket_id)


@pytest.fixture
def ticket_service(start):
    return start("ticket")


class TestDispatch:
    def test_t7_dispatch_assigns_the_field_staff_member_with_trail_and_event(
            self, ticket_service, rpc, db):
        ticket = make_ticket(db, form={"address": "北京市海淀区中关村大街1号"})
        field = make_staff(db)
        agent = desk(rpc, staff_id="agent-t7")
        shown = agent.dispatch_ticket(ticket["id"], {"staff_id": field, **window(),
                                                     "note": "带压缩机"})
        assert shown["address"] == "北京市海淀区中关村大街1号"  # from the form
        assert shown["state"] == "open" and shown["staff_id"] == field
        assert shown["handling"] is None and shown["overdue"] is False
        row = one(db, "SELECT status, assignee_id FROM ticket WHERE id = %s", ticket["id"])
        assert row == {"status": "assigned", "assignee_id": field}
        [step] = trail_of(db, ticket["id"])
        assert step["action"] == "dispatched" and step["actor_id"] == "agent-t7"
        assert (step["from_status"], step["to_status"]) == ("new", "assigned")
        assert step["to_handler"] == f"staff:{field}"
        kinds = [e["event_type"] for e in events_of(db, ticket["id"])]
        assert kinds == ["ticket_status_changed", "ticket_dispatched"]
        data = events_of(db, ticket["id"])[-1]["envelope"]["data"]
        assert data["staff_id"] == field and data["dispatch_id"] == shown["id"]
        assert data["address"] == shown["address"] and data["serial"] == ticket["serial"]

    def test_t7_a_ticket_in_progress_keeps_its_status(self, ticket_service, rpc, db):
        ticket = make_ticket(db, status="in_progress")
        field = make_staff(db)
        desk(rpc, ("supervisor",)).dispatch_ticket(
            ticket["id"], {"staff_id": field, "address": "上海市徐汇区", **window()})
        row = one(db, "SELECT status, assignee_id FROM ticket WHERE id = %s", ticket["id"])
        assert row == {"status": "in_progress", "assignee_id": field}
        assert [e["event_type"] for e in events_of(db, ticket["id"])] == ["ticket_dispatched"]

    def test_t7_refusals_name_the_reason_and_change_nothing(self, ticket_service, rpc, db):
        agent = desk(rpc)
        field = make_staff(db)
        consultation = make_ticket(db, kind="consultation", form={"address": "x"})
        with pytest.raises(Conflict) as err:
            agent.dispatch_ticket(consultation["id"], {"staff_id": field, **window()})
        assert "after-sales" in str(err.value)
        ticket = make_ticket(db)
        with pytest.raises(Invalid) as err:  # no address in the form or the contact
            agent.dispatch_ticket(ticket["id"], {"staff_id": field, **window()})
        assert "address" in err.value.fields
        for staff in (make_staff(db, roles=("agent",)), make_staff(db, active=False), "nobody"):
            with pytest.raises(Invalid) as err:
                agent.dispatch_ticket(ticket["id"], {"staff_id": staff, "address": "x",
                                                     **window()})
            assert "staff_id" in err.value.fields
        with pytest.raises(Invalid) as err:
            agent.dispatch_ticket(ticket["id"], {"staff_id": field, "address": "x",
                                                 **window(-120, -60)})
        assert "window_end" in err.value.fields
        with pytest.raises(Invalid) as err:
            agent.dispatch_ticket(ticket["id"], {"staff_id": field, "address": "x",
                                                 **window(120, 60)})
        assert "window_end" in err.value.fields
        with pytest.raises(NotFound):
            agent.dispatch_ticket(str(uuid.uuid4()), {"staff_id": field, "address": "x",
                                                      **window()})
        with pytest.raises(NotFound):
            agent.dispatch_ticket("not-a-ticket", {"staff_id": field, "address": "x",
                                                   **window()})
        with pytest.raises(Forbidden):
            rpc("ticket", roles=("field",)).dispatch_ticket(
                ticket["id"], {"staff_id": field, "address": "x", **window()})
        for t in (consultation, ticket):
            assert one(db, "SELECT status, assignee_id FROM ticket WHERE id = %s", t["id"]) == {
                "status": "new", "assignee_id": None}
            assert one(db, "SELECT count(*) AS n FROM dispatch WHERE ticket_id = %s",
                       t["id"])["n"] == 0
            assert trail_of(db, t["id"]) == [] and events_of(db, t["id"]) == []

    def test_t7_rescheduling_cancels_the_open_dispatch(self, ticket_service, rpc, db):
        ticket = make_ticket(db, contact={"name": "王先生", "address": "天津市河西区友谊路"})
        first_field, second_field = make_staff(db), make_staff(db)
        agent = desk(rpc)
        first = agent.dispatch_ticket(ticket["id"], {"staff_id": first_field, **window()})
        assert first["address"] == "天津市河西区友谊路"  # from the contact
        second = agent.dispatch_ticket(ticket["id"], {"staff_id": second_field,
                                                      **window(1440, 1560)})
        listed = agent.dispatches_of_ticket(ticket["id"])["dispatches"]
        assert [(d["id"], d["state"]) for d in listed] == [
            (second["id"], "open"), (first["id"], "cancelled")]
        assert one(db, "SELECT assignee_id FROM ticket WHERE id = %s",
                   ticket["id"])["assignee_id"] == second_field
        steps = trail_of(db, ticket["id"])
        assert [s["action"] for s in steps] == ["dispatched", "dispatched"]
        assert steps[1]["from_handler"] == f"staff:{first_field}"
        assert first["id"] in steps[1]["note"]
        # the first field staff member can no longer record on the replaced job
        with pytest.raises(Conflict):
            rpc("ticket", roles=("field",), staff_id=first_field).record_handling(
                first["id"], {"done": True})


class TestHandlingRecord:
    def test_t7_field_staff_records_handling_once_and_the_ticket_gets_the_fee(
            self, ticket_service, rpc, db):
        ticket = make_ticket(db)
        field = make_staff(db)
        job = desk(rpc).dispatch_ticket(
            ticket["id"], {"staff_id": field, "address": "广州市天河区", **window()})
        mine = rpc("ticket", roles=("field",), staff_id=field)
        assert [j["id"] for j in mine.my_jobs()["dispatches"]] == [job["id"]]
        with pytest.raises(NotFound):  # someone else's job does not exist for them
            rpc("ticket", roles=("field",), staff_id=make_staff(db)).record_handling(
                job["id"], {"done": True})
        with pytest.raises(Invalid) as err:
            mine.record_handling(job["id"], {"done": False})
        assert "reason" in err.value.fields
        done = mine.record_handling(job["id"], {
            "done": True, "parts": [{"name": "压缩机", "quantity": 1, "price": "860.00"}],
            "fee": "960.00", "paid": True, "note": "已试机",
            "arrived_at": "2026-11-23T10:05:00+08:00",
            "finished_at": "2026-11-23T11:20:00+08:00"})
        assert done["state"] == "handled"
        assert done["handling"]["parts"] == [{"name": "压缩机", "quantity": 1, "price": "860.00"}]
        assert done["handling"]["fee"] == "960.00" and done["handling"]["paid"] is True
        assert one(db, "SELECT fee::text, paid FROM ticket WHERE id = %s", ticket["id"]) == {
            "fee": "960.00", "paid": True}
        last = trail_of(db, ticket["id"])[-1]
        assert last["action"] == "handled" and last["actor_id"] == field
        assert "压缩机×1" in last["note"]
        [handled] = [e["envelope"]["data"] for e in events_of(db, ticket["id"])
                     if e["event_type"] == "dispatch_handled"]  # for follow-ups (V1)
        assert (handled["dispatch_id"], handled["staff_id"], handled["customer_id"]) == (
            job["id"], field, ticket["customer_id"])
        assert datetime.datetime.fromisoformat(handled["at"]) == datetime.datetime.fromisoformat(
            "2026-11-23T11:20:00+08:00")  # when the job finished, not when it was written up
        with pytest.raises(Conflict):
            mine.record_handling(job["id"], {"done": True})
        assert mine.my_jobs()["dispatches"] == []  # handled jobs leave "my jobs"
        with pytest.raises(Forbidden):
            rpc("ticket", roles=("agent",)).record_handling(job["id"], {"done": True})


    def test_issue10_a_part_without_a_price_is_recorded_with_no_charge(
            self, ticket_service, rpc, db):
        """Issue 10 (11.1): a part's price is optional; without one it is stored and shown
        as null (not charged on its own), and the ticket's fee is the record's fee."""
        ticket = make_ticket(db)
        field = make_staff(db)
        job = desk(rpc).dispatch_ticket(
            ticket["id"], {"staff_id": field, "address": "南京市鼓楼区", **window()})
        done = rpc("ticket", roles=("field",), staff_id=field).record_handling(job["id"], {
            "done": True, "fee": "80.00",
            "parts": [{"name": "密封圈", "quantity": 2},
                      {"name": "排水泵", "quantity": 1, "price": None},
                      {"name": "进水管", "quantity": 1, "price": "80.00"}]})
        expected = [{"name": "密封圈", "quantity": 2, "price": None},
                    {"name": "排水泵", "quantity": 1, "price": None},
                    {"name": "进水管", "quantity": 1, "price": "80.00"}]
        assert done["handling"]["parts"] == expected
        assert one(db, "SELECT parts FROM handling_record WHERE dispatch_id = %s",
                   job["id"])["parts"] == expected
        [listed] = desk(rpc).dispatches_of_ticket(ticket["id"])["dispatches"]
        assert listed["handling"]["parts"] == expected
        assert one(db, "SELECT fee::text FROM ticket WHERE id = %s", ticket["id"])["fee"] \
            == "80.00"

    @pytest.mark.parametrize("finished", ["closed", "cancelled"])
    def test_issue10_a_closed_or_cancelled_ticket_takes_no_record(
            self, ticket_service, rpc, db, finished):
        """Issue 10 (11.2): a job whose ticket is over takes no handling record: Conflict
        naming the ticket's status, and nothing changes (fee, trail, events, the job)."""
        ticket = make_ticket(db, status="in_progress")
        field = make_staff(db)
        supervisor = desk(rpc, ("supervisor",))
        job = supervisor.dispatch_ticket(
            ticket["id"], {"staff_id": field, "address": "武汉市江汉区", **window()})
        if finished == "cancelled":
            supervisor.transition_ticket(ticket["id"], {"to": "cancelled", "note": "客户撤单"})
        else:  # closed with the job open: as a ticket resolved before issue 10 could be
            with db.cursor() as cur:
                cur.execute("UPDATE ticket SET status = 'closed', resolved_at = now(),"
                            " closed_at = now() WHERE id = %s", (ticket["id"],))

        def snapshot():
            return (one(db, "SELECT status, fee::text, paid FROM ticket WHERE id = %s",
                        ticket["id"]),
                    one(db, "SELECT state FROM dispatch WHERE id = %s", job["id"]),
                    one(db, "SELECT count(*) AS n FROM handling_record WHERE dispatch_id = %s",
                        job["id"]),
                    trail_of(db, ticket["id"]), events_of(db, ticket["id"]))

        before = snapshot()
        with pytest.raises(Conflict) as err:
            rpc("ticket", roles=("field",), staff_id=field).record_handling(
                job["id"], {"done": True, "fee": "300.00", "paid": True})
        assert f"the ticket is {finished}" in str(err.value)
        assert err.value.fields == {"ticket_status": [f"is {finished}"]}
        assert snapshot() == before
        assert before[0]["status"] == finished and before[1]["state"] == "open"


class TestResolvingADispatchedTicket:
    def test_issue10_resolving_waits_for_the_handling_record(self, ticket_service, rpc, db):
        """Issue 10 (11.3): a ticket whose field job has no handling record is not
        resolved (from in_progress or waiting): Conflict saying why, nothing changed.
        The job replaced by a reschedule needs none; once the open one is recorded (done
        or not), the ticket resolves."""
        ticket = make_ticket(db, status="in_progress")
        first_field, second_field = make_staff(db), make_staff(db)
        supervisor = desk(rpc, ("supervisor",))
        supervisor.dispatch_ticket(
            ticket["id"], {"staff_id": first_field, "address": "西安市雁塔区", **window()})
        job = supervisor.dispatch_ticket(
            ticket["id"], {"staff_id": second_field, "address": "西安市雁塔区",
                           **window(1440, 1560)})

        def snapshot():
            return (one(db, "SELECT status, resolved_at, first_response_at FROM ticket"
                            " WHERE id = %s", ticket["id"]),
                    trail_of(db, ticket["id"]), events_of(db, ticket["id"]))

        for status in ("in_progress", "waiting"):
            if status == "waiting":
                supervisor.transition_ticket(ticket["id"], {"to": "waiting",
                                                            "waiting_on": "parts"})
            before = snapshot()
            with pytest.raises(Conflict) as err:
                supervisor.transition_ticket(ticket["id"], {"to": "resolved"})
            assert "no handling record" in str(err.value) and second_field in str(err.value)
            assert "to" in err.value.fields
            assert snapshot() == before and before[0]["status"] == status
        rpc("ticket", roles=("field",), staff_id=second_field).record_handling(
            job["id"], {"done": False, "reason": "客户已自行修好"})
        resolved = supervisor.transition_ticket(ticket["id"], {"to": "resolved"})
        assert resolved["ticket"]["status"] == "resolved"
        assert one(db, "SELECT status FROM ticket WHERE id = %s",
                   ticket["id"])["status"] == "resolved"


class TestOverdue:
    def test_t7_a_window_that_ends_without_a_record_is_flagged_once(
            self, ticket_service, rpc, db):
        ticket = make_ticket(db)
        field = make_staff(db)
        job = desk(rpc).dispatch_ticket(
            ticket["id"], {"staff_id": field, "address": "深圳市南山区",
                           "window_start": datetime.datetime.now(UTC).isoformat(),
                           "window_end": (datetime.datetime.now(UTC)
                                          + datetime.timedelta(seconds=1)).isoformat()})
        eventlet.sleep(1.2)
        for _ in range(2):
            with entrypoint_hook(ticket_service, "flag_overdue_dispatches") as flag:
                flag()
        flagged = [s for s in trail_of(db, ticket["id"]) if s["action"] == "dispatch_overdue"]
        assert len(flagged) == 1 and flagged[0]["to_handler"] == f"staff:{field}"
        supervisor = desk(rpc, ("supervisor",))
        overdue = supervisor.dispatches("overdue", field)["dispatches"]
        assert [(d["id"], d["overdue"]) for d in overdue] == [(job["id"], True)]
        assert job["id"] in [d["id"] for d in supervisor.dispatches("open", field)["dispatches"]]
        with pytest.raises(Forbidden):
            rpc("ticket", roles=("agent",)).dispatches("overdue")
        with pytest.raises(Invalid) as err:
            supervisor.dispatches("lost")
        assert "state" in err.value.fields
        # a late handling record is still taken; the job leaves the overdue list
        rpc("ticket", roles=("field",), staff_id=field).record_handling(
            job["id"], {"done": False, "reason": "客户改期"})
        assert supervisor.dispatches("overdue", field)["dispatches"] == []

    def test_t7_two_replicas_never_flag_the_same_dispatch(self, db):
        """Replica A holds its claim uncommitted; replica B skips the locked rows."""
        ticket = make_ticket(db)
        with db.cursor() as cur:
            cur.execute("INSERT INTO dispatch (ticket_id, staff_id, dispatcher_id, address,"
                        " window_start, window_end) VALUES (%s, 'f', 'a', 'x',"
                        " '2000-01-01T08:00+08', '2000-01-01T10:00+08') RETURNING id::text",
                        (ticket["id"],))
            dispatch_id = cur.fetchone()["id"]
        a, b = connect(), connect()
        a.autocommit = b.autocommit = False
        try:
            with a.cursor() as cur_a, b.cursor() as cur_b:
                claimed_a = {r["id"] for r in dispatch_store.flag_overdue(cur_a)}
                claimed_b = {r["id"] for r in dispatch_store.flag_overdue(cur_b)}
                assert dispatch_id in claimed_a and not claimed_a & claimed_b
                a.commit()
                b.commit()
                assert dispatch_id not in {r["id"] for r in dispatch_store.flag_overdue(cur_b)}
                b.commit()
        finally:
            a.close()
            b.close()

    def test_t7_paging_through_open_dispatches_is_stable(self, ticket_service, rpc, db):
        field = make_staff(db)
        agent = desk(rpc)
        made = [agent.dispatch_ticket(make_ticket(db)["id"],
                                      {"staff_id": field, "address": "x", **window(60, 100 + i)})
                for i in range(5)]
        supervisor = desk(rpc, ("supervisor",))
        seen, after = [], None
        while True:
            page = supervisor.dispatches("open", field, 2, after)
            seen += [d["id"] for d in page["dispatches"]]
            after = page["next"]
            if not after:
                break
        assert seen == [d["id"] for d in made]
        with pytest.raises(Invalid) as err:
            supervisor.dispatches("open", field, 2, "garbage")
        assert "after" in err.value.fields


def publish(rabbit_config, envelope: dict) -> None:
    exchange = Exchange("customer.events", type="topic", durable=True)
    with Connection(rabbit_config["AMQP_URI"]) as conn:
        conn.Producer(serializer="json").publish(
            envelope, exchange=exchange, routing_key=envelope["type"], declare=[exchange],
            user_id=conn.userid)  # its validated publisher (issue 9, finding 3)


class TestDestroyedCustomer:
    def test_t7_addresses_of_a_destroyed_customer_are_erased(
            self, ticket_service, rpc, db, rabbit_config):
        customer_id = str(uuid.uuid4())
        ticket = make_ticket(db, customer_id=customer_id)
        field = make_staff(db)
        job = desk(rpc).dispatch_ticket(
            ticket["id"], {"staff_id": field, "address": "成都市武侯区人民南路4段",
                           "note": "王女士", **window()})
        rpc("ticket", roles=("field",), staff_id=field).record_handling(
            job["id"], {"done": True, "note": "王女士说下次再约"})
        event = {"event_id": str(uuid.uuid4()), "type": "customer_destroyed",
                 "occurred_at": datetime.datetime.now(UTC).isoformat(), "schema_version": 1,
                 "actor": "test", "data": {"customer_id": customer_id, "number": "KH-x"}}
        for _ in range(2):  # a repeat delivery changes nothing
            with entrypoint_waiter(ticket_service, "anonymise_dispatches_of_destroyed_customer",
                                   timeout=10), \
                    entrypoint_waiter(ticket_service, "anonymise_contacts_of_destroyed_customer",
                                      timeout=10):
                publish(rabbit_config, event)
        row = one(db, "SELECT d.address, d.note, h.note AS handling_note FROM dispatch d"
                      " JOIN handling_record h ON h.dispatch_id = d.id WHERE d.id = %s",
                  job["id"])
        assert row == {"address": REDACTED, "note": REDACTED, "handling_note": REDACTED}
        with pytest.raises(NotFound):  # no new job for a destroyed customer
            desk(rpc).dispatch_ticket(
                ticket["id"], {"staff_id": field, "address": "x", **window()})

"""T8 contact log and telephony call events on the real ticket service: logging with
IVR paths, paging a customer's and a ticket's contacts, idempotent call events,
call statistics, and what destruction and merging do to them."""
import datetime
import json
import os
import uuid

import psycopg2
import psycopg2.extras
import pytest
from kombu import Connection, Exchange
from nameko.testing.services import entrypoint_waiter

from services.common.errors import Forbidden, Invalid, NotFound

UTC = datetime.UTC
REDACTED = "[已销毁]"


@pytest.fixture
def db():
    conn = psycopg2.connect(os.environ["KEFU_TICKET_DB_URI"],
                            cursor_factory=psycopg2.extras.RealDictCursor)
    conn.autocommit = True
    yield conn
    conn.close()


@pytest.fixture
def ticket_service(start):
    return start("ticket")


def make_ticket(db, customer_id=None, acceptor="a") -> dict:
    """A ticket accepted by `acceptor` (whose own it is: issue 9 finding 8)."""
    with db.cursor() as cur:
        cur.execute(
            "INSERT INTO ticket (serial, kind, customer_id, content, channel, urgency,"
            " acceptor_id) VALUES (%s, 'consultation', %s, '保修多久', 'phone', 'low', %s)"
            " RETURNING id::text, customer_id::text",
            (f"T8-{uuid.uuid4().hex[:12]}", customer_id or str(uuid.uuid4()), acceptor))
        return cur.fetchone()


def rows(db, sql, *params):
    with db.cursor() as cur:
        cur.execute(sql, params)
        return cur.fetchall()


def at(minutes_ago: int) -> str:
    return (datetime.datetime.now(UTC) - datetime.timedelta(minutes=minutes_ago)).isoformat()


class TestContactLog:
    def test_t8_a_call_is_logged_with_its_ivr_path_and_published(
            self, ticket_service, rpc, db):
        ticket = make_ticket(db, acceptor="agent-t8")
        agent = rpc("ticket", roles=("agent",), staff_id="agent-t8")
        contact = agent.log_contact({
            "channel": "phone", "direction": "in", "started_at": at(5),
            "duration_seconds": 185, "ivr_path": ["1 售后", "2 维修"],
            "ticket_id": ticket["id"], "call_id": "call-1", "note": "询问上门时间"})
        assert contact["agent_id"] == "agent-t8" and contact["logged_by"] == "agent-t8"
        assert contact["customer_id"] == ticket["customer_id"]  # taken from the ticket
        assert contact["ivr_path"] == ["1 售后", "2 维修"]
        [event] = rows(db, "SELECT envelope FROM outbox WHERE event_type = 'contact_logged'"
                           " AND envelope->'data'->>'contact_id' = %s", contact["id"])
        data = event["envelope"]["data"]
        assert data["channel"] == "phone" and data["duration_seconds"] == 185
        assert data["ticket_id"] == ticket["id"] and data["agent_id"] == "agent-t8"

    def test_t8_the_agent_is_the_caller_unless_a_supervisor_names_one(
            self, ticket_service, rpc):
        body = {"channel": "wechat", "direction": "out", "agent_id": "agent-other"}
        with pytest.raises(Forbidden):
            rpc("ticket", roles=("agent",)).log_contact(body)
        logged = rpc("ticket", roles=("supervisor",), staff_id="sup-1").log_contact(body)
        assert logged["agent_id"] == "agent-other" and logged["logged_by"] == "sup-1"
        with pytest.raises(Forbidden):
            rpc("ticket", roles=("field",)).log_contact(body)

    def test_t8_bad_input_is_refused_naming_the_field_and_nothing_is_stored(
            self, ticket_service, rpc, db):
        me = f"agent-{uuid.uuid4().hex[:8]}"
        agent = rpc("ticket", roles=("agent",), staff_id=me)
        ticket = make_ticket(db, acceptor=me)
        for bad, field in ((({"channel": "pigeon"}), "channel"),
                           ({"duration_seconds": -5}, "duration_seconds"),
                           ({"ivr_path": [1]}, "ivr_path"),
                           ({"ticket_id": ticket["id"], "customer_id": str(uuid.uuid4())},
                            "ticket_id")):
            with pytest.raises(Invalid) as err:
                agent.log_contact({"channel": "phone", "direction": "in", **bad})
            assert any(f.split(".")[0] == field for f in err.value.fields), err.value.fields
        with pytest.raises(NotFound):
            agent.log_contact({"channel": "phone", "direction": "in",
                               "ticket_id": str(uuid.uuid4())})
        assert rows(db, "SELECT id FROM contact_log WHERE ticket_id = %s", ticket["id"]) == []

    def test_t8_same_idempotency_key_logs_once(self, ticket_service, rpc, db):
        customer_id = str(uuid.uuid4())
        agent = rpc("ticket", roles=("agent",), staff_id=f"agent-{uuid.uuid4().hex[:8]}")
        body = {"channel": "sms", "direction": "out", "customer_id": customer_id}
        first = agent.log_contact(body, "k-1")
        assert agent.log_contact(body, "k-1")["id"] == first["id"]
        assert agent.log_contact(body, "k-2")["id"] != first["id"]
        assert len(rows(db, "SELECT id FROM contact_log WHERE customer_id = %s",
                        customer_id)) == 2

    def test_t8_contacts_of_a_customer_and_a_ticket_newest_first_in_pages(
            self, ticket_service, rpc, db):
        me = f"agent-{uuid.uuid4().hex[:8]}"
        ticket = make_ticket(db, acceptor=me)
        agent = rpc("ticket", roles=("agent",), staff_id=me)
        made = [agent.log_contact({"channel": "phone", "direction": "in",
                                   "started_at": at(100 - i), "ticket_id": ticket["id"]})
                for i in range(5)]
        # the same start time twice: the id breaks the tie, nothing skipped or repeated
        same = at(1)
        made += [agent.log_contact({"channel": "email", "direction": "in", "started_at": same,
                                    "customer_id": ticket["customer_id"]}) for _ in range(2)]
        # issue 9 finding 8: not any staff member any more — field staff see none of it
        stranger = rpc("ticket", roles=("field",))
        assert stranger.contacts_for_customer(ticket["customer_id"])["contacts"] == []
        with pytest.raises(NotFound):
            stranger.contacts_for_ticket(ticket["id"])
        reader = rpc("ticket", roles=("manager",))
        seen, before = [], None
        while True:
            page = reader.contacts_for_customer(ticket["customer_id"], 3, before)
            seen += [c["id"] for c in page["contacts"]]
            before = page["next"]
            if not before:
                break
        expected = [c["id"] for c in sorted(made, key=lambda c: (c["started_at"], c["id"]),
                                            reverse=True)]
        assert seen == expected
        assert reader.contacts_for_customer(ticket["customer_id"])["contacts"][0]["id"] \
            == expected[0]
        by_ticket = reader.contacts_for_ticket(ticket["id"])["contacts"]
        assert [c["id"] for c in by_ticket] == [c["id"] for c in reversed(made[:5])]
        with pytest.raises(NotFound):
            reader.contacts_for_ticket(str(uuid.uuid4()))
        with pytest.raises(Invalid) as err:
            reader.contacts_for_customer(ticket["customer_id"], 3, "garbage")
        assert "before" in err.value.fields


def call_events(call_id: str, queue: str, answered: bool, wait: int, minutes_ago=10):
    offered = {"call_id": call_id, "event": "offered", "at": at(minutes_ago),
               "caller": "138 0013 8000", "queue": queue, "ivr_path": ["1 售后"]}
    outcome = {"call_id": call_id, "event": "answered" if answered else "abandoned",
               "at": at(minutes_ago - 1), "wait_seconds": wait,
               "agent_id": "agent-1" if answered else None}
    return [offered, {"call_id": call_id, "event": "queued", "at": at(minutes_ago),
                      "queue": queue}, outcome]


class TestCallEvents:
    def test_t8_call_events_are_idempotent_and_feed_the_statistics(
            self, ticket_service, rpc, db):
        telephony = rpc("ticket", roles=("telephony",), staff_id="pbx")
        queue = f"售后-{uuid.uuid4().hex[:6]}"
        calls = [(f"c-{uuid.uuid4().hex[:8]}", answered, wait)
                 for answered, wait in ((True, 5), (True, 10), (True, 20), (True, 40),
                                        (False, 60))]
        events = [e for call_id, answered, wait in calls
                  for e in call_events(call_id, queue, answered, wait)]
        assert telephony.record_call_events({"events": events}) == {
            "accepted": 15, "duplicates": 0}
        assert telephony.record_call_events({"events": events[:4]}) == {
            "accepted": 0, "duplicates": 4}
        assert telephony.record_call_events(events[0]) == {"accepted": 0, "duplicates": 1}
        call_ids = [c[0] for c in calls]
        stored = rows(db, "SELECT call_id, event, queue, caller FROM call_event"
                          " WHERE call_id = ANY(%s)", call_ids)
        assert len(stored) == 15
        # answered/abandoned came without a queue: they take the call's queue
        assert {r["queue"] for r in stored} == {queue}
        assert {r["caller"] for r in stored if r["event"] == "offered"} == {"+8613800138000"}
        published = rows(db, "SELECT count(*) AS n FROM outbox WHERE event_type = 'call_recorded'"
                             " AND envelope->'data'->>'call_id' = ANY(%s)", call_ids)
        assert published[0]["n"] == 15
        stats = rpc("ticket", roles=("supervisor",)).call_stats(at(60), None)
        [mine] = [q for q in stats["queues"] if q["queue"] == queue]
        assert mine == {"queue": queue, "offered": 5, "answered": 4, "abandoned": 1,
                        "answer_rate": 0.8, "avg_wait_seconds": 18.8,
                        "p90_wait_seconds": 34.0}
        assert stats["total"]["offered"] >= 5 and stats["total"]["queue"] is None
        later = rpc("ticket", roles=("supervisor",)).call_stats(at(-60), None)
        assert queue not in [q["queue"] for q in later["queues"]]

    def test_t8_only_the_telephony_integration_posts_events_and_bad_ones_store_nothing(
            self, ticket_service, rpc, db):
        call_id = f"c-{uuid.uuid4().hex[:8]}"
        event = {"call_id": call_id, "event": "offered", "at": at(1)}
        for roles in (("agent",), ("admin",), ("supervisor",)):
            with pytest.raises(Forbidden):
                rpc("ticket", roles=roles).record_call_events(event)
        telephony = rpc("ticket", roles=("telephony",))
        with pytest.raises(Invalid) as err:
            telephony.record_call_events({"events": [event, {**event, "event": "ringing"}]})
        assert any(f.startswith("events") for f in err.value.fields)
        assert rows(db, "SELECT * FROM call_event WHERE call_id = %s", call_id) == []
        with pytest.raises(Forbidden):
            telephony.call_stats()
        with pytest.raises(Invalid) as err:
            rpc("ticket", roles=("manager",)).call_stats("2026-11-23", "2026-11-01")
        assert "to" in err.value.fields


def publish(rabbit_config, envelope: dict) -> None:
    exchange = Exchange("customer.events", type="topic", durable=True)
    with Connection(rabbit_config["AMQP_URI"]) as conn:
        conn.Producer(serializer="json").publish(
            envelope, exchange=exchange, routing_key=envelope["type"], declare=[exchange],
            user_id=conn.userid)  # its validated publisher (issue 9, finding 3)


def envelope(event_type: str, data: dict) -> dict:
    return {"event_id": str(uuid.uuid4()), "type": event_type,
            "occurred_at": datetime.datetime.now(UTC).isoformat(), "schema_version": 1,
            "actor": "test", "data": data}


class TestCustomerLifecycle:
    def test_t8_destroyed_customer_loses_notes_and_caller_numbers(
            self, ticket_service, rpc, db, rabbit_config):
        customer_id = str(uuid.uuid4())
        call_id = f"c-{uuid.uuid4().hex[:8]}"
        rpc("ticket", roles=("telephony",)).record_call_events(
            {"call_id": call_id, "event": "offered", "at": at(3), "caller": "13912345678"})
        agent = rpc("ticket", roles=("agent",))
        contact = agent.log_contact({"channel": "phone", "direction": "in",
                                     "customer_id": customer_id, "call_id": call_id,
                                     "note": "张三 住朝阳区"})
        event = envelope("customer_destroyed", {"customer_id": customer_id, "number": "KH-1"})
        for _ in range(2):
            with entrypoint_waiter(ticket_service, "anonymise_contacts_of_destroyed_customer",
                                   timeout=10):
                publish(rabbit_config, event)
        [row] = rows(db, "SELECT note, anonymised_at FROM contact_log WHERE id = %s",
                     contact["id"])
        assert row["note"] == REDACTED and row["anonymised_at"]
        assert rows(db, "SELECT caller FROM call_event WHERE call_id = %s", call_id) == [
            {"caller": REDACTED}]
        assert "13912345678" not in json.dumps(
            rows(db, "SELECT * FROM call_event WHERE call_id = %s", call_id), default=str)
        with pytest.raises(NotFound):  # no contact may be logged for it any more
            agent.log_contact({"channel": "phone", "direction": "in",
                               "customer_id": customer_id, "note": "张三"})

    def test_t8_merged_customer_contacts_follow_the_survivor(
            self, ticket_service, rpc, rabbit_config):
        merged, survivor = str(uuid.uuid4()), str(uuid.uuid4())
        agent = rpc("ticket", roles=("agent",))
        logged = agent.log_contact({"channel": "web", "direction": "in", "customer_id": merged})
        event = envelope("customer_merged", {"merged_id": merged, "survivor_id": survivor})
        for _ in range(2):
            with entrypoint_waiter(ticket_service, "repoint_contacts_of_merged_customer",
                                   timeout=10):
                publish(rabbit_config, event)
        assert [c["id"] for c in agent.contacts_for_customer(survivor)["contacts"]] == [
            logged["id"]]
        assert agent.contacts_for_customer(merged)["contacts"] == []

"""C6 destruction 销毁 against real PostgreSQL and RabbitMQ: the ordered three-step
approval, the erase of every personal datum from every table of the customer
database (proved as the owner role), refusals that change nothing, and the ticket
service anonymising its copies on customer_destroyed."""
import datetime
import json
import os
import random
import uuid

import psycopg2
import psycopg2.extras
import pytest
from kombu import Connection, Exchange
from nameko.testing.services import entrypoint_waiter
from psycopg2 import sql

from services.common.errors import Conflict, Forbidden, Invalid, NotFound
from tests.helpers import random_mobile

TOMBSTONE = "已销毁客户"
REDACTED = "[已销毁]"


def connect(env: str, system: bool = True):
    conn = psycopg2.connect(os.environ[env], cursor_factory=psycopg2.extras.RealDictCursor)
    conn.autocommit = True
    if system:  # row-level security is forced even for the owner: look as the system
        with conn.cursor() as cur:
            cur.execute("SELECT set_config('kefu.principal', 'c6-test', false),"
                        " set_config('kefu.system', 'on', false)")
    return conn


def rare_name() -> str:
    """Three random CJK characters nobody else in the test databases has."""
    return "".join(chr(random.randint(0x4E00, 0x9FA5)) for _ in range(3))


def tables_holding(env: str, needles: list[str]) -> dict[str, list[str]]:
    """{table: [needles found in any of its rows]}, over every table of the database."""
    found: dict[str, list[str]] = {}
    with connect(env) as conn, conn.cursor() as cur:
        cur.execute("SELECT table_name FROM information_schema.tables"
                    " WHERE table_schema = 'public' AND table_type = 'BASE TABLE'")
        tables = [r["table_name"] for r in cur.fetchall()]
        assert "customer" in tables or "ticket" in tables
        for table in tables:
            for needle in needles:
                cur.execute(sql.SQL("SELECT count(*) AS n FROM {} t WHERE t::text LIKE %s")
                            .format(sql.Identifier(table)), ("%" + needle + "%",))
                if cur.fetchone()["n"]:
                    found.setdefault(table, []).append(needle)
    return found


def snapshot(customer_id: str) -> dict:
    """Everything the customer database holds about one customer and its requests."""
    with connect("KEFU_CUSTOMER_OWNER_DB_URI") as conn, conn.cursor() as cur:
        out = {}
        for name, query in {
            "customer": "SELECT * FROM customer WHERE id = %s",
            "phones": "SELECT * FROM customer_phone WHERE customer_id = %s ORDER BY e164",
            "emails": "SELECT * FROM customer_email WHERE customer_id = %s ORDER BY email",
            "assets": "SELECT * FROM customer_asset WHERE customer_id = %s ORDER BY id",
            "archive": "SELECT * FROM customer_archive WHERE customer_id = %s",
            "history": "SELECT * FROM customer_history WHERE customer_id = %s ORDER BY id",
            "log": "SELECT * FROM access_log WHERE customer_id = %s ORDER BY seq",
            "requests": "SELECT * FROM destruction_request WHERE customer_id = %s ORDER BY id",
            "approvals": "SELECT a.* FROM destruction_approval a JOIN destruction_request r"
                         " ON r.id = a.request_id WHERE r.customer_id = %s ORDER BY a.at",
            "outbox": "SELECT event_type FROM outbox WHERE envelope->'data'->>'customer_id' = %s",
        }.items():
            cur.execute(query, (customer_id,))
            out[name] = cur.fetchall()
        return out


def staff(rpc, role: str, clearance: int = 3, name: str | None = None):
    return rpc("customer", roles=(role,), clearance=clearance,
               staff_id=name or f"{role}-{uuid.uuid4().hex[:8]}")


@pytest.fixture
def customers(start, rpc):
    start("customer")
    return rpc


def make_person(rpc, name: str, mobile: str, **extra) -> dict:
    body = {
        "name": name, "phones": [mobile, "010-6" + mobile[-7:]],
        "emails": [f"c6-{mobile}@example.cn"], "region": f"海淀区{mobile[-6:]}",
        "tags": [f"c6标签{mobile[-6:]}"],
        "person": {"gender": "male", "occupation": "工程师" + name},
        "addresses": [{"kind": "home", "text": f"海淀路{mobile[-4:]}号 {name}家"}],
        "notes": f"{name}的私人备注", "assets": [
            {"kind": "vehicle", "product": "轿车", "plate": f"京C{mobile[-5:]}",
             "serial": f"VIN{mobile}"}],
        **extra,
    }
    created = staff(rpc, "manager").create_customer(body)
    # one more change so that history holds old and new personal values
    staff(rpc, "manager").update_customer(created["id"], {"name": name + "先生"})
    return created


def three_steps(rpc, request_id: str) -> list[dict]:
    return [staff(rpc, role).approve_destruction(request_id, {"comment": f"{role} 同意"})
            for role in ("supervisor", "manager", "general_manager")]


class TestC6ThreeStepsAndErase:
    def test_c6_three_approvals_in_order_erase_every_personal_datum(self, start, customers):
        rpc = customers
        ticket_service = start("ticket")
        name, mobile = rare_name(), random_mobile()
        created = make_person(rpc, name, mobile)
        cid = created["id"]
        ticket = rpc("ticket", roles=("agent",)).create_ticket(
            {"customer_id": cid, "kind": "complaint", "content": f"{name}投诉: 电话{mobile}"})
        requester = staff(rpc, "agent", clearance=0)
        asked = requester.request_destruction(cid, {"reason": "客户依法要求删除个人信息"})
        assert (asked["status"], asked["awaiting_step"], asked["awaiting_role"]) == (
            "pending", 1, "supervisor")

        first, second = [staff(rpc, r).approve_destruction(asked["id"])
                         for r in ("supervisor", "manager")]
        assert (first["awaiting_step"], second["awaiting_step"]) == (2, 3)
        assert rpc("customer").get_customer(cid)["name"] == name + "先生"  # not yet
        with entrypoint_waiter(ticket_service, "anonymise_destroyed_customer", timeout=10):
            done = staff(rpc, "general_manager").approve_destruction(
                asked["id"], {"comment": "同意销毁"})

        assert done["status"] == "destroyed" and done["destroyed"] is True
        assert [(a["step"], a["role"], a["decision"]) for a in done["approvals"]] == [
            (1, "supervisor", "approve"), (2, "manager", "approve"),
            (3, "general_manager", "approve")]
        assert done["approvals"][2]["comment"] == "同意销毁"
        assert len({a["approver_id"] for a in done["approvals"]}) == 3

        # The customer service answers with the tombstone only.
        seen = rpc("customer", roles=("general_manager",), clearance=3).get_customer(cid)
        assert seen["destroyed"] is True and seen["name"] == TOMBSTONE
        assert (seen["number"], seen["kind"]) == (created["number"], "person")
        assert seen["phones"] == [] and seen["assets"] == [] and seen["archive"] is None
        assert seen["region"] == "" and seen["tags"] == []
        agent = rpc("customer")
        for query in ({"phone": mobile}, {"email": f"c6-{mobile}@example.cn"},
                      {"plate": f"京C{mobile[-5:]}"}, {"serial": f"VIN{mobile}"}):
            assert agent.lookup(query)["matches"] == [], query

        # Proof as the owner role: no table of the customer database holds the person.
        needles = [name, mobile, mobile[-7:], f"c6-{mobile}", f"京C{mobile[-5:]}",
                   f"VIN{mobile}", f"c6标签{mobile[-6:]}", f"海淀区{mobile[-6:]}"]
        assert tables_holding("KEFU_CUSTOMER_OWNER_DB_URI", needles) == {}
        after = snapshot(cid)
        assert after["phones"] == after["emails"] == after["assets"] == after["archive"] == []
        tomb = after["customer"][0]
        assert tomb["destroyed_at"] is not None and tomb["name"] == TOMBSTONE
        assert (tomb["name_pinyin"], tomb["name_initials"], tomb["region"], tomb["tags"]) == (
            "", "", "", [])
        # History keeps who and when and which field, never the values.
        assert {h["field"] for h in after["history"]} >= {"name", "destroyed"}
        assert all(h["old"] is None for h in after["history"])
        assert [h["new"] for h in after["history"] if h["action"] != "destroy"] == [
            None] * (len(after["history"]) - 1)
        assert all(h["actor_id"] for h in after["history"])
        # The borrowing log has each step, in order, with who.
        actions = [row["action"] for row in after["log"] if row["action"].startswith("destroy")]
        assert actions == ["destroy_request", "destroy_approve", "destroy_approve",
                           "destroy_approve", "destroy"]
        assert after["log"][-1]["actor_id"] == done["approvals"][2]["approver_id"]
        assert [o["event_type"] for o in after["outbox"]].count("customer_destroyed") == 1

        # The ticket service kept the ticket and lost the person.
        # (read by a manager: tickets are scoped to their group for agents, issue 9 finding 8)
        kept = rpc("ticket", roles=("manager",), clearance=3).list_for_customer(cid)["tickets"]
        assert [(t["serial"], t["kind"], t["content"]) for t in kept] == [
            (ticket["serial"], "complaint", REDACTED)]
        assert tables_holding("KEFU_TICKET_DB_URI", [name, mobile]) == {}

    def test_c6_a_top_secret_archive_is_erased_by_a_general_manager_without_a_grant(
            self, customers):
        rpc = customers
        name, mobile = rare_name(), random_mobile()
        cid = make_person(rpc, name, mobile)["id"]
        staff(rpc, "general_manager").classify(cid, {"level": 3, "reason": "绝密客户"})
        asked = staff(rpc, "supervisor").request_destruction(cid, {"reason": "合同终止五年"})
        three_steps(rpc, asked["id"])
        after = snapshot(cid)
        assert after["archive"] == [] and after["phones"] == []
        assert after["customer"][0]["level"] == 0
        assert tables_holding("KEFU_CUSTOMER_OWNER_DB_URI", [name, mobile]) == {}

    def test_c6_records_merged_into_it_are_erased_with_it(self, customers):
        rpc = customers
        name, mobile, old_mobile = rare_name(), random_mobile(), random_mobile()
        survivor = make_person(rpc, name, mobile)["id"]
        merged = make_person(rpc, name, old_mobile)["id"]
        with connect("KEFU_CUSTOMER_OWNER_DB_URI") as conn, conn.cursor() as cur:
            cur.execute("UPDATE customer SET merged_into = %s WHERE id = %s", (survivor, merged))
        asked = staff(rpc, "agent", clearance=0).request_destruction(
            survivor, {"reason": "客户要求删除"})
        three_steps(rpc, asked["id"])
        assert tables_holding("KEFU_CUSTOMER_OWNER_DB_URI", [name, mobile, old_mobile]) == {}
        assert snapshot(merged)["customer"][0]["destroyed_at"] is not None
        assert [o["event_type"] for o in snapshot(merged)["outbox"]].count(
            "customer_destroyed") == 1


class TestC6Refusals:
    def test_c6_out_of_order_same_person_and_requester_are_refused_and_change_nothing(
            self, customers):
        rpc = customers
        name, mobile = rare_name(), random_mobile()
        cid = make_person(rpc, name, mobile)["id"]
        requester = staff(rpc, "supervisor")
        asked = requester.request_destruction(cid, {"reason": "重复建档, 申请销毁"})
        rid = asked["id"]
        before = snapshot(cid)

        for role in ("manager", "general_manager"):
            with pytest.raises(Conflict) as caught:
                staff(rpc, role).approve_destruction(rid)
            assert "out of order" in caught.value.message
        with pytest.raises(Forbidden, match="requester"):
            requester.approve_destruction(rid)
        assert snapshot(cid) == before

        both = rpc("customer", roles=("supervisor", "manager"), clearance=3, staff_id="both-1")
        assert both.approve_destruction(rid)["awaiting_step"] == 2
        before = snapshot(cid)
        with pytest.raises(Forbidden, match="already approved step 1"):
            both.approve_destruction(rid)
        with pytest.raises(Conflict, match="your step is done"):
            staff(rpc, "supervisor").approve_destruction(rid)
        with pytest.raises(Conflict, match="step 2"):
            staff(rpc, "general_manager").approve_destruction(rid)
        assert snapshot(cid) == before
        assert rpc("customer").lookup({"phone": mobile})["matches"][0]["id"] == cid

    def test_c6_a_rejection_ends_the_request_and_keeps_the_person(self, customers):
        rpc = customers
        name, mobile = rare_name(), random_mobile()
        cid = make_person(rpc, name, mobile)["id"]
        agent = staff(rpc, "agent", clearance=0)
        rid = agent.request_destruction(cid, {"reason": "客户要求"})["id"]
        staff(rpc, "supervisor").approve_destruction(rid)
        with pytest.raises(Invalid) as caught:
            staff(rpc, "manager").reject_destruction(rid, {})
        assert "comment" in caught.value.fields
        rejected = staff(rpc, "manager").reject_destruction(rid, {"comment": "仍有未结合同"})
        assert rejected["status"] == "rejected" and rejected["awaiting_step"] is None
        assert rejected["approvals"][1]["decision"] == "reject"
        with pytest.raises(Conflict, match="already rejected"):
            staff(rpc, "general_manager").approve_destruction(rid)
        assert rpc("customer").get_customer(cid)["name"] == name + "先生"
        assert [r["action"] for r in snapshot(cid)["log"]
                if r["action"].startswith("destroy")] == [
            "destroy_request", "destroy_approve", "destroy_reject"]
        # the request ended, so a new one may be made
        again = staff(rpc, "agent", clearance=0).request_destruction(cid, {"reason": "再次申请"})
        assert again["status"] == "pending"

    def test_c6_one_pending_request_per_customer_and_bad_input(self, customers):
        rpc = customers
        cid = make_person(rpc, rare_name(), random_mobile())["id"]
        agent = staff(rpc, "agent", clearance=0)
        agent.request_destruction(cid, {"reason": "客户要求"})
        with pytest.raises(Conflict, match="already pending"):
            staff(rpc, "agent", clearance=0).request_destruction(cid, {"reason": "再来一次"})
        with pytest.raises(Invalid) as caught:
            agent.request_destruction(cid, {"reason": ""})
        assert "reason" in caught.value.fields
        with pytest.raises(NotFound):
            agent.request_destruction(str(uuid.uuid4()), {"reason": "不存在的客户"})
        with pytest.raises(NotFound):
            agent.destruction_request("not-a-request")
        with pytest.raises(Forbidden):
            rpc("customer", roles=("auditor",)).request_destruction(cid, {"reason": "审计"})
        with pytest.raises(Forbidden):
            agent.approve_destruction(str(uuid.uuid4()))

    def test_c6_clearance_hides_the_record_and_its_request(self, customers):
        rpc = customers
        cid = make_person(rpc, rare_name(), random_mobile())["id"]
        staff(rpc, "manager").classify(cid, {"level": 2, "reason": "机密客户"})
        with pytest.raises(NotFound):
            staff(rpc, "agent", clearance=1).request_destruction(cid, {"reason": "客户要求"})
        requester = staff(rpc, "agent", clearance=2)
        rid = requester.request_destruction(cid, {"reason": "客户要求"})["id"]
        low = staff(rpc, "supervisor", clearance=1)
        with pytest.raises(NotFound):
            low.approve_destruction(rid)
        with pytest.raises(NotFound):
            low.destruction_request(rid)
        assert rid not in [r["id"] for r in low.destruction_requests("pending", 200)["requests"]]
        assert staff(rpc, "supervisor", clearance=2).destruction_request(rid)["id"] == rid
        # others' requests are invisible to a requester; their own are listed
        assert requester.destruction_request(rid)["id"] == rid
        with pytest.raises(NotFound):
            staff(rpc, "agent", clearance=3).destruction_request(rid)
        mine = requester.destruction_requests()["requests"]
        assert [r["id"] for r in mine] == [rid]


def publish(rabbit_config, envelope: dict) -> None:
    exchange = Exchange("customer.events", type="topic", durable=True)
    with Connection(rabbit_config["AMQP_URI"]) as conn:
        conn.Producer(serializer="json").publish(
            envelope, exchange=exchange, routing_key=envelope["type"], declare=[exchange],
            user_id=conn.userid)  # its validated publisher (issue 9, finding 3)


class TestC6TicketService:
    def test_c6_destroyed_event_twice_and_late_tickets(self, start, rpc, rabbit_config):
        start("customer")
        tickets = start("ticket")
        name, mobile = rare_name(), random_mobile()
        cid = rpc("customer").create_customer({"name": name, "phones": [mobile]})["id"]
        agent = rpc("ticket", roles=("agent",))
        made = [agent.create_ticket({"customer_id": cid, "kind": kind,
                                     "content": f"{name} {mobile} {kind}"})
                for kind in ("consultation", "after_sales")]
        event = {"event_id": str(uuid.uuid4()), "type": "customer_destroyed",
                 "occurred_at": datetime.datetime.now(datetime.UTC).isoformat(),
                 "schema_version": 1, "actor": "test",
                 "data": {"customer_id": cid, "number": "KH-test"}}
        for _ in range(2):  # the second delivery is a no-op
            with entrypoint_waiter(tickets, "anonymise_destroyed_customer", timeout=10):
                publish(rabbit_config, event)
        with connect("KEFU_TICKET_DB_URI", system=False) as conn, conn.cursor() as cur:
            cur.execute("SELECT serial, kind, content, channel, urgency, status, accepted_at,"
                        " anonymised_at FROM ticket WHERE customer_id = %s ORDER BY serial",
                        (cid,))
            rows = cur.fetchall()
            # other handlers of the ticket service (dispatches, contacts) record their own
            cur.execute("SELECT count(*) AS n FROM processed_event WHERE event_id = %s"
                        " AND consumer = 'ticket.anonymise_destroyed_customer'",
                        (event["event_id"],))
            assert cur.fetchone()["n"] == 1
        assert sorted(r["serial"] for r in rows) == sorted(t["serial"] for t in made)
        assert all(r["content"] == REDACTED and r["anonymised_at"] for r in rows)
        assert all(r["accepted_at"] and r["status"] == "new" for r in rows)
        # a ticket for the destroyed person is refused by the ticket database itself
        with pytest.raises(Conflict):
            agent.create_ticket({"customer_id": cid, "kind": "complaint", "content": name})
        assert tables_holding("KEFU_TICKET_DB_URI", [name, mobile]) == {}
        # a ticket moved onto the destroyed customer later (a late merge) is redacted
        other = rpc("customer").create_customer({"name": rare_name()})["id"]
        moved = agent.create_ticket({"customer_id": other, "kind": "suggestion",
                                     "content": f"{name} 建议"})
        with connect("KEFU_TICKET_DB_URI", system=False) as conn, conn.cursor() as cur:
            cur.execute("UPDATE ticket SET customer_id = %s WHERE id = %s", (cid, moved["id"]))
            cur.execute("SELECT content FROM ticket WHERE id = %s", (moved["id"],))
            assert cur.fetchone()["content"] == REDACTED
        assert json.dumps(rows, default=str).count(name) == 0


class TestFinding11dEventCopies:
    """Issue 9, finding 11 (the customer service's part d): outbox rows already sent and
    parked events kept the person's data after the erase.  The destruction's transaction
    scrubs them too (an event not yet sent is left to the relay: the consumers are owed
    it, and it is sent within a second)."""

    def test_finding11d_sent_outbox_and_parked_rows_are_scrubbed(self, customers):
        rpc = customers
        name, mobile = rare_name(), random_mobile()
        cid = make_person(rpc, name, mobile)["id"]
        other = make_person(rpc, rare_name(), random_mobile())["id"]
        personal = {"customer_id": cid, "number": "KH-x", "contact": {"name": name,
                                                                     "phone": mobile}}
        with connect("KEFU_CUSTOMER_OWNER_DB_URI") as conn, conn.cursor() as cur:
            for customer in (cid, other):  # already sent: no relay picks them up
                envelope = {"event_id": str(uuid.uuid4()), "type": "x_test",
                            "data": {**personal, "customer_id": customer}}
                cur.execute("INSERT INTO outbox (event_id, event_type, envelope, sent_at)"
                            " VALUES (%s, 'x_test', %s, now())",
                            (envelope["event_id"], json.dumps(envelope)))
            cur.execute("INSERT INTO parked_event (consumer, event_id, event_type, body, error,"
                        " attempts) VALUES ('customer.ticket_contact', %s, 'ticket_created', %s,"
                        " %s, 3)", (str(uuid.uuid4()), json.dumps(
                            {"type": "ticket_created", "data": personal}), f"bad {mobile}"))
        asked = staff(rpc, "agent", clearance=0).request_destruction(
            cid, {"reason": "客户依法要求删除个人信息"})
        assert three_steps(rpc, asked["id"])[-1]["status"] == "destroyed"
        with connect("KEFU_CUSTOMER_OWNER_DB_URI") as conn, conn.cursor() as cur:
            cur.execute("SELECT envelope FROM outbox WHERE event_type = 'x_test'"
                        " AND envelope->'data'->>'customer_id' = ANY(%s)", ([cid, other],))
            rows = cur.fetchall()
            cur.execute("SELECT body, error FROM parked_event WHERE body->'data'->>'customer_id'"
                        " = %s", (cid,))
            parked = cur.fetchall()
        scrubbed = [r for r in rows if r["envelope"]["data"]["customer_id"] == cid]
        assert scrubbed and all(name not in json.dumps(r["envelope"], ensure_ascii=False)
                                and mobile not in json.dumps(r["envelope"]) for r in scrubbed)
        assert scrubbed[0]["envelope"]["data"] == {"customer_id": cid}
        kept = [r for r in rows if r["envelope"]["data"]["customer_id"] == other]
        assert kept and kept[0]["envelope"]["data"]["contact"]["phone"] == mobile
        assert parked and all(name not in json.dumps(p, ensure_ascii=False) and mobile not in
                              json.dumps(p, ensure_ascii=False) for p in parked)
        assert parked[0]["body"]["data"] == {"customer_id": cid}

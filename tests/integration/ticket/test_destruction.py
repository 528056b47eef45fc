"""What a destroyed customer (C6) leaves in the ticket service's own records (issue 9,
finding 11): besides the tickets' content, their subject, form values and contact go;
the outbox rows of its tickets and contacts lose their addresses and notes, and parked
events that name the customer keep no payload."""
import datetime
import json
import os
import uuid

import psycopg2
import psycopg2.extras
import pytest
from kombu import Connection, Exchange
from nameko.testing.services import entrypoint_waiter
from psycopg2 import sql

from tests.integration.ticket.test_object_scope import later

UTC = datetime.UTC
REDACTED = "[已销毁]"


def connect(variable="KEFU_TICKET_OWNER_DB_URI"):
    uri = os.environ.get(variable) or os.environ["KEFU_TICKET_DB_URI"]
    conn = psycopg2.connect(uri, cursor_factory=psycopg2.extras.RealDictCursor)
    conn.autocommit = True
    return conn


def rows(statement, *params):
    with connect() as conn, conn.cursor() as cur:
        cur.execute(statement, params)
        found = cur.fetchall() if cur.description else []
    conn.close()
    return found


def publish(rabbit_config, envelope: dict) -> None:
    exchange = Exchange("customer.events", type="topic", durable=True)
    with Connection(rabbit_config["AMQP_URI"]) as conn:
        conn.Producer(serializer="json").publish(
            envelope, exchange=exchange, routing_key=envelope["type"], declare=[exchange],
            user_id=conn.userid)  # its validated publisher (issue 9, finding 3)


@pytest.fixture
def ticket_service(start):
    start("customer")
    return start("ticket")


def test_finding11_destruction_scrubs_the_outbox_parked_events_and_the_whole_record(
        ticket_service, rpc, rabbit_config):
    """Issue 9 finding 11: after customer_destroyed, no row of the ticket database holds
    the person's address, name, phone or words — outbox and parked_event included."""
    tag = uuid.uuid4().hex[:8]
    name, street, phone = f"郑{tag}", f"文三路{tag}号", "13812345678"
    customer = rpc("customer").create_customer({"name": name})
    agent = rpc("ticket", roles=("manager",))
    rpc("ticket", roles=("field",), staff_id=f"f-{tag}").set_duty({"on_duty": False})
    rpc("ticket", staff_id=f"a-{tag}").set_duty({"on_duty": False})
    ticket = agent.create_ticket({
        "customer_id": customer["id"], "kind": "after_sales", "content": f"{name}的洗衣机",
        "subject": f"{name}报修", "form": {}, "group_name": None,
        "contact": {"name": name, "phone": phone, "relation": "本人"}})
    agent.dispatch_ticket(ticket["id"], {"staff_id": f"f-{tag}", "address": street,
                                         "note": f"找{name}", "window_start": later(60),
                                         "window_end": later(120)})
    agent.transfer_ticket(ticket["id"], {"staff_id": f"a-{tag}", "note": f"{name}催了"})
    agent.log_contact({"channel": "phone", "direction": "in", "customer_id": customer["id"],
                       "note": f"{name}来电"})
    rows("INSERT INTO parked_event (consumer, event_id, event_type, body, error, attempts)"
         " VALUES ('ticket.test', %s, 'customer_merged', %s, 'test', 3)",
         str(uuid.uuid4()), json.dumps({"data": {"merged_id": customer["id"], "name": name}},
                                       ensure_ascii=False))
    needles = (name, street, phone)
    assert any(n in json.dumps(r["envelope"], ensure_ascii=False)
               for r in rows("SELECT envelope FROM outbox WHERE envelope::text LIKE %s",
                             f"%{tag}%") for n in needles)

    event = {"event_id": str(uuid.uuid4()), "type": "customer_destroyed",
             "occurred_at": datetime.datetime.now(UTC).isoformat(), "schema_version": 1,
             "actor": "test", "data": {"customer_id": customer["id"], "number": "KH-x"}}
    with entrypoint_waiter(ticket_service, "anonymise_destroyed_customer", timeout=10), \
            entrypoint_waiter(ticket_service, "anonymise_dispatches_of_destroyed_customer",
                              timeout=10), \
            entrypoint_waiter(ticket_service, "anonymise_contacts_of_destroyed_customer",
                              timeout=10):
        publish(rabbit_config, event)

    for table in ("outbox", "parked_event", "ticket", "dispatch", "contact_log"):
        for needle in needles:
            held = rows(sql.SQL("SELECT count(*) AS n FROM {} t WHERE t::text LIKE %s")
                        .format(sql.Identifier(table)), f"%{needle}%")[0]["n"]
            assert held == 0, f"{table} still holds {needle}"
    [kept] = rows("SELECT serial, kind, content, subject, form, contact FROM ticket"
                  " WHERE id = %s", ticket["id"])
    assert (kept["serial"], kept["kind"]) == (ticket["serial"], "after_sales")
    assert (kept["content"], kept["form"], kept["contact"]) == (REDACTED, {}, {})

"""T2 creation across services; the outbox feeds notify and report exactly once."""
import datetime
import json
import os
import uuid
from zoneinfo import ZoneInfo

import eventlet
import psycopg2
import pytest
from kombu import Connection, Exchange
from nameko.testing.services import entrypoint_waiter

from services.common.errors import NotFound
from tests.helpers import random_mobile


def today_in_china() -> str:
    return datetime.datetime.now(ZoneInfo("Asia/Shanghai")).date().isoformat()


def count_of(rpc, kind: str) -> int:
    day = today_in_china()
    series = rpc("report", roles=("manager",)).tickets_daily(day, day)["series"]
    return sum(p["count"] for p in series if p["kind"] == kind)


class TestCreateTicket:
    def test_ticket_gets_a_serial_and_reaches_inbox_and_report(self, start, rpc):
        for name in ("customer", "ticket", "notify"):
            start(name)
        report = start("report")
        customer = rpc("customer").create_customer({"name": "赵六", "phones": [random_mobile()]})
        agent = f"agent-{uuid.uuid4().hex[:8]}"
        before = count_of(rpc, "after_sales")
        with entrypoint_waiter(report, "count_ticket"):
            ticket = rpc("ticket", staff_id=agent).create_ticket(
                {"customer_id": customer["id"], "kind": "after_sales", "content": "空调不制冷"})
        assert ticket["serial"].startswith("SH-" + today_in_china().replace("-", ""))
        assert count_of(rpc, "after_sales") == before + 1
        for _ in range(50):
            items = rpc("notify", staff_id=agent).inbox()["items"]
            if items:
                break
            eventlet.sleep(0.1)
        assert [i["ref_id"] for i in items] == [ticket["id"]]

    def test_same_idempotency_key_returns_the_same_ticket(self, start, rpc):
        start("customer")
        start("ticket")
        customer = rpc("customer").create_customer({"name": "钱七"})
        agent = rpc("ticket", staff_id=f"agent-{uuid.uuid4().hex[:8]}")
        body = {"customer_id": customer["id"], "kind": "consultation", "content": "保修多久"}
        first = agent.create_ticket(body, "key-1")
        assert agent.create_ticket(body, "key-1")["id"] == first["id"]
        assert agent.create_ticket(body, "key-2")["id"] != first["id"]

    def test_ticket_for_unknown_customer_is_refused(self, start, rpc):
        start("customer")
        start("ticket")
        with pytest.raises(NotFound):
            rpc("ticket").create_ticket(
                {"customer_id": str(uuid.uuid4()), "kind": "complaint", "content": "x"})


def publish(rabbit_config, envelope: dict) -> None:
    exchange = Exchange("ticket.events", type="topic", durable=True)
    with Connection(rabbit_config["AMQP_URI"]) as conn:
        conn.Producer(serializer="json").publish(
            envelope, exchange=exchange, routing_key=envelope["type"], declare=[exchange],
            user_id=conn.userid)  # its validated publisher (issue 9, finding 3)


def envelope(data: dict) -> dict:
    return {"event_id": str(uuid.uuid4()), "type": "ticket_created",
            "occurred_at": datetime.datetime.now(datetime.UTC).isoformat(),
            "schema_version": 1, "actor": "test", "data": data}


class TestReliableHandling:
    def test_duplicate_delivery_counts_once(self, start, rpc, rabbit_config):
        """F4 at small scale: the same event twice changes the rollup once."""
        report = start("report")
        kind = f"kind-{uuid.uuid4().hex[:6]}"
        event = envelope({"ticket_id": str(uuid.uuid4()), "serial": "ZX-1", "kind": kind,
                          "customer_id": str(uuid.uuid4()), "channel": "phone",
                          "urgency": "low", "acceptor_id": "a",
                          "accepted_at": datetime.datetime.now(datetime.UTC).isoformat()})
        with entrypoint_waiter(report, "count_ticket"):
            publish(rabbit_config, event)
        with entrypoint_waiter(report, "count_ticket"):
            publish(rabbit_config, event)
        assert count_of(rpc, kind) == 1

    def test_failing_event_is_retried_then_parked(self, start, rabbit_config):
        """A payload the handler cannot take is retried, then parked — not dropped."""
        start("report")
        event = envelope({"kind": "missing-everything-else"})
        publish(rabbit_config, event)
        conn = psycopg2.connect(os.environ["KEFU_REPORT_DB_URI"])
        try:
            for _ in range(100):
                with conn, conn.cursor() as cur:
                    cur.execute("SELECT attempts, body FROM parked_event WHERE event_id = %s",
                                (event["event_id"],))
                    row = cur.fetchone()
                if row:
                    break
                eventlet.sleep(0.1)
        finally:
            conn.close()
        assert row is not None, "the failing event was not parked"
        attempts, body = row
        assert attempts == 3  # the first try and two retries (EVENT_RETRY_DELAYS_MS)
        parked = body if isinstance(body, dict) else json.loads(body)
        assert parked["event_id"] == event["event_id"]

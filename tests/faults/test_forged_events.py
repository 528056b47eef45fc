"""S3 extended (issue 9, finding 3): forged events from a broker client holding another
service's credentials are refused — against the running system, whose services each
log in to RabbitMQ as their own user with only the rights they need.

Before, one administrator user served every service: anyone with the broker's password
could publish `customer_destroyed` and the ticket service redacted that customer's
tickets for good, skipping the three approvals.  Now the notify service's user (taken
as the forger here) cannot publish on the customer service's exchange at all, and an
event it drops straight into the ticket service's queue (through the default exchange,
which every consumer may write to for its own retries) is parked by the ticket service,
not applied: its validated user_id is not the customer service's user."""
import datetime
import os
import uuid

import amqp.exceptions
import psycopg2
import psycopg2.extras
import pytest
from kombu import Connection
from nameko.containers import ServiceContainer

from services.common.config import service_config
from services.common.events import ReliableEventHandler
from services.common.runner import service_class
from tests.helpers import random_mobile
from tests.system import Client

PASSWORD = "forged-events-pw-1"
REDACTED = "[已销毁]"


def notify_connection() -> Connection:
    return Connection(os.environ["KEFU_NOTIFY_AMQP_URI"],
                      transport_options={"confirm_publish": True})


def destroyed(customer_id: str) -> dict:
    return {"event_id": str(uuid.uuid4()), "type": "customer_destroyed", "schema_version": 1,
            "occurred_at": datetime.datetime.now(datetime.UTC).isoformat(),
            "actor": "forger", "data": {"customer_id": customer_id, "number": "C-FORGED"}}


def queues_of(service: str, source: str, event_type: str) -> list[str]:
    """The queues of `service`'s handlers of `event_type` (as nameko names them)."""
    container = ServiceContainer(service_class(service), service_config(service))
    return [f"evt-{source}-{event_type}--{service}.{ep.method_name}"
            for ep in container.entrypoints if isinstance(ep, ReliableEventHandler)
            and (ep.source_service, ep.event_type) == (source, event_type)]


def parked(event_id: str) -> list[dict]:
    with psycopg2.connect(os.environ["KEFU_TICKET_DB_URI"],
                          cursor_factory=psycopg2.extras.RealDictCursor) as conn:
        with conn.cursor() as cur:
            cur.execute("SELECT consumer, error FROM parked_event WHERE event_id = %s",
                        (event_id,))
            return cur.fetchall()


@pytest.fixture(scope="module")
def agent(admin) -> Client:
    username = f"forge{uuid.uuid4().hex[:8]}"
    reply = admin.create_staff({"username": username, "display_name": "S3 agent",
                                "password": PASSWORD, "roles": ["agent"], "clearance": 0})
    assert reply.status_code == 201, reply.text
    return Client(username, PASSWORD)


def customer_with_ticket(agent: Client) -> tuple[str, str]:
    created = agent.post("/api/v1/customers", {"name": "伪造测试", "phones": [random_mobile()]})
    assert created.status_code == 201, created.text
    ticket = agent.post("/api/v1/tickets", {"customer_id": created.json()["id"],
                                            "kind": "suggestion", "content": "建议增加夜间热线"})
    assert ticket.status_code == 201, ticket.text
    return created.json()["id"], ticket.json()["id"]


class TestForgedEvents:
    def test_finding3_the_notify_user_cannot_publish_on_customer_events(self, agent):
        """Issue 9 finding 3: only the customer service's user may write on
        customer.events; the broker closes the forger's channel (ACCESS_REFUSED)."""
        customer_id, _ = customer_with_ticket(agent)
        with notify_connection() as conn:
            with pytest.raises(amqp.exceptions.AccessRefused):
                conn.Producer(serializer="json").publish(
                    destroyed(customer_id), exchange="customer.events",
                    routing_key="customer_destroyed", user_id=conn.userid, retry=False)

    @pytest.mark.parametrize("stamp", ["notify_user", "no_user_id"])
    def test_finding3_an_event_dropped_into_the_ticket_queue_by_another_user_is_parked(
            self, agent, stamp):
        """Issue 9 finding 3: the ticket service's customer_destroyed handlers get a
        forged event straight into their queues, from the notify user (which names the
        customer service's user in the retry header, trusted only from the ticket
        service's own retries) or without any user_id: every handler parks it as
        refused, and the customer's ticket keeps its content."""
        customer_id, ticket_id = customer_with_ticket(agent)
        event = destroyed(customer_id)
        queues = queues_of("ticket", "customer", "customer_destroyed")
        assert queues
        with notify_connection() as conn:
            stamped = {"user_id": conn.userid} if stamp == "notify_user" else {}
            producer = conn.Producer(serializer="json")
            for queue in queues:
                producer.publish(event, exchange="", routing_key=queue, retry=False,
                                 headers={"x-kefu-publisher": "kefu_customer"}, **stamped)
        assert agent.wait_for(lambda: len(parked(event["event_id"])) == len(queues),
                              seconds=10), parked(event["event_id"])
        assert all("refused" in row["error"] for row in parked(event["event_id"]))
        shown = agent.get(f"/api/v1/tickets/{ticket_id}")
        assert shown.status_code == 200, shown.text
        assert shown.json()["ticket"]["content"] == "建议增加夜间热线"
        later = agent.post("/api/v1/tickets", {"customer_id": customer_id,
                                               "kind": "suggestion", "content": "再次来电"})
        assert later.status_code == 201, later.text  # no tombstone in the ticket service

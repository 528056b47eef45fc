"""Per-service broker users with only the rights their code needs (issue 9, finding 3).

services.common.broker derives a service's rights (configure/write/read patterns, topic
permissions) from its code; `services.manage <svc> declare` sets them on the system's
vhosts.  Here they are set on this test's vhost for temporary users, one per service:
the services run as those users (enough to work), and the notify service's user is
refused what it has no business doing (the broker says no, before any consumer)."""
import dataclasses
import importlib
import os
import uuid

import amqp.exceptions
import eventlet
import pytest
from kombu import Connection, Exchange, Queue
from nameko.testing.services import entrypoint_waiter

from services.common import broker, registry
from services.common.events import declare_subscriptions
from services.common.runner import service_class
from tests.helpers import random_mobile
from tests.integration.common.broker_users import BrokerUsers
from tests.integration.ticket.test_accepting_across_services import count_of


@pytest.fixture
def own_users(rabbit_config):
    """{service: (user, amqp uri)}: a broker user per service, holding exactly the
    rights that service's code gets (services.common.broker), on this test's vhost."""
    users = BrokerUsers(rabbit_config)
    management = broker.Management(os.environ["KEFU_RABBIT_CTL_URI"])
    made = {}
    for name in registry.NAMES:
        user, uri = users.make(everything_on_the_vhost=False)
        contract = importlib.import_module(f"services.{name}.contract").CONTRACT
        rights = broker.grants(service_class(name), contract)
        management.grant(rabbit_config["vhost"], dataclasses.replace(rights, user=user))
        made[name] = (user, uri)
    yield made
    users.delete_all()


@pytest.fixture
def start_as_own_user(rabbit_config, own_users, config_for, container_factory):
    """Declare a service's queues as the operator, then run it as its own user."""
    publishers = {name: user for name, (user, _) in own_users.items()}

    def run(name: str):
        declare_subscriptions(service_class(name), config_for(name))
        container = container_factory(service_class(name), config_for(
            name, AMQP_URI=own_users[name][1], EVENT_PUBLISHERS=publishers))
        container.start()
        return container
    return run


def test_finding3_services_work_with_only_the_rights_of_their_own_users(start_as_own_user,
                                                                         rpc):
    """Issue 9 finding 3: each service logs in as its own user: the ticket service calls
    the customer service, relays ticket_created on its own exchange, and notify and report
    (its consumers, bound to ticket.events) verify it came from the ticket user and
    handle it."""
    for name in ("customer", "ticket", "notify"):
        start_as_own_user(name)
    report = start_as_own_user("report")
    customer = rpc("customer").create_customer({"name": "孙八", "phones": [random_mobile()]})
    agent = f"agent-{uuid.uuid4().hex[:8]}"
    before = count_of(rpc, "complaint")
    with entrypoint_waiter(report, "count_ticket", timeout=10):
        ticket = rpc("ticket", staff_id=agent).create_ticket(
            {"customer_id": customer["id"], "kind": "complaint", "content": "安装师傅迟到"})
    assert count_of(rpc, "complaint") >= before + 1  # others may count too
    for _ in range(50):
        items = rpc("notify", staff_id=agent).inbox()["items"]
        if items:
            break
        eventlet.sleep(0.1)
    assert [i["ref_id"] for i in items] == [ticket["id"]]


@pytest.fixture
def notify_uri(rabbit_config, own_users):
    """The notify user's URI, with the exchanges and queues of the system declared."""
    with Connection(rabbit_config["AMQP_URI"]) as conn:
        channel = conn.channel()
        for name in registry.NAMES:
            Exchange(f"{name}.events", type="topic", durable=True)(channel).declare()
        Exchange("nameko-rpc", type="topic", durable=True)(channel).declare()
        Queue("rpc-customer", durable=True)(channel).declare()
    return own_users["notify"][1]


def refused(uri: str, act) -> str:
    with Connection(uri, transport_options={"confirm_publish": True}) as conn:
        with pytest.raises(amqp.exceptions.AccessRefused) as caught:
            act(conn, conn.channel())
    return str(caught.value)


def event(event_type: str) -> dict:
    return {"event_id": str(uuid.uuid4()), "type": event_type, "schema_version": 1,
            "occurred_at": "2026-01-01T00:00:00+00:00", "actor": "forger", "data": {}}


def test_finding3_the_notify_user_cannot_publish_on_another_services_exchange(notify_uri):
    """Issue 9 finding 3: before, every service was the administrator."""
    message = refused(notify_uri, lambda conn, _: conn.Producer(serializer="json").publish(
        event("customer_destroyed"), exchange="customer.events",
        routing_key="customer_destroyed", user_id=conn.userid, retry=False))
    assert "customer.events" in message


def test_finding3_the_notify_user_publishes_no_event_type_it_does_not_own(notify_uri):
    """Topic permissions: notify's contract names its own events only (notification_sent,
    notification_failed), so even its own exchange takes no other routing key from it."""
    message = refused(notify_uri, lambda conn, _: conn.Producer(serializer="json").publish(
        event("ticket_created"), exchange="notify.events", routing_key="ticket_created",
        user_id=conn.userid, retry=False))
    assert "ticket_created" in message


def test_finding3_the_notify_user_cannot_copy_other_services_calls(notify_uri):
    """Binding its own queue to nameko-rpc with `#` (every request, tokens included) or
    with another service's key is refused; so is reading another service's queue and
    deleting another service's exchange."""
    own = f"evt-ticket-ticket_created--notify.spy{uuid.uuid4().hex[:6]}"
    for key in ("#", "customer.*"):
        refused(notify_uri, lambda _, channel, key=key: (
            channel.queue_declare(own, auto_delete=True),
            channel.queue_bind(own, "nameko-rpc", key)))
    refused(notify_uri, lambda _, channel: channel.basic_consume("rpc-customer",
                                                                 callback=print))
    refused(notify_uri, lambda _, channel: channel.exchange_delete("customer.events"))


def test_the_notify_user_binds_what_it_handles(notify_uri):
    """The control: its rights are enough for its own queue of the events it handles."""
    own = f"evt-ticket-ticket_created--notify.probe{uuid.uuid4().hex[:6]}"
    with Connection(notify_uri) as conn:
        channel = conn.channel()
        channel.queue_declare(own, auto_delete=True)
        channel.queue_bind(own, "ticket.events", "ticket_created")

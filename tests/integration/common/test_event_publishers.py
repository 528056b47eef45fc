"""Events are authenticated by their publisher (issue 9, finding 3; S3 extended).

RabbitMQ validates the AMQP `user_id` property of a message against the user the
publishing connection logged in as; a consumer handles an event only when that user is
the broker user of the event's source service (EVENT_PUBLISHERS, by default the
registry's user of each service).  Anything else — no user_id, another service's user,
even the consumer's own user without a retry's mark — is refused: parked, counted and
logged, never handled.  A retry is re-published by the consumer under its own user and
keeps the publisher it verified.

Here the source is a made-up service `herald` whose broker user is a temporary user of
this test's vhost; the consumer connects as the tier's administrator, another user."""
import datetime
import os
import time
import uuid

import amqp.exceptions
import psycopg2
import psycopg2.extras
import pytest
from kombu import Connection, Exchange

from services.common.db import Database
from services.common.events import declare_subscriptions, on_event
from services.common.metrics import MetricsServer
from tests.helpers import key_config
from tests.integration.common.broker_users import BrokerUsers, user_of

SOURCE = "herald"
NAME = "herald_listener"
CONSUMER = f"{NAME}.heard"
HEARD: list = []


class Listener:
    name = NAME
    db = Database()

    @on_event(SOURCE, "said")
    def heard(self, event):
        HEARD.append(event["event_id"])
        if event["data"].get("fail_once") and HEARD.count(event["event_id"]) == 1:
            raise RuntimeError("the first try fails")


@pytest.fixture
def users(rabbit_config):
    made = BrokerUsers(rabbit_config)
    yield made
    made.delete_all()


@pytest.fixture
def herald(users):
    """(user, amqp uri) of the source service's broker user."""
    return users.make()


@pytest.fixture
def listener(rabbit_config, herald, container_factory):  # containers stop before the vhost goes
    cfg = {"AMQP_URI": rabbit_config["AMQP_URI"], "serializer": "json",
           "DB_URI": os.environ["KEFU_NOTIFY_DB_URI"], "METRICS_ADDRESS": None,
           "EVENT_RETRY_DELAYS_MS": [50, 100], "max_workers": 4, "OUTBOX_POLL_SECONDS": 30,
           **key_config(),  # the Database's token codec
           "EVENT_PUBLISHERS": {SOURCE: herald[0]}}
    declare_subscriptions(Listener, cfg)
    container = container_factory(Listener, cfg)
    container.start()
    return container


def say(uri: str, *, stamp: str | None = "own", headers=None, fail_once=False) -> str:
    """Publish a `said` event of herald as the user of `uri`; its user_id is that user
    (stamp="own"), another (the broker refuses it), or none (stamp=None)."""
    event_id = str(uuid.uuid4())
    envelope = {"event_id": event_id, "type": "said", "schema_version": 1, "actor": "test",
                "occurred_at": datetime.datetime.now(datetime.UTC).isoformat(),
                "data": {"fail_once": fail_once}}
    exchange = Exchange(f"{SOURCE}.events", type="topic", durable=True)
    with Connection(uri, transport_options={"confirm_publish": True}) as conn:
        properties = {} if stamp is None else {
            "user_id": conn.userid if stamp == "own" else stamp}
        conn.Producer(serializer="json").publish(
            envelope, exchange=exchange, routing_key="said", declare=[exchange],
            headers=headers or {}, **properties)
    return event_id


def parked(event_id: str) -> list[dict]:
    with psycopg2.connect(os.environ["KEFU_NOTIFY_DB_URI"],
                          cursor_factory=psycopg2.extras.RealDictCursor) as conn:
        with conn.cursor() as cur:
            cur.execute("SELECT consumer, error, attempts FROM parked_event"
                        " WHERE event_id = %s", (event_id,))
            return cur.fetchall()


def eventually(check, seconds=5.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.05)
    return check()


def refused_count(container, publisher: str) -> float:
    metrics = next(e for e in container.extensions if isinstance(e, MetricsServer))
    return metrics.registry.get_sample_value(
        "kefu_events_refused_total", {"consumer": CONSUMER, "publisher": publisher}) or 0


def test_finding3_an_event_published_by_its_source_service_user_is_handled(listener, herald):
    """Issue 9 finding 3: the genuine event, stamped by the source's own broker user."""
    event_id = say(herald[1])
    assert eventually(lambda: event_id in HEARD)
    assert parked(event_id) == []


@pytest.mark.parametrize("forger", ["unsigned", "another_user", "another_user_naming_source",
                                    "consumers_own_user"])
def test_finding3_a_forged_event_is_refused_parked_and_counted(listener, herald, users,
                                                               rabbit_config, forger):
    """Issue 9 finding 3 (S3 extended): before, any broker client could publish any
    service's event and the consumer acted on it (customer_destroyed redacted a
    customer's tickets for good).  Now an event whose validated user_id is not the
    source's broker user is parked and counted, never handled — whoever sent it: the
    source's user without user_id, another user (also when it names the source in the
    retry header, which only the consumer's own retries are trusted with), or the
    consumer's own user (it is not the source)."""
    if forger == "unsigned":
        event_id, publisher = say(herald[1], stamp=None), "(none)"
    elif forger == "consumers_own_user":
        event_id, publisher = say(rabbit_config["AMQP_URI"]), user_of(rabbit_config["AMQP_URI"])
    else:
        intruder, uri = users.make()
        headers = {"x-kefu-publisher": herald[0]} if forger == "another_user_naming_source" \
            else None
        event_id, publisher = say(uri, headers=headers), intruder
    assert eventually(lambda: parked(event_id)), "the forged event was not parked"
    [row] = parked(event_id)
    assert row["consumer"] == CONSUMER and row["attempts"] == 1
    assert "refused" in row["error"] and herald[0] in row["error"], row["error"]
    assert event_id not in HEARD
    assert refused_count(listener, publisher) == 1


def test_finding3_a_retried_event_keeps_the_publisher_its_consumer_verified(listener, herald):
    """Issue 9 finding 3: a retry is re-published by the consumer under its own broker
    user (the delay queues are on the default exchange); the consumer trusts the
    publisher it recorded on it, so the second try is handled, not refused."""
    event_id = say(herald[1], fail_once=True)
    assert eventually(lambda: HEARD.count(event_id) == 2), HEARD.count(event_id)
    time.sleep(0.3)
    assert parked(event_id) == []
    assert HEARD.count(event_id) == 2


def test_finding3_the_broker_refuses_a_user_id_that_is_not_the_publishers(listener, herald,
                                                                          users):
    """The ground the check stands on: RabbitMQ refuses a message whose user_id is not
    the user its connection logged in as, so a user cannot sign as another."""
    _, uri = users.make()
    with pytest.raises(amqp.exceptions.PreconditionFailed):
        say(uri, stamp=herald[0])

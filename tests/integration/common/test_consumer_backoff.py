"""A consumer whose database is down costs nothing (issue 9, finding 9): when an event
can be neither handled nor parked, it waits in the longest retry delay queue and comes
back, instead of being requeued at once (which made the handler and the parking loop
as fast as the broker could redeliver)."""
import datetime
import time
import uuid

from kombu import Connection, Exchange

from services.common.events import declare_subscriptions
from tests.integration.common import probe

DEAD_DATABASE = "postgresql://nobody:nothing@127.0.0.1:1/nothing?connect_timeout=1"


def publish_poke(rabbit_config) -> str:
    event_id = str(uuid.uuid4())
    envelope = {"event_id": event_id, "type": "poked", "schema_version": 1, "actor": "test",
                "occurred_at": datetime.datetime.now(datetime.UTC).isoformat(), "data": {}}
    exchange = Exchange(f"{probe.SOURCE}.events", type="topic", durable=True)
    with Connection(rabbit_config["AMQP_URI"]) as conn:
        conn.Producer(serializer="json").publish(
            envelope, exchange=exchange, routing_key="poked", declare=[exchange],
            user_id=conn.userid)  # its validated publisher (issue 9, finding 3)
    return event_id


def test_finding9_a_consumer_with_its_database_down_backs_off(container_factory,
                                                              rabbit_config):
    """Issue 9 finding 9: with retries of 50 and 500 ms and the database unreachable,
    the handler runs a handful of times in 3 s (first try, two retries, then once per
    500 ms), not hundreds."""
    cfg = probe.config(rabbit_config, DB_URI=DEAD_DATABASE, EVENT_RETRY_DELAYS_MS=[50, 500])
    declare_subscriptions(probe.ProbeService, cfg)
    container = container_factory(probe.ProbeService, cfg)
    container.start()
    event_id = publish_poke(rabbit_config)
    time.sleep(3)
    runs = probe.POKES.count(event_id)
    assert 3 <= runs <= 12, f"the handler ran {runs} times in 3 s"

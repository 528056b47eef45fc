"""The outbox relay: publishes committed event rows to RabbitMQ with confirms.

Rows are written by `Tx.emit` in the entrypoint's own transaction.  The relay
is woken right after such a commit and also polls on a timer (so a crash
between commit and wake-up delays an event but never loses it).  Each batch
is claimed with FOR UPDATE SKIP LOCKED, so N replicas share the work; a row
is marked sent only after the broker confirmed it (at-least-once: consumers
are idempotent by event_id).

Each event carries the AMQP `user_id` of the relay's connection, which RabbitMQ checks
against the user it logged in as: this service's own broker user (issue 9, finding 3),
the publisher its consumers verify (services.common.events).

Events are published `mandatory` (issue 9, finding 11): one that no queue is bound
for is returned by the broker (before its confirm) instead of vanishing.  Its row is
kept, marked sent and `returned_at` (retrying could not route it, and would hold back
every event behind it), and counted by type (kefu_outbox_returned_total).  Subscriber
queues are declared at migrate time, so a returned event is either of a type no
service consumes yet, or a sign of a missing `declare` (migration 0002 says how to
send such rows again).
"""
import logging
from typing import Any

import eventlet
from eventlet.queue import Empty, Full, LightQueue
from kombu import Connection, Exchange
from nameko.constants import PERSISTENT
from nameko.extensions import SharedExtension
from prometheus_client import Counter, Gauge

from services.common import store
from services.common.metrics import MetricsServer

log = logging.getLogger(__name__)
BATCH = 200
CONFIRM_TIMEOUT_SECONDS = 10.0


def event_exchange(service_name: str) -> Exchange:
    """The same exchange nameko's event handlers bind to."""
    return Exchange(f"{service_name}.events", type="topic", durable=True,
                    delivery_mode=PERSISTENT, auto_delete=False)


class OutboxRelay(SharedExtension):
    metrics = MetricsServer()
    pool: Any = None  # set by the Database provider in setup()

    def setup(self):
        config = self.container.config
        self.interval = float(config.get("OUTBOX_POLL_SECONDS", 1.0))
        self.exchange = event_exchange(self.container.service_name)
        self.publisher = MandatoryPublisher(config["AMQP_URI"], self.exchange,
                                            ssl=config.get("AMQP_SSL"))
        self._wake: LightQueue = LightQueue(maxsize=1)
        self._gt = None
        self.published = self.metrics.metric(
            Counter, "kefu_outbox_published_total", "Events published by the relay", ("type",))
        self.backlog = self.metrics.metric(
            Gauge, "kefu_outbox_backlog", "Outbox rows not yet published")
        self.oldest = self.metrics.metric(
            Gauge, "kefu_outbox_oldest_age_seconds", "Age of the oldest unpublished row")
        self.returned = self.metrics.metric(
            Counter, "kefu_outbox_returned_total",
            "Events the broker returned: no queue bound for their type", ("type",))
        self._returned_types: set[str] = set()

    def start(self):
        if self.pool is not None and self._gt is None:
            self._gt = self.container.spawn_managed_thread(self._run)

    def stop(self):
        if self._gt is not None:
            self._gt.kill()
            self._gt = None
        self.publisher.close()

    kill = stop

    def wake(self) -> None:
        try:
            self._wake.put_nowait(True)
        except Full:
            pass  # already due to run

    def _run(self) -> None:
        failures = 0
        while True:
            try:
                self._wake.get(timeout=self.interval)
            except Empty:
                self._measure()
            try:
                while self.relay_batch() == BATCH:
                    pass
                failures = 0
            except Exception:  # broker or database away: back off, keep the rows
                failures += 1
                log.warning("outbox relay failed (attempt %s)", failures, exc_info=True)
                eventlet.sleep(min(0.2 * 2 ** failures, 5.0))

    def relay_batch(self) -> int:
        """Publish one batch; returns how many rows were sent."""
        conn = self.pool.get()
        broken = True
        try:
            with conn.cursor() as cur:
                rows = store.claim_outbox(cur, BATCH)
                returned = self.publisher.publish_all(rows)
                for row in rows:
                    self.published.labels(row["event_type"]).inc()
                if rows:
                    store.mark_sent(cur, [r["id"] for r in rows], sorted(returned))
                if returned:
                    self._count_returned([r for r in rows if _event_id(r) in returned])
            conn.commit()
            broken = False
            return len(rows)
        finally:
            if broken:
                try:
                    conn.rollback()
                    broken = False
                except Exception:
                    pass
            self.pool.put(conn, broken)

    def _count_returned(self, rows: list) -> None:
        for row in rows:
            self.returned.labels(row["event_type"]).inc()
            if row["event_type"] not in self._returned_types:  # once per type and process
                self._returned_types.add(row["event_type"])
                log.info("no queue is bound for %s events of %s: the broker returns them "
                         "(rows kept, marked returned)", row["event_type"],
                         self.container.service_name)

    def _measure(self) -> None:
        try:
            conn = self.pool.get()
        except Exception:
            return
        broken = True
        try:
            with conn.cursor() as cur:
                count, age = store.outbox_backlog(cur)
            conn.rollback()
            broken = False
            self.backlog.set(count)
            self.oldest.set(age)
        except Exception:
            log.debug("outbox measure failed", exc_info=True)
        finally:
            self.pool.put(conn, broken)


def _event_id(row: dict) -> str:
    return str(row["envelope"]["event_id"])


class MandatoryPublisher:
    """The relay's own connection to the broker: persistent JSON messages, publisher
    confirms (a publish returns once the broker has taken the message), `mandatory`
    and `user_id` (the connection's own user: the broker refuses any other), with the
    broker's returns collected: `publish_all` gives the event ids of the rows
    returned as unroutable.  The broker sends a return before the confirm, so a
    publish that has returned has reported it.  A failure drops the connection (the
    relay backs off and a new one is made)."""

    def __init__(self, uri: str, exchange: Exchange, ssl: Any = None):
        self.uri, self.exchange, self.ssl = uri, exchange, ssl
        self._connection: Connection | None = None
        self._producer: Any = None
        self._returned: set[str] = set()

    def publish_all(self, rows: list) -> set[str]:
        self._returned = set()
        try:
            producer = self._producer or self._connect()
            user = self._connection.userid if self._connection is not None else None
            stamp = {"user_id": user} if user else {}
            for row in rows:
                producer.publish(
                    row["envelope"], routing_key=row["event_type"], mandatory=True,
                    message_id=_event_id(row), delivery_mode=PERSISTENT, serializer="json",
                    retry=False, timeout=CONFIRM_TIMEOUT_SECONDS, **stamp)
        except Exception:
            self.close()
            raise
        return set(self._returned)

    def _connect(self):
        self._connection = Connection(self.uri, ssl=self.ssl,
                                      transport_options={"confirm_publish": True})
        self._producer = self._connection.Producer(exchange=self.exchange,
                                                   on_return=self._on_return)
        return self._producer

    def _on_return(self, exc, exchange, routing_key, message) -> None:
        self._returned.add(str(message.properties.get("message_id")))

    def close(self) -> None:
        connection, self._connection, self._producer = self._connection, None, None
        if connection is not None:
            try:
                connection.release()
            except Exception:  # noqa: BLE001 — already gone
                log.debug("closing the relay's broker connection failed", exc_info=True)

"""The outbox relay: publishes committed event rows to RabbitMQ with confirms.

Rows are written by `Tx.emit` in the entrypoint's own transaction.  The relay
is woken right after such a commit and also polls on a timer (so a crash
between commit and wake-up delays an event but never loses it).  Each batch
is claimed with FOR UPDATE SKIP LOCKED, so N replicas share the work; a row
is marked sent only after the broker confirmed it (at-least-once: consumers
are idempotent by event_id).
"""
import logging
from typing import Any

import eventlet
from eventlet.queue import Empty, Full, LightQueue
from kombu import Exchange
from nameko.amqp.publish import Publisher
from nameko.constants import PERSISTENT
from nameko.extensions import SharedExtension
from prometheus_client import Counter, Gauge

from services.common import store
from services.common.metrics import MetricsServer

log = logging.getLogger(__name__)
BATCH = 200


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
        self.publisher = Publisher(
            config["AMQP_URI"], use_confirms=True, serializer="json",
            delivery_mode=PERSISTENT, declare=[self.exchange], retry=False)
        self._wake: LightQueue = LightQueue(maxsize=1)
        self._gt = None
        self.published = self.metrics.metric(
            Counter, "kefu_outbox_published_total", "Events published by the relay", ("type",))
        self.backlog = self.metrics.metric(
            Gauge, "kefu_outbox_backlog", "Outbox rows not yet published")
        self.oldest = self.metrics.metric(
            Gauge, "kefu_outbox_oldest_age_seconds", "Age of the oldest unpublished row")

    def start(self):
        if self.pool is not None and self._gt is None:
            self._gt = self.container.spawn_managed_thread(self._run)

    def stop(self):
        if self._gt is not None:
            self._gt.kill()
            self._gt = None

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
                for row in rows:
                    self.publisher.publish(
                        row["envelope"], exchange=self.exchange, routing_key=row["event_type"],
                        message_id=str(row["envelope"]["event_id"]))
                    self.published.labels(row["event_type"]).inc()
                if rows:
                    store.mark_sent(cur, [r["id"] for r in rows])
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

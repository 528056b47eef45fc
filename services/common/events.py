"""Reliable, idempotent event handling.

    @on_event("ticket", "ticket_created")
    def count_ticket(self, event): ...

Every event is an envelope {event_id, type, occurred_at, schema_version,
actor, data}.  The handler's first database transaction records
(consumer, event_id), so a repeated delivery is a no-op (see db.Session).  A
failing handler is retried through delay queues ({queue}.retry.N, a TTL that
dead-letters back into the queue), EVENT_RETRY_DELAYS_MS long; after the last
retry the event is parked in the `parked_event` table and counted — never
dropped.  When it cannot be parked either (the database is down), it waits in the
longest retry queue and comes back (handled then, or parked), so a consumer whose
database is down costs a try per delay, not a hot loop (issue 9, finding 9).  Queues
are declared at migrate time by `declare_subscriptions`, with the exchanges they bind to
(a consumer does not declare another service's exchange: DECLARE_EVENT_EXCHANGES).

An event is handled only when its publisher is its source service (issue 9, finding 3).
The outbox relay publishes with the AMQP `user_id` property, which RabbitMQ checks
against the user the connection logged in as; each service has its own broker user
(services.common.broker), so the user_id names the publishing service.  The consumer
compares it with its source's user — EVENT_PUBLISHERS, {service: broker user}, by
default the registry's (in the integration tier every container logs in as the one
test user, and its config says so).  Any other event — no user_id, another user — is
refused: parked at once, counted (kefu_events_refused_total) and logged, never handled.
A retry or a deferral is re-published by the consumer under its own user; it carries
the publisher verified on the first delivery in PUBLISHER_HEADER, which the consumer
trusts only on a message whose user_id is its own.
"""
import logging

import eventlet
from kombu import Connection, Queue
from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate
from nameko.amqp.publish import Publisher
from nameko.constants import PERSISTENT
from nameko.containers import ServiceContainer
from nameko.events import SERVICE_POOL, EventHandler
from prometheus_client import Counter

from services.common import registry, store
from services.common.db import Database, DuplicateEvent
from services.common.errors import EXPECTED
from services.common.fields import Json
from services.common.metrics import MetricsServer
from services.common.outbox import event_exchange

log = logging.getLogger(__name__)
ATTEMPT_HEADER = "x-kefu-attempt"
PUBLISHER_HEADER = "x-kefu-publisher"  # on a re-published event: the publisher verified
NO_USER = "(none)"  # the publisher of an event that carried no user_id
DEFAULT_RETRY_DELAYS_MS = (1000, 5000, 30000)
DEFER_WITHOUT_QUEUES_SECONDS = 5.0
MAX_EVENT_DATA = 1_000_000  # units of services.common.fields.Json: far above any payload


class EnvelopeSchema(Schema):
    """Checks an envelope (the handler gets the body as it came); keys it does not
    know are ignored.  `data` is bounded here and checked field by field by the
    consumer's payload schema (the producer's contract)."""

    class Meta:
        unknown = EXCLUDE

    event_id = fields.UUID(required=True)
    type = fields.String(required=True, validate=validate.Length(min=1, max=100))
    occurred_at = fields.AwareDateTime(required=True)
    schema_version = fields.Integer(required=True)
    actor = fields.String(allow_none=True, load_default=None, validate=validate.Length(max=200))
    data = Json(required=True, object_only=True, max_length=MAX_EVENT_DATA, max_depth=16)


def default_publishers() -> dict[str, str]:
    """{service: the broker user its events come from}, from the registry."""
    return {entry.name: entry.broker_user for entry in registry.SERVICES}


def broker_user(amqp_uri: str) -> str | None:
    """The user a connection to `amqp_uri` logs in as (what RabbitMQ stamps)."""
    return Connection(amqp_uri).userid


class ReliableEventHandler(EventHandler):
    metrics = MetricsServer()

    def __init__(self, source_service, event_type, **kwargs):
        kwargs.setdefault("expected_exceptions", EXPECTED + (DuplicateEvent,))
        super().__init__(source_service, event_type, handler_type=SERVICE_POOL,
                         reliable_delivery=True, requeue_on_error=False, **kwargs)

    @property
    def consumer_name(self) -> str:
        return f"{self.container.service_name}.{self.method_name}"

    def event_claim(self, worker_ctx) -> tuple[str, str]:
        """(consumer, event_id): what the worker's first transaction records (db.Session)."""
        event_id = (worker_ctx.args[0] or {}).get("event_id") if worker_ctx.args else None
        return (self.consumer_name, str(event_id))

    def setup(self):
        super().setup()  # builds self.queue as nameko names it
        config = self.container.config
        self.delays = [int(d) for d in config.get("EVENT_RETRY_DELAYS_MS", DEFAULT_RETRY_DELAYS_MS)]
        self.retry_queues = [
            Queue(f"{self.queue.name}.retry.{n}", durable=True, auto_delete=False,
                  queue_arguments={"x-message-ttl": delay, "x-dead-letter-exchange": "",
                                   "x-dead-letter-routing-key": self.queue.name})
            for n, delay in enumerate(self.delays, start=1)
        ]
        self.own_user = broker_user(config["AMQP_URI"])
        self.source_user = (config.get("EVENT_PUBLISHERS") or default_publishers()).get(
            self.source_service)
        stamp = {"user_id": self.own_user} if self.own_user else {}
        self.publisher = Publisher(config["AMQP_URI"], use_confirms=True, serializer="json",
                                   delivery_mode=PERSISTENT, ssl=config.get("AMQP_SSL"),
                                   **stamp)
        self.retried = self.metrics.metric(
            Counter, "kefu_events_retried_total", "Event deliveries retried", ("consumer",))
        self.parked = self.metrics.metric(
            Counter, "kefu_events_parked_total", "Events parked after the last retry",
            ("consumer",))
        self.deferred = self.metrics.metric(
            Counter, "kefu_events_park_deferred_total",
            "Events that could not be parked (database down) and wait in a delay queue",
            ("consumer",))
        self.refused = self.metrics.metric(
            Counter, "kefu_events_refused_total",
            "Events refused (parked unhandled): not published by their source service's "
            "broker user", ("consumer", "publisher"))

    def declare(self, channel) -> None:
        """Declare the source's exchange, the queue, its binding and the retry queues
        (idempotent; as the operator, at migrate time)."""
        event_exchange(self.source_service)(channel).declare()
        self.queue(channel).declare()
        for queue in self.retry_queues:
            queue(channel).declare()

    def publisher_of(self, message) -> str | None:
        """The broker user that published the event: its user_id (checked by RabbitMQ),
        or — on a message this consumer's own user re-published (a retry, a deferral) —
        the publisher verified on its first delivery."""
        user = message.properties.get("user_id")
        if user and user == self.own_user:
            return (message.headers or {}).get(PUBLISHER_HEADER, user) or None
        return user or None

    def handle_message(self, body, message):
        publisher = self.publisher_of(message)
        if self.source_user is None or publisher != self.source_user:
            self._refuse(message, body, publisher)
            return
        try:
            EnvelopeSchema().load(body)
        except (ValidationError, TypeError) as exc:
            # A malformed envelope will never succeed: park it at once.
            self._park_or_requeue(message, body, f"malformed envelope: {exc}", 1)
            return
        super().handle_message(body, message)

    def handle_result(self, message, worker_ctx, result=None, exc_info=None):
        if exc_info is None or isinstance(exc_info[1], DuplicateEvent):
            self.queue_consumer.ack_message(message)
            return result, None
        attempt = int((message.headers or {}).get(ATTEMPT_HEADER, 0)) + 1
        error = f"{type(exc_info[1]).__name__}: {exc_info[1]}"
        if attempt <= len(self.retry_queues):
            try:
                queue = self.retry_queues[attempt - 1]
                self.publisher.publish(message.payload, exchange="", routing_key=queue.name,
                                       headers=self._marks(message, attempt), declare=[queue])
                self.retried.labels(self.consumer_name).inc()
                self.queue_consumer.ack_message(message)
            except Exception:
                log.exception("could not schedule a retry; requeueing")
                self.queue_consumer.requeue_message(message)
        else:
            self._park_or_requeue(message, message.payload, error, attempt)
        return result, exc_info

    def _marks(self, message, attempt: int) -> dict:
        """The headers of a re-published event: its attempt and its verified publisher."""
        return {ATTEMPT_HEADER: attempt, PUBLISHER_HEADER: self.publisher_of(message) or ""}

    def _refuse(self, message, body, publisher: str | None) -> None:
        event = body if isinstance(body, dict) else {}
        log.error("event refused: %s takes %s events only from broker user %s; event %s (%s)"
                  " came from %s", self.consumer_name, self.source_service, self.source_user,
                  event.get("event_id"), event.get("type"), publisher or "no user_id")
        self.refused.labels(self.consumer_name, publisher or NO_USER).inc()
        self._park_or_requeue(
            message, body, f"refused: not published by the {self.source_service} service's "
            f"broker user {self.source_user} (user_id: {publisher or 'none'})", 1)

    def _park_or_requeue(self, message, body, error: str, attempts: int) -> None:
        db = next(d for d in self.container.dependencies if isinstance(d, Database))
        try:
            conn = db.pool.get()
            try:
                with conn.cursor() as cur:
                    store.park_event(cur, self.consumer_name,
                                     body if isinstance(body, dict) else {"raw": body},
                                     error, attempts)
                conn.commit()
            finally:
                db.pool.put(conn, conn.closed != 0)
        except Exception:
            log.warning("could not park an event of %s; it waits %s ms and comes back",
                        self.consumer_name, self.delays[-1] if self.delays else 0, exc_info=True)
            self._defer(message, body, attempts)
            return
        log.error("event parked after %s attempts: %s %s", attempts, self.consumer_name, error)
        self.parked.labels(self.consumer_name).inc()
        self.queue_consumer.ack_message(message)

    def _defer(self, message, body, attempts: int) -> None:
        """Back off: the event waits in the longest retry queue (its TTL dead-letters it
        back), instead of a requeue that redelivers it at once."""
        if not self.retry_queues:
            eventlet.sleep(DEFER_WITHOUT_QUEUES_SECONDS)
            self.queue_consumer.requeue_message(message)
            return
        queue = self.retry_queues[-1]
        try:
            self.publisher.publish(body, exchange="", routing_key=queue.name,
                                   headers=self._marks(message, attempts), declare=[queue])
        except Exception:
            log.exception("could not defer an event of %s either; requeueing",
                          self.consumer_name)
            self.queue_consumer.requeue_message(message)
            return
        self.deferred.labels(self.consumer_name).inc()
        self.queue_consumer.ack_message(message)


on_event = ReliableEventHandler.decorator


def declare_subscriptions(service_cls, config: dict) -> list[str]:
    """Declare the queues of every event handler of a service; returns their names.

    Run at migrate time, before any publisher starts, so an event published
    before its consumer's first start waits in its queue instead of vanishing.
    """
    container = ServiceContainer(service_cls, config)
    handlers = [ep for ep in container.entrypoints if isinstance(ep, ReliableEventHandler)]
    with Connection(config["AMQP_URI"], ssl=config.get("AMQP_SSL")) as conn:
        channel = conn.channel()
        for handler in handlers:
            ReliableEventHandler.setup(handler)
            handler.declare(channel)
    return [h.queue.name for h in handlers]

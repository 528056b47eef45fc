"""PostgreSQL for a nameko service: a green connection pool and a unit of work.

    with self.db.transaction() as tx:
        row = store.insert_ticket(tx.cur, ...)
        tx.emit("ticket_created", data)      # outbox row, same transaction

The transaction commits when the block ends (inside the entrypoint, before
nameko acks) and rolls back on any error.  Events emitted in it wake the
outbox relay after commit.  In an event-handler worker the first transaction
also records (consumer, event_id): a repeat delivery raises DuplicateEvent,
which the handler entrypoint treats as done.
"""
import datetime
import uuid
from contextlib import contextmanager

import eventlet
import psycopg2
import psycopg2.extensions
import psycopg2.extras
from eventlet.queue import Empty, LightQueue
from nameko.extensions import DependencyProvider

from services.common import store
from services.common.deliveries import DeliveryCount
from services.common.errors import Conflict, Invalid, Unavailable
from services.common.green import assert_green
from services.common.identity import Callers
from services.common.outbox import OutboxRelay
from services.common.typing import Injects

DISCONNECTED = (psycopg2.OperationalError, psycopg2.InterfaceError)


class DuplicateEvent(Exception):
    """This consumer already processed this event: nothing to do."""


class Pool:
    """At most `size` connections; a caller waits up to `timeout` for one."""

    def __init__(self, dsn: str, size: int = 8, timeout: float = 5.0, statement_ms: int = 10000):
        self.dsn, self.timeout = dsn, timeout
        self.options = f"-c statement_timeout={statement_ms}"
        self._idle: LightQueue = LightQueue()
        self._slots = eventlet.semaphore.Semaphore(size)

    def get(self):
        if not self._slots.acquire(timeout=self.timeout):
            raise Unavailable("database busy")
        try:
            while True:
                try:
                    conn = self._idle.get_nowait()
                except Empty:
                    return psycopg2.connect(
                        self.dsn, options=self.options, connect_timeout=3,
                        cursor_factory=psycopg2.extras.RealDictCursor)
                if not conn.closed:
                    return conn
        except DISCONNECTED as exc:
            self._slots.release()
            raise Unavailable("database unavailable") from exc
        except BaseException:
            self._slots.release()
            raise

    def put(self, conn, broken: bool = False) -> None:
        try:
            if broken or conn.closed:
                conn.close()
            else:
                self._idle.put(conn)
        finally:
            self._slots.release()

    def close(self) -> None:
        while True:
            try:
                self._idle.get_nowait().close()
            except Empty:
                return


class Tx:
    """One open transaction: `cur` for the store functions, `emit` for events."""

    def __init__(self, cur, actor: str | None):
        self.cur = cur
        self.actor = actor
        self.emitted = 0

    def emit(self, event_type: str, data: dict, schema_version: int = 1) -> dict:
        envelope = {
            "event_id": str(uuid.uuid4()),
            "type": event_type,
            "occurred_at": datetime.datetime.now(datetime.UTC).isoformat(),
            "schema_version": schema_version,
            "actor": self.actor,
            "data": data,
        }
        store.insert_outbox(self.cur, envelope)
        self.emitted += 1
        return envelope


class Session:
    def __init__(self, provider: "Database", worker_ctx):
        self._provider = provider
        self._worker_ctx = worker_ctx
        claim = getattr(worker_ctx.entrypoint, "event_claim", None)
        self._claim = claim(worker_ctx) if claim else None

    def take_claim(self) -> tuple[str, str] | None:
        """The (consumer, event_id) this worker's first transaction would record, handed
        to the caller to record elsewhere (a group commit's transaction: batch.py); this
        session's transactions record none after."""
        claim, self._claim = self._claim, None
        return claim

    @contextmanager
    def transaction(self, claim: bool = True):
        """A unit of work; the first one (with `claim`) records the worker's event claim.
        `claim=False`: one that leaves it to a later transaction (an idempotent step
        before the one that records the event as processed)."""
        pool = self._provider.pool
        conn = pool.get()
        broken = False
        principal = self._provider.callers.principal(self._worker_ctx)
        tx = Tx(conn.cursor(), principal.id if principal else None)
        try:
            if self._provider.on_begin:
                self._provider.on_begin(tx.cur, principal)
            if self._claim and claim:
                if not store.claim_event(tx.cur, *self._claim):
                    raise DuplicateEvent(self._claim)
                self._claim = None
            yield tx
            conn.commit()
        except DISCONNECTED as exc:
            broken = True
            raise Unavailable("database unavailable") from exc
        except BaseException as exc:
            broken = not _rollback(conn)
            if isinstance(exc, psycopg2.IntegrityError):
                raise Conflict("conflicts with existing data") from exc
            if isinstance(exc, psycopg2.DataError):
                raise Invalid("value out of range or malformed") from exc
            if isinstance(exc, ValueError) and "NUL" in str(exc):  # psycopg2 refuses to send it
                raise Invalid("text must not contain NUL characters",
                              {"_input": ["contains a NUL character"]}) from exc
            raise
        finally:
            pool.put(conn, broken)
        if tx.emitted:
            self._provider.relay.wake()


def _rollback(conn) -> bool:
    try:
        conn.rollback()
        return True
    except DISCONNECTED:
        return False


class Database(Injects[Session], DependencyProvider):
    """The service's own database (config DB_URI), with its outbox relay.

    `on_begin(cur, principal)`, when given, runs first in every transaction
    (the customer service binds the caller for row-level security there);
    `principal` is the worker's caller as `Callers` decoded it (the system
    principal for timers and handlers, None for an anonymous public call).
    An event handler's entrypoint may offer `event_claim(worker_ctx)`: the
    (consumer, event_id) its first transaction records.
    """

    relay = OutboxRelay()
    deliveries = DeliveryCount()
    callers = Callers()

    def __init__(self, on_begin=None, **kwargs):
        self.on_begin = on_begin
        super().__init__(**kwargs)

    def setup(self):
        assert_green()
        config = self.container.config
        self.pool = Pool(
            config["DB_URI"], size=int(config.get("DB_POOL_SIZE", 8)),
            statement_ms=int(config.get("DB_STATEMENT_TIMEOUT_MS", 10000)))
        self.relay.pool = self.pool
        self.deliveries.pool = self.pool
        self.callers.pool = self.pool  # the account versions of revocation

    def stop(self):
        self.pool.close()

    def get_dependency(self, worker_ctx):
        return Session(self, worker_ctx)


def tuple_cursor(cur):
    """A cursor yielding tuples on `cur`'s connection, in its transaction: for large
    aggregate reads, where a dict per row costs more than the query (survey's figures)."""
    return cur.connection.cursor(cursor_factory=psycopg2.extensions.cursor)

"""The outbox relay publishes with `mandatory` (issue 9, finding 11): an event no queue
is bound for is returned by the broker instead of vanishing.  Its row is kept, marked
sent and returned (it can never route until a subscriber queue is declared, and
retrying it would stall every event behind it), and counted by type; events that do
route, before and after it in the same batch, are delivered as always."""
import datetime
import os
import time
import uuid

import psycopg2
import psycopg2.extras
from kombu import Connection, Exchange, Queue

from services.common import store
from services.common.metrics import MetricsServer
from tests.integration.common import probe


def _emit(event_type: str) -> str:
    """An outbox row as Tx.emit writes it, committed."""
    envelope = {"event_id": str(uuid.uuid4()), "type": event_type, "schema_version": 1,
                "occurred_at": datetime.datetime.now(datetime.UTC).isoformat(),
                "actor": "test", "data": {}}
    with psycopg2.connect(os.environ["KEFU_SURVEY_DB_URI"]) as conn, conn.cursor() as cur:
        store.insert_outbox(cur, envelope)
    return envelope["event_id"]


def _rows(event_ids: list[str]) -> dict:
    with psycopg2.connect(os.environ["KEFU_SURVEY_DB_URI"],
                          cursor_factory=psycopg2.extras.RealDictCursor) as conn:
        with conn.cursor() as cur:
            cur.execute("SELECT event_id::text, sent_at, returned_at FROM outbox"
                        " WHERE event_id = ANY(%s::uuid[])", (event_ids,))
            return {row["event_id"]: row for row in cur.fetchall()}


def test_finding11_an_unroutable_event_is_returned_kept_and_counted(container_factory,
                                                                    rabbit_config):
    """Issue 9 finding 11: before, the relay published without `mandatory`: the
    unroutable event was marked sent and silently dropped by the broker."""
    heard = Queue(f"heard-{uuid.uuid4().hex[:8]}", durable=False, auto_delete=False,
                  exchange=Exchange(f"{probe.NAME}.events", type="topic", durable=True),
                  routing_key="heard")
    with Connection(rabbit_config["AMQP_URI"]) as conn:
        heard(conn.channel()).declare()

    # the outbox of a database no running relay reads (survey publishes no event)
    cfg = probe.config(rabbit_config, DB_URI=os.environ["KEFU_SURVEY_DB_URI"],
                       OUTBOX_POLL_SECONDS=0.1)
    first, lost, last = _emit("heard"), _emit("unheard"), _emit("heard")
    container = container_factory(probe.ProbeService, cfg)
    container.start()

    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        rows = _rows([first, lost, last])
        if all(row["sent_at"] for row in rows.values()):
            break
        time.sleep(0.1)
    assert all(row["sent_at"] for row in rows.values()), rows
    assert rows[lost]["returned_at"] is not None
    assert rows[first]["returned_at"] is None and rows[last]["returned_at"] is None

    with Connection(rabbit_config["AMQP_URI"]) as conn:
        bound = heard(conn.channel())
        got = []
        while (message := bound.get(no_ack=True)) is not None:
            got.append(message.payload["event_id"])
    assert got == [first, last]

    metrics = next(e for e in container.extensions if isinstance(e, MetricsServer))
    assert metrics.registry.get_sample_value(
        "kefu_outbox_returned_total", {"type": "unheard"}) == 1

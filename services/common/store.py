"""The SQL every service shares: outbox, processed and parked events, RPC deliveries and
parked requests."""
import json
from collections.abc import Sequence


def insert_outbox(cur, envelope: dict) -> None:
    cur.execute(
        "INSERT INTO outbox (event_id, event_type, envelope) VALUES (%s, %s, %s)",
        (envelope["event_id"], envelope["type"], json.dumps(envelope, ensure_ascii=False)),
    )


def claim_outbox(cur, limit: int) -> list[dict]:
    """Lock a batch of unsent rows; other replicas skip them (SKIP LOCKED)."""
    cur.execute(
        "SELECT id, event_type, envelope FROM outbox WHERE sent_at IS NULL"
        " ORDER BY id LIMIT %s FOR UPDATE SKIP LOCKED",
        (limit,),
    )
    return cur.fetchall()


def mark_sent(cur, ids: list[int], returned: Sequence[str] = ()) -> None:
    """Rows published; those whose event id is in `returned` the broker returned as
    unroutable (published `mandatory`): one statement, one new version of each row."""
    cur.execute(
        "UPDATE outbox SET sent_at = now(),"
        " returned_at = CASE WHEN event_id = ANY(%s::uuid[]) THEN now() END"
        " WHERE id = ANY(%s)",
        (list(returned), ids),
    )


def outbox_backlog(cur) -> tuple[int, float]:
    """(unsent rows, age in seconds of the oldest unsent row)."""
    cur.execute(
        "SELECT count(*) AS n, COALESCE(EXTRACT(EPOCH FROM now() - min(created_at)), 0) AS age"
        " FROM outbox WHERE sent_at IS NULL"
    )
    row = cur.fetchone()
    return int(row["n"]), float(row["age"])


def claim_event(cur, consumer: str, event_id: str) -> bool:
    """Record (consumer, event_id); False when it was already processed."""
    cur.execute(
        "INSERT INTO processed_event (consumer, event_id) VALUES (%s, %s)"
        " ON CONFLICT DO NOTHING RETURNING 1",
        (consumer, event_id),
    )
    return cur.fetchone() is not None


def park_event(cur, consumer: str, body: dict, error: str, attempts: int) -> None:
    cur.execute(
        "INSERT INTO parked_event (consumer, event_id, event_type, body, error, attempts)"
        " VALUES (%s, %s, %s, %s, %s, %s)",
        (consumer, body.get("event_id"), body.get("type"),
         json.dumps(body, ensure_ascii=False, default=str), error[:2000], attempts),
    )


def ping(cur) -> bool:
    cur.execute("SELECT 1 AS ok")
    return cur.fetchone()["ok"] == 1


def count_delivery(cur, request_id: str, method: str) -> int:
    """One more delivery of a redelivered RPC request; how many it has had.  Its first
    delivery was never recorded (it costs nothing), so a new row starts at 2."""
    cur.execute(
        "INSERT INTO rpc_delivery (request_id, method, deliveries) VALUES (%s, %s, 2)"
        " ON CONFLICT (request_id) DO UPDATE"
        " SET deliveries = rpc_delivery.deliveries + 1, last_at = now()"
        " RETURNING deliveries",
        (request_id, method),
    )
    return int(cur.fetchone()["deliveries"])


def forget_deliveries(cur, older_than_seconds: int) -> None:
    cur.execute("DELETE FROM rpc_delivery WHERE last_at < now() - make_interval(secs => %s)",
                (older_than_seconds,))


def park_request(cur, method: str, request_id: str, caller: str | None, body: dict,
                 deliveries: int) -> None:
    cur.execute(
        "INSERT INTO parked_request (method, request_id, caller, body, deliveries)"
        " VALUES (%s, %s, %s, %s, %s)",
        (method, request_id, caller, json.dumps(body, ensure_ascii=False, default=str),
         deliveries),
    )


def keep_account_version(cur, staff_id: str, version: int, active: bool) -> None:
    """An account's version and activity (revocation, services.common.accounts), unless a
    newer version is already kept."""
    cur.execute(
        "INSERT INTO account_version (staff_id, version, active) VALUES (%s, %s, %s)"
        " ON CONFLICT (staff_id) DO UPDATE"
        " SET version = excluded.version, active = excluded.active,"
        " changed_at = clock_timestamp()"
        " WHERE account_version.version <= excluded.version",
        (staff_id, version, active),
    )


def account_versions(cur, since, overlap_seconds: float) -> list[dict]:
    """Accounts' versions changed since `since` less the overlap (every one when None)."""
    cur.execute(
        "SELECT staff_id, version, active, changed_at FROM account_version"
        " WHERE %(since)s::timestamptz IS NULL"
        " OR changed_at > %(since)s::timestamptz - make_interval(secs => %(overlap)s)",
        {"since": since, "overlap": overlap_seconds},
    )
    return cur.fetchall()

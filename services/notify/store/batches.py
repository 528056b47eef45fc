"""All SQL of bulk batches."""
from typing import Any

from psycopg2.extras import Json, execute_values

# batch_row (migration 0003): a batch as answered, the id as text (`batch_id`).


def insert(cur, b: dict) -> tuple[str, bool]:
    """(batch id, made now); a known idempotency key answers the first batch."""
    cur.execute(
        "INSERT INTO batch (idem_key, template_id, channel, title, source, params, not_before,"
        " created_by) VALUES (%(idem_key)s, %(template_id)s, %(channel)s, %(title)s,"
        " %(source)s, %(params)s, %(not_before)s, %(created_by)s)"
        " ON CONFLICT (idem_key) DO NOTHING RETURNING id::text",
        {**b, "source": Json(b["source"]), "params": Json(b["params"])})
    row = cur.fetchone()
    if row:
        return row["id"], True
    cur.execute("SELECT id::text FROM batch WHERE idem_key = %s", (b["idem_key"],))
    return cur.fetchone()["id"], False


def add_recipients(cur, batch_id: str, recipients: list[dict]) -> None:
    execute_values(cur, "INSERT INTO batch_recipient (batch_id, position, recipient) VALUES %s",
                   [(batch_id, i, Json(r)) for i, r in enumerate(recipients)], page_size=1000)


def recipients(cur, batch_id: str, start: int, limit: int) -> list[dict]:
    cur.execute(
        "SELECT position, recipient FROM batch_recipient WHERE batch_id = %s AND position >= %s"
        " ORDER BY position LIMIT %s", (batch_id, start, limit))
    return cur.fetchall()


def get(cur, batch_id: str) -> Any:
    cur.execute("SELECT * FROM batch_row WHERE id = %s", (batch_id,))
    return _row(cur.fetchone())


def listing(cur, limit: int) -> list[dict]:
    cur.execute("SELECT * FROM batch_row ORDER BY created_at DESC LIMIT %s", (limit,))
    return [_row(r) for r in cur.fetchall()]


def _row(row: Any) -> Any:
    if row is None:
        return None
    out = dict(row)
    out["id"] = out.pop("batch_id")
    return out


def progress(cur, batch_ids: list[str]) -> dict[str, dict]:
    """{batch id: {status: count}} and skips by reason."""
    cur.execute(
        "SELECT batch_id::text, status, CASE WHEN status = 'skipped' THEN reason END AS reason,"
        " count(*) AS n FROM message WHERE batch_id = ANY(%s::uuid[])"
        " GROUP BY 1, 2, 3", (batch_ids,))
    out: dict[str, dict] = {}
    for row in cur.fetchall():
        entry = out.setdefault(row["batch_id"], {"counts": {}, "skipped": {}})
        entry["counts"][row["status"]] = entry["counts"].get(row["status"], 0) + row["n"]
        if row["reason"]:
            entry["skipped"][row["reason"]] = row["n"]
    return out


def to_fill(cur) -> dict | None:
    """The oldest batch whose recipients are not all queued yet (and whose time came),
    locked: one replica fills it at a time."""
    cur.execute(
        "SELECT id::text, idem_key, template_id::text, channel, source, params, state, cursor,"
        " total, not_before, created_by FROM batch"
        " WHERE state IN ('accepted', 'queuing') AND (not_before IS NULL OR not_before <= now())"
        " AND (fill_retry_at IS NULL OR fill_retry_at <= now())"
        " ORDER BY created_at LIMIT 1 FOR UPDATE SKIP LOCKED")
    return cur.fetchone()


def advance(cur, batch_id: str, cursor: str | None, added: int, finished: bool) -> None:
    cur.execute(
        "UPDATE batch SET cursor = %s, total = total + %s,"
        " state = CASE WHEN %s THEN 'queued' ELSE 'queuing' END,"
        " queued_at = CASE WHEN %s THEN now() ELSE queued_at END,"
        " fill_errors = 0, fill_retry_at = NULL, error = NULL WHERE id = %s",
        (cursor, added, finished, finished, batch_id))
    if finished:
        cur.execute("DELETE FROM batch_recipient WHERE batch_id = %s", (batch_id,))


def fill_trouble(cur, batch_id: str, error: str, give_up_after: int) -> None:
    """A page could not be queued: try again after 5 s, 10 s, 20 s... (at most 5 min);
    the `give_up_after`-th trouble in a row fails the batch with the reason."""
    cur.execute(
        "UPDATE batch SET fill_errors = fill_errors + 1, error = %s,"
        " fill_retry_at = now() + least(300, 5 * 2 ^ fill_errors) * interval '1 second',"
        " state = CASE WHEN fill_errors + 1 >= %s THEN 'failed' ELSE state END"
        " WHERE id = %s AND state IN ('accepted', 'queuing')",
        (error, give_up_after, batch_id))


def fail(cur, batch_id: str, error: str) -> None:
    cur.execute("UPDATE batch SET state = 'failed', error = %s WHERE id = %s", (error, batch_id))

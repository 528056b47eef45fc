"""All SQL of the rebuild runs (R4, migrations 0002 and 0003 report_rebuild)."""
from typing import Any

_REBUILD = (
    "SELECT id::text AS id, generation, state, requested_by, requested_at, started_at,"
    " finished_at, phase, after_id, pages, tickets, calls, contacts, read, removed, error,"
    " attempts, retry_at"
    " FROM report_rebuild")


def request(cur, requested_by: str) -> Any:
    """A new queued rebuild; the one already queued or running when there is one."""
    cur.execute(
        "INSERT INTO report_rebuild (requested_by) VALUES (%s)"
        " ON CONFLICT ((true)) WHERE state IN ('queued', 'running') DO NOTHING"
        " RETURNING id::text AS id", (requested_by,))
    made = cur.fetchone()
    if made:
        return get(cur, made["id"])
    cur.execute(_REBUILD + " WHERE state IN ('queued', 'running')")
    return cur.fetchone()


def get(cur, rebuild_id: str) -> Any:
    cur.execute(_REBUILD + " WHERE id = %s", (rebuild_id,))
    return cur.fetchone()


def latest(cur) -> Any:
    cur.execute(_REBUILD + " ORDER BY generation DESC LIMIT 1")
    return cur.fetchone()


def claim(cur, lease_seconds: int) -> Any:
    """The queued rebuild (one waiting for a retry: once its time has come; or a running
    one whose replica stopped renewing its lease), now running here for
    `lease_seconds`; None when there is none free."""
    cur.execute(
        "UPDATE report_rebuild SET state = 'running', started_at = coalesce(started_at, now()),"
        " claimed_until = now() + make_interval(secs => %s)"
        " WHERE id = (SELECT id FROM report_rebuild"
        "             WHERE (state = 'queued' AND (retry_at IS NULL OR retry_at <= now()))"
        "             OR (state = 'running' AND claimed_until < now())"
        "             ORDER BY generation LIMIT 1 FOR UPDATE SKIP LOCKED)"
        " RETURNING id::text AS id", (lease_seconds,))
    row = cur.fetchone()
    return get(cur, row["id"]) if row else None


def advance(cur, rebuild_id: str, source: str, phase: str, after_id: str | None,
            kept: int, lease_seconds: int) -> None:
    """A page of `source` (a Source's phase: tickets, calls, ...) applied, `kept`
    records (counted in `read` by source; tickets, calls, contacts also in their own
    columns): the phase and position to go on from, and the lease renewed."""
    cur.execute(
        "UPDATE report_rebuild SET phase = %(phase)s, after_id = %(after)s,"
        " pages = pages + 1,"
        " tickets = tickets + CASE WHEN %(source)s = 'tickets' THEN %(n)s ELSE 0 END,"
        " calls = calls + CASE WHEN %(source)s = 'calls' THEN %(n)s ELSE 0 END,"
        " contacts = contacts + CASE WHEN %(source)s = 'contacts' THEN %(n)s ELSE 0 END,"
        " read = jsonb_set(read, ARRAY[%(source)s],"
        "                  to_jsonb(coalesce((read ->> %(source)s)::bigint, 0) + %(n)s)),"
        " claimed_until = now() + make_interval(secs => %(lease)s) WHERE id = %(id)s",
        {"phase": phase, "after": after_id, "source": source, "n": kept,
         "lease": lease_seconds, "id": rebuild_id})


def removed(cur, rebuild_id: str, removed: int) -> None:
    """The facts the owner no longer has, gone (the position says the pages are done)."""
    cur.execute("UPDATE report_rebuild SET removed = removed + %s WHERE id = %s",
                (removed, rebuild_id))


def finish(cur, rebuild_id: str) -> None:
    cur.execute("UPDATE report_rebuild SET state = 'done', finished_at = now(),"
                " error = NULL, retry_at = NULL, claimed_until = NULL WHERE id = %s",
                (rebuild_id,))


def retry_later(cur, rebuild_id: str, error: str, backoff_seconds: float) -> None:
    """A run that failed: queued again, to be taken (from its position) once the back-off
    has passed; the error kept meanwhile."""
    cur.execute("UPDATE report_rebuild SET state = 'queued', error = %s,"
                " attempts = attempts + 1, claimed_until = NULL,"
                " retry_at = now() + make_interval(secs => %s) WHERE id = %s",
                (error[:2000], backoff_seconds, rebuild_id))

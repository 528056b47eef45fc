"""SQL of confidentiality: the caller's RLS settings, grants, borrowing requests and
the borrowing log (its rows, and the walk over its hash chain)."""
import json
from collections.abc import Sequence

import psycopg2.extras


def set_session(cur, principal: str, clearance: str, classified: str, system: str) -> None:
    """The kefu.* settings row-level security reads, for this transaction only."""
    cur.execute(
        "SELECT set_config('kefu.principal', %s, true), set_config('kefu.clearance', %s, true),"
        " set_config('kefu.classified', %s, true), set_config('kefu.system', %s, true)",
        (principal, clearance, classified, system),
    )


def in_future(cur, moment) -> bool:
    """Whether a moment is later than now by the database clock."""
    cur.execute("SELECT %s::timestamptz > now() AS future", (moment,))
    return cur.fetchone()["future"]


def log_access(cur, principal, customer_id: str | None, action: str, level: int | None,
               fields: Sequence[str] = (), reason: str = "", detail: dict | None = None) -> int:
    """Append one row to the borrowing log (numbered and chained by the trigger)."""
    cur.execute(
        "INSERT INTO access_log (actor_id, actor_name, customer_id, action, level, fields, reason,"
        " detail, prev_hash, hash) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, '', '') RETURNING seq",
        (principal.id, principal.username, customer_id, action, level, list(fields), reason,
         json.dumps(detail or {}, ensure_ascii=False, sort_keys=True)),
    )
    return cur.fetchone()["seq"]


def has_grant(cur, customer_id: str, principal_id: str) -> bool:
    cur.execute(
        "SELECT EXISTS (SELECT 1 FROM access_request WHERE customer_id = %s AND requester_id = %s"
        " AND status = 'approved' AND expires_at > now()) AS ok",
        (customer_id, principal_id),
    )
    return cur.fetchone()["ok"]


def granted_ids(cur, principal_id: str) -> set[str]:
    """Customers whose top-secret archive this principal holds an approved grant for."""
    cur.execute(
        "SELECT DISTINCT customer_id::text AS id FROM access_request WHERE requester_id = %s"
        " AND status = 'approved' AND expires_at > now()",
        (principal_id,))
    return {r["id"] for r in cur.fetchall()}


def access_log_of(cur, customer_id: str, before_seq: int | None, limit: int) -> list[dict]:
    cur.execute(
        "SELECT seq, at, actor_id, actor_name, customer_id::text, action, level, fields, reason,"
        " detail FROM access_log WHERE customer_id = %s AND (%s::bigint IS NULL OR seq < %s)"
        " ORDER BY seq DESC LIMIT %s",
        (customer_id, before_seq, before_seq, limit),
    )
    return cur.fetchall()


_REQUEST = ("id::text, customer_id::text, requester_id, requester_name, reason, hours, status,"
            " decided_by, decided_at, expires_at, created_at")


def insert_access_request(cur, customer_id: str, principal, reason: str, hours: int) -> dict:
    cur.execute(
        "INSERT INTO access_request (customer_id, requester_id, requester_name, reason, hours)"  # noqa: S608 — constant text
        " VALUES (%s, %s, %s, %s, %s) RETURNING " + _REQUEST,
        (customer_id, principal.id, principal.username, reason, hours),
    )
    return cur.fetchone()


def access_request_for_update(cur, request_id: str) -> dict | None:
    cur.execute("SELECT " + _REQUEST + " FROM access_request WHERE id = %s FOR UPDATE",  # noqa: S608 — constant text
                (request_id,))
    return cur.fetchone()


def decide_access_request(cur, request_id: str, status: str, decided_by: str) -> dict:
    cur.execute(
        "UPDATE access_request SET status = %s, decided_by = %s, decided_at = now(),"  # noqa: S608 — constant text
        " expires_at = CASE WHEN %s = 'approved' THEN now() + make_interval(hours => hours) END"
        " WHERE id = %s RETURNING " + _REQUEST,
        (status, decided_by, status, request_id),
    )
    return cur.fetchone()


def access_requests(cur, status: str | None, limit: int) -> list[dict]:
    cur.execute(
        "SELECT " + _REQUEST + " FROM access_request"  # noqa: S608 — constant text
        " WHERE (%s::text IS NULL OR status = %s) ORDER BY created_at DESC LIMIT %s",
        (status, status, limit),
    )
    return cur.fetchall()


# ---- the hash chain (S4), read by the operator's verify command ---------------------

def access_log_head(conn) -> dict | None:
    """{seq, hash} of the head kept beside the log."""
    with conn.cursor(cursor_factory=psycopg2.extras.RealDictCursor) as cur:
        cur.execute("SELECT seq, hash FROM access_log_head")
        return cur.fetchone()


def walk_access_log(conn, batch: int = 5000):
    """Every row of the log in sequence order with its hash recomputed from its content
    ({seq, prev_hash, hash, recomputed, action, actor_id, customer_id}), read `batch`
    rows at a time through a server-side cursor on `conn`."""
    with conn.cursor("access_log_walk", cursor_factory=psycopg2.extras.RealDictCursor) as cur:
        cur.itersize = batch
        cur.execute("SELECT seq, prev_hash, hash, access_log_digest(l) AS recomputed, action,"
                    " actor_id, customer_id::text FROM access_log l ORDER BY seq")
        yield from cur

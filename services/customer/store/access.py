"""SQL of confidentiality: the caller's RLS settings, grants, borrowing requests and
the borrowing log (its rows, and the walk over its hash chain)."""
import json
from collections.abc import Sequence

import psycopg2.extras
from psycopg2.extras import Json, execute_values


def set_session(cur, principal: str, clearance: str, classified: str, roles: str) -> None:
    """The kefu.* settings row-level security reads, for this transaction only."""
    cur.execute(
        "SELECT set_config('kefu.principal', %s, true), set_config('kefu.clearance', %s, true),"
        " set_config('kefu.classified', %s, true), set_config('kefu.roles', %s, true)",
        (principal, clearance, classified, roles),
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


PHONE_LOOKUP_LOCK = 7_270_002  # pg_advisory_xact_lock(key, hashtext(staff id)) namespace


def count_phone_lookup(cur, staff_id: str, window_minutes: int) -> int:
    """Count one lookup by phone of this staff member and answer how many the window (the
    current minute and the ones before it) holds, this one included.  The staff member's
    lookups queue on a transaction lock, so each sees the others' committed counts: none
    slips past the limit however many run at once."""
    cur.execute("SELECT pg_advisory_xact_lock(%s, hashtext(%s))", (PHONE_LOOKUP_LOCK, staff_id))
    cur.execute(
        "DELETE FROM phone_lookup_count WHERE staff_id = %(staff)s"
        " AND minute <= date_trunc('minute', now()) - make_interval(mins => %(window)s)",
        {"staff": staff_id, "window": window_minutes})
    cur.execute(
        "INSERT INTO phone_lookup_count (staff_id, minute, n)"
        " VALUES (%(staff)s, date_trunc('minute', now()), 1)"
        " ON CONFLICT (staff_id, minute) DO UPDATE SET n = phone_lookup_count.n + 1",
        {"staff": staff_id})
    cur.execute("SELECT sum(n) AS used FROM phone_lookup_count WHERE staff_id = %s", (staff_id,))
    return cur.fetchone()["used"]


def stage_access(cur, entries: list[tuple]) -> None:
    """Borrowing-log rows to append later in one statement (log_staged_access): a
    temporary table of this transaction holds them, so a caller going through many rows
    keeps none.  `entries`: (customer id, level, fields, detail)."""
    cur.execute("CREATE TEMP TABLE IF NOT EXISTS access_staged (n bigserial, customer_id uuid,"
                " level smallint, fields text[], detail jsonb) ON COMMIT DROP")
    if entries:
        execute_values(cur, "INSERT INTO access_staged (customer_id, level, fields, detail)"
                       " VALUES %s", [(c, lv, f, Json(d)) for c, lv, f, d in entries])


def log_staged_access(cur, principal, action: str, reason: str) -> int:
    """Append the staged rows to the borrowing log, in the order staged, in the
    principal's name (each numbered and chained by the trigger); returns how many."""
    cur.execute(
        "INSERT INTO access_log (actor_id, actor_name, customer_id, action, level, fields,"
        " reason, detail, prev_hash, hash) SELECT %s, %s, customer_id, %s, level, fields, %s,"
        " detail, '', '' FROM access_staged ORDER BY n",
        (principal.id, principal.username, action, reason))
    logged = cur.rowcount
    cur.execute("DROP TABLE access_staged")
    return logged


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
    """Every row of the log in sequence order with the columns its digest covers
    (`detail` as the jsonb's text, `customer_id` as text), read `batch` rows at a time
    through a server-side cursor on `conn`.  Nothing is computed by the database."""
    with conn.cursor("access_log_walk", cursor_factory=psycopg2.extras.RealDictCursor) as cur:
        cur.itersize = batch
        cur.execute("SELECT seq, prev_hash, hash, at, actor_id, actor_name,"
                    " customer_id::text AS customer_id, action, level, fields, reason,"
                    " detail::text AS detail, digest_version FROM access_log ORDER BY seq")
        yield from cur

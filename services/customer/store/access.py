"""SQL of confidentiality: the caller's RLS settings, grants and the borrowing log."""
import json

from services.customer.domain import access


def bind_principal(cur, principal) -> None:
    """Tell row-level security who is asking, for this transaction only."""
    s = access.session_settings(principal)
    cur.execute(
        "SELECT set_config('kefu.principal', %s, true), set_config('kefu.clearance', %s, true),"
        " set_config('kefu.classified', %s, true), set_config('kefu.system', %s, true)",
        (s["principal"], s["clearance"], s["classified"], s["system"]),
    )


def log_access(cur, principal, customer_id: str | None, action: str, level: int | None,
               fields: list[str] = (), reason: str = "", detail: dict | None = None) -> int:
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


def access_log_of(cur, customer_id: str, before_seq: int | None, limit: int) -> list[dict]:
    cur.execute(
        "SELECT seq, at, actor_id, actor_name, customer_id::text, action, level, fields, reason,"
        " detail FROM access_log WHERE customer_id = %s AND (%s::bigint IS NULL OR seq < %s)"
        " ORDER BY seq DESC LIMIT %s",
        (customer_id, before_seq, before_seq, limit),
    )
    return cur.fetchall()


def insert_access_request(cur, customer_id: str, principal, reason: str, hours: int) -> dict:
    cur.execute(
        "INSERT INTO access_request (customer_id, requester_id, requester_name, reason, hours)"
        " VALUES (%s, %s, %s, %s, %s) RETURNING id::text, customer_id::text, requester_id, requester_name, reason, hours, status, decided_by, decided_at, expires_at, created_at",
        (customer_id, principal.id, principal.username, reason, hours),
    )
    return cur.fetchone()


def access_request_for_update(cur, request_id: str) -> dict | None:
    cur.execute("SELECT id::text, customer_id::text, requester_id, requester_name, reason, hours, status, decided_by, decided_at, expires_at, created_at FROM access_request WHERE id = %s FOR UPDATE",
                (request_id,))
    return cur.fetchone()


def decide_access_request(cur, request_id: str, status: str, decided_by: str) -> dict:
    cur.execute(
        "UPDATE access_request SET status = %s, decided_by = %s, decided_at = now(),"
        " expires_at = CASE WHEN %s = 'approved' THEN now() + make_interval(hours => hours) END"
        " WHERE id = %s RETURNING id::text, customer_id::text, requester_id, requester_name, reason, hours, status, decided_by, decided_at, expires_at, created_at",
        (status, decided_by, status, request_id),
    )
    return cur.fetchone()


def access_requests(cur, status: str | None, limit: int) -> list[dict]:
    cur.execute(
        "SELECT id::text, customer_id::text, requester_id, requester_name, reason, hours, status, decided_by, decided_at, expires_at, created_at FROM access_request"
        " WHERE (%s::text IS NULL OR status = %s) ORDER BY created_at DESC LIMIT %s",
        (status, status, limit),
    )
    return cur.fetchall()

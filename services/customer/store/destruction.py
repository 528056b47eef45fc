"""SQL of destruction 销毁 (C6): requests, ordered decisions, and the erase itself."""

_REQUEST = (
    "SELECT r.id::text, r.customer_id::text, c.number AS customer_number,"
    " c.name AS customer_name, c.destroyed_at,"
    " effective_level(c.level, c.declassify_at, c.declassify_to) AS effective_level,"
    " r.requester_id, r.requester_name, r.reason, r.status, r.created_at, r.decided_at"
    " FROM destruction_request r JOIN customer c ON c.id = r.customer_id"
)


def customer_for_destruction(cur, customer_id: str) -> dict | None:
    """The customer row, locked: requests and the erase of one customer queue up here."""
    cur.execute(
        "SELECT id::text, number, kind, destroyed_at, merged_into::text,"
        " effective_level(level, declassify_at, declassify_to) AS effective_level"
        " FROM customer WHERE id = %s FOR UPDATE",
        (customer_id,),
    )
    return cur.fetchone()


def has_pending(cur, customer_id: str) -> bool:
    cur.execute(
        "SELECT EXISTS (SELECT 1 FROM destruction_request WHERE customer_id = %s"
        " AND status = 'pending') AS pending",
        (customer_id,),
    )
    return cur.fetchone()["pending"]


def insert_request(cur, customer_id: str, principal, reason: str) -> str:
    cur.execute(
        "INSERT INTO destruction_request (customer_id, requester_id, requester_name, reason)"
        " VALUES (%s, %s, %s, %s) RETURNING id::text",
        (customer_id, principal.id, principal.username, reason),
    )
    return cur.fetchone()["id"]


def request(cur, request_id: str, lock: bool = False) -> dict | None:
    """One request with its customer's number, name and effective level.

    With `lock`, the request row is locked (FOR UPDATE OF r): decisions on one
    request run one after the other."""
    cur.execute(_REQUEST + " WHERE r.id = %s" + (" FOR UPDATE OF r" if lock else ""),
                (request_id,))
    return cur.fetchone()


def requests(cur, status: str | None, requester_id: str | None, clearance: int | None,
             limit: int) -> list[dict]:
    """Newest first; only one requester's when `requester_id`; only records at or below
    `clearance` when given."""
    cur.execute(
        _REQUEST + " WHERE (%s::text IS NULL OR r.status = %s)"
        " AND (%s::text IS NULL OR r.requester_id = %s)"
        " AND (%s::int IS NULL OR effective_level(c.level, c.declassify_at, c.declassify_to) <= %s)"
        " ORDER BY r.created_at DESC, r.id LIMIT %s",
        (status, status, requester_id, requester_id, clearance, clearance, limit),
    )
    return cur.fetchall()


def approvals_of(cur, request_ids: list[str]) -> dict[str, list[dict]]:
    cur.execute(
        "SELECT request_id::text, step, role, decision, approver_id, approver_name, comment, at"
        " FROM destruction_approval WHERE request_id = ANY(%s::uuid[]) ORDER BY request_id, step",
        (request_ids,),
    )
    out: dict[str, list[dict]] = {rid: [] for rid in request_ids}
    for row in cur.fetchall():
        out[row.pop("request_id")].append(row)
    return out


def insert_decision(cur, request_id: str, step: int, role: str, decision: str, principal,
                    comment: str) -> None:
    cur.execute(
        "INSERT INTO destruction_approval (request_id, step, role, decision, approver_id,"
        " approver_name, comment) VALUES (%s, %s, %s, %s, %s, %s, %s)",
        (request_id, step, role, decision, principal.id, principal.username, comment),
    )


def close_request(cur, request_id: str, status: str) -> None:
    cur.execute(
        "UPDATE destruction_request SET status = %s, decided_at = now() WHERE id = %s",
        (status, request_id),
    )


def merged_into_chain(cur, customer_id: str) -> list[dict]:
    """The customer and every record merged into it (directly or through others),
    locked: a merged record still holds the same person's history."""
    cur.execute(
        "WITH RECURSIVE merged(id) AS ("
        "  SELECT id FROM customer WHERE id = %s"
        "  UNION SELECT c.id FROM customer c JOIN merged m ON c.merged_into = m.id)"
        " SELECT c.id::text, c.number FROM customer c JOIN merged m ON m.id = c.id"
        " ORDER BY c.id FOR UPDATE OF c",
        (customer_id,),
    )
    return cur.fetchall()


def erase(cur, request_id: str, tombstone_name: str) -> dict:
    """Erase the personal data of the request's customer and of every record merged
    into it; the rows stay as tombstones.  Returns how many rows each table lost or had
    cleared.

    The database function customer_erase (migration 0006) does it as the owner role,
    for a request that carries its third approval: a general manager without a
    borrowing grant must still be able to erase a top-secret archive he cannot read,
    and no setting of this session opens archives."""
    cur.execute("SELECT customer_erase(%s, %s) AS counts", (request_id, tombstone_name))
    return cur.fetchone()["counts"]


def scrub_event_copies(cur, customer_ids: list[str]) -> dict:
    """Copies of these customers' events keep only the customer's id: the outbox rows
    already sent (those not yet sent are owed to consumers and go within a second) and
    the parked events, whose error text is replaced too.  Returns how many of each."""
    cur.execute(
        "UPDATE outbox SET envelope = jsonb_set(envelope, '{data}',"
        "   jsonb_build_object('customer_id', envelope -> 'data' -> 'customer_id'))"
        " WHERE sent_at IS NOT NULL AND envelope -> 'data' ->> 'customer_id' = ANY(%s)"
        "   AND envelope -> 'data' <> jsonb_build_object('customer_id',"
        "                                               envelope -> 'data' -> 'customer_id')",
        (customer_ids,))
    outbox = cur.rowcount
    cur.execute(
        "UPDATE parked_event SET body = jsonb_set(body, '{data}',"
        "   jsonb_build_object('customer_id', body -> 'data' -> 'customer_id')),"
        "   error = 'scrubbed: its customer was destroyed'"
        " WHERE body -> 'data' ->> 'customer_id' = ANY(%s)",
        (customer_ids,))
    return {"outbox": outbox, "parked_event": cur.rowcount}

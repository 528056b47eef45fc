"""Use cases of confidentiality (C4) and the borrowing log 借阅日志: row-level security
told who asks, classification, unmasking, borrowing requests, the log and its hash
chain (S4), declassification when its date comes, and contacts from tickets."""
from contextlib import closing
from typing import cast

from services.common.errors import Forbidden, Invalid
from services.common.identity import Principal
from services.customer.contract import events
from services.customer.domain import access as rules
from services.customer.domain import records
from services.customer.domain.access_log import GENESIS, Chain
from services.customer.handlers.archive import view
from services.customer.store import access as store
from services.customer.store import records as records_store

CLASSIFIED = events.CustomerClassified()


def bind_principal(cur, principal: Principal | None) -> None:
    """Tell row-level security who is asking, for this transaction only (the
    database's `on_begin`)."""
    store.set_session(cur, **rules.session_settings(principal))


def classify(tx, principal: Principal, customer_id: str, c: dict) -> dict:
    """Level, declassification and owner set (C4), never above the caller's own
    clearance; history, borrowing log and customer_classified when anything changed."""
    card = rules.check_classification(
        principal, records_store.card(tx.cur, customer_id, for_update=True), c["level"])
    if c["declassify_at"] is not None and not store.in_future(tx.cur, c["declassify_at"]):
        raise Invalid("declassification must be in the future",
                      {"declassify_at": ["must be in the future"]})
    new = {"level": c["level"], "declassify_at": c["declassify_at"],
           "declassify_to": c["declassify_to"]}
    for key in ("owner_id", "owner_group"):
        if key in c:
            new[key] = c[key]
    diff = records.changes({k: card[k] for k in new}, new)
    if diff:
        records_store.update_card(tx.cur, customer_id, new)
        records_store.record_history(tx.cur, customer_id, principal, "classify", diff)
        store.log_access(tx.cur, principal, customer_id, "classify", c["level"],
                         [d[0] for d in diff], c["reason"],
                         {"from": card["effective_level"], "to": c["level"]})
        tx.emit("customer_classified", CLASSIFIED.dump({"customer_id": customer_id, **new}))
    return view(tx, principal, customer_id, why=c["reason"])


def unmask_phones(db, principal: Principal, customer_id: str, reason: str) -> dict:
    """The phone numbers in full: a permission of its own, always logged — a denial
    too: it is committed before Forbidden is answered."""
    with db.transaction() as tx:
        card = records_store.card(tx.cur, customer_id)
        if card is None or card["destroyed_at"] is not None:
            raise records.no_such_customer()
        decision = rules.unmask_decision(principal, card["effective_level"])
        store.log_access(tx.cur, principal, customer_id, cast(str, decision.log_action),
                         card["effective_level"], ["phones"],
                         reason if decision.allowed else decision.reason)
        phones = (records_store.phones_of(tx.cur, [customer_id])[customer_id]
                  if decision.allowed else None)
    if phones is None:
        raise Forbidden(decision.reason)
    return {"phones": records.phone_values(phones)}


def request_access(tx, principal: Principal, d: dict) -> dict:
    """A request to borrow (借阅) a top-secret archive for some hours; logged."""
    cid = str(d["customer_id"])
    card = rules.check_borrowable(principal, records_store.card(tx.cur, cid))
    row = store.insert_access_request(tx.cur, cid, principal, d["reason"], d["hours"])
    store.log_access(tx.cur, principal, cid, "request", card["effective_level"], ["archive"],
                     d["reason"], {"request_id": row["id"], "hours": d["hours"]})
    return row


def decide_access_request(tx, principal: Principal, request_id: str, d: dict) -> dict:
    """Approved or rejected; an approval opens the archive to the requester until it
    expires.  Logged."""
    row = store.access_request_for_update(tx.cur, request_id)
    card = rules.check_deciding(
        principal, row, records_store.card(tx.cur, row["customer_id"]) if row else None)
    status = "approved" if d["decision"] == "approve" else "rejected"
    row = store.decide_access_request(tx.cur, request_id, status, principal.id)
    store.log_access(tx.cur, principal, row["customer_id"],
                     "grant" if status == "approved" else "reject",
                     card["effective_level"], ["archive"], row["reason"],
                     {"request_id": request_id, "requester_id": row["requester_id"],
                      "expires_at": row["expires_at"].isoformat()
                      if row["expires_at"] else None})
    return row


def access_requests(tx, status=None, limit=100) -> dict:
    rules.check_request_status(status)
    return {"requests": store.access_requests(tx.cur, status, records.clamp_limit(limit))}


def access_log(tx, customer_id: str, before=None, limit=100) -> dict:
    """The borrowing log of one customer, newest first, a page at a time."""
    limit = records.clamp_limit(limit)
    before_seq = rules.log_cursor(before)
    if records_store.card(tx.cur, customer_id) is None:
        raise records.no_such_customer()
    rows = store.access_log_of(tx.cur, customer_id, before_seq, limit)
    return {"entries": rows, "next": rules.next_log_cursor(rows, limit)}


def declassify_due(tx, principal: Principal, batch: int = 200) -> None:
    """Declassifications whose date has passed, made real (C4): each recorded, logged
    and published.  Rows are claimed with SKIP LOCKED: safe with replicas."""
    for row in records_store.due_declassifications(tx.cur, batch):
        records_store.materialise_declassification(tx.cur, row["id"], row["declassify_to"])
        records_store.record_history(
            tx.cur, row["id"], principal, "declassify",
            [("level", row["level"], row["declassify_to"]),
             ("declassify_at", row["declassify_at"].isoformat(), None)])
        store.log_access(tx.cur, principal, row["id"], "declassify", row["declassify_to"],
                         ["level"], "declassification date reached",
                         {"from": row["level"], "to": row["declassify_to"]})
        tx.emit("customer_classified", CLASSIFIED.dump(
            {"customer_id": row["id"], "level": row["declassify_to"],
             "declassify_at": None, "declassify_to": None}))


def ticket_created(tx, contact: dict, occurred_at) -> None:
    """A ticket is a contact: the customer's last contact moves on (C9 segments)."""
    records_store.touch_contact(tx.cur, contact["customer_id"], occurred_at)


def verify(conn, anchor: dict | None = None, batch: int = 5000) -> tuple[bool, str, int]:
    """The borrowing log's hash chain checked on `conn` (the owner's, one snapshot), each
    digest recomputed here, and with `anchor` ({seq, hash} exported earlier) held
    against it: (intact, message naming the first broken row, rows checked)."""
    head = store.access_log_head(conn)
    chain = Chain(anchor)
    with closing(store.walk_access_log(conn, batch)) as rows:
        for row in rows:
            problem = chain.add(row)
            if problem:
                return False, problem, chain.checked
    problem = chain.end(head)
    if problem:
        return False, problem, chain.checked
    return True, chain.intact(), chain.checked


def log_head(conn) -> dict:
    """{seq, hash} of the log's head, as `conn` sees it (what an anchor exports)."""
    return store.access_log_head(conn) or {"seq": 0, "hash": GENESIS}

"""Use cases of destruction 销毁 (C6): the request, the three ordered approvals, and
the erase that the third one sets off."""
from services.common.identity import Principal
from services.common.metrics import Counter
from services.customer.contract import events
from services.customer.domain import destruction as rules
from services.customer.domain.records import DESTROYED_NAME
from services.customer.store import access as access_store
from services.customer.store import destruction as store
from services.customer.store import records as records_store

DESTROYED = events.CustomerDestroyed()


def _shown(tx, principal: Principal, request_id: str) -> dict:
    """A request with its decisions so far, as the caller sees it."""
    row = rules.check_visible(principal, store.request(tx.cur, request_id))
    return rules.present(row, store.approvals_of(tx.cur, [request_id])[request_id])


def request_destruction(tx, principal: Principal, customer_id: str, reason: str) -> dict:
    """A pending request to destroy a customer; logged."""
    customer = store.customer_for_destruction(tx.cur, customer_id)
    pending = customer is not None and store.has_pending(tx.cur, customer_id)
    customer = rules.check_requestable(principal, customer, pending)
    request_id = store.insert_request(tx.cur, customer_id, principal, reason)
    access_store.log_access(tx.cur, principal, customer_id, "destroy_request",
                            customer["effective_level"], detail={"request_id": request_id})
    return _shown(tx, principal, request_id)


def destruction_requests(tx, principal: Principal, query: dict) -> dict:
    """Newest first: every request within their clearance for approvers and auditors,
    their own for others."""
    see_all = rules.may_see_all(principal)
    rows = store.requests(tx.cur, query["status"], None if see_all else principal.id,
                          None if principal.is_system else principal.clearance, query["limit"])
    approvals = store.approvals_of(tx.cur, [r["id"] for r in rows])
    return {"requests": [rules.present(r, approvals[r["id"]]) for r in rows]}


def destruction_request(tx, principal: Principal, request_id: str) -> dict:
    """One request with its decisions; NotFound when the caller may not see it."""
    return _shown(tx, principal, request_id)


def decide(db, principal: Principal, metrics, request_id: str, decision: str,
           comment: str) -> dict:
    """Approve or reject at the caller's step; the third approval erases the person.
    Counted (metrics) once committed."""
    with db.transaction() as tx:
        row = store.request(tx.cur, request_id)
        if row is None:
            raise rules.no_such_request()
        # Customer first, then request: the same lock order as request_destruction.
        store.customer_for_destruction(tx.cur, row["customer_id"])
        row = rules.check_visible(principal, store.request(tx.cur, request_id, lock=True))
        approvals = store.approvals_of(tx.cur, [request_id])[request_id]
        step = rules.check_decision(principal, row, approvals)
        store.insert_decision(tx.cur, request_id, step.number, step.role, decision, principal,
                              comment)
        status, erase_now = rules.outcome(step, decision)
        if status != rules.PENDING:
            store.close_request(tx.cur, request_id, status)
        detail = {"request_id": request_id, "step": step.number, "role": step.role}
        access_store.log_access(tx.cur, principal, row["customer_id"], f"destroy_{decision}",
                                row["effective_level"], detail=detail)
        destroyed = _erase(tx, principal, row, detail) if erase_now else 0
        shown = _shown(tx, principal, request_id)
    metrics.metric(Counter, "kefu_destruction_decisions_total",
                   "Destruction decisions by step and decision",
                   ("step", "decision")).labels(str(step.number), decision).inc()
    if destroyed:
        metrics.metric(Counter, "kefu_customers_destroyed_total",
                       "Customer records erased to tombstones").inc(destroyed)
    return shown


def _erase(tx, principal: Principal, row: dict, detail: dict) -> int:
    """Erase the person (and every record merged into it), and the copies of their
    events, in this transaction; returns how many records became tombstones."""
    tombstones = store.merged_into_chain(tx.cur, row["customer_id"])
    counts = store.erase(tx.cur, row["id"], DESTROYED_NAME)
    counts.update(store.scrub_event_copies(tx.cur, [t["id"] for t in tombstones]))
    for tombstone in tombstones:
        records_store.record_history(tx.cur, tombstone["id"], principal, "destroy",
                                     [("destroyed", None, True)])
        access_store.log_access(tx.cur, principal, tombstone["id"], "destroy",
                                row["effective_level"], detail={**detail, "erased": counts})
        tx.emit("customer_destroyed", DESTROYED.dump(
            {"customer_id": tombstone["id"], "number": tombstone["number"]}))
    return len(tombstones)

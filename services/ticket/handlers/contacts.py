"""Use cases of the contact log and of telephony call events (T8).  Contacts are reached
within the caller's data scope; a classified customer's notes only by those cleared
(domain.access, handlers.reading)."""
from services.common.errors import NotFound
from services.common.identity import Principal
from services.common.metrics import Counter, MetricsServer
from services.common.paging import decode_cursor
from services.ticket.contract.events import CallRecorded, ContactLogged
from services.ticket.domain import access, pages
from services.ticket.domain import contacts as rules
from services.ticket.domain.tickets import REDACTED
from services.ticket.handlers import reading
from services.ticket.store import contacts as store
from services.ticket.store import tickets as tickets_store

CONTACT_LOGGED = ContactLogged()
CALL_RECORDED = CallRecorded()


def log_contact(tx, principal: Principal, metrics: MetricsServer, fields: dict,
                idempotency_key: str | None) -> dict:
    """Log a call or message (a loaded ContactIn) and emit contact_logged; a repeated
    idempotency key answers the contact the first call made."""
    agent_id = rules.agent_of(principal, fields["agent_id"])
    key = rules.contact_key(principal.id, idempotency_key)
    if key and (existing := store.contact_for_request(tx.cur, key)):
        return existing
    ticket = (tickets_store.ticket(tx.cur, str(fields["ticket_id"]),
                                   access.read_scope(principal))
              if fields["ticket_id"] else None)
    given = str(fields["customer_id"]) if fields["customer_id"] else None
    customer_id = rules.customer_of(given, ticket, fields["ticket_id"] is not None)
    if customer_id and store.customer_destroyed(tx.cur, customer_id):
        raise NotFound("no such customer", {"customer_id": ["no such customer"]})
    row = store.insert_contact(tx.cur, fields, agent_id, customer_id, principal.id, key)
    if row is None:  # the same key committed meanwhile
        row = store.contact_for_request(tx.cur, str(key))
        assert row is not None  # the conflicting row with that key
        return row
    tx.emit("contact_logged", CONTACT_LOGGED.dump({**row, "contact_id": row["id"]}))
    metrics.metric(Counter, "kefu_contacts_logged_total", "Contacts logged by channel",
                   ("channel",)).labels(row["channel"]).inc()
    return row


def contacts_of(db, principal: Principal, customers, of: str, of_id: str,
                query: dict) -> dict:
    """The contacts of the caller's scope of a customer or a ticket (`of`), newest
    first, keyset paged; NotFound for a ticket out of scope.  Their notes as the
    customer's rule allows (one decision, logged)."""
    before = decode_cursor(query["before"], "before")
    scope = access.read_scope(principal)
    with db.transaction() as tx:
        customer_id = of_id
        if of == "ticket":
            customer_id = access.found(tickets_store.ticket(tx.cur, of_id, scope))[
                "customer_id"]
        rows = store.contacts_of(tx.cur, of, of_id, before, query["limit"] + 1, scope)
    rows, following = pages.page(rows, query["limit"], "started_at")
    seen = reading.customer_reading(principal, customers, customer_id, rows, "",
                                    {f"contacts_of_{of}": of_id})
    return {"contacts": [access.contact_view(r, seen) for r in rows], "next": following}


def record_call_events(tx, principal: Principal, metrics: MetricsServer,
                       events: list[dict]) -> dict:
    """Store call events, idempotent on (call_id, event); each new one emits
    call_recorded."""
    accepted = 0
    # In time order, so a later event without a queue finds its call's queue.
    for event in sorted(events, key=lambda e: e["at"]):
        row = store.insert_call_event(tx.cur, event, rules.caller_number(event["caller"]))
        if row is not None:
            accepted += 1
            tx.emit("call_recorded", CALL_RECORDED.dump(row))
    counter = metrics.metric(Counter, "kefu_call_events_total",
                             "Telephony call events by outcome", ("outcome",))
    counter.labels("accepted").inc(accepted)
    counter.labels("duplicate").inc(len(events) - accepted)
    return {"accepted": accepted, "duplicates": len(events) - accepted}


def call_stats(tx, principal: Principal, query: dict) -> dict:
    """Offered, answered, abandoned, answer rate, average and p90 wait of answered calls
    over a period (default today in China), in total and per queue."""
    start, end = rules.period(query.get("from_"), query.get("to"), tickets_store.now(tx.cur))
    rows = store.call_counts(tx.cur, start, end)
    total = next((r for r in rows if r["queue_total"]), {})
    return {"from_": start, "to": end, "total": rules.queue_stats(None, total),
            "queues": [rules.queue_stats(r["queue"], r) for r in rows if not r["queue_total"]]}


def customer_destroyed(tx, customer_id: str) -> None:
    """C6: remember the customer is gone (contacts for it are refused from now on); its
    contact notes and linked callers' numbers are erased."""
    tickets_store.mark_destroyed(tx.cur, customer_id)
    store.anonymise_customer(tx.cur, customer_id, REDACTED)


def customer_merged(tx, merged_id: str, survivor_id: str) -> None:
    """C8: the merged-away customer's contacts now belong to the survivor."""
    store.repoint_customer(tx.cur, merged_id, survivor_id)

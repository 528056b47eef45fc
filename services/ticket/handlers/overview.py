"""The ticket service's part of the screen pop (C3, T8): what it knows of a customer,
within the caller's data scope; what a classified customer's tickets and contacts say
as its rule allows (domain.access, handlers.reading)."""
from services.common.identity import Principal
from services.ticket.domain import access
from services.ticket.handlers import reading
from services.ticket.store import contacts as contacts_store
from services.ticket.store import tickets as tickets_store


def customer_overview(db, principal: Principal, customers, query: dict) -> dict:
    """A customer's open and recent tickets and recent contacts, newest first."""
    customer, limit = str(query["customer_id"]), query["limit"]
    scope = access.read_scope(principal)
    with db.transaction() as tx:
        shown = {"open_tickets": tickets_store.of_customer(tx.cur, customer, limit, scope,
                                                           open_only=True),
                 "recent_tickets": tickets_store.of_customer(tx.cur, customer, limit, scope),
                 "contacts": contacts_store.contacts_of(tx.cur, "customer", customer, None,
                                                        limit, scope)}
    seen = reading.customer_reading(principal, customers, customer,
                                    [row for rows in shown.values() for row in rows], "",
                                    {"overview_of": customer})
    return {"open_tickets": [access.ticket_view(t, seen) for t in shown["open_tickets"]],
            "recent_tickets": [access.ticket_view(t, seen) for t in shown["recent_tickets"]],
            "contacts": [access.contact_view(c, seen) for c in shown["contacts"]]}

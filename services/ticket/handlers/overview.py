"""The ticket service's part of the screen pop (C3, T8): what it knows of a customer."""
from services.common.identity import Principal
from services.ticket.store import contacts as contacts_store
from services.ticket.store import tickets as tickets_store


def customer_overview(tx, principal: Principal, query: dict) -> dict:
    """A customer's open and recent tickets and recent contacts, newest first."""
    customer, limit = str(query["customer_id"]), query["limit"]
    return {"open_tickets": tickets_store.summaries_of_customer(tx.cur, customer, limit, True),
            "recent_tickets": tickets_store.summaries_of_customer(tx.cur, customer, limit,
                                                                  False),
            "contacts": contacts_store.contacts_of(tx.cur, "customer", customer, None, limit)}

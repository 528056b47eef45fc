"""Entrypoints of the ticket service: accepting tickets (T2) and what a customer's
lifecycle does to them (C6, C8).  Mixed into TicketService (uses its db,
principal, metrics and the customer proxy)."""
from services.common.errors import NotFound
from services.common.events import on_event
from services.common.identity import OPERATORS, STAFF, rpc
from services.common.rpc import call
from services.customer.contract import CustomerDestroyed, CustomerMerged
from services.ticket import contract
from services.ticket.domain import tickets as domain
from services.ticket.store import tickets as store

# Schema instances are reused: building one per call costs more than the dump itself.
CUSTOMER_TICKETS = contract.CustomerTickets()
TICKET_LIST = contract.TicketList()


class TicketEntrypoints:
    @rpc(allow=OPERATORS)
    def create_ticket(self, data, idempotency_key=None):
        """Accept a ticket for an existing customer; returns Ticket.

        Invalid on bad fields, NotFound when the customer does not exist.  A
        repeated idempotency key returns the ticket the first call created.
        """
        fields = contract.TicketCreate().load(data)
        key = domain.request_key(self.principal.id, idempotency_key)
        if key:
            with self.db.transaction() as tx:
                existing = store.ticket_for_request(tx.cur, key)
            if existing:
                return contract.Ticket().dump(existing)
        card = call(self.customers.get_card, str(fields["customer_id"]), timeout=5)
        if card["destroyed"]:
            raise NotFound("no such customer")  # destroyed (C6): only a tombstone is left
        with self.db.transaction() as tx:
            accepted_at = store.now(tx.cur)
            prefix_day = domain.business_day(accepted_at)
            prefix = domain.KIND_PREFIX[fields["kind"]]
            number = store.next_serial_number(tx.cur, prefix, prefix_day)
            serial = domain.serial(fields["kind"], prefix_day, number)
            row = store.insert_ticket(tx.cur, serial, fields, self.principal.id, accepted_at)
            if key:
                store.remember_request(tx.cur, key, row["id"])
            tx.emit("ticket_created", contract.TicketCreated().dump(
                {**row, "ticket_id": row["id"]}))
        return contract.Ticket().dump(row)

    @rpc(allow=STAFF)
    def list_for_customer(self, customer_id, limit=20):
        """The customer's most recent tickets, newest first: {"tickets": [...]}."""
        query = CUSTOMER_TICKETS.load({"customer_id": customer_id, "limit": limit})
        with self.db.transaction() as tx:
            rows = store.tickets_of_customer(tx.cur, str(query["customer_id"]), query["limit"])
        return TICKET_LIST.dump({"tickets": rows})

    @on_event("customer", "customer_destroyed")
    def anonymise_destroyed_customer(self, event):
        """C6: the customer's tickets keep serial, kind, dates and statistics and lose
        the person (content redacted); later tickets for it are refused."""
        destroyed = CustomerDestroyed().load(event["data"])
        with self.db.transaction() as tx:
            store.anonymise_customer(tx.cur, destroyed["customer_id"])

    @on_event("customer", "customer_merged")
    def repoint_merged_customer(self, event):
        """C8: the tickets of a merged-away customer now belong to the survivor."""
        merged = CustomerMerged().load(event["data"])
        with self.db.transaction() as tx:
            store.repoint_customer(tx.cur, merged["merged_id"], merged["survivor_id"])

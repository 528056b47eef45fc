"""Entrypoint of the ticket service for the screen pop: what the service knows of a
customer — open and recent tickets, recent contacts — in one call and one
transaction.  Mixed into TicketService."""
from services.common.rpc import AuthenticatedRpc
from services.ticket.contract import overview as contract
from services.ticket.store import contacts as contacts_store
from services.ticket.store import overview as store
from services.vocabulary import STAFF

rpc = AuthenticatedRpc.decorator  # transitional: roles move to the contract index (issue 8)

OVERVIEW_QUERY = contract.OverviewQuery()
OVERVIEW = contract.CustomerOverview()


class OverviewEntrypoints:
    @rpc(allow=STAFF)
    def customer_overview(self, customer_id, limit=10):
        """{"open_tickets", "recent_tickets", "contacts"} of a customer, newest first."""
        query = OVERVIEW_QUERY.load({"customer_id": customer_id, "limit": limit})
        customer, limit = str(query["customer_id"]), query["limit"]
        with self.db.transaction() as tx:
            view = {"open_tickets": store.open_tickets(tx.cur, customer, limit),
                    "recent_tickets": store.recent_tickets(tx.cur, customer, limit),
                    "contacts": contacts_store.contacts_of_customer(tx.cur, customer, None,
                                                                    limit)}
        return OVERVIEW.dump(view)

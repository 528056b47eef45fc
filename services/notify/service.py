"""The notify service 消息通知: the staff inbox, fed by events."""
from services.common.db import Database
from services.common.events import on_event
from services.common.health import HealthCheck
from services.common.identity import STAFF, Identity, rpc
from services.common.metrics import Metrics
from services.notify import contract, domain, store
from services.ticket.contract import TicketCreated


class NotifyService(HealthCheck):
    name = contract.SERVICE

    db = Database()
    principal = Identity()
    metrics = Metrics()

    @on_event("ticket", "ticket_created")
    def notify_acceptor(self, event):
        """Put a notice of the new ticket in its acceptor's inbox (once per event)."""
        ticket = TicketCreated().load(event["data"])
        with self.db.transaction() as tx:
            store.insert_inbox_item(tx.cur, domain.ticket_created_notice(ticket))

    @rpc(allow=STAFF)
    def inbox(self, limit=50):
        """The caller's own inbox, newest first: {"items": [...]}."""
        query = contract.InboxQuery().load({"limit": limit})
        with self.db.transaction() as tx:
            items = store.inbox_of(tx.cur, self.principal.id, query["limit"])
        return contract.Inbox().dump({"items": items})


SERVICE = NotifyService

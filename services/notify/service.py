"""The notify service 消息通知: the staff inbox, fed by events.

Each handler is reliable and idempotent: its one transaction records (consumer,
event_id) and inserts every recipient's notice, so a redelivered event adds
nothing and an event with several recipients lands for all of them or none."""
import uuid

from services.common.db import Database
from services.common.errors import NotFound
from services.common.events import on_event
from services.common.health import HealthCheck
from services.common.identity import STAFF, Identity, rpc
from services.common.metrics import Metrics
from services.notify import contract, domain, store
from services.ticket.contract import (
    TicketCreated,
    TicketDispatched,
    TicketReminderDue,
    TicketRouted,
    TicketSlaBreached,
)

INBOX = contract.Inbox()
ITEM = contract.InboxItem()


class NotifyService(HealthCheck):
    name = contract.SERVICE

    db = Database()
    principal = Identity()
    metrics = Metrics()

    def _deliver(self, event, notices: list[dict]) -> None:
        with self.db.transaction() as tx:
            for notice in notices:
                store.insert_inbox_item(tx.cur, notice, str(event["event_id"]))

    @on_event("ticket", "ticket_created")
    def notify_acceptor(self, event):
        """Put a notice of the new ticket in its acceptor's inbox (once per event)."""
        ticket = TicketCreated().load(event["data"])
        self._deliver(event, [domain.ticket_created_notice(ticket)])

    @on_event("ticket", "ticket_assigned")
    def notify_assigned(self, event):
        """Tell the new handler(s) of an assigned ticket."""
        routed = TicketRouted().load(event["data"])
        self._deliver(event, domain.routed_notices("ticket_assigned", routed))

    @on_event("ticket", "ticket_transferred")
    def notify_transferred(self, event):
        """Tell the new handler(s) of a transferred ticket."""
        routed = TicketRouted().load(event["data"])
        self._deliver(event, domain.routed_notices("ticket_transferred", routed))

    @on_event("ticket", "ticket_dispatched")
    def notify_dispatched(self, event):
        """Tell the field staff member of a new job: address and appointment window."""
        job = TicketDispatched().load(event["data"])
        self._deliver(event, [domain.dispatched_notice(job)])

    @on_event("ticket", "ticket_sla_breached")
    def notify_breached(self, event):
        """Tell the supervisors (or managers) an SLA breach was escalated to."""
        breach = TicketSlaBreached().load(event["data"])
        self._deliver(event, domain.breached_notices(breach))

    @on_event("ticket", "ticket_reminder_due")
    def notify_reminder(self, event):
        """Deliver a personal reminder to the staff member who set it."""
        reminder = TicketReminderDue().load(event["data"])
        self._deliver(event, [domain.reminder_notice(reminder)])

    @rpc(allow=STAFF)
    def inbox(self, limit=50, unread=False):
        """The caller's own inbox, newest first: {"items": [...]}."""
        query = contract.InboxQuery().load({"limit": limit, "unread": unread})
        with self.db.transaction() as tx:
            items = store.inbox_of(tx.cur, self.principal.id, query["limit"], query["unread"])
        return INBOX.dump({"items": items})

    @rpc(allow=STAFF)
    def mark_read(self, item_id):
        """Mark one of one's own notices read; anyone else's is NotFound."""
        try:
            item_id = str(uuid.UUID(str(item_id)))
        except ValueError as exc:
            raise NotFound("no such notice") from exc
        with self.db.transaction() as tx:
            item = store.mark_read(tx.cur, self.principal.id, item_id)
        if item is None:
            raise NotFound("no such notice")
        return ITEM.dump(item)


SERVICE = NotifyService

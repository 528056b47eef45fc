"""The notify service 消息通知: the staff inbox, fed by events (N1, inbox part).

Each operation: load with its contract schema, one handler in one transaction,
dump.  The index of operations and events is contract/__init__.py.
"""
from services.common.db import Database
from services.common.events import on_event
from services.common.health import HealthCheck
from services.common.identity import Identity
from services.common.ids import parse_id
from services.common.metrics import Metrics
from services.common.rpc import rpc_entrypoints
from services.notify import contract
from services.notify.contract import inbox as schemas
from services.notify.handlers import inbox
from services.ticket.contract import events as ticket_events

rpc = rpc_entrypoints(contract.CONTRACT)
# Schema instances are reused: building one per call costs more than the dump itself.
INBOX_QUERY, INBOX, ITEM = schemas.InboxQuery(), schemas.Inbox(), schemas.InboxItem()
TICKET_CREATED, TICKET_ROUTED = ticket_events.TicketCreated(), ticket_events.TicketRouted()
TICKET_DISPATCHED = ticket_events.TicketDispatched()
TICKET_SLA_BREACHED = ticket_events.TicketSlaBreached()
TICKET_REMINDER_DUE = ticket_events.TicketReminderDue()


class NotifyService(HealthCheck):
    name = contract.SERVICE

    db = Database()
    principal = Identity()
    metrics = Metrics()

    # -- the staff inbox: reading it --------------------------------------------------
    @rpc
    def inbox(self, limit=50, unread=False):
        """The caller's own inbox, newest first: {"items": [...]}."""
        query = INBOX_QUERY.load({"limit": limit, "unread": unread})
        with self.db.transaction() as tx:
            return INBOX.dump(inbox.inbox(tx, self.principal, query))

    @rpc
    def mark_read(self, item_id):
        """Mark one of one's own notices read; anyone else's is NotFound."""
        item_id = parse_id(item_id, "notice")
        with self.db.transaction() as tx:
            return ITEM.dump(inbox.mark_read(tx, self.principal, item_id))

    # -- the staff inbox: fed by ticket events (one notice per recipient per event) ---
    @on_event("ticket", "ticket_created")
    def notify_acceptor(self, event):
        """The acceptor of a new ticket."""
        with self.db.transaction() as tx:
            inbox.ticket_created(tx, event["event_id"], TICKET_CREATED.load(event["data"]))

    @on_event("ticket", "ticket_assigned")
    def notify_assigned(self, event):
        """The new handler(s) of an assigned ticket."""
        with self.db.transaction() as tx:
            inbox.ticket_routed(tx, event["event_id"], "ticket_assigned",
                                TICKET_ROUTED.load(event["data"]))

    @on_event("ticket", "ticket_transferred")
    def notify_transferred(self, event):
        """The new handler(s) of a transferred ticket."""
        with self.db.transaction() as tx:
            inbox.ticket_routed(tx, event["event_id"], "ticket_transferred",
                                TICKET_ROUTED.load(event["data"]))

    @on_event("ticket", "ticket_dispatched")
    def notify_dispatched(self, event):
        """The field staff member of a new job: address and appointment window."""
        with self.db.transaction() as tx:
            inbox.ticket_dispatched(tx, event["event_id"], TICKET_DISPATCHED.load(event["data"]))

    @on_event("ticket", "ticket_sla_breached")
    def notify_breached(self, event):
        """The supervisors (or managers) an SLA breach was escalated to."""
        with self.db.transaction() as tx:
            inbox.ticket_sla_breached(tx, event["event_id"],
                                      TICKET_SLA_BREACHED.load(event["data"]))

    @on_event("ticket", "ticket_reminder_due")
    def notify_reminder(self, event):
        """The staff member who set a reminder that fell due."""
        with self.db.transaction() as tx:
            inbox.ticket_reminder_due(tx, event["event_id"],
                                      TICKET_REMINDER_DUE.load(event["data"]))


SERVICE = NotifyService

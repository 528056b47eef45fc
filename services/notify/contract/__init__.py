"""The notify service 消息通知 — its contract index: every RPC and every event.

Schemas live by area (contract/inbox.py).  `roles` is who may call (the
service's @rpc takes them from here); errors are besides Unauthenticated and
Forbidden, which any call may answer.
"""
from services.common.contracts import Consumes, Contract, Operation
from services.common.errors import Invalid, NotFound
from services.notify.contract.inbox import Inbox, InboxItem, InboxQuery
from services.vocabulary import STAFF

SERVICE = "notify"

CONTRACT = Contract(
    SERVICE,
    operations=[
        #         name         roles  input       output     errors
        Operation("inbox",     STAFF, InboxQuery, Inbox,     (Invalid,)),
        Operation("mark_read", STAFF, None,       InboxItem, (NotFound,)),
    ],
    consumes=[
        # each a reliable handler: one inbox notice per recipient per event
        Consumes("ticket", "ticket_created"),       # -> the acceptor
        Consumes("ticket", "ticket_assigned"),      # -> each of notify_staff_ids
        Consumes("ticket", "ticket_transferred"),   # -> each of notify_staff_ids
        Consumes("ticket", "ticket_dispatched"),    # -> the field staff member
        Consumes("ticket", "ticket_sla_breached"),  # -> the supervisors (or managers)
        Consumes("ticket", "ticket_reminder_due"),  # -> who set the reminder
    ],
)

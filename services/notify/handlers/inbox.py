"""Use cases of the staff inbox: deliver the notices an event calls for, read them.

Each delivery runs in the event handler's one transaction, which also records
(consumer, event_id): a redelivered event adds nothing, and an event with
several recipients lands for all of them or none.
"""
from services.common.errors import NotFound
from services.common.identity import Principal
from services.notify.domain import notices
from services.notify.store import inbox as store


def _deliver(tx, event_id: str, items: list[dict]) -> None:
    for item in items:
        store.insert_inbox_item(tx.cur, item, event_id)


def ticket_created(tx, event_id: str, ticket: dict) -> None:
    _deliver(tx, event_id, [notices.ticket_created_notice(ticket)])


def ticket_routed(tx, event_id: str, event_type: str, routed: dict) -> None:
    _deliver(tx, event_id, notices.routed_notices(event_type, routed))


def ticket_dispatched(tx, event_id: str, job: dict) -> None:
    _deliver(tx, event_id, [notices.dispatched_notice(job)])


def ticket_sla_breached(tx, event_id: str, breach: dict) -> None:
    _deliver(tx, event_id, notices.breached_notices(breach))


def ticket_reminder_due(tx, event_id: str, reminder: dict) -> None:
    _deliver(tx, event_id, [notices.reminder_notice(reminder)])


def followup_event(tx, event_id: str, event_type: str, task: dict) -> None:
    _deliver(tx, event_id, notices.followup_notices(event_type, task))


def inbox(tx, principal: Principal, query: dict) -> dict:
    """The caller's own notices, newest first."""
    return {"items": store.inbox_of(tx.cur, principal.id, query["limit"], query["unread"])}


def mark_read(tx, principal: Principal, item_id: str) -> dict:
    """One of the caller's own notices, marked read; anyone else's is NotFound."""
    item = store.mark_read(tx.cur, principal.id, item_id)
    if item is None:
        raise NotFound("no such notice")
    return item

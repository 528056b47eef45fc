"""Use cases of the queues (T5): "my tickets", "my group's unassigned", everything
(supervisors), with filters and keyset pages; and the counts of one's queues."""
from services.common.identity import Principal
from services.ticket.domain import pages
from services.ticket.domain import workflow as rules
from services.ticket.store import queues as store


def list_tickets(tx, principal: Principal, query: dict) -> dict:
    """A page of a queue, newest accepted first (see domain.workflow.queue_filters)."""
    read = rules.queue_filters(principal, query)
    rows = store.list_tickets(tx.cur, read["scope"], query, read["after"], query["limit"] + 1,
                              read["serial"], read["pattern"])
    rows, cursor = pages.page(rows, query["limit"], "accepted_at")
    return {"tickets": rows, "next_cursor": cursor}


def queue_counts(tx, principal: Principal) -> dict:
    """My open tickets by status, and each of my groups' unassigned tickets by status,
    from the counters the ticket table's trigger keeps (no table scan)."""
    groups = sorted(principal.groups)
    rows = store.counts(tx.cur, principal.id, groups)
    return rules.counts_view(rows, principal.id, groups)

"""Use cases of the queues (T5): "my tickets", "my group's unassigned", everything
(supervisors), with filters and keyset pages, within the caller's data scope; and the
counts of one's queues."""
from services.common.identity import Principal
from services.ticket.domain import access, pages
from services.ticket.domain import workflow as rules
from services.ticket.store import queues as store


def list_tickets(tx, principal: Principal, query: dict) -> dict:
    """A page of a queue, newest accepted first (see domain.workflow.queue_filters), of
    the tickets of the caller's scope; a classified customer's by their identity."""
    read = rules.queue_filters(principal, query)
    rows = store.list_tickets(tx.cur, read["view"], access.read_scope(principal), query,
                              read["after"], query["limit"] + 1, serial=read["serial"],
                              text=read["text"], pattern=read["pattern"])
    rows, cursor = pages.page(rows, query["limit"], "accepted_at")
    return {"tickets": [access.ticket_view(r, access.in_list(principal, r["level"]))
                        for r in rows],
            "next_cursor": cursor}


def queue_counts(tx, principal: Principal) -> dict:
    """My open tickets by status, and each of my groups' unassigned tickets by status,
    from the counters the ticket table's trigger keeps (no table scan)."""
    groups = sorted(principal.groups)
    rows = store.counts(tx.cur, principal.id, groups)
    return rules.counts_view(rows, principal.id, groups)

"""The report feed (issue 13): the snapshot every ticket event carries (the ticket row
after the change, read in the change's own transaction), and what the report service's
system identity reads to rebuild its facts and check its rollups (the contract lines
allow no one else)."""
from services.common.identity import Principal
from services.ticket.domain import report_feed as rules
from services.ticket.store import report_feed as store


def snapshot_of(cur, ticket_id: str) -> dict:
    """The ticket's snapshot as this transaction sees it (after its change)."""
    row = store.snapshot(cur, ticket_id)
    assert row is not None  # the ticket just changed, in this transaction
    return rules.snapshot(row)


def snapshots_of(cur, ticket_ids: list[str]) -> dict[str, dict]:
    """{ticket id: snapshot} of several tickets, in one read."""
    return {row["id"]: rules.snapshot(row) for row in store.snapshots(cur, ticket_ids)}


def report_tickets(tx, principal: Principal, page: dict) -> dict:
    """A page of every ticket's snapshot by id after `after`: {tickets, next}."""
    after = str(page["after"]) if page["after"] else None
    return rules.page(store.page(tx.cur, after, page["limit"] + 1), page["limit"])


def report_ticket_counts(tx, principal: Principal, query: dict) -> dict:
    """The owner's counts by China day x kind over [from, to] (both included)."""
    start, end = rules.period(query["from_"], query["to"])
    return rules.counts(store.counts(tx.cur, start, end))


def report_calls(tx, principal: Principal, page: dict) -> dict:
    """A page of every call's events by call id after `after`: {calls, next}."""
    return rules.call_page(store.call_page(tx.cur, page["after"], page["limit"] + 1),
                           page["limit"])


def report_contacts(tx, principal: Principal, page: dict) -> dict:
    """A page of every contact by id after `after`: {contacts, next}."""
    after = str(page["after"]) if page["after"] else None
    return rules.contact_page(store.contact_page(tx.cur, after, page["limit"] + 1),
                              page["limit"])


def report_call_counts(tx, principal: Principal, query: dict) -> dict:
    """The owner's call counts by China day over [from, to] (both included)."""
    start, end = rules.period(query["from_"], query["to"])
    return rules.call_counts(store.call_counts(tx.cur, start, end))

"""Use cases of the daily ticket rollup: count a ticket once, read the series."""
from services.common.identity import Principal
from services.common.zone import business_day
from services.report.store import daily as store


def count_ticket(tx, ticket: dict) -> None:
    """Count a new ticket on its business day (in China) and kind."""
    store.add_ticket(tx.cur, business_day(ticket["accepted_at"]), ticket["kind"])


def tickets_daily(tx, principal: Principal, query: dict) -> dict:
    """Tickets per day and kind between two days inclusive."""
    return {"series": store.tickets_daily(tx.cur, query["from_day"], query["to_day"])}

"""The field work feed (issue 13): what the report service's system identity reads to
rebuild its field job facts and check its field rollups (the contract lines allow no
one else)."""
from services.common.identity import Principal
from services.ticket.domain import report_feed as rules
from services.ticket.store import report_field as store

COUNTED = ("dispatched", "handled", "fee_fen")
_COLUMNS = ("dispatch_id", "ticket_id", "staff_id", "customer_id", "category_id", "level",
            "dispatched_at", "window_end", "handled_at", "arrived_at", "finished_at")


def _job(row: dict) -> dict:
    done = bool(row["done"])
    return {**{c: row[c] for c in _COLUMNS}, "level": int(row["level"] or 0),
            "parts": int(row["parts"] or 0) if done else None,
            "fee": row["fee"] if done else None, "paid": row["paid"] if done else None}


def report_dispatches(tx, principal: Principal, page: dict) -> dict:
    """A page of every dispatch by id after `after`: {dispatches, next}."""
    after = str(page["after"]) if page["after"] else None
    rows = store.dispatch_page(tx.cur, after, page["limit"] + 1)
    shown = rows[:page["limit"]]
    return {"dispatches": [_job(r) for r in shown],
            "next": shown[-1]["dispatch_id"] if len(rows) > page["limit"] else None}


def report_dispatch_counts(tx, principal: Principal, query: dict) -> dict:
    """The owner's field counts by China day over [from, to] (both included)."""
    start, end = rules.period(query["from_"], query["to"])
    return {"counts": [{"day": r["day"], **{n: int(r[n] or 0) for n in COUNTED}}
                       for r in store.dispatch_counts(tx.cur, start, end)]}

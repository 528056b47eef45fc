"""The report feed (issue 13): what the report service reads of each ticket — its
snapshot, the latest state, replaced on the report's side by a higher revision — and
the period the owner's own counts cover.  Plain functions, no I/O.

A snapshot holds ids, dimensions, times and counts only: never a word of the customer
(content, subject, form, contact), so a classified customer's events carry none."""
import datetime

from services.common.zone import day_start

COUNTED = ("created", "resolved", "closed", "cancelled", "reopened_tickets", "repeats",
           "response_breached", "resolution_breached")


def snapshot(row: dict) -> dict:
    """The snapshot of a ticket row (store.report_feed.SNAPSHOT's columns).  A repeat is
    a ticket with earlier tickets in repeat_of (T3); a breach, an escalation stamped by
    the SLA timer (migrations 0003/0006: response_escalated_at for the response target,
    escalated_at for the resolution target)."""
    repeat_of = list(row["repeat_of"] or ())
    return {
        "ticket_id": row["id"], "revision": int(row["revision"]), "kind": row["kind"],
        "category_id": row["category_id"], "channel": row["channel"],
        "urgency": row["urgency"], "group_name": row["group_name"],
        "assignee_id": row["assignee_id"], "acceptor_id": row["acceptor_id"],
        "customer_id": row["customer_id"], "level": int(row.get("level") or 0),
        "status": row["status"], "accepted_at": row["accepted_at"],
        "first_response_at": row["first_response_at"], "resolved_at": row["resolved_at"],
        "closed_at": row["closed_at"], "cancelled_at": row["cancelled_at"],
        "reopen_count": int(row["reopen_count"]), "transfer_count": int(row["transfer_count"]),
        "repeat": bool(repeat_of), "repeat_of": repeat_of,
        "response_breached": row["response_escalated_at"] is not None,
        "resolution_breached": row["escalated_at"] is not None,
    }


def period(first: datetime.date, last: datetime.date) -> tuple[datetime.datetime,
                                                               datetime.datetime]:
    """[start, end) of the days first..last in China (both included)."""
    return day_start(first), day_start(last + datetime.timedelta(days=1))


def page(rows: list[dict], limit: int) -> dict:
    """A keyset page of snapshots from up to limit + 1 rows by id: {tickets, next} —
    `next` the last id given when more follow, else None."""
    shown = rows[:limit]
    return {"tickets": [snapshot(r) for r in shown],
            "next": shown[-1]["id"] if len(rows) > limit else None}


def counts(rows: list[dict]) -> dict:
    """The counts answer from the store's rows (day, kind and each counted figure)."""
    return {"counts": [{"day": r["day"], "kind": r["kind"],
                        **{name: int(r[name] or 0) for name in COUNTED}} for r in rows]}


CALL_COUNTED = ("offered", "answered", "abandoned", "outbound")


def call_page(rows: list[dict], limit: int) -> dict:
    """A keyset page of calls from up to limit + 1 rows by call id: {calls, next}."""
    shown = rows[:limit]
    return {"calls": [{"call_id": r["call_id"], "events": [
                {**e, "at": datetime.datetime.fromisoformat(e["at"])} for e in r["events"]]}
                      for r in shown],
            "next": shown[-1]["call_id"] if len(rows) > limit else None}


def contact_page(rows: list[dict], limit: int) -> dict:
    """A keyset page of contacts from up to limit + 1 rows by id: {contacts, next}."""
    shown = rows[:limit]
    return {"contacts": shown, "next": shown[-1]["contact_id"] if len(rows) > limit else None}


def call_counts(rows: list[dict]) -> dict:
    """The call counts answer from the store's rows (day and each counted figure)."""
    return {"counts": [{"day": r["day"], **{name: int(r[name] or 0) for name in CALL_COUNTED}}
                       for r in rows]}

"""Use cases of field work 外勤 (R1, R2, R4) and the biggest customers.

A live ticket_dispatched or dispatch_handled event merges its side into the job's fact
and field_day gains the delta, in one transaction under the job's lock — so duplicates
and order change nothing (domain/field.py).  A rebuild's pages (the ticket service's
report_dispatches) keep whole facts only (a handled side a live event brought after the
page was read stays), stamped with its generation; its end corrects
field_day (handlers/rebuild.py).  The figures are read from field_day in the caller's
scope: a field staff member their own, supervisors up, admins and auditors everyone's.
The biggest customers are counted from the ticket and job facts, each within the
reader's clearance.
"""
import datetime

from services.common.identity import Principal
from services.common.zone import day_start
from services.report.domain import field as rules
from services.report.domain.figures import check_range
from services.report.handlers.facts import SOURCE as TICKET_SOURCE
from services.report.store import facts as fact_store
from services.report.store import field as store
from services.ticket.contract.report_field import ReportDispatches

SOURCE = "field"
TABLES = rules.TABLES
PAGE = ReportDispatches()


def _lag(occurred_at: datetime.datetime) -> float:
    return max(0.0, (datetime.datetime.now(datetime.UTC) - occurred_at).total_seconds())


def _merge_one(tx, part: dict, occurred_at: datetime.datetime) -> float:
    cur = tx.cur
    fact_store.lock_briefly(cur)
    store.lock_jobs(cur, [rules.lock_key(part["dispatch_id"])])
    generation = fact_store.current_generation(cur)
    [old] = store.facts_of(cur, [part["dispatch_id"]]) or [None]
    new = rules.merge(dict(old) if old else None, part)
    store.put_facts(cur, [new], generation)  # stamped even when nothing changed
    store.add(cur, rules.rows(rules.delta(dict(old) if old else None, new)))
    fact_store.advance_feed(cur, SOURCE, occurred_at)
    return _lag(occurred_at)


def job_dispatched(tx, event: dict, occurred_at: datetime.datetime) -> float:
    """A live ticket_dispatched (loaded): its side merged, field_day kept by the delta;
    the feed advanced.  The lag in seconds."""
    return _merge_one(tx, rules.dispatched_part(event, occurred_at), occurred_at)


def job_handled(tx, event: dict, occurred_at: datetime.datetime) -> float:
    """A live dispatch_handled (loaded, a job done): its side merged, field_day kept by
    the delta; the feed advanced.  The lag in seconds."""
    return _merge_one(tx, rules.handled_part(event), occurred_at)


def keep_dispatches(tx, records: list[dict], generation: int) -> int:
    """A rebuild's page of jobs (loaded ReportDispatch): each whole fact kept and stamped,
    no rollup touched (the rebuild corrects it at its end).  Locked in key order, as a
    live event's."""
    cur = tx.cur
    facts = {r["dispatch_id"]: rules.record_fact(r) for r in records}
    store.lock_jobs(cur, sorted({rules.lock_key(d) for d in facts}))
    kept = {f["dispatch_id"]: dict(f) for f in store.facts_of(cur, sorted(facts))}
    store.put_facts(cur, [rules.merge_record(kept.get(k), facts[k]) for k in sorted(facts)],
                    generation)
    return len(facts)


def keep_page(tx, records: list, generation: int, settings: dict) -> int:
    """A rebuild Source's keep: the owner's page (report_dispatches) checked and kept."""
    return keep_dispatches(tx, PAGE.load({"dispatches": records})["dispatches"], generation)


def day_sums(cur, first, last) -> list:
    """The check's side: field_day's sums per day (dispatched, handled, fee_fen)."""
    return store.day_sums(cur, first, last)


def differences(ours: list, owner: list) -> list:
    return rules.differences(ours, owner)


def as_of(tx):
    position = fact_store.feed_position(tx.cur, SOURCE)
    return position["last_occurred_at"] if position else None


def field_figures(tx, principal: Principal, query: dict) -> dict:
    """{from, to, period, as_of, columns, rows}: every period of the range for every key
    found (zeros where none), in the caller's scope."""
    first, last, period = query["from_day"], query["to_day"], query["period"]
    check_range(first, last)
    by = tuple(dict.fromkeys(query["by"]))
    staff = rules.within_scope(rules.staff_scope(principal.id, principal.roles),
                               query.get("staff_id"))
    found = store.field_counts(tx.cur, by, period, first, last, staff,
                               query.get("category_id"))
    columns, rows = rules.table(found, by, first, last, period)
    return {"from_day": first, "to_day": last, "period": period, "as_of": as_of(tx),
            "columns": columns, "rows": rows}


def top_customers(tx, principal: Principal, query: dict) -> dict:
    """{from, to, as_of, columns, rows}: the customers with the most tickets (then field
    jobs) in the period, counting only what is within the reader's clearance."""
    first, last = query["from_day"], query["to_day"]
    rules.check_top(first, last)
    found = store.top_customers(tx.cur, day_start(first),
                                day_start(last + datetime.timedelta(days=1)),
                                int(principal.clearance), query["limit"])
    position = fact_store.feed_position(tx.cur, TICKET_SOURCE)
    return {"from_day": first, "to_day": last,
            "as_of": position["last_occurred_at"] if position else None,
            "columns": ["customer_id", "tickets", "field_jobs"],
            "rows": [[r["customer_id"], int(r["tickets"]), int(r["field_jobs"])]
                     for r in found]}

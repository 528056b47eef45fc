"""Use cases of the call and contact statistics 话务报表 (R1, R2, R4).

A live call event is stored once per (call, event); the call's fact is merged again from
every event seen of it and the rollup gains the delta, in one transaction under the
call's lock — so duplicates and order change nothing.  A contact is counted once, as
logged.  A rebuild's pages (the ticket service's report_calls / report_contacts) keep
facts only (stamped with its generation); its end corrects the rollups, as the ticket
facts' does (handlers/rebuild.py).  The figures are read from the rollups in the
caller's scope: an agent their own calls and contacts, everyone else who reads figures
every queue and agent.
"""
import datetime

from services.common.identity import Principal
from services.report.domain import calls as rules
from services.report.domain.figures import check_range
from services.report.store import calls as store
from services.report.store import facts as fact_store

SOURCE = "calls"


def _lag(occurred_at: datetime.datetime) -> float:
    return max(0.0, (datetime.datetime.now(datetime.UTC) - occurred_at).total_seconds())


def _merge(cur, call_ids: list[str], generation: int, quick_seconds: int) -> list[tuple]:
    """Each call's fact merged again from its events and kept; the (old, new) pairs."""
    events: dict = {c: [] for c in call_ids}
    for e in store.events_of(cur, call_ids):
        events[e["call_id"]].append(e)
    kept = {f["call_id"]: f for f in store.calls_of(cur, call_ids)}
    pairs = [(kept.get(c), rules.call_fact(c, events[c], quick_seconds)) for c in call_ids]
    store.put_calls(cur, [new for _, new in pairs if new is not None], generation)
    return pairs


def call_recorded(tx, event: dict, occurred_at: datetime.datetime,
                  quick_seconds: int) -> float:
    """A live call event (CallRecorded, loaded): kept, its call's fact merged and the
    rollup kept by the delta; the feed advanced.  The lag in seconds."""
    cur = tx.cur
    fact_store.lock_briefly(cur)
    store.lock_calls(cur, [rules.lock_key(event["call_id"])])
    generation = fact_store.current_generation(cur)
    if store.put_events(cur, [event]):
        [(old, new)] = _merge(cur, [event["call_id"]], generation, quick_seconds)
        store.add(cur, rules.CALL_HOUR, rules.rows(rules.CALL_HOUR,
                                                   rules.delta(rules.CALL_HOUR, old, new)))
    else:  # seen already: nothing changes but the rebuild's mark
        store.stamp_calls(cur, [event["call_id"]], generation)
    fact_store.advance_feed(cur, SOURCE, occurred_at)
    return _lag(occurred_at)


def contact_logged(tx, contact: dict, occurred_at: datetime.datetime) -> float:
    """A live contact (ContactLogged, loaded): counted once; the feed advanced."""
    cur = tx.cur
    fact = rules.contact_fact(contact)
    if store.put_contacts(cur, [fact], fact_store.current_generation(cur)):
        store.add(cur, rules.CONTACT_HOUR,
                  rules.rows(rules.CONTACT_HOUR, rules.delta(rules.CONTACT_HOUR, None, fact)))
    fact_store.advance_feed(cur, SOURCE, occurred_at)
    return _lag(occurred_at)


def keep_calls(tx, calls: list[dict], generation: int, quick_seconds: int) -> int:
    """A rebuild's page of calls ({call_id, events}): their events kept, each call's fact
    merged again and stamped — no rollup touched (the rebuild corrects them at its end).
    The calls are locked in key order, as a live event's."""
    cur = tx.cur
    ids = sorted({c["call_id"] for c in calls})
    store.lock_calls(cur, sorted({rules.lock_key(c) for c in ids}))
    store.put_events(cur, [{**e, "call_id": c["call_id"]} for c in calls for e in c["events"]])
    _merge(cur, ids, generation, quick_seconds)  # stamped with the generation
    return len(ids)


def keep_contacts(tx, contacts: list[dict], generation: int) -> int:
    """A rebuild's page of contacts: each fact kept or stamped, no rollup touched."""
    facts = {c["contact_id"]: rules.contact_fact(c) for c in contacts}
    store.put_contacts(tx.cur, [facts[k] for k in sorted(facts)], generation)
    return len(facts)


def call_figures(tx, principal: Principal, query: dict, quick_seconds: int) -> dict:
    """{from, to, period, as_of, quick_hangup_seconds, points}: every period of the
    range for every key found (zeros where none), in the caller's scope."""
    first, last, period = query["from_day"], query["to_day"], query["period"]
    check_range(first, last)
    by = tuple(dict.fromkeys(query["by"]))
    agent = rules.within_scope(rules.agent_scope(principal.id, principal.roles),
                               query.get("agent_id"))
    queue = query.get("queue")
    calls = store.call_counts(tx.cur, by, period, first, last, queue, agent)
    contacts = store.contact_counts(tx.cur, by, period, first, last, queue, agent)
    rules.check_size(calls, contacts, by, first, last, period)
    position = fact_store.feed_position(tx.cur, SOURCE)
    return {"from_day": first, "to_day": last, "period": period,
            "as_of": position["last_occurred_at"] if position else None,
            "quick_hangup_seconds": quick_seconds,
            "points": rules.series(calls, contacts, by, first, last, period)}

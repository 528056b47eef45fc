"""Use cases of the ticket facts (R1): a live event's snapshot keeps its ticket's fact and
every rollup by its delta, in the caller's transaction; a rebuild's page keeps facts only.

The revision rule makes every path agree: a snapshot replaces the fact only when its
revision is higher, so a duplicate, a late one or a rebuild's older copy changes nothing
(a rebuild only marks the fact as seen by it).  A ticket's contribution also depends on
whether a later ticket names it in repeat_of (first-contact resolution), so the ticket
and the earlier tickets it names are locked first, in key order — by a live event and by
a rebuild's page alike.
"""
import datetime

from services.report.domain import facts as rules
from services.report.store import facts as store

SOURCE = "ticket"


def fact_of(snapshot: dict) -> dict:
    """The fact kept of a snapshot (the ticket service's TicketSnapshot, loaded)."""
    return {
        "ticket_id": snapshot["ticket_id"], "revision": snapshot["revision"],
        "kind": snapshot["kind"], "category_id": snapshot.get("category_id"),
        "channel": snapshot.get("channel") or "", "urgency": snapshot.get("urgency") or "",
        "group_name": snapshot.get("group_name"), "assignee_id": snapshot.get("assignee_id"),
        "acceptor_id": snapshot.get("acceptor_id") or "",
        "customer_id": snapshot.get("customer_id") or "", "level": snapshot.get("level") or 0,
        "status": snapshot["status"], "accepted_at": snapshot["accepted_at"],
        "first_response_at": snapshot.get("first_response_at"),
        "resolved_at": snapshot.get("resolved_at"), "closed_at": snapshot.get("closed_at"),
        "cancelled_at": snapshot.get("cancelled_at"),
        "reopen_count": snapshot.get("reopen_count") or 0,
        "transfer_count": snapshot.get("transfer_count") or 0,
        "repeat": bool(snapshot.get("repeat") or snapshot.get("repeat_of")),
        "repeat_of": [t for t in dict.fromkeys(snapshot.get("repeat_of") or ())
                      if t != snapshot["ticket_id"]],
        "response_breached": bool(snapshot.get("response_breached")),
        "resolution_breached": bool(snapshot.get("resolution_breached")),
    }


def created_fact(created: dict) -> dict:
    """A ticket_created from a publisher that sent no snapshot: the ticket as accepted,
    revision -1 (any snapshot of it replaces this)."""
    return fact_of({**created, "revision": -1, "status": "new", "assignee_id": None,
                    "repeat": bool(created.get("repeat_of"))})


def apply(tx, snapshot: dict) -> bool:
    """A live event's snapshot: its fact kept if it is newer, the rollups by its delta
    (the fact marked with the newest rebuild's generation).  Whether the fact changed."""
    cur = tx.cur
    new = fact_of(snapshot)
    locked = {rules.lock_key(t) for t in (new["ticket_id"], *new["repeat_of"])}
    store.lock_briefly(cur)
    store.lock_tickets(cur, sorted(locked))
    changes: list = []
    changed = _apply_one(cur, new, store.current_generation(cur), locked, changes)
    if changes:
        _add(cur, rules.combine(*changes))
    return changed


def keep_page(tx, snapshots: list[dict], generation: int) -> int:
    """A rebuild's page: each fact kept when its revision is higher, every one marked as
    seen by this rebuild, and the repeat links a replaced fact names made to follow it —
    no rollup touched (the rebuild corrects them all at its end; meanwhile live events
    keep theirs by deltas).  The page's tickets are locked first, in key order, like a
    live event's, so neither reads a fact the other is changing (a ticket's links as the
    later one change only under its own lock)."""
    cur = tx.cur
    newest: dict = {}
    for fact in map(fact_of, snapshots):
        if fact["ticket_id"] not in newest or rules.newer(newest[fact["ticket_id"]], fact):
            newest[fact["ticket_id"]] = fact
    store.lock_tickets(cur, sorted({rules.lock_key(t) for t in newest}))
    kept = {f["ticket_id"]: f for f in store.facts_of(cur, sorted(newest))} if newest else {}
    store.put_facts(cur, list(newest.values()), generation)
    store.stamp_all(cur, sorted(newest), generation)
    for ticket_id in sorted(newest):
        old, new = kept.get(ticket_id), newest[ticket_id]
        if rules.newer(old, new):
            added, dropped = rules.link_changes(old, new)
            if added:
                store.link(cur, sorted(added), ticket_id)
            if dropped:
                store.unlink(cur, sorted(dropped), ticket_id)
    return len(newest)


def _apply_one(cur, new: dict, generation: int, locked: set, changes: list) -> bool:
    ticket_id = new["ticket_id"]
    old = store.get_fact(cur, ticket_id)
    if not rules.newer(old, new):
        store.stamp(cur, ticket_id, generation)
        return False
    added, dropped = rules.link_changes(old, new)
    for key in sorted({rules.lock_key(t) for t in dropped} - locked):  # rare: repeat_of shrank
        store.lock_ticket(cur, key)
        locked.add(key)
    named = store.named_later(cur, ticket_id)
    changes.append((1, rules.delta(old, new, named, named)))
    store.put_fact(cur, new, generation)
    earlier = sorted(added | dropped)
    before = {t: store.named_later(cur, t) for t in earlier}
    if added:
        store.link(cur, sorted(added), ticket_id)
    if dropped:
        store.unlink(cur, sorted(dropped), ticket_id)
    for t in earlier:
        after = store.named_later(cur, t)
        fact = store.get_fact(cur, t) if after != before[t] else None
        if fact is not None:
            changes.append((1, rules.delta(fact, fact, before[t], after)))
    return True


def _add(cur, change: rules.Contribution) -> None:
    for table in rules.TABLES:
        rows = change[table]
        names = rules.TIME_COUNTERS if table == rules.TIME_DAY else rules.COUNTERS
        store.add(cur, table, [(*key, *(rows[key][n] for n in names)) for key in sorted(rows)])


def ticket_events(tx, events: list[tuple[dict | None, datetime.datetime]]) -> list[float]:
    """Several live ticket events in one transaction (a group commit: common/batch.py),
    in the order given: every ticket they name locked first, in key order, each
    snapshot applied as `apply` does, the rollups' deltas summed and added once, the
    feed advanced once.  Each event's lag, as ticket_event's."""
    cur = tx.cur
    facts = [fact_of(snapshot) for snapshot, _ in events if snapshot is not None]
    if facts:
        locked = {rules.lock_key(t) for new in facts for t in (new["ticket_id"], *new["repeat_of"])}
        store.lock_briefly(cur)
        store.lock_tickets(cur, sorted(locked))
        generation = store.current_generation(cur)
        changes: list = []
        for new in facts:
            _apply_one(cur, new, generation, locked, changes)
        if changes:
            _add(cur, rules.combine(*changes))
    if events:
        store.advance_feed(cur, SOURCE, max(at for _, at in events), len(events))
    now = datetime.datetime.now(datetime.UTC)
    return [max(0.0, (now - at).total_seconds()) for _, at in events]


def ticket_event(tx, snapshot: dict | None, occurred_at: datetime.datetime) -> float:
    """A live ticket event: its snapshot applied (none: nothing to apply), the feed
    advanced.  The lag: seconds from the event to its rollup."""
    if snapshot is not None:
        apply(tx, snapshot)
    store.advance_feed(tx.cur, SOURCE, occurred_at)
    return max(0.0, (datetime.datetime.now(datetime.UTC) - occurred_at).total_seconds())

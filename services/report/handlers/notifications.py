"""Use cases of the notification statistics (issue 13, R1, R2, R4).

A live outcome event of notify (notification_sent / _delivered / _failed, each naming
its messages) merges each message's fact — the highest state told — and the rollup
gains the delta, in one transaction under the messages' locks (ascending keys): so
duplicates and order change nothing.  A rebuild's pages (notify's report_notifications)
merge facts only, stamped with its generation; its end corrects the rollup
(handlers/rebuild.py).  The figures are read from the rollup: department-level (every
channel and template) for supervisors up, admins and auditors, never counting messages
above the reader's clearance.
"""
import datetime

from services.common.identity import Principal
from services.report.contract.notifications import NotifiedPage
from services.report.domain import notifications as rules
from services.report.domain.figures import check_range
from services.report.store import facts as fact_store
from services.report.store import notifications as store

SOURCE = "notifications"


def _lag(occurred_at: datetime.datetime) -> float:
    return max(0.0, (datetime.datetime.now(datetime.UTC) - occurred_at).total_seconds())


def _merge(cur, words: list[dict], generation: int) -> list[tuple]:
    """Each message's fact merged with what is told of it now (the caller holds the
    locks) and kept; the (old, new) pairs."""
    ids = sorted({w["message_id"] for w in words})
    kept = {f["message_id"]: dict(f) for f in store.facts_of(cur, ids)}
    now = dict(kept)
    for word in words:
        now[word["message_id"]] = rules.merged(now.get(word["message_id"]), word)
    store.put_facts(cur, [now[i] for i in ids], generation)
    return [(kept.get(i), now[i]) for i in ids]


def outcome(tx, event: dict, occurred_at: datetime.datetime) -> float:
    """A live outcome event (NotificationOutcome, loaded): each of its messages' facts
    merged and the rollup kept by the deltas; the feed advanced.  The lag in seconds."""
    cur = tx.cur
    words = [rules.told(m["message_id"], m["created_at"], event["channel"],
                        event["template"], m["level"], event["status"], event["reason"])
             for m in event["messages"]]
    if words:
        fact_store.lock_briefly(cur)
        store.lock_messages(cur, sorted({rules.lock_key(w["message_id"]) for w in words}))
        generation = fact_store.current_generation(cur)
        change: rules.Contribution = {}
        for old, new in _merge(cur, words, generation):
            for key, counters in rules.delta(old, new).items():
                row = change.setdefault(key, dict.fromkeys(rules.COUNTERS, 0))
                for name, n in counters.items():
                    row[name] += n
        store.add(cur, rules.rows({k: c for k, c in change.items() if any(c.values())}))
    fact_store.advance_feed(cur, SOURCE, occurred_at)
    return _lag(occurred_at)


def keep_notifications(tx, records: list[dict], generation: int) -> int:
    """A rebuild's page of messages (ReportNotification, loaded): each fact merged and
    stamped — no rollup touched (the rebuild corrects it at its end)."""
    words = [rules.told(r["message_id"], r["created_at"], r["channel"], r["template"],
                        r["level"], r["status"], r["reason"]) for r in records]
    if words:
        store.lock_messages(tx.cur, sorted({rules.lock_key(w["message_id"]) for w in words}))
        _merge(tx.cur, words, generation)
    return len({w["message_id"] for w in words})


def notification_figures(tx, principal: Principal, query: dict) -> dict:
    """{from, to, period, as_of, columns, rows}: every period of the range for every key
    found (zeros where none), messages at or below the caller's clearance."""
    first, last, period = query["from_day"], query["to_day"], query["period"]
    check_range(first, last)
    by = tuple(dict.fromkeys(query["by"]))
    found = store.counts(tx.cur, by, period, first, last, query.get("channel"),
                         query.get("template"), principal.clearance)
    position = fact_store.feed_position(tx.cur, SOURCE)
    return {"from_day": first, "to_day": last, "period": period,
            "as_of": position["last_occurred_at"] if position else None,
            "columns": rules.columns(by),
            "rows": rules.table(found, by, first, last, period)}


# -- the rebuild's source and the check's comparison (handlers/rebuild.py) ----------------
FEED_PAGE = NotifiedPage()


def keep_page(tx, records: list, generation: int, settings: dict) -> int:
    """Source.keep: one page of notify's report_notifications kept as facts."""
    return keep_notifications(tx, FEED_PAGE.load({"notifications": records})["notifications"],
                              generation)


def day_sums(cur, first, last) -> list:
    """Checked.ours: our sums per day and channel."""
    return store.day_sums(cur, first, last)


def differences(ours: list, owner: list) -> list:
    """Checked.differences: kind "notifications:<channel>"."""
    return rules.differences(ours, owner)

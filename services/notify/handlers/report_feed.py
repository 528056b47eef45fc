"""The report feed (issue 13): the report's system identity pages every message's
outcome to rebuild its notification facts, and reads notify's own counts to check its
rollups (contract/report_feed.py)."""
import datetime

from services.common.zone import day_start
from services.notify.store import report_feed as store

COUNTED = ("sent", "delivered", "undelivered", "failed", "skipped")


def report_notifications(tx, page: dict) -> dict:
    """A page of every message by id after `after`: {notifications, next}."""
    after = str(page["after"]) if page["after"] else None
    found = store.page(tx.cur, after, page["limit"] + 1)
    shown = found[:page["limit"]]
    return {"notifications": shown,
            "next": shown[-1]["message_id"] if len(found) > page["limit"] else None}


def report_notification_counts(tx, query: dict) -> dict:
    """Per China day and channel over [from, to] (both included): the messages made
    that day that were sent, delivered, undelivered, failed, skipped."""
    start = day_start(query["from_"])
    end = day_start(query["to"] + datetime.timedelta(days=1))
    return {"counts": [{"day": r["day"], "channel": r["channel"],
                        **{name: int(r[name] or 0) for name in COUNTED}}
                       for r in store.counts(tx.cur, start, end)]}

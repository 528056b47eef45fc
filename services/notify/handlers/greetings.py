"""Holiday greetings (N5): saved by supervisors, sent by a timer on the first day of the
holiday (chinese_calendar), at their hour, as a bulk batch whose key is the greeting and
the day — however many replicas tick, each greeting goes once a year."""
import datetime

from services.common.identity import Principal
from services.common.zone import CHINA
from services.notify.domain import holidays
from services.notify.domain import templates as rules
from services.notify.handlers import templates
from services.notify.handlers.batches import _plain
from services.notify.handlers.sends import store_now
from services.notify.store import batches as batches_store
from services.notify.store import greetings as store


def _shown(row: dict, today: datetime.date) -> dict:
    return {**row, "next_day": holidays.next_start(row["holiday"], today)}


def save_greeting(db, principal: Principal, data: dict) -> dict:
    with db.transaction() as tx:
        t = templates.current(tx, data["template"], data["channel"], "zh-CN")
        rules.check_params(data["params"], [v for v in rules.requested(t["variables"], True)
                                            if v != "holiday"])  # filled on the day
        row = store.insert(tx.cur, {**data, "segment": _plain(data["segment"]),
                                    "template_id": t["id"], "created_by": principal.id})
        return _shown(row, store_now(tx).astimezone(CHINA).date())


def greetings(db) -> dict:
    with db.transaction() as tx:
        today = store_now(tx).astimezone(CHINA).date()
        return {"greetings": [_shown(r, today) for r in store.listing(tx.cur)]}


def send_due(db) -> int:
    """Batches for the greetings whose holiday starts today and whose hour has come."""
    made = 0
    with db.transaction() as tx:
        local = store_now(tx).astimezone(CHINA)
        holiday = holidays.starting_on(local.date())
        if holiday is None:
            return 0
        for g in store.listing(tx.cur, active_only=True):
            if g["holiday"] != holiday or local.time() < g["send_at"]:
                continue
            t = templates.get_template(tx, g["template_id"])
            params = dict(g["params"])
            if "holiday" in t["variables"]:
                params.setdefault("holiday", holidays.NAMES.get(holiday, holiday))
            _, new = batches_store.insert(tx.cur, {
                "idem_key": f"greeting:{g['id']}:{local.date().isoformat()}",
                "template_id": g["template_id"], "channel": g["channel"],
                "title": f"{holidays.NAMES.get(holiday, holiday)}问候",
                "source": {"segment": g["segment"]}, "params": params, "not_before": None,
                "created_by": g["created_by"]})
            made += int(new)
    return made

"""Use case of the daily report 日报 (R3): once per day, by one replica, yesterday's
figures from the rollups (every group: it goes to managers), the last 30 days as a
curve, emitted as `daily_report` for the notify service to send on."""
import base64
import datetime
import logging

import eventlet.tpool

from services.common import charts
from services.report.contract.daily_report import DailyReport
from services.report.domain import daily_report as rules
from services.report.domain import figures as figure_rules
from services.report.domain.facts import DAY
from services.report.store import daily_reports as store
from services.report.store import figures as figure_store

log = logging.getLogger(__name__)
DAILY_REPORT = DailyReport()
NO_FILTERS = {"kind": None, "category_id": None, "channel": None, "group_name": None,
              "agent_id": None}


def _day_points(cur, first: datetime.date, last: datetime.date, by: tuple) -> list[dict]:
    rows = figure_store.counts(cur, DAY, by, "day", first, last, NO_FILTERS, None)
    times = figure_store.times(cur, by, "day", first, last, NO_FILTERS, None)
    return figure_rules.series(rows, times, by, first, last, "day")


def _backlog_at(cur, day: datetime.date) -> int:
    rows = figure_store.backlog_changes(cur, DAY, (), day, day, NO_FILTERS, None)
    series = figure_rules.backlog([r for r in rows if r["day"] is None],
                                  [r for r in rows if r["day"] is not None], None, day, day)
    return int(series[-1]["open"]) if series else 0


def chart_png(points: list[dict]) -> str | None:
    """The trend curve as base64 PNG (None, logged, when it cannot be drawn: the report
    goes without it rather than not at all)."""
    labels, lines = rules.chart_lines(points)
    try:
        png = eventlet.tpool.execute(charts.line_chart, "近 30 天工单趋势", labels, lines,
                                     "工单数", "日期", "png")
    except (charts.NoCjkFont, ValueError, OSError) as exc:
        log.warning("daily report without its chart: %s", exc)
        return None
    return base64.b64encode(png).decode("ascii")


def make_due(tx, now: datetime.datetime, hour: int, draw=chart_png) -> dict | None:
    """The day's report emitted (the day claimed in this transaction), or None: not
    due yet, or already made by this or another replica."""
    day = rules.due_day(now, hour)
    if day is None or not store.claim(tx.cur, day):
        return None
    first, last = rules.trend_range(day)
    trend = _day_points(tx.cur, first, last, ())
    by_kind = {p["kind"]: p["created"] for p in _day_points(tx.cur, day, day, ("kind",))}
    report = rules.compose(day, trend[-1], by_kind, _backlog_at(tx.cur, day))
    report["chart_png"] = draw(trend)
    tx.emit("daily_report", DAILY_REPORT.dump(report))
    log.info("daily report of %s made", day)
    return report

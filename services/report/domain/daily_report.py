"""The daily report 日报 (R3), no I/O: which day is due, and its text from the figures.

The day reported is yesterday in China, once the hour REPORT_DAILY_HOUR has come.  The
text holds counts only (no customer, no ticket content): it goes to mailboxes and
group chats.
"""
import datetime

from services.common.zone import CHINA

KIND_NAMES = {"consultation": "咨询", "after_sales": "售后", "complaint": "投诉",
              "suggestion": "建议"}
WEEKDAYS = "一二三四五六日"
TREND_DAYS = 30


def due_day(now: datetime.datetime, hour: int) -> datetime.date | None:
    """Yesterday in China, when `hour` o'clock has come today; else None."""
    local = now.astimezone(CHINA)
    if local.hour < hour:
        return None
    return local.date() - datetime.timedelta(days=1)


def trend_range(day: datetime.date) -> tuple[datetime.date, datetime.date]:
    return day - datetime.timedelta(days=TREND_DAYS - 1), day


def _minutes(seconds: float | None) -> str:
    return "—" if seconds is None else f"{seconds / 60:.1f} 分钟"


def _share(part: int, whole: int) -> str:
    return "—" if not whole else f"{100 * part / whole:.1f}%"


def figures_of(totals: dict, backlog_open: int) -> dict:
    """The integers the report states (what robots' webhooks and tests read)."""
    keys = ("created", "resolved", "closed", "same_day", "fcr", "repeats",
            "response_breached", "resolution_breached", "reopened")
    return {**{k: int(totals.get(k) or 0) for k in keys}, "backlog": int(backlog_open)}


def compose(day: datetime.date, totals: dict, by_kind: dict[str, int],
            backlog_open: int) -> dict:
    """{subject, text, markdown, figures} of the day: `totals` a figures point of the day
    (counters and times), `by_kind` tickets created per kind, `backlog_open` tickets open
    at the day's end."""
    f = figures_of(totals, backlog_open)
    title = f"客服日报 {day.isoformat()}（星期{WEEKDAYS[day.weekday()]}）"
    kinds = "，".join(f"{KIND_NAMES.get(k, k)} {n}" for k, n in sorted(
        by_kind.items(), key=lambda item: (-item[1], item[0])) if n)
    lines = [
        f"新建工单 {f['created']}" + (f"（{kinds}）" if kinds else ""),
        f"已解决 {f['resolved']}，其中当日解决 {f['same_day']}，一次解决 {f['fcr']}"
        f"（一次解决率 {_share(f['fcr'], f['resolved'])}）",
        f"已关闭 {f['closed']}，重新打开 {f['reopened']}，重复来电 {f['repeats']}",
        f"响应超时 {f['response_breached']}，处理超时 {f['resolution_breached']}",
        f"平均首次响应 {_minutes(totals.get('response_mean'))}，"
        f"平均解决 {_minutes(totals.get('resolution_mean'))}",
        f"日终未结工单 {f['backlog']}",
    ]
    footer = f"附图：近 {TREND_DAYS} 天新建与解决工单。"
    text = "\n".join([title, "", *lines, "", footer])
    markdown = "\n".join([f"### {title}", "", *(f"- {line}" for line in lines)])
    return {"day": day, "subject": title, "text": text, "markdown": markdown, "figures": f}


def chart_lines(points: list[dict]) -> tuple[list[str], list[tuple[str, list[float]]]]:
    """(labels, lines) of the trend chart from day points (period, created, resolved)."""
    labels = [p["period"].strftime("%m-%d") for p in points]
    return labels, [("新建", [p["created"] for p in points]),
                    ("已解决", [p["resolved"] for p in points])]

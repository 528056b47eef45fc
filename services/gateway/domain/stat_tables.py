"""The console's figure tables 统计表 (issue 13), free of I/O: 外勤与费用 (field work and
fees), 回访 (follow-ups), 满意度 (CSAT / NPS), IVR 评价 (keypad rating offers) and 通知
(notifications by channel and template).  Each report answers rows — {columns, rows},
one row per period and key — and a table shows one line per key over the whole range:
its counts summed, its rates computed again from the summed counts (pooled, never
averaged), money in yuan.
"""
import datetime
from collections.abc import Callable
from dataclasses import dataclass, field

from services.gateway.domain.statistics import share


@dataclass(frozen=True)
class Table:
    """A figure table: the report operation it reads, its groupings ({by: Chinese name})
    and the answer's column of each, its columns ((column, header, how shown)), and its
    rates made again from the summed counts."""
    slug: str
    title: str
    operation: str
    dimensions: dict
    key_columns: dict
    columns: tuple
    rates: dict = field(default_factory=dict)
    note: str = ""
    empty: str = "此期间没有数据"


RATES = ("percent", "score")  # columns made again from the summed counts


def _pct(part: str, whole: str) -> Callable[[dict], float | None]:
    return lambda r: share(r.get(part) or 0, r.get(whole) or 0)


def _nps(r: dict) -> float | None:
    n = r.get("nps_answers") or 0
    return round(((r.get("promoters") or 0) - (r.get("detractors") or 0)) * 100 / n, 1) \
        if n else None


def _failure(r: dict) -> float | None:
    return share((r.get("failed") or 0) + (r.get("undelivered") or 0),
                 (r.get("sent") or 0) + (r.get("failed") or 0))


def _csat(r: dict) -> float | None:
    n = r.get("csat_answers") or 0
    return round((r.get("satisfied") or 0) * 100 / n, 1) if n else None


TABLES = {
    "field": Table(
        "field", "外勤与费用", "field_figures", {"staff": "外勤人员", "category": "分类"},
        {"staff": "staff_id", "category": "category_id"},
        (("dispatched", "派工", "count"), ("handled", "完工", "count"),
         ("late", "超时完工", "count"), ("minutes", "现场工时", "minutes"),
         ("parts", "配件数", "count"), ("fee_fen", "应收费用", "fen"),
         ("paid_fen", "已收费用", "fen")),
        note="派工按派出日计，完工、工时、配件与费用按完工日计；费用为部门自有账目（元）。"),
    "followups": Table(
        "followups", "回访", "followup_figures", {"agent": "座席", "group": "组"},
        {"agent": "agent_id", "group": "group_name"},
        (("created", "新建", "count"), ("due", "到期", "count"), ("done", "完成", "count"),
         ("reached", "回访成功", "count"), ("unreachable", "无法联系", "count"),
         ("missed", "超期", "count"), ("done_on_time", "按时完成", "count"),
         ("on_time_rate", "按时率", "percent")),
        rates={"on_time_rate": _pct("done_on_time", "done")},
        note="每个回访任务计一次：新建按创建日、到期按到期日、完成按完成日、超期按超期日。"),
    "satisfaction": Table(
        "satisfaction", "满意度", "satisfaction_figures",
        {"agent": "座席", "group": "组", "kind": "类型", "source": "来源"},
        {"agent": "agent_id", "group": "group_name", "kind": "ticket_kind",
         "source": "source"},
        (("answers", "答卷", "count"), ("csat_answers", "满意度评分", "count"),
         ("satisfied", "满意", "count"), ("csat", "满意率 CSAT", "percent"),
         ("nps_answers", "推荐度评分", "count"), ("promoters", "推荐者", "count"),
         ("detractors", "贬损者", "count"), ("nps", "NPS", "score")),
        rates={"csat": _csat, "nps": _nps},
        note="满意：评分 4–5 分；NPS = 推荐者(9–10) − 贬损者(0–6) 占比；"
             "来源：坐席回访、IVR 按键、短信链接。"),
    "ivr": Table(
        "ivr", "IVR 评价", "ivr_offer_figures",
        {"agent": "座席", "group": "组", "kind": "类型"},
        {"agent": "agent_id", "group": "group_name", "kind": "ticket_kind"},
        (("offered", "转评价", "count"), ("rated", "已评价", "count"),
         ("rating_rate", "参评率", "percent")),
        rates={"rating_rate": _pct("rated", "offered")},
        note="通话结束转入按键评价计一次（满意度发送），客户按键后计已评价；按转评价日计。"),
    "notifications": Table(
        "notifications", "通知", "notification_figures",
        {"channel": "渠道", "template": "模板"}, {"channel": "channel", "template": "template"},
        (("sent", "已发送", "count"), ("delivered", "已送达", "count"),
         ("undelivered", "未送达", "count"), ("failed", "失败", "count"),
         ("skipped", "跳过", "count"), ("delivery_rate", "送达率", "percent"),
         ("failure_rate", "失败率", "percent")),
        rates={"delivery_rate": _pct("delivered", "sent"), "failure_rate": _failure},
        note="每条消息按创建日计一次、按其最终状态：送达回执仅短信有；跳过为退订、无地址或频率限制。"),
}


def summed(answer: dict, table: Table, by: str) -> list[dict]:
    """One row per key over every period: {key, <column>: summed count or rate made
    again}; keys in the report's order."""
    names = list(answer.get("columns") or ())
    key_column = table.key_columns.get(by)
    counted = [c for c, _, how in table.columns if how not in RATES]
    out: dict = {}
    for values in answer.get("rows") or ():
        row = dict(zip(names, values, strict=False))
        key = row.get(key_column) if key_column else None
        line = out.setdefault(key, {"key": key, **dict.fromkeys(counted, 0)})
        for c in counted:
            line[c] += row.get(c) or 0
    for line in out.values():
        for column, rate in table.rates.items():
            line[column] = rate(line)
    return list(out.values())


def total(rows: list[dict], table: Table) -> dict:
    """The table's 合计 line: every key's counts summed, rates made again."""
    counted = [c for c, _, how in table.columns if how not in RATES]
    line = {c: sum(r.get(c) or 0 for r in rows) for c in counted}
    for column, rate in table.rates.items():
        line[column] = rate(line)
    return line


def shown(value, how: str) -> str:
    """A cell as the table shows it."""
    if value is None:
        return "—"
    if how == "percent":
        return f"{value:.1f}%"
    if how == "score":
        return f"{value:.1f}"
    if how == "fen":
        return f"¥{value / 100:,.2f}"
    if how == "minutes":
        return f"{value / 60:.1f} 小时"
    return f"{value:,}"


TOP_DAYS = 92  # the biggest customers are counted over at most this many days


def top_from(first: str, last: str) -> str:
    """The first day the biggest customers are counted from: the page's, or the last
    TOP_DAYS days up to its last day when its range is longer (days as typed when they
    are no dates: the report names the bad one)."""
    try:
        start, end = datetime.date.fromisoformat(first), datetime.date.fromisoformat(last)
    except ValueError:
        return first
    return max(start, end - datetime.timedelta(days=TOP_DAYS - 1)).isoformat()

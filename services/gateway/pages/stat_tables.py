"""Figure tables 统计表 (issue 13): 外勤与费用 (field work and fees per field staff
member or category, and the biggest customers by service count), 回访 (follow-ups per
agent or group), 满意度 (CSAT / NPS per agent, group, kind or source) and 通知 (messages
per channel or template).  Each page: the period filters, a curve of its first two
counts per period, and one line per key over the range (services/gateway/domain/
stat_tables.py); asked of the report service in the person's own scope, as every
statistics page (pages/statistics.py): a part slow or down says 暂不可用.
"""
import datetime

from werkzeug.wrappers import Response

from services.common.zone import CHINA
from services.gateway.domain import stat_tables as tables
from services.gateway.domain import statistics as figures
from services.gateway.handlers import console
from services.gateway.pages import statistics, words
from services.gateway.pages.web import Visit
from services.report import contract as report_contract

READERS = statistics.TABLE_READERS
CUSTOMER_READERS = report_contract.CONTRACT.operation("top_customers").roles
TOP = 20  # the biggest customers shown
SOURCES = {"agent": "坐席回访", "ivr": "IVR 按键", "link": "短信链接"}


def _names(visit: Visit, by: str, keys) -> dict:
    if by in ("agent", "staff"):
        return console.staff_names(visit.service.db, [k for k in keys if k][:200])
    if by == "group":
        return console.group_labels(visit.service.db)
    if by == "kind":
        return dict(words.KIND)
    if by == "source":
        return SOURCES
    if by == "channel":
        return dict(words.MESSAGE_CHANNEL) | {"inbox": "站内信"}
    return {}


def _label(names: dict, by: str, key) -> str:
    if key is None or key == "":
        return {"agent": "（未分派）", "staff": "（无）", "group": "（无组）",
                "category": "（未分类）", "template": "（无模板）"}.get(by, "（无）")
    return names.get(key) or str(key)


def _curve(table: tables.Table, answer: dict, period: str) -> dict | None:
    names = list(answer.get("columns") or ())
    if "period" not in names:
        return None
    firsts = [c for c, _, how in table.columns if how == "count"][:2]
    per: dict = {}
    for values in answer.get("rows") or ():
        row = dict(zip(names, values, strict=False))
        line = per.setdefault(str(row["period"]), dict.fromkeys(firsts, 0))
        for c in firsts:
            line[c] += row.get(c) or 0
    periods = sorted(per)
    headers = {c: h for c, h, _ in table.columns}
    return figures.line_chart(table.title, periods, period,
                              [(headers[c], [per[p][c] for p in periods]) for c in firsts])


def page(slug: str):
    """The page of one table (TABLES[slug])."""
    table = tables.TABLES[slug]

    def show(visit: Visit, request) -> Response:
        now = datetime.datetime.now(CHINA)
        query = figures.page_query(request.args, table.dimensions, now.date())
        asked = {table.slug: (table.operation, {
            "period": query["period"], "from": query["from"], "to": query["to"],
            "by": [query["by"]]})}
        top = slug == "field" and visit.may(CUSTOMER_READERS)
        if top:
            top_from = tables.top_from(query["from"], query["to"])
            asked["top"] = ("top_customers", {"from": top_from, "to": query["to"],
                                              "limit": TOP})
        found, why = statistics._ask(visit, asked)
        answer = found[table.slug]
        rows, total, chart, as_of = [], None, None, ""
        if answer is not None:
            rows = tables.summed(answer, table, query["by"])
            names = _names(visit, query["by"], [r["key"] for r in rows])
            for row in rows:
                row["label"] = _label(names, query["by"], row["key"])
            total = tables.total(rows, table)
            chart = _curve(table, answer, query["period"])
            as_of = figures.as_of_label(answer.get("as_of"), now, CHINA)
        customers = None
        if top and found.get("top") is not None:
            columns = found["top"].get("columns") or []
            customers = [dict(zip(columns, values, strict=False))
                         for values in found["top"].get("rows") or ()]
        return visit.render(
            "stats_table.html", table=table, query=query, periods=figures.PERIODS,
            dimensions=table.dimensions, rows=rows, total=total, chart=chart, as_of=as_of,
            error=why.get(table.slug, ""), shown=tables.shown, customers=customers,
            customers_error=why.get("top", "") if top else "", tabs=statistics.tabs(visit),
            top_span=(tables.top_from(query["from"], query["to"]), query["to"]))

    show.__name__ = f"stats_{slug}"
    return show


"""Statistics 统计 (issue 13): 今日看板 (today's board for a supervisor: backlog, tickets
created and resolved, SLA breaches, calls and the answer rate, follow-ups due, CSAT —
refreshing itself every 30 s), 趋势 (created / resolved / backlog as a curve by day,
week or month, and the table per agent, group or kind) and 话务报表 (calls offered and
answered as a curve, the table per queue, agent or hour).

Every figure is asked of its owner in the person's own scope (an agent reads their own
figures, a supervisor their groups', managers up all): the pages widen nothing.  The
board's parts are asked in parallel under a deadline; a part whose service is slow or
down says 暂不可用 and the rest is shown.  A part the person's role may not read is not
drawn at all.

The export and chart buttons open the console's own download addresses, each the API
route of the same path under /api/v1/reports with the same query (the route's own code
runs, as this person: the browser holds a session cookie, not an API token).
"""
import datetime

from nameko.extensions import ENTRYPOINT_EXTENSIONS_ATTR
from werkzeug.datastructures import ImmutableMultiDict
from werkzeug.wrappers import Response

from services.common.errors import DeadlineExceeded, Forbidden, KefuError, Unavailable
from services.common.rpc import gather_settled
from services.common.zone import CHINA
from services.gateway.domain import stat_tables
from services.gateway.domain import statistics as figures
from services.gateway.handlers import console
from services.gateway.http import Api
from services.gateway.pages import words
from services.gateway.pages.message_templates import said
from services.gateway.pages.web import Visit, invalid_fields
from services.gateway.pages.workbench import PART_SECONDS, settle
from services.report import contract as report_contract
from services.survey import contract as survey_contract
from services.vocabulary import SUPERVISORS_UP

READERS = report_contract.FIGURE_READERS  # the menu item and every page: own scope
CALL_READERS = report_contract.CONTRACT.operation("call_figures").roles
CSAT_READERS = survey_contract.FIGURE_READERS
FOLLOWERS = survey_contract.FOLLOWERS
FOLLOWUP_PAGE = 200  # follow-ups counted per view (more: "200+")
PARTS = {"tickets": "工单", "backlog": "积压", "calls": "话务", "due": "回访",
         "overdue": "回访", "csat": "满意度"}
# The console's download addresses and the API routes they run.
DOWNLOADS = {"/stats/tickets/export": "/api/v1/reports/tickets/export",
             "/stats/tickets/chart": "/api/v1/reports/tickets/chart",
             "/stats/calls/export": "/api/v1/reports/calls/export",
             "/stats/calls/chart": "/api/v1/reports/calls/chart"}
# the figure tables (pages/stat_tables.py): who may open each
TABLE_READERS = {slug: report_contract.CONTRACT.operation(t.operation).roles
                 for slug, t in stat_tables.TABLES.items()}
TICKET_MEASURES = "created,resolved"
CALL_MEASURES = "offered,answered"


def _now() -> datetime.datetime:
    return datetime.datetime.now(CHINA)


def tabs(visit: Visit) -> list[tuple[str, str]]:
    """The statistics tabs this person may open."""
    pages = [("/stats", "今日看板"), ("/stats/trends", "趋势"), ("/stats/calls", "话务报表")]
    return (pages if visit.may(READERS) else []) + [
        (f"/stats/{slug}", t.title) for slug, t in stat_tables.TABLES.items()
        if visit.may(TABLE_READERS[slug])]


# -- 今日看板 ------------------------------------------------------------------------------
def board(visit: Visit, request) -> Response:
    """今日看板: the board, which then refreshes its part itself."""
    return visit.render("stats_board.html", tabs=tabs(visit), **_board(visit))


def board_part(visit: Visit, request) -> Response:
    """The board's figures (the fragment the page asks again every 30 s)."""
    return visit.render("stats_board_part.html", **_board(visit))


def _board(visit: Visit) -> dict:
    now = _now()
    today = now.date().isoformat()
    day = {"period": "day", "from": today, "to": today}
    parts: dict = {"tickets": ("report", "ticket_figures", ({**day, "by": []},)),
                   "backlog": ("report", "ticket_backlog", ({"from": today, "to": today},))}
    if visit.may(CALL_READERS):
        parts["calls"] = ("report", "call_figures", ({**day, "by": []},))
    if visit.may(FOLLOWERS):
        asked = "list_followups" if visit.may(SUPERVISORS_UP) else "my_followups"
        for view in ("due", "overdue"):
            parts[view] = ("survey", asked, ({"view": "due_today" if view == "due" else view,
                                              "limit": FOLLOWUP_PAGE},))
    if visit.may(CSAT_READERS):
        parts["csat"] = ("survey", "satisfaction", ({**day, "by": []},))
    shown, missing = settle(visit, parts)
    return {"now": now, "shown": parts.keys(),
            "missing_names": sorted({PARTS[name] for name in missing}),
            **_board_figures(shown, now)}


def _board_figures(shown: dict, now: datetime.datetime) -> dict:
    """What each part shows (a part that did not answer: None)."""
    def as_of(reply) -> str:
        return figures.as_of_label((reply or {}).get("as_of"), now, CHINA)

    out: dict = {"tickets": None, "backlog": None, "calls": None, "followups": None,
                 "csat": None}
    if shown.get("tickets") is not None:
        totals = figures.per_period(shown["tickets"].get("series") or (),
                                    figures.TICKET_COUNTS)
        today = next(iter(totals.values()), dict.fromkeys(figures.TICKET_COUNTS, 0))
        out["tickets"] = {**today, "as_of": as_of(shown["tickets"])}
    if shown.get("backlog") is not None:
        series = shown["backlog"].get("series") or ()
        out["backlog"] = {"open": sum(p.get("open") or 0 for p in series),
                          "as_of": as_of(shown["backlog"])}
    if shown.get("calls") is not None:
        out["calls"] = {**figures.call_row(shown["calls"].get("points") or []),
                        "as_of": as_of(shown["calls"])}
    if shown.get("due") is not None and shown.get("overdue") is not None:
        out["followups"] = {view: _count(shown[view]) for view in ("due", "overdue")}
        out["followups"]["as_of"] = "截至 " + now.strftime("%H:%M")
    if shown.get("csat") is not None:
        rows = shown["csat"].get("figures") or []
        answers = sum(r.get("csat_answers") or 0 for r in rows)
        satisfied = sum(r.get("satisfied") or 0 for r in rows)
        out["csat"] = {"csat": figures.share(satisfied, answers), "answers": answers,
                       "as_of": "截至 " + now.strftime("%H:%M")}
    return out


def _count(page: dict) -> str:
    tasks = len(page.get("tasks") or ())
    return f"{tasks}+" if page.get("next") else str(tasks)


# -- 趋势 ----------------------------------------------------------------------------------
def _names(visit: Visit, by: str, keys) -> dict:
    """{key: its Chinese name} of a table's keys."""
    if by == "agent":
        return console.staff_names(visit.service.db, [k for k in keys if k][:200])
    if by == "group":
        return console.group_labels(visit.service.db)
    if by == "kind":
        return dict(words.KIND)
    if by == "hour":
        return {k: figures.hour_label(k) for k in keys}
    return {}


def _label(names: dict, by: str, key) -> str:
    if key is None or key == "":
        return {"agent": "（未分派）", "group": "（无组）", "queue": "（无队列）"}.get(by, "（无）")
    return names.get(key) or str(key)


def trends(visit: Visit, request) -> Response:
    """趋势: created, resolved and backlog over the periods; the table by agent, group or
    kind below; export and chart buttons for the same query."""
    query = figures.page_query(request.args, figures.TICKET_BY, _now().date())
    found, why = _ask(visit, {
        "tickets": ("ticket_figures", {"period": query["period"], "from": query["from"],
                                       "to": query["to"], "by": [query["by"]]}),
        "backlog": ("ticket_backlog", {"from": query["from"], "to": query["to"]})})
    chart, rows, as_of = None, [], ""
    if found["tickets"] is not None:
        series = found["tickets"].get("series") or []
        totals = figures.per_period(series, ("created", "resolved"))
        periods = list(totals)
        lines = [("新建", [t["created"] for t in totals.values()]),
                 ("解决", [t["resolved"] for t in totals.values()])]
        if found["backlog"] is not None:
            lines.append(("积压", figures.backlog_by_period(
                periods, found["backlog"].get("series") or (), query["period"])))
        chart = figures.line_chart("工单趋势", periods, query["period"], lines)
        rows = _labelled(visit, query["by"], figures.ticket_rows(series, query["by"]))
        as_of = figures.as_of_label(found["tickets"].get("as_of"), _now(), CHINA)
    link = figures.link_query(query)
    return visit.render(
        "stats_trends.html", tabs=tabs(visit), query=query, periods=figures.PERIODS,
        dimensions=figures.TICKET_BY,
        chart=chart, rows=rows, error=why.get("tickets", ""), as_of=as_of,
        backlog_missing="backlog" in why and "tickets" not in why, span=figures.span,
        percent=figures.percent,
        exports={"xlsx": f"/stats/tickets/export?format=xlsx&{link}",
                 "csv": f"/stats/tickets/export?format=csv&{link}",
                 "png": f"/stats/tickets/chart?format=png&measure={TICKET_MEASURES}&"
                        + figures.link_query(query, by=False)})


def _labelled(visit: Visit, by: str, rows: list[dict]) -> list[dict]:
    names = _names(visit, by, [r["key"] for r in rows])
    for row in rows:
        row["label"] = _label(names, by, row["key"])
    return rows


def _ask(visit: Visit, asked: dict) -> tuple[dict, dict]:
    """{name: the report's answer or None} of {name: (operation, query)}, asked in
    parallel, and {name: why not, in Chinese} (a bad day: the field named; a service
    slow, down or without the operation yet: 暂不可用)."""
    names = list(asked)
    replies = gather_settled([(getattr(visit.service.report, operation), (query,), {})
                              for operation, query in asked.values()], PART_SECONDS)
    found: dict = {}
    why: dict = {}
    for name, reply in zip(names, replies, strict=True):
        found[name] = None if isinstance(reply, Exception) else reply
        if not isinstance(reply, Exception):
            continue
        refused = isinstance(reply, KefuError) and not isinstance(
            reply, Unavailable | DeadlineExceeded)
        why[name] = _refusal(reply) if refused else "暂不可用"
    return found, why


FIELDS = {"from": "从", "to": "到", "by": "按", "period": "周期"}


def _refusal(exc: Exception) -> str:
    """A refused query in Chinese, each field named as the filters name it."""
    fields = invalid_fields(exc)
    if "_form" in fields:
        return said(exc)
    return "；".join(f"{FIELDS.get(name, name)}：{'、'.join(reasons)}"
                    for name, reasons in fields.items())


# -- 话务报表 --------------------------------------------------------------------------------
def calls(visit: Visit, request) -> Response:
    """话务报表: calls offered and answered over the periods; the table by queue, agent
    or hour of the day; export and chart buttons for the same query."""
    query = figures.page_query(request.args, figures.CALL_BY, _now().date())
    asked = {"period": query["period"], "from": query["from"], "to": query["to"],
             "by": [query["by"]]}
    replies, why = _ask(visit, {"calls": ("call_figures", asked)})
    found, error = replies["calls"], why.get("calls", "")
    chart, rows, total, as_of = None, [], None, ""
    if found is not None:
        points = found.get("points") or []
        totals = figures.per_period(points, ("offered", "answered"))
        chart = figures.line_chart("话务趋势", list(totals), query["period"], [
            ("呼入", [t["offered"] for t in totals.values()]),
            ("接通", [t["answered"] for t in totals.values()])])
        rows = _labelled(visit, query["by"], figures.call_rows(points, query["by"]))
        total = figures.call_row(points)
        as_of = figures.as_of_label(found.get("as_of"), _now(), CHINA)
    link = figures.link_query(query)
    return visit.render(
        "stats_calls.html", tabs=tabs(visit), query=query, periods=figures.PERIODS,
        dimensions=figures.CALL_BY,
        chart=chart, rows=rows, total=total, error=error, as_of=as_of, span=figures.span,
        percent=figures.percent,
        exports={"xlsx": f"/stats/calls/export?format=xlsx&{link}",
                 "csv": f"/stats/calls/export?format=csv&{link}",
                 "png": f"/stats/calls/chart?format=png&measure={CALL_MEASURES}&"
                        + figures.link_query(query, by=False)})


# -- downloads: the API route of the same path, run as this person ------------------------------
def _api_routes(service_class) -> dict:
    found = {}
    for name in dir(service_class):
        for extension in getattr(getattr(service_class, name), ENTRYPOINT_EXTENSIONS_ATTR, ()):
            if isinstance(extension, Api):
                found[(extension.method, extension.url)] = (name, extension.allow)
    return found


_ROUTES: dict = {}


def download(visit: Visit, request) -> Response:
    """An export (XLSX, CSV) or a chart (PNG, SVG) of a statistics page: the API route
    of the same path and query answers, as the signed-in person (the page's filters by
    default: the last 30 days by day)."""
    target = DOWNLOADS[request.path]
    service_class = type(visit.service)
    if service_class not in _ROUTES:
        _ROUTES[service_class] = _api_routes(service_class)
    routes = _ROUTES[service_class]
    if ("GET", target) not in routes:
        raise Unavailable("导出暂不可用")
    name, allow = routes[("GET", target)]
    if not visit.person.has_any(allow):
        raise Forbidden("您的角色无权导出此报表")
    dimensions = figures.CALL_BY if "/calls/" in target else figures.TICKET_BY
    defaults = figures.page_query(request.args, dimensions, _now().date())
    asked = request.args.to_dict()
    for field in ("period", "from", "to"):
        asked.setdefault(field, defaults[field])
    if "/chart" in target:  # the page's curve: totals, no line per key unless asked
        asked.setdefault("measure", CALL_MEASURES if "/calls/" in target else TICKET_MEASURES)
        asked.setdefault("format", "png")
    else:
        asked.setdefault("by", defaults["by"])
        asked.setdefault("format", "xlsx")
    request.args = ImmutableMultiDict(asked)
    reply = getattr(visit.service, name)(request)
    if isinstance(reply, Response):
        return reply
    raise Unavailable("导出暂不可用")

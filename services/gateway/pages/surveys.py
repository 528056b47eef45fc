"""Questionnaires 问卷 and satisfaction 满意度 (issue 12, V3, V4).

问卷: the questionnaires by name with their versions; a draft is edited in a form of
question rows (the kind, the text, required or not, a choice question's options one per
line, which 1–5 question is the CSAT one, a text question's length) — "添加题目" draws
one more row, a row left blank is no question — and published with one button; a
published version is shown read only (it never changes: its answers keep it), and
"新版本" starts the next draft from it.  Admins and managers edit; supervisors read.

满意度: CSAT and NPS by agent, group, kind, category or source, per month (or week, day,
all), with the number of answers behind each figure, and the keypad's offered/rated
calls — the survey's `satisfaction` figures, as supervisors up and auditors read them.
"""
import datetime
import re

from werkzeug.wrappers import Response

from services.common.errors import Invalid, KefuError, NotFound
from services.common.zone import CHINA
from services.gateway.handlers import console
from services.gateway.pages import words
from services.gateway.pages.admin import whole
from services.gateway.pages.message_templates import refused, said
from services.gateway.pages.web import Visit, redirect
from services.survey.contract import FIGURE_READERS, QUESTIONNAIRE_EDITORS
from services.survey.contract.answers import DIMENSIONS, PERIODS
from services.survey.contract.questionnaires import KINDS, MAX_QUESTIONS
from services.vocabulary import ADMINS, SUPERVISORS_UP

EDITORS = QUESTIONNAIRE_EDITORS
READERS = EDITORS | SUPERVISORS_UP | ADMINS
FIGURES = FIGURE_READERS
BLANK_ROWS = 2  # empty question rows under the last one
DONE = {"saved": "问卷草稿已保存", "published": "问卷已发布：此版本不再改变，可用于回访和链接"}
BY = {"agent": "座席", "group": "组", "kind": "工单类型", "category": "类别",
      "source": "来源"}
PERIOD = {"month": "按月", "week": "按周", "day": "按日", "all": "合计"}


# -- 问卷 ---------------------------------------------------------------------------------
def index(visit: Visit, request) -> Response:
    """问卷: every questionnaire with its versions, newest first."""
    error = ""
    try:
        found = visit.ask("survey", "questionnaires", {"all_versions": True}
                          ).get("questionnaires", [])
    except KefuError as exc:
        found, error = [], said(exc)
    names: dict[str, list] = {}
    for q in found:
        names.setdefault(q["name"], []).append(q)
    return visit.render("questionnaires.html", names=names, error=error,
                        editable=visit.may(EDITORS))


def _blank(count: int) -> list[dict]:
    return [{"key": "", "kind": "single", "text": "", "required": False, "options": [],
             "csat": False, "max_length": None} for _ in range(count)]


def _editor(visit: Visit, values: dict, errors=None, version=None, status=200) -> Response:
    return visit.render("questionnaire_edit.html", status, values=values,
                        errors=errors or {}, version=version, kinds=KINDS,
                        editable=visit.may(EDITORS), max_questions=MAX_QUESTIONS)


def new(visit: Visit, request) -> Response:
    """A new questionnaire, or the next draft of one (?from=<a version>: its questions)."""
    source = request.args.get("from", "")[:64]
    values: dict = {"name": "", "title": "", "description": "", "questions": _blank(3)}
    if source:
        earlier = visit.ask("survey", "get_questionnaire", source)
        values = {"name": earlier["name"], "title": earlier["title"],
                  "description": earlier["description"],
                  "questions": earlier["questions"] + _blank(BLANK_ROWS)}
    return _editor(visit, values)


def detail(visit: Visit, request, questionnaire_id) -> Response:
    """One version: a draft in the editor (editors), a published one read only."""
    version = visit.ask("survey", "get_questionnaire", questionnaire_id[:64])
    values = {**version, "questions": version["questions"] + (
        _blank(BLANK_ROWS) if version["status"] == "draft" else [])}
    notice = DONE.get(request.args.get("done", ""), "")
    publisher = console.staff_names(visit.service.db, [version.get("published_by")])
    return visit.render("questionnaire_edit.html", values=values, errors={}, version=version,
                        kinds=KINDS, editable=visit.may(EDITORS), notice=notice,
                        max_questions=MAX_QUESTIONS,
                        publisher=publisher.get(version.get("published_by") or "", ""))


def rows_of(form, keep_blank: bool = False) -> list[dict]:
    """The question rows of the form (`key.N`, `kind.N`, …), blank rows left out
    (kept, when the form is drawn again with one more)."""
    rows = []
    numbers = sorted({int(name[4:]) for name in form
                      if name.startswith("key.") and re.fullmatch(r"[0-9]{1,3}", name[4:])})
    for n in numbers[:MAX_QUESTIONS + BLANK_ROWS + 1]:
        key = form.get(f"key.{n}", "")[:33].strip()
        text = form.get(f"text.{n}", "")[:301].strip()
        options = [line.strip()[:101] for line in form.get(f"options.{n}", "")[:5000]
                   .splitlines() if line.strip()][:21]
        if not key and not text and not options and not keep_blank:
            continue
        kind = form.get(f"kind.{n}", "")[:10]
        row = {"key": key, "kind": kind, "text": text,
               "required": form.get(f"required.{n}") == "yes", "options": options,
               "csat": form.get(f"csat.{n}") == "yes"}
        length = form.get(f"max_length.{n}", "")[:10].strip()
        row["max_length"] = whole(length) if length else None
        rows.append(row)
    return rows


def _posted(form) -> dict:
    return {"name": form.get("name", "")[:65].strip(), "title": form.get("title", "")[:101]
            .strip(), "description": form.get("description", "")[:1001].strip(),
            "questions": rows_of(form)}


def _question_in(q: dict) -> dict:
    """A row as the survey's QuestionIn takes it (options only where they belong, so a
    kind changed on the form does not carry stale options)."""
    data = {"key": q["key"], "kind": q["kind"], "text": q["text"], "required": q["required"]}
    if q["options"] or q["kind"] in ("single", "multiple"):
        data["options"] = q["options"]
    if q["csat"]:
        data["csat"] = True
    if q["max_length"] is not None:
        data["max_length"] = q["max_length"]
    return data


def save(visit: Visit, request, questionnaire_id=None) -> Response:
    """Save the draft (or draw one more question row); refused, the editor again with
    each reason beside its row."""
    form = request.form
    values = _posted(form)
    version = visit.ask("survey", "get_questionnaire", questionnaire_id[:64]) \
        if questionnaire_id else None
    if form.get("op") == "add":
        values["questions"] = rows_of(form, keep_blank=True) + _blank(1)
        return _editor(visit, values, version=version)
    data = {**values, "questions": [_question_in(q) for q in values["questions"]]}
    if questionnaire_id:
        data["questionnaire_id"] = questionnaire_id[:64]
    try:
        if not data["questions"]:
            raise Invalid("no questions", {"questions": ["请至少填写一道题"]})
        saved = visit.ask("survey", "save_questionnaire", data)
    except NotFound:
        raise
    except KefuError as exc:
        values["questions"] += _blank(BLANK_ROWS)
        return _editor(visit, values, refused(exc), version)
    return redirect(f"/surveys/questionnaires/{saved['id']}?done=saved", visit.htmx)


def publish(visit: Visit, request, questionnaire_id) -> Response:
    """Publish a draft version: immutable from now on.  A version published already (a
    second click, a retry) is the same outcome: its page."""
    questionnaire_id = questionnaire_id[:64]
    try:
        shown = visit.ask("survey", "publish_questionnaire", questionnaire_id)
    except NotFound:
        raise
    except KefuError as exc:
        version = visit.ask("survey", "get_questionnaire", questionnaire_id)
        if version.get("status") == "published":
            return redirect(f"/surveys/questionnaires/{version['id']}?done=published",
                            visit.htmx)
        return _editor(visit, version, refused(exc), version, 409)
    return redirect(f"/surveys/questionnaires/{shown['id']}?done=published", visit.htmx)


# -- 满意度 --------------------------------------------------------------------------------
def _months_back(today: datetime.date, months: int) -> datetime.date:
    month = today.month - months
    year = today.year + (month - 1) // 12
    return datetime.date(year, (month - 1) % 12 + 1, 1)


def satisfaction(visit: Visit, request) -> Response:
    """满意度: CSAT and NPS by one dimension and period, the answers behind each."""
    today = datetime.datetime.now(CHINA).date()
    by = request.args.get("by", "agent")[:20]
    period = request.args.get("period", "month")[:10]
    query = {"by": [by] if by in DIMENSIONS else [],
             "period": period if period in PERIODS else "month",
             "from": request.args.get("from", "")[:10] or _months_back(today, 5).isoformat(),
             "to": request.args.get("to", "")[:10] or today.isoformat()}
    source = request.args.get("source", "")[:10]
    if source:
        query["source"] = source
    error = ""
    try:
        found = visit.ask("survey", "satisfaction", query)
    except KefuError as exc:
        found, error = {"figures": [], "ivr": []}, said(exc)
    figures, ivr = found.get("figures", []), found.get("ivr", [])
    people = console.staff_names(visit.service.db, [f.get("agent_id") for f in figures + ivr])
    groups = console.group_labels(visit.service.db)
    categories: dict = {}
    if by == "category":
        try:
            categories = {c["id"]: c["name"] for c in visit.ask(
                "ticket", "list_categories", {}).get("categories", [])}
        except KefuError:
            categories = {}

    def who(row: dict) -> str:
        if by == "agent":
            agent = row.get("agent_id") or ""
            return people.get(agent) or agent or "（无座席）"
        if by == "group":
            group = row.get("group_name") or ""
            return groups.get(group) or group or "（无组）"
        if by == "kind":
            return words.label(words.KIND, row.get("ticket_kind")) or "（无工单）"
        if by == "category":
            return categories.get(row.get("category_id"), "（无类别）")
        if by == "source":
            return words.label(words.ANSWER_SOURCE, row.get("source"))
        return "全部"

    return visit.render("satisfaction.html", figures=figures, ivr=ivr, query=query,
                        by=by if by in DIMENSIONS else "", who=who, dimensions=BY,
                        periods=PERIOD, error=error)


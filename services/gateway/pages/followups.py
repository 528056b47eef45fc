"""Follow-ups 回访 (issue 12, V1–V3): 我的回访 (the signed-in person's tasks in tabs — due
today, overdue, all open, done — and, for supervisors up, their groups' tasks with the
missed ones marked), the follow-up form beside the customer card (the call's outcome,
and a published questionnaire's answers taken on the phone), and 回访规则 (the rules
that make tasks from resolved tickets: admins and managers edit, supervisors read).

The form carries an Idempotency-Key made when it was drawn: a second submit (a double
click, a retry after a slow answer) records one attempt and one set of answers, and a
"needs service again" ticket is opened once.  The attempt and the answers are checked
here against the survey's own schemas (AttemptIn, AgentAnswersIn) before anything is
recorded, so a form refused for what it says records nothing; then the answers (not
to a task already done), then the attempt.  Saved, the list comes back with the next
task to call.
"""
import time

from marshmallow import Schema, ValidationError
from werkzeug.wrappers import Response

from services.common.errors import Invalid, KefuError, NotFound, invalid_from_marshmallow
from services.common.rpc import gather_settled
from services.gateway.handlers import console
from services.gateway.pages import words
from services.gateway.pages.admin import whole
from services.gateway.pages.bulk_send import form_key, new_key
from services.gateway.pages.message_templates import refused, said
from services.gateway.pages.web import Visit, redirect
from services.survey import contract as survey_contract
from services.survey.contract.answers import AgentAnswersIn
from services.survey.contract.followups import (
    NOT_REACHED,
    SATISFACTION,
    AttemptIn,
)
from services.ticket.contract.tickets import AFTER_SALES_TYPES, KINDS
from services.vocabulary import SUPERVISORS_UP

READERS = survey_contract.FOLLOWERS  # 我的回访 and the form: the front line, own scope
RULE_READERS = survey_contract.RULE_READERS  # 回访规则: supervisors up and admins read,
RULE_EDITORS = survey_contract.RULE_EDITORS  # admins and managers up write
TABS = (("due_today", "今日到期"), ("overdue", "已逾期"), ("open", "全部待回访"),
        ("done", "已完成"))
GROUP_TABS = (("overdue", "逾期/漏回访"), ("open", "待回访"), ("missed", "漏回访"),
              ("done", "已完成"))
PAGE = 50
PART_SECONDS = 2.0  # names of customers: later, the list shows the ids
AT_ONCE = 8  # customer cards asked at the same time (no batch read for staff)
TRIGGER = {"resolved": "工单解决后", "dispatch_handled": "上门完工后"}
SCORE_LEVEL = {5: "very_satisfied", 4: "satisfied", 3: "neutral", 2: "dissatisfied",
               1: "very_dissatisfied"}


# -- 我的回访 ---------------------------------------------------------------------------
def customer_names(visit: Visit, ids) -> dict[str, str]:
    """{customer id: name} of the customers given, each card read in the caller's own
    scope (the customer service has no batch read for staff): AT_ONCE at a time, all
    within PART_SECONDS; one that does not answer in time, or is out of scope, is left
    out (the list shows its placeholder)."""
    wanted = sorted({i for i in ids if i})
    names: dict[str, str] = {}
    deadline = time.monotonic() + PART_SECONDS
    for start in range(0, len(wanted), AT_ONCE):
        left = deadline - time.monotonic()
        if left <= 0:
            break
        part = wanted[start:start + AT_ONCE]
        cards = gather_settled([(visit.service.customer.get_card, (i,), {}) for i in part],
                               left)
        names.update({i: c["name"] for i, c in zip(part, cards, strict=True)
                      if not isinstance(c, Exception)})
    return names


def _customer_names(visit: Visit, tasks: list[dict]) -> dict[str, str]:
    return customer_names(visit, [t.get("customer_id") for t in tasks])


def index(visit: Visit, request) -> Response:
    """我的回访: a tab of my tasks; supervisors up may switch to their groups' tasks."""
    group_view = request.args.get("scope") == "group" and visit.may(SUPERVISORS_UP)
    tabs = GROUP_TABS if group_view else TABS
    view = request.args.get("view", "")[:20]
    if view not in dict(tabs):
        view = tabs[0][0]
    query: dict = {"view": view, "limit": PAGE}
    cursor = request.args.get("cursor", "")[:200]
    if cursor:
        query["cursor"] = cursor
    group = request.args.get("group", "")[:64]
    error = ""
    try:
        if group_view:
            if group:
                query["group"] = group
            found = visit.ask("survey", "list_followups", query)
        else:
            found = visit.ask("survey", "my_followups", query)
    except KefuError as exc:
        found, error = {"tasks": [], "next": None}, said(exc)
    tasks = found.get("tasks", [])
    saved = request.args.get("saved", "")[:64]
    following = None
    if saved and not group_view:  # the next task to call: overdue first, then due first
        try:
            for tab in ("overdue", "open"):
                following = next(iter(visit.ask("survey", "my_followups",
                                                {"view": tab, "limit": 1})["tasks"]), None)
                if following is not None:
                    break
        except KefuError:
            following = None
    names = _customer_names(visit, tasks + ([following] if following else []))
    people = console.staff_names(visit.service.db, [t.get("assignee_id") for t in tasks]) \
        if group_view else {}
    return visit.render("followups.html", tasks=tasks, names=names, people=people,
                        tabs=tabs, view=view, group_view=group_view, group=group,
                        groups=sorted(visit.person.groups), next=found.get("next"),
                        error=error, saved=saved, following=following)


# -- the follow-up form -------------------------------------------------------------------
def _questionnaires(visit: Visit) -> list[dict]:
    try:
        return visit.ask("survey", "questionnaires", {"status": "published"}
                         ).get("questionnaires", [])
    except KefuError:
        return []


def _form(visit: Visit, request, task_id: str, values=None, errors=None,
          status: int = 200) -> Response:
    task = visit.ask("survey", "get_followup", task_id)
    source = values or request.args
    published = _questionnaires(visit)
    chosen_id = (source.get("questionnaire_id") or "")[:64]
    chosen = next((q for q in published if q["id"] == chosen_id), None)
    if chosen is None and "questionnaire_id" not in source and published:
        chosen = published[0]
    customer, overview, missing = None, None, []
    replies = gather_settled([
        (visit.service.customer.get_customer, (task["customer_id"], ""), {}),
        (visit.service.ticket.customer_overview, (task["customer_id"], 10), {})],
        PART_SECONDS)
    if not isinstance(replies[0], Exception):
        customer = replies[0]
    else:
        missing.append("customer")
    if not isinstance(replies[1], Exception):
        overview = replies[1]
    else:
        missing.append("tickets")
    return visit.render("followup.html", status, task=task, customer=customer,
                        overview=overview, missing=missing, questionnaires=published,
                        chosen=chosen, values=values or {}, errors=errors or {},
                        key=(values or {}).get("key") or new_key(),
                        not_reached=NOT_REACHED, levels=SATISFACTION)


def form(visit: Visit, request, task_id) -> Response:
    """回访: the task, its attempts, the outcome form and the questionnaire, the
    customer's card beside them (?questionnaire_id= picks another published one)."""
    return _form(visit, request, task_id[:64])


def answers_of(questionnaire: dict, form) -> dict:
    """{key: answer} of the questions answered on the form (`q.<key>`), each of its
    kind; Invalid names `answers.<key>` for what is not a number where one is due."""
    found: dict = {}
    errors: dict = {}
    for q in questionnaire.get("questions", []):
        name = f"q.{q['key']}"
        if q["kind"] == "multiple":
            picked = [v[:100] for v in form.getlist(name) if v][:20]
            if picked:
                found[q["key"]] = picked
            continue
        text = form.get(name, "")[:2001].strip()
        if not text:
            continue
        if q["kind"] in ("scale", "nps"):
            try:
                found[q["key"]] = int(text)
            except ValueError:
                errors[f"answers.{q['key']}"] = ["请选择分数"]
        else:
            found[q["key"]] = text
    if errors:
        raise Invalid("invalid answers", errors)
    return found


def _attempt(form) -> dict:
    reached = form.get("reached") == "yes"
    data: dict = {"reached": reached, "notes": form.get("notes", "")[:2001].strip()}
    if reached:
        data["satisfaction"] = form.get("satisfaction", "")[:20] or None
        data["needs_service"] = form.get("needs_service") == "yes"
        if data["needs_service"]:
            data["service_note"] = form.get("service_note", "")[:2001].strip()
    else:
        data["reason"] = form.get("reason", "")[:20] or None
    day = form.get("call_again_on", "")[:10]
    if day:
        data["call_again_on"] = day
    return data


def _values(form, key: str) -> dict:
    values = {name: form.get(name, "")[:2001] for name in (
        "reached", "reason", "satisfaction", "notes", "call_again_on", "needs_service",
        "service_note", "questionnaire_id")}
    values["key"] = key
    values["answers"] = {name[2:]: form.getlist(name)[:20] for name in form
                         if name.startswith("q.")}
    return values


def checked(schema: Schema, data: dict) -> None:
    """Invalid naming each field the survey's schema would refuse (nothing is sent)."""
    try:
        schema.load(data)
    except ValidationError as exc:
        raise invalid_from_marshmallow(exc) from exc


def record(visit: Visit, request, task_id) -> Response:
    """The call recorded.  The attempt (with the CSAT answer's satisfaction) and the
    questionnaire's answers (when the customer was reached and answered) are checked
    first against the survey's schemas — refused, the form comes back with each reason
    beside its field and nothing recorded; then the answers are recorded (unless the
    task is done already: a second submit is answered by the first), then the attempt.
    Back to 我的回访 with the next task."""
    task_id, form = task_id[:64], request.form
    key = form_key(form)
    values = _values(form, key)
    if form.get("reached") not in ("yes", "no"):
        return _form(visit, request, task_id, values, {"reached": ["请选择是否联系上"]})
    attempt = _attempt(form)
    try:
        questionnaire_id = form.get("questionnaire_id", "")[:64]
        answers = None
        if attempt["reached"] and questionnaire_id:
            questionnaire = visit.ask("survey", "get_questionnaire", questionnaire_id)
            given = answers_of(questionnaire, form)
            if given:
                answers = {"questionnaire_id": questionnaire_id, "task_id": task_id,
                           "answers": given}
                csat = next((given.get(q["key"]) for q in questionnaire["questions"]
                             if q.get("csat")), None)
                if not attempt.get("satisfaction") and isinstance(csat, int):
                    attempt["satisfaction"] = SCORE_LEVEL.get(csat)
        checked(AttemptIn(), attempt)
        if answers is not None:
            checked(AgentAnswersIn(), answers)
            if visit.ask("survey", "get_followup", task_id).get("status") != "done":
                visit.ask("survey", "record_answers", answers, f"{key}-answers")
        recorded = visit.ask("survey", "record_followup_attempt", task_id, attempt, key)
    except NotFound:
        raise
    except KefuError as exc:
        return _form(visit, request, task_id, values, refused(exc))
    done = recorded["task"]
    return redirect(f"/followups?saved={done['id']}&view=open", visit.htmx)


# -- 回访规则 ---------------------------------------------------------------------------
def _rule_of(form, db) -> dict:
    """The rule as the survey's RuleIn takes it; Invalid naming `agent_id` or
    `assignee_ids` for a username that is no active account's."""
    data: dict = {"name": form.get("name", "")[:101].strip(),
                  "active": form.get("active") == "yes",
                  "kinds": [k for k in form.getlist("kinds") if k in KINDS],
                  "subtypes": [s for s in form.getlist("subtypes") if s in AFTER_SALES_TYPES],
                  "category_ids": [c[:64] for c in form.getlist("category_ids") if c][:100],
                  "vip_only": form.get("vip_only") == "yes",
                  "rest_only": form.get("rest_only") == "yes",
                  "delay_unit": form.get("delay_unit", "days")[:10],
                  "trigger": form.get("trigger", "resolved")[:20] or "resolved",
                  "group_name": form.get("group_name", "")[:64].strip() or None,
                  "agent_id": None, "assignee_ids": [], "share_percent": None}
    errors: dict = {}
    agent = form.get("agent", "")[:100].strip()
    if agent:
        data["agent_id"] = console.active_staff_id(db, agent)
        if data["agent_id"] is None:
            errors["agent_id"] = ["无此用户"]
    handlers = [h.strip() for h in form.get("assignees", "")[:2000].replace("，", ",")
                .split(",") if h.strip()][:100]
    found = {h: console.active_staff_id(db, h) for h in dict.fromkeys(handlers)}
    unknown = [h for h, i in found.items() if i is None]
    if unknown:
        errors["assignee_ids"] = ["无此用户：" + "，".join(unknown[:10])]
    data["assignee_ids"] = list(dict.fromkeys(i for i in found.values() if i))
    share = form.get("share_percent", "")[:10].strip()
    if share:
        data["share_percent"] = share
    data["delay_amount"] = whole(form.get("delay_amount", "")[:10])
    if errors:
        raise Invalid("unknown staff", errors)
    return data


def when(rule: dict) -> str:
    """When a rule's task is due, in words: 工单解决后 2 个工作日."""
    return (f"{TRIGGER.get(rule.get('trigger') or 'resolved', '工单解决后')} "
            f"{rule.get('delay_amount')} {words.label(words.DELAY_UNIT, rule.get('delay_unit'))}")


def describe(rule: dict, people: dict, categories: list[dict]) -> str:
    """Which tickets a rule follows up, in words (全部已解决工单 without filters; a
    field-job rule says so first)."""
    named = {c["id"]: c["name"] for c in categories}
    parts = []
    field_jobs = rule.get("trigger") == "dispatch_handled"
    if field_jobs:
        parts.append("上门完工的工单")
    if rule.get("kinds"):
        parts.append("、".join(words.label(words.KIND, k) for k in rule["kinds"]))
    if rule.get("subtypes"):
        parts.append("售后：" + "、".join(words.label(words.AFTER_SALES, s)
                                         for s in rule["subtypes"]))
    if rule.get("category_ids"):
        parts.append("类别：" + "、".join(named.get(c, "（已删除）") for c in rule["category_ids"]))
    if rule.get("assignee_ids"):
        who = "、".join(people.get(i, i) for i in rule["assignee_ids"])
        parts.append(("上门人员：" if field_jobs else "处理人：") + who)
    if rule.get("vip_only"):
        parts.append("仅VIP客户")
    if rule.get("share_percent"):
        parts.append(("其余工单中" if rule.get("rest_only") else "") + "随机抽取 "
                     + str(rule["share_percent"]).rstrip("0").rstrip(".") + "%")
    return "；".join(parts) or "全部已解决工单"


def _rules_page(visit: Visit, request, values=None, errors=None, editing=None,
                status: int = 200) -> Response:
    error = ""
    try:
        rules = visit.ask("survey", "followup_rules", {}).get("rules", [])
    except KefuError as exc:
        rules, error = [], said(exc)
    try:
        categories = visit.ask("ticket", "list_categories", {}).get("categories", [])
    except KefuError:
        categories = []
    accounts = console.staff_accounts(visit.service.db, [
        i for r in rules + ([editing] if editing else []) for i in
        [r.get("agent_id"), *r.get("assignee_ids", [])]])
    people = {i: a["display_name"] or a["username"] for i, a in accounts.items()}
    usernames = {i: a["username"] for i, a in accounts.items()}
    return visit.render("followup_rules.html", status, rules=rules, values=values or {},
                        errors=errors or {}, editing=editing, categories=categories,
                        groups=console.group_labels(visit.service.db), people=people,
                        kinds=KINDS, subtypes=AFTER_SALES_TYPES, error=error,
                        editable=visit.may(RULE_EDITORS),
                        describe=lambda r: describe(r, people, categories), when=when,
                        usernames=usernames, triggers=TRIGGER,
                        names_of=lambda ids: "，".join(usernames.get(i, i) for i in ids),
                        done=request.args.get("done", "")[:20])


def rules(visit: Visit, request) -> Response:
    """回访规则: the rules, and the form of a new one (editors)."""
    return _rules_page(visit, request)


def rule(visit: Visit, request, rule_id) -> Response:
    """One rule in the form (editors change it; supervisors read it)."""
    found = visit.ask("survey", "get_followup_rule", rule_id[:64])
    return _rules_page(visit, request, editing=found)


def _shown_values(form) -> dict:
    return {"name": form.get("name", "")[:101], "active": form.get("active") == "yes",
            "kinds": form.getlist("kinds")[:10], "subtypes": form.getlist("subtypes")[:10],
            "category_ids": form.getlist("category_ids")[:100],
            "vip_only": form.get("vip_only") == "yes", "rest_only": form.get("rest_only") == "yes",
            "share_percent": form.get("share_percent", "")[:10],
            "delay_amount": form.get("delay_amount", "")[:10],
            "delay_unit": form.get("delay_unit", "")[:10],
            "trigger": form.get("trigger", "")[:20],
            "group_name": form.get("group_name", "")[:64], "agent": form.get("agent", "")[:100],
            "assignees": form.get("assignees", "")[:2000], "posted": True}


def rule_save(visit: Visit, request, rule_id=None) -> Response:
    """A new rule, or the rule changed; refused, the form again with the reasons."""
    form = request.form
    # a bad or unknown id is the 400 / 404 page, not the form of a new rule
    editing = visit.ask("survey", "get_followup_rule", rule_id[:64]) if rule_id else None
    try:
        data = _rule_of(form, visit.service.db)
        if rule_id:
            saved = visit.ask("survey", "update_followup_rule", rule_id[:64], data)
        else:
            saved = visit.ask("survey", "create_followup_rule", data)
    except NotFound:
        raise
    except KefuError as exc:
        return _rules_page(visit, request, _shown_values(form), refused(exc), editing)
    return redirect(f"/followups/rules/{saved['id']}?done=saved", visit.htmx)


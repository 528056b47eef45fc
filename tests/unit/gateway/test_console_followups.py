"""The follow-up, questionnaire and satisfaction pages of the console (issue 12) without a
browser: the forms post what the survey contract takes (an attempt, answers of every
kind of question, a rule, a questionnaire's rows), answers are recorded before the
attempt and only for a reached customer, a refusal comes back beside its field, the
templates show customers' and agents' text as text, missed tasks are marked, a
published questionnaire is read only, figures carry their answer counts, and the left
menu shows each page to the roles that may open it."""
import re
from types import SimpleNamespace

import pytest
from werkzeug.datastructures import MultiDict

from services.common.errors import Invalid, NotFound
from services.common.identity import Principal
from services.gateway.handlers import console
from services.gateway.pages import campaigns, followups, surveys, web, words
from services.survey.contract.campaigns import CampaignIn, InvitationCallIn, VisitOutcomeIn
from services.survey.contract.followups import TRIGGERS, AttemptIn, RuleIn
from services.survey.contract.questionnaires import QuestionnaireIn
from services.survey.domain.questionnaires import check_answers, check_questions

HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)>'
AGENT = Principal("00000000-0000-0000-0000-0000000000a1", "wang", frozenset({"agent"}),
                  frozenset({"g1"}), 1)
TASK_ID = "00000000-0000-0000-0000-0000000000f1"
QUESTIONNAIRE_ID = "00000000-0000-0000-0000-0000000000e1"
QUESTIONS = check_questions([
    {"key": "service", "kind": "scale", "text": "对本次服务满意吗？", "required": True,
     "csat": True},
    {"key": "recommend", "kind": "nps", "text": "您会推荐我们吗？"},
    {"key": "channel", "kind": "single", "text": "您从哪里知道我们？",
     "options": ["朋友", "广告"]},
    {"key": "wants", "kind": "multiple", "text": "还需要哪些服务？",
     "options": ["保养", "上门", "延保"]},
    {"key": "words", "kind": "text", "text": "还有什么建议？", "max_length": 200},
])
QUESTIONNAIRE = {"id": QUESTIONNAIRE_ID, "name": "after_call", "version": 2,
                 "status": "published", "title": "回访问卷", "description": HOSTILE,
                 "questions": QUESTIONS, "published_at": "2026-12-01T02:00:00+00:00",
                 "published_by": "admin", "updated_at": "2026-12-01T02:00:00+00:00"}


def render(name: str, /, roles=None, **context) -> str:
    may = (lambda wanted: True) if roles is None else (lambda wanted: bool(set(wanted) & roles))
    base = {"me": {"display_name": "王"}, "principal": AGENT, "csrf": "t0ken", "may": may,
            "path": "/followups"}
    return web.ENV.get_template(name).render(**{**base, **context})


class FakeVisit:
    def __init__(self, replies=None, refuse=None):
        self.replies, self.refuse = replies or {}, refuse or {}
        self.asked: list = []
        self.person = AGENT
        self.htmx = False
        self.rendered = None

    def ask(self, service, operation, *args, **kwargs):
        self.asked.append((operation, *args))
        if operation in self.refuse:
            raise self.refuse[operation]
        return self.replies.get(operation, {})

    def may(self, roles):
        return bool(set(roles) & AGENT.roles)


def request(form=(), args=()):
    return SimpleNamespace(form=MultiDict(form), args=MultiDict(args), path="/followups")


def task(**changes) -> dict:
    return {"id": TASK_ID, "ticket_id": "t1", "ticket_serial": "T20261207-0001",
            "ticket_kind": "complaint", "customer_id": "c1", "status": "open",
            "outcome": None, "due_at": "2026-12-09T02:00:00+00:00", "missed_at": None,
            "resolved_at": "2026-12-07T02:00:00+00:00", "completed_at": None,
            "attempts": 0, "satisfaction": None, "assignee_id": AGENT.id,
            "previous_task_id": None, "new_ticket_id": None, "content_withheld": False,
            "attempt_log": [], **changes}


# -- the follow-up form posts what the survey takes --------------------------------------
REACHED = [("reached", "yes"), ("notes", "客户说空调已正常"), ("idempotency_key", "k" * 32),
           ("questionnaire_id", QUESTIONNAIRE_ID), ("q.service", "4"), ("q.recommend", "9"),
           ("q.channel", "朋友"), ("q.wants", "保养"), ("q.wants", "延保"),
           ("q.words", "师傅很准时")]


def test_v3_the_answers_of_every_kind_of_question_are_what_the_survey_accepts():
    given = followups.answers_of(QUESTIONNAIRE, MultiDict(REACHED))
    assert given == {"service": 4, "recommend": 9, "channel": "朋友", "wants": ["保养", "延保"],
                     "words": "师傅很准时"}
    checked = check_answers(QUESTIONS, given)
    assert (checked["csat_score"], checked["nps_score"]) == (4, 9)


def test_v3_an_unanswered_question_is_left_out_and_a_score_that_is_no_number_named():
    assert followups.answers_of(QUESTIONNAIRE, MultiDict([("q.service", "5")])) == {
        "service": 5}
    with pytest.raises(Invalid) as refused:
        followups.answers_of(QUESTIONNAIRE, MultiDict([("q.recommend", "很高")]))
    assert list(refused.value.fields) == ["answers.recommend"]


def test_v2_a_reached_call_records_the_answers_first_then_the_attempt_with_their_csat():
    visit = FakeVisit({"get_questionnaire": QUESTIONNAIRE,
                       "record_followup_attempt": {"task": task(status="done")}})
    response = followups.record(visit, request(REACHED), TASK_ID)
    assert [a[0] for a in visit.asked] == ["get_questionnaire", "get_followup",
                                           "record_answers", "record_followup_attempt"]
    _, answers, answers_key = visit.asked[2]
    assert answers["task_id"] == TASK_ID and answers["answers"]["recommend"] == 9
    _, task_id, attempt, key = visit.asked[3]
    assert (task_id, key) == (TASK_ID, "k" * 32) and answers_key != key
    assert AttemptIn().load(attempt) == {**AttemptIn().load(attempt), "reached": True,
                                         "satisfaction": "satisfied"}  # the CSAT 4
    assert response.status_code == 303
    assert response.headers["Location"].startswith(f"/followups?saved={TASK_ID}")


def test_v2_an_unreached_call_records_no_answers_and_says_why():
    form = [("reached", "no"), ("reason", "busy"), ("idempotency_key", "k" * 32),
            ("questionnaire_id", QUESTIONNAIRE_ID), ("q.service", "5"),
            ("satisfaction", "satisfied"), ("needs_service", "yes")]
    visit = FakeVisit({"record_followup_attempt": {"task": task(attempts=1)}})
    followups.record(visit, request(form), TASK_ID)
    assert [a[0] for a in visit.asked] == ["record_followup_attempt"]
    attempt = visit.asked[0][2]
    assert AttemptIn().load(attempt)["reason"] == "busy"  # no satisfaction, no service
    assert "satisfaction" not in attempt and "needs_service" not in attempt


def test_v2_needs_service_again_takes_what_needs_doing():
    form = [*REACHED[:3], ("needs_service", "yes"), ("service_note", "再上门检查外机")]
    visit = FakeVisit({"record_followup_attempt": {"task": task(status="done")}})
    followups.record(visit, request(form), TASK_ID)
    attempt = visit.asked[-1][2]
    assert AttemptIn().load(attempt)["service_note"] == "再上门检查外机"


def test_a_refused_attempt_draws_the_form_again_with_the_reason_and_the_same_key(monkeypatch):
    drawn = {}
    monkeypatch.setattr(followups, "_form", lambda visit, request, task_id, values=None,
                        errors=None, status=200: drawn.update(values=values, errors=errors))
    visit = FakeVisit({"get_questionnaire": QUESTIONNAIRE}, refuse={
        "record_followup_attempt": Invalid("bad", {"call_again_on": ["from tomorrow"]})})
    followups.record(visit, request(REACHED + [("call_again_on", "2020-01-01")]), TASK_ID)
    assert drawn["errors"]["call_again_on"] and drawn["values"]["key"] == "k" * 32
    assert drawn["values"]["answers"]["wants"] == ["保养", "延保"]  # what was ticked stays


def test_no_choice_of_reached_is_refused_before_any_call(monkeypatch):
    drawn = {}
    monkeypatch.setattr(followups, "_form", lambda visit, request, task_id, values=None,
                        errors=None, status=200: drawn.update(errors=errors))
    visit = FakeVisit()
    followups.record(visit, request([("notes", "x")]), TASK_ID)
    assert visit.asked == [] and "reached" in drawn["errors"]


# -- rules and questionnaires ------------------------------------------------------------
def test_v1_the_rule_form_posts_what_the_survey_takes(monkeypatch):
    monkeypatch.setattr(followups.console, "active_staff_id", lambda db, name: f"id-of-{name}")
    form = MultiDict([("name", "投诉两天后回访"), ("active", "yes"), ("kinds", "complaint"),
                      ("kinds", "nonsense"), ("subtypes", "installation"),
                      ("delay_amount", "2"), ("delay_unit", "days"), ("group_name", "hf"),
                      ("share_percent", "12.5"), ("assignees", "li，wang")])
    data = followups._rule_of(form, None)
    loaded = RuleIn().load(data)
    assert loaded["kinds"] == ["complaint"] and loaded["delay_amount"] == 2
    assert loaded["assignee_ids"] == ["id-of-li", "id-of-wang"]
    assert str(loaded["share_percent"]) == "12.50"
    assert followups.describe(loaded, {"id-of-li": "李"}, []) == \
        "投诉；售后：安装；处理人：李、id-of-wang；随机抽取 12.5%"


def test_v3_the_questionnaire_rows_make_a_questionnaire_the_survey_takes():
    form = MultiDict([
        ("name", "after_call"), ("title", "回访问卷"),
        ("key.0", "service"), ("kind.0", "scale"), ("text.0", "满意吗"), ("required.0", "yes"),
        ("csat.0", "yes"), ("options.0", ""),
        ("key.1", "channel"), ("kind.1", "single"), ("text.1", "从哪里知道"),
        ("options.1", "朋友\r\n\r\n广告\n"),
        ("key.2", ""), ("kind.2", "single"), ("text.2", ""), ("options.2", ""),  # blank
        ("key.3", "words"), ("kind.3", "text"), ("text.3", "建议"), ("max_length.3", "300"),
    ])
    data = {**surveys._posted(form)}
    data["questions"] = [surveys._question_in(q) for q in data["questions"]]
    loaded = QuestionnaireIn().load(data)
    assert [q["key"] for q in loaded["questions"]] == ["service", "channel", "words"]
    stored = check_questions(loaded["questions"])
    assert stored[0]["csat"] and stored[1]["options"] == ["朋友", "广告"]
    assert stored[2]["max_length"] == 300


def test_adding_a_question_row_saves_nothing():
    visit = FakeVisit()
    drawn = {}
    visit.render = lambda template, status=200, **context: drawn.update(context)
    surveys.save(visit, request([("name", "a"), ("title", "t"), ("key.0", "q1"),
                                 ("kind.0", "text"), ("text.0", "问"), ("op", "add")]))
    assert visit.asked == [] and len(drawn["values"]["questions"]) == 2
    surveys.save(visit, request([("name", "a"), ("title", "t"), ("key.0", "q1"),
                                 ("kind.0", "text"), ("text.0", "问"), ("key.1", ""),
                                 ("key.2", ""), ("op", "add")]))
    assert visit.asked == [] and len(drawn["values"]["questions"]) == 4  # blanks kept


# -- templates ---------------------------------------------------------------------------
def test_the_list_shows_names_as_text_and_marks_missed_tasks():
    tasks = [task(), task(id="00000000-0000-0000-0000-0000000000f2", status="missed",
                          missed_at="2026-12-09T02:00:01+00:00"),
             task(id="00000000-0000-0000-0000-0000000000f3", attempts=1,
                  missed_at="2026-12-09T02:00:01+00:00")]
    page = render("followups.html", tasks=tasks, names={"c1": HOSTILE}, people={},
                  tabs=followups.GROUP_TABS, view="overdue", group_view=True, group="",
                  groups=["g1"], next=None, error="", saved="", following=None)
    assert "<script>alert" not in page and "&lt;script&gt;" in page
    assert page.count('class="missed"') == 2  # missed, and missed then open again
    assert "漏回访" in page and "<th>回访人</th>" in page


def test_the_form_shows_every_kind_of_question_beside_the_card():
    customer = {"id": "c1", "name": HOSTILE, "number": "C1", "level": 0, "level_name": "公开",
                "phones": [{"masked": "138****0000"}], "tags": [], "assets": [],
                "lifecycle": "active"}
    page = render("followup.html", task=task(attempt_log=[
        {"number": 1, "at": "2026-12-08T02:00:00+00:00", "reached": False, "reason": "busy",
         "satisfaction": None, "notes": HOSTILE, "call_again_on": None}]),
        customer=customer, overview=None, missing=[], questionnaires=[QUESTIONNAIRE],
        chosen=QUESTIONNAIRE, values={"answers": {"wants": ["延保"]}},
        errors={"answers.recommend": ["请选择分数"]}, key="k" * 32,
        not_reached=followups.NOT_REACHED, levels=followups.SATISFACTION)
    assert "<script>alert" not in page
    assert len(re.findall(r'name="q\.recommend" value="\d+"', page)) == 11  # NPS 0–10
    assert len(re.findall(r'name="q\.service" value="\d"', page)) == 5
    assert 'name="q.wants" value="延保" checked' in page
    assert 'data-field="answers.recommend"' in page and "占线" in page
    assert 'id="customer-card"' in page and 'name="csrf" value="t0ken"' in page


def test_a_published_questionnaire_is_read_only():
    page = render("questionnaire_edit.html", values=QUESTIONNAIRE, errors={},
                  version=QUESTIONNAIRE, kinds=surveys.KINDS, editable=True, notice="",
                  max_questions=50)
    assert "<form" not in page.split('<main id="main">')[1].split("</main>")[0]
    assert 'id="questionnaire-next-version"' in page and "<script>alert" not in page


def test_figures_show_the_answers_behind_them():
    figures = [{"period": "2026-12-01", "agent_id": "a1", "csat": 66.7, "csat_answers": 3,
                "satisfied": 2, "nps": -33.3, "nps_answers": 3, "promoters": 1,
                "passives": 0, "detractors": 2}]
    page = render("satisfaction.html", figures=figures, ivr=[], query={"period": "month",
                  "from": "2026-07-01", "to": "2026-12-07"}, by="agent",
                  who=lambda row: HOSTILE, dimensions=surveys.BY, periods=surveys.PERIOD,
                  error="")
    assert "66.7%" in page and "2/3" in page and "-33.3" in page and "1/0/2" in page
    assert "<script>alert" not in page


@pytest.mark.parametrize("roles,links", [
    ({"agent"}, {"/followups", "/campaigns"}),
    ({"supervisor"}, {"/followups", "/surveys/questionnaires", "/satisfaction", "/campaigns"}),
    ({"admin"}, {"/surveys/questionnaires", "/followups/rules", "/campaigns"}),
    ({"auditor"}, {"/satisfaction"}),
    ({"field"}, set()),
])
def test_the_menu_shows_each_page_to_the_roles_that_may_open_it(roles, links):
    page = render("base.html", roles=roles)
    menu = page.split('aria-label="主菜单"')[1].split("</nav>")[0]
    ours = r'href="(/followups[^"]*|/surveys[^"]*|/satisfaction|/campaigns)"'
    shown = set(re.findall(ours, menu))
    assert shown == links


# -- campaigns (V5) ------------------------------------------------------------------------
def test_v5_the_campaign_form_posts_what_the_survey_takes(monkeypatch):
    monkeypatch.setattr(campaigns.console, "agents_of", lambda db, group: ["a1", "a2"])
    monkeypatch.setattr(campaigns.console, "staff_id",
                        lambda db, name: {"li": "id-of-li"}.get(name, name))
    starts, ends = campaigns.default_window()
    form = MultiDict([("theme", "冬季保养节"), ("starts_at", starts), ("ends_at", ends),
                      ("venue", "onsite"), ("place", "4S店一楼"), ("capacity", "80"),
                      ("product", "轩逸"), ("no_contact_months", "6"), ("agent_group", "g1"),
                      ("agents", "a2，li")])
    data = campaigns.posted(form, None)
    loaded = CampaignIn().load(data)
    assert loaded["segment"] == {"product": "轩逸", "no_contact_months": 6}
    assert loaded["agent_ids"] == ["a1", "a2", "id-of-li"]  # the group's, then typed, once
    assert loaded["starts_at"].utcoffset().total_seconds() == 8 * 3600


def test_v5_a_campaign_needs_callers_and_a_segment_or_everyone_said(monkeypatch):
    monkeypatch.setattr(campaigns.console, "staff_id", lambda db, name: name)
    with pytest.raises(Invalid) as refused:
        campaigns.posted(MultiDict([("theme", "x")]), None)
    assert "agent_ids" in refused.value.fields
    data = campaigns.posted(MultiDict([("theme", "x"), ("agents", "a1"),
                                       ("everyone", "yes")]), None)
    assert data["all_customers"] is True and data["segment"] == {}


@pytest.mark.parametrize("form,expected", [
    ([("invited", "yes"), ("accepted", "yes")], {"invited": True, "accepted": True}),
    ([("invited", "yes"), ("accepted", "no"), ("reason", "busy")],
     {"invited": True, "accepted": False}),
    ([("invited", "no"), ("reason", "sold_the_car"), ("accepted", "yes")],
     {"invited": False, "reason": "sold_the_car"}),
])
def test_v5_the_invitation_call_posts_what_the_survey_takes(form, expected):
    visit = FakeVisit()
    response = campaigns.record_call(visit, request(form + [
        ("back", "/campaigns/invitations?status=to_call")]), "i1")
    _, invitation_id, data = visit.asked[0]
    loaded = InvitationCallIn().load(data)
    assert {k: loaded[k] for k in expected} == expected and invitation_id == "i1"
    assert response.headers["Location"] == "/campaigns/invitations?status=to_call&done=called"


def test_v5_the_visit_outcome_posts_what_the_survey_takes():
    visit = FakeVisit()
    response = campaigns.record_outcome(visit, request([
        ("gift_taken", "yes"), ("satisfaction", "average"), ("reason", "排队久"),
        ("back", "/campaigns/c1/check-in")]), "i1")
    loaded = VisitOutcomeIn().load(visit.asked[0][2])
    assert loaded == {"gift_taken": True, "coupon_taken": False, "satisfaction": "average",
                      "reason": "排队久"}
    assert response.headers["Location"] == "/campaigns/c1/check-in?done=outcome"


def test_v5_an_outcome_goes_back_only_to_a_page_of_ours():
    visit = FakeVisit()
    response = campaigns.record_outcome(visit, request([
        ("satisfaction", "satisfied"), ("back", "https://evil.example/")]), "i1")
    assert response.headers["Location"] == "/campaigns/invitations?done=outcome"


def test_v5_the_rates_show_the_counts_behind_them():
    figures = {"total": 10, "called": 8, "invited": 6, "accepted": 4, "came": 3,
               "with_outcome": 3, "satisfied": 2, "gift_taken": 3, "coupon_taken": 1,
               "invitation_rate": 60.0, "acceptance_rate": 66.7, "attendance_rate": 75.0,
               "satisfaction_rate": 66.7}
    campaign = {"id": "c1", "theme": HOSTILE, "state": "ongoing", "list_state": "frozen",
                "agent_ids": ["a1"], "venue": "onsite", "place": "", "capacity": 20,
                "figures": figures, "description": ""}
    page = render("campaign.html", campaign=campaign, rates={
        "figures": figures, "agents": [{**figures, "agent_id": "a1"}]}, invitations=[],
        names={}, people={"a1": "周"}, status="", filters=campaigns.FILTERS, next=None,
        error="")
    assert "<script>alert" not in page
    assert "60.0% <span class=\"muted\">6/10</span>" in page and "75.0%" in page


# -- review fixes: nothing recorded for a refused form, rules' trigger and staff, N+1 -------
class FakeDb:
    """A database of staff accounts: counts the queries it is asked."""

    def __init__(self, accounts=()):
        self.accounts = list(accounts)
        self.queries: list = []
        self.cur = SimpleNamespace(execute=self._execute, fetchone=self._one,
                                   fetchall=self._all)
        self._rows: list = []

    def transaction(self):
        db = self

        class Tx:
            def __enter__(self):
                return SimpleNamespace(cur=db.cur)

            def __exit__(self, *exc):
                return False
        return Tx()

    def _execute(self, query, params):
        text = query.as_string(None) if hasattr(query, "as_string") else str(query)
        self.queries.append((text, params))
        if "ANY" in text:
            self._rows = [a for a in self.accounts if a["id"] in params[0]]
        elif "username" in text.split("WHERE")[1]:
            self._rows = [a for a in self.accounts if a["username"] == params[0]]
        else:
            self._rows = []

    def _one(self):
        return self._rows[0] if self._rows else None

    def _all(self):
        return self._rows


LI = {"id": "00000000-0000-0000-0000-0000000000b1", "username": "li", "display_name": "李",
      "active": True}
GONE = {"id": "00000000-0000-0000-0000-0000000000b2", "username": "gone",
        "display_name": "离职", "active": False}


@pytest.fixture
def sql_as_text(monkeypatch):
    """psycopg2's sql.Composed rendered without a connection, for the fake database."""
    from psycopg2 import sql

    def as_string(self, context):
        return "".join(p.string if isinstance(p, sql.SQL) else
                       as_string(p, context) if isinstance(p, sql.Composed) else str(p)
                       for p in self._wrapped)
    monkeypatch.setattr(sql.Composed, "as_string", as_string)


def test_v2_a_refused_attempt_records_no_answers(monkeypatch):
    """Reached, needs service again, nothing said about what: refused here, before the
    answers (and their CSAT) are recorded."""
    drawn = {}
    monkeypatch.setattr(followups, "_form", lambda visit, request, task_id, values=None,
                        errors=None, status=200: drawn.update(values=values, errors=errors))
    visit = FakeVisit({"get_questionnaire": QUESTIONNAIRE})
    followups.record(visit, request(REACHED + [("needs_service", "yes"),
                                               ("service_note", " ")]), TASK_ID)
    assert [a[0] for a in visit.asked] == ["get_questionnaire"]  # nothing recorded
    assert "service_note" in drawn["errors"] and drawn["values"]["key"] == "k" * 32
    assert drawn["values"]["answers"]["service"] == ["4"]  # what was given stays


def test_v2_answers_that_do_not_fit_their_schema_record_nothing(monkeypatch):
    drawn = {}
    monkeypatch.setattr(followups, "_form", lambda visit, request, task_id, values=None,
                        errors=None, status=200: drawn.update(errors=errors))
    visit = FakeVisit({"get_questionnaire": {**QUESTIONNAIRE, "questions": [
        {**QUESTIONS[4], "key": "k" * 40}]}})  # a key longer than AgentAnswersIn takes
    followups.record(visit, request([*REACHED[:4], ("q." + "k" * 40, "好")]), TASK_ID)
    assert [a[0] for a in visit.asked] == ["get_questionnaire"]
    assert any(name.startswith("answers") for name in drawn["errors"])


def test_v2_a_second_submit_after_the_task_is_done_records_no_second_answers():
    visit = FakeVisit({"get_questionnaire": QUESTIONNAIRE, "get_followup": task(status="done"),
                       "record_followup_attempt": {"task": task(status="done")}})
    response = followups.record(visit, request(REACHED), TASK_ID)
    assert [a[0] for a in visit.asked] == ["get_questionnaire", "get_followup",
                                           "record_followup_attempt"]  # answered by the first
    assert response.status_code == 303


def test_v1_a_rule_made_by_a_field_job_is_set_and_shown(monkeypatch):
    monkeypatch.setattr(followups.console, "active_staff_id", lambda db, name: LI["id"])
    form = MultiDict([("name", "上门后回访"), ("trigger", "dispatch_handled"),
                      ("delay_amount", "1"), ("delay_unit", "days"), ("agent", "li"),
                      ("assignees", "li")])
    loaded = RuleIn().load(followups._rule_of(form, None))
    assert loaded["trigger"] == "dispatch_handled" and loaded["agent_id"] == LI["id"]
    assert followups.describe(loaded, {LI["id"]: "李"}, []) == "上门完工的工单；上门人员：李"
    assert followups.when(loaded) == "上门完工后 1 个工作日"
    assert followups.when({"delay_amount": 2, "delay_unit": "hours"}) == "工单解决后 2 个工作小时"
    assert set(followups.TRIGGER) == set(TRIGGERS)
    no_trigger = RuleIn().load(followups._rule_of(MultiDict([
        ("name", "x"), ("delay_amount", "2"), ("group_name", "hf")]), None))
    assert no_trigger["trigger"] == "resolved"


def test_v1_the_rule_form_shows_the_trigger_and_usernames_not_display_names():
    rule = {"id": "r1", "name": "上门后回访", "active": True, "trigger": "dispatch_handled",
            "delay_amount": 1, "delay_unit": "days", "agent_id": LI["id"],
            "assignee_ids": [LI["id"]], "group_name": None}
    people, usernames = {LI["id"]: "李"}, {LI["id"]: "li"}
    page = render("followup_rules.html", rules=[rule], values={}, errors={}, editing=rule,
                  categories=[], groups={}, people=people, kinds=(), subtypes=(), error="",
                  editable=True, describe=lambda r: followups.describe(r, people, []),
                  when=followups.when, usernames=usernames, triggers=followups.TRIGGER,
                  names_of=lambda ids: "，".join(usernames.get(i, i) for i in ids), done="")
    assert '<option value="dispatch_handled" selected>上门完工后</option>' in page
    assert "上门完工后 1 个工作日" in page
    assert 'id="rule-agent" name="agent" maxlength="100" value="li"' in page
    assert 'name="assignees" maxlength="2000" value="li"' in page


def test_v1_an_unknown_or_disabled_username_is_refused_in_the_rule_form(sql_as_text):
    db = FakeDb([LI, GONE])
    form = MultiDict([("name", "x"), ("delay_amount", "2"), ("agent", "nobody"),
                      ("assignees", "li, gone，" + LI["id"])])
    with pytest.raises(Invalid) as refused:
        followups._rule_of(form, db)
    assert refused.value.fields["agent_id"] == ["无此用户"]
    assert refused.value.fields["assignee_ids"] == ["无此用户：gone"]
    data = followups._rule_of(MultiDict([("name", "x"), ("delay_amount", "2"),
                                         ("agent", "LI"), ("assignees", LI["id"])]), db)
    assert data["agent_id"] == LI["id"] and data["assignee_ids"] == [LI["id"]]


def test_staff_names_are_read_in_one_query_and_ids_that_are_no_uuid_left_out(sql_as_text):
    db = FakeDb([LI, GONE])
    names = console.staff_names(db, [LI["id"], GONE["id"], LI["id"], None, "admin",
                                     "x'); DROP TABLE staff; --", "0" * 65])
    assert names == {LI["id"]: "李", GONE["id"]: "离职"}
    assert len(db.queries) == 1
    text, params = db.queries[0]
    assert "ANY (%s::uuid[])" in text and sorted(params[0]) == [LI["id"], GONE["id"]]
    assert console.staff_names(db, ["admin", None]) == {} and len(db.queries) == 1


def test_customer_cards_are_asked_a_few_at_a_time(monkeypatch):
    asked: list[int] = []

    def gather(calls, timeout):
        asked.append(len(calls))
        return [{"name": f"客户{args[0]}"} for _, args, _ in calls]
    monkeypatch.setattr(followups, "gather_settled", gather)
    visit = SimpleNamespace(service=SimpleNamespace(customer=SimpleNamespace(get_card=None)))
    ids = [f"c{n}" for n in range(51)] + ["c1", None]
    names = followups.customer_names(visit, ids)
    assert len(names) == 51 and names["c7"] == "客户c7"
    assert max(asked) == followups.AT_ONCE and sum(asked) == 51


@pytest.mark.parametrize("name", ["key.²", "key.١", "key." + "9" * 5000, "key.-1"])
def test_question_rows_with_crafted_numbers_are_left_out(name):
    form = MultiDict([(name, "q"), ("key.0", "service"), ("kind.0", "text"),
                      ("text.0", "问")])
    assert [r["key"] for r in surveys.rows_of(form)] == ["service"]


def test_v3_publishing_a_version_published_already_is_its_page():
    from services.common.errors import Conflict
    visit = FakeVisit({"get_questionnaire": QUESTIONNAIRE},
                      refuse={"publish_questionnaire": Conflict("published")})
    response = surveys.publish(visit, request(), QUESTIONNAIRE_ID)
    assert response.status_code == 303
    assert response.headers["Location"] == \
        f"/surveys/questionnaires/{QUESTIONNAIRE_ID}?done=published"
    drawn = {}
    visit = FakeVisit({"get_questionnaire": {**QUESTIONNAIRE, "status": "draft"}},
                      refuse={"publish_questionnaire": Conflict("no questions")})
    visit.render = lambda template, status=200, **context: drawn.update(status=status)
    surveys.publish(visit, request(), QUESTIONNAIRE_ID)
    assert drawn["status"] == 409  # a draft refused stays refused


def test_a_published_version_names_who_published_it():
    page = render("questionnaire_edit.html", values=QUESTIONNAIRE, errors={},
                  version=QUESTIONNAIRE, kinds=surveys.KINDS, editable=True, notice="",
                  max_questions=50, publisher="管理员王")
    assert "管理员王" in page


@pytest.mark.parametrize("rule_id,error", [("not-a-uuid", Invalid("bad id")),
                                           (TASK_ID, NotFound("no rule"))])
def test_v1_saving_a_rule_of_a_bad_id_is_the_error_page_not_a_new_rule(rule_id, error):
    visit = FakeVisit(refuse={"get_followup_rule": error})
    with pytest.raises(type(error)):
        followups.rule_save(visit, request([("name", "x"), ("delay_amount", "2"),
                                            ("group_name", "hf")]), rule_id)
    assert [a[0] for a in visit.asked] == ["get_followup_rule"]


@pytest.mark.parametrize("back", ["/campaigns/invitations?status=done\r\nSet-Cookie: a=b",
                                  "//evil.example/campaigns", "/campaigns/invitations\n",
                                  "javascript:alert(1)", "/campaigns/" + "x" * 400])
def test_v5_a_crafted_back_goes_to_the_call_list(back):
    visit = FakeVisit()
    response = campaigns.record_call(visit, request([("invited", "yes"), ("accepted", "yes"),
                                                     ("back", back)]), "i1")
    assert response.headers["Location"] == "/campaigns/invitations?done=called"
    response = campaigns.record_outcome(visit, request([("satisfaction", "satisfied"),
                                                        ("back", back)]), "i1")
    assert response.headers["Location"] == "/campaigns/invitations?done=outcome"


def test_v5_a_refused_call_is_shown_on_the_page_it_was_sent_from(monkeypatch):
    monkeypatch.setattr(campaigns, "_names", lambda visit, rows: {})
    from services.common.errors import Conflict
    other = {"id": "i2", "customer_id": "c2", "status": "declined", "theme": "t",
             "starts_at": "2026-12-12T01:30:00+00:00", "calls": 1, "reason": None,
             "note": ""}
    visit = FakeVisit({"my_invitations": {"invitations": [other], "next": None}},
                      refuse={"record_invitation": Conflict("the campaign is full", {
                          "capacity": ["名额已满"]})})
    drawn = {}
    visit.render = lambda template, *args, **context: drawn.update(context)
    back = "/campaigns/invitations?status=declined&campaign_id=c9&cursor=abc%3D"
    campaigns.record_call(visit, request([("invited", "yes"), ("accepted", "yes"),
                                          ("back", back)]), "i2")
    assert visit.asked[1] == ("my_invitations", {"limit": campaigns.PAGE, "status": "declined",
                                                 "campaign_id": "c9", "cursor": "abc="})
    assert drawn["selected"]["id"] == "i2" and drawn["errors"]["capacity"] == ["名额已满"]
    assert drawn["status"] == "declined" and drawn["cursor"] == "abc="
    # no longer on that page: the refusal is said above the list
    visit = FakeVisit({"my_invitations": {"invitations": [], "next": None}},
                      refuse={"record_invitation": Conflict("the campaign is full", {
                          "capacity": ["名额已满"]})})
    visit.render = lambda template, *args, **context: drawn.update(context)
    campaigns.record_call(visit, request([("invited", "yes"), ("accepted", "yes"),
                                          ("back", back)]), "i2")
    assert drawn["selected"] is None and "名额已满" in drawn["error"]


def test_the_list_keeps_its_page_when_a_customer_is_selected():
    row = {"id": "i2", "customer_id": "c2", "status": "to_call", "theme": "t",
           "starts_at": "2026-12-12T01:30:00+00:00", "calls": 0, "reason": None, "note": ""}
    page = render("invitations.html", invitations=[row], names={}, selected=row,
                  status="to_call", campaign_id="", cursor="abc=", filters=campaigns.FILTERS,
                  next=None, error="", message="", errors={}, values={},
                  not_invited=campaigns.NOT_INVITED, levels=campaigns.SATISFACTION)
    assert 'name="back" value="/campaigns/invitations?status=to_call&amp;cursor=abc%3D"' in page
    assert 'href="/campaigns/invitations?status=to_call&amp;cursor=abc%3D&amp;selected=i2"' in page


def test_a_missed_task_reads_the_same_everywhere():
    assert words.label(words.FOLLOWUP_STATUS, "missed") == "漏回访"
    assert dict(followups.GROUP_TABS)["missed"] == "漏回访"

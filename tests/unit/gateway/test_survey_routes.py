"""The gateway's routes of the survey service (issue 12, item 9) and the public survey page
(V3): every survey operation routed once with the contract's roles (the token-issuing one
not at all), in the OpenAPI document, names not shadowed by the service class; the page
shows only the questionnaire and the greeting, answers once, and says clearly why a
link cannot be used, with 410 / 404 / 429, no referrer and no caching."""
import ast
import importlib
from pathlib import Path

import pytest
from nameko.extensions import ENTRYPOINT_EXTENSIONS_ATTR
from werkzeug.test import EnvironBuilder

from services.common.errors import Invalid, TooManyRequests, Unavailable
from services.gateway import http, openapi
from services.gateway import survey_routes as routes_module
from services.gateway.pages import survey_public
from services.gateway.pages.web import Page, Visit
from services.gateway.signin import Guard, Slots
from services.survey import contract as survey
from services.survey.contract.answers import LinkExpired, LinkInvalid, LinkUsed

service = importlib.import_module("services.gateway.service")
Gateway = service.GatewayService
# Not routed: the token goes to notify only; the two public ones have their own routes.
UNROUTED = {"issue_survey_link", "survey_by_token", "answer_by_token",
            # the report feed (issue 13): the report service's system identity only
            "report_followups", "report_answers", "report_followup_counts",
            "report_answer_counts", "report_ivr_offers", "report_invitations",
            "report_ivr_offer_counts", "report_invitation_counts"}


def _entrypoints():
    for name in dir(routes_module.SurveyRoutes):
        for extension in getattr(getattr(Gateway, name), ENTRYPOINT_EXTENSIONS_ATTR, ()):
            yield name, extension


def _forwarded() -> dict[str, http.Api]:
    """The survey operation each forwarding route asks, by the route's docstring."""
    found = {}
    for name, extension in _entrypoints():
        if isinstance(extension, http.Api) and not extension.public:
            doc = getattr(Gateway, name).__doc__
            operation = doc.rsplit("(survey.", 1)[1].rstrip(")")
            assert operation not in found, f"{operation} routed twice"
            found[operation] = extension
    return found


def test_every_survey_operation_has_a_route_with_the_contracts_roles():
    routed = _forwarded()
    operations = {op.name for op in survey.CONTRACT.operations}
    assert set(routed) == operations - UNROUTED
    for name, route in routed.items():
        assert route.allow == survey.CONTRACT.operation(name).roles, name
        assert route.upstreams == ("survey",)


def test_the_telephony_posts_ivr_ratings_and_staff_cannot():
    route = _forwarded()["ivr_rating"]
    assert route.allow == frozenset({"telephony"})


def test_no_survey_route_name_is_given_again_by_the_service_class():
    """A name of the service class would silently replace the mixin's route."""
    tree = ast.parse(Path(service.__file__).read_text(encoding="utf-8"))
    [cls] = [n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "GatewayService"]
    own = {t.id for n in cls.body if isinstance(n, ast.Assign) for t in n.targets
           if isinstance(t, ast.Name)} | {n.name for n in cls.body
                                          if isinstance(n, ast.FunctionDef)}
    mine = {name for name in vars(routes_module.SurveyRoutes) if not name.startswith("_")}
    assert own & mine == set()


def test_survey_routes_are_in_the_openapi_document():
    paths = openapi.document()["paths"]
    for _, extension in _entrypoints():
        if isinstance(extension, Page):
            continue
        operation = paths[openapi._PARAM.sub(r"{\1}", extension.url)][extension.method.lower()]
        if extension.public:
            assert "security" not in operation and "410" in operation["responses"]
        else:
            assert operation["security"] == [{"bearer": []}]
    figures = paths["/api/v1/satisfaction"]["get"]["parameters"]
    assert any(p["name"] == "by" and p["schema"]["type"] == "array" for p in figures)


def test_the_public_survey_pages_are_public_and_the_only_public_survey_pages():
    pages = {(e.method, e.url) for _, e in _entrypoints() if isinstance(e, Page)}
    assert pages == {("GET", "/s/<token>"), ("POST", "/s/<token>")}
    assert all(e.public for _, e in _entrypoints() if isinstance(e, Page))


# -- the page -----------------------------------------------------------------------------
QUESTIONS = [
    {"key": "overall", "kind": "scale", "text": "您对本次服务满意吗？", "required": True,
     "options": [], "csat": True, "max_length": None},
    {"key": "recommend", "kind": "nps", "text": "您愿意推荐我们吗？", "required": False,
     "options": [], "csat": False, "max_length": None},
    {"key": "fixed", "kind": "single", "text": "问题解决了吗？", "required": False,
     "options": ["已解决", "未解决"], "csat": False, "max_length": None},
    {"key": "liked", "kind": "multiple", "text": "您满意哪些方面？", "required": False,
     "options": ["态度", "速度", "专业"], "csat": False, "max_length": None},
    {"key": "comment", "kind": "text", "text": "其他建议", "required": False,
     "options": [], "csat": False, "max_length": 200},
]
SURVEY = {"title": "售后回访", "description": "", "greeting_name": "张先生",
          "questions": QUESTIONS, "expires_at": "2026-12-10T10:00:00+00:00"}


class Survey:
    survey_by_token = "survey.survey_by_token"
    answer_by_token = "survey.answer_by_token"


class FakeGateway:
    survey = Survey()
    deadline = 5.0
    signin = Guard(Slots(1, 1), 1.0, frozenset({"10.0.0.9"}))


@pytest.fixture
def asked(monkeypatch):
    """The survey's answers by operation (a value, or an exception raised), and the calls."""
    answers = {"survey_by_token": SURVEY, "answer_by_token": {"answered": True}}
    made = []

    def call(method, data, timeout):
        made.append((method.rsplit(".", 1)[1], data))
        answer = answers[method.rsplit(".", 1)[1]]
        if isinstance(answer, Exception):
            raise answer
        return answer
    monkeypatch.setattr(survey_public, "call", call)
    return answers, made


def _visit(method="GET", data=None, peer="203.0.113.7", forwarded=None) -> Visit:
    headers = {"X-Forwarded-For": forwarded} if forwarded else {}
    request = EnvironBuilder(method=method, path="/s/tok", data=data, headers=headers,
                             environ_base={"REMOTE_ADDR": peer}).get_request()
    return Visit(FakeGateway(), request)


def test_v3_the_page_shows_the_questionnaire_and_the_greeting_privately(asked):
    _, made = asked
    reply = survey_public.show(_visit(), _visit().request, "tok")
    page = reply.get_data(as_text=True)
    assert reply.status_code == 200
    assert "张先生，您好！" in page and "您对本次服务满意吗？" in page and "非常满意" in page
    assert '<meta name="referrer" content="same-origin">' in page
    assert 'name="viewport"' in page and 'method="post"' in page and "<script" not in page
    assert reply.headers["Referrer-Policy"] == "same-origin"
    assert reply.headers["Cache-Control"] == "no-store"
    assert made == [("survey_by_token", {"token": "tok", "client_key": "203.0.113.7"})]


def test_v3_the_client_key_is_the_peer_unless_a_trusted_proxy_says_otherwise(asked):
    _, made = asked
    forged = _visit(forwarded="198.51.100.1")
    survey_public.show(forged, forged.request, "tok")
    proxied = _visit(peer="10.0.0.9", forwarded="198.51.100.2")
    survey_public.show(proxied, proxied.request, "tok")
    assert [data["client_key"] for _, data in made] == ["203.0.113.7", "198.51.100.2"]


@pytest.mark.parametrize("refusal,status,words", [
    (LinkUsed("used"), 410, "已经提交过"), (LinkExpired("expired"), 410, "已超过有效期"),
    (LinkInvalid("bad"), 404, "链接无效"), (TooManyRequests("slow"), 429, "尝试次数过多"),
    (Invalid("bad", {"token": ["Longer than maximum length 400."]}), 404, "链接无效"),
    (Unavailable("down"), 503, "系统繁忙")])
def test_v3_a_link_that_cannot_be_used_is_a_clear_page(asked, refusal, status, words):
    answers, _ = asked
    answers["survey_by_token"] = refusal
    for method in ("GET", "POST"):
        visit = _visit(method, data={"q-overall": "5"})
        view = survey_public.show if method == "GET" else survey_public.submit
        reply = view(visit, visit.request, "tok")
        page = reply.get_data(as_text=True)
        assert reply.status_code == status and words in page
        assert reply.headers["Referrer-Policy"] == "same-origin"
        assert "<form" not in page


def test_v3_a_token_longer_than_any_of_ours_is_not_asked(asked):
    _, made = asked
    visit = _visit()
    assert survey_public.show(visit, visit.request, "x" * 401).status_code == 404
    assert made == []


def test_v3_the_answers_go_as_the_survey_takes_them_and_thanks(asked):
    _, made = asked
    visit = _visit("POST", data={"q-overall": "4", "q-recommend": "10", "q-fixed": "已解决",
                                 "q-liked": ["态度", "专业"], "q-comment": " 很好 "})
    reply = survey_public.submit(visit, visit.request, "tok")
    assert reply.status_code == 200 and "感谢您的评价" in reply.get_data(as_text=True)
    assert made[-1] == ("answer_by_token", {
        "token": "tok", "client_key": "203.0.113.7",
        "answers": {"overall": 4, "recommend": 10, "fixed": "已解决", "liked": ["态度", "专业"],
                    "comment": " 很好 "}})


def test_v3_a_wrong_answer_shows_the_form_again_with_the_reason_and_the_values(asked):
    answers, _ = asked
    answers["answer_by_token"] = Invalid("the answers do not fit", {
        "answers.overall": ["required"], "answers.comment": ["at most 200 characters"]})
    visit = _visit("POST", data={"q-fixed": "未解决", "q-comment": "太慢"})
    reply = survey_public.submit(visit, visit.request, "tok")
    page = reply.get_data(as_text=True)
    assert reply.status_code == 200
    assert "此题为必答题" in page and "最多 200 个字" in page
    assert 'value="未解决" checked' in page and "太慢</textarea>" in page


def test_v3_a_score_that_is_no_number_goes_on_for_the_survey_to_name():
    got = survey_public.read_answers(QUESTIONS, _visit("POST", data={
        "q-overall": "五", "q-recommend": "", "q-comment": "x" * 5000}).request.form)
    assert got["overall"] == "五" and len(got["comment"]) == 2001
    assert "recommend" not in got and "liked" not in got and "fixed" not in got
    # review: "²" and "١" are digits to str.isdigit() but not to int(): no 500
    got = survey_public.read_answers(QUESTIONS, _visit("POST", data={
        "q-overall": "²", "q-recommend": "١٠"}).request.form)
    assert got["overall"] == "²" and got["recommend"] == "١٠"


def test_v3_a_refusal_not_about_one_question_is_the_forms():
    errors = survey_public.answer_errors(Invalid("bad", {
        "answers.overall": ["required"], "answers": {"x": ["Field may not be null."]}}))
    assert errors == {"overall": "此题为必答题", "_form": "提交的内容有误，请检查后重试"}


# -- the JSON twin --------------------------------------------------------------------------
def _api_request(body: bytes = b'{"answers": {"overall": 5}}'):
    return EnvironBuilder(method="POST", path="/api/v1/public/surveys/tok/answers", data=body,
                          environ_base={"REMOTE_ADDR": "203.0.113.7"}).get_request()


def test_v3_the_json_twin_answers_used_and_expired_with_410(asked):
    answers, made = asked
    answered = survey_public.api_answer(FakeGateway(), _api_request(), "tok")
    assert answered.status_code == 201 and answered.get_json() == {"answered": True}
    assert answered.headers["Cache-Control"] == "no-store"
    shown = survey_public.api_survey(FakeGateway(), _api_request(), "tok")
    assert shown.status_code == 200 and shown.get_json()["greeting_name"] == "张先生"
    assert shown.headers["Referrer-Policy"] == "same-origin"
    assert made[0] == ("answer_by_token", {"token": "tok", "client_key": "203.0.113.7",
                                           "answers": {"overall": 5}})
    answers["answer_by_token"] = LinkUsed("used")
    gone = survey_public.api_answer(FakeGateway(), _api_request(), "tok")
    assert gone.status_code == 410 and b"link_used" in gone.get_data()
    answers["survey_by_token"] = LinkExpired("expired")
    gone = survey_public.api_survey(FakeGateway(), _api_request(), "tok")
    assert gone.status_code == 410 and b"link_expired" in gone.get_data()


def test_v3_the_json_twin_takes_no_client_key_from_the_body(asked):
    with pytest.raises(Invalid) as refused:
        survey_public.api_answer(FakeGateway(), _api_request(
            b'{"answers": {}, "client_key": "elsewhere"}'), "tok")
    assert "client_key" in refused.value.fields
    assert asked[1] == []

"""The public survey page 满意度调查 (V3): the customer opens /s/<token> from an SMS or an
email, on a phone, with no sign-in, and answers once.

It shows the questionnaire and the greeting `survey_by_token` answers — nothing else of
the customer — and posts a plain form (no script needed); the answers go to
`answer_by_token`.  A used or an expired link is a clear page with 410, a wrong (changed,
cut, made-up) one 404, too many wrong ones from one address 429.  The address is the
gateway's notion of the client (the peer, or behind a trusted proxy its
X-Forwarded-For), the key the survey service counts bad tokens by.  The pages send no
referrer (the token is in the URL) and are never stored by a cache.

The JSON twin for other front ends (api_survey, api_answer) answers the same with the
same statuses.
"""
from werkzeug.wrappers import Response

from services.common.errors import (
    DeadlineExceeded,
    Invalid,
    NotFound,
    TooManyRequests,
    Unavailable,
)
from services.common.rpc import call
from services.gateway.domain.accounts import client_address
from services.gateway.http import error_response, json_object, json_response
from services.gateway.pages.web import Visit
from services.survey.contract.answers import LinkExpired, LinkUsed
from services.survey.contract.questionnaires import MAX_QUESTIONS, MAX_TEXT_ANSWER

MAX_TOKEN = 400  # the survey's TokenIn bound: a longer one is no token of ours
MAX_CHOICES = 20
# No referrer (the token) to any other site; same-origin keeps the Origin header the
# console's CSRF check reads on the form's POST (no-referrer sends "Origin: null").
REFERRER_POLICY = "same-origin"
GONE = 410

# What each refusal says to the customer: (status, title, message).
CLOSED = {
    "used": (GONE, "问卷已提交", "此链接已经提交过答卷，每个链接只能提交一次。感谢您的参与！"),
    "expired": (GONE, "链接已过期", "此调查链接已超过有效期，无法再填写。感谢您的关注！"),
    "invalid": (404, "链接无效", "此链接无效或不完整，请核对短信或邮件中的链接是否完整。"),
    "too_many": (429, "尝试次数过多", "无效链接的尝试次数过多，请稍后再试。"),
    "busy": (503, "暂时无法打开", "系统繁忙，请稍后再试。"),
}
REASONS = {
    "required": "此题为必答题",
    "not one of the options": "请从选项中选择",
    "a list of options expected": "请从选项中选择",
    "an option is chosen twice": "请从选项中选择",
    "text expected": "请填写文字",
}


def client_key(service, request) -> str:
    """The client's address as the gateway counts it (sign-in's throttle does the same)."""
    return client_address(request.remote_addr, request.headers.get("X-Forwarded-For"),
                          service.signin.trusted_proxies)


def _ask(service, operation: str, data: dict) -> dict:
    return call(getattr(service.survey, operation), data, timeout=service.deadline)


def _refusal(exc: Exception) -> str | None:
    """Which closed page a refusal of the survey service is, or None (not a link's)."""
    if isinstance(exc, LinkUsed):
        return "used"
    if isinstance(exc, LinkExpired):
        return "expired"
    if isinstance(exc, NotFound):
        return "invalid"
    if isinstance(exc, TooManyRequests):
        return "too_many"
    if isinstance(exc, Invalid) and "token" in (exc.fields or {}):
        return "invalid"
    if isinstance(exc, Unavailable | DeadlineExceeded):
        return "busy"
    return None


# -- the page ---------------------------------------------------------------------------
def _private(response: Response) -> Response:
    response.headers["Referrer-Policy"] = REFERRER_POLICY
    response.headers["Cache-Control"] = "no-store"
    return response


def _closed(visit: Visit, why: str) -> Response:
    status, title, message = CLOSED[why]
    return _private(visit.render("survey_public_closed.html", status, title=title,
                                 message=message, why=why))


def _form(visit: Visit, survey: dict, values: dict, errors: dict) -> Response:
    return _private(visit.render("survey_public.html", survey=survey, values=values,
                                 errors=errors))


def show(visit: Visit, request, token: str) -> Response:
    """满意度调查: the questionnaire, or why the link cannot be answered."""
    if len(token) > MAX_TOKEN:
        return _closed(visit, "invalid")
    try:
        survey = _ask(visit.service, "survey_by_token",
                      {"token": token, "client_key": client_key(visit.service, request)})
    except Exception as exc:
        why = _refusal(exc)
        if why is None:
            raise
        return _closed(visit, why)
    return _form(visit, survey, {}, {})


def submit(visit: Visit, request, token: str) -> Response:
    """The answers, once: thanks; a wrong answer shows the form again with its reason."""
    if len(token) > MAX_TOKEN:
        return _closed(visit, "invalid")
    service, key = visit.service, client_key(visit.service, request)
    survey = None
    try:
        survey = _ask(service, "survey_by_token", {"token": token, "client_key": key})
        _ask(service, "answer_by_token", {
            "token": token, "client_key": key,
            "answers": read_answers(survey["questions"], request.form)})
    except Exception as exc:
        why = _refusal(exc)
        if why is not None:
            return _closed(visit, why)
        if survey is None or not isinstance(exc, Invalid):
            raise
        given = {name: request.form.getlist(name)[:MAX_CHOICES] for name in request.form}
        return _form(visit, survey, given, answer_errors(exc))
    return _private(visit.render("survey_public_done.html", survey=survey))


def read_answers(questions: list[dict], form) -> dict:
    """{key: answer} from the plain form, the unanswered left out: a choice as its
    option, several as a list, a score as a whole number (anything else as it came, for
    the survey to name), text cut to the longest answer the survey takes plus one (so
    it says "too long")."""
    answers: dict = {}
    for question in questions[:MAX_QUESTIONS]:
        name, kind = "q-" + question["key"], question["kind"]
        if kind == "multiple":
            chosen = [value[:200] for value in form.getlist(name)[:MAX_CHOICES]]
            if chosen:
                answers[question["key"]] = chosen
            continue
        value = form.get(name, "")
        if not value.strip():
            continue  # unanswered: the survey says so when it is required
        if kind in ("scale", "nps"):
            value = value.strip()
            # ASCII digits only: "²".isdigit() is true and int() refuses it (a 500)
            answers[question["key"]] = int(value) \
                if value.isascii() and value.isdigit() and len(value) < 3 else value[:20]
        elif kind == "text":
            answers[question["key"]] = value[:MAX_TEXT_ANSWER + 1]
        else:
            answers[question["key"]] = value[:200]
    return answers


def answer_errors(exc: Invalid) -> dict:
    """{question key: the reason in Chinese} of a refusal naming `answers.<key>`; any
    other refusal is the form's."""
    errors = {}
    for name, why in (exc.fields or {}).items():
        if not name.startswith("answers."):
            errors["_form"] = "提交的内容有误，请检查后重试"
            continue
        text = why[0] if isinstance(why, list) and why else str(why)
        errors[name.removeprefix("answers.")] = _reason(str(text))
    return errors or {"_form": "提交的内容有误，请检查后重试"}


def _reason(text: str) -> str:
    if text in REASONS:
        return REASONS[text]
    if text.startswith("a whole number from"):
        low, _, high = text.removeprefix("a whole number from ").removesuffix(
            " expected").partition(" to ")
        return f"请选择 {low}–{high} 分"
    if text.startswith("at most ") and text.endswith(" characters"):
        return f"最多 {text.split()[2]} 个字"
    return "请检查此题的回答"


# -- the JSON twin -------------------------------------------------------------------------
PRIVATE = {"Cache-Control": "no-store", "Referrer-Policy": REFERRER_POLICY}


def _gone(exc: LinkUsed | LinkExpired) -> Response:
    response = error_response(GONE, exc.code, exc.message, exc.fields)
    response.headers.update(PRIVATE)
    return response


def api_survey(service, request, token: str) -> Response:
    """GET /api/v1/public/surveys/<token>: the PublicQuestionnaire (never cached)."""
    try:
        return json_response(200, _ask(service, "survey_by_token", {
            "token": token, "client_key": client_key(service, request)}), PRIVATE)
    except (LinkUsed, LinkExpired) as exc:
        return _gone(exc)


def api_answer(service, request, token: str) -> Response:
    """POST /api/v1/public/surveys/<token>/answers {"answers": {...}}: {"answered": true}."""
    body = json_object(request)
    unknown = sorted(set(body) - {"answers"})
    if unknown:
        raise Invalid("unknown field", {name[:64]: ["Unknown field."] for name in unknown[:10]})
    try:
        return json_response(201, _ask(service, "answer_by_token", {
            "token": token, "client_key": client_key(service, request),
            "answers": body.get("answers", {})}), PRIVATE)
    except (LinkUsed, LinkExpired) as exc:
        return _gone(exc)

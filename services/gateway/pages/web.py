"""The console's web layer (issue 10): the page entrypoint, its session cookie and CSRF
token, and HTML rendering.

    workbench = page("GET", "/", workbench.show)            # in service.py

A page is a view function `view(visit, request, **path_values) -> Response`.  It runs
in a worker like any route; before it, `Visitor` finds the signed-in account from the
session cookie (handlers/console.enter) and puts a fresh access token of that account in
the worker's context data, so every RPC a page makes carries the person's own identity:
a page shows nothing the API would refuse them, because it asks the same RPCs.

Cookies: `kefu_session` (the session, HttpOnly, SameSite=Strict, Path=/) and
`kefu_device` (the known-device token of sign-in, HttpOnly).  No token is ever in a URL
or readable by a script.  Every request other than GET/HEAD carries the CSRF token —
the form field `csrf` or the header `X-CSRF-Token` (htmx sends it from the page's
<meta>) — an HMAC of the session cookie, so it is the session's own and needs no
storage; a request without it, or from another origin, is refused before any worker.

A form the services refused is shown again with 200, its values kept and each reason
beside its field (the refusal is the page's content, not a failed load).
"""
import datetime
import hashlib
import hmac
import json
import logging
import uuid
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit
from zoneinfo import ZoneInfo

from eventlet.event import Event
from jinja2 import Environment, FileSystemLoader, select_autoescape
from marshmallow import ValidationError
from nameko.exceptions import RemoteError
from nameko.extensions import DependencyProvider
from nameko.web.handlers import HttpRequestHandler
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

from services.common.errors import (
    EXPECTED,
    Forbidden,
    Invalid,
    Unauthenticated,
    invalid_from_marshmallow,
)
from services.common.identity import CONTEXT_KEY, Callers, Principal
from services.common.rpc import call
from services.gateway.handlers import console
from services.gateway.http import ERRORS, Bulkheads, JsonWebServer, check_request
from services.gateway.pages import words

log = logging.getLogger(__name__)
SESSION_COOKIE = "kefu_session"
DEVICE_COOKIE = "kefu_device"
CSRF_FIELD = "csrf"
CSRF_HEADER = "X-CSRF-Token"
CHINA = ZoneInfo("Asia/Shanghai")
HERE = Path(__file__).resolve().parent.parent
TEMPLATES = HERE / "templates"
SAFE_METHODS = frozenset({"GET", "HEAD"})
# The pages use only their own files: no inline script, no other origin.
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self';"
                               " img-src 'self' data:; frame-ancestors 'none';"
                               " form-action 'self'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}


def csrf_token(cookie: str) -> str:
    """The session's CSRF token: an HMAC of its cookie (which only the browser holds)."""
    return hmac.new(cookie.encode("utf-8"), b"kefu-console-csrf", hashlib.sha256).hexdigest()


def csrf_ok(request) -> bool:
    """A state-changing request carries its session's token and comes from this origin."""
    origin = request.headers.get("Origin")
    if origin and urlsplit(origin).netloc != request.host:
        return False
    cookie = request.cookies.get(SESSION_COOKIE)
    if not cookie:
        return True  # no session: the view refuses (sign-in is the one such form)
    # The header first: an upload's body is read only by its view, under its own limit.
    given = request.headers.get(CSRF_HEADER) or request.form.get(CSRF_FIELD, "")
    return hmac.compare_digest(given.encode("utf-8"), csrf_token(cookie).encode("utf-8"))


# -- rendering --------------------------------------------------------------------------
def _when(value, with_time: bool = True) -> str:
    """An ISO date-time (or datetime) as mainland users write it, in Asia/Shanghai."""
    if not value:
        return ""
    if isinstance(value, str):
        try:
            value = datetime.datetime.fromisoformat(value)
        except ValueError:
            return value
    if isinstance(value, datetime.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(CHINA)
        return value.strftime("%Y-%m-%d %H:%M" if with_time else "%Y-%m-%d")
    return value.isoformat() if isinstance(value, datetime.date) else str(value)


def _money(value) -> str:
    """¥1,280.00"""
    if value is None or value == "":
        return ""
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        return str(value)
    return f"¥{amount:,.2f}"


def _age(value) -> str:
    """How long ago, in Chinese words (3分钟前, 2小时前, 5天前)."""
    if not value:
        return ""
    moment = datetime.datetime.fromisoformat(value) if isinstance(value, str) else value
    seconds = max(0, int((datetime.datetime.now(datetime.UTC) - moment).total_seconds()))
    if seconds < 3600:
        return f"{seconds // 60}分钟前"
    if seconds < 86400:
        return f"{seconds // 3600}小时前"
    return f"{seconds // 86400}天前"


def _sla(ticket: dict) -> str:
    """The SLA colour of an open ticket: paused, breached, due (within 30 min), ok."""
    if ticket.get("status") in ("resolved", "closed", "cancelled"):
        return "done"
    if ticket.get("paused_since") or ticket.get("status") == "waiting":
        return "paused"
    due = ticket.get("resolution_due_at") or ticket.get("response_due_at")
    if not due:
        return "ok"
    left = (datetime.datetime.fromisoformat(due)
            - datetime.datetime.now(datetime.UTC)).total_seconds()
    return "breached" if left < 0 else "due" if left < 1800 else "ok"


ENV = Environment(loader=FileSystemLoader(str(TEMPLATES)),
                  autoescape=select_autoescape(default=True, default_for_string=True),
                  trim_blocks=True, lstrip_blocks=True)
ENV.filters.update(when=_when, day=partial(_when, with_time=False), money=_money, age=_age,
                   sla=_sla, tojson_attr=lambda value: json.dumps(value, ensure_ascii=False))
ENV.globals.update(words=words)


def html(body: str, status: int = 200, headers=None) -> Response:
    response = Response(body, status=status, headers=headers,
                        content_type="text/html; charset=utf-8")
    response.headers.update(SECURITY_HEADERS)
    response.headers["Cache-Control"] = "no-store"
    return response


def redirect(to: str, htmx: bool = False) -> Response:
    """303 to a page of ours (an htmx request is told to go there itself)."""
    if htmx:
        return Response(status=204, headers={"HX-Redirect": to})
    return Response(status=303, headers={"Location": to})


# -- who is visiting ----------------------------------------------------------------------
@dataclass
class Visit:
    """One page request: the service (its proxies, deadline, database), the person and
    what every template is given."""

    service: Any
    request: Any
    principal: Principal | None = None
    account: dict = field(default_factory=dict)
    csrf: str = ""

    @property
    def person(self) -> Principal:
        """The signed-in person (pages other than the public ones have one)."""
        if self.principal is None:
            raise Unauthenticated("sign in")
        return self.principal

    @property
    def keys(self) -> set:
        """What the telephony may call this person: the staff id or the username."""
        return {self.person.id, self.person.username}

    @property
    def htmx(self) -> bool:
        return self.request.headers.get("HX-Request") == "true"

    def ask(self, service: str, operation: str, *args, timeout: float | None = None):
        """The reply of one RPC of a service, asked as this person."""
        method = getattr(getattr(self.service, service), operation)
        return call(method, *args, timeout=timeout or self.service.deadline)

    def may(self, roles) -> bool:
        return self.principal is not None and self.principal.has_any(roles)

    def render(self, template: str, status: int = 200, /, **context) -> Response:
        return html(self.text(template, **context), status)

    def text(self, template: str, /, **context) -> str:
        return ENV.get_template(template).render(
            me=self.account, principal=self.principal, csrf=self.csrf, may=self.may,
            path=self.request.path, **context)


class Visitor(DependencyProvider):
    """Injects `enter(service, request, public)`: the Visit, its person signed in."""

    callers = Callers()

    def get_dependency(self, worker_ctx):
        return partial(self.enter, worker_ctx)

    def enter(self, worker_ctx, service, request, public: bool) -> Visit:
        visit = Visit(service, request)
        cookie = request.cookies.get(SESSION_COOKIE)
        if public and not cookie:
            return visit
        try:
            token, account = console.enter(service.db, service.tokens, cookie)
        except Exception:
            if public:
                return visit
            raise
        worker_ctx.data[CONTEXT_KEY] = token  # what travels on with every RPC
        visit.principal = self.callers.verify(token)
        visit.account = account
        visit.csrf = csrf_token(cookie)
        return visit


# -- the entrypoint -----------------------------------------------------------------------
class Page(HttpRequestHandler):
    """A page's request runs in a worker holding a slot of the "console" bulkhead (the
    API's, http.Bulkheads): pages waiting on a hung service hold at most that share of
    the gateway's workers, and the API keeps answering."""

    server = JsonWebServer()
    bulkheads = Bulkheads()
    serves_callers = True  # a page's identity is its session's, never a system one

    def __init__(self, method, url, allow=None, public=False, **kwargs):
        self.allow = frozenset(allow or ())  # who may open it (the route checks; tests read)
        self.public = public
        super().__init__(method, url, expected_exceptions=EXPECTED + (ValidationError,))

    def handle_request(self, request):
        request.shallow = False
        request_id = uuid.uuid4().hex
        try:
            check_request(request)
            if request.method not in SAFE_METHODS and not csrf_ok(request):
                raise Forbidden("页面已过期或来源不明，请刷新后重试")
            with self.bulkheads.held(("console",)):
                event = Event()
                self.container.spawn_worker(self, [request], request.path_values,
                                            context_data={"request_id": request_id},
                                            handle_result=partial(self.handle_result, event))
                response = event.wait()
        except Exception as exc:  # noqa: BLE001 — every error becomes a page
            response = error_page(request, exc)
        response.headers["X-Request-Id"] = request_id
        return response

    def get_entrypoint_parameters(self, request):  # not used: handle_request passes them
        return [request], request.path_values


def error_page(request, exc: Exception) -> Response:
    """An error as a person sees it: sign-in for an ended session, else a short page
    (or fragment, for htmx) saying what happened in Chinese."""
    htmx = request.headers.get("HX-Request") == "true"
    if isinstance(exc, Unauthenticated):
        target = "/login?next=" + quote(request.path) if request.method == "GET" else "/login"
        return redirect(target if request.path != "/" else "/login", htmx)
    if isinstance(exc, ValidationError):
        exc = invalid_from_marshmallow(exc)
    status = 500
    for cls, code in ERRORS:
        if isinstance(exc, cls):
            status = code
            break
    else:
        if isinstance(exc, HTTPException):
            status = exc.code or 400
        elif isinstance(exc, RemoteError):
            log.error("upstream error: %s", exc.exc_type)
            status = 502
        else:
            log.exception("unexpected error in a page", exc_info=exc)
    message = words.refusal(exc, status)
    fields = getattr(exc, "fields", None) or {}
    body = ENV.get_template("error.html").render(
        status=status, message=message, fields=fields, fragment=htmx, me=None,
        principal=None, csrf="", may=lambda roles: False, path=request.path)
    headers = {"HX-Retarget": "#notice", "HX-Reswap": "innerHTML"} if htmx else None
    return html(body, 200 if htmx else status, headers)


def page(method: str, url: str, view, allow=None, public: bool = False):
    """The entrypoint of a page: the visit entered, the role checked, the view run."""
    if not public and not allow:
        raise ValueError(f"{method} {url}: give allow=<roles> or public=True")

    def route(self, request, **values):
        visit = self.visitor(self, request, public)
        if not public and not visit.person.has_any(allow):
            raise Forbidden("您的角色无权打开此页面")
        return view(visit, request, **values)

    route.__doc__ = view.__doc__
    return Page.decorator(method, url, allow=allow, public=public)(route)


def invalid_fields(exc: Exception) -> dict:
    """The {field: [reasons]} of a refusal, for a form shown again beside its fields."""
    if isinstance(exc, ValidationError):
        exc = invalid_from_marshmallow(exc)
    if isinstance(exc, Invalid):
        return {name: words.reasons(why) for name, why in (exc.fields or {}).items()} \
            or {"_form": [exc.message]}
    return {"_form": [words.refusal(exc, 409)]}

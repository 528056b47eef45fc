"""Sign-in and sign-out pages: the API's sign-in, its refresh token kept as the session
cookie and its device token as the device cookie."""
from werkzeug.wrappers import Response

from services.common.errors import TooManyRequests, Unauthenticated, Unavailable
from services.gateway.handlers import login
from services.gateway.pages.web import DEVICE_COOKIE, SESSION_COOKIE, Visit, redirect

DEVICE_DAYS = 90
MAX_NAME, MAX_PASSWORD = 64, 256


def _next(target: str | None) -> str:
    """Where to go after signing in: a path of ours, never another site."""
    if (not target or not target.startswith("/") or target.startswith("//") or "\\" in target
            or any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in target)):
        return "/"
    return target[:500]


def form(visit: Visit, request) -> Response:
    """登录"""
    if visit.principal is not None:
        return redirect(_next(request.args.get("next")))
    return visit.render("login.html", next=_next(request.args.get("next")), error="",
                        username="")


def submit(visit: Visit, request) -> Response:
    """Sign in with the form; back to the form with the reason when refused."""
    username = request.form.get("username", "")[:MAX_NAME].strip()
    password = request.form.get("password", "")[:MAX_PASSWORD]
    target = _next(request.form.get("next"))
    if not username or not password:
        return visit.render("login.html", 400, next=target, username=username,
                            error="请输入用户名和密码")
    service = visit.service
    try:
        signed = login.login(service.db, service.tokens, service.signin,
                             service.session_seconds, username, password, request.remote_addr,
                             request.headers.get("X-Forwarded-For"),
                             request.cookies.get(DEVICE_COOKIE) or None)
    except Unauthenticated:
        return visit.render("login.html", 401, next=target, username=username,
                            error="用户名或密码错误")
    except TooManyRequests:
        return visit.render("login.html", 429, next=target, username=username,
                            error="登录失败次数过多，请稍后再试")
    except Unavailable:
        return visit.render("login.html", 503, next=target, username=username,
                            error="登录繁忙，请稍后再试")
    response = redirect(target)
    secure = request.is_secure
    response.set_cookie(SESSION_COOKIE, signed["refresh_token"],
                        max_age=signed["refresh_expires_in"], httponly=True, samesite="Strict",
                        secure=secure, path="/")
    response.set_cookie(DEVICE_COOKIE, signed["device_token"], max_age=DEVICE_DAYS * 86400,
                        httponly=True, samesite="Strict", secure=secure, path="/login")
    return response


def sign_out(visit: Visit, request) -> Response:
    """End the session (its refresh token) and forget the cookie."""
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        login.logout(visit.service.db, cookie[:200])
    response = redirect("/login", visit.htmx)
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="Strict")
    return response

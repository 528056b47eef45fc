"""Message templates 消息模板 (issue 11, N2; supervisors up and admins): the current
versions by channel with their SMS length, a form saving a new version (a new name is
version 1), a template's page with its versions, a preview with values and retiring.

The form counts the SMS length as it is typed (an htmx POST to /notify/templates/length
on every input): the body with each variable shown as {name}, the sign name's 【】
counted, 70 characters in one message with Chinese and 67 per part beyond, 160/153 when
all of it is ASCII — the notify service's rule, computed here with no call (the gateway
does not import notify's domain).  Once saved, the count notify answers is the one shown.

What every notification page shares is here too: the notify service's reasons in
Chinese beside their fields, and `name=value` lines read as parameters.
"""
import re

from werkzeug.wrappers import Response

from services.common.errors import Invalid, KefuError
from services.gateway.http import ERRORS
from services.gateway.pages import admin, words
from services.gateway.pages.admin import done
from services.gateway.pages.web import Visit, redirect
from services.notify.contract.templates import CHANNELS, LOCALES, PURPOSES, QUIET
from services.vocabulary import ADMINS, SUPERVISORS_UP

EDITORS = SUPERVISORS_UP | ADMINS  # the contract's TEMPLATE_EDITORS
# SMS length: one message, then per part of a long one (UCS-2 with Chinese; 7-bit ASCII).
UCS2_SINGLE, UCS2_PART = 70, 67
ASCII_SINGLE, ASCII_PART = 160, 153
MAX_BODY = 4000
MAX_VARIABLES = 30
MAX_PARAMS_TEXT = 20000
MAX_IF_DEPTH = 20

_VARIABLE = re.compile(r"\{\{-?\s*([A-Za-z_][A-Za-z0-9_]*)\s*-?\}\}")
_IF = re.compile(r"\{%-?\s*if\s+(not\s+)?[A-Za-z_][A-Za-z0-9_]*\s*-?%\}"
                 r"((?:(?!\{%).)*?)"
                 r"(?:\{%-?\s*else\s*-?%\}((?:(?!\{%).)*?))?"
                 r"\{%-?\s*endif\s*-?%\}", re.S)
_TAG = re.compile(r"\{%.*?%\}", re.S)
_SEPARATORS = re.compile(r"[,，、\s]+")


# -- the SMS length, as the notify service counts it ------------------------------------------
def sample(body: str) -> str:
    """A template body as notify's sample shows it: each variable as {name}, and each
    {% if name %} … {% else %} … {% endif %} as its branch for a value that is given."""
    text = body[:MAX_BODY]
    for _ in range(MAX_IF_DEPTH):  # innermost first
        text, found = _IF.subn(lambda m: (m[3] or "") if m[1] else m[2], text)
        if not found:
            break
    return _VARIABLE.sub(lambda m: "{" + m[1] + "}", _TAG.sub("", text))


def sms_length(content: str, sign_name: str = "") -> dict:
    """Characters (the 【签名】 counted, as providers do) and billed parts."""
    text = f"【{sign_name}】{content}" if sign_name else content
    chars = len(text)
    single, part = (ASCII_SINGLE, ASCII_PART) if text.isascii() else (UCS2_SINGLE, UCS2_PART)
    parts = 1 if chars <= single else -(-chars // part)
    return {"characters": chars, "parts": parts, "per_part": single if parts == 1 else part}


def length_text(sms: dict | None) -> str:
    """"N字 / M条" """
    return f"{sms['characters']}字 / {sms['parts']}条" if sms else ""


# -- the notify service's reasons in Chinese ---------------------------------------------------
REASONS = {
    "an SMS template needs the provider's template code and the approved sign name":
        "短信模板需要服务商的模板编号和已审核的签名",
    "an email template needs a subject": "邮件模板需要填写主题",
    "a variable is declared twice": "变量重复声明",
    "lower-case letters, digits and _, starting with a letter":
        "小写字母、数字和下划线，以字母开头",
    "missing: the template declares it": "缺少：模板声明了这个变量",
    "unknown: the template does not declare it": "模板没有声明这个变量",
    "must be a string or a number": "须为文字或数字",
    "give exactly one of segment, recipients": "请给出客户筛选条件",
    "give exactly one of customer_id, phone, email": "请给出客户、手机号或邮箱中的一个",
    "a target of the other kind has this name": "另一类型的机器人/Webhook 已使用这个名称",
    "taken": "已被占用", "HH:MM-HH:MM": "格式为 HH:MM-HH:MM（如 21:00-08:00）",
    "Not a valid URL.": "不是有效的网址", "Not a valid email address.": "不是有效的邮箱地址",
    "not configured on this system": "本系统未配置",
    "no such template": "没有这个模板", "no such batch": "没有这个群发",
}
PATTERNS = [
    (re.compile(r"^uses undeclared variable '(.+)'$"), "使用了未声明的变量 {0}：请在“变量”中声明"),
    (re.compile(r"^'(.+)' is declared but not used$"), "变量 {0} 已声明，但正文和主题都没有用到"),
    (re.compile(r"^'(.+)': lower-case letters, digits and _"),
     "变量 {0}：只能用小写字母、数字和下划线，以字母开头（最多 40 个字符）"),
    (re.compile(r"^template syntax error on line (\d+): (.+)$"), "模板语法错误（第 {0} 行）：{1}"),
    (re.compile(r"^only .+ are allowed, not (\w+)$"),
     "只能使用 {{{{ 变量 }}}} 和 {{% if 变量 %}} … {{% endif %}}（不能用 {0}）"),
    (re.compile(r"^cannot be rendered: (.+)$"), "无法生成内容：{0}"),
    (re.compile(r"^no (\w+) template named '(.+)' \((.+)\)$"), "没有名为 {1} 的{0}模板（{2}）"),
    (re.compile(r"^a (phone|email) cannot take the (\w+) channel$"), "{0} 不能用 {1} 渠道发送"),
    (re.compile(r"^does not fit the (\w+) channel$"), "与 {0} 渠道不符"),
    (re.compile(r"^longer than (\d+) characters$"), "超过 {0} 个字符"),
]


def chinese(reason) -> str:
    """A notify reason in Chinese when the words are known (then the admin pages')."""
    reason = reason if isinstance(reason, str) else str(reason)
    if reason in REASONS:
        return REASONS[reason]
    for pattern, text in PATTERNS:
        found = pattern.match(reason)
        if found:
            groups = [words.MESSAGE_CHANNEL.get(g, g) for g in found.groups()]
            return text.format(*groups)
    return admin.chinese(reason)


def refused(exc: Exception) -> dict:
    """{field: [reasons]} of a refusal in Chinese, for a form shown again beside its
    fields (a refusal of the whole under `_form`)."""
    if isinstance(exc, KefuError):
        exc = type(exc)(chinese(exc.message), {
            name: [chinese(r) for r in (why if isinstance(why, list) else [why])]
            for name, why in (exc.fields or {}).items()})
    return admin.refused(exc)


def said(exc: Exception) -> str:
    """A refusal of a whole page part, in Chinese."""
    status = next((code for cls, code in ERRORS if isinstance(exc, cls)), 502)
    return words.refusal(exc, status)


def params_from_lines(text: str, field: str = "params") -> dict:
    """`name=value` lines (or name：value) as parameters; a line without = is refused."""
    params: dict = {}
    for number, line in enumerate(text[:MAX_PARAMS_TEXT].splitlines(), 1):
        if not line.strip():
            continue
        name, sep, value = line.replace("＝", "=").partition("=")
        if not sep or not name.strip():
            raise Invalid("bad parameter line", {field: [f"第 {number} 行应为 名称=值"]})
        params[name.strip()[:40]] = value.strip()[:500]
    return params


def params_lines(params: dict | None) -> str:
    return "\n".join(f"{k}={v}" for k, v in (params or {}).items())


# -- the views ---------------------------------------------------------------------------------
def _variables(text: str) -> list[str]:
    return [v for v in _SEPARATORS.split(text[:2000]) if v][:MAX_VARIABLES + 1]


def posted(form) -> dict:
    """The form as the notify service's TemplateIn takes it."""
    def text(name: str, limit: int) -> str:
        return form.get(name, "")[:limit + 1].replace("\r\n", "\n").strip()
    return {"name": text("name", 64).lower(), "channel": text("channel", 10),
            "locale": text("locale", 10) or "zh-CN", "purpose": text("purpose", 10) or "service",
            "quiet_hours": text("quiet_hours", 10) or "defer", "subject": text("subject", 200),
            "body": text("body", MAX_BODY), "variables": _variables(form.get("variables", "")),
            "provider_code": text("provider_code", 64), "sign_name": text("sign_name", 30),
            "note": text("note", 500)}


def _list(visit: Visit, request, values: dict | None = None, errors: dict | None = None,
          status: int = 200) -> Response:
    channel = request.args.get("channel", "")
    query = {"channel": channel} if channel in CHANNELS else {}
    error = ""
    try:
        found = visit.ask("notify", "templates", query).get("templates", [])
    except KefuError as exc:
        found, error = [], said(exc)
    values = values or {"channel": query.get("channel", "sms"), "purpose": "service",
                        "quiet_hours": "defer", "locale": "zh-CN"}
    live = sms_length(sample(values.get("body", "")), values.get("sign_name", "")) \
        if values.get("channel") == "sms" else None
    return visit.render("message_templates.html", status, templates=found,
                        channels=CHANNELS, shown_channel=query.get("channel", ""),
                        purposes=PURPOSES, quiet=QUIET, locales=LOCALES, values=values,
                        errors=errors or {}, sms=live, error=error,
                        length_text=length_text, done=done(request))


def index(visit: Visit, request) -> Response:
    """消息模板: the current versions by channel, and the form for a new version
    (?from=<id>: filled with that version, to save the next one)."""
    source = request.args.get("from", "")[:64]
    if source:
        t = visit.ask("notify", "get_template", source)
        values = {**t, "variables": ", ".join(t.get("variables") or [])}
        return _list(visit, request, values)
    return _list(visit, request)


def save(visit: Visit, request) -> Response:
    """A new version saved (then its page, with notify's count); refused, the form again
    with each reason beside its field."""
    data = posted(request.form)
    try:
        saved = visit.ask("notify", "save_template", data)
    except KefuError as exc:
        shown = {**data, "variables": ", ".join(data["variables"])}
        return _list(visit, request, shown, refused(exc))
    return redirect(f"/notify/templates/{saved['id']}?done=saved", visit.htmx)


def length(visit: Visit, request) -> Response:
    """The live count of the form (a fragment): "N字 / M条", for SMS only."""
    form = request.form
    count = sms_length(sample(form.get("body", "")[:MAX_BODY]), form.get("sign_name", "")[:30]) \
        if form.get("channel", "sms") == "sms" else None
    return visit.render("message_template_length.html", sms=count, length_text=length_text)


def detail(visit: Visit, request, template_id, preview=None, preview_values="",
           errors=None) -> Response:
    """A template version: its fields, every version of its name, a preview with values,
    retiring it."""
    t = visit.ask("notify", "get_template", template_id[:64])
    try:
        versions = visit.ask("notify", "templates", {
            "name": t["name"], "channel": t["channel"], "all_versions": True,
            "retired": True}).get("templates", [])
    except KefuError:
        versions = []
    versions = [v for v in versions if v.get("locale") == t.get("locale")]
    return visit.render("message_template.html", template=t, versions=versions,
                        preview=preview, preview_values=preview_values or params_lines(
                            {v: "" for v in t.get("variables") or []}),
                        errors=errors or {}, length_text=length_text, done=done(request))


def preview(visit: Visit, request, template_id) -> Response:
    """The template rendered with the values typed (name=value lines)."""
    text = request.form.get("params", "")[:MAX_PARAMS_TEXT]
    shown, errors = None, {}
    try:
        shown = visit.ask("notify", "preview_template", template_id[:64],
                          {"params": params_from_lines(text)})
    except KefuError as exc:
        errors = refused(exc)
    if visit.htmx:
        return visit.render("message_template_preview.html", preview=shown, errors=errors,
                            length_text=length_text)
    return detail(visit, request, template_id, shown, text, errors)


def retire(visit: Visit, request, template_id) -> Response:
    """No new send uses this version (queued messages keep it)."""
    t = visit.ask("notify", "retire_template", template_id[:64])
    return redirect(f"/notify/templates/{t['id']}?done=retired", visit.htmx)

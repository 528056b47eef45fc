"""System settings 系统设置 (issue 10, item 9), for admins: the overview and groups 组 —
and what every admin page shares: a refusal's reasons in Chinese beside their fields,
the "done" notice after a saved form, numbers as typed.

Staff accounts are in admin_staff.py, categories and their forms in admin_categories.py,
SLA targets, business hours, the holiday calendar and repeat detection in admin_sla.py.
"""
import re

from marshmallow import ValidationError
from werkzeug.wrappers import Response

from services.common.errors import Invalid, KefuError
from services.gateway.contract.staff import GroupCreate
from services.gateway.handlers import duties, groups
from services.gateway.http import ERRORS
from services.gateway.pages import words
from services.gateway.pages.web import Visit, invalid_fields, redirect

GROUP_CREATE = GroupCreate()
# What a saved form says on the page it returns to (?done=<code>): codes, never text.
DONE = {"created": "已创建", "saved": "已保存", "deleted": "已删除", "unchanged": "没有改动",
        "approved": "已批准，变更已生效", "rejected": "已驳回", "pending": "等待第二位管理员批准",
        "retired": "已停用：新的发送不再使用这个版本"}
# The services' reasons (English) as an admin reads them.
REASONS = {
    "already taken": "已被占用", "already exists": "已存在",
    "not on your own account": "不能修改自己账号的此项",
    "3–32 characters: lower-case letters, digits, _ . -":
        "3–32 个字符：小写字母、数字、_ . -，以字母开头",
    "lower-case letters, digits and _, starting with a letter":
        "小写字母、数字和下划线，以字母开头（最多 40 个字符）",
    "a choice field needs its choices": "单选/多选字段需要填写选项",
    "choices repeat": "选项有重复",
    "only choice and multi_choice fields have choices": "只有单选、多选字段才有选项",
    "a length or count is a whole number >= 0": "长度或个数须为不小于 0 的整数",
    "min is above max": "最小值大于最大值",
    "only after-sales categories have a subtype": "只有售后类别有子类型",
    "a category keeps its kind; make a new one": "类别的类型不能修改，请新建类别",
    "must not exceed resolution_minutes": "响应时限不能超过解决时限",
    "Not a valid time.": "不是有效的时间", "unknown time zone": "未知的时区",
    "not a date (YYYY-MM-DD)": "不是有效的日期", "must not be before from": "结束日期早于开始日期",
    "Not a valid boolean.": "不是有效的是/否", "Field may not be null.": "必填",
    "Must be one of": "不是可选的值",
}
PATTERNS = [
    (re.compile(r"^no such group: (.+)$"), "没有这个组：{0}"),
    (re.compile(r"^field names repeat: (.+)$"), "字段名重复：{0}"),
    (re.compile(r"^\w+ fields take no (?:min|max)$"), "此类型的字段不设最小值/最大值"),
    (re.compile(r"^after-sales needs one of"), "售后类别须选择子类型"),
    (re.compile(r"^Must be one of: "), "不是可选的值"),
    (re.compile(r"^Length must be between (\d+) and (\d+)\.$"), "长度须为 {0}–{1} 个字符"),
    (re.compile(r"^Shorter than minimum length (\d+)\.$"), "至少 {0} 个字符"),
    (re.compile(r"^Longer than maximum length (\d+)\.$"), "最多 {0} 个字符"),
    (re.compile(r"^Must be greater than or equal to ([\d.]+) and less than or equal to "
                r"([\d.]+)\.$"), "须在 {0} 到 {1} 之间"),
    (re.compile(r"^Must be greater than or equal to ([\d.]+)\.$"), "不能小于 {0}"),
    (re.compile(r"^Must be less than or equal to ([\d.]+)\.$"), "不能大于 {0}"),
]
MAX_NAME = 100


def chinese(reason: str) -> str:
    """A service's reason in Chinese when the words are known, else as it was said."""
    reason = words.REASONS.get(reason, REASONS.get(reason, reason))
    for pattern, text in PATTERNS:
        found = pattern.match(reason)
        if found:
            return text.format(*found.groups())
    return reason


def refused(exc: Exception) -> dict:
    """{field: [reasons]} of a refusal, in Chinese, for a form shown again: a conflict or
    a refusal naming fields (username taken, your own account) beside them too, and
    what it says as a whole under `_form`."""
    if isinstance(exc, KefuError) and not isinstance(exc, Invalid):
        status = next((code for cls, code in ERRORS if isinstance(exc, cls)), 409)
        errors = {name: words.reasons(why) for name, why in (exc.fields or {}).items()}
        errors["_form"] = [words.refusal(exc, status)]
    else:
        errors = invalid_fields(exc)
    return {name: [chinese(reason) for reason in reasons] for name, reasons in errors.items()}


def done(request) -> str:
    """The notice of a saved form (?done=<code>); nothing for an unknown code."""
    return DONE.get(request.args.get("done", ""), "")


def whole(text: str):
    """A typed whole number as an int; anything else as typed (the service says why)."""
    text = text.strip()
    return int(text) if re.fullmatch(r"[+-]?\d{1,9}", text) else text


def decimal(text: str):
    """A typed number as an int or float; anything else as typed."""
    text = text.strip()
    if re.fullmatch(r"[+-]?\d{1,12}", text):
        return int(text)
    if re.fullmatch(r"[+-]?(\d{1,12}\.\d{0,9}|\.\d{1,9})", text):
        return float(text)
    return text


# -- the overview ----------------------------------------------------------------------------
def index(visit: Visit, request) -> Response:
    """系统设置: the areas, and how many staff changes wait for a second admin."""
    with visit.service.db.transaction() as tx:
        pending = duties.list_changes(tx, visit.person, {"status": "pending", "limit": 100})
    return visit.render("admin.html", pending=len(pending["changes"]))


# -- groups -------------------------------------------------------------------------------------
def group_list(visit: Visit, request, values=None, errors=None) -> Response:
    """组: every group, and a form for a new one."""
    with visit.service.db.transaction() as tx:
        rows = groups.list_groups(tx, visit.person)["groups"]
    return visit.render("admin_groups.html", groups=rows, values=values or {},
                        errors=errors or {}, done=done(request))


def group_create(visit: Visit, request) -> Response:
    """A new group (name: 3–32 lower-case letters…; display name: any)."""
    data = {"name": request.form.get("name", "")[:MAX_NAME].strip().lower(),
            "display_name": request.form.get("display_name", "")[:MAX_NAME + 1].strip()}
    try:
        loaded = GROUP_CREATE.load(data)
        with visit.service.db.transaction() as tx:
            groups.create_group(tx, visit.person, loaded)
    except (KefuError, ValidationError) as exc:
        return group_list(visit, request, data, refused(exc))
    return redirect("/admin/groups?done=created", visit.htmx)

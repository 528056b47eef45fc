"""The console's system settings 系统设置 without a browser: the templates' escaping of
hostile text, the form editor posted back as field definitions, the account form as the
staff schemas take it (only what changed), the services' reasons in Chinese beside their
fields, and the views' choices of what to send (a fake visit stands in for the services)."""
import contextlib
import re
from html.parser import HTMLParser
from types import SimpleNamespace

import pytest
from werkzeug.datastructures import MultiDict

from services.common.errors import Conflict, Forbidden, Invalid, NotFound
from services.common.identity import Principal
from services.gateway.pages import admin, admin_categories, admin_sla, admin_staff, web

HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)>'
ADMIN = Principal("00000000-0000-0000-0000-0000000000aa", "root", frozenset({"admin"}),
                  frozenset(), 0)
OTHER_ID = "00000000-0000-0000-0000-0000000000bb"
CHANGE_ID = "00000000-0000-0000-0000-0000000000cc"


def render(template: str, **context) -> str:
    base = {"me": {"display_name": HOSTILE}, "principal": ADMIN, "csrf": "t0ken",
            "may": lambda roles: True, "path": "/admin/staff", "done": HOSTILE}
    return web.ENV.get_template(template).render(**{**base, **context})


def assert_escaped(page: str) -> None:
    assert "<script>alert" not in page and "<img src=x" not in page
    assert "&lt;script&gt;alert(" in page


class Form(HTMLParser):
    """What a browser would post of a page's form: inputs, checked boxes, selected
    options (the first when none is), textareas."""

    def __init__(self, form_id: str):
        super().__init__()
        self.form_id, self.inside, self.select, self.first = form_id, False, None, None
        self.posted: list[tuple[str, str]] = []
        self.chosen = False
        self.textarea: str | None = None
        self.text = ""

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self.inside = a.get("id") == self.form_id
        if not self.inside:
            return
        if tag == "input" and a.get("name"):
            if a.get("type") in ("checkbox", "radio"):
                if "checked" in a:
                    self.posted.append((a["name"], a.get("value", "on")))
            else:
                self.posted.append((a["name"], a.get("value", "")))
        elif tag == "textarea":
            self.textarea, self.text = a.get("name"), ""
        elif tag == "select":
            self.select, self.first, self.chosen = a.get("name"), None, False
        elif tag == "option" and self.select:
            if self.first is None:
                self.first = a.get("value", "")
            if "selected" in a:
                self.posted.append((self.select, a.get("value", "")))
                self.chosen = True

    def handle_data(self, data):
        if self.textarea:
            self.text += data

    def handle_endtag(self, tag):
        if tag == "textarea" and self.textarea:
            self.posted.append((self.textarea, self.text))
            self.textarea = None
        if tag == "select" and self.select:
            if not self.chosen:
                self.posted.append((self.select, self.first or ""))
            self.select = None
        if tag == "form":
            self.inside = False


def posted(page: str, form_id: str) -> MultiDict:
    parser = Form(form_id)
    parser.feed(page)
    return MultiDict(parser.posted)


# -- escaping -----------------------------------------------------------------------------------
ACCOUNT = {"id": OTHER_ID, "username": "li.na", "display_name": HOSTILE, "roles": ["agent"],
           "groups": [HOSTILE], "clearance": 0, "active": True, "version": 1}
GROUPS = [{"name": "hotline", "display_name": HOSTILE}]
CHANGE = {"id": CHANGE_ID, "kind": "create", "status": "pending", "username": HOSTILE,
          "new": {"display_name": HOSTILE, "roles": ["manager"], "groups": [HOSTILE],
                  "clearance": 2, "active": True},
          "grants": ["roles: manager", f"groups: {HOSTILE}"], "requested_by_name": HOSTILE,
          "requested_at": "2026-12-07T01:00:00+00:00"}
CATEGORY = {"id": "k1", "kind": "after_sales", "subtype": "repair", "name": HOSTILE,
            "active": True, "form": [{"name": "model", "label": HOSTILE, "type": "choice",
                                      "choices": [HOSTILE, "b"], "required": True}]}
STAFF_PAGE = {"accounts": [ACCOUNT], "groups": GROUPS, "pending": [CHANGE],
              "query": {"group": HOSTILE}, "more": True, "roles": admin_staff.ROLES,
              "elevated": admin_staff.ELEVATED_ROLES, "grant_label": admin_staff.grant_label,
              "values": {"username": HOSTILE, "display_name": HOSTILE, "groups": [HOSTILE],
                         "clearance": HOSTILE},
              "errors": {"_form": [HOSTILE], "username": [HOSTILE], "roles.0": [HOSTILE]},
              "message": HOSTILE, "waits": True, "change_id": CHANGE_ID}


@pytest.mark.parametrize("template,context", [
    ("admin.html", {"pending": 2}),
    ("admin_staff.html", STAFF_PAGE),
    ("admin_staff_edit.html", {"account": ACCOUNT, "groups": GROUPS, "roles": admin_staff.ROLES,
                               "elevated": admin_staff.ELEVATED_ROLES, "values": ACCOUNT,
                               "errors": {"_form": [HOSTILE], "active": [HOSTILE]},
                               "own": True}),
    ("admin_groups.html", {"groups": GROUPS, "values": {"name": HOSTILE},
                           "errors": {"display_name": [HOSTILE]}}),
    ("admin_categories.html", {"categories": [CATEGORY], "kinds": admin_categories.KINDS,
                               "subtypes": admin_categories.SUBTYPE}),
    ("admin_category.html", {"category": CATEGORY, "values": CATEGORY,
                             "rows": admin_categories.editor_rows(
                                 CATEGORY["form"], {"form.0.label": [HOSTILE]}),
                             "errors": {"form": [HOSTILE], "name": [HOSTILE]},
                             "kinds": admin_categories.KINDS,
                             "subtypes": admin_categories.SUBTYPE, "choice_types": (),
                             "field_types": {"text": HOSTILE},
                             "after_sales": ("repair",)}),
    ("admin_sla.html", {"policies": {("complaint", "high"): {"response_minutes": HOSTILE}},
                        "kinds": ("complaint",), "urgencies": ("high",),
                        "hours": {"timezone": HOSTILE}, "year": 2026,
                        "overrides": [{"day": "2026-10-09", "workday": True, "note": HOSTILE,
                                       "source": "override"}],
                        "statutory": [{"day": "2026-10-01", "workday": False,
                                       "source": HOSTILE}], "sources": {},
                        "unknown_years": [HOSTILE],
                        "errors": {"complaint.high.response_minutes": [HOSTILE],
                                   "hours.start": [HOSTILE], "day._form": [HOSTILE]},
                        "values": {"day.note": HOSTILE}}),
    ("admin_repeat.html", {"rules": [{"kind": "complaint", "window_days": HOSTILE,
                                      "threshold": 0.5}],
                           "errors": {"threshold.complaint": [HOSTILE]}, "values": {}}),
])
def test_every_admin_template_shows_hostile_text_as_text(template, context):
    assert_escaped(render(template, **context))


@pytest.mark.parametrize("template,context", [
    ("admin_staff.html", STAFF_PAGE),
    ("admin_groups.html", {"groups": GROUPS, "values": {}, "errors": {}}),
    ("admin_repeat.html", {"rules": [], "errors": {}, "values": {}}),
])
def test_every_admin_form_that_posts_carries_the_csrf_token(template, context):
    page = render(template, **context)
    assert page.count('method="post"') == page.count('name="csrf" value="t0ken"') > 2


# -- the account form ---------------------------------------------------------------------------
def test_the_new_account_form_names_every_role_in_chinese_and_the_levels():
    page = render("admin_staff.html", **{**STAFF_PAGE, "values": {"clearance": 0}})
    for role in admin_staff.ROLES:
        assert f'name="roles" value="{role}" id="staff-role-{role}"' in page
    assert "总经理（general_manager） *" in page and "座席（agent）</label>" in page
    assert re.search(r'<option value="0" selected>0 普通</option>.*<option value="3">3 绝密',
                     page, re.S)
    assert 'name="groups" value="hotline" id="staff-group-hotline"' in page


def test_a_refused_account_keeps_its_values_and_each_reason_beside_its_field():
    page = render("admin_staff.html", **{**STAFF_PAGE, "values": {
        "username": "li.na", "display_name": "李娜", "roles": ["agent", "field"],
        "groups": ["hotline"], "clearance": 1}, "errors": {"username": ["已被占用"]}})
    assert 'value="li.na"' in page and 'value="李娜"' in page
    assert 'id="staff-role-field" checked' in page and 'id="staff-group-hotline" checked' in page
    assert '<option value="1" selected>1 秘密</option>' in page
    assert 'data-field="username">已被占用<' in page
    assert 'id="staff-password" name="password" type="password" required' in page


def test_the_account_form_posts_what_the_staff_schema_takes():
    page = render("admin_staff_edit.html", account=ACCOUNT, groups=GROUPS,
                  roles=admin_staff.ROLES, elevated=(), errors={}, own=False,
                  values={**ACCOUNT, "groups": ["hotline"], "roles": ["agent", "field"],
                          "clearance": 2, "active": False})
    data = admin_staff.posted_account(posted(page, "staff-edit"))
    assert data == {"display_name": HOSTILE, "roles": ["agent", "field"],
                    "groups": ["hotline"], "clearance": 2, "active": False}
    assert "active" not in admin_staff.posted_account(MultiDict([("roles", "agent")]))


def test_only_what_changed_is_sent():
    current = {"display_name": "李娜", "roles": ["agent", "field"], "groups": ["a", "b"],
               "clearance": 0, "active": True}
    same = {"display_name": "李娜", "roles": ["field", "agent"], "groups": ["b", "a"],
            "clearance": 0, "active": True}
    assert admin_staff.changes_of(current, same) == {}
    assert admin_staff.changes_of(current, {**same, "display_name": "李娜娜", "clearance": 1}) \
        == {"display_name": "李娜娜", "clearance": 1}


@pytest.mark.parametrize("grant,label", [
    ("roles: manager", "角色：经理"), ("clearance: 3", "密级：绝密"), ("groups: g1", "组：g1"),
    ("active", "重新启用"),
])
def test_a_grant_is_said_in_chinese(grant, label):
    assert admin_staff.grant_label(grant) == label


# -- the category form editor -------------------------------------------------------------------
DEFINITIONS = [
    {"name": "model", "label": "型号", "type": "text", "required": True, "max": 50},
    {"name": "fault", "label": "故障", "type": "choice", "required": False,
     "choices": ["不制冷", "漏水"]},
    {"name": "qty", "label": "数量", "type": "number", "required": False, "min": 1, "max": 9.5},
]


def editor_page(definitions, errors=None) -> str:
    return render("admin_category.html", category=None,
                  values={"kind": "after_sales", "subtype": "repair", "name": "空调维修",
                          "active": True, "form": definitions},
                  rows=admin_categories.editor_rows(definitions, errors), errors={},
                  kinds=admin_categories.KINDS, subtypes=admin_categories.SUBTYPE,
                  choice_types=(), field_types={t: t for t in admin_categories.FIELD_TYPES},
                  after_sales=admin_categories.AFTER_SALES_TYPES)


def test_the_editor_posts_back_the_definitions_it_was_drawn_from():
    form = posted(editor_page(DEFINITIONS), "category-form")
    assert form["rows"] == str(len(DEFINITIONS) + admin_categories.BLANK_ROWS)
    assert form["kind"] == "after_sales" and form["subtype"] == "repair"
    assert admin_categories.posted_definitions(form) == DEFINITIONS


def test_new_rows_removed_rows_order_and_chinese_commas():
    form = MultiDict(posted(editor_page(DEFINITIONS), "category-form"))
    form.setlist("f1.remove", ["on"])
    form.setlist("f0.order", ["9"])
    for column, value in [("name", "parts"), ("label", "配件"), ("type", "multi_choice"),
                          ("choices", "压缩机，滤网, 电机,"), ("order", "1"), ("min", "1")]:
        form.setlist(f"f3.{column}", [value])
    names = [d["name"] for d in admin_categories.posted_definitions(form)]
    assert names == ["parts", "qty", "model"]
    parts = admin_categories.posted_definitions(form)[0]
    assert parts == {"name": "parts", "label": "配件", "type": "multi_choice",
                     "required": False, "choices": ["压缩机", "滤网", "电机"], "min": 1}


def test_choices_holding_a_comma_go_one_a_line_and_come_back_whole():
    definitions = [{"name": "part", "label": "配件", "type": "choice", "required": False,
                    "choices": ["滤网、滤芯", "压缩机, 大", "电机"]}]
    rows = admin_categories.editor_rows(definitions)
    assert rows[0]["choices"] == "滤网、滤芯\n压缩机, 大\n电机"
    form = posted(editor_page(definitions), "category-form")
    assert admin_categories.posted_definitions(form) == definitions
    typed = MultiDict([("rows", "1"), ("f0.name", "p"), ("f0.type", "choice"),
                       ("f0.choices", "甲\r\n乙, 丙\r\n")])
    assert admin_categories.posted_definitions(typed)[0]["choices"] == ["甲", "乙, 丙"]


def test_numbers_not_numbers_go_as_typed_and_rows_are_bounded():
    form = MultiDict([("rows", "99999"), ("f0.name", "x"), ("f0.type", "number"),
                      ("f0.min", "一"), ("f0.max", "2.5")])
    assert admin_categories.posted_definitions(form) == [
        {"name": "x", "label": "", "type": "number", "required": False, "min": "一",
         "max": 2.5}]
    assert admin_categories.posted_definitions(MultiDict([("rows", "²"), ("f0.name", "x")])) \
        == []


def test_each_reason_of_the_form_is_beside_its_row_and_cell():
    page = editor_page(DEFINITIONS, {"form.1.choices": ["选项有重复"]})
    assert 'data-field="form.1.choices">选项有重复<' in page
    rows = admin_categories.editor_rows(DEFINITIONS)
    assert len(rows) == len(DEFINITIONS) + admin_categories.BLANK_ROWS
    assert rows[-1]["name"] == "" and rows[1]["choices"] == "不制冷，漏水"


# -- reasons in Chinese -------------------------------------------------------------------------
@pytest.mark.parametrize("reason,said", [
    ("already taken", "已被占用"), ("no such group: g9", "没有这个组：g9"),
    ("Length must be between 10 and 256.", "长度须为 10–256 个字符"),
    ("Must be greater than or equal to 0.1 and less than or equal to 1.0.", "须在 0.1 到 1.0 之间"),
    ("text fields take no min", "此类型的字段不设最小值/最大值"),
    ("Missing data for required field.", "必填"), ("something new", "something new"),
])
def test_the_services_reasons_are_said_in_chinese(reason, said):
    assert admin.chinese(reason) == said


def test_a_conflict_naming_a_field_is_shown_beside_it_and_as_a_whole():
    errors = admin.refused(Conflict("username already taken", {"username": ["already taken"]}))
    assert errors["username"] == ["已被占用"]
    assert errors["_form"] == ["当前状态不允许此操作（username already taken）"]
    own = admin.refused(Forbidden("you may not change the rights of your own account",
                                  {"roles": ["not on your own account"]}))
    assert own["roles"] == ["不能修改自己账号的此项"] and own["_form"][0].startswith("无权")
    assert admin.refused(Invalid("invalid input", {"name": ["required"]})) == {"name": ["必填"]}


def test_the_calendar_shows_overrides_and_the_days_the_law_moves():
    days = [{"day": "2026-10-01", "workday": False, "source": "chinese_calendar"},  # Thursday
            {"day": "2026-10-03", "workday": False, "source": "chinese_calendar"},  # Saturday
            {"day": "2026-10-10", "workday": True, "source": "chinese_calendar"},   # Saturday
            {"day": "2026-10-12", "workday": True, "source": "chinese_calendar"},   # Monday
            {"day": "2026-10-13", "workday": False, "source": "override"}]
    overrides, statutory = admin_sla.special_days(days)
    assert [d["day"] for d in overrides] == ["2026-10-13"]
    assert [d["day"] for d in statutory] == ["2026-10-01", "2026-10-10"]


def test_typed_numbers():
    assert admin.whole(" 30 ") == 30 and admin.whole("三十") == "三十" and admin.whole("") == ""
    assert admin.decimal("0.5") == 0.5 and admin.decimal("2") == 2 and admin.decimal("x") == "x"


# -- the views, with a fake visit ---------------------------------------------------------------
class FakeVisit:
    def __init__(self, replies=None, refuse=None):
        self.replies, self.refuse = replies or {}, refuse or {}
        self.asked: list = []
        self.person = ADMIN
        self.htmx = False
        self.service = SimpleNamespace(db=SimpleNamespace(transaction=contextlib.nullcontext),
                                       signin=object())

    def ask(self, service, operation, *args, **kwargs):
        self.asked.append((operation, *args))
        if operation in self.refuse:
            raise self.refuse[operation]
        return self.replies.get(operation, {})

    def render(self, template, status=200, **context):
        return SimpleNamespace(template=template, status=status, context=context)


def request(form=(), args=()):
    return SimpleNamespace(form=MultiDict(form), args=MultiDict(args), path="/admin")


def test_only_the_sla_targets_that_changed_are_set():
    visit = FakeVisit({"sla_policies": {"policies": [
        {"kind": "complaint", "urgency": "high", "response_minutes": 30,
         "resolution_minutes": 240}]}})
    form = [("response.complaint.high", "30"), ("resolution.complaint.high", "480"),
            ("response.consultation.low", "60"), ("resolution.consultation.low", "1440")]
    response = admin_sla.sla_policies(visit, request(form))
    assert response.status_code == 303 and response.headers["Location"] == "/admin/sla?done=saved"
    assert [a for a in visit.asked if a[0] == "set_sla_policy"] == [
        ("set_sla_policy", "consultation", "low",
         {"response_minutes": 60, "resolution_minutes": 1440}),
        ("set_sla_policy", "complaint", "high",
         {"response_minutes": 30, "resolution_minutes": 480})]


def test_a_refused_target_is_shown_again_with_its_values_and_reason():
    visit = FakeVisit(refuse={"set_sla_policy": Invalid("x", {
        "response_minutes": ["must not exceed resolution_minutes"]})})
    form = [("response.complaint.high", "500"), ("resolution.complaint.high", "60"),
            ("response.complaint.low", "半小时"), ("resolution.complaint.low", "60")]
    shown = admin_sla.sla_policies(visit, request(form))
    assert shown.template == "admin_sla.html" and shown.status == 200
    assert shown.context["errors"] == {
        "complaint.high.response_minutes": ["响应时限不能超过解决时限"],
        "complaint.low.response_minutes": ["请输入整数（分钟）"]}
    assert shown.context["values"]["response.complaint.low"] == "半小时"


def test_only_the_repeat_rules_that_changed_are_set():
    visit = FakeVisit({"repeat_rules": {"rules": [
        {"kind": k, "window_days": 7, "threshold": 0.5} for k in admin_sla.KINDS]}})
    form = [(f"window_days.{k}", "7") for k in admin_sla.KINDS] + \
        [(f"threshold.{k}", "0.50") for k in admin_sla.KINDS]
    form[0] = ("window_days.consultation", "0")
    admin_sla.repeat_save(visit, request(form))
    assert [a for a in visit.asked if a[0] == "set_repeat_rule"] == [
        ("set_repeat_rule", {"kind": "consultation", "window_days": 0, "threshold": 0.5})]


def test_a_new_account_above_the_ceiling_waits_and_the_page_says_so(monkeypatch):
    made = []

    def create_staff(db, guard, principal, data):
        made.append(data)
        return True, {"id": CHANGE_ID}

    monkeypatch.setattr(admin_staff.staff, "create_staff", create_staff)
    form = [("username", " Li.Na "), ("display_name", "李娜"), ("password", "Spring-rain-2026"),
            ("roles", "manager"), ("clearance", "2")]
    response = admin_staff.create(FakeVisit(), request(form))
    assert response.headers["Location"] == f"/admin/staff?done=pending&change={CHANGE_ID}"
    assert made == [{"username": "li.na", "display_name": "李娜", "password": "Spring-rain-2026",
                     "roles": ["manager"], "groups": [], "clearance": 2}]


def test_a_refused_new_account_is_shown_again_without_its_password(monkeypatch):
    monkeypatch.setattr(admin_staff, "_lists", lambda visit, query: ([], [], []))
    form = [("username", "li.na"), ("display_name", "李娜"), ("password", "short"),
            ("roles", "agent")]
    shown = admin_staff.create(FakeVisit(), request(form))
    assert shown.status == 200 and shown.template == "admin_staff.html"
    assert shown.context["errors"] == {"password": ["长度须为 10–256 个字符"]}
    assert "password" not in shown.context["values"]
    assert shown.context["values"]["username"] == "li.na"


def test_renaming_ones_own_account_sends_no_rights(monkeypatch):
    me = {**ACCOUNT, "id": ADMIN.id, "display_name": "甲", "roles": ["admin"], "groups": []}
    sent = []
    monkeypatch.setattr(admin_staff, "_account", lambda visit, staff_id: me)
    monkeypatch.setattr(admin_staff.staff, "update_staff",
                        lambda tx, principal, staff_id, changes: (sent.append(changes)
                                                                  or (False, me)))
    form = [("display_name", "乙"), ("roles", "admin"), ("clearance", "0"), ("has_active", "1"),
            ("active", "on")]
    response = admin_staff.update(FakeVisit(), request(form), ADMIN.id)
    assert sent == [{"display_name": "乙"}]
    assert response.headers["Location"] == f"/admin/staff/{ADMIN.id}?done=saved"


def test_a_refused_category_comes_back_with_the_reason_on_its_row():
    visit = FakeVisit(refuse={"create_category": Invalid("invalid input", {
        "form.1.choices": ["a choice field needs its choices"]})})
    form = [("kind", "complaint"), ("name", "服务态度"), ("active", "on"), ("rows", "4"),
            ("f0.name", "who"), ("f0.type", "text"), ("f2.name", "how"), ("f2.type", "choice")]
    shown = admin_categories.create(visit, request(form))
    assert visit.asked == [("create_category", {
        "kind": "complaint", "name": "服务态度", "subtype": None, "active": True,
        "form": [{"name": "who", "label": "", "type": "text", "required": False},
                 {"name": "how", "label": "", "type": "choice", "required": False}]})]
    assert shown.status == 200
    assert shown.context["rows"][1]["errors"]["choices"] == ["单选/多选字段需要填写选项"]
    assert shown.context["rows"][1]["name"] == "how"


def test_a_refused_group_is_shown_again_with_its_values(monkeypatch):
    monkeypatch.setattr(admin.groups, "list_groups", lambda tx, principal: {"groups": GROUPS})
    monkeypatch.setattr(admin.groups, "create_group", lambda tx, principal, data: (
        _ for _ in ()).throw(Conflict("group already exists", {"name": ["already exists"]})))
    shown = admin.group_create(FakeVisit(), request([("name", "Hotline"),
                                                     ("display_name", "热线")]))
    assert shown.status == 200 and shown.context["values"] == {"name": "hotline",
                                                               "display_name": "热线"}
    assert shown.context["errors"]["name"] == ["已存在"]


def test_approving_ones_own_request_is_refused_on_the_list(monkeypatch):
    monkeypatch.setattr(admin_staff, "_lists", lambda visit, query: ([], [], []))
    monkeypatch.setattr(admin_staff.duties, "approve", lambda tx, principal, change_id: (
        _ for _ in ()).throw(Forbidden("a second admin must approve: not the one who asked")))
    shown = admin_staff.decide(FakeVisit(), request(), CHANGE_ID, "approve")
    assert shown.status == 200
    assert shown.context["message"] == "无权进行此操作（a second admin must approve: not the one " \
                                       "who asked）"
    with pytest.raises(NotFound):
        admin_staff.decide(FakeVisit(), request(), CHANGE_ID, "delete")

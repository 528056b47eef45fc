"""The notification pages of the console (issue 11) without a browser: the live SMS
count agrees with the notify service's rule, every template shows hostile text as text
and posts its CSRF token, the forms post what the notify contract takes, refusals are
said in Chinese beside their fields, the bulk form's Idempotency-Key survives a refusal
and a double submit, the batch's progress stops polling once done, the customer's
message record withholds what the caller may not read, and the left menu by role."""
import re
from types import SimpleNamespace

import pytest
from markupsafe import escape
from werkzeug.datastructures import MultiDict

from services.common.errors import Conflict, DeadlineExceeded, Invalid, NotFound
from services.common.identity import Principal
from services.gateway.pages import (
    bulk_send,
    customer_messages,
    message_templates,
    notify_settings,
    web,
)
from services.notify.contract.preferences import PreferencesIn, SettingsIn
from services.notify.contract.sends import BatchIn
from services.notify.contract.targets import TargetIn
from services.notify.contract.templates import TemplateIn
from services.notify.domain import templates as notify_rules

HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)>'
SUPERVISOR = Principal("00000000-0000-0000-0000-0000000000a1", "li", frozenset({"supervisor"}),
                       frozenset({"g1"}), 1)
CUSTOMER_ID = "00000000-0000-0000-0000-0000000000c1"
BATCH_ID = "00000000-0000-0000-0000-0000000000b1"


def render(name: str, /, roles=None, **context) -> str:
    may = (lambda wanted: True) if roles is None else (lambda wanted: bool(set(wanted) & roles))
    base = {"me": {"display_name": HOSTILE}, "principal": SUPERVISOR, "csrf": "t0ken",
            "may": may, "path": "/notify/templates", "done": HOSTILE}
    return web.ENV.get_template(name).render(**{**base, **context})


def assert_escaped(page: str) -> None:
    assert "<script>alert" not in page and "<img src=x" not in page
    assert "&lt;script&gt;alert(" in page


# -- the SMS length ----------------------------------------------------------------------------
@pytest.mark.parametrize("content,sign,expected", [
    ("", "", (0, 1)),
    ("您" * 70, "", (70, 1)), ("您" * 71, "", (71, 2)), ("您" * 134, "", (134, 2)),
    ("您" * 135, "", (135, 3)),
    ("a" * 160, "", (160, 1)), ("a" * 161, "", (161, 2)), ("a" * 306, "", (306, 2)),
    ("a" * 307, "", (307, 3)),
    ("a" * 60, "客服中心", (66, 1)),  # 【客服中心】 makes it Chinese: 70 a message
    ("a" * 65, "客服中心", (71, 2)),
])
def test_the_sms_length_counts_characters_and_parts(content, sign, expected):
    counted = message_templates.sms_length(content, sign)
    assert (counted["characters"], counted["parts"]) == expected
    assert counted == notify_rules.sms_length(content, sign)  # notify's own rule, same answer


BODIES = [
    ("{{ name }}您好，您的积分{{ points }}分将于月底到期。回复TD退订", ["name", "points"]),
    ("{{name}}您好{% if code %}，验证码{{ code }}{% else %}，无验证码{% endif %}。",
     ["name", "code"]),
    ("{% if not link %}请致电{% else %}请访问{{ link }}{% endif %}", ["link"]),
    ("{% if a %}{% if b %}甲{{ b }}{% endif %}乙{% endif %}丙", ["a", "b"]),
    ("{% if a %}只有甲{% endif %}", ["a"]),
    ("plain ascii text", []),
]


@pytest.mark.parametrize("body,variables", BODIES)
def test_the_live_sample_is_what_notify_counts_once_saved(body, variables):
    """notify counts a saved SMS template with each variable as {name}: the live count
    of the form is the same."""
    theirs = notify_rules.render(body, {v: f"{{{v}}}" for v in variables}, variables)
    assert message_templates.sample(body) == theirs
    assert message_templates.sms_length(message_templates.sample(body), "签名") == \
        notify_rules.sms_length(theirs, "签名")


def test_the_length_reads_n_characters_m_parts():
    assert message_templates.length_text({"characters": 71, "parts": 2}) == "71字 / 2条"
    assert message_templates.length_text(None) == ""


def test_the_live_count_is_a_fragment_of_the_typed_form():
    visit = FakeVisit()
    shown = message_templates.length(visit, request(form=[
        ("channel", "sms"), ("body", "{{ name }}您好" + "好" * 60), ("sign_name", "客服中心")]))
    assert shown.template == "message_template_length.html"
    assert shown.context["sms"] == {"characters": 6 + 8 + 60, "parts": 2, "per_part": 67}
    page = render("message_template_length.html", sms=shown.context["sms"],
                  length_text=message_templates.length_text)
    assert "74字 / 2条" in page and 'data-parts="2"' in page
    email = message_templates.length(visit, request(form=[("channel", "email"), ("body", "x")]))
    assert email.context["sms"] is None
    assert "非短信" in render("message_template_length.html", sms=None,
                             length_text=message_templates.length_text)
    assert visit.asked == []  # counted here: no call to notify


# -- every template: hostile text as text, and the CSRF token on every form --------------------
TEMPLATE = {"id": "t1", "name": HOSTILE, "channel": "sms", "locale": "zh-CN", "version": 2,
            "purpose": "marketing", "quiet_hours": "defer", "subject": HOSTILE, "body": HOSTILE,
            "variables": [HOSTILE], "provider_code": HOSTILE, "sign_name": HOSTILE,
            "note": HOSTILE, "created_by": HOSTILE, "created_at": "2026-12-07T01:00:00+00:00",
            "retired_at": None, "sms": {"characters": 80, "parts": 2, "per_part": 67}}
BATCH = {"id": BATCH_ID, "title": HOSTILE, "template": HOSTILE, "template_version": 1,
         "channel": "sms", "state": "queuing", "total": 3, "done": False, "error": HOSTILE,
         "progress": {"queued": 1, "sending": 0, "sent": 1, "delivered": 0, "failed": 0,
                      "skipped": 1},
         "skipped_by_reason": {"opted_out": 1, HOSTILE: 2},
         "created_at": "2026-12-07T01:00:00+00:00", "queued_at": None}
MESSAGE = {"id": "m1", "channel": "sms", "status": "failed", "reason": HOSTILE, "to": HOSTILE,
           "template": HOSTILE, "template_version": 1, "purpose": "service", "subject": HOSTILE,
           "content": HOSTILE, "content_withheld": False,
           "created_at": "2026-12-07T01:00:00+00:00"}
OPT_OUT = {"channel": "sms", "scope": "marketing", "source": "staff", "note": HOSTILE,
           "created_at": "2026-12-07T01:00:00+00:00"}
TARGET = {"id": "r1", "kind": "robot", "name": HOSTILE, "url": HOSTILE, "signed": True,
          "events": ["ticket_created", HOSTILE], "markdown": True, "active": True}
LISTING = {"templates": [TEMPLATE], "channels": ("sms", "email", "robot", "webhook"),
           "shown_channel": HOSTILE, "purposes": ("service", "marketing"),
           "quiet": ("defer", "send"), "locales": ("zh-CN", "en"),
           "values": {**TEMPLATE, "variables": HOSTILE}, "errors": {
               "_form": [HOSTILE], "body": [HOSTILE], "variables.0": [HOSTILE]},
           "sms": TEMPLATE["sms"], "error": HOSTILE,
           "length_text": message_templates.length_text}
BULK = {"templates": [{**TEMPLATE, "name": HOSTILE, "variables": [HOSTILE]}],
        "batches": [BATCH], "values": {"template": "sms:x", "title": HOSTILE, "kind": "person",
                                       "lifecycle": ["lost"], "region": HOSTILE,
                                       "tags_any": HOSTILE, "product": HOSTILE,
                                       "no_contact_months": HOSTILE, "params": HOSTILE},
        "errors": {"segment": [HOSTILE], "segment.region": [HOSTILE], "params.x": [HOSTILE],
                   "_form": [HOSTILE]},
        "key": "k" * 32, "kinds": bulk_send.KINDS, "lifecycles": bulk_send.LIFECYCLES,
        "error": HOSTILE}
VIEWED = bulk_send._view(BATCH)
MESSAGES = {"customer_id": CUSTOMER_ID, "messages": [MESSAGE], "next": HOSTILE,
            "before": HOSTILE, "opt_outs": [OPT_OUT], "opted": {"sms"}, "missing": [],
            "channels": ("sms", "email"), "scopes": ("marketing", "all"),
            "setters": ["agent"], "message": HOSTILE, "error": HOSTILE}
SETTINGS = {"settings": {"quiet_hours": HOSTILE, "marketing_daily_cap": 1,
                         "marketing_weekly_cap": 3},
            "values": {"quiet_start": HOSTILE, "quiet_end": "08:00",
                       "marketing_daily_cap": HOSTILE, "marketing_weekly_cap": 3},
            "errors": {"quiet_hours": [HOSTILE], "_form": [HOSTILE]}}
ROBOTS = {"targets": [TARGET], "kinds": ("robot", "webhook"),
          "events": notify_settings.EVENTS, "values": {**TARGET, "url": HOSTILE},
          "errors": {"url": [HOSTILE], "events.0": [HOSTILE]}, "error": HOSTILE}
PAGES = [
    ("message_templates.html", LISTING),
    ("message_template.html", {"template": TEMPLATE, "versions": [TEMPLATE],
                               "preview": {"subject": HOSTILE, "content": HOSTILE,
                                           "sms": TEMPLATE["sms"]},
                               "preview_values": HOSTILE, "errors": {},
                               "length_text": message_templates.length_text}),
    ("message_template_preview.html", {"preview": None, "errors": {"params.x": [HOSTILE]},
                                       "length_text": message_templates.length_text}),
    ("bulk_send.html", BULK),
    ("bulk_batch.html", {"batch": VIEWED, "statuses": bulk_send.STATUSES}),
    ("bulk_progress.html", {"batch": VIEWED, "statuses": bulk_send.STATUSES}),
    ("customer_messages.html", MESSAGES),
    ("notify_settings.html", SETTINGS),
    ("notify_robots.html", ROBOTS),
]


@pytest.mark.parametrize("template,context", PAGES, ids=[p[0] for p in PAGES])
def test_every_notification_template_shows_hostile_text_as_text(template, context):
    assert_escaped(render(template, **context))


@pytest.mark.parametrize("template,context", [
    p for p in PAGES if p[0] not in ("message_template_preview.html", "bulk_batch.html",
                                     "bulk_progress.html")], ids=lambda v: v
    if isinstance(v, str) else "")
def test_every_notification_form_that_posts_carries_the_csrf_token(template, context):
    page = render(template, **context)
    assert page.count('method="post"') == page.count('name="csrf" value="t0ken"') >= 1


def test_the_customer_card_loads_the_message_record_as_a_part_for_readers_only():
    customer = {"id": CUSTOMER_ID, "name": "张三", "phones": [], "tags": [], "level": 0}
    for roles, shown in (({"agent"}, True), ({"auditor"}, True), ({"admin"}, False),
                         ({"field"}, False)):
        page = render("customer_card.html", roles=roles, customer=customer, overview=None,
                      missing=[])
        part = f'hx-get="/customers/{CUSTOMER_ID}/messages" hx-trigger="load"'
        assert (part in page) == shown, roles


# -- templates: the form posts what TemplateIn takes; refusals in Chinese ------------------------
class FakeVisit:
    def __init__(self, replies=None, refuse=None, htmx=False, person=SUPERVISOR):
        self.replies, self.refuse = replies or {}, refuse or {}
        self.asked: list = []
        self.person = person
        self.htmx = htmx

    def ask(self, service, operation, *args, **kwargs):
        self.asked.append((operation, *args))
        if operation in self.refuse:
            raise self.refuse[operation]
        return self.replies.get(operation, {})

    def render(self, template, status=200, **context):
        return SimpleNamespace(template=template, status=status, context=context)


def request(form=(), args=()):
    return SimpleNamespace(form=MultiDict(form), args=MultiDict(args), path="/notify")


TEMPLATE_FORM = [("name", " Member_Points "), ("channel", "sms"), ("locale", "zh-CN"),
                 ("purpose", "marketing"), ("quiet_hours", "defer"), ("subject", ""),
                 ("body", "{{ name }}您好，积分{{ points }}\r\n将到期"),
                 ("variables", "name，points, "), ("provider_code", "SMS_1"),
                 ("sign_name", "客服中心"), ("note", "")]


def test_the_template_form_posts_what_the_notify_contract_takes():
    data = message_templates.posted(MultiDict(TEMPLATE_FORM))
    assert data["name"] == "member_points" and data["variables"] == ["name", "points"]
    assert data["body"] == "{{ name }}您好，积分{{ points }}\n将到期"
    assert TemplateIn().load(data)["purpose"] == "marketing"


def test_a_saved_template_opens_its_page_with_notifys_count():
    visit = FakeVisit({"save_template": {"id": "t9"}})
    response = message_templates.save(visit, request(TEMPLATE_FORM))
    assert response.status_code == 303
    assert response.headers["Location"] == "/notify/templates/t9?done=saved"
    assert visit.asked[0][0] == "save_template"


@pytest.mark.parametrize("refusal,field,said", [
    (Invalid("x", {"provider_code": ["an SMS template needs the provider's template code "
                                     "and the approved sign name"]}),
     "provider_code", "短信模板需要服务商的模板编号和已审核的签名"),
    (Invalid("x", {"body": ["uses undeclared variable 'points'"]}), "body",
     "使用了未声明的变量 points：请在“变量”中声明"),
    (Invalid("x", {"variables": ["'code' is declared but not used"]}), "variables",
     "变量 code 已声明，但正文和主题都没有用到"),
    (Invalid("x", {"name": ["lower-case letters, digits and _, starting with a letter"]}),
     "name", "小写字母、数字和下划线，以字母开头"),
    (Invalid("x", {"body": ["template syntax error on line 1: unexpected '}'"]}), "body",
     "模板语法错误（第 1 行）：unexpected '}'"),
    (Invalid("x", {"subject": ["an email template needs a subject"]}), "subject",
     "邮件模板需要填写主题"),
])
def test_a_refused_template_keeps_its_values_and_says_why_beside_the_field(refusal, field,
                                                                           said):
    visit = FakeVisit({"templates": {"templates": [TEMPLATE]}}, {"save_template": refusal})
    shown = message_templates.save(visit, request(TEMPLATE_FORM))
    assert shown.template == "message_templates.html" and shown.status == 200
    assert shown.context["errors"][field] == [said]
    assert shown.context["values"]["variables"] == "name, points"
    assert shown.context["values"]["body"].startswith("{{ name }}您好")
    page = render("message_templates.html", **{**LISTING, **{
        k: v for k, v in shown.context.items() if k in ("values", "errors", "sms")}})
    assert f'data-field="{field}">{escape(said)}<' in page


def test_a_preview_renders_the_values_typed_as_lines():
    visit = FakeVisit({"preview_template": {"subject": "", "content": "张三您好",
                                            "sms": {"characters": 4, "parts": 1}}}, htmx=True)
    shown = message_templates.preview(visit, request([("params", "name=张三\n\n points ＝ 12 ")]),
                                      "t1")
    assert visit.asked == [("preview_template", "t1", {"params": {"name": "张三",
                                                                  "points": "12"}})]
    assert shown.template == "message_template_preview.html"
    assert shown.context["preview"]["content"] == "张三您好"
    bad = message_templates.preview(FakeVisit(htmx=True), request([("params", "name 张三")]), "t1")
    assert bad.context["errors"] == {"params": ["第 1 行应为 名称=值"]}


# -- bulk send -----------------------------------------------------------------------------------
BULK_FORM = [("idempotency_key", "a" * 32), ("template", "sms:member_points"),
             ("title", " 积分到期 "), ("kind", "person"), ("lifecycle", "normal"),
             ("lifecycle", "declining"), ("region", " 广东 "), ("tags_any", "VIP，老客户, "),
             ("product", ""), ("no_contact_months", "6"), ("params", "points=100")]


def test_the_bulk_form_posts_a_segment_the_notify_contract_takes():
    data = bulk_send.posted(MultiDict(BULK_FORM))
    assert data == {"template": "member_points", "channel": "sms", "title": "积分到期",
                    "segment": {"kind": "person", "lifecycle": ["normal", "declining"],
                                "region": "广东", "tags_any": ["VIP", "老客户"],
                                "no_contact_months": 6},
                    "params": {"points": "100"}}
    loaded = BatchIn().load(data)
    assert loaded["segment"]["lifecycle"] == ["normal", "declining"]


def test_no_filter_is_every_customer_only_when_asked_for():
    form = MultiDict([("template", "sms:x"), ("idempotency_key", "a" * 32)])
    with pytest.raises(Invalid) as refused:
        bulk_send.posted(form)
    assert "segment" in refused.value.fields
    form.add("everyone", "yes")
    assert bulk_send.posted(form)["segment"] == {}


def test_a_double_submit_is_one_batch_and_a_refused_form_keeps_its_key():
    visit = FakeVisit({"create_batch": {"id": BATCH_ID}})
    first = bulk_send.create(visit, request(BULK_FORM))
    again = bulk_send.create(visit, request(BULK_FORM))
    assert first.headers["Location"] == again.headers["Location"] == f"/notify/bulk/{BATCH_ID}"
    keys = [args[2] for args in visit.asked if args[0] == "create_batch"]
    assert keys == ["a" * 32, "a" * 32]  # the same key: notify answers the first batch
    refusing = FakeVisit(refuse={"create_batch": Invalid("x", {
        "template": ["no sms template named 'member_points' (zh-CN)"]})})
    shown = bulk_send.create(refusing, request(BULK_FORM))
    assert shown.template == "bulk_send.html" and shown.context["key"] == "a" * 32
    assert shown.context["errors"]["template"] == ["没有名为 member_points 的短信模板（zh-CN）"]
    assert shown.context["values"]["region"] == " 广东 "
    page = render("bulk_send.html", **{**BULK, **shown.context})
    assert 'name="idempotency_key" value="' + "a" * 32 + '"' in page


def test_a_form_without_a_key_gets_a_fresh_one_each_time_it_is_drawn():
    first = bulk_send.index(FakeVisit(), request()).context["key"]
    second = bulk_send.index(FakeVisit(), request()).context["key"]
    assert re.fullmatch(r"[0-9a-f]{32}", first) and first != second
    assert bulk_send.form_key(MultiDict([("idempotency_key", "x\r\ny")])) != "x\r\ny"


def test_the_bulk_page_offers_sms_and_email_templates_only():
    shown = bulk_send.index(FakeVisit({"templates": {"templates": [
        {**TEMPLATE, "name": "a", "channel": "sms"}, {**TEMPLATE, "name": "b", "channel": "robot"},
        {**TEMPLATE, "name": "c", "channel": "email"}]}}), request())
    assert [t["name"] for t in shown.context["templates"]] == ["a", "c"]


def test_the_progress_polls_every_2s_until_the_batch_is_done():
    running = render("bulk_progress.html", batch=bulk_send._view(BATCH),
                     statuses=bulk_send.STATUSES)
    assert f'hx-get="/notify/bulk/{BATCH_ID}/progress" hx-trigger="every 2s"' in running
    assert 'data-done="no"' in running
    assert re.search(r'id="batch-count-sent">1<', running)
    assert '<li data-reason="opted_out">已退订：1</li>' in running
    finished = render("bulk_progress.html", batch=bulk_send._view({
        **BATCH, "done": True, "state": "queued", "skipped_by_reason": {
            "frequency_cap_day": 1, "no_address": 2, "quiet_hours": 1},
        "progress": {"delivered": 2, "skipped": 4}}), statuses=bulk_send.STATUSES)
    assert "hx-trigger" not in finished and 'data-done="yes"' in finished
    assert "已完成" in finished and 'id="batch-count-delivered">2<' in finished
    for said in ("超过每日上限：1", "无号码/邮箱：2", "免打扰时段：1"):
        assert said in finished


def test_the_progress_part_asks_for_the_batch():
    visit = FakeVisit({"get_batch": BATCH})
    shown = bulk_send.progress(visit, request(), BATCH_ID)
    assert visit.asked == [("get_batch", BATCH_ID)] and shown.template == "bulk_progress.html"
    assert shown.context["batch"]["out"] == 1 and shown.context["batch"]["finished"] == 2
    with pytest.raises(NotFound):
        bulk_send.batch(FakeVisit(refuse={"get_batch": NotFound("no such batch")}), request(),
                        BATCH_ID)


# -- the customer's message record -------------------------------------------------------------
def test_the_message_record_says_status_in_chinese_and_withholds_content():
    page = render("customer_messages.html", **{**MESSAGES, "messages": [
        {**MESSAGE, "id": "m1", "status": "delivered", "reason": None, "content": "您好",
         "content_withheld": False},
        {**MESSAGE, "id": "m2", "status": "skipped", "reason": "opted_out", "content": "",
         "subject": "", "content_withheld": True}], "opt_outs": [], "opted": set()},
                  roles={"agent"})
    row1 = page[page.index('id="message-m1"'):page.index('id="message-m2"')]
    assert "已送达" in row1 and "您好" in row1
    row2 = page[page.index('id="message-m2"'):]
    assert "已跳过" in row2 and "已退订" in row2 and "内容不可见" in row2
    assert 'id="opt-out-sms-marketing"' in page and 'id="opt-out-email-all"' in page
    assert 'id="opt-in-sms"' not in page and "未退订任何消息" in page


def test_an_auditor_reads_the_record_without_the_opt_out_buttons():
    page = render("customer_messages.html", **MESSAGES, roles={"auditor"})
    assert 'id="message-table"' in page and 'id="opt-out-actions"' not in page


def test_a_slow_notify_shows_the_record_as_unavailable(monkeypatch):
    monkeypatch.setattr(customer_messages, "settle", lambda visit, parts: (
        {name: None for name in parts}, list(parts)))
    shown = customer_messages.part(FakeVisit(), request(), CUSTOMER_ID)
    assert shown.context["missing"] == ["messages", "preferences"]
    page = render("customer_messages.html", **{**MESSAGES, **shown.context})
    assert "消息记录暂不可用" in page and "退订设置暂不可用" in page


def test_the_part_asks_for_the_customers_messages_and_opt_outs(monkeypatch):
    asked = []

    def settle(visit, parts):
        asked.append(parts)
        return {"messages": {"messages": [MESSAGE], "next": "n1"},
                "preferences": {"opt_outs": [OPT_OUT]}}, []
    monkeypatch.setattr(customer_messages, "settle", settle)
    shown = customer_messages.part(FakeVisit(), request(args=[("before", "c0")]), CUSTOMER_ID)
    assert asked == [{"messages": ("notify", "messages", ({
        "customer_id": CUSTOMER_ID, "limit": 20, "before": "c0"},)),
        "preferences": ("notify", "preferences", (CUSTOMER_ID,))}]
    assert shown.context["opted"] == {"sms"} and shown.context["next"] == "n1"


@pytest.mark.parametrize("scope,sent", [("marketing", "marketing"), ("all", "all"), ("", None)])
def test_opting_out_and_back_in_calls_set_preference(monkeypatch, scope, sent):
    monkeypatch.setattr(customer_messages, "settle", lambda visit, parts: (
        {"messages": {}, "preferences": {}}, []))
    visit = FakeVisit(htmx=True)
    shown = customer_messages.set_preference(
        visit, request([("channel", "sms"), ("scope", scope)]), CUSTOMER_ID)
    assert visit.asked == [("set_preference", CUSTOMER_ID,
                            {"channel": "sms", "scope": sent, "note": ""})]
    PreferencesIn().load(visit.asked[0][2])
    assert shown.template == "customer_messages.html"
    assert shown.context["message"] == ("已恢复接收" if sent is None else "已退订")
    plain = customer_messages.set_preference(FakeVisit(), request([("channel", "sms"),
                                                                   ("scope", scope)]),
                                             CUSTOMER_ID)
    assert plain.headers["Location"] == f"/customers/{CUSTOMER_ID}#customer-messages"


def test_a_refused_opt_out_is_said_in_the_part(monkeypatch):
    monkeypatch.setattr(customer_messages, "settle", lambda visit, parts: (
        {"messages": {}, "preferences": {}}, []))
    visit = FakeVisit(refuse={"set_preference": DeadlineExceeded("no answer within 5s")},
                      htmx=True)
    shown = customer_messages.set_preference(visit, request([("channel", "sms"),
                                                             ("scope", "all")]), CUSTOMER_ID)
    assert shown.context["error"] == "服务响应超时，请稍后再试"


# -- settings and robots --------------------------------------------------------------------
def test_the_settings_form_posts_what_the_notify_contract_takes():
    data, _ = notify_settings.posted_settings(MultiDict([
        ("quiet_start", "21:00"), ("quiet_end", "08:00"), ("marketing_daily_cap", " 2 "),
        ("marketing_weekly_cap", "5")]))
    assert data == {"quiet_hours": "21:00-08:00", "marketing_daily_cap": 2,
                    "marketing_weekly_cap": 5, "daily_report_emails": []}
    assert SettingsIn().load(data) == data
    off, values = notify_settings.posted_settings(MultiDict([
        ("quiet_start", "21:00"), ("quiet_end", "08:00"), ("quiet_off", "on"),
        ("marketing_daily_cap", "1"), ("marketing_weekly_cap", "3")]))
    assert off["quiet_hours"] == "" and values["quiet_start"] == "21:00"


def test_r3_the_daily_report_addresses_are_one_per_line_and_a_bad_one_is_named():
    data, values = notify_settings.posted_settings(MultiDict([
        ("quiet_off", "on"), ("marketing_daily_cap", "1"), ("marketing_weekly_cap", "3"),
        ("daily_report_emails", "wang@example.com\r\n li@example.com；zhao@example.com\n")]))
    assert data["daily_report_emails"] == ["wang@example.com", "li@example.com",
                                           "zhao@example.com"]
    assert SettingsIn().load(data) == data
    visit = FakeVisit({"settings": {"quiet_hours": "", "marketing_daily_cap": 1,
                                    "marketing_weekly_cap": 3, "daily_report_emails": []}},
                      {"update_settings": Invalid("x", {
                          "daily_report_emails.1": ["Not a valid email address."]})})
    shown = notify_settings.settings_save(visit, request([
        ("quiet_off", "on"), ("marketing_daily_cap", "1"), ("marketing_weekly_cap", "3"),
        ("daily_report_emails", "wang@example.com\nnot-an-address")]))
    [reason] = shown.context["errors"]["daily_report_emails"]
    assert reason.startswith("第 2 个地址：")
    assert shown.context["values"]["daily_report_emails"] == "wang@example.com\nnot-an-address"


def test_refused_settings_are_shown_again_beside_their_fields():
    visit = FakeVisit({"settings": {"quiet_hours": "", "marketing_daily_cap": 1,
                                    "marketing_weekly_cap": 3}},
                      {"update_settings": Invalid("x", {
                          "quiet_hours": ["HH:MM-HH:MM"],
                          "marketing_daily_cap": ["Must be greater than or equal to 0 and less "
                                                  "than or equal to 100."]})})
    shown = notify_settings.settings_save(visit, request([
        ("quiet_start", "21:00"), ("marketing_daily_cap", "500"),
        ("marketing_weekly_cap", "3")]))
    assert shown.template == "notify_settings.html"
    assert shown.context["errors"]["quiet_hours"] == ["格式为 HH:MM-HH:MM（如 21:00-08:00）"]
    assert shown.context["errors"]["marketing_daily_cap"] == ["须在 0 到 100 之间"]
    assert shown.context["values"]["marketing_daily_cap"] == "500"


def test_the_robot_form_posts_what_the_notify_contract_takes_and_a_name_taken_is_said():
    form = [("kind", "robot"), ("name", " 售后群 "), ("url", "https://oapi.dingtalk.com/robot/"
                                                           "send?access_token=abc"),
            ("secret", "SEC123"), ("events", "ticket_created"), ("events", "ticket_sla_breached"),
            ("markdown", "on"), ("active", "on")]
    data = notify_settings.posted_robot(MultiDict(form))
    assert TargetIn().load(data)["events"] == ["ticket_created", "ticket_sla_breached"]
    assert data["name"] == "售后群" and data["markdown"] is True
    visit = FakeVisit(refuse={"save_target": Conflict(
        "a target of the other kind has this name", {"name": ["taken"]})})
    shown = notify_settings.robot_save(visit, request(form))
    assert shown.context["errors"]["name"] == ["已被占用"]
    assert shown.context["values"]["secret"] == ""  # never drawn back into the page
    saved = notify_settings.robot_save(FakeVisit(), request(form))
    assert saved.headers["Location"] == "/admin/robots?done=saved"


# -- the left menu by role ----------------------------------------------------------------------
@pytest.mark.parametrize("roles,shown,hidden", [
    ({"agent"}, [], ["/notify/templates", "/notify/bulk", "/admin/notifications"]),
    ({"supervisor"}, ["/notify/templates", "/notify/bulk"], ["/admin/notifications"]),
    ({"manager"}, ["/notify/templates", "/notify/bulk", "/admin/notifications"], []),
    ({"admin"}, ["/notify/templates", "/admin"], ["/notify/bulk", 'href="/admin/notifications"']),
    ({"auditor"}, [], ["/notify/templates", "/notify/bulk"]),
])
def test_the_menu_offers_the_notification_pages_by_role(roles, shown, hidden):
    page = render("customers.html", roles=roles, q="", found=None, error="")
    menu = page[page.index('<nav class="menu"'):page.index("</nav>")]
    for href in shown:
        assert f'href="{href}"' in menu, (roles, href)
    for href in hidden:
        assert (href if href.startswith("href") else f'href="{href}"') not in menu, (roles, href)


def test_the_settings_nav_shows_a_manager_only_what_they_may_open():
    page = render("notify_settings.html", roles={"manager"}, path="/admin/notifications",
                  **SETTINGS)
    nav = page[page.index('aria-label="系统设置"'):]
    nav = nav[:nav.index("</nav>")]
    assert 'href="/admin/notifications"' in nav
    assert "/admin/staff" not in nav and "/admin/robots" not in nav

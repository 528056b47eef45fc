"""Issue 11 in a real browser: an admin writes an SMS template (the length counted as it
is typed, a refusal beside its field); a supervisor sends it to a customer segment — the
batch's progress refreshing itself until the message is sent and delivered (the
simulator's receipt coming back through the public callback route), a second submit of
the same form being the same batch — then finds the message in the customer's 消息记录
and opts the customer out and back in; the notification settings and group robots of
系统设置; every page without console errors.

The supervisor sends, not the admin: bulk sends are for supervisors up (the notify
contract's BULK_SENDERS), and a customer's messages for the front line and auditors."""
import re
import uuid

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import BASE, Console, Person
from tests.helpers import random_mobile

PROGRESS_MS = 30_000  # the sender, the simulator's receipt and a 2 s refresh
BATCH_URL = re.compile(r"/notify/bulk/[0-9a-f-]{36}$")
TEMPLATE_URL = re.compile(r"/notify/templates/[0-9a-f-]{36}\?done=saved$")


@pytest.fixture(scope="module")
def scene(admin):
    """A desk with a supervisor; a customer with a mobile phone in a region of their own
    (the segment the batch is sent to matches them alone)."""
    mark = uuid.uuid4().hex[:6]
    desk = f"nt{mark}"
    assert admin.post("/api/v1/groups", {"name": desk, "display_name": "通知一组"}
                      ).status_code == 201
    supervisor = Person(admin, "supervisor", [desk], name="孙主管")
    region = f"通知测试{mark}市"
    customer = supervisor.api.post("/api/v1/customers", {
        "name": f"林晓{mark}", "phones": [random_mobile()], "region": region})
    assert customer.status_code == 201, customer.text
    return {"mark": mark, "supervisor": supervisor, "customer": customer.json(),
            "region": region, "template": f"points_{mark}"}


def as_admin(browser, admin) -> Console:
    boss = Person.__new__(Person)  # the first admin, signed in through the page
    boss.username, boss.password = "admin", admin.password
    return Console(browser, boss)


def opens_clean(console: Console, paths) -> None:
    for path in paths:
        assert console.goto(path).status == 200, path
        console.page.wait_for_load_state("networkidle")
    assert console.errors == []


def test_a_template_sent_to_a_segment_its_progress_and_the_customers_record(browser, admin,
                                                                             scene):
    name, customer = scene["template"], scene["customer"]
    body = "{{ name }}您好，您的会员积分将于月底到期，请及时使用。"
    sample = "【客服中心】{name}您好，您的会员积分将于月底到期，请及时使用。"

    # -- the admin writes the SMS template -------------------------------------------------
    console = as_admin(browser, admin)
    try:
        console.goto("/notify/templates")
        expect(console.page.locator('nav.menu a[href="/notify/templates"]')).to_be_visible()
        expect(console.page.locator('nav.menu a[href="/notify/bulk"]')).to_have_count(0)
        console.page.fill("#template-name", name)
        console.page.select_option("#template-channel", "sms")
        console.page.select_option("#template-purpose", "service")
        console.page.select_option("#template-quiet", "send")
        console.page.fill("#template-body", body)
        console.page.fill("#template-variables", "name")
        console.page.fill("#template-sign-name", "客服中心")
        # the length is counted as it is typed: the sign name's 【】 and {name} counted
        expect(console.page.locator("#sms-length-text")).to_have_text(
            f"{len(sample)}字 / 1条", timeout=5000)
        console.page.fill("#template-body", body + "请" * 40)  # past 70: parts of 67
        expect(console.page.locator("#sms-length-text")).to_have_text(
            f"{len(sample) + 40}字 / 2条", timeout=5000)
        console.page.fill("#template-body", body)
        # no provider template code: refused beside its field, nothing typed is lost
        console.page.click("#template-save")
        expect(console.page.locator('[data-field="provider_code"]')).to_contain_text("模板编号")
        assert console.page.locator("#template-body").input_value() == body
        assert console.page.locator("#template-name").input_value() == name
        console.page.fill("#template-provider-code", "SMS_900001")
        console.page.click("#template-save")
        console.page.wait_for_url(TEMPLATE_URL)
        expect(console.page.locator("#template-title")).to_have_text(name)
        expect(console.page.locator("#template-sms-length")).to_contain_text(
            f"{len(sample)}字 / 1条")
        # a preview with a value (notify renders it)
        console.page.fill("#template-params", "name=林先生")
        console.page.click("#template-preview-submit")
        expect(console.page.locator("#preview-content")).to_have_text(
            "林先生您好，您的会员积分将于月底到期，请及时使用。")
        console.shot("message-template")
        console.goto("/notify/templates?channel=sms")
        expect(console.page.locator(f'#templates-sms tr[data-name="{name}"] .sms-length')
               ).to_have_text(f"{len(sample)}字 / 1条")
        assert console.errors == []
    finally:
        console.close()

    # -- the supervisor sends it to the segment -------------------------------------------
    supervisor = Console(browser, scene["supervisor"])
    try:
        supervisor.goto("/notify/bulk")
        supervisor.page.select_option("#bulk-template", f"sms:{name}")
        supervisor.page.fill("#bulk-title", f"积分到期提醒{scene['mark']}")
        supervisor.page.fill("#bulk-region", scene["region"])
        key = supervisor.page.locator("input[name=idempotency_key]").get_attribute("value")
        token = supervisor.page.locator('meta[name="csrf-token"]').get_attribute("content")
        supervisor.page.click("#bulk-submit")
        supervisor.page.wait_for_url(BATCH_URL)
        batch_path = supervisor.page.url[len(BASE):]
        # the progress refreshes itself: sent, then delivered (the receipt came back)
        expect(supervisor.page.locator("#batch-count-out")).to_have_text("1", timeout=PROGRESS_MS)
        expect(supervisor.page.locator("#batch-count-delivered")).to_have_text(
            "1", timeout=PROGRESS_MS)
        expect(supervisor.page.locator("#batch-live")).to_have_attribute(
            "data-done", "yes", timeout=PROGRESS_MS)
        expect(supervisor.page.locator("#batch-state")).to_have_text("已完成")
        expect(supervisor.page.locator("#batch-total")).to_have_text("1")
        expect(supervisor.page.locator("#batch-count-failed")).to_have_text("0")
        supervisor.shot("bulk-progress")
        # the same form submitted again (a double click, a retry): the same batch
        again = supervisor.page.request.post(BASE + "/notify/bulk", max_redirects=0, form={
            "csrf": token, "idempotency_key": key, "template": f"sms:{name}",
            "title": f"积分到期提醒{scene['mark']}", "region": scene["region"]})
        assert again.status == 303 and again.headers["location"] == batch_path
        batches = scene["supervisor"].api.get("/api/v1/notification-batches").json()["batches"]
        assert [b["title"] for b in batches].count(f"积分到期提醒{scene['mark']}") == 1
        # the recent batches list it, done
        supervisor.goto("/notify/bulk")
        expect(supervisor.page.locator(f"#batch-{batch_path.rsplit('/', 1)[1]}")
               ).to_contain_text("已完成")

        # -- the customer's card: the message in 消息记录, opting out and back in ----------
        supervisor.goto(f"/customers/{customer['id']}")
        record = supervisor.page.locator("#customer-messages")
        expect(record.locator("#message-table")).to_contain_text(name, timeout=10_000)
        expect(record.locator("#message-table")).to_contain_text(
            f"{customer['name']}您好，您的会员积分将于月底到期，请及时使用。")
        expect(record.locator(".message-status").first).to_have_text(re.compile("已送达|已发送"))
        expect(record.locator("#message-table")).to_contain_text(re.compile(r"\d{3}\*{4}\d{4}"))
        supervisor.shot("customer-messages")
        record.locator("#opt-out-sms-marketing").click()
        expect(record.locator("#opt-outs")).to_contain_text("短信：不接收营销消息")
        expect(record.locator("#preference-done")).to_have_text("已退订")
        prefs = scene["supervisor"].api.get(
            f"/api/v1/customers/{customer['id']}/notification-preferences").json()
        assert [(o["channel"], o["scope"]) for o in prefs["opt_outs"]] == [("sms", "marketing")]
        record.locator("#opt-in-sms").click()
        expect(record.locator("#opt-outs")).to_contain_text("未退订任何消息")
        assert scene["supervisor"].api.get(
            f"/api/v1/customers/{customer['id']}/notification-preferences"
        ).json()["opt_outs"] == []
        messages = scene["supervisor"].api.get(
            "/api/v1/notifications", params={"customer_id": customer["id"]}).json()
        assert [m["status"] for m in messages["messages"]] in (["delivered"], ["sent"])
        opens_clean(supervisor, ["/notify/templates", "/notify/bulk", batch_path,
                                 f"/customers/{customer['id']}"])
    finally:
        supervisor.close()


def test_the_settings_and_robots_of_the_admin(browser, admin, scene):
    """系统设置: the quiet hours and caps saved as they are; a webhook added with a secret
    (shown as signed, never drawn back)."""
    console = as_admin(browser, admin)
    try:
        opens_clean(console, ["/admin", "/admin/notifications", "/admin/robots"])
        console.goto("/admin")
        console.page.click("#admin-notifications-link")
        expect(console.page.locator("h1")).to_have_text("通知设置")
        daily = console.page.locator("#daily-cap").input_value()
        console.page.click("#notify-settings-save")  # unchanged: other tests keep theirs
        expect(console.page.locator("#admin-done")).to_have_text("已保存")
        assert console.page.locator("#daily-cap").input_value() == daily
        # a cap out of bounds: refused beside its field
        console.page.fill("#daily-cap", "1000")
        console.page.click("#notify-settings-save")
        expect(console.page.locator('[data-field="marketing_daily_cap"]')).to_be_visible()
        console.goto("/admin/robots")
        hook = f"通知测试{scene['mark']}"
        console.page.fill("#robot-name", hook)
        console.page.select_option("#robot-kind", "webhook")
        console.page.fill("#robot-url", f"http://127.0.0.1:8990/hooks/n{scene['mark']}")
        console.page.fill("#robot-secret", "secret-" + scene["mark"])
        console.page.click("#robot-save")
        row = console.page.locator(f'#robot-table tr[data-name="{hook}"]')
        expect(row).to_contain_text("Webhook")
        expect(row).to_contain_text("已加签")
        expect(console.page.locator("body")).not_to_contain_text("secret-" + scene["mark"])
        assert console.errors == []
    finally:
        console.close()


def test_a_manager_finds_the_settings_in_the_menu_and_nothing_else_of_the_admins(browser,
                                                                                 admin):
    manager = Console(browser, Person(admin, "manager", name="钱经理"))
    try:
        manager.page.click("#menu-notify-settings")
        expect(manager.page.locator("h1")).to_have_text("通知设置")
        expect(manager.page.locator("#admin-nav-staff")).to_have_count(0)
        expect(manager.page.locator("#admin-nav-robots")).to_have_count(0)
        assert manager.page.request.get(BASE + "/admin/robots").status == 403
        assert manager.errors == []
    finally:
        manager.close()

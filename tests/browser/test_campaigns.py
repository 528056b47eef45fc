"""Issue 12 (V5) in a real browser: a supervisor makes a campaign in the console — its
target list the customers of one region (the bulk-send page's segment fields), spread
over the agents of a group — and the list freezes; the agent works 我的邀约: one
customer invited and accepting (the check-in code made), one not invited (sold the
car); at the door the code is typed into the check-in page (a wrong code refused, a
second check-in counted once) and the visit's outcome recorded; the campaign's page
shows the rates with the counts behind them.  No console errors on any page."""
import datetime
import re
import time
import uuid
import zoneinfo

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import Console, Person
from tests.helpers import random_mobile

CAMPAIGN_URL = re.compile(r"/campaigns/[0-9a-f-]{36}$")


@pytest.fixture(scope="module")
def scene(admin):
    mark = uuid.uuid4().hex[:6]
    desk = f"mk{mark}"
    assert admin.post("/api/v1/groups", {"name": desk, "display_name": f"邀约组{mark}"}
                      ).status_code == 201
    agent = Person(admin, "agent", [desk], name=f"郑邀约{mark}")
    supervisor = Person(admin, "supervisor", [desk], name="冯主管")
    region = f"活动测试{mark}市"
    customers = []
    for name in (f"赵车主{mark}", f"钱车主{mark}"):
        made = supervisor.api.post("/api/v1/customers", {
            "name": name, "phones": [random_mobile()], "region": region})
        assert made.status_code == 201, made.text
        customers.append(made.json())
    return {"mark": mark, "desk": desk, "agent": agent, "supervisor": supervisor,
            "region": region, "customers": customers}


def test_v5_a_campaign_from_segment_to_check_in_with_its_rates(browser, scene):
    theme = f"冬季保养节{scene['mark']}"
    boss = Console(browser, scene["supervisor"])
    try:
        boss.goto("/campaigns")
        boss.page.click("#campaign-new")
        boss.page.fill("#campaign-theme", theme)
        boss.page.fill("#campaign-place", "4S店一楼展厅")
        boss.page.fill("#campaign-capacity", "20")
        # running today and tomorrow (China): the door opens on the campaign's days only
        today = datetime.datetime.now(zoneinfo.ZoneInfo("Asia/Shanghai")).date()
        boss.page.fill("#campaign-starts", f"{today.isoformat()}T00:00")
        boss.page.fill("#campaign-ends",
                       f"{(today + datetime.timedelta(days=1)).isoformat()}T23:59")
        # no segment and no callers: refused beside their fields, nothing typed lost
        boss.page.click("#campaign-save")
        expect(boss.page.locator('[data-field="agent_ids"]')).to_be_visible()
        assert boss.page.locator("#campaign-theme").input_value() == theme
        boss.page.fill("#campaign-region", scene["region"])
        boss.page.select_option("#campaign-group", scene["desk"])
        boss.page.click("#campaign-save")
        boss.page.wait_for_url(CAMPAIGN_URL)
        campaign_path = boss.page.url[boss.page.url.index("/campaigns/"):]
        deadline = time.monotonic() + 30
        while "2 位客户" not in boss.page.locator("#campaign-list-state").inner_text():
            assert time.monotonic() < deadline, "the list did not freeze"
            time.sleep(0.5)
            boss.goto(campaign_path)
        expect(boss.page.locator("#campaign-facts")).to_contain_text(
            scene["agent"].api.staff["display_name"])
        assert boss.errors == []
    finally:
        boss.close()

    first, second = scene["customers"]
    console = Console(browser, scene["agent"])
    page = console.page
    try:
        console.goto("/campaigns/invitations?status=to_call")
        expect(page.locator("#invitation-list tr[data-status=to_call]", has_text=theme)
               ).to_have_count(2)
        page.locator("#invitation-list tr", has_text=first["name"]).locator("a").click()
        expect(page.locator("#invitation-detail")).to_contain_text(first["name"])
        page.check("#invited-yes")
        page.check("#accepted-yes")
        console.shot("campaign-invitations")
        page.click("#invitation-save")
        expect(page.locator("#invitation-saved")).to_be_visible()
        page.locator("#invitation-list tr", has_text=second["name"]).locator("a").click()
        page.check("#invited-no")
        page.select_option("#invitation-reason", "sold_the_car")
        page.click("#invitation-save")
        expect(page.locator("#invitations-empty")).to_be_visible()  # none left to call
        console.goto("/campaigns/invitations?status=accepted")
        page.locator("#invitation-list tr", has_text=first["name"]).locator("a").click()
        code = page.locator("#invitation-code").inner_text().strip()
        assert re.fullmatch(r"\d{6}", code), code
        assert console.errors == []
    finally:
        console.close()

    door = Console(browser, scene["supervisor"])
    try:
        door.goto(campaign_path + "/check-in")
        expect(door.page.locator("#checkin-theme")).to_have_text(theme)
        wrong = "000000" if code != "000000" else "111111"
        door.page.fill("#checkin-code", wrong)
        door.page.click("#checkin-submit")
        expect(door.page.locator("#checkin-result")).to_contain_text("签到码不正确")
        door.page.fill("#checkin-code", code)
        door.page.click("#checkin-submit")
        expect(door.page.locator("#checkin-result")).to_contain_text(f"{first['name']} 签到成功")
        door.shot("campaign-checkin")
        door.page.check("#outcome-gift")
        door.page.select_option("#outcome-satisfaction", "satisfied")
        door.page.click("#outcome-save")
        expect(door.page.locator("#checkin-done")).to_be_visible()
        door.page.fill("#checkin-code", code)
        door.page.click("#checkin-submit")
        expect(door.page.locator("#checkin-result")).to_contain_text("签到过")

        door.goto(campaign_path)
        total = door.page.locator("#campaign-total")
        cells = total.locator("td")
        expect(cells.nth(2)).to_have_text("50.0% 1/2")  # invited / on the list
        expect(cells.nth(3)).to_have_text("100.0% 1/1")  # accepted / invited
        expect(cells.nth(4)).to_have_text("100.0% 1/1")  # came / accepted
        expect(cells.nth(5)).to_have_text("100.0% 1/1")  # satisfied / with an outcome
        expect(cells.nth(6)).to_have_text("1")  # a gift taken
        expect(door.page.locator("#campaign-invitations tr[data-status=came]")
               ).to_contain_text("满意")
        door.shot("campaign-rates")
        assert door.errors == []
    finally:
        door.close()

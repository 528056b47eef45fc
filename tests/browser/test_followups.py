"""Issue 12 in a real browser: an admin writes a questionnaire in the console's editor
(a question row added, every kind of question, the CSAT one marked) and publishes it —
it is read only from then on — and a follow-up rule ("every complaint this agent handled,
2 working days after resolution, to the follow-up group"); the agent resolves two
complaints and works through 我的回访: an unreached call on one (it stays open, one
attempt), a reached call with the questionnaire's answers on the other, then the first
reached — the list moves both to 已完成, and the form offers the next task after each
save.  The supervisor sees the group's tasks and the agent's CSAT/NPS with the answers
behind them.  A customer opens the survey link of the resolution email on a phone-sized
screen and answers; the link does not open twice.  No console errors on any page."""
import re
import time
import uuid

import pytest
import requests
from playwright.sync_api import expect

from tests.browser.conftest import BASE, SHOTS, Console, Person
from tests.helpers import random_mobile
from tests.system import Client

SIM = "http://127.0.0.1:8990"
TASK_URL = re.compile(r"/followups/[0-9a-f-]{36}$")
LIST_URL = re.compile(r"/followups\?saved=[0-9a-f-]{36}")
RESOLUTION_SURVEY = "service_satisfaction"  # notify's RESOLUTION_SURVEY questionnaire


def as_admin(browser, admin) -> Console:
    boss = Person.__new__(Person)  # the first admin, signed in through the page
    boss.username, boss.password = "admin", admin.password
    return Console(browser, boss)


def wait(check, seconds=30.0):
    deadline = time.monotonic() + seconds
    while True:
        value = check()
        if value:
            return value
        assert time.monotonic() < deadline, f"not within {seconds} s"
        time.sleep(0.3)


def resolve(agent: Client, customer_id: str, content: str) -> dict:
    ticket = agent.post("/api/v1/tickets", {"customer_id": customer_id, "kind": "complaint",
                                            "content": content})
    assert ticket.status_code == 201, ticket.text
    ticket = ticket.json()
    t = f"/api/v1/tickets/{ticket['id']}"
    routed = agent.post(t + "/transfer", {"staff_id": agent.staff["id"]})
    assert routed.status_code in (200, 409), routed.text
    agent.post(t + "/accept", {})
    resolved = agent.post(t + "/transitions", {"to": "resolved"})
    assert resolved.status_code == 200, resolved.text
    return ticket


@pytest.fixture(scope="module")
def scene(admin):
    """A follow-up group with one agent and its supervisor; two customers (one with an
    email address: the resolution email carries the survey link)."""
    mark = uuid.uuid4().hex[:6]
    desk = f"hf{mark}"
    assert admin.post("/api/v1/groups", {"name": desk, "display_name": f"回访组{mark}"}
                      ).status_code == 201
    agent = Person(admin, "agent", [desk], name=f"周回访{mark}")
    supervisor = Person(admin, "supervisor", [desk], name="吴主管")
    email = f"fu{mark}@example.com"
    customers = []
    for name, extra in ((f"黄先生{mark}", {"emails": [email]}), (f"陈女士{mark}", {})):
        made = agent.api.post("/api/v1/customers", {"name": name, "phones": [random_mobile()],
                                                    **extra})
        assert made.status_code == 201, made.text
        customers.append(made.json())
    return {"mark": mark, "desk": desk, "agent": agent, "supervisor": supervisor,
            "customers": customers, "email": email}


def write_questionnaire(console: Console) -> None:
    """service_satisfaction in the editor: four questions (one row added), published."""
    page = console.page
    console.goto("/surveys/questionnaires")
    page.click("#questionnaire-new")
    page.fill("#questionnaire-name", RESOLUTION_SURVEY)
    page.fill("#questionnaire-title-input", "服务满意度回访")
    page.click("#questionnaire-add-row")  # three rows drawn; a fourth is needed
    expect(page.locator("tr.question-row")).to_have_count(4)
    assert page.locator("#questionnaire-name").input_value() == RESOLUTION_SURVEY
    rows = [("service", "scale", "您对本次服务满意吗？", ""),
            ("recommend", "nps", "您有多大可能向亲友推荐我们？", ""),
            ("on_time", "single", "师傅是否准时上门？", "准时\n迟到"),
            ("words", "text", "还有什么建议？", "")]
    for i, (key, kind, text, options) in enumerate(rows):
        page.fill(f"#key-{i}", key)
        page.select_option(f"#kind-{i}", kind)
        page.fill(f"#text-{i}", text)
        page.fill(f"#options-{i}", options)
    page.check("#required-0")
    page.check("#csat-0")
    # a single-choice question without options is refused beside its row, nothing lost
    page.fill("#options-2", "")
    page.click("#questionnaire-save")
    expect(page.locator('[data-field="questions.2.options"]')).to_be_visible()
    assert page.locator("#text-1").input_value() == rows[1][2]
    page.fill("#options-2", "准时\n迟到")
    page.click("#questionnaire-save")
    page.wait_for_url(re.compile(r"/surveys/questionnaires/[0-9a-f-]{36}\?done=saved$"))
    expect(page.locator("#questionnaire-status")).to_have_text("草稿")
    page.click("#questionnaire-publish")
    page.wait_for_url(re.compile(r"\?done=published$"))
    expect(page.locator("#questionnaire-status")).to_have_text("已发布")
    expect(page.locator("#questionnaire-readonly")).to_be_visible()
    expect(page.locator("#questionnaire-form")).to_have_count(0)  # immutable: no form
    expect(page.locator("#question-list tr[data-key]")).to_have_count(4)
    console.shot("questionnaire")


def write_rule(console: Console, scene) -> None:
    page = console.page
    console.goto("/followups/rules")
    page.fill("#rule-name", f"投诉两天后回访{scene['mark']}")
    page.check("#rule-kind-complaint")
    page.fill("#rule-assignees", scene["agent"].username)  # only this agent's tickets
    page.fill("#rule-delay", "2")
    page.select_option("#rule-delay-unit", "days")
    page.select_option("#rule-group", scene["desk"])
    page.click("#rule-save")
    page.wait_for_url(re.compile(r"/followups/rules/[0-9a-f-]{36}\?done=saved$"))
    row = page.locator("#rule-list tr", has_text=f"投诉两天后回访{scene['mark']}")
    expect(row).to_contain_text("投诉；处理人：周回访")
    expect(row).to_contain_text("解决后 2 个工作日")
    console.shot("followup-rules")


def test_v1_v3_an_agent_works_through_a_followup_list(browser, admin, scene):
    admin_console = as_admin(browser, admin)
    try:
        write_questionnaire(admin_console)
        write_rule(admin_console, scene)
        assert admin_console.errors == []
    finally:
        admin_console.close()

    agent = scene["agent"]
    first, second = scene["customers"]
    tickets = [resolve(agent.api, first["id"], "空调安装后漏水"),
               resolve(agent.api, second["id"], "送货迟到三天")]
    console = Console(browser, agent)
    page = console.page
    try:
        # -- the two tasks arrive in 全部待回访 (due in 2 working days: not today) --------
        def listed():
            console.goto("/followups?view=open")
            return page.locator("#followup-list tbody tr[data-status=open]").count() == 2
        wait(listed)
        expect(page.locator("#tab-open")).to_have_attribute("aria-current", "page")
        for ticket, customer in zip(tickets, scene["customers"], strict=True):
            row = page.locator("#followup-list tr", has_text=ticket["serial"])
            expect(row).to_contain_text(customer["name"])
            expect(row).to_contain_text("投诉")
        console.goto("/followups?view=due_today")
        expect(page.locator("#followups-empty")).to_be_visible()
        console.goto("/followups?view=open")
        console.shot("followups")

        # -- the first: not reached (busy); it stays open with one attempt ---------------
        page.locator("#followup-list tr", has_text=tickets[0]["serial"]).dblclick()
        page.wait_for_url(TASK_URL)
        expect(page.locator("#customer-card")).to_contain_text(first["name"])
        page.check("#reached-no")
        page.select_option("#followup-reason", "busy")
        page.fill("#followup-notes", "占线，明天再打")
        page.click("#followup-save")
        page.wait_for_url(LIST_URL)
        expect(page.locator("#followup-saved")).to_be_visible()
        expect(page.locator("#next-followup")).to_be_visible()
        console.goto("/followups?view=open")
        expect(page.locator("#followup-list tr", has_text=tickets[0]["serial"])
               .locator("td").nth(4)).to_have_text("1")

        # -- the second: reached, the questionnaire answered beside the card ------------
        page.locator("#followup-list tr", has_text=tickets[1]["serial"]).dblclick()
        page.wait_for_url(TASK_URL)
        expect(page.locator("#customer-card")).to_contain_text(second["name"])
        ours = page.locator("#questionnaire-pick option", has_text=f"（{RESOLUTION_SURVEY} v")
        page.select_option("#questionnaire-pick", ours.first.get_attribute("value"))
        page.locator("form[aria-label=选择问卷] button").click()
        expect(page.locator("#followup-questionnaire")).to_contain_text("服务满意度回访")
        page.check("#reached-yes")
        page.locator("#question-recommend input[value='9']").check()
        page.locator("#question-on_time input[value='迟到']").check()
        page.fill("#question-words textarea", "希望提前电话通知")
        page.click("#followup-save")  # the required CSAT question left out: refused
        expect(page.locator('[data-field="answers.service"]')).to_be_visible()
        expect(page.locator("#question-recommend input[value='9']")).to_be_checked()
        page.locator("#question-service input[value='4']").check()
        page.fill("#followup-notes", "客户接受道歉")
        page.evaluate("window.scrollTo(0, 0)")
        console.shot("followup-form")
        page.click("#followup-save")
        page.wait_for_url(LIST_URL)
        # the next task offered is the one still open
        expect(page.locator("#next-followup")).to_contain_text(tickets[0]["serial"])

        # -- the first again: reached now --------------------------------------------------
        page.click("#next-followup")
        page.wait_for_url(TASK_URL)
        expect(page.locator("#attempt-log")).to_contain_text("占线")
        page.check("#reached-yes")
        page.select_option("#questionnaire-pick", "")
        page.locator("form[aria-label=选择问卷] button").click()
        expect(page.locator("#followup-questionnaire")).to_have_count(0)
        page.check("#reached-yes")
        page.select_option("#followup-satisfaction", "very_satisfied")
        page.click("#followup-save")
        page.wait_for_url(LIST_URL)
        expect(page.locator("#no-next-followup")).to_be_visible()

        # -- both in 已完成, none left open --------------------------------------------------
        console.goto("/followups?view=done")
        done = page.locator("#followup-list tbody tr[data-status=done]")
        expect(done).to_have_count(2)
        expect(page.locator("#followup-list tr", has_text=tickets[1]["serial"])
               ).to_contain_text("满意")
        expect(page.locator("#followup-list tr", has_text=tickets[0]["serial"])
               ).to_contain_text("非常满意")
        console.goto("/followups?view=open")
        expect(page.locator("#followups-empty")).to_be_visible()
        assert console.errors == []
    finally:
        console.close()

    # -- the supervisor: the group's tasks and the agent's figures ---------------------------
    boss = Console(browser, scene["supervisor"])
    try:
        boss.goto(f"/followups?scope=group&view=done&group={scene['desk']}")
        expect(boss.page.locator("#followup-list tbody tr[data-status=done]")).to_have_count(2)
        expect(boss.page.locator("#followup-list")).to_contain_text(agent.api.staff[
            "display_name"])
        boss.goto("/satisfaction?by=agent&period=month")
        row = boss.page.locator("#satisfaction-figures tr", has_text=agent.api.staff[
            "display_name"])
        # one CSAT answer (4: satisfied) and one NPS answer (9: a promoter) behind it
        expect(row.locator(".csat")).to_have_text("100.0%")
        expect(row.locator(".csat-n")).to_have_text("1/1")
        expect(row.locator(".nps")).to_have_text("100.0")
        expect(row.locator(".nps-n")).to_have_text("1")
        boss.shot("satisfaction")
        assert boss.errors == []
    finally:
        boss.close()


def test_v3_a_customer_answers_the_survey_link_on_a_phone(browser, admin, scene):
    """The resolution email of the customer with an address carries their link (the
    questionnaire the first test published): opened on a 390×844 screen, answered, and
    refused the second time."""
    def link():
        reply = requests.get(SIM + "/_sim/mail", params={"to": scene["email"]}, timeout=10)
        reply.raise_for_status()
        for mail in reply.json()["messages"]:
            found = re.search(r"https?://[^\s<>\"]+/s/[A-Za-z0-9._\-]+", mail["text"])
            if found:
                return found[0]
        return None
    url = wait(link, 60)
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN",
                                  timezone_id="Asia/Shanghai", is_mobile=True,
                                  has_touch=True)
    phone = context.new_page()
    errors: list[str] = []
    phone.on("pageerror", lambda e: errors.append(str(e)))
    try:
        path = url[url.index("/s/"):]
        assert phone.goto(BASE + path).status == 200
        expect(phone.locator("#greeting")).to_be_visible()
        expect(phone.locator("#survey-form")).to_contain_text("您对本次服务满意吗？")
        width = phone.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, width  # nothing wider than the phone
        phone.locator("#question-service label", has_text="非常满意").click()
        phone.locator("#question-recommend label:has(input[value='10'])").click()
        expect(phone.locator("#question-recommend input[value='10']")).to_be_checked()
        phone.screenshot(path=str(SHOTS / "survey-phone.png"))
        phone.locator("#survey-form button[type=submit]").click()
        expect(phone.locator("body")).to_contain_text("感谢")
        again = phone.goto(BASE + path)
        assert again.status in (404, 409, 410)
        assert errors == []
    finally:
        context.close()

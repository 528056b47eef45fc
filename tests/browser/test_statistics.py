"""Issue 13's console in a real browser: a supervisor opens 今日看板 and reads the same
numbers as the report API answers for the tickets made here (a fresh group, so no
other test's tickets count); the board refreshes itself — a ticket made after the page
loaded appears without a reload; 趋势 draws its curve (ECharts, a canvas in the chart)
with the table per agent, and its buttons download the XLSX export and the PNG curve;
话务报表 shows its figures or, while the calls are not counted, 暂不可用 and the rest of
the page.  An agent sees only their own figures.  No console error on any page (a CSP
violation is one)."""
import datetime
import re
import time
import uuid

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import BASE, Console, Person
from tests.helpers import random_mobile
from tests.system import today_in_china

KIND = "after_sales"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
REFRESH_SECONDS = 30  # the board's hx-trigger


def ok(reply, *statuses):
    assert reply.status_code in (statuses or (200,)), (reply.request.url, reply.text)
    return reply.json()


def until(check, seconds=30.0, what="it"):
    deadline = time.monotonic() + seconds
    while True:
        value = check()
        if value:
            return value
        assert time.monotonic() < deadline, f"{what}: not within {seconds} s"
        time.sleep(0.3)


def routed(agent, ticket_id: str, staff_id: str) -> None:
    """Transfer to a member (retried while the ticket service has not heard of the new
    account yet: staff_created is an event)."""
    path = f"/api/v1/tickets/{ticket_id}/transfer"
    deadline = time.monotonic() + 15
    while (reply := agent.post(path, {"staff_id": staff_id})).status_code == 400 and (
            "staff_id" in reply.json().get("fields", {}) and time.monotonic() < deadline):
        time.sleep(0.2)
    ok(reply)


def new_ticket(person: Person, scene: dict, n: int, resolve: bool = False) -> str:
    ticket = ok(person.api.post("/api/v1/tickets", {
        "customer_id": scene["customer"]["id"], "kind": KIND, "content": f"看板工单{n}",
        "group_name": scene["desk"]}), 201)["id"]
    routed(person.api, ticket, person.id)
    if resolve:
        ok(person.api.post(f"/api/v1/tickets/{ticket}/accept", {}))
        ok(person.api.post(f"/api/v1/tickets/{ticket}/transitions", {"to": "resolved"}))
    return ticket


def today_figures(client) -> dict:
    """Today's ticket counters and backlog as the report API answers this person."""
    today = today_in_china()
    day = {"period": "day", "from": today, "to": today}
    series = ok(client.get("/api/v1/reports/tickets", params=day))["series"]
    backlog = ok(client.get("/api/v1/reports/tickets/backlog",
                            params={"from": today, "to": today}))["series"]
    counts = {c: sum(p[c] for p in series) for c in
              ("created", "resolved", "response_breached", "resolution_breached")}
    return {**counts, "open": sum(p["open"] for p in backlog)}


@pytest.fixture(scope="module")
def scene(admin):
    """A fresh group with two agents and its supervisor; agent a makes two tickets and
    resolves one, agent b makes one."""
    mark = uuid.uuid4().hex[:6]
    desk = f"st{mark}"
    ok(admin.post("/api/v1/groups", {"name": desk, "display_name": f"统计组{mark}"}), 201)
    a = Person(admin, "agent", [desk], name=f"甲座席{mark}")
    b = Person(admin, "agent", [desk], name=f"乙座席{mark}")
    boss = Person(admin, "supervisor", [desk], name=f"统计主管{mark}")
    customer = ok(a.api.post("/api/v1/customers", {"name": f"统计客户{mark}",
                                                    "phones": [random_mobile()]}), 201)
    queue = f"统计热线{mark}"
    scene = {"desk": desk, "a": a, "b": b, "boss": boss, "customer": customer,
             "queue": queue}
    new_ticket(a, scene, 1, resolve=True)
    new_ticket(a, scene, 2)
    new_ticket(b, scene, 3)
    post_calls(Person(admin, "telephony"), queue, a.id)
    until(lambda: today_figures(boss.api)["created"] == 3
          and today_figures(boss.api)["resolved"] == 1, what="the three tickets counted")
    until(lambda: today_calls(boss.api, queue=queue)["offered"] == 3,
          what="the three calls counted")
    return scene


def post_calls(telephony: Person, queue: str, agent_id: str) -> None:
    """Three calls of the queue as the telephony posts them: two answered by the agent,
    one abandoned."""
    now = datetime.datetime.now(datetime.UTC)

    def moment(seconds: float) -> str:
        return (now + datetime.timedelta(seconds=seconds)).isoformat()
    events = []
    for n, (outcome, talk) in enumerate((("answered", 30), ("answered", 90), ("abandoned", 0))):
        call_id = f"st-{uuid.uuid4().hex[:10]}"
        events.append({"call_id": call_id, "event": "offered", "at": moment(n),
                       "queue": queue})
        events.append({"call_id": call_id, "event": outcome, "at": moment(n + 10),
                       "wait_seconds": 10,
                       "agent_id": agent_id if outcome == "answered" else None})
        if outcome == "answered":
            events.append({"call_id": call_id, "event": "ended", "at": moment(n + 10 + talk)})
    ok(telephony.api.post("/api/v1/telephony/call-events", {"events": events}))


def today_calls(client, **filters) -> dict:
    """Today's calls as the report API answers this person (summed over the points)."""
    today = today_in_china()
    points = ok(client.get("/api/v1/reports/calls", params={
        "period": "day", "from": today, "to": today, **filters}))["points"]
    return {c: sum(p[c] for p in points) for c in ("offered", "answered", "abandoned")}


def number(console: Console, selector: str) -> str:
    return console.page.locator(selector).inner_text().strip()


def test_r2_the_supervisors_board_shows_the_figures_and_refreshes_itself(browser, scene):
    console = Console(browser, scene["boss"])
    try:
        page = console.page
        console.goto("/")
        expect(page.locator('nav.menu a[href="/stats"]')).to_have_text("统计")
        page.click('nav.menu a[href="/stats"]')
        page.wait_for_url(BASE + "/stats")
        expected = today_figures(scene["boss"].api)
        assert number(console, "#board-created") == str(expected["created"]) == "3"
        assert number(console, "#board-resolved") == str(expected["resolved"]) == "1"
        assert number(console, "#board-backlog") == str(expected["open"])
        assert number(console, "#board-breached") == str(
            expected["response_breached"] + expected["resolution_breached"])
        expect(page.locator("#board-tickets h2 .as-of")).to_contain_text("截至 ")
        # follow-ups due and CSAT are the survey service's: shown, each with its time
        expect(page.locator("#board-followups-due")).to_have_text(re.compile(r"^\d+\+?$"))
        expect(page.locator("#board-csat h2 .as-of")).to_contain_text("截至 ")
        # the calls of today (a supervisor reads every queue), as of the last call event
        calls = today_calls(scene["boss"].api)
        assert calls["offered"] >= 3
        assert number(console, "#board-offered") == str(calls["offered"])
        assert number(console, "#board-answered") == str(calls["answered"])
        assert number(console, "#board-abandoned") == str(calls["abandoned"])
        assert number(console, "#board-answer-rate") == \
            f"{100 * calls['answered'] / calls['offered']:.1f}%"
        expect(page.locator("#board-calls h2 .as-of")).to_have_text(re.compile(r"^截至 "))
        expect(page.locator("#parts-unavailable")).to_have_count(0)
        console.shot("statistics-board")

        # a ticket made after the page loaded shows by itself, the page not reloaded
        page.evaluate("window.kefuNotReloaded = true")
        new_ticket(scene["b"], scene, 4)
        until(lambda: today_figures(scene["boss"].api)["created"] == 4,
              what="the fourth ticket counted")
        expect(page.locator("#board-created")).to_have_text(
            "4", timeout=(REFRESH_SECONDS + 15) * 1000)
        assert page.evaluate("window.kefuNotReloaded") is True
        assert number(console, "#board-backlog") == str(today_figures(scene["boss"].api)["open"])
        assert console.errors == []
    finally:
        console.close()


def trends_path(**extra) -> str:
    today = datetime.date.fromisoformat(today_in_china())
    query = {"period": "day", "from": (today - datetime.timedelta(days=6)).isoformat(),
             "to": today.isoformat(), "by": "agent", **extra}
    return "/stats/trends?" + "&".join(f"{k}={v}" for k, v in query.items())


def by_agent(client) -> dict:
    """{agent id: tickets created} of the last seven days as the report API answers."""
    today = datetime.date.fromisoformat(today_in_china())
    series = ok(client.get("/api/v1/reports/tickets", params={
        "period": "day", "from": (today - datetime.timedelta(days=6)).isoformat(),
        "to": today.isoformat(), "by": "agent"}))["series"]
    created: dict = {}
    for point in series:
        created[point["agent_id"]] = created.get(point["agent_id"], 0) + point["created"]
    return created


def test_r2_r3_trends_draw_a_curve_with_the_agents_table_and_export(browser, scene):
    console = Console(browser, scene["boss"])
    try:
        page = console.page
        console.goto(trends_path())
        expect(page.locator("#trend-chart canvas")).to_have_count(1)
        assert page.locator("#trend-chart").get_attribute("data-drawn") == "true"
        expect(page.locator("#stats-tabs a[aria-current=page]")).to_have_text("趋势")
        a, b = scene["a"].id, scene["b"].id
        row_a, row_b = (page.locator(f'#stats-table tr[data-key="{key}"]') for key in (a, b))
        expect(row_a.locator(".who")).to_have_text(scene["a"].api.staff["display_name"])
        expect(row_a.locator(".created")).to_have_text("2")
        expect(row_a.locator(".resolved")).to_have_text("1")
        expect(row_b.locator(".created")).to_have_text(str(by_agent(scene["boss"].api)[b]))
        console.shot("statistics-trends")

        # the buttons ask the same query of the export and chart routes
        xlsx = page.locator("#export-xlsx").get_attribute("href")
        assert "format=xlsx" in xlsx and "by=agent" in xlsx
        reply = page.request.get(BASE + xlsx)
        assert reply.status == 200, reply.text()[:300]
        assert reply.headers["content-type"].startswith(XLSX)
        assert reply.body()[:2] == b"PK"  # a zip: the workbook
        png = page.request.get(BASE + page.locator("#export-png").get_attribute("href"))
        assert png.status == 200, png.text()[:300]
        assert png.headers["content-type"] == "image/png"
        assert png.body()[:8] == b"\x89PNG\r\n\x1a\n"

        # a bad day is refused naming it, the page still drawn
        console.goto(trends_path(**{"from": "2026-02-30"}))
        expect(page.locator("#stats-error")).to_contain_text("从")
        expect(page.locator("#stats-filters")).to_be_visible()
        assert console.errors == []
    finally:
        console.close()


def test_r2_an_agent_sees_only_their_own_figures(browser, scene):
    console = Console(browser, scene["a"])
    try:
        page = console.page
        for by in ("agent", "group"):
            console.goto(trends_path(by=by))
            expect(page.locator("#trend-chart canvas")).to_have_count(1)
            keys = page.locator("#stats-table tbody tr").evaluate_all(
                "rows => rows.map(r => r.dataset.key)")
            if by == "agent":
                assert keys == [scene["a"].id]
            created = page.locator("#stats-table tbody td.created").all_inner_texts()
            assert sum(int(n) for n in created) == 2  # a's two, never b's
            expect(page.locator("main")).to_contain_text("仅显示本人的数据")
        console.goto("/stats")
        own = today_figures(scene["a"].api)
        assert number(console, "#board-created") == str(own["created"]) == "2"
        assert number(console, "#board-backlog") == str(own["open"])
        mine = today_calls(scene["a"].api)
        assert mine["offered"] == 2  # the two answered by a; the abandoned one is nobody's
        assert number(console, "#board-offered") == "2"
        expect(page.locator("#board-csat")).to_have_count(0)  # CSAT: supervisors up
        assert console.errors == []
    finally:
        console.close()


def test_r2_r3_the_call_report_shows_the_queues_calls_and_exports_them(browser, scene):
    console = Console(browser, scene["boss"])
    try:
        page = console.page
        console.goto("/stats/calls?by=queue")
        expect(page.locator("#calls-chart canvas")).to_have_count(1)
        headers = page.locator("#stats-table thead th").all_inner_texts()
        assert headers[:5] == ["队列", "呼入", "接通", "接通率", "放弃"]
        row = page.locator("#stats-table tbody tr", has_text=scene["queue"])
        expect(row.locator(".offered")).to_have_text("3")
        expect(row.locator(".answered")).to_have_text("2")
        expect(row).to_contain_text("66.7%")
        reply = page.request.get(BASE + page.locator("#export-xlsx").get_attribute("href"))
        assert reply.status == 200, reply.text()[:300]
        assert reply.headers["content-type"].startswith(XLSX)
        assert "by=queue" in page.locator("#export-xlsx").get_attribute("href")
        console.goto("/stats/calls?by=hour")
        assert page.locator("#stats-table thead th").first.inner_text() == "时段"
        expect(page.locator("#stats-table tbody td.who").first).to_have_text(
            re.compile(r"^\d\d:00–\d\d:00$"))
        assert console.errors == []
    finally:
        console.close()


def later(seconds: float) -> str:
    return (datetime.datetime.now(datetime.UTC)
            + datetime.timedelta(seconds=seconds)).isoformat()


def test_r1_r2_field_work_and_fees_show_the_jobs_a_field_member_did(browser, scene, admin):
    """外勤与费用: a job dispatched to a field staff member and handled with a fee and a
    part; the supervisor's table by field staff shows it (派工 1, 完工 1, ¥180.00) and the
    member's own page only theirs."""
    field = Person(admin, "field", name=f"外勤{uuid.uuid4().hex[:4]}")
    a = scene["a"]
    ticket = new_ticket(a, scene, 9)
    job = ok(a.api.post(f"/api/v1/tickets/{ticket}/dispatch", {
        "staff_id": field.id, "address": "北京市统计路1号", "window_start": later(3600),
        "window_end": later(7200)}), 201)
    ok(field.api.post(f"/api/v1/tickets/{ticket}/accept", {}))
    ok(field.api.post(f"/api/v1/dispatches/{job['id']}/handling", {
        "done": True, "fee": "180.00", "paid": True,
        "parts": [{"name": "滤芯", "quantity": 2}]}), 201)
    today = today_in_china()

    def counted():
        reply = ok(scene["boss"].api.get("/api/v1/reports/field", params={
            "period": "day", "from": today, "to": today, "by": "staff",
            "staff_id": field.id}))
        rows = [dict(zip(reply["columns"], r, strict=True)) for r in reply["rows"]]
        return sum(r["handled"] for r in rows) == 1
    until(counted, what="the handled job counted")
    console = Console(browser, scene["boss"])
    try:
        page = console.page
        console.goto("/stats/field?by=staff")
        expect(page.locator("#tab-field")).to_have_attribute("aria-current", "page")
        headers = page.locator("#stats-table thead th").all_inner_texts()
        assert headers[:3] == ["外勤人员", "派工", "完工"]
        row = page.locator("#stats-table tbody tr", has_text=field.api.staff["display_name"])
        expect(row.locator(".dispatched")).to_have_text("1")
        expect(row.locator(".handled")).to_have_text("1")
        expect(row.locator(".fee_fen")).to_have_text("¥180.00")
        expect(row.locator(".parts")).to_have_text("2")
        expect(page.locator("#top-customers")).to_be_visible()
        assert console.errors == []
    finally:
        console.close()
    own = Console(browser, field)
    try:
        own.goto("/stats/field?by=staff")
        rows = own.page.locator("#stats-table tbody tr")
        expect(rows).to_have_count(1)
        expect(rows.first.locator(".handled")).to_have_text("1")
        expect(own.page.locator("#top-customers")).to_have_count(0)
        assert own.errors == []
    finally:
        own.close()

"""R1–R4 over HTTP against the running system (issue 13): tickets of a fresh group
created, assigned, resolved and closed through the ticket API show in the figures
(/api/v1/reports/tickets) of today in China, by group and agent and by kind and group,
with resolution times, and in the backlog; each reader sees them in their scope (an
agent only their own, a supervisor of another group none of that group and 404 for a
filter naming it, a manager all); a rebuild started by an admin runs to its end and
changes no figure; the check against the ticket service's own counts finds no
difference.  Calls posted by the telephony integration and contacts logged show in the
call figures 话务报表 (/api/v1/reports/calls) in each reader's scope.  The figures
exported as XLSX and CSV read back equal to the JSON; they draw as PNG and SVG (R3).
Group names and queues are fresh, so other tests' tickets and calls do not count here."""
import csv
import datetime
import io
import time
import uuid

import openpyxl
import pytest

from tests.e2e.ticket.test_field_and_calls import make_account
from tests.e2e.ticket.test_workflow_queues import staff
from tests.helpers import random_mobile
from tests.system import today_in_china

KIND = "after_sales"
COUNTERS = ("created", "resolved", "closed", "cancelled")


def ok(reply, *statuses):
    assert reply.status_code in (statuses or (200,)), (reply.request.method,
                                                      reply.request.url, reply.text)
    return reply.json()


def until(check, seconds=30.0, what="it"):
    deadline = time.monotonic() + seconds
    while True:
        value = check()
        if value:
            return value
        assert time.monotonic() < deadline, f"{what}: not within {seconds} s"
        time.sleep(0.3)


def days() -> dict:
    """Today in China and a day either side: a ticket made just before midnight counts
    on the day it was accepted, so figures summed over the three are what was done."""
    today = datetime.date.fromisoformat(today_in_china())
    return {"from": (today - datetime.timedelta(days=1)).isoformat(),
            "to": (today + datetime.timedelta(days=1)).isoformat()}


def figures(client, by: str, **filters):
    return client.get("/api/v1/reports/tickets", params={**days(), "by": by, **filters})


def totals(series: list, **key) -> dict:
    """Each counter summed over the points matching `key` (over every period)."""
    points = [p for p in series if all(p.get(f) == v for f, v in key.items())]
    return {c: sum(p[c] for p in points) for c in COUNTERS}


def routed(agent, ticket_id: str, staff_id: str) -> None:
    """Transfer to a member; while the ticket service has not yet heard of a new account
    (staff_created is an event), it answers 400 on staff_id: retry."""
    path = f"/api/v1/tickets/{ticket_id}/transfer"
    deadline = time.monotonic() + 15
    while (reply := agent.post(path, {"staff_id": staff_id})).status_code == 400 and (
            "staff_id" in reply.json().get("fields", {}) and time.monotonic() < deadline):
        time.sleep(0.2)
    ok(reply)


@pytest.fixture(scope="module")
def desk(admin):
    """Two fresh groups; two agents, a supervisor of the desk and of the other group, a
    manager; four tickets of the desk: two of agent a (one resolved, one closed), one
    assigned to agent b, one unassigned."""
    tag = uuid.uuid4().hex[:8]
    group, other = f"rp{tag}", f"rq{tag}"
    for name in (group, other):
        ok(admin.post("/api/v1/groups", {"name": name, "display_name": "报表组"}), 201)
    a, b = staff(admin, group, name="报表甲"), staff(admin, group, name="报表乙")
    boss = staff(admin, group, roles=("supervisor",), name="报表组长")
    stranger = staff(admin, other, roles=("supervisor",), name="别组组长")
    manager = staff(admin, group, roles=("manager",), name="报表经理")
    person = ok(a.post("/api/v1/customers", {"name": "报表客户",
                                              "phones": [random_mobile()]}), 201)
    tickets = []
    for n in range(4):
        tickets.append(ok(a.post("/api/v1/tickets", {
            "customer_id": person["id"], "kind": KIND, "content": f"报表工单{n}",
            "group_name": group}), 201)["id"])
    for ticket_id, steps in ((tickets[0], ("resolved", "closed")), (tickets[1], ("resolved",))):
        routed(a, ticket_id, a.staff["id"])
        ok(a.post(f"/api/v1/tickets/{ticket_id}/accept", {}))
        for step in steps:
            ok(a.post(f"/api/v1/tickets/{ticket_id}/transitions", {"to": step}))
    routed(a, tickets[2], b.staff["id"])
    return {"group": group, "other": other, "a": a, "b": b, "boss": boss,
            "stranger": stranger, "manager": manager, "tickets": tickets}


def _settled(desk) -> list | None:
    """The manager's series by group and agent once all four tickets show as done (the
    events of one ticket may be applied in any order; the state wins, not the order)."""
    series = ok(figures(desk["manager"], "group,agent", group_name=desk["group"]))["series"]
    a = totals(series, group_name=desk["group"], agent_id=desk["a"].staff["id"])
    b = totals(series, group_name=desk["group"], agent_id=desk["b"].staff["id"])
    group = totals(series, group_name=desk["group"])
    done = group["created"] == 4 and b["created"] == 1 and a == {
        "created": 2, "resolved": 2, "closed": 1, "cancelled": 0}
    return series if done else None


def test_r1_tickets_done_through_the_api_show_in_the_figures_by_group_and_agent(desk):
    series = until(lambda: _settled(desk), what="the four tickets in the figures")
    group, b = desk["group"], desk["b"].staff["id"]
    assert totals(series, group_name=group, agent_id=b) == {
        "created": 1, "resolved": 0, "closed": 0, "cancelled": 0}
    assert {p["group_name"] for p in series} == {group}  # the filter
    assert totals(series, group_name=group)["resolved"] == 2
    # by kind and group: counters and the resolution time of the two resolved
    by_kind = ok(figures(desk["manager"], "kind,group", group_name=group))["series"]
    assert totals(by_kind, kind=KIND, group_name=group) == {
        "created": 4, "resolved": 2, "closed": 1, "cancelled": 0}
    resolved = [p for p in by_kind if p["resolved"]]
    assert resolved and all(p["resolution_mean"] is not None and p["resolution_mean"] >= 0
                            and p["resolution_p90"] is not None for p in resolved)
    # the backlog at the end of today: not closed nor cancelled (resolved is still open)
    today = today_in_china()
    backlog = ok(desk["manager"].get("/api/v1/reports/tickets/backlog", params={
        "from": today, "to": today, "by": "group", "group_name": group}))["series"]
    assert [(p["day"], p["group_name"], p["open"]) for p in backlog] == [(today, group, 3)]


def test_r2_each_reader_sees_the_figures_of_their_scope(desk):
    until(lambda: _settled(desk), what="the four tickets in the figures")
    group, a_id, b_id = desk["group"], desk["a"].staff["id"], desk["b"].staff["id"]
    # agent a: their own tickets only, whatever the grouping
    own = ok(figures(desk["a"], "group,agent"))["series"]
    assert own and {p["agent_id"] for p in own} == {a_id}
    assert totals(own, group_name=group) == {"created": 2, "resolved": 2, "closed": 1,
                                             "cancelled": 0}
    assert figures(desk["a"], "group,agent", agent_id=b_id).status_code == 404
    # the desk's supervisor: the whole desk; the other group's: none of it, and 404
    # for a filter naming it
    boss = ok(figures(desk["boss"], "group,agent", group_name=group))["series"]
    assert totals(boss, group_name=group)["created"] == 4
    assert figures(desk["stranger"], "group,agent", group_name=group).status_code == 404
    theirs = ok(figures(desk["stranger"], "group,agent"))["series"]
    assert totals(theirs, group_name=group)["created"] == 0
    assert group not in {p["group_name"] for p in theirs}
    # a manager: every group's, the desk's among them
    every = ok(figures(desk["manager"], "group"))["series"]
    assert totals(every, group_name=group)["created"] == 4
    # the figures are for staff who read them: a bad grouping is a 400 naming it
    refused = figures(desk["manager"], "group,colour")
    assert refused.status_code == 400, refused.text
    assert [f for f in refused.json()["fields"] if f.split(".")[0] == "by"], refused.text


def test_r4_a_rebuild_changes_no_figure_and_the_check_finds_no_difference(admin, desk):
    before = until(lambda: _settled(desk), what="the four tickets in the figures")
    by_kind = ok(figures(desk["manager"], "kind,group", group_name=desk["group"]))["series"]
    assert desk["manager"].post("/api/v1/reports/rebuilds", {}).status_code == 403
    rebuild = ok(admin.post("/api/v1/reports/rebuilds", {}), 202)
    assert rebuild["state"] in ("queued", "running")
    path = f"/api/v1/reports/rebuilds/{rebuild['id']}"
    done = until(lambda: (r := ok(admin.get(path)))["state"] in ("done", "failed") and r,
                 seconds=180, what="the rebuild")
    assert done["state"] == "done" and done["error"] is None, done
    assert done["tickets"] >= 4 and done["finished_at"] is not None
    assert admin.get(f"/api/v1/reports/rebuilds/{uuid.uuid4()}").status_code == 404
    # the same figures, read again from the rebuilt rollups
    after = ok(figures(desk["manager"], "group,agent", group_name=desk["group"]))["series"]
    assert after == before
    assert ok(figures(desk["manager"], "kind,group",
                      group_name=desk["group"]))["series"] == by_kind
    # the check of today against the ticket service's own counts: no difference (events
    # of other tests' tickets may still be on their way: until they have arrived)
    today = today_in_china()
    check = f"/api/v1/reports/check?from={today}&to={today}"
    last: dict = {}

    def agreed():
        last["reply"] = ok(desk["manager"].get(check))
        return last["reply"]["differences"] == []
    assert desk["manager"].wait_for(agreed, seconds=30, step=0.5), last["reply"]
    assert desk["a"].get(check).status_code == 403


# -- calls and contacts 话务报表 (R1, R2) ---------------------------------------------------
def call_totals(points: list, **key) -> dict:
    counters = ("offered", "answered", "abandoned", "quick_hangups", "talk_seconds",
                "outbound", "outbound_answered", "online")
    found = [p for p in points if all(p.get(f) == v for f, v in key.items())]
    return {c: sum(p[c] for p in found) for c in counters}


def test_r1_calls_posted_by_the_telephony_show_in_the_call_figures_in_scope(admin, desk):
    """Three calls of a fresh queue posted as the telephony integration (two answered by
    agent a — one a quick hang-up — and one abandoned) and agent a's contacts logged
    (two phone calls out, one answered; one wechat message in) read back from
    /api/v1/reports/calls: by queue and agent for the supervisor, their own for agent a
    (another agent's filter: 404)."""
    telephony = make_account(admin, "telephony")
    a, b = desk["a"], desk["b"]
    queue = f"热线-{uuid.uuid4().hex[:6]}"
    now = datetime.datetime.now(datetime.UTC)

    def moment(seconds: float) -> str:
        return (now + datetime.timedelta(seconds=seconds)).isoformat()
    events = []
    for n, (outcome, talk) in enumerate((("answered", 3), ("answered", 60), ("abandoned", 0))):
        call_id = f"rp-{uuid.uuid4().hex[:10]}"
        events.append({"call_id": call_id, "event": "offered", "at": moment(n),
                       "queue": queue})
        events.append({"call_id": call_id, "event": outcome, "at": moment(n + 10),
                       "wait_seconds": 10,
                       "agent_id": a.staff["id"] if outcome == "answered" else None})
        if outcome == "answered":
            events.append({"call_id": call_id, "event": "ended", "at": moment(n + 10 + talk)})
    assert ok(telephony.post("/api/v1/telephony/call-events", {"events": events})) == {
        "accepted": len(events), "duplicates": 0}
    for body in ({"channel": "phone", "direction": "out", "duration_seconds": 40},
                 {"channel": "phone", "direction": "out", "duration_seconds": 0},
                 {"channel": "wechat", "direction": "in", "duration_seconds": 120}):
        ok(a.post("/api/v1/contacts", {**body, "started_at": now.isoformat()}), 201)
    path = "/api/v1/reports/calls"

    def settled():
        reply = ok(desk["boss"].get(path, params={**days(), "by": "queue,agent",
                                                  "queue": queue}))
        mine = call_totals(reply["points"], queue=queue, agent_id=a.staff["id"])
        return reply if mine["offered"] == 2 and mine["talk_seconds"] == 63 else None
    seen = until(settled, what="the three calls in the call figures")
    assert seen["as_of"] is not None and seen["quick_hangup_seconds"] >= 4
    assert call_totals(seen["points"], queue=queue, agent_id=a.staff["id"]) == {
        "offered": 2, "answered": 2, "abandoned": 0, "quick_hangups": 1, "talk_seconds": 63,
        "outbound": 0, "outbound_answered": 0, "online": 0}
    assert call_totals(seen["points"], queue=queue, agent_id=None)["abandoned"] == 1
    answered = [p for p in seen["points"] if p["agent_id"] == a.staff["id"] and p["offered"]]
    assert answered and all(p["answer_rate"] == 1.0 and p["avg_ring_seconds"] == 10.0
                            for p in answered)
    # agent a: their own calls and contacts only; the outbound and online figures have no
    # queue (on queue null when grouped by it)
    own = until(lambda: (r := ok(a.get(path, params={**days(), "by": "queue"}))) and
                call_totals(r["points"])["online"] == 1 and r, what="agent a's contacts")
    assert call_totals(own["points"], queue=queue)["offered"] == 2
    assert call_totals(own["points"], queue=None) == {
        "offered": 0, "answered": 0, "abandoned": 0, "quick_hangups": 0, "talk_seconds": 0,
        "outbound": 2, "outbound_answered": 1, "online": 1}
    assert a.get(path, params={**days(), "agent_id": b.staff["id"]}).status_code == 404
    by_hour = ok(a.get(path, params={**days(), "by": "hour"}))["points"]
    assert by_hour and all(0 <= p["hour"] <= 23 and "queue" not in p for p in by_hour)
    bad = a.get(path, params={**days(), "by": "colour"})
    assert bad.status_code == 400 and any(f.split(".")[0] == "by"
                                          for f in bad.json()["fields"])


# -- R3: the figures as files and curves ---------------------------------------------------
def _same_as_json(rows: list, series: list) -> None:
    """Rows of a file read back (header first; dates as text) equal the JSON points."""
    header, rows = rows[0], rows[1:]
    titles = {"日期": "period", "组": "group_name", "座席": "agent_id", "新建": "created",
              "已解决": "resolved", "已关闭": "closed", "已撤销": "cancelled",
              "平均解决时长(秒)": "resolution_mean"}
    assert set(titles) <= set(header), header
    assert len(rows) == len(series)
    for row, point in zip(rows, series, strict=True):
        cells = dict(zip(header, row, strict=True))
        for title, field in titles.items():
            want = point.get(field)
            assert cells[title] == want or (want is None and cells[title] in ("", None)), (
                title, cells, point)


def test_r3_the_figures_exported_as_xlsx_and_csv_read_back_equal_the_json(desk):
    until(lambda: _settled(desk), what="the four tickets in the figures")
    query = {**days(), "by": "group,agent", "group_name": desk["group"]}
    series = ok(desk["manager"].get("/api/v1/reports/tickets", params=query))["series"]
    assert sum(p["created"] for p in series) == 4
    xlsx = desk["manager"].get("/api/v1/reports/tickets/export",
                               params={**query, "format": "xlsx"})
    assert xlsx.status_code == 200, xlsx.text
    assert xlsx.headers["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "filename*=UTF-8''%E5%B7%A5%E5%8D%95%E7%BB%9F%E8%AE%A1-" in (
        xlsx.headers["Content-Disposition"])  # 工单统计-<from>-<to>.xlsx
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx.content), read_only=True).active
    rows = [[c.date().isoformat() if hasattr(c, "date") else c for c in row]
            for row in sheet.iter_rows(values_only=True)]
    _same_as_json(rows, series)
    text = desk["manager"].get("/api/v1/reports/tickets/export",
                               params={**query, "format": "csv"})
    assert text.status_code == 200 and text.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(text.content.decode("utf-8-sig"))))
    numbers = {"新建", "已解决", "已关闭", "已撤销"}
    typed = [rows[0]] + [[float(v) if rows[0][i] == "平均解决时长(秒)" and v else
                          int(v) if rows[0][i] in numbers else v or None
                          for i, v in enumerate(row)] for row in rows[1:]]
    _same_as_json(typed, series)
    # in scope as the JSON is: agent b's export holds none of agent a's tickets
    own = desk["b"].get("/api/v1/reports/tickets/export", params={**query, "format": "csv"})
    assert own.status_code == 200
    assert desk["a"].staff["id"] not in own.content.decode("utf-8-sig")


def test_r3_a_curve_of_the_figures_as_png_and_svg(desk):
    until(lambda: _settled(desk), what="the four tickets in the figures")
    query = {**days(), "by": "group", "group_name": desk["group"],
             "measure": "created,resolved"}
    png = desk["manager"].get("/api/v1/reports/tickets/chart", params={**query, "format": "png"})
    assert png.status_code == 200, png.text
    assert png.headers["Content-Type"] == "image/png"
    assert png.content.startswith(b"\x89PNG\r\n\x1a\n")
    svg = desk["manager"].get("/api/v1/reports/tickets/chart", params={**query, "format": "svg"})
    assert svg.status_code == 200 and svg.headers["Content-Type"].startswith("image/svg+xml")
    assert "工单趋势" in svg.content.decode("utf-8")
    refused = desk["manager"].get("/api/v1/reports/tickets/chart",
                                  params={**query, "measure": "created,colour"})
    assert refused.status_code == 400, refused.text
    assert [f for f in refused.json()["fields"] if f.split(".")[0] == "measure"], refused.text


def test_r3_the_call_figures_export_as_xlsx_equal_to_the_json_and_draw(desk):
    """话务报表 to XLSX: agent a's own call figures by queue, cell for cell the JSON."""
    query = {**days(), "by": "queue"}
    points = ok(desk["a"].get("/api/v1/reports/calls", params=query))["points"]
    reply = desk["a"].get("/api/v1/reports/calls/export", params={**query, "format": "xlsx"})
    assert reply.status_code == 200, reply.text
    assert "filename*=UTF-8''%E8%AF%9D%E5%8A%A1%E6%8A%A5%E8%A1%A8-" in (
        reply.headers["Content-Disposition"])  # 话务报表-<from>-<to>.xlsx
    sheet = openpyxl.load_workbook(io.BytesIO(reply.content), read_only=True).active
    header, *rows = list(sheet.iter_rows(values_only=True))
    fields = {"日期": "period", "队列": "queue", "呼入": "offered", "接通": "answered",
              "放弃": "abandoned", "接通率": "answer_rate", "速挂": "quick_hangups",
              "外呼": "outbound", "外呼接通": "outbound_answered", "在线会话": "online"}
    assert len(rows) == len(points) > 0
    for row, point in zip(rows, points, strict=True):
        cells = dict(zip(header, row, strict=True))
        cells["日期"] = cells["日期"].date().isoformat()
        assert {t: cells[t] for t in fields} == {t: point[f] for t, f in fields.items()}
    chart = desk["a"].get("/api/v1/reports/calls/chart",
                          params={**days(), "measure": "offered,answered,online"})
    assert chart.status_code == 200 and chart.content.startswith(b"\x89PNG"), chart.text

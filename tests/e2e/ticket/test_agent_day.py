"""T1–T9 together, as the issue's "done when" walks it over HTTP: an admin configures a
category with its form; an agent takes a call — screen pop, a new after-sales ticket
with form fields marked as a repeat of the earlier one, a logged call with its IVR path
(both now in the screen pop) — transfers it to the field-service group, whose on-duty
member is told; the job is dispatched, handled, resolved and closed, and the whole trail
reads back with the final handler; a knowledge-base article is found by a Chinese
phrase.  (The SLA breach escalating by itself is tests/e2e/ticket/test_sla.py.)"""
import datetime
import time
import uuid

import pytest

from tests.helpers import random_mobile
from tests.system import Client

UTC = datetime.UTC


def account(admin, role: str, groups=()) -> Client:
    username, password = f"day{uuid.uuid4().hex[:10]}", "Pw-" + uuid.uuid4().hex
    reply = admin.create_staff({"username": username, "display_name": f"{role} 一天",
                                         "password": password, "roles": [role],
                                         "groups": list(groups)})
    assert reply.status_code == 201, reply.text
    return Client(username, password)


def retry(send, seconds=10.0):
    """A call that names a staff member the ticket service has not heard of yet
    (staff_created is an event) answers 400/409 for a moment: try again."""
    deadline = time.monotonic() + seconds
    while True:
        reply = send()
        if reply.status_code < 400 or time.monotonic() > deadline:
            return reply
        time.sleep(0.2)


def inbox_refs(client) -> list:
    return [i["ref_id"] for i in client.get("/api/v1/inbox").json()["items"]]


@pytest.fixture(scope="module")
def team(admin):
    group = f"field{uuid.uuid4().hex[:6]}"
    assert admin.post("/api/v1/groups", {"name": group, "display_name": "上门服务组"}
                      ).status_code == 201
    return {"group": group, "agent": account(admin, "agent"),
            "field": account(admin, "field", [group]),
            "supervisor": account(admin, "supervisor", [group])}


def test_an_agents_day_from_screen_pop_to_closed_ticket(admin, team):
    agent, field, supervisor, group = (team["agent"], team["field"], team["supervisor"],
                                       team["group"])
    # T1: the admin configures a category with its form
    category = admin.post("/api/v1/ticket-categories", {
        "kind": "after_sales", "subtype": "repair", "name": f"洗衣机维修-{uuid.uuid4().hex[:6]}",
        "form": [{"name": "fault_type", "label": "故障类型", "type": "choice", "required": True,
                  "choices": ["不脱水", "漏水", "噪音"]},
                 {"name": "address", "label": "上门地址", "type": "address", "required": True}]})
    assert category.status_code == 201, category.text
    category = category.json()

    # C3: the caller rings; the screen pop finds them by the number typed another way
    mobile = random_mobile()
    customer = admin.post("/api/v1/customers", {"name": "郑女士", "phones": [mobile]}).json()
    spaced = f"+86 {mobile[:3]} {mobile[3:7]} {mobile[7:]}"
    pop = agent.get("/api/v1/screen-pop", params={"phone": spaced}).json()
    assert [m["id"] for m in pop["matches"]] == [customer["id"]], pop
    assert pop["view"]["customer"]["id"] == customer["id"], pop
    assert pop["view"]["open_tickets"] == [] and pop["view"]["contacts"] == []

    # T2/T3: last time's ticket, then today's — marked as a repeat of it
    body = {"customer_id": customer["id"], "kind": "after_sales",
            "category_id": category["id"], "content": "洗衣机不脱水，滚筒不转",
            "form": {"fault_type": "不脱水", "address": "杭州市西湖区文三路90号"},
            "contact": {"name": "郑女士", "phone": mobile}}
    first = agent.post("/api/v1/tickets", body, headers={"Idempotency-Key": uuid.uuid4().hex})
    assert first.status_code == 201, first.text
    bad = agent.post("/api/v1/tickets", {**body, "form": {"fault_type": "冒烟"}})
    assert bad.status_code == 400 and "form.fault_type" in bad.json()["fields"], bad.text
    ticket = agent.post("/api/v1/tickets", {**body, "content": "洗衣机还是不脱水"},
                        headers={"Idempotency-Key": uuid.uuid4().hex})
    assert ticket.status_code == 201, ticket.text
    ticket = ticket.json()
    assert ticket["repeat_of"] == [first.json()["id"]], ticket
    assert ticket["serial"].startswith("SH-")

    # T8: the call, with the IVR path the caller took, on the customer and the ticket
    started = datetime.datetime.now(UTC) - datetime.timedelta(minutes=4)
    call = agent.post("/api/v1/contacts", {
        "channel": "phone", "direction": "in", "started_at": started.isoformat(),
        "duration_seconds": 200, "ivr_path": ["1 售后服务", "2 维修进度"],
        "customer_id": customer["id"], "ticket_id": ticket["id"], "note": "催上门"})
    assert call.status_code == 201, call.text
    pop = agent.get("/api/v1/screen-pop", params={"phone": mobile}).json()["view"]
    assert {t["id"] for t in pop["open_tickets"]} == {first.json()["id"], ticket["id"]}
    assert [c["ivr_path"] for c in pop["contacts"]] == [["1 售后服务", "2 维修进度"]]

    # T4: to the field-service group; its on-duty member is told at once
    assert field.put("/api/v1/me/duty", {"on_duty": True}).status_code == 200
    moved = retry(lambda: agent.post(f"/api/v1/tickets/{ticket['id']}/transfer",
                                     {"group": group, "note": "需上门"}))
    assert moved.status_code == 200, moved.text
    assert field.wait_for(lambda: ticket["id"] in inbox_refs(field), seconds=10, step=0.2)

    # T7: dispatched with an appointment window, handled by the field staff member
    now = datetime.datetime.now(UTC)
    job = retry(lambda: supervisor.post(f"/api/v1/tickets/{ticket['id']}/dispatch", {
        "staff_id": field.staff["id"], "address": "杭州市西湖区文三路90号",
        "window_start": (now + datetime.timedelta(hours=1)).isoformat(),
        "window_end": (now + datetime.timedelta(hours=3)).isoformat()}))
    assert job.status_code == 201, job.text
    assert job.json()["id"] in [j["id"] for j in field.get("/api/v1/me/jobs").json()["dispatches"]]
    handled = field.post(f"/api/v1/dispatches/{job.json()['id']}/handling", {
        "done": True, "parts": [{"name": "排水泵", "quantity": 1, "price": "85.00"}],
        "fee": "120.00", "paid": True, "note": "更换排水泵"})
    assert handled.status_code == 201, handled.text

    # T4: resolved by the field staff member, closed by the supervisor
    for who, to in ((field, "in_progress"), (field, "resolved"), (supervisor, "closed")):
        step = who.post(f"/api/v1/tickets/{ticket['id']}/transitions", {"to": to})
        assert step.status_code == 200, (to, step.text)
    refused = agent.post(f"/api/v1/tickets/{ticket['id']}/transitions", {"to": "waiting"})
    assert refused.status_code in (404, 409), refused.text

    # the detail: the original record, the whole trail, the final handler
    detail = supervisor.get(f"/api/v1/tickets/{ticket['id']}").json()
    record = detail["ticket"]
    assert record["content"] == "洗衣机还是不脱水" and record["status"] == "closed"
    assert record["fee"] == "120.00" and record["paid"] is True
    actions = [step["action"] for step in detail["trail"]]
    for expected in ("created", "transferred", "dispatched", "handled"):
        assert expected in actions, actions
    assert actions.index("created") == 0
    assert [s["to_status"] for s in detail["trail"] if s["to_status"]][-2:] == [
        "resolved", "closed"]
    assert detail["handler"]["assignee_id"] == field.staff["id"], detail["handler"]

    # T9: the knowledge base answers a Chinese phrase
    mark = uuid.uuid4().hex[:6]
    article = supervisor.post("/api/v1/kb/articles", {
        "title": f"洗衣机不脱水怎么办 {mark}", "tags": ["洗衣机"],
        "body": "洗衣机不脱水：检查排水管是否堵塞，衣物是否偏向一侧，必要时更换排水泵。"})
    assert article.status_code == 201, article.text
    assert supervisor.post(f"/api/v1/kb/articles/{article.json()['id']}/publish", {}
                           ).status_code == 200
    found = agent.get("/api/v1/kb/articles", params={"q": f"洗衣机为什么不脱水 {mark}"}).json()
    assert found["articles"][0]["id"] == article.json()["id"], found

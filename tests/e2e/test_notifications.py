"""N1–N5 over HTTP against the running system and its provider simulator: a field job's
dispatch makes exactly one SMS with the appointment window; a resolution's email lands
in the local mailbox; a segment greeting is delivered to every opted-in customer once and
skips the opted-out with the reason; the provider's signed receipts come back through
the gateway's public callback route; an unsigned one is refused."""
import datetime
import os
import time
import uuid

import pytest
import requests

from tests.e2e.ticket.test_field_and_calls import dispatch, make_account
from tests.helpers import random_mobile

SIM = os.environ.get("KEFU_PROVIDERS_URL", "http://127.0.0.1:8990")


def sim(path, **params):
    reply = requests.get(SIM + path, params=params, timeout=10)
    reply.raise_for_status()
    return reply.json()


def wait(check, seconds=30.0):
    deadline = time.monotonic() + seconds
    while True:
        value = check()
        if value:
            return value
        assert time.monotonic() < deadline, f"not within {seconds} s"
        time.sleep(0.2)


@pytest.fixture(scope="module")
def people(admin):
    desk = f"desk{uuid.uuid4().hex[:8]}"
    assert admin.post("/api/v1/groups", {"name": desk, "display_name": "通知组"}).status_code \
        == 201
    found = {role: make_account(admin, role, [desk] if role != "field" else [])
             for role in ("agent", "supervisor", "field")}
    assert admin.put("/api/v1/notification-settings", {"quiet_hours": ""}).status_code == 200
    yield found
    admin.put("/api/v1/notification-settings", {"quiet_hours": "21:00-08:00"})


def test_n5_a_dispatch_makes_one_sms_with_the_window(admin, people):
    phone = random_mobile()
    person = admin.post("/api/v1/customers", {"name": "赵女士", "phones": [phone]}).json()
    agent, field = people["agent"], people["field"]
    ticket = agent.post("/api/v1/tickets", {"customer_id": person["id"], "kind": "after_sales",
                                            "content": "空调不制冷，需上门"}).json()
    start = datetime.datetime.now(datetime.UTC).replace(second=0, microsecond=0) \
        + datetime.timedelta(hours=3)
    reply = dispatch(agent, ticket["id"], {
        "staff_id": field.staff["id"], "address": "上海市徐汇区漕溪北路1号",
        "window_start": start.isoformat(),
        "window_end": (start + datetime.timedelta(hours=2)).isoformat()})
    assert reply.status_code == 201, reply.text
    [sms] = wait(lambda: sim("/_sim/sms", phone="+86" + phone)["messages"])
    assert sms["params"]["serial"] == ticket["serial"]
    assert sms["params"]["name"] == "赵女士"
    china = start.astimezone(datetime.timezone(datetime.timedelta(hours=8)))
    assert sms["params"]["window"].startswith(china.strftime("%Y-%m-%d %H:%M"))
    # the message history on the customer's card
    history = agent.get("/api/v1/notifications", params={"customer_id": person["id"]}).json()
    [message] = history["messages"]
    assert message["to"] == phone[:3] + "****" + phone[7:]
    # delivered: the simulator's signed receipt came through the public callback route
    wait(lambda: agent.get(f"/api/v1/notifications/{message['id']}").json()["status"]
         == "delivered")
    time.sleep(1)
    assert len(sim("/_sim/sms", phone="+86" + phone)["messages"]) == 1


def test_n5_a_resolution_sends_the_email_to_the_local_mailbox(admin, people):
    address = f"{uuid.uuid4().hex[:10]}@example.com"
    person = admin.post("/api/v1/customers", {"name": "钱先生", "phones": [random_mobile()],
                                              "emails": [address]}).json()
    agent = people["agent"]
    ticket = agent.post("/api/v1/tickets", {"customer_id": person["id"], "kind": "consultation",
                                            "content": "咨询保修政策"}).json()
    t = f"/api/v1/tickets/{ticket['id']}"
    routed = agent.post(t + "/transfer", {"staff_id": agent.staff["id"]})
    assert routed.status_code in (200, 409), routed.text
    agent.post(t + "/accept", {})
    resolved = agent.post(t + "/transitions", {"to": "resolved"})
    assert resolved.status_code == 200, resolved.text
    [mail] = wait(lambda: sim("/_sim/mail", to=address)["messages"])
    assert mail["subject"] == f"您的服务单 {ticket['serial']} 已处理完毕"
    assert "钱先生您好" in mail["text"]
    assert "请花一分钟评价本次服务：" in mail["text"] and "/s/" in mail["text"]  # its survey link


def test_n3_n4_a_segment_greeting_skips_the_opted_out_with_the_reason(admin, people):
    tag = f"e2e{uuid.uuid4().hex[:8]}"
    phones = [random_mobile() for _ in range(5)]
    made = [admin.post("/api/v1/customers", {"name": f"客户{i}", "phones": [p], "tags": [tag]})
            .json() for i, p in enumerate(phones)]
    agent, boss = people["agent"], people["supervisor"]
    out = agent.put(f"/api/v1/customers/{made[0]['id']}/notification-preferences",
                    {"channel": "sms", "scope": "marketing", "note": "不要营销短信"})
    assert out.status_code == 200, out.text
    name = f"greet_{uuid.uuid4().hex[:8]}"
    saved = admin.post("/api/v1/notification-templates", {
        "name": name, "channel": "sms", "purpose": "marketing",
        "body": "{{ name }}您好，祝{{ holiday }}快乐！回复TD退订", "variables": ["name", "holiday"],
        "provider_code": "SMS_GREET", "sign_name": "客服中心"})
    assert saved.status_code == 201, saved.text
    assert saved.json()["sms"]["parts"] == 1
    refused = boss.post("/api/v1/notification-batches", {
        "template": name, "channel": "sms", "segment": {"tags_any": [tag]}, "params": {}})
    assert refused.status_code == 400 and "params.holiday" in refused.json()["fields"]
    everyone = boss.post("/api/v1/notification-batches", {
        "template": name, "channel": "sms", "segment": {}, "params": {"holiday": "元旦"}})
    assert everyone.status_code == 400 and "segment" in everyone.json()["fields"]
    batch = boss.post("/api/v1/notification-batches", {
        "template": name, "channel": "sms", "segment": {"tags_any": [tag]},
        "params": {"holiday": "元旦"}}, headers={"Idempotency-Key": tag})
    assert batch.status_code == 202, batch.text
    done = wait(lambda: (b := boss.get(f"/api/v1/notification-batches/{batch.json()['id']}")
                         .json())["done"] and b)
    assert done["total"] == 5 and done["skipped_by_reason"] == {"opted_out": 1}
    for i, phone in enumerate(phones):
        got = sim("/_sim/sms", phone="+86" + phone)["messages"]
        assert len(got) == (0 if i == 0 else 1)


def test_provider_callbacks_are_public_but_signed(admin):
    from tests.system import BASE
    forged = requests.post(f"{BASE}/api/v1/providers/aliyun/receipts", data="[]",
                           headers={"X-Provider-Signature": "t=1,v1=00",
                                    "Content-Type": "application/json"}, timeout=10)
    assert forged.status_code == 401
    unknown = requests.post(f"{BASE}/api/v1/providers/nope/receipts", data="[]", timeout=10)
    assert unknown.status_code == 404

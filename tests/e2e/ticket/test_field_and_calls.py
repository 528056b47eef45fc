"""T7 + T8 over HTTP against the running system: an after-sales job dispatched to a
field staff member who sees it in the inbox and "my jobs" and records the handling;
a window that passes unhandled is flagged for supervisors; a call logged with its IVR
path; call events from the telephony system feed the call statistics."""
import datetime
import time
import uuid

import pytest

from tests.helpers import random_mobile
from tests.system import Client

UTC = datetime.UTC


def make_account(admin, role: str, groups=()) -> Client:
    username = f"{role}{uuid.uuid4().hex[:8]}"
    password = f"pw-{uuid.uuid4().hex}"
    reply = admin.create_staff({"username": username, "display_name": f"{role} 测试",
                                "password": password, "roles": [role],
                                "groups": list(groups)})
    assert reply.status_code == 201, reply.text
    return Client(username, password)


def later(minutes: float) -> str:
    return (datetime.datetime.now(UTC) + datetime.timedelta(minutes=minutes)).isoformat()


def dispatch(agent, ticket_id, body, seconds=10.0):
    """POST the dispatch; while the ticket service has not yet heard of the new field
    staff member (staff_created is an event), it answers 400 on staff_id: retry."""
    deadline = time.monotonic() + seconds
    while True:
        reply = agent.post(f"/api/v1/tickets/{ticket_id}/dispatch", body)
        waiting = reply.status_code == 400 and "staff_id" in reply.json().get("fields", {})
        if not waiting or time.monotonic() > deadline:
            return reply
        time.sleep(0.2)


@pytest.fixture(scope="module")
def people(admin):
    # The agent and the supervisor share a desk: a supervisor sees their groups' work
    # (issue 9, finding 8: the data scope of each role).
    desk = f"desk{uuid.uuid4().hex[:8]}"
    assert admin.post("/api/v1/groups", {"name": desk, "display_name": "测试组"}).status_code \
        == 201
    return {role: make_account(admin, role, [desk] if role in ("agent", "supervisor") else [])
            for role in ("agent", "supervisor", "field", "telephony")}


@pytest.fixture(scope="module")
def customer(admin):
    reply = admin.post("/api/v1/customers", {"name": "周先生", "phones": [random_mobile()]})
    assert reply.status_code == 201, reply.text
    return reply.json()


def new_ticket(agent, customer, kind="after_sales") -> dict:
    reply = agent.post("/api/v1/tickets", {"customer_id": customer["id"], "kind": kind,
                                           "content": "洗衣机不脱水，需上门维修"})
    assert reply.status_code == 201, reply.text
    return reply.json()


class TestFieldDispatch:
    def test_t7_dispatch_notice_my_jobs_handling_and_trail(self, people, customer):
        agent, field = people["agent"], people["field"]
        ticket = new_ticket(agent, customer)
        reply = dispatch(agent, ticket["id"], {
            "staff_id": field.staff["id"], "address": "北京市朝阳区建国路88号",
            "window_start": later(60), "window_end": later(180), "note": "客户下午在家"})
        assert reply.status_code == 201, reply.text
        job = reply.json()
        assert job["state"] == "open" and job["serial"] == ticket["serial"]
        # the field staff member is told at once (notify's inbox)
        assert field.wait_for(lambda: ticket["id"] in [
            i["ref_id"] for i in field.get("/api/v1/inbox").json()["items"]], seconds=5)
        jobs = field.get("/api/v1/me/jobs").json()["dispatches"]
        assert job["id"] in [j["id"] for j in jobs]
        assert agent.get("/api/v1/me/jobs").status_code == 403
        # the handling record, once
        handling = {"done": True, "parts": [{"name": "排水泵", "quantity": 1, "price": "120.00"}],
                    "fee": "200.00", "paid": True, "note": "已修复"}
        assert agent.post(f"/api/v1/dispatches/{job['id']}/handling",
                          handling).status_code == 403
        other = field.post(f"/api/v1/dispatches/{uuid.uuid4()}/handling", handling)
        assert other.status_code == 404
        bad = field.post(f"/api/v1/dispatches/{job['id']}/handling", {"done": False})
        assert bad.status_code == 400 and "reason" in bad.json()["fields"]
        done = field.post(f"/api/v1/dispatches/{job['id']}/handling", handling)
        assert done.status_code == 201, done.text
        assert done.json()["handling"]["fee"] == "200.00"
        again = field.post(f"/api/v1/dispatches/{job['id']}/handling", handling)
        assert again.status_code == 409
        listed = agent.get(f"/api/v1/tickets/{ticket['id']}/dispatches").json()["dispatches"]
        assert [(d["id"], d["state"]) for d in listed] == [(job["id"], "handled")]

    def test_t7_refusals_over_http(self, people, customer):
        agent, field = people["agent"], people["field"]
        consultation = new_ticket(agent, customer, kind="consultation")
        reply = dispatch(agent, consultation["id"], {
            "staff_id": field.staff["id"], "address": "x", "window_start": later(60),
            "window_end": later(120)})
        assert reply.status_code == 409 and "after-sales" in reply.json()["message"]
        ticket = new_ticket(agent, customer)
        reply = agent.post(f"/api/v1/tickets/{ticket['id']}/dispatch", {
            "staff_id": field.staff["id"], "address": "x", "window_start": later(120),
            "window_end": later(60)})
        assert reply.status_code == 400 and "window_end" in reply.json()["fields"]
        reply = agent.post(f"/api/v1/tickets/{ticket['id']}/dispatch", {
            "staff_id": agent.staff["id"], "address": "x", "window_start": later(60),
            "window_end": later(120)})
        assert reply.status_code == 400 and "staff_id" in reply.json()["fields"]
        reply = agent.post(f"/api/v1/tickets/{ticket['id']}/dispatch", "not an object")
        assert reply.status_code == 400

    def test_t7_an_unhandled_window_is_flagged_for_supervisors(self, people, customer):
        agent, field, supervisor = people["agent"], people["field"], people["supervisor"]
        ticket = new_ticket(agent, customer)
        reply = dispatch(agent, ticket["id"], {
            "staff_id": field.staff["id"], "address": "上海市静安区南京西路1号",
            "window_start": later(0), "window_end": later(2 / 60)})
        assert reply.status_code == 201, reply.text
        job = reply.json()

        def overdue_ids():
            page = supervisor.get("/api/v1/dispatches", params={"state": "overdue",
                                                                "limit": 200}).json()
            return [d["id"] for d in page["dispatches"]]
        assert supervisor.wait_for(lambda: job["id"] in overdue_ids(), seconds=15, step=0.5)
        assert agent.get("/api/v1/dispatches?state=overdue").status_code == 403
        bad = supervisor.get("/api/v1/dispatches?state=whatever")
        assert bad.status_code == 400 and "state" in bad.json()["fields"]
        [mine] = [j for j in field.get("/api/v1/me/jobs").json()["dispatches"]
                  if j["id"] == job["id"]]
        assert mine["overdue"] is True and mine["flagged_at"]


class TestContactsAndCalls:
    def test_t8_a_call_with_its_ivr_path_is_in_the_customer_and_ticket_logs(
            self, people, customer):
        agent = people["agent"]
        ticket = new_ticket(agent, customer, kind="consultation")
        key = uuid.uuid4().hex
        body = {"channel": "phone", "direction": "in", "duration_seconds": 95,
                "ivr_path": ["1 售后", "2 维修"], "ticket_id": ticket["id"],
                "note": "咨询保修期"}
        first = agent.post("/api/v1/contacts", body, headers={"Idempotency-Key": key})
        assert first.status_code == 201, first.text
        again = agent.post("/api/v1/contacts", body, headers={"Idempotency-Key": key})
        assert again.json()["id"] == first.json()["id"]
        contact = first.json()
        assert contact["customer_id"] == customer["id"]
        assert contact["agent_id"] == agent.staff["id"]
        logged = agent.get(f"/api/v1/customers/{customer['id']}/contacts").json()["contacts"]
        assert logged[0]["id"] == contact["id"]
        assert logged[0]["ivr_path"] == ["1 售后", "2 维修"]
        by_ticket = agent.get(f"/api/v1/tickets/{ticket['id']}/contacts").json()["contacts"]
        assert [c["id"] for c in by_ticket] == [contact["id"]]
        bad = agent.post("/api/v1/contacts", {"channel": "pigeon", "direction": "in"})
        assert bad.status_code == 400 and "channel" in bad.json()["fields"]
        bad = agent.get(f"/api/v1/customers/{customer['id']}/contacts?limit=lots")
        assert bad.status_code == 400 and "limit" in bad.json()["fields"]

    def test_t8_telephony_posts_call_events_once_and_supervisors_read_the_stats(
            self, people):
        telephony, supervisor, agent = people["telephony"], people["supervisor"], people["agent"]
        queue = f"售后-{uuid.uuid4().hex[:6]}"
        now = datetime.datetime.now(UTC)
        events = []
        for answered, wait in ((True, 8), (True, 12), (False, 30)):
            call_id = f"pbx-{uuid.uuid4().hex[:10]}"
            events += [
                {"call_id": call_id, "event": "offered", "at": now.isoformat(),
                 "caller": random_mobile(), "queue": queue, "ivr_path": ["1 售后"]},
                {"call_id": call_id, "event": "answered" if answered else "abandoned",
                 "at": (now + datetime.timedelta(seconds=wait)).isoformat(),
                 "wait_seconds": wait, "agent_id": agent.staff["id"] if answered else None}]
        reply = telephony.post("/api/v1/telephony/call-events", {"events": events})
        assert reply.status_code == 200, reply.text
        assert reply.json() == {"accepted": 6, "duplicates": 0}
        retry = telephony.post("/api/v1/telephony/call-events", events[0])
        assert retry.json() == {"accepted": 0, "duplicates": 1}
        assert agent.post("/api/v1/telephony/call-events", events[0]).status_code == 403
        bad = telephony.post("/api/v1/telephony/call-events", {**events[0], "event": "rang"})
        assert bad.status_code == 400 and "event" in bad.json()["fields"]
        day = datetime.datetime.now(datetime.timezone(datetime.timedelta(hours=8))).date()
        stats = supervisor.get("/api/v1/calls/stats", params={
            "from": (now - datetime.timedelta(minutes=1)).isoformat(),
            "to": (now + datetime.timedelta(minutes=5)).isoformat()})
        assert stats.status_code == 200, stats.text
        [mine] = [q for q in stats.json()["queues"] if q["queue"] == queue]
        assert (mine["offered"], mine["answered"], mine["abandoned"]) == (3, 2, 1)
        assert mine["answer_rate"] == pytest.approx(0.6667)
        assert mine["avg_wait_seconds"] == 10.0
        by_day = supervisor.get(f"/api/v1/calls/stats?from={day}&to={day}").json()
        assert queue in [q["queue"] for q in by_day["queues"]]
        assert agent.get("/api/v1/calls/stats").status_code == 403
        bad = supervisor.get("/api/v1/calls/stats?from=yesterday")
        assert bad.status_code == 400 and "from" in bad.json()["fields"]

    def test_t8_routes_are_in_the_openapi_document(self, admin):
        paths = admin.get("/api/v1/openapi.json").json()["paths"]
        for path in ("/api/v1/tickets/{ticket_id}/dispatch", "/api/v1/dispatches",
                     "/api/v1/dispatches/{dispatch_id}/handling", "/api/v1/me/jobs",
                     "/api/v1/contacts", "/api/v1/customers/{customer_id}/contacts",
                     "/api/v1/tickets/{ticket_id}/contacts", "/api/v1/telephony/call-events",
                     "/api/v1/calls/stats"):
            assert path in paths, path

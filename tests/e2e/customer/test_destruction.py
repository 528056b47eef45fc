"""C6 destruction 销毁 over HTTP against the running system: staff of each role take a
customer with phones and a ticket through the three steps; then the person is gone
from the customer service and from the ticket service, which keeps the serial."""
import random
import time
import uuid

import pytest
import requests

from tests.helpers import random_mobile
from tests.system import BASE, Client

PASSWORD = "c6-long-enough-pw"
TOMBSTONE = "已销毁客户"
REDACTED = "[已销毁]"


def rare_name() -> str:
    return "".join(chr(random.randint(0x4E00, 0x9FA5)) for _ in range(3))


@pytest.fixture(scope="module")
def people(admin) -> dict[str, Client]:
    """One signed-in staff member per role (agent, supervisor, manager, general manager)."""
    out = {}
    for role, clearance in (("agent", 0), ("supervisor", 3), ("manager", 3),
                            ("general_manager", 3), ("auditor", 3)):
        username = f"c6{role.replace('_', '')}{uuid.uuid4().hex[:6]}"
        reply = admin.create_staff({"username": username, "display_name": f"C6 {role}",
                                             "password": PASSWORD, "roles": [role],
                                             "clearance": clearance})
        assert reply.status_code == 201, reply.text
        out[role] = Client(username, PASSWORD)
    return out


def person_with_ticket(agent: Client) -> tuple[dict, dict, str, str]:
    name, mobile = rare_name(), random_mobile()
    created = agent.post("/api/v1/customers", {
        "name": name, "phones": [f"{mobile[:3]} {mobile[3:7]} {mobile[7:]}"],
        "emails": [f"c6e2e-{mobile}@example.cn"], "notes": f"{name}的备注"})
    assert created.status_code == 201, created.text
    ticket = agent.post("/api/v1/tickets", {"customer_id": created.json()["id"],
                                            "kind": "after_sales",
                                            "content": f"{name} 电话 {mobile} 空调不制冷"})
    assert ticket.status_code == 201, ticket.text
    return created.json(), ticket.json(), name, mobile


class TestC6DestructionOverHttp:
    def test_c6_three_steps_then_the_person_is_gone_everywhere(self, people):
        agent, sup, mgr, gm = (people[r] for r in ("agent", "supervisor", "manager",
                                                   "general_manager"))
        customer, ticket, name, mobile = person_with_ticket(agent)
        cid = customer["id"]

        asked = agent.post(f"/api/v1/customers/{cid}/destruction-requests",
                           {"reason": "客户依法要求删除个人信息"})
        assert asked.status_code == 201, asked.text
        rid = asked.json()["id"]
        assert asked.json()["awaiting_role"] == "supervisor"

        early = mgr.post(f"/api/v1/destruction-requests/{rid}/approve", {})
        assert early.status_code == 409 and "out of order" in early.json()["message"]
        assert agent.post(f"/api/v1/destruction-requests/{rid}/approve", {}).status_code == 403

        step1 = sup.http.post(f"{BASE}/api/v1/destruction-requests/{rid}/approve", timeout=10)
        assert step1.status_code == 200, step1.text  # no body: the comment is optional
        again = sup.post(f"/api/v1/destruction-requests/{rid}/approve", {})
        assert again.status_code == 403 and "different person" in again.json()["message"]
        assert gm.post(f"/api/v1/destruction-requests/{rid}/approve", {}).status_code == 409
        assert mgr.post(f"/api/v1/destruction-requests/{rid}/approve",
                        {"comment": "经理同意"}).status_code == 200
        started = time.monotonic()
        done = gm.post(f"/api/v1/destruction-requests/{rid}/approve", {"comment": "同意销毁"})
        erased_in = time.monotonic() - started
        assert done.status_code == 200, done.text
        assert done.json()["status"] == "destroyed"
        assert [a["role"] for a in done.json()["approvals"]] == [
            "supervisor", "manager", "general_manager"]

        # Gone from the customer service: a tombstone, and the old phone finds nothing.
        seen = gm.get(f"/api/v1/customers/{cid}").json()
        assert seen["destroyed"] is True and seen["name"] == TOMBSTONE
        assert seen["number"] == customer["number"]
        assert seen["phones"] == [] and seen["archive"] is None
        for typed in (mobile, f"+86-{mobile}"):
            assert agent.get("/api/v1/customers/lookup", params={"phone": typed}
                             ).json()["matches"] == []
            assert agent.get("/api/v1/screen-pop", params={"phone": typed}
                             ).json()["matches"] == []
        assert agent.get("/api/v1/customers/lookup",
                         params={"email": f"c6e2e-{mobile}@example.cn"}).json()["matches"] == []

        # Gone from the ticket service once customer_destroyed has arrived (bounded poll).
        def redacted() -> bool:
            tickets = agent.get(f"/api/v1/customers/{cid}/tickets").json()["tickets"]
            return [t["content"] for t in tickets] == [REDACTED]

        assert agent.wait_for(redacted, seconds=10, step=0.02), "ticket not anonymised in 10 s"
        print(f"\nC6: final approval + erase {erased_in * 1000:.0f} ms; ticket anonymised"
              f" {(time.monotonic() - started) * 1000:.0f} ms after the approval was sent")
        kept = agent.get(f"/api/v1/customers/{cid}/tickets").json()["tickets"][0]
        assert (kept["id"], kept["serial"], kept["kind"], kept["accepted_at"]) == (
            ticket["id"], ticket["serial"], "after_sales", ticket["accepted_at"])
        assert name not in str(kept) and mobile not in str(kept)
        refused = agent.post("/api/v1/tickets", {"customer_id": cid, "kind": "complaint",
                                                 "content": "又来电"})
        assert refused.status_code == 404  # the ticket service sees only a tombstone

        # The record of the decision stays readable.
        listed = sup.get("/api/v1/destruction-requests", params={"status": "destroyed"})
        assert rid in [r["id"] for r in listed.json()["requests"]]
        shown = people["auditor"].get(f"/api/v1/destruction-requests/{rid}").json()
        assert [a["comment"] for a in shown["approvals"]] == ["", "经理同意", "同意销毁"]
        log = mgr.get(f"/api/v1/customers/{cid}/access-log").json()["entries"]
        assert [e["action"] for e in log if e["action"].startswith("destroy")][::-1] == [
            "destroy_request", "destroy_approve", "destroy_approve", "destroy_approve",
            "destroy"]

    def test_c6_a_rejection_ends_it_and_bad_input_is_400(self, people):
        agent, sup = people["agent"], people["supervisor"]
        customer, _, name, _ = person_with_ticket(agent)
        path = f"/api/v1/customers/{customer['id']}/destruction-requests"
        assert agent.post(path, {}).json()["fields"] == {
            "reason": ["Missing data for required field."]}
        rid = agent.post(path, {"reason": "客户要求"}).json()["id"]
        assert agent.post(path, {"reason": "再次"}).status_code == 409
        no_comment = sup.post(f"/api/v1/destruction-requests/{rid}/reject", {})
        assert no_comment.status_code == 400 and "comment" in no_comment.json()["fields"]
        rejected = sup.post(f"/api/v1/destruction-requests/{rid}/reject", {"comment": "资料有误"})
        assert rejected.status_code == 200 and rejected.json()["status"] == "rejected"
        assert people["manager"].post(f"/api/v1/destruction-requests/{rid}/approve", {}
                                      ).status_code == 409
        assert agent.get(f"/api/v1/customers/{customer['id']}").json()["name"] == name
        assert agent.get("/api/v1/destruction-requests", params={"status": "nope"}
                         ).status_code == 400
        assert agent.get(f"/api/v1/destruction-requests/{uuid.uuid4()}").status_code == 404

    def test_c6_routes_are_in_the_openapi_document(self, admin):
        paths = requests.get(f"{BASE}/api/v1/openapi.json", timeout=5).json()["paths"]
        assert {"/api/v1/customers/{customer_id}/destruction-requests",
                "/api/v1/destruction-requests", "/api/v1/destruction-requests/{request_id}",
                "/api/v1/destruction-requests/{request_id}/approve",
                "/api/v1/destruction-requests/{request_id}/reject"} <= set(paths)

"""Issue #3's done-when over HTTP: staff of each role, persons and organizations,
the screen pop by any written phone, classification with the borrowing log,
declassification by itself, top-secret borrowing."""
import datetime
import random
import time
import uuid

import pytest

from tests.helpers import random_mobile
from tests.system import Client

ROLES = {"agent": 0, "supervisor": 1, "manager": 2, "general_manager": 3, "auditor": 0}


@pytest.fixture(scope="module")
def staff(admin):
    """One signed-in member per role (same group), created through the API."""
    group = "g" + uuid.uuid4().hex[:8]
    reply = admin.post("/api/v1/groups", {"name": group, "display_name": "客服组"})
    assert reply.status_code == 201
    out = {}
    for role, clearance in ROLES.items():
        username = f"{role[:10]}{uuid.uuid4().hex[:6]}"
        password = "Pw-" + uuid.uuid4().hex
        reply = admin.create_staff({"username": username, "display_name": role,
                                             "password": password, "roles": [role],
                                             "groups": [group], "clearance": clearance})
        assert reply.status_code == 201, reply.text
        out[role] = Client(username, password)
    out["manager3"] = _member(admin, "manager", 3, group)
    return out


def _member(admin, role, clearance, group):
    username, password = f"m{uuid.uuid4().hex[:10]}", "Pw-" + uuid.uuid4().hex
    assert admin.create_staff({"username": username, "display_name": role,
                                        "password": password, "roles": [role], "groups": [group],
                                        "clearance": clearance}).status_code == 201
    return Client(username, password)


def log_of(client, cid) -> list[dict]:
    reply = client.get(f"/api/v1/customers/{cid}/access-log")
    assert reply.status_code == 200, reply.text
    return reply.json()["entries"]


class TestArchiveFlow:
    def test_c1_c3_person_and_organization_found_by_any_written_phone(self, staff):
        agent, mobile = staff["agent"], random_mobile()
        line = str(random.randint(60000000, 69999999))
        person = agent.post("/api/v1/customers", {
            "name": "陈小红", "phones": [f"+86 {mobile[:3]} {mobile[3:7]} {mobile[7:]}"],
            "emails": ["chen@example.cn"], "region": "浙江省杭州市",
            "person": {"gender": "female", "birth_date": "1990-01-02", "occupation": "工程师"},
            "assets": [{"product": "洗衣机", "serial": "WM-" + uuid.uuid4().hex[:8],
                        "warranty_end": "2099-01-01"}]})
        assert person.status_code == 201, person.text
        org = staff["supervisor"].post("/api/v1/customers", {
            "kind": "organization", "name": "杭州西湖机电", "phones": [f"0571-{line} 转 12"],
            "credit_class": "A", "organization": {"industry": "机电", "staff_count": 80},
            "key_people": [{"name": "刘总", "title": "采购总监", "decision_maker": True}]})
        assert org.status_code == 201, org.text
        for typed in (f"0086-{mobile}", f"86 {mobile}", f"{mobile[:3]}-{mobile[3:7]}-{mobile[7:]}"):
            pop = agent.get("/api/v1/screen-pop", params={"phone": typed}).json()
            assert [m["id"] for m in pop["matches"]] == [person.json()["id"]], typed
            assert pop["view"]["customer"]["assets"][0]["in_warranty"] is True
            assert pop["view"]["tickets"] == []
        pop = agent.get("/api/v1/screen-pop", params={"phone": f"(0571){line} ext 12"}).json()
        assert [m["id"] for m in pop["matches"]] == [org.json()["id"]]
        assert pop["view"]["customer"]["archive"]["key_people"][0]["name"] == "刘总"
        none = agent.get("/api/v1/screen-pop", params={"phone": random_mobile()}).json()
        assert none == {"matches": []}

    def test_c4_confidential_agent_gets_card_manager_gets_archive_and_one_log_row(self, staff):
        agent, manager = staff["agent"], staff["manager"]
        created = agent.post("/api/v1/customers", {"name": "机密客户", "phones": [random_mobile()],
                                                   "notes": "董事会成员"}).json()
        cid = created["id"]
        classified = manager.put(f"/api/v1/customers/{cid}/classification",
                                 {"level": 2, "reason": "高管客户"})
        assert classified.status_code == 200, classified.text
        seen = agent.get(f"/api/v1/customers/{cid}").json()
        assert seen["archive"] is None and seen["name"] == "机密客户"
        assert "****" in seen["phones"][0]["masked"]
        before = log_of(manager, cid)
        read = manager.get(f"/api/v1/customers/{cid}", params={"reason": "回访准备"}).json()
        assert read["archive"]["notes"] == "董事会成员"
        after = log_of(manager, cid)
        assert len(after) == len(before) + 1
        assert (after[0]["action"], after[0]["actor_name"], after[0]["reason"]) == (
            "read_archive", manager.staff["username"], "回访准备")
        assert agent.get(f"/api/v1/customers/{cid}/access-log").status_code == 403
        assert staff["auditor"].get(f"/api/v1/customers/{cid}/access-log").status_code == 200

    def test_c4_a_declassification_takes_effect_by_itself(self, staff):
        agent, manager = staff["agent"], staff["manager"]
        cid = agent.post("/api/v1/customers", {"name": "到期解密", "notes": "旧事"}).json()["id"]
        at = datetime.datetime.now(datetime.UTC) + datetime.timedelta(seconds=2)
        reply = manager.put(f"/api/v1/customers/{cid}/classification",
                            {"level": 1, "declassify_at": at.isoformat(), "declassify_to": 0,
                             "reason": "临时保密"})
        assert reply.status_code == 200, reply.text
        assert agent.get(f"/api/v1/customers/{cid}").json()["archive"] is None
        time.sleep(2.1)
        assert agent.get(f"/api/v1/customers/{cid}").json()["archive"]["notes"] == "旧事"
        assert manager.wait_for(lambda: "declassify" in [e["action"] for e in log_of(manager, cid)],
                                seconds=10)
        assert agent.get(f"/api/v1/customers/{cid}").json()["level"] == 0

    def test_c4_top_secret_is_borrowed_through_an_approved_request(self, staff):
        agent, gm, borrower = staff["agent"], staff["general_manager"], staff["manager3"]
        cid = agent.post("/api/v1/customers", {"name": "绝密客户", "notes": "核心"}).json()["id"]
        assert gm.put(f"/api/v1/customers/{cid}/classification",
                      {"level": 3, "reason": "绝密"}).status_code == 200
        assert borrower.get(f"/api/v1/customers/{cid}").json()["archive"] is None
        request = borrower.post("/api/v1/access-requests",
                                {"customer_id": cid, "reason": "法务核查", "hours": 1})
        assert request.status_code == 201, request.text
        rid = request.json()["id"]
        assert borrower.post(f"/api/v1/access-requests/{rid}/approve", {}).status_code == 403
        assert staff["manager"].post(f"/api/v1/access-requests/{rid}/approve",
                                     {}).status_code == 404  # clearance 2: not in scope
        approved = gm.post(f"/api/v1/access-requests/{rid}/approve", {})
        assert approved.status_code == 200 and approved.json()["status"] == "approved"
        assert borrower.get(f"/api/v1/customers/{cid}").json()["archive"]["notes"] == "核心"

    def test_c4_unmask_is_refused_to_agents_and_logged_for_supervisors(self, staff):
        mobile = random_mobile()
        cid = staff["agent"].post("/api/v1/customers", {"name": "回拨客户",
                                                        "phones": [mobile]}).json()["id"]
        body = {"reason": "回拨确认"}
        assert staff["agent"].post(f"/api/v1/customers/{cid}/phones/unmask",
                                   body).status_code == 403
        shown = staff["supervisor"].post(f"/api/v1/customers/{cid}/phones/unmask", body)
        assert shown.json()["phones"][0]["e164"] == "+86" + mobile
        actions = [e["action"] for e in log_of(staff["manager"], cid)]
        assert actions == ["unmask", "deny"]

    def test_c4_classification_by_an_agent_or_above_clearance_is_refused(self, staff):
        cid = staff["agent"].post("/api/v1/customers", {"name": "越权测试"}).json()["id"]
        body = {"level": 3, "reason": "越权"}
        assert staff["agent"].put(f"/api/v1/customers/{cid}/classification",
                                  body).status_code == 403
        reply = staff["manager"].put(f"/api/v1/customers/{cid}/classification", body)
        assert reply.status_code == 403 and "level" in reply.json()["fields"]
        assert staff["agent"].get(f"/api/v1/customers/{cid}").json()["level"] == 0

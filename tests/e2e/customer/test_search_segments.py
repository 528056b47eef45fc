"""Search, C8 duplicates and merge, C9 segments over HTTP against the running system:
an agent finds a customer by characters, pinyin, initials, part of the phone and the
number; a supervisor finds a duplicate, merges it (its ticket follows) and pages a
segment with a cursor."""
import uuid

import pytest
import requests

from services.customer.domain.records import pinyin_of
from tests.helpers import random_mobile
from tests.integration.customer.search_helpers import rare_name
from tests.system import BASE, Client

PASSWORD = "c8-long-enough-pw"


@pytest.fixture(scope="module")
def people(admin) -> dict[str, Client]:
    out = {}
    for role in ("agent", "supervisor"):
        username = f"c8{role}{uuid.uuid4().hex[:6]}"
        reply = admin.create_staff({"username": username, "display_name": f"C8 {role}",
                                             "password": PASSWORD, "roles": [role],
                                             "clearance": 0})
        assert reply.status_code == 201, reply.text
        out[role] = Client(username, PASSWORD)
    return out


def search(client: Client, q: str) -> list[str]:
    reply = client.get("/api/v1/customers/search", params={"q": q, "limit": 100})
    assert reply.status_code == 200, reply.text
    return [c["id"] for c in reply.json()["customers"]]


class TestSearchOverHttp:
    def test_an_agent_finds_a_customer_every_way_it_is_typed(self, people):
        agent = people["agent"]
        name, mobile = rare_name(), random_mobile()
        made = agent.post("/api/v1/customers", {"name": name, "phones": [mobile]})
        assert made.status_code == 201, made.text
        cid, number = made.json()["id"], made.json()["number"]
        full, initials = pinyin_of(name)
        for q in (name, name[:2], full, full.upper(), initials, mobile[-4:], mobile[2:9],
                  f"{mobile[:3]} {mobile[3:7]}", number.lower()):
            assert cid in search(agent, q), q
        reply = agent.get("/api/v1/customers/search", params={"q": name})
        [card] = reply.json()["customers"]
        assert card["archive"] is None and mobile not in reply.text

    def test_bad_queries_are_400_naming_q_and_strangers_401(self, people):
        reply = people["agent"].get("/api/v1/customers/search", params={"q": "12"})
        assert reply.status_code == 400 and "q" in reply.json()["fields"]
        reply = people["agent"].get("/api/v1/customers/search")
        assert reply.status_code == 400 and "q" in reply.json()["fields"]
        assert requests.get(f"{BASE}/api/v1/customers/search", params={"q": "张"},
                            timeout=10).status_code == 401


class TestDuplicatesAndMergeOverHttp:
    def test_a_supervisor_finds_a_duplicate_and_merges_it_and_the_ticket_follows(self, people):
        agent, sup = people["agent"], people["supervisor"]
        mobile = random_mobile()
        a = sup.post("/api/v1/customers", {"name": rare_name(), "phones": [mobile],
                                           "tags": ["老客户"]}).json()
        b_name = rare_name()
        b = agent.post("/api/v1/customers", {"name": b_name, "phones": [mobile, random_mobile()],
                                             "tags": ["车主"]}).json()
        ticket = agent.post("/api/v1/tickets", {"customer_id": b["id"], "kind": "consultation",
                                                "content": "合并前的咨询"})
        assert ticket.status_code == 201, ticket.text

        assert agent.get("/api/v1/customers/duplicates").status_code == 403
        dup = sup.get("/api/v1/customers/duplicates", params={"customer_id": a["id"]})
        assert dup.status_code == 200, dup.text
        [pair] = [p for p in dup.json()["pairs"] if p["duplicate"]["id"] == b["id"]]
        assert pair["customer"]["id"] == a["id"] and "phone" in pair["reasons"]

        assert agent.post(f"/api/v1/customers/{a['id']}/merge",
                          {"merge_id": b["id"]}).status_code == 403
        bad = sup.post(f"/api/v1/customers/{a['id']}/merge", {"merge_id": "x"})
        assert bad.status_code == 400 and "merge_id" in bad.json()["fields"]
        merged = sup.post(f"/api/v1/customers/{a['id']}/merge", {"merge_id": b["id"]})
        assert merged.status_code == 200, merged.text
        survivor = merged.json()["survivor"]
        assert survivor["number"] == a["number"] and survivor["tags"] == ["老客户", "车主"]
        assert len(survivor["phones"]) == 2

        assert search(agent, b_name) == []
        assert b["id"] not in search(agent, mobile)
        assert sup.post(f"/api/v1/customers/{b['id']}/merge",
                        {"merge_id": a["id"]}).status_code == 404
        assert agent.wait_for(lambda: [t["id"] for t in agent.get(
            f"/api/v1/customers/{a['id']}/tickets").json()["tickets"]] == [
                ticket.json()["id"]], seconds=10)
        assert agent.get(f"/api/v1/customers/{b['id']}/tickets").json()["tickets"] == []


class TestSegmentsOverHttp:
    def test_a_segment_in_pages_with_a_cursor(self, people):
        sup, tag = people["supervisor"], "seg" + uuid.uuid4().hex[:8]
        made = [sup.post("/api/v1/customers", {"name": rare_name(), "tags": [tag],
                                               "lifecycle": "declining"}).json()["id"]
                for _ in range(5)]
        seen, params = [], {"tags_all": tag, "lifecycle": "declining,lost", "limit": 2,
                            "count": "true"}
        while True:
            reply = sup.get("/api/v1/customers/segment", params=params)
            assert reply.status_code == 200, reply.text
            page = reply.json()
            seen += [c["id"] for c in page["customers"]]
            if not page["cursor"]:
                break
            params = {"tags_all": tag, "lifecycle": "declining,lost", "limit": 2,
                      "cursor": page["cursor"]}
        assert seen == made

    def test_bad_filters_are_400_and_agents_403(self, people):
        reply = people["supervisor"].get("/api/v1/customers/segment",
                                         params={"lifecycle": "gone"})
        assert reply.status_code == 400 and "lifecycle.0" in reply.json()["fields"]
        assert people["agent"].get("/api/v1/customers/segment").status_code == 403

    def test_routes_are_in_the_openapi_document(self, admin):
        paths = requests.get(f"{BASE}/api/v1/openapi.json", timeout=10).json()["paths"]
        for path in ("/api/v1/customers/search", "/api/v1/customers/duplicates",
                     "/api/v1/customers/{customer_id}/merge", "/api/v1/customers/segment"):
            assert path in paths

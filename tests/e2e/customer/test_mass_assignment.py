"""S6 mass assignment over HTTP: an agent slipping protected fields into a create or a
PATCH gets 400 naming them, and the customer (and its history) is unchanged."""
import uuid

import pytest

from tests.helpers import random_mobile
from tests.system import BASE, Client


@pytest.fixture(scope="module")
def people(admin):
    group = "s6" + uuid.uuid4().hex[:8]
    assert admin.post("/api/v1/groups", {"name": group, "display_name": "S6"}).status_code == 201
    out = {}
    for role in ("agent", "supervisor"):
        username, password = "s6" + uuid.uuid4().hex[:12], "Pw-" + uuid.uuid4().hex
        reply = admin.create_staff({"username": username, "display_name": role,
                                             "password": password, "roles": [role],
                                             "groups": [group], "clearance": 3})
        assert reply.status_code == 201, reply.text
        out[role] = Client(username, password)
    return out


def test_s6_agent_mass_assignment_over_http_changes_nothing(people):
    agent, supervisor = people["agent"], people["supervisor"]
    mobile = random_mobile()
    refused = agent.post("/api/v1/customers", {"name": "孙九", "phones": [mobile],
                                               "level": 3, "owner_group": "elsewhere"})
    assert refused.status_code == 400, refused.text
    assert {"level", "owner_group"} <= set(refused.json()["fields"])
    assert agent.get("/api/v1/customers/lookup", params={"phone": mobile}).json()[
        "matches"] == []

    created = agent.post("/api/v1/customers", {"name": "孙九", "phones": [mobile],
                                               "notes": "原始备注"})
    assert created.status_code == 201, created.text
    cid = created.json()["id"]
    before = agent.get(f"/api/v1/customers/{cid}").json()
    history = supervisor.get(f"/api/v1/customers/{cid}/history").json()["entries"]

    reply = agent.http.patch(f"{BASE}/api/v1/customers/{cid}", timeout=10, json={
        "name": "孙九改", "notes": "被改了", "level": 0, "owner_id": "mallory",
        "owner_group": "elsewhere", "declassify_at": "2030-01-01T00:00:00+08:00",
        "declassify_to": 0, "credit_class": "A", "id": str(uuid.uuid4()),
        "number": "KH99999999", "version": 99})
    assert reply.status_code == 400, reply.text
    assert {"level", "owner_id", "owner_group", "declassify_at", "declassify_to",
            "credit_class", "id", "number", "version"} <= set(reply.json()["fields"])
    assert agent.get(f"/api/v1/customers/{cid}").json() == before
    assert supervisor.get(f"/api/v1/customers/{cid}/history").json()["entries"] == history

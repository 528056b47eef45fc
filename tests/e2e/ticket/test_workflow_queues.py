"""T4/T5 over HTTP against the running system: staff on duty, transfer to any on-duty
member of a group, accept, wait, resolve, close, refusals, queues and their counts."""
import uuid

import pytest

from tests.system import Client

PASSWORD = "long-enough-pw"


def staff(admin, group: str, roles=("agent",), name="小王") -> Client:
    username = f"u{uuid.uuid4().hex[:10]}"
    reply = admin.create_staff({"username": username, "display_name": name,
                                         "password": PASSWORD, "roles": list(roles),
                                         "groups": [group]})
    assert reply.status_code == 201, reply.text
    return Client(username, PASSWORD)


@pytest.fixture(scope="module")
def team(admin):
    group = f"hot{uuid.uuid4().hex[:8]}"
    assert admin.post("/api/v1/groups", {"name": group, "display_name": "热线组"}
                      ).status_code == 201
    a, b = staff(admin, group, name="甲"), staff(admin, group, name="乙")
    boss = staff(admin, group, roles=("supervisor",), name="组长")
    # the staff events reach the ticket service's read model
    assert boss.wait_for(lambda: len(boss.get(f"/api/v1/groups/{group}/duty").json()
                                     .get("members", [])) == 3, seconds=10)
    customer = admin.post("/api/v1/customers", {"name": "吴十"}).json()
    return {"group": group, "a": a, "b": b, "boss": boss, "customer": customer}


def new_ticket(team) -> dict:
    reply = team["a"].post("/api/v1/tickets", {"customer_id": team["customer"]["id"],
                                               "kind": "after_sales", "content": "热水器不点火"})
    assert reply.status_code == 201, reply.text
    return reply.json()


class TestWorkflowOverHttp:
    def test_duty_transfer_accept_wait_resolve_close(self, team):
        a, b, group = team["a"], team["b"], team["group"]
        assert a.put("/api/v1/me/duty", {"on_duty": True}).json()["on_duty"] is True
        assert b.put("/api/v1/me/duty", {"on_duty": False}).status_code == 200
        duty = team["boss"].get(f"/api/v1/groups/{group}/duty").json()
        assert [m["staff_id"] for m in duty["members"] if m["on_duty"]] == [a.staff["id"]]

        ticket = new_ticket(team)
        t = f"/api/v1/tickets/{ticket['id']}"
        routed = a.post(t + "/transfer", {"any_on_duty_of": group, "note": "请处理"})
        assert routed.status_code == 200, routed.text
        assert routed.json()["ticket"]["assignee_id"] == a.staff["id"]
        assert routed.json()["ticket"]["status"] == "assigned"

        assert a.post(t + "/accept", {}).json()["ticket"]["status"] == "in_progress"
        waiting = a.post(t + "/transitions", {"to": "waiting", "waiting_on": "parts",
                                              "note": "等配件"})
        assert waiting.json()["ticket"]["waiting_on"] == "parts"
        mine = a.get("/api/v1/tickets", params={"view": "mine", "status": "waiting"}).json()
        assert ticket["id"] in [x["id"] for x in mine["tickets"]]
        counts = a.get("/api/v1/queues/counts").json()
        assert counts["mine"]["waiting"] >= 1

        refused = a.post(t + "/transitions", {"to": "closed"})
        assert refused.status_code == 409
        assert "waiting" in refused.json()["message"] and "closed" in refused.json()["message"]
        for step in ("in_progress", "resolved", "closed"):
            reply = a.post(t + "/transitions", {"to": step})
            assert reply.status_code == 200, reply.text
        assert b.post(t + "/transitions", {"to": "in_progress"}).status_code == 404

    def test_nobody_on_duty_is_409_and_group_queue_is_shared(self, team):
        a, b, group = team["a"], team["b"], team["group"]
        a.put("/api/v1/me/duty", {"on_duty": False})
        b.put("/api/v1/me/duty", {"on_duty": False})
        ticket = new_ticket(team)
        t = f"/api/v1/tickets/{ticket['id']}"
        assert a.post(t + "/transfer", {"any_on_duty_of": group}).status_code == 409
        assert a.post(t + "/transfer", {"group": group}).json()["ticket"]["status"] == "new"
        queue = b.get("/api/v1/tickets", params={"view": "group_unassigned"}).json()
        assert ticket["id"] in [x["id"] for x in queue["tickets"]]
        counts = b.get("/api/v1/queues/counts").json()
        assert counts["groups"][0]["group"] == group and counts["groups"][0]["total"] >= 1
        assert b.post(t + "/accept", {}).json()["ticket"]["assignee_id"] == b.staff["id"]
        assert b.post(t + "/hand-back", {}).status_code == 400
        back = b.post(t + "/hand-back", {"note": "需要专家"})
        assert back.json()["ticket"]["status"] == "new"
        assert back.json()["step"]["to_handler"] == f"group:{group}"

    def test_keyset_pages_over_http(self, team):
        made = [new_ticket(team)["id"] for _ in range(3)]
        boss, seen, cursor = team["boss"], [], None
        while True:
            params = {"view": "all", "customer_id": team["customer"]["id"], "limit": 2}
            if cursor:
                params["cursor"] = cursor
            page = boss.get("/api/v1/tickets", params=params).json()
            seen += [x["id"] for x in page["tickets"]]
            cursor = page["next_cursor"]
            if not cursor:
                break
        assert seen[:3] == made[::-1] and len(seen) == len(set(seen))

    @pytest.mark.parametrize(("param", "value"), [
        ("view", "everything"), ("status", "open"), ("limit", "500"), ("cursor", "x"),
        ("accepted_from", "yesterday"),
    ])
    def test_bad_query_parameter_is_400_naming_it(self, team, param, value):
        reply = team["boss"].get("/api/v1/tickets", params={"view": "all", param: value})
        assert reply.status_code == 400, reply.text
        assert param in reply.json()["fields"]

    def test_agent_may_not_list_everything(self, team):
        assert team["a"].get("/api/v1/tickets", params={"view": "all"}).status_code == 403

    def test_routes_are_in_the_openapi_document(self, team):
        paths = team["a"].get("/api/v1/openapi.json").json()["paths"]
        for path in ("/api/v1/tickets/{ticket_id}/transitions", "/api/v1/queues/counts",
                     "/api/v1/me/duty", "/api/v1/groups/{name}/duty"):
            assert path in paths, path

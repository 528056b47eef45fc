"""T9 over HTTP against the running system: write, version and publish an article,
find it by a Chinese phrase, have it suggested while a ticket is typed, link it to a
consultation and see it in the ranking."""
import uuid

import requests

from tests.system import BASE, Client, today_in_china


def agent_of(admin) -> Client:
    username = f"kbagent{uuid.uuid4().hex[:8]}"
    reply = admin.create_staff({"username": username, "display_name": "知识库坐席",
                                         "password": "long-enough-pw", "roles": ["agent"]})
    assert reply.status_code == 201, reply.text
    return Client(username, "long-enough-pw")


class TestKnowledgeBase:
    def test_article_lifecycle_search_suggest_link_and_ranking(self, admin):
        agent = agent_of(admin)
        mark = uuid.uuid4().hex[:8]
        category = admin.post("/api/v1/kb/categories", {"name": f"空调{mark}"})
        assert category.status_code == 201, category.text
        created = admin.post("/api/v1/kb/articles", {
            "title": f"空调不制冷的排查方法 {mark}", "tags": ["空调", "制冷"],
            "category_id": category.json()["id"],
            "body": "空调开机后不制冷：确认制冷模式，清洗过滤网，检查室外机是否运转。"})
        assert created.status_code == 201, created.text
        article = created.json()
        path = f"/api/v1/kb/articles/{article['id']}"
        assert agent.get(path).status_code == 404  # a draft: editors only

        edited = admin.patch(path, {"body": "空调不制冷：先看遥控器模式，再清洗过滤网。",
                                    "base_version": 1})
        assert edited.status_code == 200, edited.text
        assert edited.json()["version"] == 2
        published = admin.post(path + "/publish", {})
        assert published.json()["status"] == "published"
        assert [v["version"] for v in agent.get(path + "/versions").json()["versions"]] == [
            3, 2, 1]
        assert agent.get(path + "/versions/1").json()["body"].startswith("空调开机后不制冷")

        found = agent.get("/api/v1/kb/articles", params={"q": f"空调不制冷怎么办 {mark}"})
        assert found.status_code == 200, found.text
        assert found.json()["articles"][0]["id"] == article["id"]

        customer = admin.post("/api/v1/customers", {"name": "韩梅梅"}).json()
        ticket = agent.post("/api/v1/tickets", {"customer_id": customer["id"],
                                                "kind": "consultation",
                                                "content": f"客户问空调不制冷怎么办 {mark}"})
        assert ticket.status_code == 201, ticket.text
        suggested = agent.get("/api/v1/kb/suggest", params={
            "text": f"客户来电说家里空调开机很久不制冷 {mark}", "kind": "consultation"})
        assert article["id"] in [a["id"] for a in suggested.json()["articles"]]

        links = f"/api/v1/tickets/{ticket.json()['id']}/articles"
        linked = agent.post(links, {"article_id": article["id"]})
        assert linked.status_code == 200, linked.text
        assert [a["id"] for a in agent.get(links).json()["articles"]] == [article["id"]]
        day = today_in_china()
        ranking = agent.get("/api/v1/kb/ranking", params={"from": day, "to": day}).json()
        asked = {r["article_id"]: r["asked"] for r in ranking["articles"]}
        assert asked.get(article["id"]) == 1
        tickets = agent.get(path + "/tickets").json()["tickets"]
        assert [t["id"] for t in tickets] == [ticket.json()["id"]]
        assert agent.http.delete(f"{BASE}{links}/{article['id']}", timeout=10).status_code == 200
        assert agent.get(links).json()["articles"] == []

    def test_bad_input_is_400_naming_the_field(self, admin):
        reply = admin.post("/api/v1/kb/articles", {"title": "", "status": "live"})
        assert reply.status_code == 400
        assert set(reply.json()["fields"]) == {"title", "status"}
        reply = admin.get("/api/v1/kb/ranking", params={"from": "2026-11-22"})
        assert reply.status_code == 400 and "to" in reply.json()["fields"]
        reply = admin.get("/api/v1/kb/suggest", params={"text": "空调", "limit": "x"})
        assert reply.status_code == 400 and "limit" in reply.json()["fields"]

    def test_agents_may_not_write_articles(self, admin):
        agent = agent_of(admin)
        assert agent.post("/api/v1/kb/articles", {"title": "x"}).status_code == 403
        assert agent.post("/api/v1/kb/categories", {"name": "x"}).status_code == 403

    def test_routes_are_in_the_openapi_document(self, admin):
        paths = requests.get(f"{BASE}/api/v1/openapi.json", timeout=5).json()["paths"]
        assert {"/api/v1/kb/articles", "/api/v1/kb/suggest", "/api/v1/kb/ranking"} <= {
            p.replace("{", "<").replace("}", ">") for p in paths} | set(paths)

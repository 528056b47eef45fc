"""T6 over HTTP against the running system: admins configure targets, hours and the
calendar; a ticket gets due times; its breach escalates by itself to a manager's
inbox (no group, so no supervisor); a personal reminder arrives in the inbox."""
import datetime
import uuid

from tests.helpers import random_mobile
from tests.system import BASE, Client, today_in_china


def staff(admin, roles) -> Client:
    username = f"t6{roles[0][:3]}{uuid.uuid4().hex[:8]}"
    reply = admin.create_staff({"username": username, "display_name": username,
                                         "password": "long-enough-pw", "roles": roles,
                                         "groups": []})
    assert reply.status_code == 201, reply.text
    return Client(username, "long-enough-pw")


class TestConfiguration:
    def test_policies_hours_and_calendar_are_admin_only_and_validated(self, admin):
        agent = staff(admin, ["agent"])
        policies = agent.get("/api/v1/sla/policies")
        assert policies.status_code == 200 and len(policies.json()["policies"]) == 16
        body = {"response_minutes": 30, "resolution_minutes": 600}
        assert agent.put("/api/v1/sla/policies/complaint/low", body).status_code == 403
        bad = admin.put("/api/v1/sla/policies/complaint/low",
                        {"response_minutes": "x", "resolution_minutes": 600})
        assert bad.status_code == 400 and "response_minutes" in bad.json()["fields"]
        assert admin.put("/api/v1/sla/policies/complaint/nope", body).status_code == 400
        hours = admin.get("/api/v1/sla/business-hours").json()
        assert admin.put("/api/v1/sla/business-hours",
                         {"start": "18:00", "end": "09:00"}).status_code == 400
        assert agent.put("/api/v1/sla/business-hours", hours).status_code == 403
        cal = agent.get("/api/v1/sla/calendar", params={"from": "2026-10-01", "to": "2026-10-10"})
        assert cal.status_code == 200
        days = {d["day"]: d for d in cal.json()["days"]}
        assert days["2026-10-01"]["workday"] is False
        assert days["2026-10-10"]["workday"] is True  # make-up Saturday
        assert agent.get("/api/v1/sla/calendar").status_code == 400
        assert admin.put("/api/v1/sla/calendar/not-a-day", {"workday": True}).status_code == 400
        spec = admin.get("/api/v1/openapi.json").json()
        assert "/api/v1/tickets/overdue" in str(spec["paths"])


class TestEscalationAndReminders:
    def test_breach_escalates_by_itself_and_reminder_arrives(self, admin):
        manager = staff(admin, ["manager"])
        agent = staff(admin, ["agent"])
        policy = {p["urgency"]: p for p in admin.get("/api/v1/sla/policies").json()["policies"]
                  if p["kind"] == "suggestion"}["urgent"]
        hours = admin.get("/api/v1/sla/business-hours").json()
        today = today_in_china()
        had_override = any(d["source"] == "override" for d in admin.get(
            "/api/v1/sla/calendar", params={"from": today, "to": today}).json()["days"])
        try:
            # Every minute of today is business time; targets of one minute.
            assert admin.put("/api/v1/sla/business-hours",
                             {"start": "00:00", "end": "23:59", "timezone": hours["timezone"]}
                             ).status_code == 200
            if not had_override:
                assert admin.put(f"/api/v1/sla/calendar/{today}",
                                 {"workday": True, "note": "e2e"}).status_code == 200
            assert admin.put("/api/v1/sla/policies/suggestion/urgent",
                             {"response_minutes": 1, "resolution_minutes": 1}).status_code == 200
            customer = agent.post("/api/v1/customers",
                                  {"name": "周九", "phones": [random_mobile()]}).json()
            ticket = agent.post("/api/v1/tickets", {
                "customer_id": customer["id"], "kind": "suggestion", "urgency": "urgent",
                "content": "希望延长服务时间"}).json()

            due = manager.get("/api/v1/tickets/overdue", params={"limit": 200})
            assert due.status_code == 200, due.text
            assert agent.get("/api/v1/tickets/overdue").status_code == 403

            reminder = agent.post(f"/api/v1/tickets/{ticket['id']}/reminders",
                                  {"in_minutes": 1, "note": "回电"})
            assert reminder.status_code == 201, reminder.text
            assert agent.post(f"/api/v1/tickets/{ticket['id']}/reminders",
                              {"in_days": 0}).status_code == 400
            assert [r["id"] for r in agent.get("/api/v1/reminders").json()["reminders"]] \
                == [reminder.json()["id"]]

            def notice(client, title):
                items = client.get("/api/v1/inbox").json()["items"]
                return [i for i in items
                        if i["ref_id"] == ticket["id"] and i["title"].startswith(title)]
            assert manager.wait_for(lambda: notice(manager, "工单超时"), seconds=100), \
                "the breach was not escalated to a manager"
            assert agent.wait_for(lambda: notice(agent, "工单提醒"), seconds=30)

            def in_breached_list():
                """Every page of the breached list (the databases may hold other
                tests' breached tickets, soonest due first)."""
                params = {"breached": "true", "limit": 200}
                while True:
                    page = manager.get("/api/v1/tickets/overdue", params=params).json()
                    found = [t for t in page["tickets"] if t["id"] == ticket["id"]]
                    if found or not page["next"]:
                        return found
                    params["cursor"] = page["next"]
            mine = in_breached_list()
            assert mine[0]["breached"] and mine[0]["response_escalated_at"]

            item = notice(agent, "工单提醒")[0]
            assert manager.put(f"/api/v1/inbox/{item['id']}/read", {}).status_code == 404
            read = agent.put(f"/api/v1/inbox/{item['id']}/read", {})
            assert read.status_code == 200 and read.json()["read_at"]
            assert agent.get("/api/v1/reminders").json()["reminders"] == []
        finally:
            admin.put("/api/v1/sla/policies/suggestion/urgent",
                      {"response_minutes": policy["response_minutes"],
                       "resolution_minutes": policy["resolution_minutes"]})
            admin.put("/api/v1/sla/business-hours", {k: hours[k] for k in
                                                     ("start", "end", "timezone")})
            if not had_override:
                admin.http.delete(f"{BASE}/api/v1/sla/calendar/{today}", timeout=10)

    def test_cancel_reminder_and_scope(self, admin):
        agent, other = staff(admin, ["agent"]), staff(admin, ["agent"])
        customer = agent.post("/api/v1/customers", {"name": "吴十"}).json()
        ticket = agent.post("/api/v1/tickets", {"customer_id": customer["id"],
                                                "kind": "consultation", "content": "价格"}).json()
        at = (datetime.datetime.now(datetime.UTC) + datetime.timedelta(days=3)).isoformat()
        reminder = agent.post(f"/api/v1/tickets/{ticket['id']}/reminders", {"at": at}).json()
        assert other.http.delete(f"{BASE}/api/v1/reminders/{reminder['id']}",
                                 timeout=10).status_code == 404
        gone = agent.http.delete(f"{BASE}/api/v1/reminders/{reminder['id']}", timeout=10)
        assert gone.status_code == 200 and gone.json()["cancelled_at"]
        assert agent.get("/api/v1/reminders").json()["reminders"] == []
        assert agent.post(f"/api/v1/tickets/{uuid.uuid4()}/reminders",
                          {"in_days": 1}).status_code == 404

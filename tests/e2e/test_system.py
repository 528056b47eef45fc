"""The foundation's flow over HTTP against the running system (issue #2's done-when)."""
import re
import uuid

import pytest
import requests

from tests.helpers import random_mobile
from tests.system import BASE, METRICS, Client


def spaced(mobile: str) -> str:
    return f"{mobile[:3]} {mobile[3:7]} {mobile[7:]}"


class TestFlow:
    def test_health_is_ok(self, admin):
        reply = requests.get(f"{BASE}/healthz", timeout=5)
        assert reply.status_code == 200
        assert set(reply.json()["checks"]) == {"gateway", "customer", "ticket", "survey",
                                               "notify", "report"}

    def test_customer_screen_pop_ticket_report_and_inbox(self, admin):
        mobile = random_mobile()
        created = admin.post("/api/v1/customers", {"name": "孙八", "phones": [spaced(mobile)]})
        assert created.status_code == 201, created.text
        typed = f"+86-{mobile[:3]}-{mobile[3:7]}-{mobile[7:]}"
        pop = admin.get("/api/v1/screen-pop", params={"phone": typed}).json()
        assert [m["id"] for m in pop["matches"]] == [created.json()["id"]]
        assert pop["view"]["customer"]["phones"][0]["masked"] == f"{mobile[:3]}****{mobile[7:]}"

        before = admin.daily_count("complaint")
        ticket = admin.post("/api/v1/tickets", {"customer_id": created.json()["id"],
                                                "kind": "complaint", "content": "送货迟到"})
        assert ticket.status_code == 201, ticket.text
        assert re.fullmatch(r"TS-\d{8}-\d{4}", ticket.json()["serial"])
        assert admin.wait_for(lambda: admin.daily_count("complaint") == before + 1, seconds=2)
        assert admin.wait_for(lambda: ticket.json()["id"] in [
            i["ref_id"] for i in admin.get("/api/v1/inbox").json()["items"]])
        tickets = admin.get(f"/api/v1/customers/{created.json()['id']}/tickets").json()
        assert [t["id"] for t in tickets["tickets"]] == [ticket.json()["id"]]

    def test_metrics_show_latency_of_the_calls_made(self, admin):
        for name, port in METRICS.items():
            text = requests.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text
            assert "kefu_entrypoint_latency_seconds_bucket" in text, name


class TestStaffAndAccess:
    def test_admin_creates_an_agent_who_can_sign_in(self, admin):
        group = f"g{uuid.uuid4().hex[:8]}"
        assert admin.post("/api/v1/groups", {"name": group, "display_name": "客服一组"}
                          ).status_code == 201
        username = f"agent{uuid.uuid4().hex[:8]}"
        reply = admin.create_staff({"username": username, "display_name": "小王",
                                             "password": "long-enough-pw", "roles": ["agent"],
                                             "groups": [group]})
        assert reply.status_code == 201, reply.text
        agent = Client(username, "long-enough-pw")
        assert agent.get("/api/v1/me").json()["groups"] == [group]
        refused = agent.post("/api/v1/staff", {"username": "x" + username, "display_name": "x",
                                               "password": "long-enough-pw", "roles": ["admin"]})
        assert refused.status_code == 403
        assert admin.create_staff({"username": username, "display_name": "again",
                                            "password": "long-enough-pw", "roles": ["agent"]}
                          ).status_code == 409

    @pytest.mark.parametrize("path", ["/api/v1/me", "/api/v1/inbox", "/api/v1/screen-pop"])
    def test_unauthenticated_is_401(self, admin, path):
        reply = requests.get(BASE + path, timeout=5)
        assert reply.status_code == 401
        assert reply.json()["error"] == "unauthenticated"

    def test_bad_body_names_the_field_and_changes_nothing(self, admin):
        mobile = random_mobile()
        reply = admin.post("/api/v1/customers", {"name": "周九", "phones": [mobile, "0000"]})
        assert reply.status_code == 400
        assert reply.json()["fields"] == {"phones.1": ["not a valid phone number"]}
        assert admin.get("/api/v1/screen-pop", params={"phone": mobile}).json()["matches"] == []

    @pytest.mark.parametrize("body", ["not json", "[1, 2]", '{"customer_id": "nope"}'])
    def test_malformed_ticket_bodies_are_4xx_json(self, admin, body):
        reply = admin.http.post(BASE + "/api/v1/tickets", data=body, timeout=5)
        assert 400 <= reply.status_code < 500
        assert reply.json()["error"] == "invalid"

    def test_unknown_route_and_method_are_json(self, admin):
        assert admin.get("/api/v1/nowhere").json()["error"] == "not_found"
        assert admin.http.delete(BASE + "/api/v1/me", timeout=5).status_code == 405

    def test_repeated_failed_logins_are_throttled(self, admin):
        username = f"nobody{uuid.uuid4().hex[:8]}"
        codes = [requests.post(f"{BASE}/api/v1/auth/login", timeout=10,
                               json={"username": username, "password": "wrong"}).status_code
                 for _ in range(7)]
        assert codes[:5] == [401] * 5 and codes[-1] == 429

    def test_openapi_document_describes_the_routes(self, admin):
        doc = requests.get(f"{BASE}/api/v1/openapi.json", timeout=5).json()
        assert doc["openapi"].startswith("3.")
        assert {"/api/v1/customers", "/api/v1/screen-pop", "/api/v1/tickets",
                "/api/v1/reports/tickets/daily", "/api/v1/auth/login"} <= set(doc["paths"])


def _listening() -> list[tuple[str, int]]:
    """(address, port) of every TCP socket listening on this machine (/proc/net)."""
    import ipaddress
    found = []
    for table, width in (("/proc/net/tcp", 4), ("/proc/net/tcp6", 16)):
        with open(table) as lines:
            next(lines)
            for line in lines:
                local, state = line.split()[1], line.split()[3]
                if state != "0A":  # LISTEN
                    continue
                address, port = local.split(":")
                raw = bytes.fromhex(address)
                # the kernel writes each 32-bit word in host (little-endian) order
                raw = b"".join(raw[i:i + 4][::-1] for i in range(0, width, 4))
                found.append((str(ipaddress.ip_address(raw)), int(port, 16)))
    return found


def test_finding10_the_stack_listens_on_loopback_only(admin):
    """Issue 9, finding 10: PostgreSQL, RabbitMQ (AMQP, management, the Erlang
    distribution port) and epmd, and every service, listen on loopback only."""
    from tests.system import METRICS
    ours = {15432, 5682, 15682, 25682, 4369, 8800, *METRICS.values()}
    exposed = [(address, port) for address, port in _listening()
               if port in ours and address not in ("127.0.0.1", "::1")]
    assert exposed == []
    assert {25682, 4369} <= {port for _, port in _listening()}  # really running

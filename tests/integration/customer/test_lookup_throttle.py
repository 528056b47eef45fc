"""Issue 9, finding 9 (the customer service's part a): a masked phone (138****8000)
hides four digits, so 10⁴ lookups by phone (the screen pop) recovered it.  Lookups by
phone of roles that may not unmask are throttled per staff member — a sliding window
counted in PostgreSQL, atomically, so parallel calls cannot slip past it — answered
TooManyRequests past the limit, and each one is written to the borrowing log (who,
which customer or none, the number masked)."""
import os
import uuid

import eventlet
import eventlet.queue
import psycopg2
import psycopg2.extras
import pytest

from services.common.errors import TooManyRequests
from services.customer.domain.access import PHONE_LOOKUP_LIMIT
from tests.helpers import random_mobile


def log_rows(actor_id: str) -> list[dict]:
    conn = psycopg2.connect(os.environ["KEFU_CUSTOMER_OWNER_DB_URI"],
                            cursor_factory=psycopg2.extras.RealDictCursor)
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT customer_id::text, action, fields, detail FROM access_log"
                        " WHERE actor_id = %s ORDER BY seq", (actor_id,))
            return cur.fetchall()
    finally:
        conn.close()


@pytest.fixture
def customers(start, rpc):
    start("customer")
    return rpc


def staff(rpc, role: str) -> tuple[str, object]:
    staff_id = f"{role}-{uuid.uuid4().hex[:8]}"
    return staff_id, rpc("customer", roles=(role,), staff_id=staff_id)


class TestThrottle:
    def test_finding9a_phone_lookups_of_an_agent_stop_at_the_limit(self, customers):
        _, agent = staff(customers, "agent")
        for _ in range(PHONE_LOOKUP_LIMIT):
            assert agent.lookup({"phone": random_mobile()})["matches"] == []
        with pytest.raises(TooManyRequests):
            agent.lookup({"phone": random_mobile()})
        with pytest.raises(TooManyRequests):  # the screen pop is a lookup by phone too
            agent.lookup(random_mobile(), True)
        # by number is not a phone probe; other staff members have their own window
        assert agent.lookup({"number": "KH99999999"})["matches"] == []
        _, other = staff(customers, "agent")
        assert other.lookup({"phone": random_mobile()})["matches"] == []

    def test_finding9a_roles_that_may_unmask_are_not_throttled(self, customers):
        supervisor_id, supervisor = staff(customers, "supervisor")
        for _ in range(PHONE_LOOKUP_LIMIT + 3):
            supervisor.lookup({"phone": random_mobile()})
        assert log_rows(supervisor_id) == []  # they may see the number anyway

    def test_finding9a_parallel_lookups_cannot_slip_past_the_window(self, customers):
        staff_id = f"agent-{uuid.uuid4().hex[:8]}"
        proxies = eventlet.queue.LightQueue()
        for _ in range(8):  # a proxy serves one call at a time
            proxies.put(customers("customer", roles=("agent",), staff_id=staff_id))

        def probe(_):
            proxy = proxies.get()
            try:
                proxy.lookup({"phone": random_mobile()})
                return "ok"
            except TooManyRequests:
                return "throttled"
            finally:
                proxies.put(proxy)

        outcomes = list(eventlet.GreenPool(8).imap(probe, range(PHONE_LOOKUP_LIMIT + 12)))
        assert outcomes.count("ok") == PHONE_LOOKUP_LIMIT
        assert outcomes.count("throttled") == 12


class TestLog:
    def test_finding9a_each_lookup_by_phone_of_an_agent_is_logged(self, customers):
        mobile = random_mobile()
        created = customers("customer", roles=("agent",)).create_customer(
            {"name": "查号客户", "phones": [mobile]})
        agent_id, agent = staff(customers, "agent")
        assert [m["id"] for m in agent.lookup({"phone": mobile})["matches"]] == [created["id"]]
        agent.lookup({"phone": random_mobile()})
        rows = log_rows(agent_id)
        assert [(r["action"], r["customer_id"]) for r in rows] == [
            ("lookup_phone", created["id"]), ("lookup_phone", None)]
        assert rows[0]["detail"]["phone"] == mobile[:3] + "****" + mobile[7:]
        assert rows[0]["detail"]["matches"] == 1 and rows[1]["detail"]["matches"] == 0
        assert mobile not in str(rows)  # the log keeps the number masked

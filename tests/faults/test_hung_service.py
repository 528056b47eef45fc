"""F6: a downstream service hung (issue 9, finding 9: bulkheads and RPC requests that
expire).  The ticket service's process is paused (SIGSTOP) while the gateway is asked:

- every route to it answers 504 within the deadline + 1 s, or 503 at once once the
  ticket service has its share of the gateway's workers (the bulkhead);
- routes to other services answer as usual meanwhile (200, under a second);
- when it wakes (SIGCONT), it answers again, and the create it was sent while paused
  is not run: its caller was answered long ago (expired in the broker, or refused by
  the entrypoint if the broker had already handed it over).
"""
import os
import signal
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import psycopg2
import pytest
import requests

from tests.helpers import random_mobile
from tests.system import BASE, ROOT

DEADLINE = 5.0  # the gateway's RPC_TIMEOUT_SECONDS
HUNG_CALLS = 60  # more than the ticket service's share (3/4 of the gateway's 50 workers)
PID_FILE = ROOT / "var" / "run" / "test" / "ticket.pid"


def timed(method: str, path: str, headers: dict, **kw) -> tuple[int, float]:
    started = time.monotonic()
    try:
        status = requests.request(method, BASE + path, headers=headers, timeout=30,
                                  **kw).status_code
    except requests.RequestException:
        status = 0
    return status, time.monotonic() - started


def stored(tag: str) -> int:
    conn = psycopg2.connect(os.environ["KEFU_TICKET_OWNER_DB_URI"])
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT count(*) FROM ticket WHERE content LIKE %s", (tag + "%",))
            return cur.fetchone()[0]
    finally:
        conn.close()


@pytest.mark.timeout(180)
def test_f6_a_hung_ticket_service_costs_its_own_routes_only(admin):
    reply = admin.post("/api/v1/customers", {"name": "挂起测试", "phones": [random_mobile()]})
    assert reply.status_code == 201, reply.text
    customer = reply.json()["id"]
    reply = admin.post("/api/v1/tickets", {"customer_id": customer, "kind": "consultation",
                                           "content": "挂起前的工单"})
    assert reply.status_code == 201, reply.text
    ticket = reply.json()["id"]
    headers = dict(admin.http.headers)
    tag = f"F6-{uuid.uuid4().hex[:8]}"
    pid = int(PID_FILE.read_text().strip())

    os.kill(pid, signal.SIGSTOP)
    try:
        with ThreadPoolExecutor(HUNG_CALLS + 1) as pool:
            stale = pool.submit(timed, "POST", "/api/v1/tickets",  # first: within the share
                                {**headers, "Idempotency-Key": uuid.uuid4().hex},
                                json={"customer_id": customer, "kind": "consultation",
                                      "content": f"{tag} 挂起时提交"})
            time.sleep(0.2)
            hung = [pool.submit(timed, "GET", f"/api/v1/tickets/{ticket}", headers)
                    for _ in range(HUNG_CALLS)]
            time.sleep(0.5)
            others = [timed("GET", f"/api/v1/customers/{customer}", headers)
                      for _ in range(20)]
            others += [timed("GET", "/api/v1/inbox", headers) for _ in range(10)]
            answers = [future.result() for future in hung]
            stale_answer = stale.result()
    finally:
        os.kill(pid, signal.SIGCONT)

    assert all(status == 200 and seconds < 1.0 for status, seconds in others), others
    statuses = Counter(status for status, _ in answers)
    assert set(statuses) <= {503, 504}, statuses
    assert statuses[503] >= 1, statuses  # past the bulkhead: refused at once
    assert all(seconds <= DEADLINE + 1 for status, seconds in answers if status == 504), answers
    assert all(seconds < 1.0 for status, seconds in answers if status == 503), answers
    assert stale_answer[0] in (503, 504), stale_answer

    assert admin.wait_for(
        lambda: admin.get(f"/api/v1/tickets/{ticket}").status_code == 200, 15)
    time.sleep(2)  # whatever it still held has run or been refused by now
    assert stored(tag) == 0

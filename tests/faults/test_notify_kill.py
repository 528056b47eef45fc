"""F4: every triggering event delivered twice in shuffled order, and the notify service
killed with -9 (twice) in the middle of a 10,000-message bulk send — the SMS provider
(the simulator, counting what it accepted) received each message exactly once: 0 lost,
0 duplicated.

The kills land while messages are `sending` (marked before the provider is called):
after the restart, the sender settles them by asking the provider (QuerySendDetails by
our OutId) instead of sending again — tests/integration/notify covers the rules; this
is the real process dying at a real moment.
"""
import datetime
import json
import os
import random
import signal
import time
import uuid
from collections import Counter

import pytest
import requests
from kombu import Connection, Exchange

from tests.helpers import random_mobile
from tests.system import ROOT, Client, second_admin, sh

TOTAL = 10_000
EVENTS = 150
KILL_AT = (2_000, 6_000)  # messages the provider had taken
PID_FILE = ROOT / "var" / "run" / "test" / "notify.pid"
SIM = os.environ.get("KEFU_PROVIDERS_URL", "http://127.0.0.1:8990")


def sim_get(path, **params):
    reply = requests.get(SIM + path, params=params, timeout=30)
    reply.raise_for_status()
    return reply.json()


def sim_post(path, body):
    reply = requests.post(SIM + path, json=body, timeout=10)
    reply.raise_for_status()
    return reply.json()


def accepted() -> int:
    return sim_get("/_sim/sms", limit=0)["count"]


def kill_notify() -> None:
    pid = int(PID_FILE.read_text().strip())
    os.kill(pid, signal.SIGKILL)
    for _ in range(100):
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.05)


def ticket_events_connection() -> Connection:
    """The ticket service's own broker user: the publisher notify's consumers accept."""
    password = (ROOT / "var" / "secrets" / "rabbitmq-kefu_ticket").read_text().strip()
    port = os.environ.get("KEFU_AMQP_PORT", "5682")
    return Connection(f"amqp://kefu_ticket:{password}@127.0.0.1:{port}/kefu_test")


def dispatched(customer_id: str, n: int) -> dict:
    start = datetime.datetime(2026, 12, 8, 1, 0, tzinfo=datetime.UTC)
    return {"event_id": str(uuid.uuid4()), "type": "ticket_dispatched",
            "occurred_at": datetime.datetime.now(datetime.UTC).isoformat(),
            "schema_version": 1, "actor": "f4",
            "data": {"ticket_id": str(uuid.uuid4()), "serial": f"SH-20261208-{n:04d}",
                     "dispatch_id": str(uuid.uuid4()), "staff_id": "field-f4",
                     "customer_id": customer_id, "address": "上海市", "level": 0,
                     "window_start": start.isoformat(),
                     "window_end": (start + datetime.timedelta(hours=2)).isoformat()}}


@pytest.fixture(scope="module")
def supervisor(admin):
    admin.approver = second_admin(admin)
    name = f"f4sup{uuid.uuid4().hex[:6]}"
    made = admin.create_staff({"username": name, "display_name": "群发主管",
                               "password": "long-enough-pw", "roles": ["supervisor"],
                               "groups": []})
    assert made.status_code == 201, made.text
    return Client(name, "long-enough-pw")


@pytest.mark.timeout(900)
def test_f4_kill_notify_mid_batch_and_deliver_every_event_twice_shuffled(admin, supervisor):
    sim_post("/_sim/reset", {})
    # A slow provider (each send answered 250 ms after it was taken): a kill lands, most
    # likely, while notify waits for an answer to a batch the provider already has; its
    # receipts come after a minute, so what settles those sends is notify asking the
    # provider (a receipt arriving first would settle them too).
    sim_post("/_sim/config", {"receipt_delay_ms": 60_000, "answer_delay_ms": 250})
    assert admin.put("/api/v1/notification-settings", {"quiet_hours": ""}).status_code == 200
    template = admin.post("/api/v1/notification-templates", {
        "name": f"f4_{uuid.uuid4().hex[:8]}", "channel": "sms", "purpose": "service",
        "quiet_hours": "send", "body": "您好，编号{{ n }}的通知。", "variables": ["n"],
        "provider_code": "SMS_F4", "sign_name": "客服中心"})
    assert template.status_code == 201, template.text
    # customers for the events (their first phone gets the dispatch SMS)
    people = {}
    for i in range(EVENTS):
        phone = random_mobile()
        made = admin.post("/api/v1/customers", {"name": f"F4客户{i}", "phones": [phone]})
        assert made.status_code == 201, made.text
        people[made.json()["id"]] = "+86" + phone
    # TOTAL distinct numbers, none a customer's: 10,000 draws from 10^8 numbers repeat one
    # about every other run, and a batch sends a number once (one message was "missing")
    taken, phones = {p[3:] for p in people.values()}, []
    while len(phones) < TOTAL:
        phone = random_mobile()
        if phone not in taken:
            taken.add(phone)
            phones.append(phone)
    batch = supervisor.post("/api/v1/notification-batches", {
        "template": template.json()["name"], "channel": "sms", "title": "F4",
        "recipients": [{"phone": p, "params": {"n": str(i)}} for i, p in enumerate(phones)]},
        headers={"Idempotency-Key": uuid.uuid4().hex})
    assert batch.status_code in (201, 202), batch.text
    batch_id = batch.json()["id"]

    # every dispatch event twice, in shuffled order, while the batch goes out
    envelopes = [dispatched(cid, n) for n, cid in enumerate(people)]
    twice = envelopes * 2
    random.shuffle(twice)
    exchange = Exchange("ticket.events", type="topic", durable=True)
    with ticket_events_connection() as conn:
        producer = conn.Producer(serializer="json")
        for envelope in twice:
            producer.publish(envelope, exchange=exchange, routing_key="ticket_dispatched",
                             user_id=conn.userid)

    for threshold in KILL_AT:
        deadline = time.monotonic() + 300
        while accepted() < threshold:
            assert time.monotonic() < deadline, f"stuck before {threshold}: {accepted()}"
            time.sleep(0.2)
        kill_notify()
        time.sleep(1)
        sh("deploy/local/services.sh", "start")

    expected = TOTAL + EVENTS
    deadline = time.monotonic() + 420
    while accepted() < expected or not supervisor.get(
            f"/api/v1/notification-batches/{batch_id}").json()["done"]:
        assert time.monotonic() < deadline, f"only {accepted()} of {expected}"
        time.sleep(1)
    time.sleep(3)  # anything late would show now

    received = sim_get("/_sim/sms")["messages"]
    by_phone = Counter(m["phone"] for m in received)
    doubled = {p: n for p, n in by_phone.items() if n > 1}
    assert not doubled, f"{len(doubled)} numbers got a message twice"
    batch_phones = {"+86" + p for p in phones}
    assert batch_phones <= set(by_phone), f"{len(batch_phones - set(by_phone))} lost"
    assert set(people.values()) <= set(by_phone)
    assert len(received) == expected
    final = supervisor.get(f"/api/v1/notification-batches/{batch_id}").json()
    assert final["progress"]["failed"] == 0 and final["progress"]["skipped"] == 0, \
        json.dumps(final["progress"])
    # and the kills did land mid-send: messages settled by asking the provider
    recovered, cursor = 0, None
    while True:
        page = supervisor.get("/api/v1/notifications", params={
            "batch_id": batch_id, "limit": 200, **({"before": cursor} if cursor else {})}).json()
        recovered += sum(m["reason"] == "interrupted_send_found_at_provider"
                         for m in page["messages"])
        cursor = page["next"]
        if not cursor:
            break
    assert recovered > 0, "no kill landed while a send was unanswered"

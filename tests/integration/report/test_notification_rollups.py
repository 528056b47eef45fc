"""Issue 13 R1, R2, R4: notifications sent / delivered / undelivered / failed / skipped
per channel and template, on a real broker and database.

The reference is a plain GROUP BY — of the generated messages' final states (R1), and
of notify's own message table (R4) — written from the definitions in
services/report/contract/notifications.py, not from the report's code: a message counts
on the China day it was made, by its channel and template name, once: sent when the
provider took it (sent, delivered, or failed with reason undelivered), delivered,
undelivered, failed (any other failure), skipped.  R1 publishes notify's outcome events
itself, each twice and out of order; R4 runs the real notify against the SMS and mail
simulator (sends that are delivered, undelivered, failed, skipped for an opted-out
customer, e-mail), replays an event, plants a difference the check names, and rebuilds."""
import datetime
import os
import random
import uuid
from collections import defaultdict
from zoneinfo import ZoneInfo

import eventlet
import psycopg2
import psycopg2.extras
from nameko.testing.services import entrypoint_waiter

from tests.helpers import random_mobile
from tests.integration.notify.conftest import (  # noqa: F401 — the simulator's fixtures
    callback_server,
    callbacks,
    notify,
    sim,
    sim_process,
    sms_template,
    supervisor,
    unique,
    wait_for,
)
from tests.integration.notify.test_inbox import publish
from tests.integration.notify.test_sends import customer, status_of
from tests.integration.report.test_ticket_rollups import rows
from tests.integration.report.test_ticket_rollups_rebuild import finished

CHINA = ZoneInfo("Asia/Shanghai")
UTC = datetime.UTC
COUNTERS = ("sent", "delivered", "undelivered", "failed", "skipped")
HANDLER = {"notification_sent": "count_notification_sent",
           "notification_delivered": "count_notification_delivered",
           "notification_failed": "count_notification_failed"}
EVENT_OF = {"sent": "notification_sent", "delivered": "notification_delivered",
            "failed": "notification_failed", "skipped": "notification_failed"}


def counted(status: str, reason: str | None) -> dict:
    """What one message in this status adds (the contract's definitions)."""
    undelivered = status == "failed" and reason == "undelivered"
    return {"sent": int(status in ("sent", "delivered") or undelivered),
            "delivered": int(status == "delivered"), "undelivered": int(undelivered),
            "failed": int(status == "failed" and not undelivered),
            "skipped": int(status == "skipped")}


def group_by(messages: list[dict]) -> dict:
    """(day, channel, template) -> counters over {created_at, channel, template, status,
    reason}: the plain GROUP BY."""
    out: dict = defaultdict(lambda: dict.fromkeys(COUNTERS, 0))
    for m in messages:
        row = out[(m["created_at"].astimezone(CHINA).date(), m["channel"],
                   m["template"] or "")]
        for name, n in counted(m["status"], m["reason"]).items():
            row[name] += n
    return {k: tuple(v[c] for c in COUNTERS) for k, v in out.items() if any(v.values())}


def rollup(templates: list[str]) -> dict:
    """notification_day of these templates, levels summed (non-zero rows)."""
    found = rows("SELECT day, channel, template, sum(sent)::int AS sent,"
                 " sum(delivered)::int AS delivered, sum(undelivered)::int AS undelivered,"
                 " sum(failed)::int AS failed, sum(skipped)::int AS skipped"
                 " FROM notification_day WHERE template = ANY (%s)"
                 " GROUP BY day, channel, template", templates)
    return {(r["day"], r["channel"], r["template"]): tuple(r[c] for c in COUNTERS)
            for r in found if any(r[c] for c in COUNTERS)}


def outcome(status: str, reason, channel: str, template: str, messages: list[dict]) -> dict:
    """A NotificationOutcome as notify's sender emits it."""
    return {"channel": channel, "template_id": None, "template": template, "batch_id": None,
            "purpose": "service", "status": status, "reason": reason,
            "count": len(messages), "level": max(m["level"] for m in messages),
            "at": datetime.datetime.now(UTC).isoformat(),
            "messages": [{"message_id": m["id"], "created_at": m["created_at"].isoformat(),
                          "level": m["level"]} for m in messages]}


# every way a message's life goes in notify, in its order
LIVES = [[("sent", None)], [("sent", None), ("delivered", None)],
         [("delivered", None), ("sent", None)], [("sent", None), ("failed", "undelivered")],
         [("failed", "isv.BLACK_KEY_CONTROL_LIMIT")], [("skipped", "opted_out")],
         [("skipped", "no_address")], []]


class TestR1NotificationRollups:
    def test_r1_outcome_events_twice_and_out_of_order_equal_a_group_by_of_the_messages(
            self, start, rabbit_config, rpc):
        report = start("report")
        rng = random.Random(1313)
        templates = [unique("nt"), unique("nt")]
        begin = datetime.datetime(2026, 3, 1, 15, 30, tzinfo=UTC)  # 23:30 in China
        messages, deliveries = [], []
        for _ in range(30):
            life = rng.choice(LIVES)
            m = {"id": str(uuid.uuid4()), "channel": rng.choice(["sms", "email"]),
                 "template": rng.choice(templates), "level": rng.choice([0, 0, 2]),
                 "created_at": begin + datetime.timedelta(minutes=rng.randrange(0, 60)),
                 "status": "queued", "reason": None}
            for status, reason in life:
                deliveries.append((EVENT_OF[status], outcome(status, reason, m["channel"],
                                                              m["template"], [m])))
            if life:  # notify's final word: the last of its life (delivered after sent)
                final = max(life, key=lambda s: ["sent", "delivered", "failed",
                                                 "skipped"].index(s[0]))
                m["status"], m["reason"] = final
            messages.append(m)
        # a round's event names several messages (of one channel and template)
        sent = [m for m in messages if (m["channel"], m["template"]) == ("sms", templates[0])
                and (m["status"] in ("queued", "sent", "delivered")
                     or m["reason"] == "undelivered")][:3]
        deliveries.append(("notification_sent",
                           outcome("sent", None, "sms", templates[0], sent)))
        for m in sent:  # the event above said these were sent
            if m["status"] == "queued":
                m["status"] = "sent"
        deliveries = [(t, d, str(uuid.uuid4())) for t, d in deliveries]
        deliveries += rng.sample(deliveries, 10)  # the same events again (same event_id)
        deliveries += [(t, d, str(uuid.uuid4())) for t, d, _ in rng.sample(deliveries, 10)]
        rng.shuffle(deliveries)
        for event_type, data, event_id in deliveries:
            with entrypoint_waiter(report, HANDLER[event_type], timeout=10):
                publish(rabbit_config, event_type, data, event_id, source="notify")
        want = group_by(messages)
        assert rollup(templates) == want
        assert sum(v[0] for v in want.values()) > 0 and sum(v[4] for v in want.values()) > 0
        # R2: as rows, every day with zeros; above the reader's clearance not counted
        query = {"from": "2026-03-01", "to": "2026-03-03", "by": ["template"],
                 "template": templates[0]}
        cleared = rpc("report", roles=("supervisor",), clearance=3).notification_figures(query)
        assert cleared["columns"][:3] == ["period", "template", "sent"]
        assert [r[:2] for r in cleared["rows"]] == [
            ["2026-03-01", templates[0]], ["2026-03-02", templates[0]],
            ["2026-03-03", templates[0]]]
        assert cleared["rows"][2][2:7] == [0, 0, 0, 0, 0]
        assert [sum(r[2 + i] for r in cleared["rows"]) for i in range(5)] == [
            sum(v[i] for k, v in want.items() if k[2] == templates[0]) for i in range(5)]
        plain = rpc("report", roles=("auditor",), clearance=0).notification_figures(query)
        low = group_by([m for m in messages if m["level"] == 0])
        assert [sum(r[2 + i] for r in plain["rows"]) for i in range(5)] == [
            sum(v[i] for k, v in low.items() if k[2] == templates[0]) for i in range(5)]
        assert cleared["as_of"] is not None


# -- R4: the real notify and the simulator, a planted difference, a rebuild --------------
def owner_messages(templates: list[str]) -> list[dict]:
    """notify's own messages of these templates, as its table has them now."""
    conn = psycopg2.connect(os.environ["KEFU_NOTIFY_DB_URI"],
                            cursor_factory=psycopg2.extras.RealDictCursor)
    try:
        with conn, conn.cursor() as cur:
            cur.execute("SELECT m.id::text AS id, m.channel, t.name AS template,"
                        " m.created_at, m.status, m.reason, m.level FROM message m"
                        " JOIN template t ON t.id = m.template_id WHERE t.name = ANY (%s)",
                        (templates,))
            return cur.fetchall()
    finally:
        conn.close()


def settled(templates: list[str], seconds: float = 30) -> dict:
    """The reference from notify's table once the rollup equals it (the outbox and the
    handlers have caught up); the last one seen otherwise."""
    want: dict = {}
    with eventlet.Timeout(seconds, False):
        while True:
            want = group_by(owner_messages(templates))
            if rollup(templates) == want:
                return want
            eventlet.sleep(0.2)
    return want


def notification_differences(auditor, day: str) -> list[dict]:
    return [d for d in auditor.check_reports({"from": day, "to": day})["differences"]
            if d["kind"].startswith("notifications:")]


class TestR4NotificationRebuild:
    def test_r4_equal_to_notifys_table_a_difference_named_and_a_rebuild_levels_it(
            self, notify, start, sim, supervisor, rpc, rabbit_config):  # noqa: F811
        rows("UPDATE report_rebuild SET state = 'done', finished_at = now(),"
             " error = 'left by an earlier test' WHERE state IN ('queued', 'running')")
        notify()
        start("customer")
        start("ticket")
        start("survey", SURVEY_LINK_SECRET=uuid.uuid4().hex)
        report = start("report", REPORT_REBUILD_PAGE=50)
        admin = rpc("report", roles=("admin",))
        # facts other tests published without the owner: a first rebuild levels them
        assert finished(admin, admin.rebuild_reports()["id"], seconds=120)["state"] == "done"
        sms = sms_template(supervisor)
        mail = supervisor.save_template({
            "name": unique("mail"), "channel": "email", "quiet_hours": "send",
            "subject": "服务通知", "body": "{{ name }}您好", "variables": ["name"]})
        templates = [sms["name"], mail["name"]]
        params = {"name": "张先生", "serial": "SH-1"}
        agent = rpc("notify", roles=("agent",))
        delivered = [agent.send({"template": sms["name"], "channel": "sms",
                                 "to": {"phone": random_mobile()}, "params": params})
                     for _ in range(3)]
        black = random_mobile()
        sim.configure(blacklist=[black])
        failed = agent.send({"template": sms["name"], "channel": "sms", "to": {"phone": black},
                             "params": params})
        person = customer(rpc, unique("out"))
        agent.set_preference(person["id"], {"channel": "sms", "scope": "all",
                                            "note": "客户要求不再接收短信"})
        skipped = agent.send({"template": sms["name"], "channel": "sms",
                              "to": {"customer_id": person["id"]}, "params": params})
        emailed = agent.send({"template": mail["name"], "channel": "email",
                              "to": {"email": f"{uuid.uuid4().hex[:8]}@example.com"},
                              "params": {"name": "王先生"}})
        for m in delivered:
            status_of(supervisor, m["id"], "delivered")
        assert status_of(supervisor, failed["id"], "failed")["reason"] != "undelivered"
        assert status_of(supervisor, skipped["id"], "skipped")["reason"] == "opted_out"
        status_of(supervisor, emailed["id"], "sent")
        sim.configure(undelivered_share=1.0)
        undelivered = agent.send({"template": sms["name"], "channel": "sms",
                                  "to": {"phone": random_mobile()}, "params": params})
        assert status_of(supervisor, undelivered["id"], "failed")["reason"] == "undelivered"
        sim.configure(undelivered_share=0.0)
        want = settled(templates)
        assert rollup(templates) == want
        day = datetime.datetime.now(CHINA).date()
        assert want[(day, "sms", sms["name"])] == (4, 3, 1, 1, 1)
        assert want[(day, "email", mail["name"])] == (1, 0, 0, 0, 0)
        # an earlier word told again after the later one (sent after delivered): nothing
        # changes
        again = [m for m in owner_messages([sms["name"]]) if m["status"] == "delivered"]
        with entrypoint_waiter(report, "count_notification_sent", timeout=10):
            publish(rabbit_config, "notification_sent", outcome(
                "sent", None, "sms", sms["name"], again), source="notify")
        assert rollup(templates) == want
        auditor = rpc("report", roles=("auditor",))
        assert notification_differences(auditor, day.isoformat()) == []
        # a planted difference is named; a rebuild levels it
        conn = psycopg2.connect(os.environ["KEFU_REPORT_DB_URI"])
        try:
            with conn, conn.cursor() as cur:
                cur.execute("UPDATE notification_day SET sent = sent + 2"
                            " WHERE template = %s", (sms["name"],))
                cur.execute("DELETE FROM notification_fact WHERE message_id = %s",
                            (emailed["id"],))
        finally:
            conn.close()
        [planted] = notification_differences(auditor, day.isoformat())
        assert (planted["kind"], planted["measure"]) == ("notifications:sms", "sent")
        assert planted["ours"] == planted["owner"] + 2
        job = admin.rebuild_reports()
        done = finished(admin, job["id"], seconds=120)
        assert done["state"] == "done", done
        assert done["read"]["notifications"] >= 6
        assert rollup(templates) == settled(templates) == want
        assert rows("SELECT state FROM notification_fact WHERE message_id = %s",
                    emailed["id"]) == [{"state": 1}]  # the deleted fact came back: sent
        assert notification_differences(auditor, day.isoformat()) == []

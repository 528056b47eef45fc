"""R1, R2, R4: the call and contact rollups 话务报表 on a real broker and database.

The reference is a plain GROUP BY over the source — the distinct call events and the
contacts — written below from the definitions in services/report/contract/calls.py and
domain/calls.py's docstring, not from the report's code: a call counts on the China day
and hour of its offered event, in the offered event's queue, with the answering agent
(else the last one named); ring = the answer's wait_seconds; talk = ended − answered;
a quick hang-up is answered and talked under 5 s.  Events are published as the ticket
service would, some twice and out of order (R1); then the real ticket service's events,
a rebuild while more arrive, and the check against its own counts (R4)."""
import datetime
import os
import random
import uuid
from collections import defaultdict
from zoneinfo import ZoneInfo

import eventlet
import psycopg2
import psycopg2.extras
import pytest
from nameko.testing.services import entrypoint_waiter

from services.common.errors import NotFound
from tests.helpers import system_token
from tests.integration.report.test_ticket_rollups import publish, rows
from tests.integration.report.test_ticket_rollups_rebuild import finished

CHINA = ZoneInfo("Asia/Shanghai")
UTC = datetime.UTC
QUICK = 5
CALL_COUNTERS = ("offered", "answered", "abandoned", "ring_seconds", "rung", "talk_seconds",
                 "talked", "quick_hangups")
CONTACT_COUNTERS = ("contacts", "answered", "duration_seconds")


def reference_calls(events: list[dict]) -> dict:
    """(day, hour, queue, agent) -> counters, from the distinct events of every call."""
    calls: dict = defaultdict(dict)
    for e in events:
        calls[e["call_id"]].setdefault(e["event"], e)
    out: dict = defaultdict(lambda: dict.fromkeys(CALL_COUNTERS, 0))
    for by_name in calls.values():
        ordered = sorted(by_name.values(), key=lambda e: (e["at"], e["event"]))
        offered, answered = by_name.get("offered"), by_name.get("answered")
        ended = by_name.get("ended")
        start = (offered or ordered[0])["at"].astimezone(CHINA)
        queue = (offered or {}).get("queue") or next(
            (e["queue"] for e in ordered if e.get("queue")), "")
        named = [e["agent_id"] for e in ordered if e.get("agent_id")]
        agent = (answered or {}).get("agent_id") or (named[-1] if named else "")
        row = out[(start.date(), start.hour, queue, agent)]
        row["offered"] += 1
        row["abandoned"] += "abandoned" in by_name
        if answered:
            row["answered"] += 1
            if answered.get("wait_seconds") is not None:
                row["ring_seconds"] += answered["wait_seconds"]
                row["rung"] += 1
            elif offered:
                row["ring_seconds"] += max(0, int((answered["at"] - offered["at"])
                                                  .total_seconds()))
                row["rung"] += 1
            if ended:
                talk = max(0, int((ended["at"] - answered["at"]).total_seconds()))
                row["talk_seconds"] += talk
                row["talked"] += 1
                row["quick_hangups"] += talk < QUICK
    return {k: tuple(v[c] for c in CALL_COUNTERS) for k, v in out.items()}


def reference_contacts(contacts: list[dict]) -> dict:
    """(day, hour, channel, direction, agent) -> contacts, answered, seconds."""
    out: dict = defaultdict(lambda: [0, 0, 0])
    for c in {c["contact_id"]: c for c in contacts}.values():
        start = c["started_at"].astimezone(CHINA)
        row = out[(start.date(), start.hour, c["channel"], c["direction"],
                   c["agent_id"] or "")]
        row[0] += 1
        row[1] += c["duration_seconds"] > 0
        row[2] += c["duration_seconds"]
    return {k: tuple(v) for k, v in out.items()}


def call_rollup(queues: list[str] | None = None) -> dict:
    """Every non-zero row of call_hour (of these queues)."""
    found = rows("SELECT * FROM call_hour WHERE %s::text[] IS NULL"
                 " OR queue = ANY (%s::text[])", queues, queues)
    return {(r["day"], r["hour"], r["queue"], r["agent_id"]):
            tuple(r[c] for c in CALL_COUNTERS) for r in found if any(r[c] for c in CALL_COUNTERS)}


def contact_rollup(agents: list[str] | None = None) -> dict:
    """Every non-zero row of contact_hour (of these agents)."""
    found = rows("SELECT * FROM contact_hour WHERE %s::text[] IS NULL"
                 " OR agent_id = ANY (%s::text[])", agents, agents)
    return {(r["day"], r["hour"], r["channel"], r["direction"], r["agent_id"]):
            tuple(r[c] for c in CONTACT_COUNTERS)
            for r in found if any(r[c] for c in CONTACT_COUNTERS)}


def generated_calls(rng: random.Random, queues: list[str], agents: list[str], calls: int,
                    start: datetime.datetime, spread: int = 2 * 3600) -> list[dict]:
    """Calls near midnight in China: offered (with a queue), then answered (and maybe
    ended) or abandoned, sometimes queued; later events may omit the queue."""
    out = []
    for _ in range(calls):
        call_id = f"pbx-{uuid.uuid4().hex[:12]}"
        queue = rng.choice(queues)
        offered = start + datetime.timedelta(seconds=rng.randrange(0, spread))
        out.append({"call_id": call_id, "event": "offered", "at": offered, "queue": queue,
                    "agent_id": None, "wait_seconds": None})
        if rng.random() < 0.3:
            out.append({"call_id": call_id, "event": "queued",
                        "at": offered + datetime.timedelta(seconds=1), "queue": queue,
                        "agent_id": rng.choice([None, *agents]), "wait_seconds": None})
        wait = rng.randrange(0, 40)
        if rng.random() < 0.7:
            answered = offered + datetime.timedelta(seconds=wait)
            out.append({"call_id": call_id, "event": "answered", "at": answered,
                        "queue": rng.choice([None, queue]), "agent_id": rng.choice(agents),
                        "wait_seconds": rng.choice([None, wait])})
            if rng.random() < 0.8:
                out.append({"call_id": call_id, "event": "ended", "queue": None,
                            "at": answered + datetime.timedelta(
                                seconds=rng.choice([1, 3, 4.5, 30, 400])),
                            "agent_id": None, "wait_seconds": None})
        else:
            out.append({"call_id": call_id, "event": "abandoned", "queue": None,
                        "at": offered + datetime.timedelta(seconds=wait),
                        "agent_id": None, "wait_seconds": wait})
    return out


def generated_contacts(rng: random.Random, agents: list[str], n: int,
                       start: datetime.datetime, spread: int = 3 * 3600) -> list[dict]:
    return [{"contact_id": str(uuid.uuid4()), "customer_id": None, "ticket_id": None,
             "channel": rng.choice(["phone", "web", "wechat", "sms"]),
             "direction": rng.choice(["in", "out"]), "agent_id": rng.choice(agents),
             "started_at": start + datetime.timedelta(seconds=rng.randrange(0, spread)),
             "duration_seconds": rng.choice([0, 25, 300]), "ivr_path": [], "call_id": None}
            for _ in range(n)]


def as_data(item: dict) -> dict:
    return {k: v.isoformat() if isinstance(v, datetime.datetime) else v
            for k, v in item.items()}


class TestR1CallRollups:
    def test_r1_call_events_twice_and_out_of_order_equal_a_group_by_of_the_source(
            self, start, rabbit_config, rpc):
        report = start("report")
        rng = random.Random(1313)
        tag = uuid.uuid4().hex[:8]
        queues, agents = [f"售后-{tag}", f"售前-{tag}"], [f"a1-{tag}", f"a2-{tag}"]
        begin = datetime.datetime(2026, 3, 1, 15, 0, tzinfo=UTC)  # 23:00 in China
        events = generated_calls(rng, queues, agents, 20, begin)
        contacts = generated_contacts(rng, agents, 10, begin)
        deliveries = [("call_recorded", "count_call", as_data(e), str(uuid.uuid4()))
                      for e in events]
        deliveries += [("contact_logged", "count_contact", as_data(c), str(uuid.uuid4()))
                       for c in contacts]
        deliveries += rng.sample(deliveries, 10)  # the same events again (same event_id)
        deliveries += [(t, h, d, str(uuid.uuid4()))  # the same data in other events
                       for t, h, d, _ in rng.sample(deliveries, 10)]
        rng.shuffle(deliveries)
        for event_type, handler, data, event_id in deliveries:
            with entrypoint_waiter(report, handler, timeout=10):
                publish(rabbit_config, event_type, data, event_id)
        assert call_rollup(queues) == reference_calls(events)
        assert contact_rollup(agents) == reference_contacts(contacts)
        # R2: the figures in scope, read from the same rollups
        supervisor = rpc("report", roles=("supervisor",))
        query = {"from": "2026-03-01", "to": "2026-03-02", "by": ["queue"]}
        points = supervisor.call_figures({**query, "queue": queues[0]})["points"]
        want = sum(v[0] for k, v in reference_calls(events).items() if k[2] == queues[0])
        assert [p["queue"] for p in points] == [queues[0]] * 2
        assert sum(p["offered"] for p in points) == want > 0
        mine = rpc("report", roles=("agent",), staff_id=agents[0]).call_figures(
            {"from": "2026-03-01", "to": "2026-03-02"})
        assert sum(p["outbound"] for p in mine["points"]) == sum(
            1 for c in contacts if c["agent_id"] == agents[0] and c["channel"] == "phone"
            and c["direction"] == "out")
        assert mine["as_of"] is not None and mine["quick_hangup_seconds"] == QUICK
        with pytest.raises(NotFound):
            rpc("report", roles=("agent",), staff_id=agents[0]).call_figures(
                {**query, "agent_id": agents[1]})


# -- R4: the real ticket service, a rebuild while calls arrive, the check -----------------
def owner_calls(rpc) -> tuple[list[dict], list[dict]]:
    """Every call event and every contact as the ticket service has them now."""
    system = rpc("ticket", auth_token=system_token("report"))
    events, after = [], None
    while True:
        page = system.report_calls({"after": after, "limit": 1000})
        events += [{**e, "call_id": c["call_id"],
                    "at": datetime.datetime.fromisoformat(e["at"])}
                   for c in page["calls"] for e in c["events"]]
        after = page["next"]
        if not after:
            break
    contacts, after = [], None
    while True:
        page = system.report_contacts({"after": after, "limit": 1000})
        contacts += [{**c, "started_at": datetime.datetime.fromisoformat(c["started_at"])}
                     for c in page["contacts"]]
        after = page["next"]
        if not after:
            return events, contacts


def level(rpc, seconds: float = 30) -> tuple[dict, dict]:
    """The references from the owner's rows once the rollups equal them (the outbox and
    the event handlers have caught up); the last ones seen otherwise."""
    deadline = eventlet.Timeout(seconds, False)
    want: tuple = ({}, {})
    with deadline:
        while True:
            events, contacts = owner_calls(rpc)
            want = (reference_calls(events), reference_contacts(contacts))
            if (call_rollup(), contact_rollup()) == want:
                return want
            eventlet.sleep(0.2)
    return want


class TestR4CallRebuild:
    def test_r4_a_rebuild_while_calls_arrive_ends_equal_and_the_check_finds_no_difference(
            self, start, rpc, rabbit_config):
        rows("UPDATE report_rebuild SET state = 'done', finished_at = now(),"
             " error = 'left by an earlier test' WHERE state IN ('queued', 'running')")
        for owner in ("customer", "ticket", "notify", "survey"):  # a rebuild pages them all
            start(owner)
        start("report", REPORT_REBUILD_PAGE=3)
        admin = rpc("report", roles=("admin",))
        # facts other tests published without the owner: a first rebuild levels them
        assert finished(admin, admin.rebuild_reports()["id"], seconds=120)["state"] == "done"
        rng = random.Random(4)
        tag = uuid.uuid4().hex[:8]
        agents = [f"ra-{tag}", f"rb-{tag}"]
        telephony = rpc("ticket", roles=("telephony",))
        now = datetime.datetime.now(UTC).replace(microsecond=0)

        def post_calls(n: int) -> None:
            events = generated_calls(rng, [f"热线-{tag}"], agents, n,
                                     now - datetime.timedelta(minutes=5), spread=60)
            batch = [as_data(e) for e in events]
            rng.shuffle(batch)
            telephony.record_call_events({"events": batch})
            telephony.record_call_events({"events": batch[:3]})  # a retried delivery
            for c in generated_contacts(rng, agents, max(1, n // 2),
                                        now - datetime.timedelta(minutes=5), spread=60):
                rpc("ticket", roles=("agent",), staff_id=c["agent_id"]).log_contact(
                    {k: as_data(c)[k] for k in ("channel", "direction", "started_at",
                                                "duration_seconds")})
        post_calls(8)
        assert (call_rollup(), contact_rollup()) == level(rpc)  # R1 through the owner
        day = now.astimezone(CHINA).date().isoformat()
        auditor = rpc("report", roles=("auditor",))
        calls_of = [d for d in auditor.check_reports({"from": day, "to": day})["differences"]
                    if d["kind"] == "calls"]
        assert calls_of == []
        # a planted difference is named; then a rebuild while more calls arrive
        conn = psycopg2.connect(os.environ["KEFU_REPORT_DB_URI"],
                                cursor_factory=psycopg2.extras.RealDictCursor)
        try:
            with conn, conn.cursor() as cur:
                cur.execute("UPDATE call_hour SET offered = offered + 2 WHERE (day, hour,"
                            " queue, agent_id) = (SELECT day, hour, queue, agent_id FROM"
                            " call_hour WHERE queue = %s LIMIT 1) RETURNING day",
                            (f"热线-{tag}",))
                planted_day = cur.fetchone()["day"].isoformat()
                cur.execute("DELETE FROM contact_fact WHERE agent_id = ANY (%s)", (agents,))
        finally:
            conn.close()
        differences = auditor.check_reports({"from": planted_day, "to": planted_day})[
            "differences"]
        [planted] = [d for d in differences if d["kind"] == "calls"]
        assert planted["measure"] == "offered" and planted["ours"] == planted["owner"] + 2
        job = admin.rebuild_reports()
        more = eventlet.spawn(post_calls, 6)
        done = finished(admin, job["id"], seconds=120)
        more.wait()
        assert done["state"] == "done", done
        assert done["calls"] >= 8 and done["contacts"] >= 4 and done["phase"] == "correct"
        assert (call_rollup(), contact_rollup()) == level(rpc)
        assert rows("SELECT count(*)::int AS n FROM contact_fact WHERE agent_id = ANY (%s)",
                    agents)[0]["n"] >= 4  # the deleted facts came back from the owner
        for d in {day, planted_day}:
            assert [x for x in auditor.check_reports({"from": d, "to": d})["differences"]
                    if x["kind"] == "calls"] == []

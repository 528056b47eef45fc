"""Issue 13, R1, R2, R4: the follow-up 回访 and satisfaction 满意度 rollups on a real broker
and database.

The references are plain GROUP BYs over the source — the distinct follow-up events and
the answers, then the survey service's own rows — written below from the definitions in
services/report/contract/survey.py, not from the report's code: a task counts once, in
the first group and with the assignee its latest kind of event names (completed, else
missed, else created); created on its creation day, due on its due day, done (reached /
unreachable) and on time (completed ≤ due, never missed) on its completion day, missed
on its missed day, all in China; an answer counts on its China day by agent, group,
kind and source; CSAT satisfied is 4–5, NPS promoters 9–10, detractors 0–6.  Events
are published as the survey service would, some twice and out of order (R1); then the
real survey service: its own `satisfaction` figures, a rebuild while more answers
arrive, and the check against its own counts (R4)."""
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
from kombu import Connection, Exchange
from nameko.testing.services import entrypoint_waiter

from services.common.errors import Forbidden, NotFound
from tests.helpers import system_token
from tests.integration.report.test_ticket_rollups import rows
from tests.integration.report.test_ticket_rollups_rebuild import finished

CHINA = ZoneInfo("Asia/Shanghai")
UTC = datetime.UTC
FOLLOWUP_COUNTERS = ("created", "due", "done", "reached", "unreachable", "missed", "on_time")
ANSWER_COUNTERS = ("answers", "csat_answers", "satisfied", "nps_answers", "promoters",
                   "detractors")
HANDLERS = {"followup_created": "count_followup_created",
            "followup_missed": "count_followup_missed",
            "followup_completed": "count_followup_completed",
            "survey_answered": "count_answer"}


def publish(rabbit_config, event_type: str, data: dict, event_id: str,
            occurred_at: datetime.datetime) -> None:
    """One event as the survey service publishes it."""
    envelope = {"event_id": event_id, "type": event_type,
                "occurred_at": occurred_at.isoformat(), "schema_version": 1,
                "actor": "test", "data": data}
    exchange = Exchange("survey.events", type="topic", durable=True)
    with Connection(rabbit_config["AMQP_URI"]) as conn:
        conn.Producer(serializer="json").publish(
            envelope, exchange=exchange, routing_key=event_type, declare=[exchange],
            user_id=conn.userid)


def day(moment: datetime.datetime) -> datetime.date:
    return moment.astimezone(CHINA).date()


def iso(value):
    return value.isoformat() if isinstance(value, datetime.datetime) else value


# -- the references -------------------------------------------------------------------------
def reference_followups(tasks: list[dict]) -> dict:
    """(day, group, agent) -> counters, from tasks {groups, assignee_id, due_at,
    created_at, missed_at, completed_at, outcome} (None: not told / not there)."""
    out: dict = defaultdict(lambda: dict.fromkeys(FOLLOWUP_COUNTERS, 0))
    for t in tasks:
        key = ((t["groups"] or [""])[0], t["assignee_id"] or "")
        if t["created_at"] is not None:
            out[(day(t["created_at"]), *key)]["created"] += 1
        out[(day(t["due_at"]), *key)]["due"] += 1
        if t["completed_at"] is not None and t["outcome"] in ("reached", "unreachable"):
            row = out[(day(t["completed_at"]), *key)]
            row["done"] += 1
            row[t["outcome"]] += 1
            row["on_time"] += t["missed_at"] is None and not t.get("was_missed") \
                and t["completed_at"] <= t["due_at"]
        if t["missed_at"] is not None:
            out[(day(t["missed_at"]), *key)]["missed"] += 1
    return {k: tuple(v[c] for c in FOLLOWUP_COUNTERS) for k, v in out.items()}


def tasks_from_events(sent: list[tuple]) -> list[dict]:
    """Each task from its distinct events (the first copy of each): the latest kind of
    event tells its groups, assignee and due time."""
    seen: dict = defaultdict(dict)
    for event_type, data, _, occurred_at in sent:
        seen[data["task_id"]].setdefault(event_type, (data, occurred_at))
    tasks = []
    for by_type in seen.values():
        latest = next(by_type[t][0] for t in ("followup_completed", "followup_missed",
                                              "followup_created") if t in by_type)
        created = by_type.get("followup_created")
        missed = by_type.get("followup_missed")
        done = by_type.get("followup_completed")
        tasks.append({"groups": latest["groups"], "assignee_id": latest["assignee_id"],
                      "due_at": latest["due_at"],
                      "created_at": created[1] if created else None,
                      "missed_at": missed[0]["missed_at"] if missed else None,
                      "completed_at": done[0]["completed_at"] if done else None,
                      "outcome": done[0]["outcome"] if done else None,
                      "was_missed": bool(done and done[0]["was_missed"])})
    return tasks


def reference_answers(answers: list[dict]) -> dict:
    """(day, agent, group, kind, source) -> counters, each answer once."""
    out: dict = defaultdict(lambda: dict.fromkeys(ANSWER_COUNTERS, 0))
    for a in {a["answer_id"]: a for a in answers}.values():
        row = out[(day(a["answered_at"]), a["agent_id"] or "", a["group_name"] or "",
                   a["ticket_kind"] or "", a["source"])]
        row["answers"] += 1
        csat, nps = a["csat_score"], a["nps_score"]
        row["csat_answers"] += csat is not None
        row["satisfied"] += csat is not None and csat >= 4
        row["nps_answers"] += nps is not None
        row["promoters"] += nps is not None and nps >= 9
        row["detractors"] += nps is not None and nps <= 6
    return {k: tuple(v[c] for c in ANSWER_COUNTERS) for k, v in out.items()}


def followup_rollup(agents: list[str]) -> dict:
    found = rows("SELECT * FROM followup_day WHERE agent_id = ANY (%s)", agents)
    return {(r["day"], r["group_name"], r["agent_id"]): tuple(r[c] for c in FOLLOWUP_COUNTERS)
            for r in found if any(r[c] for c in FOLLOWUP_COUNTERS)}


def answer_rollup(agents: list[str]) -> dict:
    found = rows("SELECT * FROM answer_day WHERE agent_id = ANY (%s)", agents)
    return {(r["day"], r["agent_id"], r["group_name"], r["ticket_kind"], r["source"]):
            tuple(r[c] for c in ANSWER_COUNTERS)
            for r in found if any(r[c] for c in ANSWER_COUNTERS)}


# -- generated source ---------------------------------------------------------------------
def generated_tasks(rng: random.Random, groups: list[str], agents: list[str], n: int,
                    start: datetime.datetime, spread: int = 2 * 3600) -> list[dict]:
    out = []
    for _ in range(n):
        created = start + datetime.timedelta(seconds=rng.randrange(0, spread))
        due = created + datetime.timedelta(seconds=rng.randrange(0, 3 * 3600))
        missed_at = due + datetime.timedelta(seconds=60) if rng.random() < 0.4 else None
        task = {"task_id": str(uuid.uuid4()), "groups": rng.choice([[groups[0]],
                                                                    [groups[1], groups[0]],
                                                                    []]),
                "assignee_id": rng.choice(agents), "due_at": due, "created_at": created,
                "missed_at": missed_at, "completed_at": None, "outcome": None,
                "done_due_at": due}
        if rng.random() < 0.7:
            task["completed_at"] = due + datetime.timedelta(
                seconds=rng.randrange(-1800, 1800) + (120 if missed_at else 0))
            task["outcome"] = rng.choice(["reached", "unreachable"])
            if rng.random() < 0.3 and not missed_at:  # an unreached call moved its due time
                task["done_due_at"] = due + datetime.timedelta(days=1)
        out.append(task)
    return out


def task_events(task: dict) -> list[tuple]:
    """(event type, data, event id, occurred_at) the survey service would publish."""
    base = {"task_id": task["task_id"], "ticket_id": "t-" + task["task_id"][:8],
            "ticket_serial": "S" + task["task_id"][:6], "customer_id": "c1",
            "rule_id": None, "assignee_id": task["assignee_id"], "groups": task["groups"],
            "due_at": task["due_at"]}
    out = [("followup_created", {**base, "previous_task_id": None,
                                 "notify_staff_ids": [task["assignee_id"]]},
            str(uuid.uuid4()), task["created_at"])]
    if task["missed_at"]:
        out.append(("followup_missed", {**base, "missed_at": task["missed_at"],
                                        "notify_staff_ids": []},
                    str(uuid.uuid4()), task["missed_at"]))
    if task["completed_at"]:
        out.append(("followup_completed", {
            **base, "due_at": task["done_due_at"], "outcome": task["outcome"],
            "satisfaction": None, "attempts": 1, "completed_by": task["assignee_id"],
            "completed_at": task["completed_at"], "was_missed": bool(task["missed_at"]),
            "needs_service": False, "next_task_id": None}, str(uuid.uuid4()),
            task["completed_at"]))
    return out


def generated_answers(rng: random.Random, groups: list[str], agents: list[str], n: int,
                      start: datetime.datetime, spread: int = 3 * 3600) -> list[dict]:
    return [{"answer_id": str(uuid.uuid4()), "source": rng.choice(["agent", "ivr", "link"]),
             "questionnaire_id": None, "version": None, "customer_id": "c1",
             "agent_id": rng.choice(agents), "group_name": rng.choice([None, *groups]),
             "ticket_id": None, "task_id": None, "call_id": None,
             "ticket_kind": rng.choice([None, "投诉", "咨询"]), "category_id": None,
             "csat_score": rng.choice([None, 1, 2, 3, 4, 5]),
             "nps_score": rng.choice([None, 0, 5, 6, 7, 8, 9, 10]), "level": None,
             "answered_at": start + datetime.timedelta(seconds=rng.randrange(0, spread))}
            for _ in range(n)]


class TestR1SurveyRollups:
    def test_r1_followup_and_answer_events_twice_and_out_of_order_equal_a_group_by(
            self, start, rabbit_config, rpc):
        report = start("report")
        rng = random.Random(1313)
        tag = uuid.uuid4().hex[:8]
        groups, agents = [f"回访一组-{tag}", f"回访二组-{tag}"], [f"f1-{tag}", f"f2-{tag}"]
        begin = datetime.datetime(2026, 3, 1, 15, 0, tzinfo=UTC)  # 23:00 in China
        tasks = generated_tasks(rng, groups, agents, 16, begin)
        answers = generated_answers(rng, groups, agents, 14, begin)
        sent = [e for t in tasks for e in task_events(t)]
        sent += [("survey_answered", a, str(uuid.uuid4()), a["answered_at"]) for a in answers]
        deliveries = list(sent)
        deliveries += rng.sample(sent, 10)  # the same events again (same event_id)
        deliveries += [(t, d, str(uuid.uuid4()), at)  # the same data in other events
                       for t, d, _, at in rng.sample(sent, 10)]
        rng.shuffle(deliveries)
        for event_type, data, event_id, occurred_at in deliveries:
            with entrypoint_waiter(report, HANDLERS[event_type], timeout=10):
                publish(rabbit_config, event_type, {k: iso(v) for k, v in data.items()},
                        event_id, occurred_at)
        followups = [s for s in sent if s[0] != "survey_answered"]
        assert followup_rollup(agents) == reference_followups(tasks_from_events(followups))
        assert followup_rollup(agents) == reference_followups(
            [{**t, "due_at": t["done_due_at"] if t["completed_at"] else t["due_at"]}
             for t in tasks])  # the same from the tasks as made
        assert answer_rollup(agents) == reference_answers(answers)

        # R2: the figures in scope, read from the same rollups, every day present
        query = {"from": "2026-03-01", "to": "2026-03-03", "by": ["group"]}
        boss = rpc("report", roles=("supervisor",), groups=[groups[0]])
        got = boss.followup_figures(query)
        assert got["columns"][:2] == ["period", "group_name"]
        assert {r[1] for r in got["rows"]} == {groups[0]}  # their group only
        assert [r[0] for r in got["rows"]] == ["2026-03-01", "2026-03-02", "2026-03-03"]
        created = got["columns"].index("created")
        assert sum(r[created] for r in got["rows"]) == sum(
            1 for t in tasks if t["groups"][:1] == [groups[0]]) > 0
        with pytest.raises(NotFound):
            boss.followup_figures({**query, "group_name": groups[1]})
        mine = rpc("report", roles=("agent",), staff_id=agents[0])
        own = mine.satisfaction_figures({"from": "2026-03-01", "to": "2026-03-02",
                                         "by": ["source"]})
        n = own["columns"].index("answers")
        assert sum(r[n] for r in own["rows"]) == sum(1 for a in answers
                                                     if a["agent_id"] == agents[0])
        with pytest.raises(NotFound):
            mine.followup_figures({**query, "agent_id": agents[1]})
        manager = rpc("report", roles=("manager",))
        table = manager.satisfaction_figures({"from": "2026-03-01", "to": "2026-03-02",
                                              "period": "month", "by": ["agent"],
                                              "agent_id": agents[1]})
        row = dict(zip(table["columns"], table["rows"][0], strict=True))
        theirs = [a for a in answers if a["agent_id"] == agents[1]]
        csat = [a["csat_score"] for a in theirs if a["csat_score"] is not None]
        nps = [a["nps_score"] for a in theirs if a["nps_score"] is not None]
        assert row["csat"] == (round(100.0 * sum(s >= 4 for s in csat) / len(csat), 1)
                               if csat else None)
        assert row["nps"] == (round(100.0 * (sum(s >= 9 for s in nps) - sum(s <= 6 for s in nps))
                                    / len(nps), 1) if nps else None)
        assert table["as_of"] is not None


# -- R4: the real survey service, a rebuild while answers arrive, the check ----------------
def survey_db():
    return psycopg2.connect(os.environ["KEFU_SURVEY_DB_URI"],
                            cursor_factory=psycopg2.extras.RealDictCursor)


def owner_rows(agents: list[str]) -> tuple[list[dict], list[dict]]:
    conn = survey_db()
    try:
        with conn, conn.cursor() as cur:
            cur.execute("SELECT groups, assignee_id, due_at, created_at, missed_at,"
                        " completed_at, CASE WHEN status = 'done' THEN outcome END AS outcome"
                        " FROM followup_task WHERE assignee_id = ANY (%s)", (agents,))
            tasks = cur.fetchall()
            cur.execute("SELECT id::text AS answer_id, source, agent_id, group_name,"
                        " ticket_kind, csat_score, nps_score, answered_at FROM answer"
                        " WHERE agent_id = ANY (%s)", (agents,))
            return tasks, cur.fetchall()
    finally:
        conn.close()


def level(agents: list[str], seconds: float = 30) -> tuple[dict, dict]:
    """The references from the owner's rows once the rollups equal them; the last seen."""
    want: tuple = ({}, {})
    with eventlet.Timeout(seconds, False):
        while True:
            tasks, answers = owner_rows(agents)
            want = (reference_followups(tasks), reference_answers(answers))
            if (followup_rollup(agents), answer_rollup(agents)) == want:
                return want
            eventlet.sleep(0.2)
    return want


def insert_source(rng: random.Random, groups: list[str], agents: list[str],
                  now: datetime.datetime) -> None:
    """Tasks and answers written in the survey's tables as it keeps them (no event: only
    a rebuild brings them to the report)."""
    tasks = generated_tasks(rng, groups, agents, 10, now - datetime.timedelta(minutes=20),
                            spread=300)
    conn = survey_db()
    try:
        with conn, conn.cursor() as cur:
            for t in tasks:
                done = t["completed_at"] is not None
                if not done and t["missed_at"] is None:  # open: due later (no timer fault)
                    t["due_at"] = now + datetime.timedelta(days=1)
                cur.execute(
                    "INSERT INTO followup_task (id, ticket_id, ticket_serial, ticket_kind,"
                    " customer_id, groups, assignee_id, status, outcome, resolved_at,"
                    " due_at, missed_at, completed_at, created_at) VALUES (%s, %s, %s,"
                    " 'complaint', 'c1', %s, %s, %s, %s, %s, %s, %s, %s, %s)",
                    (t["task_id"], "t-" + t["task_id"][:8], "S" + t["task_id"][:6],
                     t["groups"], t["assignee_id"],
                     "done" if done else "missed" if t["missed_at"] else "open",
                     t["outcome"], t["created_at"],
                     t["done_due_at"] if done else t["due_at"], t["missed_at"],
                     t["completed_at"], t["created_at"]))
            for a in generated_answers(rng, groups, agents, 12,
                                       now - datetime.timedelta(minutes=20), spread=300):
                cur.execute(
                    "INSERT INTO answer (id, source, agent_id, group_name, ticket_kind,"
                    " call_id, csat_score, nps_score, answered_at) VALUES"
                    " (%s, 'ivr', %s, %s, %s, %s, %s, %s, %s)",
                    (a["answer_id"], a["agent_id"], a["group_name"], a["ticket_kind"],
                     "pbx-" + a["answer_id"], a["csat_score"], a["nps_score"],
                     a["answered_at"]))
    finally:
        conn.close()


class TestR4SurveyRebuild:
    def test_r4_a_rebuild_ends_equal_the_satisfaction_matches_and_the_check_names_a_change(
            self, start, rpc):
        rows("UPDATE report_rebuild SET state = 'done', finished_at = now(),"
             " error = 'left by an earlier test' WHERE state IN ('queued', 'running')")
        for owner in ("customer", "ticket", "notify", "survey"):  # a rebuild pages them all
            start(owner)
        start("report", REPORT_REBUILD_PAGE=3)
        admin = rpc("report", roles=("admin",))
        with pytest.raises(Forbidden):  # the feed answers the report's system identity only
            rpc("survey", roles=("manager",)).report_followups({})
        rng = random.Random(4)
        tag = uuid.uuid4().hex[:8]
        groups, agents = [f"r回访-{tag}", f"r满意-{tag}"], [f"ra-{tag}", f"rb-{tag}"]
        now = datetime.datetime.now(UTC).replace(microsecond=0)
        insert_source(rng, groups, agents, now)
        telephony = rpc("survey", roles=("telephony",))

        def rate_calls(n: int) -> None:  # live answers through the survey's own events
            for _ in range(n):
                telephony.ivr_rating({"call_id": f"pbx-{uuid.uuid4().hex[:12]}",
                                      "key": rng.choice("1234"), "agent_id": agents[0],
                                      "group_name": groups[0], "ticket_kind": "咨询"})
        assert finished(admin, admin.rebuild_reports()["id"], seconds=120)["state"] == "done"
        rate_calls(3)
        assert (followup_rollup(agents), answer_rollup(agents)) == level(agents)

        # CSAT and NPS equal the survey service's own figures for the same answers
        first = (now - datetime.timedelta(days=1)).astimezone(CHINA).date().isoformat()
        last = now.astimezone(CHINA).date().isoformat()
        theirs = {}
        for agent in agents:
            for f in rpc("survey", roles=("manager",)).satisfaction(
                    {"by": ["agent"], "period": "day", "from": first, "to": last,
                     "agent_id": agent})["figures"]:
                theirs[(f["period"], f["agent_id"])] = f
        table = rpc("report", roles=("manager",)).satisfaction_figures(
            {"from": first, "to": last, "by": ["agent"]})
        ours = {}
        for r in table["rows"]:
            row = dict(zip(table["columns"], r, strict=True))
            if row["agent_id"] in agents and row["csat_answers"] + row["nps_answers"]:
                ours[(row["period"], row["agent_id"])] = row
        assert set(ours) == set(theirs) and ours
        for key, figure in theirs.items():
            for name in ("csat_answers", "satisfied", "csat", "nps_answers", "promoters",
                         "detractors", "passives", "nps"):
                assert ours[key][name] == figure[name], (key, name)

        auditor = rpc("report", roles=("auditor",))
        mine = ("followups", "answers")
        for d in sorted({first, last}):
            assert [x for x in auditor.check_reports({"from": d, "to": d})["differences"]
                    if x["kind"] in mine] == []
        # a planted difference is named; then a rebuild while more answers arrive
        conn = psycopg2.connect(os.environ["KEFU_REPORT_DB_URI"],
                                cursor_factory=psycopg2.extras.RealDictCursor)
        try:
            with conn, conn.cursor() as cur:
                cur.execute("UPDATE followup_day SET created = created + 2 WHERE (day,"
                            " group_name, agent_id) = (SELECT day, group_name, agent_id FROM"
                            " followup_day WHERE agent_id = ANY (%s) AND created > 0 LIMIT 1)"
                            " RETURNING day", (agents,))
                planted_day = cur.fetchone()["day"].isoformat()
                cur.execute("DELETE FROM answer_fact WHERE agent_id = ANY (%s)", (agents,))
        finally:
            conn.close()
        differences = auditor.check_reports({"from": planted_day, "to": planted_day})[
            "differences"]
        [planted] = [d for d in differences if d["kind"] in mine]
        assert (planted["kind"], planted["measure"]) == ("followups", "created")
        assert planted["ours"] == planted["owner"] + 2
        job = admin.rebuild_reports()
        more = eventlet.spawn(rate_calls, 4)
        done = finished(admin, job["id"], seconds=120)
        more.wait()
        assert done["state"] == "done", done
        assert done["read"]["followups"] >= 10 and done["read"]["answers"] >= 15
        assert (followup_rollup(agents), answer_rollup(agents)) == level(agents)
        assert rows("SELECT count(*)::int AS n FROM answer_fact WHERE agent_id = ANY (%s)",
                    agents)[0]["n"] >= 19  # the deleted facts came back from the owner
        for d in sorted({first, last, planted_day}):
            assert [x for x in auditor.check_reports({"from": d, "to": d})["differences"]
                    if x["kind"] in mine] == []


def test_r4_the_survey_feed_pages_by_id_for_the_report_only(start, rpc):
    start("survey")
    system = rpc("survey", auth_token=system_token("report"))
    page = system.report_followups({"limit": 1})
    assert set(page) == {"followups", "next"} and len(page["followups"]) <= 1
    counts = system.report_answer_counts({"from": "2026-03-01", "to": "2026-03-02"})
    assert set(counts) == {"counts"}
    with pytest.raises(Forbidden):
        rpc("survey", roles=("admin",)).report_answer_counts({"from": "2026-03-01",
                                                              "to": "2026-03-02"})

"""R1, R2: the ticket rollups fed by the ticket events' snapshots, on a real broker and
database.  Events are published here as the ticket service would (its validated
publisher), some twice and out of order; the rollups must end equal to a plain GROUP BY
over the final snapshots (written below from the definitions in
services/report/contract/figures.py, not from the report's code).  Figures are read in
the caller's scope.  Each test uses its own kind and groups: the database is shared."""
import bisect
import datetime
import os
import random
import uuid
from collections import defaultdict
from zoneinfo import ZoneInfo

import psycopg2
import psycopg2.extras
import pytest
from kombu import Connection, Exchange
from nameko.testing.services import entrypoint_waiter

from services.common.errors import Invalid, NotFound
from services.common.metrics import MetricsServer

CHINA = ZoneInfo("Asia/Shanghai")
UTC = datetime.UTC
EDGES = [60, 120, 300, 600, 1800, 3600, 7200, 14400, 28800, 86400, 172800, 259200, 604800]
COUNTERS = ("created", "resolved", "closed", "cancelled", "reopened", "repeats",
            "response_breached", "resolution_breached", "same_day", "fcr", "opened",
            "finished")
HANDLERS = {"ticket_created": "count_ticket", "ticket_updated": "ticket_updated",
            "ticket_assigned": "ticket_assigned",
            "ticket_transferred": "ticket_transferred",
            "ticket_status_changed": "ticket_status_changed",
            "ticket_resolved": "ticket_resolved", "ticket_closed": "ticket_closed",
            "ticket_sla_breached": "ticket_sla_breached"}


def publish(rabbit_config, event_type: str, data: dict, event_id: str | None = None) -> dict:
    envelope = {"event_id": event_id or str(uuid.uuid4()), "type": event_type,
                "occurred_at": datetime.datetime.now(UTC).isoformat(), "schema_version": 1,
                "actor": "test", "data": data}
    exchange = Exchange("ticket.events", type="topic", durable=True)
    with Connection(rabbit_config["AMQP_URI"]) as conn:
        conn.Producer(serializer="json").publish(
            envelope, exchange=exchange, routing_key=event_type, declare=[exchange],
            user_id=conn.userid)  # its validated publisher (issue 9, finding 3)
    return envelope


def rows(statement, *params):
    conn = psycopg2.connect(os.environ["KEFU_REPORT_DB_URI"],
                            cursor_factory=psycopg2.extras.RealDictCursor)
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            cur.execute(statement, params)
            return cur.fetchall() if cur.description else []
    finally:
        conn.close()


def iso(moment):
    return moment.isoformat() if moment else None


def payload(event_type: str, s: dict) -> dict:
    """The event's data as the ticket service's contract has it, with the snapshot."""
    snapshot = {**s, **{k: iso(s[k]) for k in ("accepted_at", "first_response_at",
                                               "resolved_at", "closed_at", "cancelled_at")}}
    base = {"ticket_id": s["ticket_id"], "serial": "TS-1", "kind": s["kind"],
            "snapshot": snapshot}
    if event_type == "ticket_created":
        return {**base, "customer_id": s["customer_id"], "channel": s["channel"],
                "urgency": s["urgency"], "acceptor_id": s["acceptor_id"],
                "accepted_at": snapshot["accepted_at"]}
    if event_type in ("ticket_status_changed", "ticket_resolved", "ticket_closed"):
        return {**base, "customer_id": s["customer_id"], "from_status": "new",
                "to_status": s["status"], "at": snapshot["accepted_at"]}
    if event_type == "ticket_sla_breached":
        return {**base, "target": "response", "due_at": snapshot["accepted_at"]}
    return base  # assigned / transferred


def snapshots(rng: random.Random, kind: str, groups: list[str], agents: list[str],
              tickets: int, ids: list[str] | None = None) -> list[dict]:
    """A few revisions of each of `tickets` tickets, times near midnight in China."""
    ids = ids or [str(uuid.uuid4()) for _ in range(tickets)]
    start = datetime.datetime(2026, 3, 1, 15, 0, tzinfo=UTC)  # 23:00 in China
    out = []
    for n, ticket_id in enumerate(ids):
        accepted = start + datetime.timedelta(minutes=rng.randrange(0, 3 * 24 * 60))
        earlier = [i for i in ids[:n] if rng.random() < 0.3][:2]
        for revision in range(1, rng.randrange(2, 5)):
            def later(accepted=accepted):
                m = rng.choice([None, rng.randrange(0, 3 * 24 * 60)])
                return None if m is None else accepted + datetime.timedelta(minutes=m)
            status = rng.choice(["new", "assigned", "in_progress", "resolved", "closed",
                                 "cancelled"])
            out.append({
                "ticket_id": ticket_id, "revision": revision, "kind": kind,
                "category_id": rng.choice([None, "c1", "c2"]),
                "channel": rng.choice(["phone", "web"]), "urgency": "normal",
                "group_name": rng.choice([None, *groups]),
                "assignee_id": rng.choice([None, *agents]), "acceptor_id": "acceptor",
                "customer_id": str(uuid.uuid4()), "level": 0, "status": status,
                "accepted_at": accepted, "first_response_at": later(),
                "resolved_at": later(), "closed_at": later() if status == "closed" else None,
                "cancelled_at": later() if status == "cancelled" else None,
                "reopen_count": rng.choice([0, 0, 1]), "transfer_count": rng.choice([0, 0, 2]),
                "repeat": bool(earlier), "repeat_of": earlier,
                "response_breached": rng.random() < 0.3,
                "resolution_breached": rng.random() < 0.3})
    return out


def day(moment):
    return moment.astimezone(CHINA).date()


def reference(finals: list[dict]) -> dict:
    """The plain GROUP BY: every (table, key) -> counters, from the final snapshots."""
    named = {e for s in finals for e in s["repeat_of"] if e != s["ticket_id"]}
    out: dict = {t: defaultdict(lambda: defaultdict(int))
                 for t in ("ticket_day", "ticket_day_group", "ticket_day_kind",
                           "ticket_day_staff", "ticket_month")}
    times: dict = defaultdict(lambda: [0, 0])
    for s in finals:
        cat, group, agent = s["category_id"] or "", s["group_name"] or "", s["assignee_id"] or ""
        a = day(s["accepted_at"])
        landed = [(a, "created"), (a, "opened")]
        landed += [(a, c) for c, yes in (("repeats", bool(s["repeat_of"])),
                                         ("reopened", s["reopen_count"] > 0),
                                         ("response_breached", s["response_breached"]),
                                         ("resolution_breached", s["resolution_breached"]))
                   if yes]
        if s["resolved_at"]:
            r = day(s["resolved_at"])
            landed.append((r, "resolved"))
            if r == a:
                landed.append((r, "same_day"))
            if (not s["transfer_count"] and not s["reopen_count"]
                    and s["ticket_id"] not in named):
                landed.append((r, "fcr"))
            seconds = max(0, int((s["resolved_at"] - s["accepted_at"]).total_seconds()))
            t = times[(r, s["kind"], group, "resolution", bisect.bisect_right(EDGES, seconds))]
            t[0] += 1
            t[1] += seconds
        if s["first_response_at"]:
            seconds = max(0, int((s["first_response_at"] - s["accepted_at"]).total_seconds()))
            t = times[(a, s["kind"], group, "response", bisect.bisect_right(EDGES, seconds))]
            t[0] += 1
            t[1] += seconds
        if s["closed_at"]:
            landed.append((day(s["closed_at"]), "closed"))
        if s["cancelled_at"]:
            landed.append((day(s["cancelled_at"]), "cancelled"))
        done = {"closed": s["closed_at"], "cancelled": s["cancelled_at"]}.get(s["status"])
        if done:
            landed.append((day(done), "finished"))
        for d, counter in landed:
            out["ticket_day"][(d, s["kind"])][counter] += 1
            out["ticket_day_group"][(d, group, s["kind"])][counter] += 1
            out["ticket_day_kind"][(d, s["kind"], cat, s["channel"])][counter] += 1
            out["ticket_day_staff"][(d, group, agent, s["kind"])][counter] += 1
            out["ticket_month"][(d.replace(day=1), s["kind"], cat, s["channel"], group,
                                 agent)][counter] += 1
    result = {t: {k: tuple(v[c] for c in COUNTERS) for k, v in keyed.items()}
              for t, keyed in out.items()}
    result["ticket_time_day"] = {k: tuple(v) for k, v in times.items()}
    return result


KEYS = {"ticket_day": ("day", "kind"),
        "ticket_day_group": ("day", "group_name", "kind"),
        "ticket_day_kind": ("day", "kind", "category_id", "channel"),
        "ticket_day_staff": ("day", "group_name", "agent_id", "kind"),
        "ticket_month": ("month", "kind", "category_id", "channel", "group_name", "agent_id"),
        "ticket_time_day": ("day", "kind", "group_name", "measure", "bucket")}


def rollups(kinds) -> dict:
    """Every non-zero row of each rollup for these kinds, as the reference has them."""
    out = {}
    for table, key in KEYS.items():
        values = ("n", "seconds") if table == "ticket_time_day" else COUNTERS
        found = {}
        for r in rows(ROLLUP_SQL[table], list(kinds)):
            counts = tuple(r[v] for v in values)
            if any(counts):
                found[tuple(r[k] for k in key)] = counts
        out[table] = found
    return out


ROLLUP_SQL = {"ticket_day": "SELECT * FROM ticket_day WHERE kind = ANY (%s)",
              "ticket_day_group": "SELECT * FROM ticket_day_group WHERE kind = ANY (%s)",
              "ticket_day_kind": "SELECT * FROM ticket_day_kind WHERE kind = ANY (%s)",
              "ticket_day_staff": "SELECT * FROM ticket_day_staff WHERE kind = ANY (%s)",
              "ticket_month": "SELECT * FROM ticket_month WHERE kind = ANY (%s)",
              "ticket_time_day": "SELECT * FROM ticket_time_day WHERE kind = ANY (%s)"}


def finals_of(sent: list[dict]) -> list[dict]:
    final: dict = {}
    for s in sent:
        if s["ticket_id"] not in final or s["revision"] > final[s["ticket_id"]]["revision"]:
            final[s["ticket_id"]] = s
    return list(final.values())


def deliver(report, rabbit_config, event_type: str, data: dict, event_id=None) -> dict:
    with entrypoint_waiter(report, HANDLERS[event_type], timeout=10):
        return publish(rabbit_config, event_type, data, event_id)


class TestR1Rollups:
    def test_r1_events_twice_and_out_of_order_end_equal_to_a_group_by_of_final_snapshots(
            self, start, rabbit_config):
        report = start("report")
        rng = random.Random(13)
        kind = f"k-{uuid.uuid4().hex[:8]}"
        sent = snapshots(rng, kind, [f"g1-{kind}", f"g2-{kind}"], ["a1", "a2"], 10)
        types = list(HANDLERS)
        deliveries = [(rng.choice(types), s, str(uuid.uuid4())) for s in sent]
        deliveries += rng.sample(deliveries, 8)  # the same events again (same event_id)
        deliveries += [(rng.choice(types), s, str(uuid.uuid4()))  # the same snapshots in
                       for s in rng.sample(sent, 8)]              # other events
        rng.shuffle(deliveries)
        for event_type, s, event_id in deliveries:
            deliver(report, rabbit_config, event_type, payload(event_type, s), event_id)
        assert rollups([kind]) == reference(finals_of(sent))
        facts = rows("SELECT ticket_id, revision FROM ticket_fact WHERE kind = %s", kind)
        assert {f["ticket_id"]: f["revision"] for f in facts} == \
            {s["ticket_id"]: s["revision"] for s in finals_of(sent)}

    def test_r1_a_later_repeat_arriving_first_still_takes_fcr_from_the_earlier(
            self, start, rabbit_config):
        report = start("report")
        kind = f"k-{uuid.uuid4().hex[:8]}"
        accepted = datetime.datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
        earlier = {"ticket_id": str(uuid.uuid4()), "revision": 3, "kind": kind,
                   "category_id": None, "channel": "phone", "urgency": "normal",
                   "group_name": None, "assignee_id": None, "acceptor_id": "x",
                   "customer_id": str(uuid.uuid4()), "level": 0, "status": "resolved",
                   "accepted_at": accepted, "first_response_at": None,
                   "resolved_at": accepted + datetime.timedelta(hours=1), "closed_at": None,
                   "cancelled_at": None, "reopen_count": 0, "transfer_count": 0,
                   "repeat": False, "repeat_of": [], "response_breached": False,
                   "resolution_breached": False}
        later = {**earlier, "ticket_id": str(uuid.uuid4()), "revision": 1, "status": "new",
                 "resolved_at": None, "repeat": True, "repeat_of": [earlier["ticket_id"]]}
        deliver(report, rabbit_config, "ticket_created", payload("ticket_created", later))
        deliver(report, rabbit_config, "ticket_resolved", payload("ticket_resolved", earlier))
        fcr = rows("SELECT sum(fcr)::int AS fcr, sum(resolved)::int AS resolved,"
                   " sum(repeats)::int AS repeats FROM ticket_day_kind WHERE kind = %s", kind)
        assert fcr == [{"fcr": 0, "resolved": 1, "repeats": 1}]

    def test_r1_an_event_without_a_snapshot_changes_nothing_and_the_lag_is_kept(
            self, start, rabbit_config, rpc):
        report = start("report")
        kind = f"k-{uuid.uuid4().hex[:8]}"
        sent = deliver(report, rabbit_config, "ticket_assigned",
                       {"ticket_id": str(uuid.uuid4()), "serial": "TS-9", "kind": kind})
        assert rows("SELECT 1 FROM ticket_fact WHERE kind = %s", kind) == []
        position = rows("SELECT last_occurred_at, events FROM feed_position"
                        " WHERE source = 'ticket'")[0]
        assert position["last_occurred_at"] >= datetime.datetime.fromisoformat(
            sent["occurred_at"])
        today = datetime.datetime.now(CHINA).date().isoformat()
        figures = rpc("report", roles=("manager",)).ticket_figures(
            {"from": today, "to": today, "kind": kind})
        assert datetime.datetime.fromisoformat(figures["as_of"]) == \
            position["last_occurred_at"]
        server = next(e for e in report.extensions if isinstance(e, MetricsServer))
        lag = server.registry.get_sample_value("kefu_report_lag_seconds", {"source": "ticket"})
        assert lag is not None and 0 <= lag < 10


class TestR2Figures:
    """Four tickets of one kind in two groups and two agents' hands, on 2–4 March."""

    @pytest.fixture
    def world(self, start, rabbit_config, rpc):
        report = start("report")
        tag = uuid.uuid4().hex[:8]
        kind, g1, g2, a1, a2 = (f"k-{tag}", f"一组-{tag}", f"二组-{tag}", f"a1-{tag}",
                                f"a2-{tag}")
        d = datetime.datetime(2026, 3, 2, 10, 0, tzinfo=CHINA)
        one = datetime.timedelta(days=1)
        tickets = [
            {"group_name": g1, "assignee_id": a1, "status": "resolved", "accepted_at": d,
             "first_response_at": d + datetime.timedelta(minutes=5),
             "resolved_at": d + datetime.timedelta(hours=2)},
            {"group_name": g1, "assignee_id": a2, "status": "in_progress", "accepted_at": d},
            {"group_name": g2, "assignee_id": a2, "status": "closed", "accepted_at": d + one,
             "resolved_at": d + one, "closed_at": d + 2 * one},
            {"group_name": g2, "assignee_id": None, "status": "cancelled", "accepted_at": d,
             "cancelled_at": d + one},
        ]
        for t in tickets:
            s = {"ticket_id": str(uuid.uuid4()), "revision": 1, "kind": kind,
                 "category_id": "c1", "channel": "phone", "urgency": "normal",
                 "acceptor_id": "x", "customer_id": str(uuid.uuid4()), "level": 0,
                 "first_response_at": None, "resolved_at": None, "closed_at": None,
                 "cancelled_at": None, "reopen_count": 0, "transfer_count": 0,
                 "repeat": False, "repeat_of": [], "response_breached": False,
                 "resolution_breached": False, **t}
            deliver(report, rabbit_config, "ticket_created", payload("ticket_created", s))
        return {"kind": kind, "g1": g1, "g2": g2, "a1": a1, "a2": a2, "rpc": rpc,
                "query": {"from": "2026-03-02", "to": "2026-03-04", "kind": kind}}

    @staticmethod
    def line(series, counter, **key):
        return [p[counter] for p in series if all(p.get(k) == v for k, v in key.items())]

    def test_r2_managers_see_every_group_each_period_present(self, world):
        manager = world["rpc"]("report", roles=("manager",))
        series = manager.ticket_figures({**world["query"], "by": ["group"]})["series"]
        assert {p["group_name"] for p in series} == {world["g1"], world["g2"]}
        assert self.line(series, "created", group_name=world["g1"]) == [2, 0, 0]
        assert self.line(series, "created", group_name=world["g2"]) == [1, 1, 0]
        assert self.line(series, "cancelled", group_name=world["g2"]) == [0, 1, 0]
        assert self.line(series, "closed", group_name=world["g2"]) == [0, 0, 1]
        assert self.line(series, "same_day", group_name=world["g1"]) == [1, 0, 0]
        first = series[0]
        assert first["period"] == "2026-03-02" and first["group_name"] == world["g1"]
        assert first["response_mean"] == 300.0 and first["resolution_mean"] == 7200.0
        assert 7200 <= first["resolution_p50"] < 14400  # inside its bucket
        assert "agent_id" not in first and "channel" not in first

    def test_r2_a_supervisor_sees_only_their_groups(self, world):
        supervisor = world["rpc"]("report", roles=("supervisor",), groups=[world["g1"]])
        series = supervisor.ticket_figures({**world["query"], "by": ["group"]})["series"]
        assert {p["group_name"] for p in series} == {world["g1"]}
        total = supervisor.ticket_figures(world["query"])["series"]
        assert self.line(total, "created") == [2, 0, 0]
        with pytest.raises(NotFound):
            supervisor.ticket_figures({**world["query"], "group_name": world["g2"]})
        backlog = supervisor.ticket_backlog({**world["query"], "by": "group"})["series"]
        assert {p["group_name"] for p in backlog} == {world["g1"]}

    def test_r2_an_agent_sees_only_their_own_figures(self, world):
        agent = world["rpc"]("report", roles=("agent",), staff_id=world["a1"])
        series = agent.ticket_figures(world["query"])["series"]
        assert self.line(series, "created") == [1, 0, 0]
        assert self.line(series, "resolved") == [1, 0, 0]
        assert self.line(series, "fcr") == [1, 0, 0]
        other = world["rpc"]("report", roles=("agent",), staff_id=world["a2"])
        assert self.line(other.ticket_figures(world["query"])["series"], "created") == [1, 1, 0]
        with pytest.raises(NotFound):
            agent.ticket_figures({**world["query"], "agent_id": world["a2"]})
        assert all(p["response_p50"] is None for p in series)  # times: kind and group only

    def test_r2_backlog_counts_open_tickets_at_each_days_end_from_before_the_range(self, world):
        manager = world["rpc"]("report", roles=("manager",))
        backlog = manager.ticket_backlog({**world["query"], "by": "group"})["series"]
        assert self.line(backlog, "open", group_name=world["g1"]) == [2, 2, 2]
        assert self.line(backlog, "open", group_name=world["g2"]) == [1, 1, 0]
        later = manager.ticket_backlog({**world["query"], "from": "2026-03-04"})["series"]
        assert [(p["day"], p["open"]) for p in later] == [("2026-03-04", 2)]

    def test_r2_columns_from_each_rollup_hold_the_points_figures(self, world):
        manager = world["rpc"]("report", roles=("manager",))
        supervisor = world["rpc"]("report", roles=("supervisor",), groups=[world["g1"]])
        agent = world["rpc"]("report", roles=("agent",), staff_id=world["a2"])
        asked = (  # ticket_day, ticket_day_group, ticket_day_kind, ticket_day_staff, month
            (manager, {"by": ["kind"]}), (manager, {"by": ["group"]}),
            (supervisor, {"by": ["kind"]}), (manager, {"by": ["channel", "category"]}),
            (manager, {"by": ["agent"], "measures": ["created", "finished"]}),
            (agent, {}), (manager, {"by": ["group"], "period": "week"}),
            (manager, {"from": "2026-03-01", "to": "2026-03-31", "period": "month",
                       "by": ["category", "agent"]}))
        for caller, extra in asked:
            query = {**world["query"], **extra}
            points = caller.ticket_figures(query)["series"]
            cols = caller.ticket_figures({**query, "layout": "columns"})
            rebuilt = [{"period": p, **dict(zip(cols["fields"], key, strict=True)),
                        **{m: cols["values"][m][i][j] for m in cols["values"]}}
                       for i, key in enumerate(cols["keys"])
                       for j, p in enumerate(cols["periods"])]
            assert rebuilt == points, extra
            assert sum(p["created"] for p in points) > 0, extra
        g1 = manager.ticket_figures({**world["query"], "by": ["group"], "layout": "columns",
                                     "measures": ["created"]})
        assert g1["keys"] == sorted([[world["g1"]], [world["g2"]]])
        assert g1["values"] == {"created": [[2, 0, 0], [1, 1, 0]]}

    def test_r2_groupings_beyond_a_daily_rollup_are_by_whole_months(self, world):
        manager = world["rpc"]("report", roles=("manager",))
        with pytest.raises(Invalid) as err:
            manager.ticket_figures({**world["query"], "by": ["category", "group"]})
        assert "by" in err.value.fields
        month = manager.ticket_figures({"from": "2026-03-01", "to": "2026-03-31",
                                        "period": "month", "kind": world["kind"],
                                        "by": ["category", "group"]})["series"]
        assert [(p["period"], p["category_id"], p["group_name"], p["created"]) for p in month] \
            == [("2026-03-01", "c1", world["g1"], 2), ("2026-03-01", "c1", world["g2"], 2)]
        week = manager.ticket_figures({**world["query"], "period": "week"})["series"]
        assert [(p["period"], p["created"]) for p in week] == [("2026-03-02", 4)]
        with pytest.raises(Invalid) as err:
            manager.ticket_figures({**world["query"], "to": "2026-03-01"})
        assert "to" in err.value.fields

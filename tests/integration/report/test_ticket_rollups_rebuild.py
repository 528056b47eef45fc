"""R4: the ticket rollups rebuilt from the ticket service while its events keep arriving,
and checked against the ticket service's own counts — with the real ticket service
(its snapshots, `report_tickets`, `report_ticket_counts`) and the operator commands."""
import datetime
import io
import os
import pathlib
import uuid
from zoneinfo import ZoneInfo

import eventlet
import psycopg2
import psycopg2.extras

from services.common.errors import Unavailable
from services.report import manage
from services.report.handlers import rebuild as rebuild_handlers
from services.report.store import facts as fact_store
from tests.helpers import key_config, random_mobile, system_token
from tests.integration.report.test_ticket_rollups import publish, reference, rollups, rows

CHINA = ZoneInfo("Asia/Shanghai")
TIMES = ("accepted_at", "first_response_at", "resolved_at", "closed_at", "cancelled_at")


def today() -> str:
    return datetime.datetime.now(CHINA).date().isoformat()


def owner_snapshots(rpc) -> list[dict]:
    """Every ticket's snapshot as the ticket service has it now, times parsed."""
    system = rpc("ticket", auth_token=system_token("report"))
    out, after = [], None
    while True:
        page = system.report_tickets({"after": after, "limit": 1000})
        out += [{**s, **{k: s[k] and datetime.datetime.fromisoformat(s[k]) for k in TIMES}}
                for s in page["tickets"]]
        after = page["next"]
        if not after:
            return out


def settled(rpc, seconds: float = 30) -> list[dict]:
    """The owner's snapshots once the report holds each at its revision (the outbox and
    the event handlers have caught up)."""
    deadline = eventlet.Timeout(seconds)
    try:
        while True:
            owner = owner_snapshots(rpc)
            ours = {r["ticket_id"]: r["revision"]
                    for r in rows("SELECT ticket_id, revision FROM ticket_fact")}
            if all(ours.get(s["ticket_id"]) == s["revision"] for s in owner):
                return owner
            eventlet.sleep(0.1)
    finally:
        deadline.cancel()


def finished(admin, rebuild_id: str, seconds: float = 60) -> dict:
    with eventlet.Timeout(seconds):
        while True:
            job = admin.report_rebuild({"rebuild_id": rebuild_id})
            if job["state"] not in ("queued", "running"):
                return job
            eventlet.sleep(0.05)


class World:
    def __init__(self, start, rpc, rabbit_config, **report_config):
        # a run an earlier test's container left claimed (killed at its end) is not ours
        rows("UPDATE report_rebuild SET state = 'done', finished_at = now(),"
             " error = 'left by an earlier test' WHERE state IN ('queued', 'running')")
        for owner in ("customer", "ticket", "notify", "survey"):  # a rebuild pages them all
            start(owner)
        self.report = start("report", **report_config)
        self.rpc, self.rabbit = rpc, rabbit_config
        self.manager = rpc("ticket", roles=("manager",))
        self.admin = rpc("report", roles=("admin",))
        self.customer = rpc("customer").create_customer(
            {"name": "孙八", "phones": [random_mobile()]})["id"]
        # The tier's other tests left tickets whose events this report never saw (each
        # test has its own vhost): a first rebuild brings it level with the owner, so
        # the comparisons below are over every ticket.
        first = self.admin.rebuild_reports()
        assert finished(self.admin, first["id"], seconds=120)["state"] == "done"

    def ticket(self, kind="complaint") -> dict:
        return self.manager.create_ticket({"customer_id": self.customer, "kind": kind,
                                           "content": f"空调不制冷 {uuid.uuid4().hex[:6]}"})

    def work(self, tickets: list[dict]) -> None:
        """Moves along the workflow: started, resolved, closed, reopened, cancelled."""
        for n, t in enumerate(tickets):
            self.manager.transition_ticket(t["id"], {"to": "in_progress"})
            if n % 4 == 3:
                self.manager.transition_ticket(t["id"], {"to": "cancelled"})
                continue
            self.manager.transition_ticket(t["id"], {"to": "resolved"})
            if n % 4 == 1:
                self.manager.transition_ticket(t["id"], {"to": "closed"})
            if n % 4 == 2:
                self.manager.transition_ticket(t["id"], {"to": "in_progress"})  # reopened


def everything() -> dict:
    kinds = [r["kind"] for r in rows("SELECT DISTINCT kind FROM ticket_fact")
             + rows("SELECT DISTINCT kind FROM ticket_day_kind")]
    return rollups(kinds)


class TestR4Rebuild:
    def test_r4_a_rebuild_while_events_arrive_ends_equal_to_the_reference(
            self, start, rpc, rabbit_config):
        world = World(start, rpc, rabbit_config, REPORT_REBUILD_PAGE=2)
        tickets = [world.ticket(kind) for kind in ["complaint", "consultation"] * 8]
        # a fact the owner never had (an event of a ticket gone since): the rebuild drops it
        stale = str(uuid.uuid4())
        publish(rabbit_config, "ticket_created", {
            "ticket_id": stale, "serial": "TS-0", "kind": "complaint",
            "customer_id": world.customer, "channel": "phone", "urgency": "normal",
            "acceptor_id": "x", "accepted_at": datetime.datetime.now(CHINA).isoformat()})
        settled(rpc)
        job = world.admin.rebuild_reports()
        assert job["state"] in ("queued", "running")
        assert world.admin.rebuild_reports()["id"] == job["id"]  # one at a time
        changes = eventlet.spawn(world.work, tickets)  # events arrive during the rebuild
        done = finished(world.admin, job["id"])
        changes.wait()
        assert done["state"] == "done", done
        assert done["tickets"] >= len(tickets) and done["pages"] >= len(tickets) // 2
        assert done["removed"] >= 1
        owner = settled(rpc)
        assert rows("SELECT 1 FROM ticket_fact WHERE ticket_id = %s", stale) == []
        assert everything() == reference(owner)
        assert {r["ticket_id"]: r["revision"] for r in rows(
            "SELECT ticket_id, revision FROM ticket_fact")} == \
            {s["ticket_id"]: s["revision"] for s in owner}


class TestR4Check:
    def test_r4_check_names_a_planted_difference_and_none_after_a_rebuild(
            self, start, rpc, rabbit_config):
        world = World(start, rpc, rabbit_config)
        tickets = [world.ticket() for _ in range(4)]
        world.work(tickets)
        settled(rpc)
        day = today()
        auditor = rpc("report", roles=("auditor",))
        assert auditor.check_reports({"from": day, "to": day})["differences"] == []
        conn = psycopg2.connect(os.environ["KEFU_REPORT_DB_URI"],
                                cursor_factory=psycopg2.extras.RealDictCursor)
        try:
            with conn, conn.cursor() as cur:
                cur.execute("UPDATE ticket_day_kind SET resolved = resolved + 2"
                            " WHERE (day, kind, category_id, channel) = (SELECT day, kind,"
                            " category_id, channel FROM ticket_day_kind WHERE day = %s"
                            " AND kind = 'complaint' LIMIT 1)", (day,))
                assert cur.rowcount == 1
                cur.execute("UPDATE ticket_day SET created = created - 1"
                            " WHERE day = %s AND kind = 'complaint'", (day,))
                assert cur.rowcount == 1
        finally:
            conn.close()
        owner_resolved = sum(1 for s in owner_snapshots(rpc) if s["kind"] == "complaint"
                             and s["resolved_at"] and s["resolved_at"].astimezone(CHINA)
                             .date().isoformat() == day)
        owner_created = sum(1 for s in owner_snapshots(rpc) if s["kind"] == "complaint"
                            and s["accepted_at"].astimezone(CHINA).date().isoformat() == day)
        planted = auditor.check_reports({"from": day, "to": day})["differences"]
        assert planted == [
            {"day": day, "kind": "complaint", "measure": "resolved",
             "ours": owner_resolved + 2, "owner": owner_resolved},
            {"day": day, "kind": "complaint", "measure": "created", "rollup": "ticket_day",
             "ours": owner_created - 1, "owner": owner_created}]
        config = {"AMQP_URI": rabbit_config["AMQP_URI"], **key_config("report"),
                  "DB_URI": os.environ["KEFU_REPORT_DB_URI"]}
        out = io.StringIO()
        assert manage.check("--from", day, "--to", day, config=config, out=out) == 1
        assert f"{day} complaint resolved: ours {owner_resolved + 2}, owner {owner_resolved}" \
            in out.getvalue()
        assert (f"{day} complaint created (in ticket_day): ours {owner_created - 1}, owner "
                f"{owner_created}") in out.getvalue()
        assert manage.rebuild(config=config, out=io.StringIO()) == 0
        assert auditor.check_reports({"from": day, "to": day})["differences"] == []
        out = io.StringIO()
        assert manage.check("--from", day, "--to", day, config=config, out=out) == 0
        assert "0 differences" in out.getvalue()


class TestR4FailedRebuild:
    def test_r4_a_run_whose_ticket_call_fails_once_completes_on_a_later_timer_round(
            self, start, rpc, rabbit_config, monkeypatch):
        """A failed run is not left failed: queued again with its error, taken after the
        back-off from its position, and done — the rollups equal to the owner's rows."""
        asked = []
        real_ask = rebuild_handlers._ask

        def ask_failing_once(method, payload):
            asked.append(payload)
            if len(asked) == 2:  # the second page's call
                raise Unavailable("message broker unavailable")
            return real_ask(method, payload)
        world = World(start, rpc, rabbit_config, REPORT_REBUILD_PAGE=2,
                      REPORT_REBUILD_RETRY_SECONDS=0.5)
        monkeypatch.setattr(rebuild_handlers, "_ask", ask_failing_once)
        world.work([world.ticket() for _ in range(6)])
        settled(rpc)
        job = world.admin.rebuild_reports()
        done = finished(world.admin, job["id"])
        assert done["state"] == "done" and done["error"] is None, done
        [row] = rows("SELECT attempts FROM report_rebuild WHERE id = %s", job["id"])
        assert row["attempts"] == 1
        assert asked[2]["after"] == asked[1]["after"] is not None  # from its position
        assert everything() == reference(settled(rpc))


class TestR4CorrectionHoldsNothing:
    def test_r4_live_events_apply_while_a_rebuild_corrects_and_the_end_is_exact(
            self, start, rpc, rabbit_config, monkeypatch):
        """Between the correction read (one snapshot) and its adding, the tickets move on:
        their events are applied meanwhile (no table is held: they would wait), and the
        rollups end equal to the owner's rows."""
        world = World(start, rpc, rabbit_config, REPORT_REBUILD_PAGE=3)
        tickets = [world.ticket(kind) for kind in ["complaint", "consultation"] * 4]
        settled(rpc)
        compute = fact_store.compute_corrections
        during = []

        def compute_then_move_on(cur):
            fixes = compute(cur)
            world.work(tickets)  # the correction not added yet
            during.append(settled(rpc, seconds=20))  # every event applied meanwhile
            return fixes
        monkeypatch.setattr(fact_store, "compute_corrections", compute_then_move_on)
        job = world.admin.rebuild_reports()
        done = finished(world.admin, job["id"])
        assert done["state"] == "done", done
        assert len(during) == 1
        assert everything() == reference(settled(rpc))


MIGRATIONS = pathlib.Path(__file__).parents[3] / "services" / "report" / "migrations"


class TestR4Migration:
    @staticmethod
    def migrated(daily_rows: int) -> list[dict]:
        """The report's migrations 0001 and 0002 applied in this session's temporary
        schema (rolled back after), the old daily count holding `daily_rows` rows."""
        conn = psycopg2.connect(os.environ["KEFU_REPORT_DB_URI"],
                                cursor_factory=psycopg2.extras.RealDictCursor)
        try:
            with conn.cursor() as cur:
                cur.execute("SET LOCAL search_path = pg_temp")
                cur.execute((MIGRATIONS / "0001-report-ticket-daily.sql").read_text())
                for n in range(daily_rows):
                    cur.execute("INSERT INTO ticket_daily VALUES (%s, 'complaint', 3)",
                                (datetime.date(2026, 1, 1) + datetime.timedelta(days=n),))
                cur.execute((MIGRATIONS / "0002-report-ticket-facts.sql").read_text())
                cur.execute("SELECT requested_by, state FROM pg_temp.report_rebuild")
                return cur.fetchall()
        finally:
            conn.rollback()
            conn.close()

    def test_r4_an_install_upgraded_from_the_daily_count_queues_one_rebuild(self):
        assert self.migrated(daily_rows=2) == [
            {"requested_by": "migration 0002", "state": "queued"}]

    def test_r4_a_fresh_install_queues_nothing(self):
        assert self.migrated(daily_rows=0) == []

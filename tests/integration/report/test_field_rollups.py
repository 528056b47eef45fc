"""R1, R2, R4: field work 外勤 and the biggest customers on a real broker and databases.

Jobs are dispatched and handled over the real ticket service's RPCs; its events reach
the real report service, and are published again, twice and in reverse order.  The
reference is a plain GROUP BY over the ticket service's own dispatch and
handling_record tables, written from the definitions in services/report/contract/
field.py (jobs by the China day sent; done jobs by the China day finished — finished_at,
never after recorded_at — with minutes on site, parts' quantity, fee and paid fee in
fen, late after the window), not from the report's code.  Then a rebuild ends equal, the
check names a planted difference, and the biggest customers equal a plain count."""
import datetime
import os
import uuid

import eventlet
import psycopg2
import psycopg2.extras
import pytest
from nameko.testing.services import entrypoint_waiter

from services.common.errors import Forbidden, NotFound
from tests.integration.report.test_ticket_rollups import publish, rows
from tests.integration.report.test_ticket_rollups_rebuild import finished

UTC = datetime.UTC
DESK = "field-desk"
COUNTERS = ("dispatched", "handled", "minutes", "timed", "parts", "fee_fen", "paid_fen",
            "late")


def ticket_db(statement, *params):
    conn = psycopg2.connect(os.environ["KEFU_TICKET_DB_URI"],
                            cursor_factory=psycopg2.extras.RealDictCursor)
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            cur.execute(statement, params)
            return cur.fetchall() if cur.description else []
    finally:
        conn.close()


def make_ticket(customer_id: str, accepted_at=None, category_id=None) -> str:
    return ticket_db(
        "INSERT INTO ticket (serial, kind, customer_id, content, channel, urgency,"
        " acceptor_id, status, form, contact, group_name, accepted_at, category_id)"
        " VALUES (%s, 'after_sales', %s, '热水器不出热水', 'phone', 'medium', 'agent-x', 'new',"
        " '{}', '{}', %s, coalesce(%s, now()), %s) RETURNING id::text",
        f"FW-{uuid.uuid4().hex[:12]}", customer_id, DESK, accepted_at, category_id)[0]["id"]


def make_field_staff() -> str:
    staff_id = f"fw-{uuid.uuid4().hex[:10]}"
    ticket_db("INSERT INTO staff_member (id, username, roles, active)"
              " VALUES (%s, %s, %s, true)", staff_id, staff_id, ["field"])
    return staff_id


def window(start_seconds: int, end_seconds: int) -> dict:
    now = datetime.datetime.now(UTC)
    return {"window_start": (now + datetime.timedelta(seconds=start_seconds)).isoformat(),
            "window_end": (now + datetime.timedelta(seconds=end_seconds)).isoformat()}


def make_category() -> str:
    return ticket_db("INSERT INTO category (kind, name) VALUES ('after_sales', %s)"
                     " RETURNING id::text", f"FW-{uuid.uuid4().hex[:12]}")[0]["id"]


# -- the reference: a plain GROUP BY over the owner's tables --------------------------------
REFERENCE = """
SELECT day, staff_id, category_id, sum(dispatched)::int AS dispatched,
       sum(handled)::int AS handled, sum(minutes)::int AS minutes, sum(timed)::int AS timed,
       sum(parts)::int AS parts, sum(fee_fen)::bigint AS fee_fen,
       sum(paid_fen)::bigint AS paid_fen, sum(late)::int AS late
  FROM (SELECT (d.created_at AT TIME ZONE 'Asia/Shanghai')::date AS day, d.staff_id,
               coalesce(t.category_id::text, '') AS category_id, 1 AS dispatched,
               0 AS handled, 0 AS minutes, 0 AS timed, 0 AS parts, 0 AS fee_fen,
               0 AS paid_fen, 0 AS late
          FROM dispatch d JOIN ticket t ON t.id = d.ticket_id WHERE d.staff_id = ANY (%s)
        UNION ALL
        SELECT (least(h.finished_at, h.recorded_at) AT TIME ZONE 'Asia/Shanghai')::date,
               d.staff_id, coalesce(t.category_id::text, ''), 0, 1,
               coalesce(floor(extract(epoch FROM h.finished_at - h.arrived_at) / 60)::int, 0),
               (h.finished_at IS NOT NULL AND h.arrived_at IS NOT NULL)::int,
               (SELECT coalesce(sum((p ->> 'quantity')::int), 0)
                  FROM jsonb_array_elements(h.parts) p),
               (h.fee * 100)::bigint, CASE WHEN h.paid THEN (h.fee * 100)::bigint ELSE 0 END,
               (least(h.finished_at, h.recorded_at) > d.window_end)::int
          FROM handling_record h JOIN dispatch d ON d.id = h.dispatch_id
          JOIN ticket t ON t.id = d.ticket_id
         WHERE h.done AND d.staff_id = ANY (%s)) x
 GROUP BY 1, 2, 3
"""


def reference(staff: list[str]) -> dict:
    return {(r["day"], r["staff_id"], r["category_id"]): tuple(int(r[c]) for c in COUNTERS)
            for r in ticket_db(REFERENCE, staff, staff)}


def rollup(staff: list[str]) -> dict:
    return {(r["day"], r["staff_id"], r["category_id"]): tuple(int(r[c]) for c in COUNTERS)
            for r in rows("SELECT * FROM field_day WHERE staff_id = ANY (%s)", staff)
            if any(r[c] for c in COUNTERS)}


def level(staff: list[str], seconds: float = 30) -> dict:
    """The reference once the rollup equals it (the outbox and handlers caught up)."""
    want: dict = {}
    with eventlet.Timeout(seconds, False):
        while True:
            want = reference(staff)
            if rollup(staff) == want:
                return want
            eventlet.sleep(0.2)
    return want


def field_jobs(rpc, staff: list[str], customer: str) -> list[str]:
    """Jobs over the ticket service's RPCs: done with parts, fees (paid or not) and
    times; one done without times; one not done; one rescheduled; one left open."""
    category = make_category()
    desk = rpc("ticket", roles=("agent",), groups=[DESK])
    plans = [
        (staff[0], {"done": True, "parts": [{"name": "温控器", "quantity": 2, "price": "35.50"},
                                            {"name": "密封圈", "quantity": 1}],
                    "fee": "180.25", "paid": True, "arrived_at": "-95", "finished_at": "-20"}),
        (staff[0], {"done": True, "fee": "0.30", "paid": False}),
        (staff[1], {"done": True, "parts": [{"name": "主板", "quantity": 1, "price": "420.00"}],
                    "fee": "520.00", "paid": True, "arrived_at": "-61", "finished_at": "-1"}),
        (staff[1], {"done": False, "reason": "客户不在家", "fee": "50.00", "paid": True}),
        (staff[0], None),
    ]
    now = datetime.datetime.now(UTC)
    tickets = []
    for i, (who, record) in enumerate(plans):
        ticket_id = make_ticket(customer, category_id=category if i % 2 else None)
        tickets.append(ticket_id)
        if i == 0:  # rescheduled: the first dispatch cancelled, both counted as sent
            desk.dispatch_ticket(ticket_id, {"staff_id": staff[1], "address": "深圳市南山区",
                                             **window(3600, 7200)})
        job = desk.dispatch_ticket(ticket_id, {"staff_id": who, "address": "深圳市南山区",
                                               **window(-3600, 2 if i == 1 else 5400)})
        if record is None:
            continue
        if i == 1:
            eventlet.sleep(2.5)  # recorded after its window ended: late
        for name in ("arrived_at", "finished_at"):
            if name in record:
                record[name] = (now + datetime.timedelta(minutes=int(record[name]))).isoformat()
        rpc("ticket", roles=("field",), staff_id=who).record_handling(job["id"], record)
    return tickets


def replay(rabbit_config, report, staff: list[str]) -> int:
    """The dispatch events of these staff members from the ticket service's outbox,
    published again: each twice (its own event id, then a new one), newest first."""
    found = ticket_db("SELECT event_type, envelope FROM outbox WHERE event_type IN"
                      " ('ticket_dispatched', 'dispatch_handled')"
                      " AND envelope->'data'->>'staff_id' = ANY (%s) ORDER BY id DESC",
                      staff)
    handlers = {"ticket_dispatched": "ticket_dispatched", "dispatch_handled": "dispatch_handled"}
    for e in found:
        for event_id in (e["envelope"]["event_id"], str(uuid.uuid4())):
            with entrypoint_waiter(report, handlers[e["event_type"]], timeout=10):
                publish(rabbit_config, e["event_type"], e["envelope"]["data"], event_id)
    return len(found)


TICKET: list = []


@pytest.fixture
def services(start):
    rows("UPDATE report_rebuild SET state = 'done', finished_at = now(),"
         " error = 'left by an earlier test' WHERE state IN ('queued', 'running')")
    start("customer")  # notify asks it for a dispatched job's customer
    TICKET[:] = [start("ticket")]
    start("survey")  # every owner a rebuild pages and the check asks
    start("notify")
    return start("report", REPORT_REBUILD_PAGE=4)


class TestR1FieldRollups:
    def test_r1_jobs_over_the_ticket_api_events_twice_and_reversed_equal_a_group_by(
            self, services, rpc, rabbit_config):
        staff = [make_field_staff(), make_field_staff()]
        customer = str(uuid.uuid4())
        tickets = field_jobs(rpc, staff, customer)
        want = level(staff)
        assert rollup(staff) == want
        # the same events still keep the tickets' facts (their snapshots)
        assert rows("SELECT count(*)::int AS n FROM ticket_fact WHERE ticket_id = ANY (%s)"
                    " AND customer_id = %s", tickets, customer)[0]["n"] == len(tickets)
        totals = [sum(v[i] for v in want.values()) for i in range(len(COUNTERS))]
        # 6 sent (one rescheduled), 3 done, 75 + 60 minutes of 2 timed, 4 parts, fees
        assert totals == [6, 3, 135, 2, 4, 18025 + 30 + 52000, 18025 + 52000, 1]
        assert replay(rabbit_config, services, staff) == 9
        assert rollup(staff) == want  # duplicates and reverse order changed nothing
        # R2: a field staff member's own figures; another's is NotFound
        today = datetime.datetime.now(UTC).astimezone(
            datetime.timezone(datetime.timedelta(hours=8))).date()
        query = {"from": (today - datetime.timedelta(days=1)).isoformat(),
                 "to": today.isoformat(), "by": ["staff"]}
        mine = rpc("report", roles=("field",), staff_id=staff[0]).field_figures(query)
        assert mine["columns"][:2] == ["period", "staff_id"]
        assert {r[1] for r in mine["rows"]} == {staff[0]} and len(mine["rows"]) == 2
        handled = mine["columns"].index("handled")
        assert sum(r[handled] for r in mine["rows"]) == sum(
            v[1] for k, v in want.items() if k[1] == staff[0])
        with pytest.raises(NotFound):
            rpc("report", roles=("field",), staff_id=staff[0]).field_figures(
                {**query, "staff_id": staff[1]})
        supervisor = rpc("report", roles=("supervisor",)).field_figures(
            {**query, "staff_id": staff[1], "period": "month", "by": []})
        fee = supervisor["columns"].index("fee_fen")
        assert sum(r[fee] for r in supervisor["rows"]) == 52000


class TestR4FieldRebuild:
    def test_r4_a_rebuild_ends_equal_and_the_check_names_a_planted_difference(
            self, services, rpc, rabbit_config):
        admin = rpc("report", roles=("admin",))
        auditor = rpc("report", roles=("auditor",))
        staff = [make_field_staff(), make_field_staff()]
        field_jobs(rpc, staff, str(uuid.uuid4()))
        want = level(staff)
        day = datetime.datetime.now(UTC).astimezone(
            datetime.timezone(datetime.timedelta(hours=8))).date().isoformat()
        # facts other tests published without the owner: a first rebuild levels them
        assert finished(admin, admin.rebuild_reports()["id"], seconds=120)["state"] == "done"
        assert [d for d in auditor.check_reports({"from": day, "to": day})["differences"]
                if d["kind"] == "field"] == []
        rows("UPDATE field_day SET handled = handled + 1, fee_fen = fee_fen + 7"
             " WHERE staff_id = %s AND handled > 0", staff[1])
        rows("DELETE FROM field_fact WHERE staff_id = %s", staff[0])
        found = [d for d in auditor.check_reports({"from": day, "to": day})["differences"]
                 if d["kind"] == "field"]
        assert {(d["measure"], d["ours"] - d["owner"]) for d in found} == {
            ("handled", 1), ("fee_fen", 7)}
        job = admin.rebuild_reports()
        more = eventlet.spawn(field_jobs, rpc, staff, str(uuid.uuid4()))  # live meanwhile
        done = finished(admin, job["id"], seconds=120)
        more.wait()
        assert not TICKET[0]._died.ready()  # the owner still runs
        assert done["state"] == "done" and done["read"]["dispatches"] >= 6, done
        want = level(staff)
        assert rollup(staff) == want and sum(v[0] for v in want.values()) == 12
        assert rows("SELECT count(*)::int AS n FROM field_fact WHERE staff_id = %s",
                    staff[0])[0]["n"] >= 4  # the deleted facts came back from the owner
        assert [d for d in auditor.check_reports({"from": day, "to": day})["differences"]
                if d["kind"] == "field"] == []


class TestR2TopCustomers:
    def test_r2_the_biggest_customers_equal_a_plain_count_within_the_clearance(
            self, services, rpc):
        admin = rpc("report", roles=("admin",))
        customers = [str(uuid.uuid4()) for _ in range(4)]
        at = datetime.datetime(2031, 5, 10, 3, 0, tzinfo=UTC)
        for customer, n in zip(customers, (3, 5, 2, 4), strict=True):
            for i in range(n):
                make_ticket(customer, accepted_at=at + datetime.timedelta(hours=i))
        ticket_db("INSERT INTO customer_level (customer_id, level, as_of)"
                  " VALUES (%s, 2, now())", customers[1])  # classified: level 2
        assert finished(admin, admin.rebuild_reports()["id"], seconds=120)["state"] == "done"
        query = {"from": "2031-05-01", "to": "2031-05-31", "limit": 3}

        def plain(clearance: int) -> list:
            return [[r["customer_id"], r["n"], 0] for r in ticket_db(
                "SELECT customer_id::text, count(*)::int AS n FROM ticket"
                " WHERE accepted_at >= '2031-05-01T00:00:00+08:00'"
                " AND accepted_at < '2031-06-01T00:00:00+08:00'"
                " AND level_of(customer_id) <= %s GROUP BY 1"
                " ORDER BY 2 DESC, customer_id::text COLLATE \"C\" LIMIT 3", clearance)]

        cleared = rpc("report", roles=("manager",), clearance=3).top_customers(query)
        assert cleared["columns"] == ["customer_id", "tickets", "field_jobs"]
        assert cleared["rows"] == plain(3)
        assert [r[0] for r in cleared["rows"]] == [customers[1], customers[3], customers[0]]
        uncleared = rpc("report", roles=("supervisor",), clearance=0).top_customers(query)
        assert uncleared["rows"] == plain(0)
        assert customers[1] not in [r[0] for r in uncleared["rows"]]
        with pytest.raises(Forbidden):  # not a role that reads it
            rpc("report", roles=("field",)).top_customers(query)


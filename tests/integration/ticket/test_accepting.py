"""T1–T3 against real PostgreSQL and RabbitMQ: categories with forms, the whole ticket
record and its creation, repeat detection (with its window edges), the detail with its
trail, updates and their refusals."""
import datetime
import os
import uuid

import psycopg2
import psycopg2.extras
import pytest

from services.common.errors import Forbidden, Invalid, NotFound
from services.ticket.store import tickets as ticket_store
from tests.helpers import random_mobile

FORM = [
    {"name": "fault_type", "label": "故障类型", "type": "choice", "required": True,
     "choices": ["不制冷", "漏水", "噪音"]},
    {"name": "visit_address", "type": "address"},
    {"name": "rooms", "type": "number", "min": 1, "max": 9},
]


def connect():
    """The ticket test database as its owner (tests write history the RPCs cannot)."""
    uri = os.environ.get("KEFU_TICKET_OWNER_DB_URI") or os.environ["KEFU_TICKET_DB_URI"]
    conn = psycopg2.connect(uri, cursor_factory=psycopg2.extras.RealDictCursor)
    conn.autocommit = True
    return conn


def earlier_ticket(customer_id: str, accepted_at, kind="after_sales", category_id=None,
                   content="空调不制冷", assignee_id=None) -> str:
    """An earlier ticket written straight into the database with a chosen accepted_at."""
    with connect() as conn, conn.cursor() as cur:
        cur.execute(
            "INSERT INTO ticket (serial, kind, customer_id, content, channel, urgency,"
            " acceptor_id, accepted_at, category_id, assignee_id)"
            " VALUES (%s, %s, %s, %s, 'phone', 'medium', 'test', %s, %s, %s) RETURNING id::text",
            (f"T-{uuid.uuid4().hex}", kind, customer_id, content, accepted_at, category_id,
             assignee_id))
        ticket_id = cur.fetchone()["id"]
    conn.close()
    return ticket_id


def db_now() -> datetime.datetime:
    with connect() as conn, conn.cursor() as cur:
        cur.execute("SELECT now() AS now")
        now = cur.fetchone()["now"]
    conn.close()
    return now


@pytest.fixture
def services(start):
    start("customer")
    start("ticket")


@pytest.fixture
def admin(rpc, services):
    return rpc("ticket", roles=("admin",))


@pytest.fixture
def agent(rpc, services):
    return rpc("ticket", roles=("agent",), staff_id=f"agent-{uuid.uuid4().hex[:8]}")


@pytest.fixture
def customer(rpc, services):
    return rpc("customer").create_customer({
        "name": "周九", "phones": [random_mobile()],
        "assets": [{"product": "空调", "serial": f"IN-{uuid.uuid4().hex[:8]}",
                    "warranty_end": "2099-12-31"},
                   {"product": "冰箱", "serial": f"OUT-{uuid.uuid4().hex[:8]}",
                    "warranty_end": "2001-01-01"}]})


@pytest.fixture
def repair(admin):
    return admin.create_category({"kind": "after_sales", "subtype": "repair",
                                  "name": f"空调维修-{uuid.uuid4().hex[:6]}", "form": FORM})


def body(customer, **over) -> dict:
    data = {"customer_id": customer["id"], "kind": "after_sales", "content": "空调不制冷"}
    data.update(over)
    return data


def same_record(a: dict, b: dict) -> bool:
    """Equal tickets; times compared as instants (the SLA hook may answer in +08:00)."""
    def norm(t):
        return {k: datetime.datetime.fromisoformat(v) if k.endswith("_at") and v else v
                for k, v in t.items()}
    return norm(a) == norm(b)


def tickets_of(customer) -> int:
    with connect() as conn, conn.cursor() as cur:
        cur.execute("SELECT count(*) AS n FROM ticket WHERE customer_id = %s", (customer["id"],))
        n = cur.fetchone()["n"]
    conn.close()
    return n


class TestT1Categories:
    def test_admin_configures_a_category_and_staff_read_it(self, admin, agent, repair):
        assert repair["kind"] == "after_sales" and repair["subtype"] == "repair"
        assert repair["form"][0]["choices"] == ["不制冷", "漏水", "噪音"]
        assert agent.get_category(repair["id"]) == repair
        listed = agent.list_categories({"kind": "after_sales"})["categories"]
        assert repair["id"] in [c["id"] for c in listed]
        assert all(c["kind"] == "after_sales" for c in listed)

    def test_agents_may_not_configure(self, agent):
        with pytest.raises(Forbidden):
            agent.create_category({"kind": "complaint", "name": "x"})

    def test_deactivated_category_leaves_the_list_and_refuses_tickets(
            self, admin, agent, repair, customer):
        changed = admin.update_category(repair["id"], {"active": False})
        assert changed["active"] is False
        assert repair["id"] not in [c["id"] for c in agent.list_categories()["categories"]]
        assert repair["id"] in [c["id"] for c in agent.list_categories(
            {"include_inactive": True})["categories"]]
        with pytest.raises(Invalid) as exc:
            agent.create_ticket(body(customer, category_id=repair["id"],
                                     form={"fault_type": "漏水"}))
        assert list(exc.value.fields) == ["category_id"]

    def test_kind_of_a_category_is_fixed_and_bad_ids_are_not_found(self, admin, repair):
        with pytest.raises(Invalid) as exc:
            admin.update_category(repair["id"], {"kind": "complaint"})
        assert list(exc.value.fields) == ["kind"]
        for bad in ("not-a-uuid", str(uuid.uuid4())):
            with pytest.raises(NotFound):
                admin.get_category(bad)

    def test_same_name_twice_under_a_kind_conflicts(self, admin, repair):
        from services.common.errors import Conflict
        with pytest.raises(Conflict):
            admin.create_category({"kind": "after_sales", "subtype": "repair",
                                   "name": repair["name"]})

    def test_form_values_are_checked_on_create_and_nothing_is_written(
            self, agent, repair, customer):
        with pytest.raises(Invalid) as exc:
            agent.create_ticket(body(customer, category_id=repair["id"],
                                     form={"fault_type": "冒烟", "rooms": 20, "colour": "红"}))
        assert exc.value.fields == {"form.fault_type": ["not one of 不制冷, 漏水, 噪音"],
                                    "form.rooms": ["must be at most 9"],
                                    "form.colour": ["no such field in this category's form"]}
        assert tickets_of(customer) == 0

    def test_a_category_of_another_kind_is_refused(self, agent, repair, customer):
        with pytest.raises(Invalid) as exc:
            agent.create_ticket(body(customer, kind="complaint", category_id=repair["id"]))
        assert exc.value.fields == {"category_id": ["belongs to after_sales, not complaint"]}


class TestT2Record:
    def test_the_whole_record_is_kept_with_trail_due_times_and_event(
            self, agent, repair, customer):
        serial = customer["assets"][0]["serial"]
        ticket = agent.create_ticket(body(
            customer, category_id=repair["id"], subject="空调坏了", channel="wechat",
            urgency="high", form={"fault_type": "不制冷", "rooms": 2},
            contact={"name": "周太太", "phone": "+86 138-0013-8000", "relation": "配偶"},
            asset_serial=serial, fee="80.5", paid=True, group_name="售后组"), "k1")
        assert ticket["category_id"] == repair["id"]
        assert ticket["form"] == {"fault_type": "不制冷", "rooms": 2}
        # issue 9 finding 7: a contact's phone in a ticket is masked for everyone
        assert ticket["contact"] == {"name": "周太太", "phone": "138****8000", "ext": None,
                                     "relation": "配偶"}
        assert (ticket["warranty"], ticket["fee"], ticket["paid"]) == ("in", "80.50", True)
        assert (ticket["channel"], ticket["urgency"], ticket["status"]) == (
            "wechat", "high", "new")
        assert ticket["group_name"] == "售后组" and ticket["repeat_of"] == []
        assert "response_due_at" in ticket and "resolution_due_at" in ticket
        assert agent.create_ticket(body(customer), "k1")["id"] == ticket["id"]  # idempotent

        detail = agent.get_ticket(ticket["id"])
        assert same_record(detail["ticket"], ticket)
        [created] = detail["trail"]
        assert (created["action"], created["to_status"], created["to_handler"]) == (
            "created", "new", "group:售后组")
        assert detail["handler"]["handler"] == "group:售后组"
        assert detail["category"]["id"] == repair["id"]
        with connect() as conn, conn.cursor() as cur:
            cur.execute("SELECT envelope FROM outbox WHERE event_type = 'ticket_created'"
                        " AND envelope->'data'->>'ticket_id' = %s", (ticket["id"],))
            [event] = cur.fetchall()
        conn.close()
        assert event["envelope"]["data"]["category_id"] == repair["id"]
        assert event["envelope"]["data"]["group_name"] == "售后组"

    def test_warranty_comes_from_the_customers_asset(self, agent, customer):
        out = customer["assets"][1]["serial"]
        assert agent.create_ticket(body(customer, asset_serial=out))["warranty"] == "out"
        assert agent.create_ticket(body(customer, kind="consultation",
                                        asset_serial="NOT-OURS"))["warranty"] == "unknown"
        assert agent.create_ticket(body(customer, kind="suggestion"))["warranty"] == "unknown"

    @pytest.mark.parametrize("bad, field", [
        ({"fee": "-1"}, "fee"), ({"fee": "1.234"}, "fee"), ({"fee": "abc"}, "fee"),
        ({"contact": {"phone": "12345"}}, "contact.phone"), ({"channel": "pigeon"}, "channel"),
        ({"category_id": str(uuid.uuid4())}, "category_id"), ({"paid": "maybe"}, "paid"),
    ])
    def test_bad_fields_are_refused_and_name_the_field(self, agent, customer, bad, field):
        with pytest.raises(Invalid) as exc:
            agent.create_ticket(body(customer, **bad))
        assert field in exc.value.fields
        assert tickets_of(customer) == 0

    def test_the_old_minimal_create_still_works(self, agent, customer):
        ticket = agent.create_ticket({"customer_id": customer["id"], "kind": "complaint",
                                      "content": "送货迟到"})
        assert ticket["serial"].startswith("TS-")
        assert (ticket["fee"], ticket["paid"], ticket["form"], ticket["contact"]) == (
            "0.00", False, {}, {})


class TestT3Repeats:
    def test_same_category_within_the_window_is_a_repeat_newest_first(
            self, agent, repair, customer):
        now = db_now()
        six = earlier_ticket(customer["id"], now - datetime.timedelta(days=6),
                             category_id=repair["id"], content="安装预约")
        two = earlier_ticket(customer["id"], now - datetime.timedelta(days=2),
                             category_id=repair["id"], content="外机噪音")
        earlier_ticket(customer["id"], now - datetime.timedelta(days=8),
                       category_id=repair["id"])  # outside the window
        earlier_ticket(customer["id"], now - datetime.timedelta(days=1), kind="complaint",
                       category_id=None)  # another kind
        ticket = agent.create_ticket(body(customer, category_id=repair["id"],
                                          form={"fault_type": "漏水"}, content="漏水了"))
        assert ticket["repeat_of"] == [two, six]
        detail = agent.get_ticket(ticket["id"])
        assert [r["id"] for r in detail["repeats"]] == [two, six]
        assert all(r["serial"].startswith("T-") for r in detail["repeats"])

    def test_similar_content_in_another_category_is_a_repeat(self, agent, repair, customer):
        now = db_now()
        similar = earlier_ticket(customer["id"], now - datetime.timedelta(days=3),
                                 content="客厅空调不制冷，外机不转")
        earlier_ticket(customer["id"], now - datetime.timedelta(days=3),
                       category_id=None, kind="after_sales", content="发票开错了")
        ticket = agent.create_ticket(body(customer, category_id=repair["id"],
                                          form={"fault_type": "不制冷"},
                                          content="客厅空调不制冷，外机不转了"))
        assert ticket["repeat_of"] == [similar]

    def test_the_window_is_configurable_per_kind(self, admin, agent, customer):
        now = db_now()
        old = earlier_ticket(customer["id"], now - datetime.timedelta(days=10),
                             kind="suggestion", content="希望增加夜间服务")
        try:
            assert admin.set_repeat_rule({"kind": "suggestion", "window_days": 14,
                                          "threshold": 0.9}) == {
                "kind": "suggestion", "window_days": 14, "threshold": 0.9}
            rules = {r["kind"]: r for r in agent.repeat_rules()["rules"]}
            assert rules["suggestion"]["window_days"] == 14
            assert rules["complaint"] == {"kind": "complaint", "window_days": 7,
                                          "threshold": 0.5}
            ticket = agent.create_ticket(body(customer, kind="suggestion", content="别的"))
            assert ticket["repeat_of"] == [old]
            admin.set_repeat_rule({"kind": "suggestion", "window_days": 0, "threshold": 0.5})
            assert agent.create_ticket(body(customer, kind="suggestion",
                                            content="别的"))["repeat_of"] == []
        finally:
            with connect() as conn, conn.cursor() as cur:
                cur.execute("DELETE FROM repeat_rule WHERE kind = 'suggestion'")
            conn.close()

    def test_agents_may_not_change_the_rules(self, agent):
        with pytest.raises(Forbidden):
            agent.set_repeat_rule({"kind": "complaint", "window_days": 1, "threshold": 0.5})


class TestT3WindowEdges:
    """The SQL itself, at a chosen moment: the far edge is inclusive to the microsecond."""

    def find(self, customer_id, at, category_id=None, content="完全不同的话"):
        with connect() as conn, conn.cursor() as cur:
            found = ticket_store.repeats_of(
                cur, customer_id, "after_sales", category_id, content,
                at - datetime.timedelta(days=7), at, 0.5, 5)
        conn.close()
        return found

    def test_edges_of_a_seven_day_window(self):
        customer_id = str(uuid.uuid4())
        at = datetime.datetime(2026, 3, 10, 12, 0, tzinfo=datetime.UTC)
        edge = at - datetime.timedelta(days=7)
        second = datetime.timedelta(seconds=1)
        on_edge = earlier_ticket(customer_id, edge)
        inside = earlier_ticket(customer_id, edge + second)
        earlier_ticket(customer_id, edge - second)                       # outside
        earlier_ticket(customer_id, edge - datetime.timedelta(microseconds=1))  # outside
        earlier_ticket(customer_id, at + second)                         # after: not earlier
        same_moment = earlier_ticket(customer_id, at)
        assert self.find(customer_id, at) == [same_moment, inside, on_edge]

    def test_category_must_match_unless_content_is_similar(self):
        customer_id = str(uuid.uuid4())
        at = datetime.datetime(2026, 3, 10, 12, 0, tzinfo=datetime.UTC)
        day = datetime.timedelta(days=1)
        with connect() as conn, conn.cursor() as cur:
            cur.execute("INSERT INTO category (kind, subtype, name) VALUES"
                        " ('after_sales', 'repair', %s) RETURNING id::text",
                        (f"edge-{uuid.uuid4().hex[:6]}",))
            category_id = cur.fetchone()["id"]
        conn.close()
        same = earlier_ticket(customer_id, at - day, category_id=category_id, content="甲")
        earlier_ticket(customer_id, at - day, category_id=None, content="乙")  # other category
        similar = earlier_ticket(customer_id, at - 2 * day, content="洗衣机脱水时噪音很大")
        assert self.find(customer_id, at, category_id, "洗衣机脱水时噪音很大啊") == [same, similar]
        assert self.find(customer_id, at, category_id, "毫不相干") == [same]

    def test_at_most_five_newest_first(self):
        customer_id = str(uuid.uuid4())
        at = datetime.datetime(2026, 3, 10, 12, 0, tzinfo=datetime.UTC)
        ids = [earlier_ticket(customer_id, at - datetime.timedelta(hours=h))
               for h in range(1, 8)]
        assert self.find(customer_id, at) == ids[:5]

    def test_the_query_reads_the_customer_by_index(self):
        class Capture:  # records the store's SQL instead of running it
            def execute(self, sql, params):
                self.sql, self.params = sql, params

            def fetchall(self):
                return []

        capture = Capture()
        now = db_now()
        ticket_store.repeats_of(capture, str(uuid.uuid4()), "after_sales", None, "x",
                                now - datetime.timedelta(days=7), now, 0.5, 5)
        for _ in range(200):  # many customers with a few tickets each, as in production
            earlier_ticket(str(uuid.uuid4()), now - datetime.timedelta(days=1))
        with connect() as conn, conn.cursor() as cur:
            cur.execute("ANALYZE ticket")
            cur.execute("SET enable_seqscan = off")
            cur.execute("EXPLAIN " + capture.sql, capture.params)
            plan = [r["QUERY PLAN"] for r in cur.fetchall()]
        conn.close()
        # The customer's few tickets are found through an index bounded by customer_id
        # (ticket_customer_kind or ticket_customer), never by walking kind or date indexes.
        bounds = [line for line in plan if "Index Cond" in line]
        assert bounds and "customer_id =" in bounds[0], "\n".join(plan)


class TestDetailAndUpdate:
    def test_field_staff_see_only_their_own_tickets(self, rpc, agent, customer):
        field_id = f"field-{uuid.uuid4().hex[:8]}"
        field = rpc("ticket", roles=("field",), staff_id=field_id)
        mine = earlier_ticket(customer["id"], db_now(), assignee_id=field_id)
        theirs = agent.create_ticket(body(customer))
        assert field.get_ticket(mine)["handler"]["handler"] == f"staff:{field_id}"
        with pytest.raises(NotFound):
            field.get_ticket(theirs["id"])
        # issue 9 finding 8: an agent reaches their own and their groups' tickets only
        with pytest.raises(NotFound):
            agent.get_ticket(mine)
        assert rpc("ticket", roles=("manager",)).get_ticket(mine)["ticket"]["id"] == mine
        for bad in ("1; DROP TABLE ticket", str(uuid.uuid4())):
            with pytest.raises(NotFound):
                agent.get_ticket(bad)

    def test_update_changes_editable_fields_and_writes_one_trail_row(
            self, admin, agent, repair, customer):
        ticket = agent.create_ticket(body(customer, category_id=repair["id"],
                                          form={"fault_type": "漏水", "rooms": 1}))
        other = admin.create_category({"kind": "after_sales", "subtype": "maintenance",
                                       "name": f"保养-{uuid.uuid4().hex[:6]}",
                                       "form": [{"name": "plan", "type": "choice",
                                                 "choices": ["年度"], "required": True}]})
        detail = agent.update_ticket(ticket["id"], {"fee": "120", "paid": True,
                                                    "form": {"rooms": 3},
                                                    "contact": {"phone": "13800138000"}})
        assert (detail["ticket"]["fee"], detail["ticket"]["paid"]) == ("120.00", True)
        assert detail["ticket"]["form"] == {"fault_type": "漏水", "rooms": 3}
        assert detail["ticket"]["contact"]["phone"] == "138****8000"  # issue 9 finding 7
        assert detail["trail"][-1]["action"] == "updated"
        assert detail["trail"][-1]["note"] == "changed: form, contact, fee, paid"

        with pytest.raises(Invalid) as exc:  # the old values do not fit the new form
            agent.update_ticket(ticket["id"], {"category_id": other["id"]})
        assert set(exc.value.fields) == {"form.fault_type", "form.rooms", "form.plan"}
        moved = agent.update_ticket(ticket["id"], {
            "category_id": other["id"],
            "form": {"fault_type": None, "rooms": None, "plan": "年度"}})
        assert moved["ticket"]["form"] == {"plan": "年度"}
        assert moved["ticket"]["category_id"] == other["id"]

        same = agent.update_ticket(ticket["id"], {"fee": "120.00"})  # no change, no row
        assert len(same["trail"]) == len(moved["trail"])

    def test_mass_assignment_is_refused_and_nothing_changes(self, agent, customer):
        ticket = agent.create_ticket(body(customer))
        with pytest.raises(Invalid) as exc:
            agent.update_ticket(ticket["id"], {"fee": "5", "status": "closed",
                                               "assignee_id": "me", "serial": "X"})
        assert set(exc.value.fields) == {"status", "assignee_id", "serial"}
        after = agent.get_ticket(ticket["id"])
        assert same_record(after["ticket"], ticket)
        assert len(after["trail"]) == 1

    def test_category_moves_only_within_the_kind(self, agent, repair, customer):
        ticket = agent.create_ticket(body(customer, kind="complaint"))
        with pytest.raises(Invalid) as exc:
            agent.update_ticket(ticket["id"], {"category_id": repair["id"]})
        assert list(exc.value.fields) == ["category_id"]

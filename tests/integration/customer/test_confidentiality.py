"""C4 confidentiality and the borrowing log (S4), against real PostgreSQL and RabbitMQ:
card vs archive, logging in the read's transaction, top secret borrowing, unmasking,
declassification by the timer, row-level security as the second wall, append-only log."""
import datetime
import os
import time

import psycopg2
import psycopg2.extras
import pytest

from services.common.errors import Forbidden, Invalid, NotFound
from tests.helpers import random_mobile

MANAGER = {"roles": ("manager",), "clearance": 3}


def owner_conn():
    conn = psycopg2.connect(os.environ["KEFU_CUSTOMER_OWNER_DB_URI"],
                            cursor_factory=psycopg2.extras.RealDictCursor)
    conn.autocommit = True
    return conn


def runtime_conn():
    conn = psycopg2.connect(os.environ["KEFU_CUSTOMER_DB_URI"],
                            cursor_factory=psycopg2.extras.RealDictCursor)
    conn.autocommit = True
    return conn


def log_rows(customer_id: str) -> list[dict]:
    with owner_conn() as conn, conn.cursor() as cur:
        cur.execute("SELECT * FROM access_log WHERE customer_id = %s ORDER BY seq", (customer_id,))
        return cur.fetchall()


@pytest.fixture
def customers(start, rpc):
    start("customer")
    return rpc


def make_customer(rpc, **extra) -> dict:
    body = {"name": "保密客户", "phones": [random_mobile()], "notes": "大客户, 谈判中",
            "person": {"gender": "female", "occupation": "律师"}, **extra}
    return rpc("customer", roles=("agent",)).create_customer(body)


def classify(rpc, cid, level, **extra):
    return rpc("customer", **MANAGER).classify(cid, {"level": level, "reason": "商业敏感",
                                                     **extra})


class TestCardAndArchive:
    def test_c4_ordinary_archive_is_open_to_agents_and_not_logged(self, customers):
        created = make_customer(customers)
        seen = customers("customer").get_customer(created["id"])
        assert seen["archive"]["notes"] == "大客户, 谈判中"
        assert log_rows(created["id"]) == []

    def test_c4_agent_gets_the_card_with_archive_null_and_the_denial_is_logged(self, customers):
        created = make_customer(customers)
        classify(customers, created["id"], 2)
        before = len(log_rows(created["id"]))
        seen = customers("customer", roles=("agent",), clearance=3).get_customer(created["id"])
        assert seen["archive"] is None
        assert seen["name"] == "保密客户" and seen["level"] == 2
        assert seen["phones"][0]["masked"].count("*") == 4
        rows = log_rows(created["id"])
        assert len(rows) == before + 1 and rows[-1]["action"] == "deny"

    def test_c4_manager_reads_the_archive_and_exactly_one_row_is_written(self, customers):
        created = make_customer(customers)
        classify(customers, created["id"], 2)
        before = len(log_rows(created["id"]))
        seen = customers("customer", roles=("manager",), clearance=2,
                         staff_id="mgr-reader").get_customer(created["id"], "投诉处理")
        assert seen["archive"]["notes"] == "大客户, 谈判中"
        rows = log_rows(created["id"])
        assert len(rows) == before + 1
        assert (rows[-1]["action"], rows[-1]["actor_id"], rows[-1]["reason"]) == (
            "read_archive", "mgr-reader", "投诉处理")

    def test_c4_manager_below_the_level_is_refused(self, customers):
        created = make_customer(customers)
        classify(customers, created["id"], 2)
        seen = customers("customer", roles=("manager",), clearance=1).get_customer(created["id"])
        assert seen["archive"] is None

    def test_c4_nobody_classifies_above_their_clearance(self, customers):
        created = make_customer(customers)
        with pytest.raises(Forbidden):
            customers("customer", roles=("manager",), clearance=1).classify(
                created["id"], {"level": 2, "reason": "试试"})
        assert customers("customer").get_customer(created["id"])["level"] == 0

    def test_c4_agents_may_not_classify(self, customers):
        created = make_customer(customers)
        with pytest.raises(Forbidden):
            customers("customer", roles=("agent",), clearance=3).classify(
                created["id"], {"level": 1, "reason": "试试"})


class TestTopSecretBorrowing:
    def test_c4_top_secret_needs_an_approved_request_from_another_manager(self, customers):
        created = make_customer(customers)
        classify(customers, created["id"], 3)
        borrower = customers("customer", roles=("manager",), clearance=3, staff_id="borrower")
        assert borrower.get_customer(created["id"])["archive"] is None
        request = borrower.request_access({"customer_id": created["id"], "reason": "诉讼",
                                           "hours": 2})
        with pytest.raises(Forbidden):
            borrower.decide_access_request(request["id"], {"decision": "approve"})
        approver = customers("customer", roles=("general_manager",), clearance=3,
                             staff_id="approver")
        granted = approver.decide_access_request(request["id"], {"decision": "approve"})
        assert granted["status"] == "approved" and granted["expires_at"]
        assert borrower.get_customer(created["id"])["archive"]["notes"] == "大客户, 谈判中"
        other = customers("customer", roles=("manager",), clearance=3, staff_id="someone-else")
        assert other.get_customer(created["id"])["archive"] is None
        actions = [r["action"] for r in log_rows(created["id"])]
        assert {"request", "grant", "read_archive", "deny"} <= set(actions)

    def test_c4_only_top_secret_records_take_requests(self, customers):
        created = make_customer(customers)
        with pytest.raises(Invalid):
            customers("customer", **MANAGER).request_access(
                {"customer_id": created["id"], "reason": "看看", "hours": 1})


class TestUnmask:
    def test_c4_unmasking_is_a_permission_and_always_logged(self, customers):
        mobile = random_mobile()
        created = make_customer(customers, phones=[mobile])
        with pytest.raises(Forbidden):
            customers("customer", roles=("agent",)).unmask_phones(created["id"], "回拨")
        shown = customers("customer", roles=("supervisor",)).unmask_phones(created["id"], "回拨")
        assert shown["phones"][0]["e164"] == "+86" + mobile
        assert [r["action"] for r in log_rows(created["id"])] == ["deny", "unmask"]


class TestDeclassification:
    def test_c4_declassification_takes_effect_by_itself(self, customers):
        created = make_customer(customers)
        at = datetime.datetime.now(datetime.UTC) + datetime.timedelta(seconds=2)
        classify(customers, created["id"], 2, declassify_at=at.isoformat(), declassify_to=0)
        agent = customers("customer", roles=("agent",))
        assert agent.get_customer(created["id"])["archive"] is None
        time.sleep(2.2)
        seen = agent.get_customer(created["id"])
        assert seen["effective_level"] == 0 and seen["archive"] is not None
        deadline = time.monotonic() + 10  # the timer materialises it and logs it
        while time.monotonic() < deadline and "declassify" not in [
                r["action"] for r in log_rows(created["id"])]:
            time.sleep(0.2)
        assert agent.get_customer(created["id"])["level"] == 0
        assert "declassify" in [r["action"] for r in log_rows(created["id"])]

    def test_c4_declassification_must_lie_in_the_future_and_below_the_level(self, customers):
        created = make_customer(customers)
        past = (datetime.datetime.now(datetime.UTC) - datetime.timedelta(hours=1)).isoformat()
        with pytest.raises(Invalid):
            classify(customers, created["id"], 2, declassify_at=past, declassify_to=0)
        future = (datetime.datetime.now(datetime.UTC) + datetime.timedelta(hours=1)).isoformat()
        with pytest.raises(Invalid):
            classify(customers, created["id"], 1, declassify_at=future, declassify_to=2)


class TestSecondWall:
    """Row-level security holds even when the Python checks are bypassed."""

    def test_rls_hides_archives_above_the_bound_clearance(self, customers):
        created = make_customer(customers)
        classify(customers, created["id"], 2)
        with runtime_conn() as conn, conn.cursor() as cur:
            cur.execute("SELECT count(*) AS n FROM customer_archive WHERE customer_id = %s",
                        (created["id"],))
            assert cur.fetchone()["n"] == 0  # no principal bound: nothing at all
            cur.execute("BEGIN")
            cur.execute("SELECT set_config('kefu.principal', 'x', true),"
                        " set_config('kefu.clearance', '1', true),"
                        " set_config('kefu.classified', 'on', true)")
            cur.execute("SELECT count(*) AS n FROM customer_archive WHERE customer_id = %s",
                        (created["id"],))
            assert cur.fetchone()["n"] == 0
            cur.execute("SELECT count(*) AS n FROM customer WHERE id = %s", (created["id"],))
            assert cur.fetchone()["n"] == 1  # the card stays visible
            cur.execute("SELECT set_config('kefu.clearance', '2', true)")
            cur.execute("SELECT count(*) AS n FROM customer_archive WHERE customer_id = %s",
                        (created["id"],))
            assert cur.fetchone()["n"] == 1
            cur.execute("ROLLBACK")

    def test_rls_is_forced_and_the_runtime_role_owns_nothing(self, customers):
        with owner_conn() as conn, conn.cursor() as cur:
            cur.execute("SELECT relname, relrowsecurity, relforcerowsecurity,"
                        " pg_get_userbyid(relowner) AS owner FROM pg_class WHERE relname IN"
                        " ('customer', 'customer_archive', 'customer_phone', 'customer_email',"
                        " 'customer_asset')")
            rows = cur.fetchall()
        assert len(rows) == 5
        assert all(r["relrowsecurity"] and r["relforcerowsecurity"] for r in rows)
        assert all(r["owner"] == "kefu_customer_owner" for r in rows)


class TestAppendOnlyLog:
    def test_s4_the_runtime_role_may_not_update_or_delete_the_log(self, customers):
        created = make_customer(customers)
        classify(customers, created["id"], 1)
        for sql in ("UPDATE access_log SET reason = 'x'", "DELETE FROM access_log",
                    "TRUNCATE access_log", "UPDATE access_log_head SET seq = 0"):
            conn = runtime_conn()
            try:
                with pytest.raises(psycopg2.errors.InsufficientPrivilege), conn.cursor() as cur:
                    cur.execute(sql)
            finally:
                conn.close()

    def test_c4_reading_the_log_needs_a_manager_or_auditor(self, customers):
        created = make_customer(customers)
        classify(customers, created["id"], 1)
        with pytest.raises(Forbidden):
            customers("customer", roles=("agent",)).access_log(created["id"])
        entries = customers("customer", roles=("auditor",)).access_log(created["id"])["entries"]
        assert "classify" in [e["action"] for e in entries]
        assert [e["seq"] for e in entries] == sorted((e["seq"] for e in entries), reverse=True)

    def test_unknown_customer_log_is_not_found(self, customers):
        with pytest.raises(NotFound):
            customers("customer", roles=("auditor",)).access_log(
                "00000000-0000-0000-0000-000000000000")

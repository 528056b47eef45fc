"""Issue 9, finding 9 (the customer service's part c): row-level security is a second
wall of its own.  The runtime role, the one the service connects with, cannot open the
archives by setting a configuration variable (`kefu.system` means nothing to the
policies any more: what needs to see everything runs in functions owned by the owner
role); and every customer table with personal data has a policy of its own: archive
fields of the change history need the archive, borrowing requests show to their
requester and the log's readers, imports (with their row errors) to importers, the
borrowing log to its readers and to the actor of each row.  Each check runs straight on
the runtime role, bypassing the Python rules."""
import os
import uuid
from contextlib import contextmanager

import psycopg2
import psycopg2.extras
import pytest

from tests.helpers import random_mobile

MANAGER = {"roles": ("manager",), "clearance": 3}


@contextmanager
def runtime_as(principal: str, clearance: int = 0, classified: bool = False,
               roles: tuple = ("agent",), **extra):
    """A transaction of the runtime role told (as the service tells it) who asks; rolled
    back at the end.  `extra` sets more kefu.* variables, as an attacker holding the
    runtime role would."""
    conn = psycopg2.connect(os.environ["KEFU_CUSTOMER_DB_URI"],
                            cursor_factory=psycopg2.extras.RealDictCursor)
    try:
        with conn.cursor() as cur:
            settings = {"principal": principal, "clearance": str(clearance),
                        "classified": "on" if classified else "off",
                        "roles": ",".join(roles), **extra}
            for key, value in settings.items():
                cur.execute("SELECT set_config(%s, %s, true)", (f"kefu.{key}", value))
            yield cur
    finally:
        conn.rollback()
        conn.close()


def count(cur, sql: str, *args) -> int:
    cur.execute(sql, args)
    return cur.fetchone()["n"]


@pytest.fixture
def customers(start, rpc):
    start("customer")
    return rpc


def classified_customer(rpc, level: int) -> dict:
    created = rpc("customer", roles=("agent",)).create_customer(
        {"name": "二道墙", "phones": [random_mobile()], "notes": "最初的备注"})
    rpc("customer", **MANAGER).update_customer(created["id"], {"notes": "改过的备注"})
    rpc("customer", **MANAGER).classify(created["id"], {"level": level, "reason": "二道墙"})
    return created


class TestSystemMode:
    def test_finding9c_setting_kefu_system_opens_no_archive(self, customers):
        """Finding 9c: the runtime role could set kefu.system itself and read every
        archive; now the variable opens nothing."""
        cid = classified_customer(customers, 2)["id"]
        archive = "SELECT count(*) AS n FROM customer_archive WHERE customer_id = %s"
        with runtime_as("intruder", clearance=0, system="on") as cur:
            assert count(cur, archive, cid) == 0
            assert count(cur, "SELECT count(*) AS n FROM customer WHERE id = %s", cid) == 1
        with runtime_as("intruder", clearance=1, classified=True, roles=("manager",),
                        system="on") as cur:
            assert count(cur, archive, cid) == 0
        with runtime_as("reader", clearance=2, classified=True, roles=("manager",)) as cur:
            assert count(cur, archive, cid) == 1  # the rule itself still opens it

    def test_finding9c_system_work_runs_in_owner_functions_only(self, customers):
        """What needs to see everything (the erase, the search-key rebuild) is a
        function owned by the owner role; the runtime role owns nothing and cannot
        become the owner."""
        with runtime_as("intruder") as cur:
            cur.execute("SELECT p.proname, pg_get_userbyid(p.proowner) AS owner, p.prosecdef"
                        " FROM pg_proc p WHERE p.proname IN ('customer_erase',"
                        " 'customer_search_rebuild')")
            functions = {r["proname"]: r for r in cur.fetchall()}
            assert set(functions) == {"customer_erase", "customer_search_rebuild"}
            assert all(f["prosecdef"] and f["owner"] == "kefu_customer_owner"
                       for f in functions.values())
            cur.execute("SELECT pg_has_role(current_user, 'kefu_customer_owner', 'MEMBER')"
                        " AS member")
            assert cur.fetchone()["member"] is False

    def test_finding9c_the_erase_function_needs_a_third_approval(self, customers):
        cid = classified_customer(customers, 3)["id"]
        with runtime_as("intruder") as cur, pytest.raises(psycopg2.errors.RaiseException):
            cur.execute("SELECT customer_erase(%s, '已销毁客户')", (str(uuid.uuid4()),))
        with runtime_as("reader", clearance=3, classified=True, roles=("manager",)) as cur:
            assert count(cur, "SELECT count(*) AS n FROM customer_archive"
                              " WHERE customer_id = %s", cid) == 0  # no grant: no archive


class TestPoliciesOfEachTable:
    def test_finding9c_archive_fields_of_the_history_need_the_archive(self, customers):
        cid = classified_customer(customers, 2)["id"]
        fields = ("SELECT array_agg(DISTINCT field) AS f FROM customer_history"
                  " WHERE customer_id = %s")
        with runtime_as("agent-x") as cur:
            cur.execute(fields, (cid,))
            seen = set(cur.fetchone()["f"] or [])
            assert "notes" not in seen and {"name", "level"} <= seen
        with runtime_as("mgr-x", clearance=2, classified=True, roles=("manager",)) as cur:
            cur.execute(fields, (cid,))
            assert "notes" in set(cur.fetchone()["f"])

    def test_finding9c_borrowing_requests_show_to_requester_and_log_readers(self, customers):
        cid = classified_customer(customers, 3)["id"]
        borrower = customers("customer", **MANAGER, staff_id=f"borrower-{uuid.uuid4().hex[:6]}")
        request = borrower.request_access({"customer_id": cid, "reason": "诉讼材料", "hours": 1})
        mine = "SELECT count(*) AS n FROM access_request WHERE id = %s"
        with runtime_as("agent-y") as cur:
            assert count(cur, mine, request["id"]) == 0
        with runtime_as(request["requester_id"], clearance=3, classified=True,
                        roles=("manager",)) as cur:
            assert count(cur, mine, request["id"]) == 1
            # the requester may not decide their own request, even in SQL
            with pytest.raises(psycopg2.errors.InsufficientPrivilege):
                cur.execute("UPDATE access_request SET status = 'approved', decided_by = %s,"
                            " decided_at = now(), expires_at = now() + interval '1 hour'"
                            " WHERE id = %s", (request["requester_id"], request["id"]))
        with runtime_as("auditor-y", roles=("auditor",)) as cur:
            assert count(cur, mine, request["id"]) == 1
        with runtime_as("agent-y") as cur, pytest.raises(psycopg2.errors.InsufficientPrivilege):
            cur.execute("INSERT INTO access_request (customer_id, requester_id, reason, hours,"
                        " status, decided_by, expires_at) VALUES (%s, 'agent-y', 'x', 1,"
                        " 'approved', 'someone', now() + interval '1 hour')", (cid,))

    def test_finding9c_imports_and_their_row_errors_show_to_importers(self, customers):
        import base64
        sup = customers("customer", roles=("supervisor",), staff_id=f"sup-{uuid.uuid4().hex[:6]}")
        result = sup.import_customers({
            "filename": "a.csv", "dry_run": True,
            "content": base64.b64encode("姓名,手机\n张三,12345\n".encode()).decode()})
        assert result["errors"]
        one = "SELECT count(*) AS n FROM customer_import WHERE id = %s"
        with runtime_as("agent-z") as cur:
            assert count(cur, one, result["id"]) == 0
        with runtime_as(result["actor_id"], roles=("supervisor",)) as cur:
            assert count(cur, one, result["id"]) == 1
        with runtime_as("admin-z", roles=("admin",)) as cur:
            assert count(cur, one, result["id"]) == 1

    def test_finding9c_the_borrowing_log_shows_to_its_readers_and_each_row_to_its_actor(
            self, customers):
        cid = classified_customer(customers, 1)["id"]
        rows = "SELECT count(*) AS n FROM access_log WHERE customer_id = %s"
        with runtime_as("agent-w") as cur:
            assert count(cur, rows, cid) == 0
        with runtime_as("auditor-w", roles=("auditor",)) as cur:
            assert count(cur, rows, cid) >= 1
        reader_id = f"agent-{uuid.uuid4().hex[:6]}"
        customers("customer", roles=("agent",), staff_id=reader_id).get_customer(cid)
        with runtime_as(reader_id) as cur:  # a denial, logged in the reader's name
            assert count(cur, rows, cid) == 1
        with runtime_as("agent-w") as cur, pytest.raises(psycopg2.errors.InsufficientPrivilege):
            cur.execute("INSERT INTO access_log (actor_id, action, prev_hash, hash)"
                        " VALUES ('someone-else', 'read_archive', '', '')")

    def test_finding9c_every_table_with_personal_data_has_forced_row_level_security(
            self, customers):
        """Except the search keys (card data: names, pinyin, phones), on purpose: a policy
        would stop their LIKE and trigram conditions from using an index (migration
        0006)."""
        personal = {"customer", "customer_phone", "customer_email", "customer_asset",
                    "customer_archive", "customer_history", "access_request", "access_log",
                    "customer_import", "destruction_request", "destruction_approval",
                    "phone_lookup_count"}
        with runtime_as("x") as cur:
            cur.execute("SELECT relname, relrowsecurity AND relforcerowsecurity AS forced,"
                        " (SELECT count(*) FROM pg_policy p WHERE p.polrelid = c.oid) AS policies"
                        " FROM pg_class c WHERE relname = ANY(%s)", (list(personal),))
            found = {r["relname"]: r for r in cur.fetchall()}
        assert set(found) == personal
        assert [t for t, r in found.items() if not (r["forced"] and r["policies"])] == []


"""S6 mass assignment: an agent who adds protected fields to a create or a change gets
400 naming the field, and nothing changes — the stored rows are byte-for-byte the same,
no history row, no event (real PostgreSQL and RabbitMQ, the customer service's RPC)."""
import os
import uuid
from contextlib import closing

import psycopg2
import psycopg2.extras
import pytest

from services.common.errors import Invalid
from tests.helpers import random_mobile

# Everything an agent must not set on a create or a change, with a tempting value.
PROTECTED = {
    # classification: only through PUT /classification
    "level": 3,
    "owner_id": "agent-mallory",
    "owner_group": "g-other",
    "declassify_at": "2030-01-01T00:00:00+08:00",
    "declassify_to": 0,
    # credit and grade: not an agent's to write
    "credit_class": "A",
    "credit": {"limit": "9999999.00"},
    "grade": "vip",
    # the system's own fields
    "id": "00000000-0000-0000-0000-00000000beef",
    "number": "KH99999999",
    "version": 99,
    "created_at": "2020-01-01T00:00:00+00:00",
    "updated_at": "2020-01-01T00:00:00+00:00",
    "destroyed": True,
    "destroyed_at": "2020-01-01T00:00:00+00:00",
    "merged_into": "00000000-0000-0000-0000-00000000beef",
    "reviewed_at": "2020-01-01T00:00:00+00:00",
    "last_contact_at": "2020-01-01T00:00:00+00:00",
    "name_pinyin": "mallory",
    "name_initials": "m",
    "effective_level": 0,
    "level_name": "普通",
    "archive": {"notes": "overwritten"},
    "archive_withheld": None,
    # not fields at all
    "clearance": 3,
    "roles": ["manager"],
    "created_by": "agent-mallory",
}
# Fields the update schema does not know at all (the kind never changes).
UPDATE_ONLY = {"kind": "organization"}


def owner_conn():
    conn = psycopg2.connect(os.environ["KEFU_CUSTOMER_OWNER_DB_URI"],
                            cursor_factory=psycopg2.extras.RealDictCursor)
    conn.autocommit = True
    return conn


def stored(cid: str) -> dict:
    """Every stored row of a customer as text, read past row-level security as the system,
    with its history and event counts."""
    queries = {
        "card": "SELECT to_jsonb(c)::text AS t FROM customer c WHERE id = %s",
        "archive": "SELECT to_jsonb(a)::text AS t FROM customer_archive a WHERE customer_id = %s",
        "phones": "SELECT to_jsonb(p)::text AS t FROM customer_phone p WHERE customer_id = %s"
                  " ORDER BY position",
        "emails": "SELECT to_jsonb(e)::text AS t FROM customer_email e WHERE customer_id = %s"
                  " ORDER BY position",
        "assets": "SELECT to_jsonb(a)::text AS t FROM customer_asset a WHERE customer_id = %s"
                  " ORDER BY id",
        "history": "SELECT count(*)::text AS t FROM customer_history WHERE customer_id = %s",
        "events": "SELECT count(*)::text AS t FROM outbox"
                  " WHERE envelope -> 'data' ->> 'customer_id' = %s",
        "log": "SELECT count(*)::text AS t FROM access_log WHERE customer_id = %s",
    }
    out = {}
    with closing(owner_conn()) as conn, conn.cursor() as cur:
        cur.execute("BEGIN")
        cur.execute("SELECT set_config('kefu.principal', 's6-test', true),"
                    " set_config('kefu.system', 'on', true)")
        for name, sql in queries.items():
            cur.execute(sql, (cid,))
            out[name] = [r["t"] for r in cur.fetchall()]
        cur.execute("ROLLBACK")
    return out


def totals() -> tuple[int, int, int]:
    """(customers, customer events, customer number sequence) — a refused create must
    leave all three alone."""
    with closing(owner_conn()) as conn, conn.cursor() as cur:
        cur.execute("BEGIN")
        cur.execute("SELECT set_config('kefu.principal', 's6-test', true),"
                    " set_config('kefu.system', 'on', true)")
        cur.execute("SELECT (SELECT count(*) FROM customer) AS customers,"
                    " (SELECT count(*) FROM outbox WHERE event_type LIKE 'customer%%') AS events,"
                    " (SELECT last_value FROM customer_number_seq) AS seq")
        row = cur.fetchone()
        cur.execute("ROLLBACK")
    return row["customers"], row["events"], row["seq"]


@pytest.fixture
def agent(start, rpc):
    start("customer")
    return rpc("customer", roles=("agent",), groups=("g1",), clearance=3,
               staff_id="agent-" + uuid.uuid4().hex[:8])


@pytest.fixture
def customer(agent):
    return agent.create_customer({
        "name": "钱七", "phones": [random_mobile()], "emails": ["qian@example.cn"],
        "region": "江苏省南京市", "tags": ["老客户"], "notes": "原始备注",
        "person": {"gender": "male", "occupation": "司机"},
        "assets": [{"kind": "vehicle", "product": "轿车", "plate": "苏A12345"}]})


@pytest.mark.parametrize("field", sorted(PROTECTED))
def test_s6_create_with_a_protected_field_is_refused_naming_it(agent, field):
    before = totals()
    with pytest.raises(Invalid) as caught:
        agent.create_customer({"name": "赵六", "phones": [random_mobile()], "notes": "新客户",
                               field: PROTECTED[field]})
    assert field in caught.value.fields, caught.value.fields
    assert totals() == before


@pytest.mark.parametrize("field", sorted(PROTECTED | UPDATE_ONLY))
def test_s6_change_with_a_protected_field_changes_nothing(agent, customer, field):
    cid = customer["id"]
    before = stored(cid)
    value = (PROTECTED | UPDATE_ONLY)[field]
    with pytest.raises(Invalid) as caught:
        # Legitimate fields alongside: the whole change is refused, not just the field.
        agent.update_customer(cid, {"name": "钱七改", "notes": "被改了", "tags": ["黑名单"],
                                    field: value})
    assert field in caught.value.fields, caught.value.fields
    assert stored(cid) == before
    assert agent.get_customer(cid) == customer


def test_s6_every_protected_field_at_once_is_refused_and_they_are_named(agent, customer):
    cid = customer["id"]
    before = stored(cid)
    with pytest.raises(Invalid) as caught:
        agent.update_customer(cid, {"notes": "被改了", **PROTECTED, **UPDATE_ONLY})
    # The allowlist names every field it knows to be protected at once; fields no schema
    # knows at all are named by the schema check that follows (one error per request).
    named = set(caught.value.fields)
    assert named <= set(PROTECTED | UPDATE_ONLY)
    assert {"level", "owner_id", "owner_group", "declassify_at", "declassify_to",
            "credit_class", "id", "number", "version"} <= named
    assert stored(cid) == before


@pytest.mark.parametrize("body", [
    {"person": {"gender": "female", "level": 3}},
    {"addresses": [{"text": "南京路1号", "owner_group": "g-other"}]},
    {"key_people": [{"name": "王总", "clearance": 3}]},
    {"credit": {"limit": "1.00"}},
], ids=["person.level", "addresses.owner_group", "key_people.clearance", "credit"])
def test_s6_protected_fields_nested_in_the_archive_are_refused(agent, customer, body):
    cid = customer["id"]
    before = stored(cid)
    with pytest.raises(Invalid) as caught:
        agent.update_customer(cid, body)
    named = next(iter(body))
    assert any(k == named or k.startswith(named + ".") for k in caught.value.fields), \
        caught.value.fields
    assert stored(cid) == before


def test_s6_an_asset_cannot_carry_another_customer_or_an_id(agent, customer):
    cid = customer["id"]
    before = stored(cid)
    with pytest.raises(Invalid) as caught:
        agent.add_asset(cid, {"product": "电视", "customer_id": str(uuid.uuid4()),
                              "id": str(uuid.uuid4())})
    assert {"customer_id", "id"} <= set(caught.value.fields)
    assert stored(cid) == before


def test_s6_control_the_same_change_without_protected_fields_does_change(agent, customer):
    """Proves the checks above can fail: a permitted change shows in rows, history, events."""
    cid = customer["id"]
    before = stored(cid)
    changed = agent.update_customer(cid, {"name": "钱七改", "notes": "被改了"})
    assert changed["name"] == "钱七改" and changed["archive"]["notes"] == "被改了"
    after = stored(cid)
    assert after["card"] != before["card"] and after["archive"] != before["archive"]
    assert int(after["history"][0]) == int(before["history"][0]) + 2
    assert int(after["events"][0]) == int(before["events"][0]) + 1

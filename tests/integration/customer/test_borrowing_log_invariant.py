"""S2 invariant against the real service and PostgreSQL: generated reads (hypothesis,
derandomized) by a staff pool of every role and clearance, on records of every level,
declassified or not, with grants that are approved, expired or pending.  After each read
the borrowing log holds exactly one new row of that reader for that record when the
record is classified (allowed or denied, the action saying which), none when ordinary;
and the archive is shown exactly when the plain reference allows it."""
import os
import uuid
from contextlib import closing

import psycopg2
import psycopg2.extras
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.helpers import random_mobile
from tests.unit.customer.test_access_property import ref_archive

READS = 300

# The staff pool: (staff id, roles, clearance, groups).
POOL = [
    ("s2-agent0", ("agent",), 0, ("g1",)),
    ("s2-agent3", ("agent",), 3, ("g1",)),
    ("s2-super2", ("supervisor",), 2, ("g1",)),
    ("s2-mgr1", ("manager",), 1, ("g2",)),
    ("s2-mgr2", ("manager",), 2, ("g1",)),
    ("s2-mgr3", ("manager",), 3, ("g1",)),          # approved grant on top1
    ("s2-mgr3-pending", ("manager",), 3, ("g1",)),  # pending request on top2
    ("s2-gm3", ("general_manager",), 3, ()),        # approved on top2, expired on top1
    ("s2-gm2", ("general_manager",), 2, ()),
    ("s2-admin3", ("admin",), 3, ()),
    ("s2-auditor3", ("auditor",), 3, ()),
    ("s2-agent-mgr2", ("agent", "manager"), 2, ("g1",)),
]
# name -> (level, declassification: None, "past" or "future", level it falls to, group)
RECORDS = {
    "plain-g1": (0, None, None, "g1"),
    "plain-g2": (0, None, None, "g2"),
    "secret": (1, None, None, "g1"),
    "secret-g2": (1, None, None, "g2"),
    "conf": (2, None, None, "g1"),
    "conf-g2": (2, None, None, "g2"),
    "top1": (3, None, None, "g1"),
    "top2": (3, None, None, "g2"),
    "conf-was": (2, "past", 0, "g1"),
    "top-was": (3, "past", 1, "g1"),
    "top-will": (3, "future", 2, "g1"),
    "secret-will": (1, "future", 0, "g2"),
}
REASONS = ("核对身份", "投诉处理", "回访", "诉讼准备", "续约谈判")
GRANTED = {("top1", "s2-mgr3"), ("top2", "s2-gm3")}


def owner_conn():
    conn = psycopg2.connect(os.environ["KEFU_CUSTOMER_OWNER_DB_URI"],
                            cursor_factory=psycopg2.extras.RealDictCursor)
    conn.autocommit = True
    return conn


def as_system(cur, sql, args):
    cur.execute("BEGIN")
    cur.execute("SELECT set_config('kefu.principal', 's2-test', true),"
                " set_config('kefu.system', 'on', true)")
    cur.execute(sql, args)
    cur.execute("COMMIT")


def effective(name: str) -> int:
    level, when, to, _ = RECORDS[name]
    return to if when == "past" else level


@pytest.fixture
def world(start, rpc):
    start("customer")
    boss = rpc("customer", roles=("general_manager",), clearance=3, staff_id="s2-boss")
    ids, numbers = {}, {}
    for name, (level, when, to, group) in RECORDS.items():
        creator = rpc("customer", roles=("agent",), groups=(group,))
        created = creator.create_customer({"name": f"档案{name}", "phones": [random_mobile()],
                                           "notes": "档案正文"})
        cid, numbers[name] = created["id"], created["number"]
        body = {"level": level, "reason": "试验"}
        if when:
            body.update(declassify_at="2099-01-01T00:00:00+08:00", declassify_to=to)
        if level:
            boss.classify(cid, body)
        ids[name] = cid
    readers = {sid: rpc("customer", roles=roles, clearance=clr, groups=groups, staff_id=sid)
               for sid, roles, clr, groups in POOL}
    with closing(owner_conn()) as conn, conn.cursor() as cur:
        for name, (_, when, _, _) in RECORDS.items():
            if when == "past":  # a declassification date that has passed
                as_system(cur, "UPDATE customer SET declassify_at = now() - interval '1 hour'"
                               " WHERE id = %s", (ids[name],))
        for record, sid in GRANTED | {("top1", "s2-gm3")}:
            req = readers[sid].request_access({"customer_id": ids[record], "reason": "借阅",
                                               "hours": 2})
            boss.decide_access_request(req["id"], {"decision": "approve"})
            if (record, sid) not in GRANTED:  # approved, then expired
                cur.execute("UPDATE access_request SET expires_at = now() - interval '1 minute'"
                            " WHERE id = %s", (req["id"],))
        readers["s2-mgr3-pending"].request_access({"customer_id": ids["top2"],
                                                   "reason": "借阅", "hours": 2})
    return ids, numbers, readers


def test_s2_every_classified_read_has_exactly_one_log_row(world):
    ids, numbers, readers = world
    pool = {sid: (frozenset(roles), clr) for sid, roles, clr, _ in POOL}
    counts = {"reads": 0, "logged": 0, "allowed_classified": 0}
    conn = owner_conn()
    cur = conn.cursor()

    def rows_of(cid, sid):
        cur.execute("SELECT seq, action, level, fields, reason FROM access_log"
                    " WHERE customer_id = %s AND actor_id = %s ORDER BY seq", (cid, sid))
        return cur.fetchall()

    @settings(max_examples=READS, derandomize=True, deadline=None, database=None)
    @given(st.sampled_from(sorted(pool)), st.sampled_from(sorted(RECORDS)),
           st.sampled_from(("get", "screen_pop")), st.sampled_from(REASONS))
    def read(sid, name, how, reason):
        cid, level = ids[name], effective(name)
        roles, clearance = pool[sid]
        allowed, action = ref_archive(roles, clearance, level, (name, sid) in GRANTED)
        before = rows_of(cid, sid)
        if how == "get":
            seen = readers[sid].get_customer(cid, reason)
        else:  # the screen pop's single match
            seen = readers[sid].lookup({"number": numbers[name]}, True)["view"]
            reason = "screen pop"
        new = rows_of(cid, sid)[len(before):]
        counts["reads"] += 1
        assert seen["effective_level"] == level, (name, seen["effective_level"])
        assert (seen["archive"] is not None) == allowed, (sid, name, seen["archive_withheld"])
        if action is None:
            assert new == [], (sid, name, new)
        else:
            counts["logged"] += 1
            counts["allowed_classified"] += allowed
            assert [(r["action"], r["level"], r["fields"], r["reason"]) for r in new] == [
                (action, level, ["archive"], reason)], (sid, name)

    try:
        read()
    finally:
        conn.close()
    assert counts["reads"] >= READS * 0.9, counts
    assert counts["logged"] >= 100 and counts["allowed_classified"] >= 20, counts


def test_s2_unknown_records_are_not_found_and_not_logged(world):
    from services.common.errors import NotFound

    _, _, readers = world
    missing = str(uuid.uuid4())
    with pytest.raises(NotFound):
        readers["s2-mgr3"].get_customer(missing)
    with closing(owner_conn()) as conn, conn.cursor() as cur:
        cur.execute("SELECT count(*) AS n FROM access_log WHERE customer_id = %s", (missing,))
        assert cur.fetchone()["n"] == 0

"""S4 tampering with the borrowing log: a log built by real reads through the customer
service, then trials in which the database owner (the only role that can) changes one
row, deletes one (in the middle, at the end) or swaps two rows' contents.  The verifier
must name exactly the tampered row (or, where the tamperer rewrote that row's own hash
too, the first row after it) in every trial.  Each trial runs in a transaction that is
rolled back, so every trial starts from the intact log.

The runtime role's lack of UPDATE/DELETE is tested in test_confidentiality.py.

Issue 9, finding 11: the digest of new rows is unambiguous (a comma moved between
`fields` is caught), the verifier recomputes every digest itself (a redefined database
function is caught), and the head can be anchored outside the database (a rewritten
tail, consistent in itself, is caught against the anchor)."""
import json
import os
import random
import re
import subprocess
import sys
import uuid
from contextlib import closing
from pathlib import Path

import psycopg2
import psycopg2.extras
import pytest

from services.customer.handlers.access import log_head, verify
from tests.helpers import random_mobile

ROOT = Path(__file__).resolve().parents[3]
TRIALS = 30
READS = 40


def owner_conn(autocommit: bool = False):
    conn = psycopg2.connect(os.environ["KEFU_CUSTOMER_OWNER_DB_URI"],
                            cursor_factory=psycopg2.extras.RealDictCursor)
    conn.autocommit = autocommit
    if not autocommit:  # the head and the rows from one snapshot, like the CLI
        conn.set_session(isolation_level="REPEATABLE READ")
    return conn


def named_seq(message: str) -> int:
    """The row the verifier's message names first (`row seq=N ...`)."""
    found = re.search(r"row seq=(\d+)", message)
    assert found, message
    return int(found.group(1))


@pytest.fixture(scope="module")
def built_log():
    """Filled lazily by the first test (it needs the function-scoped service fixtures)."""
    return {}


@pytest.fixture
def log(request, built_log):
    """The seq numbers of READS log rows written by real reads (denials and reads of
    classified archives by several people) and the end of the log."""
    if not built_log:
        start, rpc = request.getfixturevalue("start"), request.getfixturevalue("rpc")
        start("customer")
        run = uuid.uuid4().hex[:6]  # the test databases keep earlier runs' rows
        boss = rpc("customer", roles=("general_manager",), clearance=3, staff_id=f"s4-boss-{run}")
        ids = []
        for level in (1, 2, 2, 1):
            c = rpc("customer", roles=("agent",)).create_customer(
                {"name": "篡改试验", "phones": [random_mobile()], "notes": "档案"})
            boss.classify(c["id"], {"level": level, "reason": "试验"})
            ids.append(c["id"])
        readers = [rpc("customer", roles=("manager",), clearance=2, staff_id=f"s4-m{i}-{run}")
                   for i in range(3)] + [rpc("customer", roles=("agent",),
                                             staff_id=f"s4-agent-{run}")]
        rng = random.Random(4)
        for i in range(READS):
            rng.choice(readers).get_customer(rng.choice(ids), f"试验读取 {i}")
        with closing(owner_conn(autocommit=True)) as conn, conn.cursor() as cur:
            cur.execute("SELECT seq FROM access_log WHERE actor_id LIKE %s"
                        " AND actor_id NOT LIKE 's4-boss-%%' AND action IN ('read_archive', 'deny')"
                        " ORDER BY seq", (f"s4-%-{run}",))
            seqs = [r["seq"] for r in cur.fetchall()]
            cur.execute("SELECT max(seq) AS last FROM access_log")
            last = cur.fetchone()["last"]
        assert len(seqs) == READS
        built_log.update(seqs=seqs, last=last)
    return built_log


def trial(tamper) -> tuple[bool, str]:
    """Tamper as the owner, verify inside the same transaction, roll back."""
    conn = owner_conn()
    try:
        with conn.cursor() as cur:
            tamper(cur)
        ok, message, _ = verify(conn)
        return ok, message
    finally:
        conn.rollback()
        conn.close()


def test_s4_the_log_built_by_real_reads_is_intact(log):
    conn = owner_conn()
    try:
        ok, message, checked = verify(conn)
    finally:
        conn.close()
    assert ok, message
    assert checked >= log["last"]


# One column changed at a time; each value differs from anything a read writes.
CHANGES = [
    ("reason", "'改过的理由'"),
    ("actor_id", "'someone-else'"),
    ("action", "CASE action WHEN 'deny' THEN 'read_archive' ELSE 'deny' END"),
    ("level", "CASE WHEN level = 3 THEN 0 ELSE level + 1 END"),
    ("fields", "ARRAY['archive', 'phones']"),
    ("detail", "'{\"x\": 1}'::jsonb"),
    ("at", "at - interval '1 hour'"),
    ("customer_id", "gen_random_uuid()"),
    ("actor_name", "'别人'"),
]


def test_s4_a_changed_row_is_named_in_every_trial(log):
    rng = random.Random(41)
    hits = 0
    for n in range(TRIALS):
        seq = rng.choice(log["seqs"])
        column, expr = CHANGES[n % len(CHANGES)]
        sql = f"UPDATE access_log SET {column} = {expr} WHERE seq = %s"  # noqa: S608 — constants
        ok, message = trial(lambda cur, sql=sql, seq=seq: cur.execute(sql, (seq,)))
        assert not ok, (column, seq)
        assert named_seq(message) == seq, (column, seq, message)
        hits += 1
    assert hits == TRIALS


def test_s4_a_changed_row_with_its_hash_recomputed_is_found_at_the_next_row(log):
    """A tamperer who knows the digest rewrites the row's own hash: the chain still
    breaks at the row after it (or, for the last row, at the head)."""
    rng = random.Random(42)
    seqs = log["seqs"] + [None] * 5  # None: the very last row of the log at that moment
    for _ in range(TRIALS):
        chosen = rng.choice(seqs)
        last = {}

        def tamper(cur, chosen=chosen, last=last):
            # the last row as this trial's snapshot sees it (the shared test database
            # may have grown since the log was built)
            cur.execute("SELECT max(seq) AS last FROM access_log")
            last["seq"] = cur.fetchone()["last"]
            seq = last["seq"] if chosen is None else chosen
            cur.execute("UPDATE access_log SET reason = '改过的理由' WHERE seq = %s", (seq,))
            cur.execute("UPDATE access_log l SET hash = access_log_digest(l) WHERE seq = %s",
                        (seq,))
        ok, message = trial(tamper)
        seq = last["seq"] if chosen is None else chosen
        assert not ok, seq
        if seq < last["seq"]:  # the next row no longer chains to it
            assert named_seq(message) == seq + 1, (seq, message)
            assert "does not chain" in message
        else:  # the last row: only the head kept beside the log still knows its hash
            assert named_seq(message) == seq, (seq, message)
            assert "missing" not in message, message  # nothing was deleted


def test_s4_a_deleted_row_in_the_middle_is_named_in_every_trial(log):
    rng = random.Random(43)
    middle = [s for s in log["seqs"] if s < log["last"]]
    for _ in range(TRIALS):
        seq = rng.choice(middle)
        ok, message = trial(lambda cur, seq=seq: cur.execute(
            "DELETE FROM access_log WHERE seq = %s", (seq,)))
        assert not ok, seq
        assert named_seq(message) == seq, (seq, message)
        assert "missing" in message


def test_s4_deleting_the_last_rows_is_named(log):
    for count in range(1, 6):
        first_gone = log["last"] - count + 1
        ok, message = trial(lambda cur, first=first_gone: cur.execute(
            "DELETE FROM access_log WHERE seq >= %s", (first,)))
        assert not ok, count
        assert named_seq(message) == first_gone, (count, message)


def test_s4_two_rows_swapped_are_found_at_the_first_of_them(log):
    """Reorder: two rows exchange everything but their position (seq)."""
    rng = random.Random(44)
    for _ in range(TRIALS):
        a, b = sorted(rng.sample(log["seqs"], 2))

        def swap(cur, a=a, b=b):
            cur.execute("UPDATE access_log SET seq = -seq WHERE seq IN (%s, %s)", (a, b))
            cur.execute("UPDATE access_log SET seq = CASE seq WHEN %s THEN %s ELSE %s END"
                        " WHERE seq IN (%s, %s)", (-a, b, a, -a, -b))
        ok, message = trial(swap)
        assert not ok, (a, b)
        assert named_seq(message) == a, (a, b, message)


def test_s4_two_rows_contents_swapped_keeping_the_chain_columns_are_found(log):
    """Reorder of the content only: each row keeps its seq, prev_hash and hash."""
    rng = random.Random(45)
    content = "at, actor_id, actor_name, customer_id, action, level, fields, reason, detail"
    for _ in range(TRIALS):
        a, b = sorted(rng.sample(log["seqs"], 2))

        def swap(cur, a=a, b=b):
            cur.execute(
                f"UPDATE access_log l SET ({content}) = (SELECT {content} FROM access_log o"  # noqa: S608 — constants
                " WHERE o.seq = CASE l.seq WHEN %s THEN %s ELSE %s END) WHERE l.seq IN (%s, %s)",
                (a, b, a, a, b))
        ok, message = trial(swap)
        assert not ok, (a, b)
        assert named_seq(message) == a, (a, b, message)


def verify_cli(*command: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "KEFU_ENV": "test"}  # make sources env.sh: the test databases
    return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=120)


def make_verify() -> subprocess.CompletedProcess:
    return verify_cli("make", "--no-print-directory", "verify-access-log")


def test_s4_make_verify_access_log_exits_0_intact_and_nonzero_broken(log):
    """The CLI exits 1 on a broken log; make, running it, fails too (make's own status
    for a failed recipe is 2) and passes on the message naming the row."""
    intact = make_verify()
    assert intact.returncode == 0, intact.stdout + intact.stderr
    assert "intact" in intact.stdout
    seq = log["seqs"][len(log["seqs"]) // 2]
    with closing(owner_conn(autocommit=True)) as conn, conn.cursor() as cur:
        cur.execute("SELECT reason FROM access_log WHERE seq = %s", (seq,))
        original = cur.fetchone()["reason"]
        cur.execute("UPDATE access_log SET reason = '改过的理由' WHERE seq = %s", (seq,))
        try:
            broken = make_verify()
            cli = verify_cli(sys.executable, "-m", "services.manage", "customer",
                             "verify-access-log")
        finally:
            cur.execute("UPDATE access_log SET reason = %s WHERE seq = %s", (original, seq))
    assert broken.returncode != 0, broken.stdout + broken.stderr
    assert f"row seq={seq}" in broken.stdout
    assert cli.returncode == 1 and f"row seq={seq}" in cli.stdout, cli.stdout + cli.stderr
    assert make_verify().returncode == 0


# ---- issue 9, finding 11 -------------------------------------------------------------

def insert_row(cur, fields: list[str], reason: str = "11a") -> int:
    """A row appended as the owner would (numbered and chained by the trigger)."""
    cur.execute("INSERT INTO access_log (actor_id, action, fields, reason, prev_hash, hash)"
                " VALUES ('s11-owner', 'read_archive', %s, %s, '', '') RETURNING seq",
                (fields, reason))
    return cur.fetchone()["seq"]


def test_finding11a_a_comma_moved_between_fields_is_caught(log):
    """Finding 11a: ['a,b'] hashed like ['a', 'b'] — new rows' digest tells them apart."""
    def tamper(cur):
        seq = insert_row(cur, ["archive,phones"])
        cur.execute("UPDATE access_log SET fields = ARRAY['archive', 'phones'] WHERE seq = %s",
                    (seq,))
        tamper.seq = seq
    ok, message = trial(tamper)
    assert not ok and named_seq(message) == tamper.seq, message


def test_finding11b_a_redefined_digest_function_is_caught(log):
    """Finding 11b: the verifier asked the database for each row's digest, and the owner
    can redefine that function to bless any content.  It recomputes them itself."""
    seq = log["seqs"][len(log["seqs"]) // 3]

    def tamper(cur):
        cur.execute("CREATE OR REPLACE FUNCTION access_log_digest(l access_log) RETURNS text"
                    " LANGUAGE sql IMMUTABLE AS 'SELECT l.hash'")
        cur.execute("UPDATE access_log SET reason = '改过的理由' WHERE seq = %s", (seq,))
    ok, message = trial(tamper)
    assert not ok and named_seq(message) == seq, message


def rewrite_tail(cur, first: int) -> None:
    """Change row `first` and chain every row after it again, head included: a log
    consistent in itself, which only an anchor kept elsewhere can tell from the one
    written."""
    cur.execute("UPDATE access_log SET reason = '改写的历史' WHERE seq = %s", (first,))
    cur.execute("SELECT max(seq) AS last FROM access_log")
    last = cur.fetchone()["last"]
    for seq in range(first, last + 1):
        cur.execute("UPDATE access_log l SET prev_hash = (SELECT hash FROM access_log p"
                    " WHERE p.seq = l.seq - 1) WHERE seq = %s AND seq > 1", (seq,))
        cur.execute("UPDATE access_log l SET hash = access_log_digest(l) WHERE seq = %s", (seq,))
    cur.execute("UPDATE access_log_head SET seq = %s,"
                " hash = (SELECT hash FROM access_log WHERE seq = %s)", (last, last))


def test_finding11c_a_rewritten_tail_is_caught_against_the_anchor(log):
    """Finding 11c: the owner can rewrite the whole tail with the digest; the head
    exported earlier (the anchor) is what the rewritten log no longer passes through."""
    conn = owner_conn()
    try:
        ok, message, _ = verify(conn)
        anchor = log_head(conn)
    finally:
        conn.rollback()
        conn.close()
    assert ok, message

    conn = owner_conn()
    try:
        with conn.cursor() as cur:
            rewrite_tail(cur, anchor["seq"])
        ok, message, _ = verify(conn)
        assert ok, message  # consistent in itself
        ok, message, _ = verify(conn, anchor=anchor)
        assert not ok and named_seq(message) == anchor["seq"] and "anchor" in message, message
    finally:
        conn.rollback()
        conn.close()


def test_finding11c_the_command_writes_and_checks_an_anchor_file(log, tmp_path):
    """`verify-access-log --anchor FILE` prints the head, writes it to FILE when the log
    is intact, and holds the log against what FILE says: exit 1 when the log does not
    pass through it, 2 when FILE cannot be read."""
    anchor = tmp_path / "anchor.json"
    command = (sys.executable, "-m", "services.manage", "customer", "verify-access-log",
               "--anchor", str(anchor))
    first = verify_cli(*command)
    assert first.returncode == 0, first.stdout + first.stderr
    written = json.loads(anchor.read_text())
    assert f"seq={written['seq']}" in first.stdout and written["hash"] in first.stdout
    assert oct(anchor.stat().st_mode & 0o777) == "0o600"
    again = verify_cli(*command)
    assert again.returncode == 0, again.stdout + again.stderr
    anchor.write_text(json.dumps({**written, "hash": "0" * 64}))
    forged = verify_cli(*command)
    assert forged.returncode == 1 and f"row seq={written['seq']}" in forged.stdout, forged.stdout
    assert json.loads(anchor.read_text())["hash"] == "0" * 64  # a broken check keeps it
    anchor.write_text("not json")
    assert verify_cli(*command).returncode == 2

"""The group commit (services/common/batch.py): the items workers hold at one moment
are applied in one transaction; each worker gets its own result; an event processed
before is left out and its worker told; a bad item fails only its own worker."""
from contextlib import contextmanager
from types import SimpleNamespace
from unittest import mock

import eventlet

from services.common import batch
from services.common.db import DuplicateEvent


class Database:
    """Transactions that record what each applied, committed or not."""

    def __init__(self):
        self.claimed: set = set()
        self.committed: list[list] = []
        self.opened = 0

    def session(self, claim=None):
        db = self

        class Session:
            def __init__(self):
                self._claim = claim

            def take_claim(self):
                taken, self._claim = self._claim, None
                return taken

            @contextmanager
            def transaction(self):
                db.opened += 1
                tx = SimpleNamespace(cur=SimpleNamespace(claims=set(db.claimed)), applied=[])
                eventlet.sleep(0)  # a round trip: other workers join meanwhile
                yield tx
                db.claimed = tx.cur.claims
                db.committed.append(tx.applied)
        return Session()


def claim_event(cur, consumer, event_id):
    if (consumer, event_id) in cur.claims:
        return False
    cur.claims.add((consumer, event_id))
    return True


def apply_many(tx, items):
    if "bad" in items:
        raise ValueError("a bad item")
    tx.applied.extend(items)
    return [f"done {item}" for item in items]


def run(db, groups, items, claims=None):
    """Each item submitted by its own worker at once; each worker's result or error."""
    def worker(item, claim):
        try:
            return groups.submit(db.session(claim), item, apply_many)
        except Exception as exc:  # noqa: BLE001 — the test reads it
            return exc
    with mock.patch.object(batch.store, "claim_event", claim_event):
        threads = [eventlet.spawn(worker, item, (claims or {}).get(item))
                   for item in items]
        return [t.wait() for t in threads]


class TestGroupCommit:
    def test_the_items_held_at_one_moment_go_in_few_transactions_each_its_result(self):
        db, groups = Database(), batch.Groups(most=50)
        items = [f"e{i}" for i in range(20)]
        assert run(db, groups, items) == [f"done {i}" for i in items]
        assert sorted(i for t in db.committed for i in t) == sorted(items)
        assert len(db.committed) < 5  # one per event would be 20

    def test_a_group_holds_at_most_most_items(self):
        db, groups = Database(), batch.Groups(most=3)
        run(db, groups, [f"e{i}" for i in range(10)])
        assert max(len(t) for t in db.committed) == 3

    def test_an_event_processed_before_is_left_out_and_its_worker_told(self):
        db, groups = Database(), batch.Groups(most=50)
        db.claimed = {("c", "ev-2")}
        claims = {f"e{i}": ("c", f"ev-{i}") for i in range(4)}
        out = run(db, groups, list(claims), claims)
        assert isinstance(out[2], DuplicateEvent)
        assert [o for i, o in enumerate(out) if i != 2] == ["done e0", "done e1", "done e3"]
        assert "e2" not in [i for t in db.committed for i in t]
        assert db.claimed == {("c", f"ev-{i}") for i in range(4)}

    def test_a_bad_item_fails_only_its_own_worker_and_the_others_are_applied_alone(self):
        db, groups = Database(), batch.Groups(most=50)
        claims = {item: ("c", item) for item in ("a", "bad", "b")}
        out = run(db, groups, ["a", "bad", "b"], claims)
        assert out[0] == "done a" and out[2] == "done b"
        assert isinstance(out[1], ValueError)
        assert sorted(i for t in db.committed for i in t) == ["a", "b"]
        # the failed group's claims went with it: each recorded once, by its own
        assert db.claimed == {("c", "a"), ("c", "b")}

    def test_a_lone_failing_item_is_not_applied_twice(self):
        db, groups = Database(), batch.Groups(most=50)
        out = run(db, groups, ["bad"])
        assert isinstance(out[0], ValueError) and db.opened == 1

    def test_a_leader_stops_once_its_own_item_is_done_and_the_next_leads(self):
        db, groups = Database(), batch.Groups(most=2)
        led: list[str] = []

        def noting(tx, items):
            led.append(items)
            return apply_many(tx, items)

        def worker(item):
            return groups.submit(db.session(), item, noting)
        with mock.patch.object(batch.store, "claim_event", claim_event):
            threads = [eventlet.spawn(worker, f"e{i}") for i in range(7)]
            assert [t.wait() for t in threads] == [f"done e{i}" for i in range(7)]
        assert sorted(i for g in led for i in g) == [f"e{i}" for i in range(7)]
        assert max(map(len, led)) == 2 and not groups.leading

    def test_a_leader_killed_while_applying_alone_leaves_no_worker_waiting(self):
        db, groups = Database(), batch.Groups(most=50)

        def failing(tx, items):
            if len(items) > 1:
                raise ValueError("the group fails")
            raise KeyboardInterrupt  # killed while applying one alone

        def worker(item):
            try:
                return groups.submit(db.session(), item, failing)
            except BaseException as exc:  # noqa: BLE001
                return type(exc).__name__
        with eventlet.Timeout(5):
            out = [t.wait() for t in [eventlet.spawn(worker, i) for i in ("p", "q", "r")]]
        assert out[0] == "KeyboardInterrupt" and set(out[1:]) == {"Unavailable"}
        assert not groups.leading

    def test_the_next_items_after_a_group_find_a_new_leader(self):
        db, groups = Database(), batch.Groups(most=50)
        run(db, groups, ["x"])
        assert run(db, groups, ["y", "z"]) == ["done y", "done z"]
        assert not groups.leading

    def test_the_leader_killed_leaves_no_worker_waiting_forever(self):
        db, groups = Database(), batch.Groups(most=1)

        def killed(tx, items):
            raise KeyboardInterrupt

        def worker(item):
            try:
                return groups.submit(db.session(), item, killed)
            except BaseException as exc:  # noqa: BLE001
                return type(exc).__name__
        with eventlet.Timeout(5):
            out = [t.wait() for t in [eventlet.spawn(worker, i) for i in ("p", "q")]]
        # the leader stops; the other is told Unavailable (retried as alone), not left
        assert out == ["KeyboardInterrupt", "Unavailable"]


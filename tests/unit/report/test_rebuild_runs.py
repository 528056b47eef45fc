"""R4: a rebuild run (handlers/rebuild.py run) over an in-memory store — tickets, then
calls, then contacts paged; every page's call carries a system token minted for it (a
rebuild outlives one token), a failed run is queued again after a back-off and taken
from its position, and the check's range and the owner's failures."""
import datetime
from contextlib import contextmanager
from types import SimpleNamespace
from unittest import mock

import pytest
from nameko.exceptions import RemoteError

from services.common.errors import Invalid, Unavailable
from services.report.contract import rebuild as rebuild_contract
from services.report.handlers import rebuild as handler

TOKEN_LIFE = 300.0  # a system token's life (identity.SYSTEM_TOKEN_SECONDS)
PAGE_SECONDS = 100.0  # each page takes this long: 20 pages outlive a token six times


class Owners:
    """Every owner service, each RPC answering its own name (World.ask dispatches on it)."""

    def __getattr__(self, service):
        return SimpleNamespace(**{s.feed: s.phase for s in handler.SOURCES},
                               **{c.counts: None for c in handler.CHECKS})


# the phases after the ticket service's three (other owners' records), each one page
LATER = [s.phase for s in handler.SOURCES[3:]]


class World:
    """The owner's tickets, a clock, the token in effect, and the rebuild row."""

    def __init__(self, tickets: int, fail_on: set[int] = frozenset(), calls: int = 0):
        self.ids = [f"t{i:03}" for i in range(tickets)]
        self.call_ids = [f"c{i:03}" for i in range(calls)]
        self.kept_calls: list[str] = []
        self.now = 0.0
        self.token: float | None = None  # when the token in effect was minted
        self.calls = 0
        self.fail_on = set(fail_on)
        self.kept: list[str] = []
        self.job = {"id": "r1", "generation": 7, "state": "queued", "after_id": None,
                    "phase": "tickets", "pages": 0, "tickets": 0, "calls": 0, "contacts": 0,
                    "removed": 0, "attempts": 0, "error": None}
        self.asked: list[str] = []
        self.retry_in: float | None = None
        self.corrected = 0

    @contextmanager
    def as_system(self):
        saved, self.token = self.token, self.now
        try:
            yield
        finally:
            self.token = saved

    def ask(self, method, payload):
        """report_tickets / report_calls / report_contacts as the ticket service answers
        them: refused on an expired token."""
        self.calls += 1
        self.asked.append(method)
        if self.token is None or self.now - self.token >= TOKEN_LIFE:
            raise AssertionError(f"Unauthenticated: token of {self.token} at {self.now}")
        if self.calls in self.fail_on:
            raise Unavailable("message broker unavailable")
        self.now += PAGE_SECONDS
        after, limit = payload["after"], payload["limit"]
        ids = {"tickets": self.ids, "calls": self.call_ids}.get(method, [])
        rest = [t for t in ids if after is None or t > after]
        page = rest[:limit]
        found = {"tickets": [{"ticket_id": t} for t in page],
                 "calls": [{"call_id": c, "events": []} for c in page]}.get(method, [])
        return {method: found, "next": page[-1] if len(rest) > limit else None}

    # -- the store -----------------------------------------------------------------------
    def claim(self, cur, lease):
        if self.job["state"] != "queued" or self.retry_in not in (None, 0):
            return None
        self.job["state"] = "running"
        return dict(self.job)

    def advance(self, cur, rebuild_id, source, phase, after, n, lease):
        self.job.update(after_id=after, phase=phase, pages=self.job["pages"] + 1,
                        **{source: self.job.get(source, 0) + n})

    def retry_later(self, cur, rebuild_id, error, backoff):
        self.job.update(state="queued", error=error, attempts=self.job["attempts"] + 1)
        self.retry_in = backoff

    def finish(self, cur, rebuild_id):
        self.job.update(state="done", error=None)

    def patches(self):
        db = SimpleNamespace(transaction=contextmanager(lambda: (yield SimpleNamespace(cur=None))))
        store = SimpleNamespace(
            claim=self.claim, advance=self.advance, retry_later=self.retry_later,
            finish=self.finish, get=lambda cur, i: dict(self.job),
            removed=lambda cur, i, n: None)
        fact_store = SimpleNamespace(
            remove_stale=lambda cur, g: 0, compute_corrections=lambda cur: 0,
            apply_corrections=self.apply_corrections)
        facts = SimpleNamespace(keep_page=lambda tx, snaps, g: self.kept.extend(
            s["ticket_id"] for s in snaps) or len(snaps))
        calls = SimpleNamespace(
            keep_calls=lambda tx, found, g, quick: self.kept_calls.extend(
                c["call_id"] for c in found) or len(found),
            keep_contacts=lambda tx, found, g: len(found))
        call_store = SimpleNamespace(
            remove_stale=lambda cur, g: 0, compute_corrections=lambda cur: 0,
            apply_corrections=self.apply_corrections)
        # every store a run corrects: two, of three rollups each
        stores = [(fact_store, ("a", "b", "c")), (call_store, ("d", "e", "f"))]
        # every other source of the registry (the owners' records besides tickets and
        # calls): kept as nothing, each an empty page
        sources = tuple(handler.Source(s.phase, s.owner, s.feed, (lambda tx, r, g, c: 0))
                        if s.phase not in ("tickets", "calls", "contacts") else s
                        for s in handler.SOURCES)
        return db, [mock.patch.object(handler, "store", store),
                    mock.patch.object(handler, "corrected_stores", lambda: stores),
                    mock.patch.object(handler, "BY_PHASE", {s.phase: s for s in sources}),
                    mock.patch.object(handler, "fact_store", fact_store),
                    mock.patch.object(handler, "facts", facts),
                    mock.patch.object(handler, "calls", calls),
                    mock.patch.object(handler, "call_store", call_store),
                    mock.patch.object(handler, "_ask", self.ask)]

    def apply_corrections(self, cur, table, limit):
        self.corrected += 1
        return 0

    def run(self, **kw):
        db, patches = self.patches()
        for p in patches:
            p.start()
        try:
            return handler.run(db, Owners(), dict, 1, as_system=self.as_system, **kw)
        finally:
            for p in patches:
                p.stop()


class TestR4RebuildRuns:
    def test_r4_a_rebuild_longer_than_a_system_token_renews_it_for_every_page(self):
        world = World(tickets=20, calls=3)
        done = world.run()
        assert done["state"] == "done"
        assert world.now >= 6 * TOKEN_LIFE  # it outlived several tokens
        assert world.kept == world.ids and world.kept_calls == world.call_ids
        # tickets, then calls, then contacts (one empty page)
        assert world.asked == ["tickets"] * 20 + ["calls"] * 3 + ["contacts"] + LATER
        assert (done["pages"], done["tickets"], done["calls"], done["contacts"]) == \
            (24 + len(LATER), 20, 3, 0)

    def test_r4_a_run_whose_ticket_call_fails_once_is_queued_and_completes_next_round(self):
        world = World(tickets=5, fail_on={3})
        with pytest.raises(Unavailable):
            world.run(retry_seconds=10)
        assert world.job["state"] == "queued" and world.job["attempts"] == 1
        assert "Unavailable" in world.job["error"]
        assert world.retry_in == 10
        assert world.run() is None  # not before its back-off
        world.retry_in = 0  # the back-off has passed
        done = world.run()
        assert done["state"] == "done" and done["error"] is None
        assert world.kept == world.ids  # went on from its position: each ticket once
        assert world.corrected == 6  # every rollup corrected once at the end

    def test_r4_a_run_failed_after_its_last_page_only_corrects_when_taken_again(self):
        world = World(tickets=3)
        world.job.update(pages=5, after_id=None, attempts=2, phase="correct")  # all paged
        done = world.run()
        assert done["state"] == "done" and world.calls == 0 and world.corrected == 6

    def test_r4_a_run_failed_while_paging_calls_goes_on_with_the_calls_from_its_position(
            self):
        world = World(tickets=2, calls=4, fail_on={4})
        with pytest.raises(Unavailable):
            world.run(retry_seconds=10)
        assert world.job["phase"] == "calls" and world.job["after_id"] == "c000"
        world.retry_in = 0
        done = world.run()
        assert done["state"] == "done"
        assert world.kept == world.ids and world.kept_calls == world.call_ids
        assert world.asked == \
            ["tickets"] * 2 + ["calls"] * 2 + ["calls"] * 3 + ["contacts"] + LATER

    def test_r4_the_contract_names_every_source_in_the_order_a_run_pages_them(self):
        assert rebuild_contract.PHASES == (*(s.phase for s in handler.SOURCES), "correct")

    def test_r4_the_back_off_doubles_and_is_capped(self):
        assert [handler.backoff(n, 30) for n in range(3)] == [30, 60, 120]
        assert handler.backoff(40, 30) == handler.MAX_RETRY_SECONDS


class TestR4Check:
    QUERY = {"from_day": datetime.date(2026, 1, 1)}

    @staticmethod
    def check(query, ask=None):
        db = SimpleNamespace(transaction=contextmanager(lambda: (yield SimpleNamespace(cur=None))))
        # every comparison of the registry, our side summing nothing
        checks = tuple(handler.Checked(c.what, c.owner, c.counts, lambda cur, a, b: [],
                                       c.differences) for c in handler.CHECKS)
        with mock.patch.object(handler, "_ask", ask or (lambda m, p: {"counts": []})), \
                mock.patch.object(handler, "CHECKS", checks):
            return handler.check(db, contextmanager(lambda: (yield)), Owners(), query)

    def test_r4_the_check_covers_at_most_31_days_naming_to(self):
        assert self.check({**self.QUERY, "to_day": datetime.date(2026, 1, 31)}) == \
            {"differences": []}
        with pytest.raises(Invalid) as caught:
            self.check({**self.QUERY, "to_day": datetime.date(2026, 2, 1)})
        assert "to" in caught.value.fields

    def test_r4_an_owner_failure_it_did_not_declare_is_unavailable(self):
        def ask(method, payload):
            raise RemoteError("QueryCanceled", "canceling statement due to statement timeout")
        with pytest.raises(Unavailable):
            self.check({**self.QUERY, "to_day": datetime.date(2026, 1, 2)}, ask)

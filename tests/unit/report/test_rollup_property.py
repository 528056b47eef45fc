"""R1, property-based (hypothesis): whatever the order and however often the snapshots of
some tickets arrive, the rollups kept by deltas (handlers/facts.py `apply` over an
in-memory store) end equal to the contributions summed from the final facts — the
newest revision of each ticket — with the repeat links (first-contact resolution) of
later tickets arriving before or after the earlier ones; and that a rebuild (pages of the
owner's snapshots between live events, then the rollups corrected — the correction read
in one snapshot, live events coming before it is added — then more live events) ends the
same.

~500 examples of up to 60 deliveries each, derandomized so CI sees the same cases."""
import datetime
from types import SimpleNamespace
from unittest import mock

from hypothesis import given, settings
from hypothesis import strategies as st

from services.report.domain import facts as rules
from services.report.handlers import facts as handler

UTC = datetime.UTC
START = datetime.datetime(2026, 3, 1, 15, 0, tzinfo=UTC)  # 23:00 in China: days split
IDS = [f"t{i}" for i in range(6)]


class Model:
    """The store's functions over dicts (what store/facts.py does in SQL)."""

    def __init__(self):
        self.facts: dict = {}
        self.links: set = set()
        self.rollups: dict = {t: {} for t in rules.TABLES}
        self.generation = 0

    def module(self):
        return SimpleNamespace(
            lock_ticket=lambda cur, key: None,
            lock_tickets=lambda cur, keys: None,
            lock_briefly=lambda cur: None,
            facts_of=lambda cur, ids: [dict(self.facts[t]) for t in ids if t in self.facts],
            put_facts=self.put_facts,
            stamp_all=lambda cur, ids, g: [self.facts[t].update(
                generation=max(g, self.facts[t]["generation"])) for t in ids],
            current_generation=lambda cur: self.generation,
            get_fact=lambda cur, t: dict(self.facts[t]) if t in self.facts else None,
            stamp=lambda cur, t, g: self.facts[t].update(
                generation=max(g, self.facts[t]["generation"])),
            named_later=lambda cur, t: any(e == t for e, _ in self.links),
            put_fact=lambda cur, fact, g: self.facts.__setitem__(
                fact["ticket_id"], {**fact, "generation": g}),
            link=lambda cur, earlier, later: self.links.update((e, later) for e in earlier),
            unlink=lambda cur, earlier, later: self.links.difference_update(
                (e, later) for e in earlier),
            add=self.add)

    def put_facts(self, cur, facts, generation):
        """Only a higher revision replaces a fact (the SQL's WHERE)."""
        for fact in facts:
            kept = self.facts.get(fact["ticket_id"])
            if kept is None or kept["revision"] < fact["revision"]:
                self.facts[fact["ticket_id"]] = {
                    **fact, "generation": max(generation, kept["generation"] if kept else 0)}

    def corrections(self):
        """What store/facts.py CORRECTIONS reads in one snapshot: the facts summed (with
        the repeat links kept, as the SQL reads them) − each rollup."""
        want = as_tuples(rules.summed(list(self.facts.values())))
        out = {}
        for table in rules.TABLES:
            width = 2 if table == rules.TIME_DAY else len(rules.COUNTERS)
            have = self.rollups[table]
            rows = []
            for key in sorted(set(want[table]) | set(have)):
                a, b = want[table].get(key, (0,) * width), have.get(key, (0,) * width)
                diff = tuple(x - y for x, y in zip(a, b, strict=True))
                if any(diff):
                    rows.append((*key, *diff))
            out[table] = rows
        return out

    def add(self, cur, table, rows):
        width = 2 if table == rules.TIME_DAY else len(rules.COUNTERS)
        target = self.rollups[table]
        for row in rows:
            key, values = tuple(row[:-width]), row[-width:]
            current = target.get(key, (0,) * width)
            target[key] = tuple(a + b for a, b in zip(current, values, strict=True))

    def nonzero(self):
        return {t: {k: v for k, v in rows.items() if any(v)} for t, rows in self.rollups.items()}


def as_tuples(contribution):
    out = {}
    for table, rows in contribution.items():
        names = rules.TIME_COUNTERS if table == rules.TIME_DAY else rules.COUNTERS
        out[table] = {k: tuple(v[n] for n in names) for k, v in rows.items()}
    return out


minutes = st.integers(min_value=0, max_value=4 * 24 * 60)
maybe_minutes = st.none() | minutes


@st.composite
def snapshot(draw, ticket_id: str, revision: int):
    accepted = START + datetime.timedelta(minutes=draw(minutes))

    def later():
        m = draw(maybe_minutes)
        return None if m is None else accepted + datetime.timedelta(minutes=m)
    status = draw(st.sampled_from(["new", "assigned", "in_progress", "resolved", "closed",
                                   "cancelled"]))
    repeat_of = draw(st.lists(st.sampled_from(IDS), max_size=2, unique=True))
    return {
        "ticket_id": ticket_id, "revision": revision,
        "kind": draw(st.sampled_from(["complaint", "consultation"])),
        "category_id": draw(st.sampled_from([None, "c1"])),
        "channel": draw(st.sampled_from(["phone", "web"])),
        "urgency": "normal", "group_name": draw(st.sampled_from([None, "g1", "g2"])),
        "assignee_id": draw(st.sampled_from([None, "a1", "a2"])), "acceptor_id": "x",
        "customer_id": "c", "level": 0, "status": status, "accepted_at": accepted,
        "first_response_at": later(), "resolved_at": later(), "closed_at": later(),
        "cancelled_at": later(),
        "reopen_count": draw(st.integers(0, 2)), "transfer_count": draw(st.integers(0, 2)),
        "repeat": bool(repeat_of), "repeat_of": repeat_of,
        "response_breached": draw(st.booleans()), "resolution_breached": draw(st.booleans()),
    }


@st.composite
def deliveries(draw):
    """Snapshots of a few tickets (several revisions each), some delivered twice, shuffled."""
    sent = []
    for ticket_id in draw(st.lists(st.sampled_from(IDS), min_size=1, max_size=6, unique=True)):
        for revision in range(draw(st.integers(1, 4))):
            sent.append(draw(snapshot(ticket_id, revision)))
    twice = draw(st.lists(st.sampled_from(sent), max_size=len(sent)))
    return draw(st.permutations(sent + twice))


@settings(max_examples=300, derandomize=True, deadline=None)
@given(deliveries())
def test_r1_rollups_equal_the_final_facts_summed_whatever_the_order_and_duplicates(sent):
    model = Model()
    with mock.patch.object(handler, "store", model.module()):
        for s in sent:
            handler.apply(SimpleNamespace(cur=None), s)
    final = {}
    for s in sent:
        if s["ticket_id"] not in final or s["revision"] > final[s["ticket_id"]]["revision"]:
            final[s["ticket_id"]] = s
    assert {t: f["revision"] for t, f in model.facts.items()} == \
        {t: s["revision"] for t, s in final.items()}
    expected = as_tuples(rules.summed([handler.fact_of(s) for s in final.values()]))
    assert model.nonzero() == expected


def final_of(sent):
    final = {}
    for s in sent:
        if s["ticket_id"] not in final or s["revision"] > final[s["ticket_id"]]["revision"]:
            final[s["ticket_id"]] = s
    return list(final.values())


@settings(max_examples=200, derandomize=True, deadline=None)
@given(deliveries(), st.integers(min_value=0, max_value=60), st.integers(1, 7),
       st.integers(0, 20))
def test_r4_a_rebuild_amid_live_events_ends_equal_to_the_final_facts_summed(sent, cut, size,
                                                                             late):
    """Live events before, during (between the pages) and after a rebuild whose pages
    hold the owner's newest snapshots: the rollups corrected at its end (the correction
    read at one moment, added after more live events — no lock), then kept by the events
    still arriving, equal the final facts summed."""
    model = Model()
    cut = min(cut, len(sent))
    pages = final_of(sent)  # the owner is ahead of the events still in flight
    tx = SimpleNamespace(cur=None)
    with mock.patch.object(handler, "store", model.module()):
        for s in sent[:cut // 2]:
            handler.apply(tx, s)
        for n in range(0, len(pages), size):
            handler.keep_page(tx, pages[n:n + size], generation=5)
            for s in sent[cut // 2:cut][n:n + size]:  # live events between the pages
                handler.apply(tx, s)
        for s in sent[cut // 2:cut][len(pages):]:
            handler.apply(tx, s)
        fixes = model.corrections()  # read in one snapshot, no table held
        for s in sent[cut:cut + late]:  # live events before the correction is added
            handler.apply(tx, s)
        for table, rows in fixes.items():
            model.add(None, table, rows)
        for s in sent[cut + late:]:
            handler.apply(tx, s)
    assert {t: f["revision"] for t, f in model.facts.items()} == \
        {s["ticket_id"]: s["revision"] for s in pages}
    assert {f["generation"] for f in model.facts.values()} == {5}
    # the pages keep the repeat links with the facts they replace (the SQL reads links)
    assert model.links == {(e, t) for t, f in model.facts.items() for e in f["repeat_of"]}
    assert model.nonzero() == as_tuples(rules.summed([handler.fact_of(s) for s in pages]))

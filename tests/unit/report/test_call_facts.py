"""R1: what one call and one contact add to the call rollups 话务报表 (facts merged from the
telephony events, deltas), property-based: the rollups kept by deltas (handlers/calls.py
over an in-memory store) equal the final facts summed whatever the order and duplicates,
and after a rebuild amid live events; R2: the call figures as read (scope, zero-filled
series, rates, sizes); R4: the check's call differences."""
import datetime
from types import SimpleNamespace
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.common.errors import Invalid, NotFound
from services.report.domain import calls as rules
from services.report.handlers import calls as handler

CHINA = ZoneInfo("Asia/Shanghai")
UTC = datetime.UTC
START = datetime.datetime(2026, 3, 1, 15, 30, tzinfo=UTC)  # 23:30 in China: days split


def at(seconds: float) -> datetime.datetime:
    return START + datetime.timedelta(seconds=seconds)


def event(name: str, seconds: float, call_id="c1", queue="售后", agent_id=None, wait=None):
    return {"call_id": call_id, "event": name, "at": at(seconds), "queue": queue,
            "agent_id": agent_id, "wait_seconds": wait}


def contact(**over) -> dict:
    return {"contact_id": "k1", "channel": "phone", "direction": "out", "agent_id": "a1",
            "started_at": at(0), "duration_seconds": 30, **over}


class TestR1CallFacts:
    def test_r1_an_answered_call_counts_ring_and_talk_on_its_offered_day_and_hour(self):
        fact = rules.call_fact("c1", [
            event("offered", 0), event("queued", 2),
            event("answered", 12, agent_id="a1", wait=10), event("ended", 72)], 5)
        # 23:30 on 1 March in China (15:30 UTC)
        assert (fact["day"], fact["hour"], fact["queue"], fact["agent_id"]) == \
            (datetime.date(2026, 3, 1), 23, "售后", "a1")
        assert {c: fact[c] for c in rules.CALL_COUNTERS} == {
            "offered": 1, "answered": 1, "abandoned": 0, "ring_seconds": 10, "rung": 1,
            "talk_seconds": 60, "talked": 1, "quick_hangups": 0}

    def test_r1_ring_without_wait_seconds_is_answered_minus_offered(self):
        fact = rules.call_fact("c1", [event("offered", 0), event("answered", 7, agent_id="a")],
                               5)
        assert (fact["ring_seconds"], fact["rung"], fact["talked"]) == (7, 1, 0)

    def test_r1_an_answered_call_ended_within_the_quick_seconds_is_a_quick_hang_up(self):
        events = [event("offered", 0), event("answered", 5, agent_id="a"), event("ended", 8)]
        assert rules.call_fact("c1", events, 5)["quick_hangups"] == 1
        assert rules.call_fact("c1", events, 3)["quick_hangups"] == 0  # 3 s is not < 3

    def test_r1_an_abandoned_call_has_no_ring_and_the_last_agent_named(self):
        fact = rules.call_fact("c1", [event("offered", 0, agent_id="a1"),
                                      event("abandoned", 30, agent_id="a2", queue=None)], 5)
        assert (fact["answered"], fact["abandoned"], fact["rung"], fact["agent_id"]) == \
            (0, 1, 0, "a2")

    def test_r1_without_offered_the_first_event_places_the_call(self):
        # the answer arrives first, 40 minutes later: the next day in China
        fact = rules.call_fact("c1", [event("answered", 2400, agent_id="a", queue=None),
                                      event("ended", 2500, queue="售前")], 5)
        assert (fact["day"], fact["hour"], fact["queue"]) == (datetime.date(2026, 3, 2), 0,
                                                              "售前")
        assert (fact["offered"], fact["rung"], fact["talk_seconds"]) == (1, 0, 100)

    def test_r1_a_later_event_moves_the_call_by_a_delta_of_new_minus_old(self):
        old = rules.call_fact("c1", [event("offered", 0)], 5)
        new = rules.call_fact("c1", [event("offered", 0),
                                     event("answered", 3, agent_id="a1")], 5)
        change = rules.delta(rules.CALL_HOUR, old, new)
        day = datetime.date(2026, 3, 1)
        assert change[(day, 23, "售后", "")]["offered"] == -1
        assert change[(day, 23, "售后", "a1")] == {
            "offered": 1, "answered": 1, "abandoned": 0, "ring_seconds": 3, "rung": 1,
            "talk_seconds": 0, "talked": 0, "quick_hangups": 0}
        assert rules.delta(rules.CALL_HOUR, new, new) == {}

    def test_r1_a_contact_counts_once_answered_when_it_lasted(self):
        fact = rules.contact_fact(contact(duration_seconds=0, started_at=at(3600)))
        assert (fact["day"], fact["hour"], fact["contacts"], fact["answered"]) == \
            (datetime.date(2026, 3, 2), 0, 1, 0)
        assert rules.contribution(rules.CONTACT_HOUR, rules.contact_fact(contact())) == {
            (datetime.date(2026, 3, 1), 23, "phone", "out", "a1"):
                {"contacts": 1, "answered": 1, "duration_seconds": 30}}


# -- property: deltas over an in-memory store equal the final facts summed ------------------
class Model:
    """The store's functions over dicts (what store/calls.py does in SQL)."""

    def __init__(self):
        self.events: dict = {}
        self.calls: dict = {}
        self.contacts: dict = {}
        self.rollups: dict = {t: {} for t in rules.TABLES}
        self.generation = 0

    def module(self):
        return SimpleNamespace(
            lock_calls=lambda cur, keys: None, put_events=self.put_events,
            events_of=lambda cur, ids: [dict(e) for (c, _), e in sorted(self.events.items())
                                        if c in ids],
            calls_of=lambda cur, ids: [dict(self.calls[c]) for c in ids if c in self.calls],
            put_calls=self.put_calls, stamp_calls=self.stamp_calls, add=self.add,
            put_contacts=self.put_contacts)

    def facts_module(self):
        return SimpleNamespace(lock_briefly=lambda cur: None,
                               current_generation=lambda cur: self.generation,
                               advance_feed=lambda cur, source, moment: None)

    def put_events(self, cur, events):
        new = 0
        for e in events:
            if (e["call_id"], e["event"]) not in self.events:
                self.events[(e["call_id"], e["event"])] = dict(e)
                new += 1
        return new

    def put_calls(self, cur, facts, generation):
        for f in facts:
            kept = self.calls.get(f["call_id"], {}).get("generation", 0)
            self.calls[f["call_id"]] = {**f, "generation": max(generation, kept)}

    def stamp_calls(self, cur, ids, generation):
        for c in ids:
            if c in self.calls:
                self.calls[c]["generation"] = max(generation, self.calls[c]["generation"])

    def put_contacts(self, cur, facts, generation):
        new = set()
        for f in facts:
            if f["contact_id"] in self.contacts:
                kept = self.contacts[f["contact_id"]]
                kept["generation"] = max(generation, kept["generation"])
            else:
                self.contacts[f["contact_id"]] = {**f, "generation": generation}
                new.add(f["contact_id"])
        return new

    def add(self, cur, table, rows):
        width = len(rules.COUNTERS[table])
        target = self.rollups[table]
        for row in rows:
            key, values = tuple(row[:-width]), row[-width:]
            current = target.get(key, (0,) * width)
            target[key] = tuple(a + b for a, b in zip(current, values, strict=True))

    def corrections(self):
        """What store/calls.py CORRECTIONS reads in one snapshot: facts summed − rollup."""
        out = {}
        for table, facts in ((rules.CALL_HOUR, self.calls.values()),
                             (rules.CONTACT_HOUR, self.contacts.values())):
            want = as_tuples(table, rules.summed(table, list(facts)))
            have = self.rollups[table]
            width = len(rules.COUNTERS[table])
            rows = []
            for key in sorted(set(want) | set(have)):
                diff = tuple(x - y for x, y in zip(want.get(key, (0,) * width),
                                                   have.get(key, (0,) * width), strict=True))
                if any(diff):
                    rows.append((*key, *diff))
            out[table] = rows
        return out

    def nonzero(self):
        return {t: {k: v for k, v in rows.items() if any(v)} for t, rows in self.rollups.items()}


def as_tuples(table, contribution):
    return {k: tuple(v[n] for n in rules.COUNTERS[table]) for k, v in contribution.items()}


CALL_IDS = [f"c{i}" for i in range(5)]
NAMES = ["offered", "queued", "answered", "abandoned", "ended"]


@st.composite
def call_events(draw, call_id):
    names = draw(st.lists(st.sampled_from(NAMES), min_size=1, max_size=5, unique=True))
    return [{"call_id": call_id, "event": name,
             "at": at(draw(st.integers(0, 3 * 3600))),
             "queue": draw(st.sampled_from([None, "售后", "售前"])),
             "agent_id": draw(st.sampled_from([None, "a1", "a2"])),
             "wait_seconds": draw(st.sampled_from([None, 0, 15]))} for name in names]


@st.composite
def contacts(draw):
    return [contact(contact_id=f"k{i}", channel=draw(st.sampled_from(["phone", "web"])),
                    direction=draw(st.sampled_from(["in", "out"])),
                    agent_id=draw(st.sampled_from([None, "a1"])),
                    started_at=at(draw(st.integers(0, 3 * 3600))),
                    duration_seconds=draw(st.sampled_from([0, 20])))
            for i in range(draw(st.integers(0, 4)))]


@st.composite
def deliveries(draw):
    """Events of a few calls and some contacts, some delivered twice, shuffled."""
    sent = [("call", e) for c in draw(st.lists(st.sampled_from(CALL_IDS), min_size=1,
                                              max_size=5, unique=True))
            for e in draw(call_events(c))]
    sent += [("contact", c) for c in draw(contacts())]
    twice = draw(st.lists(st.sampled_from(sent), max_size=len(sent)))
    return draw(st.permutations(sent + twice))


def deliver(model, item, quick=5):
    tx = SimpleNamespace(cur=None)
    kind, data = item
    if kind == "call":
        handler.call_recorded(tx, data, START, quick)
    else:
        handler.contact_logged(tx, data, START)


def reference(sent, quick=5) -> dict:
    """The final facts — each call merged from its distinct events — summed."""
    events: dict = {}
    for kind, data in sent:
        if kind == "call":
            events.setdefault(data["call_id"], {})[data["event"]] = data
    calls = [rules.call_fact(c, list(e.values()), quick) for c, e in events.items()]
    found = {data["contact_id"]: rules.contact_fact(data) for kind, data in sent
             if kind == "contact"}
    return {rules.CALL_HOUR: as_tuples(rules.CALL_HOUR, rules.summed(rules.CALL_HOUR, calls)),
            rules.CONTACT_HOUR: as_tuples(rules.CONTACT_HOUR, rules.summed(
                rules.CONTACT_HOUR, list(found.values())))}


def patched(model):
    return (mock.patch.object(handler, "store", model.module()),
            mock.patch.object(handler, "fact_store", model.facts_module()))


@settings(max_examples=300, derandomize=True, deadline=None)
@given(deliveries())
def test_r1_call_rollups_equal_the_final_facts_summed_whatever_the_order_and_duplicates(sent):
    model = Model()
    first, second = patched(model)
    with first, second:
        for item in sent:
            deliver(model, item)
    assert model.nonzero() == reference(sent)


@settings(max_examples=200, derandomize=True, deadline=None)
@given(deliveries(), st.integers(0, 40), st.integers(1, 4), st.integers(0, 10))
def test_r4_a_call_rebuild_amid_live_events_ends_equal_to_the_final_facts_summed(
        sent, cut, size, late):
    """Live events before, between the pages of the owner's calls and contacts (all of
    them: the owner is ahead), after the correction is read and after it is added: the
    rollups end equal to the final facts summed."""
    model = Model()
    cut = min(cut, len(sent))
    owner_calls: dict = {}
    for kind, data in sent:
        if kind == "call":
            owner_calls.setdefault(data["call_id"], {})[data["event"]] = data
    pages = [{"call_id": c, "events": list(e.values())} for c, e in sorted(owner_calls.items())]
    owner_contacts = list({d["contact_id"]: d for k, d in sent if k == "contact"}.values())
    tx = SimpleNamespace(cur=None)
    first, second = patched(model)
    with first, second:
        for item in sent[:cut // 2]:
            deliver(model, item)
        model.generation = 3  # the rebuild is asked for
        live = iter(sent[cut // 2:cut])
        for n in range(0, len(pages), size):
            handler.keep_calls(tx, pages[n:n + size], 3, 5)
            item = next(live, None)  # a live event between the pages
            if item:
                deliver(model, item)
        handler.keep_contacts(tx, owner_contacts, 3)
        for item in live:
            deliver(model, item)
        fixes = model.corrections()
        for item in sent[cut:cut + late]:
            deliver(model, item)
        for table, rows in fixes.items():
            model.add(None, table, rows)
        for item in sent[cut + late:]:
            deliver(model, item)
    assert {f["generation"] for f in model.calls.values()} <= {3}
    assert model.nonzero() == reference(sent)


# -- R2: the figures as read --------------------------------------------------------------
D1, D2 = datetime.date(2026, 3, 1), datetime.date(2026, 3, 2)


def call_row(period, queue=None, agent_id=None, hour=None, **sums):
    return {"period": period, "queue": queue, "agent_id": agent_id, "hour": hour,
            **dict.fromkeys(rules.CALL_SUMS, 0), **sums}


def contact_row(period, agent_id=None, hour=None, **sums):
    return {"period": period, "queue": None, "agent_id": agent_id, "hour": hour,
            **dict.fromkeys(rules.CONTACT_SUMS, 0), **sums}


class TestR2CallFigures:
    def test_r2_an_agent_reads_only_their_own_and_another_agent_is_not_found(self):
        agent = rules.agent_scope("a1", ["agent"])
        assert rules.within_scope(agent, None) == "a1"
        assert rules.within_scope(agent, "a1") == "a1"
        with pytest.raises(NotFound):
            rules.within_scope(agent, "a2")
        for role in ("supervisor", "manager", "general_manager", "admin", "auditor"):
            assert rules.within_scope(rules.agent_scope("x", [role]), "a2") == "a2"
            assert rules.within_scope(rules.agent_scope("x", [role]), None) is None

    def test_r2_series_zero_filled_with_rates_and_means_and_contacts_on_queue_null(self):
        points = rules.series(
            [call_row(D1, queue="售后", offered=4, answered=3, abandoned=1, ring_seconds=30,
                      rung=3, talk_seconds=200, talked=2, quick_hangups=1)],
            [contact_row(D2, outbound=2, outbound_answered=1, online=3, online_seconds=90)],
            ["queue"], D1, D2, "day")
        assert [(p["period"], p["queue"]) for p in points] == \
            [(D1, None), (D2, None), (D1, "售后"), (D2, "售后")]
        after_sales = points[2]
        assert (after_sales["answer_rate"], after_sales["avg_ring_seconds"],
                after_sales["avg_talk_seconds"], after_sales["quick_hangups"]) == \
            (0.75, 10.0, 100.0, 1)
        assert after_sales["outbound"] == 0 and after_sales["outbound_answer_rate"] is None
        assert points[3]["offered"] == 0 and points[3]["answer_rate"] is None
        assert (points[1]["outbound"], points[1]["outbound_answer_rate"], points[1]["online"],
                points[1]["online_seconds"]) == (2, 0.5, 3, 90)
        assert "agent_id" not in after_sales and "hour" not in after_sales

    def test_r2_hour_zero_is_a_key_and_an_ungrouped_series_is_one_line(self):
        points = rules.series([call_row(D1, hour=0, offered=1), call_row(D1, hour=13,
                                                                         offered=2)],
                              [], ["hour"], D1, D1, "day")
        assert [(p["hour"], p["offered"]) for p in points] == [(0, 1), (13, 2)]
        assert [p["offered"] for p in rules.series([], [], [], D1, D2, "day")] == [0, 0]

    def test_r2_an_answer_above_the_points_bound_is_invalid_naming_by(self):
        many = [call_row(D1, agent_id=f"a{i}", offered=1) for i in range(60)]
        rules.check_size(many, [], ["agent"], D1, D1 + datetime.timedelta(days=332), "day")
        with pytest.raises(Invalid) as caught:
            rules.check_size(many, [], ["agent"], D1, D1 + datetime.timedelta(days=333),
                             "day")
        assert "by" in caught.value.fields


class TestR4CallCheck:
    def test_r4_call_differences_are_named_per_day_and_measure_with_kind_calls(self):
        ours = [{"day": D1, "offered": 3, "answered": 2, "abandoned": 1, "outbound": 0}]
        owner = [{"day": "2026-03-01", "offered": 3, "answered": 2, "abandoned": 1,
                  "outbound": 1},
                 {"day": "2026-03-02", "offered": 1, "answered": 0, "abandoned": 0,
                  "outbound": 0}]
        assert rules.differences(ours, owner) == [
            {"day": D1, "kind": "calls", "measure": "outbound", "ours": 0, "owner": 1},
            {"day": D2, "kind": "calls", "measure": "offered", "ours": 0, "owner": 1}]
        assert rules.differences(ours, ours) == []

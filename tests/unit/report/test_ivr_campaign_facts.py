"""Issue 13, keypad rating offers 满意度发送率 and campaign rates: R1 what one offer and one
invitation add to their rollups (snapshots merged: an offer's rated only turns true, an
invitation replaced by a newer revision only) — property-based: the rollups kept by
deltas (handlers/ivr_campaigns.py over an in-memory store) equal the final facts summed
whatever the order and duplicates, and after a rebuild amid live events; the counts and
rates are the survey service's own; R2 the figures as read (scope, clearance, rates,
bound); R4 the check's differences."""
import datetime
from types import SimpleNamespace
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.common.errors import Invalid, NotFound
from services.common.identity import Principal
from services.report.domain import ivr_campaigns as rules
from services.report.handlers import ivr_campaigns as handler
from services.survey.domain import campaigns as survey_campaigns
from services.survey.domain import satisfaction as survey_satisfaction

CHINA = ZoneInfo("Asia/Shanghai")
UTC = datetime.UTC
START = datetime.datetime(2026, 3, 1, 15, 30, tzinfo=UTC)  # 23:30 in China: days split
D1, D2 = datetime.date(2026, 3, 1), datetime.date(2026, 3, 2)


def at(seconds: float) -> datetime.datetime:
    return START + datetime.timedelta(seconds=seconds)


def offer(offer_id="pbx-1", rated=False, seconds=0, **more) -> dict:
    return {"offer_id": offer_id, "offered_at": at(seconds), "rated": rated,
            "agent_id": "a1", "group_name": "g1", "ticket_kind": "咨询",
            "category_id": None, **more}


def invitation(invitation_id="i1", revision=0, **state) -> dict:
    return {"invitation_id": invitation_id, "campaign_id": "c1",
            "campaign_starts_at": at(3600), "revision": revision, "agent_id": "a1",
            "groups": ["g1"], "level": 0, "invited": None, "accepted": None, "came": False,
            "satisfaction": None, "gift_taken": None, "coupon_taken": None,
            "closed": False, "updated_at": at(revision), **state}


class TestR1OfferFacts:
    def test_r1_an_offer_counts_on_its_china_day_and_rated_only_turns_true(self):
        fact = rules.offer_fact(offer(rated=True, seconds=1800))  # 00:00 on 2 March
        assert rules.contribution(rules.IVR_OFFER_DAY, fact) == {
            (D2, "a1", "g1", "咨询"): {"offered": 1, "rated": 1}}
        unrated = rules.offer_fact(offer(seconds=1800))
        assert rules.merged_offer(fact, unrated)["rated"] == 1  # a late older snapshot
        assert rules.merged_offer(unrated, fact)["rated"] == 1
        assert rules.merged_offer(None, unrated) == unrated

    def test_r1_an_offer_without_dimensions_counts_under_empty_ones(self):
        fact = rules.offer_fact(offer(agent_id=None, group_name=None, ticket_kind=None))
        assert (fact["agent_id"], fact["group_name"], fact["ticket_kind"]) == ("", "", "")
        assert fact["day"] == D1

    def test_r1_the_rating_rate_is_the_survey_services_rated_share(self):
        for offered, rated in ((0, 0), (3, 1), (7, 7), (9, 2)):
            assert rules.offer_figures({"offered": offered, "rated": rated})[2] == \
                survey_satisfaction.rated_share(offered, rated)


class TestR1InvitationFacts:
    def test_r1_an_invitation_counts_in_its_campaign_on_the_campaigns_start_day(self):
        fact = rules.invitation_fact(invitation(revision=3, invited=True, accepted=True,
                                                came=True, satisfaction="satisfied",
                                                gift_taken=True, level=2))
        [(key, counters)] = rules.contribution(rules.CAMPAIGN_ROLLUP, fact).items()
        assert key == ("c1", D2, "a1", ("g1",), 2)  # starts 00:30 on 2 March in China
        assert counters == {"total": 1, "called": 1, "invited": 1, "accepted": 1, "came": 1,
                            "with_outcome": 1, "satisfied": 1, "gift_taken": 1,
                            "coupon_taken": 0}

    def test_r1_not_invited_is_called_but_not_invited_and_a_closed_one_counts_nowhere(self):
        refused = rules.invitation_fact(invitation(revision=1, invited=False))
        assert (refused["called"], refused["invited"], refused["total"]) == (1, 0, 1)
        closed = rules.invitation_fact(invitation(revision=2, invited=True, closed=True))
        assert rules.contribution(rules.CAMPAIGN_ROLLUP, closed) == {}
        # closing one moves the rollup by minus its counts
        assert rules.delta(rules.CAMPAIGN_ROLLUP, refused, closed) == {
            ("c1", D2, "a1", ("g1",), 0): {**dict.fromkeys(rules.CAMPAIGN_COUNTERS, 0),
                                           "total": -1, "called": -1}}

    def test_r1_only_a_newer_revision_replaces_the_fact(self):
        old = rules.invitation_fact(invitation(revision=2, invited=True))
        assert rules.replaces(None, old)
        assert not rules.replaces(old, rules.invitation_fact(invitation(revision=2)))
        assert not rules.replaces(old, rules.invitation_fact(invitation(revision=1)))
        assert rules.replaces(old, rules.invitation_fact(invitation(revision=3)))
        assert rules.newest([rules.invitation_fact(invitation(revision=r))
                             for r in (1, 4, 2)])["i1"]["revision"] == 4

    @given(st.lists(st.fixed_dictionaries({
        "invited": st.sampled_from([None, True, False]), "accepted": st.booleans(),
        "came": st.booleans(), "satisfaction": st.sampled_from(
            [None, "satisfied", "average", "unsatisfied"]),
        "gift_taken": st.sampled_from([None, True, False]),
        "coupon_taken": st.sampled_from([None, True, False])}), max_size=12))
    def test_r1_the_facts_summed_are_the_survey_services_own_counts_and_rates(self, states):
        rows = []
        for s in states:  # as the survey keeps them: accepted needs invited
            accepted = bool(s["invited"] and s["accepted"])
            rows.append({**s, "accepted": accepted if s["invited"] else None,
                         "came": bool(accepted and s["came"])})
        facts = [rules.invitation_fact(invitation(f"i{n}", **r)) for n, r in enumerate(rows)]
        summed = rules.summed(rules.CAMPAIGN_ROLLUP, facts)
        ours = next(iter(summed.values()), dict.fromkeys(rules.CAMPAIGN_COUNTERS, 0))
        theirs = survey_campaigns.counts(rows)
        assert {k: ours[k] for k in rules.CAMPAIGN_COUNTERS} == \
            {k: theirs[k] for k in rules.CAMPAIGN_COUNTERS}
        figures = survey_campaigns.figures(theirs)
        assert rules.campaign_figures(ours)[-4:] == [
            figures["invitation_rate"], figures["acceptance_rate"],
            figures["attendance_rate"], figures["satisfaction_rate"]]


# -- property: deltas over an in-memory store equal the final facts summed ------------------
class Model:
    """The store's functions over dicts (what store/ivr_campaigns.py does in SQL)."""

    def __init__(self):
        self.offers: dict = {}
        self.invitations: dict = {}
        self.rollups: dict = {t: {} for t in rules.TABLES}
        self.generation = 0

    def module(self):
        return SimpleNamespace(
            lock=lambda cur, keys: None,
            offers_of=lambda cur, ids: [dict(self.offers[i]) for i in ids if i in self.offers],
            put_offers=lambda cur, facts, g: self._put(self.offers, "offer_id", facts, g),
            stamp_offers=lambda cur, ids, g: self._stamp(self.offers, ids, g),
            invitations_of=lambda cur, ids: [dict(self.invitations[i]) for i in ids
                                             if i in self.invitations],
            put_invitations=lambda cur, facts, g: self._put(self.invitations,
                                                            "invitation_id", facts, g),
            stamp_invitations=lambda cur, ids, g: self._stamp(self.invitations, ids, g),
            add=self.add)

    def facts_module(self):
        return SimpleNamespace(lock_briefly=lambda cur: None,
                               current_generation=lambda cur: self.generation,
                               advance_feed=lambda cur, source, moment: None)

    @staticmethod
    def _put(target, key, facts, generation):
        for f in facts:
            kept = target.get(f[key], {}).get("generation", 0)
            target[f[key]] = {**f, "generation": max(generation, kept)}

    @staticmethod
    def _stamp(target, ids, generation):
        for i in ids:
            if i in target:
                target[i]["generation"] = max(generation, target[i]["generation"])

    def add(self, cur, table, rows):
        width = len(rules.COUNTERS[table])
        target = self.rollups[table]
        for row in rows:
            key = tuple(tuple(v) if isinstance(v, list) else v for v in row[:-width])
            current = target.get(key, (0,) * width)
            target[key] = tuple(a + b for a, b in zip(current, row[-width:], strict=True))

    def corrections(self):
        """What CORRECTIONS reads in one snapshot: facts summed − rollup."""
        out = {}
        for table, facts in ((rules.IVR_OFFER_DAY, self.offers.values()),
                             (rules.CAMPAIGN_ROLLUP, self.invitations.values())):
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


@st.composite
def offer_snapshots(draw, offer_id):
    """An offer's snapshots as the survey tells them: offered, then maybe rated."""
    base = offer(offer_id, seconds=draw(st.integers(0, 3 * 3600)),
                 agent_id=draw(st.sampled_from([None, "a1", "a2"])),
                 group_name=draw(st.sampled_from([None, "g1"])))
    rated = draw(st.sampled_from(["never", "later", "at_once"]))
    out = [("offer", {**base, "rated": rated == "at_once"})]
    if rated == "later":
        out.append(("offer", {**base, "rated": True}))
    return out


@st.composite
def invitation_snapshots(draw, invitation_id):
    """An invitation's snapshots, revision by revision: listed, called, maybe accepted
    and came with an outcome, maybe its level followed, maybe closed."""
    base = invitation(invitation_id, agent_id=draw(st.sampled_from(["a1", "a2"])),
                      groups=draw(st.sampled_from([[], ["g1"], ["g2", "g1"]])),
                      campaign_id=draw(st.sampled_from(["c1", "c2"])))
    states = [base]
    steps = draw(st.lists(st.sampled_from(["decline", "accept", "come", "outcome", "level",
                                           "close", "erase"]), max_size=5))
    state = dict(base)
    for step in steps:
        if state["closed"]:
            break
        if step == "decline":
            state = {**state, "invited": draw(st.booleans()), "accepted": False}
        elif step == "accept":
            state = {**state, "invited": True, "accepted": True}
        elif step == "come" and state["accepted"]:
            state = {**state, "came": True}
        elif step == "outcome" and state["came"]:
            state = {**state, "satisfaction": draw(st.sampled_from(
                ["satisfied", "average", "unsatisfied"])), "gift_taken": draw(st.booleans())}
        elif step == "level":
            state = {**state, "level": draw(st.integers(0, 3))}
        elif step == "close":
            state = {**state, "closed": True}
        state = {**state, "revision": state["revision"] + 1}
        if step != "erase":  # an erased note changes nothing counted: not told
            states.append(state)
    if steps and steps[-1] == "erase":
        states.append(state)  # told with the next change (here: the last)
    return [("invitation", s) for s in states]


@st.composite
def deliveries(draw):
    sent = [e for i in draw(st.lists(st.sampled_from(["p1", "p2", "p3"]), max_size=3,
                                     unique=True)) for e in draw(offer_snapshots(i))]
    sent += [e for i in draw(st.lists(st.sampled_from(["i1", "i2", "i3", "i4"]), min_size=1,
                                      max_size=4, unique=True))
             for e in draw(invitation_snapshots(i))]
    twice = draw(st.lists(st.sampled_from(sent), max_size=len(sent)))
    return draw(st.permutations(sent + twice))


def deliver(item, listed: bool = False):
    tx = SimpleNamespace(cur=None)
    kind, payload = item
    if kind == "offer":
        handler.offer_updated(tx, payload, START)
    else:
        handler.invitations_updated(tx, [payload], START)


def final(sent) -> tuple[list[dict], list[dict]]:
    """The owner's records now: each offer rated if ever told so, each invitation at its
    highest revision."""
    offers: dict = {}
    for kind, p in sent:
        if kind == "offer":
            kept = offers.get(p["offer_id"])
            offers[p["offer_id"]] = {**p, "rated": bool(p["rated"] or (kept and kept["rated"]))}
    invitations: dict = {}
    for kind, p in sent:
        if kind == "invitation":
            kept = invitations.get(p["invitation_id"])
            if kept is None or p["revision"] > kept["revision"]:
                invitations[p["invitation_id"]] = p
    return list(offers.values()), list(invitations.values())


def reference(sent) -> dict:
    offers, invitations = final(sent)
    return {rules.IVR_OFFER_DAY: as_tuples(rules.IVR_OFFER_DAY, rules.summed(
                rules.IVR_OFFER_DAY, [rules.offer_fact(o) for o in offers])),
            rules.CAMPAIGN_ROLLUP: as_tuples(rules.CAMPAIGN_ROLLUP, rules.summed(
                rules.CAMPAIGN_ROLLUP, [rules.invitation_fact(i) for i in invitations]))}


def patched(model):
    return (mock.patch.object(handler, "store", model.module()),
            mock.patch.object(handler, "fact_store", model.facts_module()))


@settings(max_examples=300, derandomize=True, deadline=None)
@given(deliveries())
def test_r1_offer_and_campaign_rollups_equal_the_final_facts_summed_whatever_the_order(sent):
    model = Model()
    first, second = patched(model)
    with first, second:
        for item in sent:
            deliver(item)
    assert model.nonzero() == reference(sent)
    # the invitations told in pages (a frozen list's event) end the same
    again = Model()
    first, second = patched(again)
    with first, second:
        tx = SimpleNamespace(cur=None)
        for kind, p in sent:
            if kind == "offer":
                handler.offer_updated(tx, p, START)
        told = [p for kind, p in sent if kind == "invitation"]
        for n in range(0, len(told), 3):
            handler.invitations_updated(tx, told[n:n + 3], START)
    assert again.nonzero() == model.nonzero()


@settings(max_examples=150, derandomize=True, deadline=None)
@given(deliveries(), st.integers(0, 40), st.integers(1, 4), st.integers(0, 10))
def test_r4_a_rebuild_amid_live_snapshots_ends_equal_to_the_final_facts_summed(
        sent, cut, size, late):
    """Live snapshots before, between the owner's pages, after the correction is read and
    after it is added: the rollups end equal to the final facts summed."""
    model = Model()
    cut = min(cut, len(sent))
    offers, invitations = final(sent)
    tx = SimpleNamespace(cur=None)
    first, second = patched(model)
    with first, second:
        for item in sent[:cut // 2]:
            deliver(item)
        model.generation = 3  # the rebuild is asked for
        live = iter(sent[cut // 2:cut])
        for n in range(0, len(offers), size):
            handler.keep_offers(tx, offers[n:n + size], 3)
            item = next(live, None)
            if item:
                deliver(item)
        for n in range(0, len(invitations), size):
            handler.keep_invitations(tx, invitations[n:n + size], 3)
            item = next(live, None)
            if item:
                deliver(item)
        for item in live:
            deliver(item)
        fixes = model.corrections()
        for item in sent[cut:cut + late]:
            deliver(item)
        for table, rows in fixes.items():
            model.add(None, table, rows)
        for item in sent[cut + late:]:
            deliver(item)
    assert {f["generation"] for f in model.offers.values()} <= {3}
    assert {f["generation"] for f in model.invitations.values()} <= {3}
    assert model.nonzero() == reference(sent)


# -- R2: the figures as read --------------------------------------------------------------
def who(staff_id: str, role: str, *groups: str, clearance: int = 0) -> Principal:
    return Principal(id=staff_id, username=staff_id, roles=frozenset({role}),
                     groups=frozenset(groups), clearance=clearance)


class FakeStore:
    def __init__(self, offers=(), campaigns=(), known=True):
        self.offers, self.campaigns, self.known = list(offers), list(campaigns), known
        self.asked: dict = {}

    def offer_counts(self, cur, by, period, first, last, filters, groups):
        self.asked["offers"] = (filters, groups)
        return self.offers

    def agent_offered_in_groups(self, cur, agent, groups):
        return self.known

    def campaign_counts(self, cur, first, last, by_agent, filters, groups, clearance, limit):
        self.asked["campaigns"] = (filters, groups, clearance, limit)
        return self.campaigns[:limit]


def run(fake: FakeStore, call, principal, query):
    tx = SimpleNamespace(cur=None)
    with mock.patch.object(handler, "store", fake), \
            mock.patch.object(handler.fact_store, "feed_position", lambda cur, s: None):
        return call(tx, principal, query)


OFFER_QUERY = {"from_day": D1, "to_day": D2, "period": "day", "by": ["agent"],
               "group_name": None, "agent_id": None, "ticket_kind": None}
CAMPAIGN_QUERY = {"from_day": D1, "to_day": D2, "by": [], "group_name": None,
                  "agent_id": None, "campaign_id": None}


def campaign_row(campaign_id="c1", agent_id=None, **counts):
    return {"campaign_id": campaign_id, "campaign_day": D2, "agent_id": agent_id,
            **dict.fromkeys(rules.CAMPAIGN_COUNTERS, 0), **counts}


class TestR2Figures:
    def test_r2_offers_every_day_for_every_agent_with_zeros_and_the_rate(self):
        fake = FakeStore(offers=[{"period": D1, "agent_id": "a1", "group_name": None,
                                  "ticket_kind": None, "offered": 4, "rated": 1}])
        got = run(fake, handler.ivr_offer_figures, who("m", "manager"), OFFER_QUERY)
        assert got["columns"] == ["period", "agent_id", "offered", "rated", "rating_rate"]
        assert got["rows"] == [["2026-03-01", "a1", 4, 1, 25.0],
                               ["2026-03-02", "a1", 0, 0, None]]
        assert fake.asked["offers"][1] is None  # a manager: every group

    def test_r2_an_agent_reads_their_own_offers_and_another_agent_is_not_found(self):
        fake = FakeStore()
        run(fake, handler.ivr_offer_figures, who("a1", "agent"), OFFER_QUERY)
        assert fake.asked["offers"][0]["agent_id"] == "a1"
        with pytest.raises(NotFound):
            run(fake, handler.ivr_offer_figures, who("a1", "agent"),
                {**OFFER_QUERY, "agent_id": "a2"})

    def test_r2_a_supervisor_reads_their_groups_and_no_other(self):
        fake = FakeStore(known=False)
        run(fake, handler.ivr_offer_figures, who("s", "supervisor", "g1"), OFFER_QUERY)
        assert fake.asked["offers"][1] == ["g1"]
        with pytest.raises(NotFound):
            run(fake, handler.ivr_offer_figures, who("s", "supervisor", "g1"),
                {**OFFER_QUERY, "group_name": "g2"})
        with pytest.raises(NotFound):  # an agent with nothing counted in their groups
            run(fake, handler.ivr_offer_figures, who("s", "supervisor", "g1"),
                {**OFFER_QUERY, "agent_id": "a9"})

    def test_r2_campaign_rows_carry_the_counts_and_the_rates(self):
        fake = FakeStore(campaigns=[campaign_row(total=10, called=8, invited=6, accepted=3,
                                                 came=2, with_outcome=2, satisfied=1)])
        got = run(fake, handler.campaign_figures, who("m", "manager", clearance=2),
                  CAMPAIGN_QUERY)
        row = dict(zip(got["columns"], got["rows"][0], strict=True))
        assert row["campaign_id"] == "c1" and row["campaign_day"] == "2026-03-02"
        assert (row["invitation_rate"], row["acceptance_rate"], row["attendance_rate"],
                row["satisfaction_rate"]) == (60.0, 50.0, 66.7, 50.0)
        filters, groups, clearance, _ = fake.asked["campaigns"]
        assert (groups, clearance) == (None, 2)  # never above the reader's clearance

    def test_r2_campaigns_in_scope_agent_own_supervisor_groups(self):
        fake = FakeStore()
        run(fake, handler.campaign_figures, who("a1", "agent"), CAMPAIGN_QUERY)
        assert fake.asked["campaigns"][0]["agent_id"] == "a1"
        run(fake, handler.campaign_figures, who("s", "supervisor", "g1"), CAMPAIGN_QUERY)
        assert fake.asked["campaigns"][1] == ["g1"]
        with pytest.raises(NotFound):  # a campaign with nothing in their groups
            run(fake, handler.campaign_figures, who("s", "supervisor", "g1"),
                {**CAMPAIGN_QUERY, "campaign_id": "c9"})
        with pytest.raises(NotFound):
            run(fake, handler.campaign_figures, who("a1", "agent"),
                {**CAMPAIGN_QUERY, "agent_id": "a2"})

    def test_r2_a_too_large_campaign_answer_is_invalid_naming_by(self):
        fake = FakeStore(campaigns=[campaign_row(f"c{n}", "a1", total=1)
                                    for n in range(handler.MAX_POINTS + 1)])
        with pytest.raises(Invalid) as refused:
            run(fake, handler.campaign_figures, who("m", "manager"),
                {**CAMPAIGN_QUERY, "by": ["agent"]})
        assert "by" in refused.value.fields


# -- R4: the check's differences ---------------------------------------------------------------
class TestR4Differences:
    def test_r4_offer_differences_name_the_day_and_measure(self):
        ours = [{"day": D1, "offered": 3, "rated": 1}]
        owner = [{"day": "2026-03-01", "offered": 3, "rated": 2},
                 {"day": "2026-03-02", "offered": 1, "rated": 0}]
        assert rules.offer_differences(ours, owner) == [
            {"day": D1, "kind": "ivr_offers", "measure": "rated", "ours": 1, "owner": 2},
            {"day": D2, "kind": "ivr_offers", "measure": "offered", "ours": 0, "owner": 1}]

    def test_r4_campaign_differences_name_the_campaign(self):
        counts = dict.fromkeys(rules.CAMPAIGN_CHECKED, 2)
        ours = [{"day": D2, "campaign_id": "c1", **counts}]
        owner = [{"day": "2026-03-02", "campaign_id": "c1", **counts, "came": 3}]
        assert rules.campaign_differences(ours, owner) == [
            {"day": D2, "kind": "campaign c1", "measure": "came", "ours": 2, "owner": 3}]
        assert rules.campaign_differences(ours, [{**r} for r in ours]) == []


def test_r4_the_rebuild_pages_the_survey_feeds_whose_lists_are_named_as_their_phases():
    from services.report.contract.rebuild import PHASES
    from services.report.handlers.rebuild import BY_PHASE
    from services.survey.contract import CONTRACT as SURVEY

    operations = {o.name: o for o in SURVEY.operations}
    for phase in ("ivr_offers", "invitations"):
        source = BY_PHASE[phase]
        assert phase in PHASES and source.owner == "survey"
        assert phase in operations[source.feed].output._declared_fields
        assert operations[source.feed].system == frozenset({"report"})

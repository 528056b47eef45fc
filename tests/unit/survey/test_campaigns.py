"""V5 campaigns, free of I/O: the spread of a frozen list over agents, the invitation
call's vocabulary and rules, check-in codes, scope, and the rates against a plain
reference count."""
import datetime
import random
import re
from collections import Counter

import pytest
from marshmallow import ValidationError

from services.common.errors import Conflict, Invalid
from services.common.identity import Principal
from services.survey.contract import campaigns as contract
from services.survey.domain import campaigns as rules

UTC = datetime.UTC
STARTS = datetime.datetime.now(UTC) + datetime.timedelta(days=7)


def person(roles=("agent",), groups=(), clearance=0, staff_id="me") -> Principal:
    return Principal(staff_id, staff_id, frozenset(roles), frozenset(groups), clearance)


def campaign_in(**over) -> dict:
    return {"theme": "冬季保养节", "starts_at": STARTS.isoformat(),
            "ends_at": (STARTS + datetime.timedelta(hours=6)).isoformat(),
            "venue": "onsite", "place": "4S店一楼展厅", "capacity": 50,
            "segment": {"product": "轩逸", "no_visit_months": 6}, "agent_ids": ["a1", "a2"],
            **over}


def invitation(**over) -> dict:
    return {"invited": None, "reason": None, "accepted": None, "came": False,
            "satisfaction": None, "gift_taken": None, "coupon_taken": None,
            "erased_at": None, **over}


class TestSpread:
    @pytest.mark.parametrize("customers,agents", [(100_000, 50), (7, 3), (2, 5), (1, 1),
                                                  (1001, 200)])
    def test_v5_the_list_is_spread_evenly_differing_by_at_most_one(self, customers, agents):
        order = rules.agent_order([f"agent-{i:03d}" for i in range(agents)][::-1])
        dealt = Counter(rules.dealt_to(order, p) for p in range(customers))
        sizes = [dealt.get(a, 0) for a in order]
        assert sum(sizes) == customers
        assert max(sizes) - min(sizes) <= 1

    def test_v5_pages_deal_on_where_the_last_page_stopped_and_the_order_is_stable(self):
        agents = rules.agent_order(["c", "a", "b", "a"])
        assert agents == ["a", "b", "c"]
        groups = {"a": ["组一"], "b": ["组二"]}
        first = rules.invitations("camp", agents, groups, [{"id": "x1", "level": 2},
                                                           {"id": "x2"}], 0)
        second = rules.invitations("camp", agents, groups, [{"id": "x3", "level": 0},
                                                            {"id": "x4"}], 2)
        assert [r["agent_id"] for r in first + second] == ["a", "b", "c", "a"]
        assert [r["position"] for r in first + second] == [0, 1, 2, 3]
        assert first[0]["level"] == 2 and first[1]["level"] == 0
        assert first[0]["groups"] == ["组一"] and second[0]["groups"] == []

    def test_v5_the_list_is_frozen_to_customers_created_before_the_campaign(self):
        created = datetime.datetime(2026, 12, 1, 8, tzinfo=UTC)
        assert rules.frozen_query({"product": "轩逸"}, created)["created_before"] == created
        earlier = created - datetime.timedelta(days=30)
        assert rules.frozen_query({"created_before": earlier}, created)[
            "created_before"] == earlier
        later = created + datetime.timedelta(days=30)
        assert rules.frozen_query({"created_before": later}, created)[
            "created_before"] == created

    def test_v5_every_agent_must_be_an_active_agent(self):
        rules.check_agents(["a", "b"], {"a", "b", "c"})
        with pytest.raises(Invalid) as err:
            rules.check_agents(["a", "ghost"], {"a"})
        assert "ghost" in err.value.fields["agent_ids"][0]


class TestCampaignIn:
    def test_v5_a_campaign_loads_with_the_segment_shape_notify_takes(self):
        loaded = contract.CampaignIn().load(campaign_in())
        assert loaded["segment"] == {"product": "轩逸", "no_visit_months": 6}
        assert loaded["description"] == "" and loaded["venue"] == "onsite"

    @pytest.mark.parametrize("over,field", [
        ({"theme": "长" * 101}, "theme"),
        ({"description": "长" * 2001}, "description"),
        ({"place": "长" * 201}, "place"),
        ({"venue": "online"}, "venue"),
        ({"capacity": 0}, "capacity"),
        ({"capacity": 100_001}, "capacity"),
        ({"agent_ids": []}, "agent_ids"),
        ({"agent_ids": [f"a{i}" for i in range(201)]}, "agent_ids"),
        ({"agent_ids": ["a1", "a1"]}, "agent_ids"),
        ({"ends_at": STARTS.isoformat()}, "ends_at"),
        ({"segment": {}}, "segment"),
        ({"segment": {"no_visit_months": 0}}, "segment"),
        ({"segment": {"model": "轩逸"}}, "segment"),
        ({"starts_at": "2026-12-01T09:00:00"}, "starts_at"),  # no zone
    ])
    def test_v5_bad_campaigns_are_refused_naming_the_field(self, over, field):
        with pytest.raises(ValidationError) as err:
            contract.CampaignIn().load(campaign_in(**over))
        assert field in err.value.messages

    def test_v5_every_customer_must_be_said_explicitly(self):
        loaded = contract.CampaignIn().load(campaign_in(segment={}, all_customers=True))
        assert loaded["segment"] == {}

    def test_v5_the_same_request_again_is_the_same_campaign(self):
        me, other = person(("supervisor",)), person(("supervisor",), staff_id="other")
        data = contract.CampaignIn().load(campaign_in())
        assert rules.request_key(me, None, data) == rules.request_key(me, None, dict(data))
        assert rules.request_key(me, None, data) != rules.request_key(
            me, None, {**data, "capacity": 51})
        assert rules.request_key(me, None, data) != rules.request_key(other, None, data)
        assert rules.request_key(me, "k1", data) == rules.request_key(
            me, "k1", {**data, "capacity": 51})
        with pytest.raises(Invalid):
            rules.request_key(me, "k" * 201, data)


class TestInvitationCall:
    LOAD = contract.InvitationCallIn()

    @pytest.mark.parametrize("reason", contract.NOT_INVITED)
    def test_v5_each_reason_of_the_vocabulary_is_taken(self, reason):
        call = self.LOAD.load({"invited": False, "reason": reason, "note": "x"})
        assert call["reason"] == reason and call["accepted"] is None

    @pytest.mark.parametrize("data,field", [
        ({"invited": False}, "reason"),
        ({"invited": False, "reason": "angry"}, "reason"),
        ({"invited": False, "reason": "other"}, "note"),
        ({"invited": False, "reason": "other", "note": "  "}, "note"),
        ({"invited": False, "reason": "busy", "accepted": True}, "accepted"),
        ({"invited": True}, "accepted"),
        ({"invited": True, "accepted": True, "reason": "busy"}, "reason"),
        ({"invited": True, "accepted": True, "note": "长" * 501}, "note"),
        ({"invited": True, "accepted": True, "code": "123456"}, "code"),
    ])
    def test_v5_an_inconsistent_call_is_refused_naming_the_field(self, data, field):
        with pytest.raises(ValidationError) as err:
            self.LOAD.load(data)
        assert field in err.value.messages

    def test_v5_the_vocabularies_are_the_fixed_ones(self):
        assert contract.NOT_INVITED == ("refused", "busy", "no_answer", "sold_the_car",
                                        "moved", "wrong_number", "other")
        assert contract.SATISFACTION == ("satisfied", "average", "unsatisfied")
        with pytest.raises(ValidationError):
            contract.VisitOutcomeIn().load({"satisfaction": "very_satisfied"})
        outcome = contract.VisitOutcomeIn().load({"satisfaction": "average",
                                                  "gift_taken": True})
        assert outcome == {"satisfaction": "average", "gift_taken": True,
                           "coupon_taken": False, "reason": ""}

    def test_v5_what_a_call_sets(self):
        assert rules.call_effect(invitation(), {"invited": False, "reason": "moved",
                                                "note": "搬去成都", "accepted": None}) == {
            "invited": False, "reason": "moved", "note": "搬去成都", "accepted": None}
        assert rules.call_effect(invitation(), {"invited": True, "reason": None,
                                                "note": "", "accepted": False})[
            "accepted"] is False

    def test_v5_only_a_new_acceptance_takes_a_place(self):
        yes = {"invited": True, "accepted": True}
        assert rules.newly_accepted(invitation(), yes)
        assert not rules.newly_accepted(invitation(invited=True, accepted=True), yes)
        assert not rules.newly_accepted(invitation(), {"invited": True, "accepted": False})

    def test_v5_accepting_past_capacity_is_a_conflict_naming_capacity(self):
        rules.check_capacity(49, 50)
        with pytest.raises(Conflict) as err:
            rules.check_capacity(50, 50)
        assert "capacity" in err.value.fields

    def test_v5_a_call_after_the_customer_came_or_was_destroyed_is_refused(self):
        rules.check_callable(invitation(), "frozen")
        for bad, state in ((invitation(came=True, accepted=True), "frozen"),
                           (invitation(erased_at=STARTS), "frozen"),
                           (invitation(), "freezing")):
            with pytest.raises(Conflict):
                rules.check_callable(bad, state)

    def test_v5_a_visit_outcome_only_for_a_customer_who_came(self):
        rules.check_outcome_allowed(invitation(accepted=True, came=True))
        with pytest.raises(Conflict):
            rules.check_outcome_allowed(invitation(accepted=True))


class TestCodes:
    def test_v5_codes_are_six_digits_and_spread_over_the_whole_range(self):
        codes = [rules.new_code(lambda c: False) for _ in range(2000)]
        assert all(re.fullmatch(r"[0-9]{6}", c) for c in codes)
        assert len(set(codes)) > 1990  # 2,000 draws of 10^6: a repeat or two at most
        assert min(int(c) for c in codes) < 100_000  # leading zeros kept
        assert len({c[0] for c in codes}) == 10

    def test_v5_a_code_taken_in_the_campaign_is_not_given_again(self):
        taken = {f"{i:06d}" for i in range(10 ** 6) if i % 10}  # nine in ten taken
        code = rules.new_code(taken.__contains__)
        assert code not in taken

    def test_v5_no_free_code_is_a_conflict_not_a_loop(self):
        with pytest.raises(Conflict):
            rules.new_code(lambda c: True)

    def test_v5_the_acceptance_event_id_is_one_per_invitation(self):
        assert rules.accepted_event_id("i-1") == rules.accepted_event_id("i-1")
        assert rules.accepted_event_id("i-1") != rules.accepted_event_id("i-2")

    @pytest.mark.parametrize("data", [{"code": "12345"}, {"code": "1234567"},
                                      {"code": "12a456"}, {},
                                      {"code": "123456",
                                       "invitation_id": "7c9e6679-7425-40de-944b-e07fc1f90ae7"}])
    def test_v5_check_in_takes_six_digits_or_an_invitation_id(self, data):
        with pytest.raises(ValidationError):
            contract.CheckInIn().load(data)


class TestScopeAndStatus:
    def test_v5_who_reaches_which_invitations(self):
        agent = rules.scope(person(clearance=1))
        assert agent == {"all": False, "staff_id": "me", "groups": [], "clearance": 1}
        boss = rules.scope(person(("supervisor",), groups=("组二", "组一")))
        assert boss["groups"] == ["组一", "组二"] and not boss["all"]
        for roles in (("manager",), ("general_manager",), ("admin",)):
            assert rules.scope(person(roles))["all"]
        assert not rules.campaign_scope(person())["all"]
        assert rules.campaign_scope(person(("supervisor",)))["all"]

    def test_v5_statuses_and_filters(self):
        cases = {
            "to_call": invitation(),
            "not_invited": invitation(invited=False, reason="refused"),
            "declined": invitation(invited=True, accepted=False),
            "accepted": invitation(invited=True, accepted=True),
            "came": invitation(invited=True, accepted=True, came=True),
        }
        assert {k: rules.status(v) for k, v in cases.items()} == {k: k for k in cases}
        busy = invitation(invited=False, reason="busy")
        assert rules.status(busy) == "not_invited" and rules.in_filter(busy, "to_call")
        assert not rules.in_filter(cases["not_invited"], "to_call")
        assert not rules.in_filter(invitation(erased_at=STARTS), "to_call")
        assert [k for k, v in cases.items() if rules.in_filter(v, "invited")] == [
            "declined", "accepted", "came"]
        assert [k for k, v in cases.items() if rules.in_filter(v, "accepted")] == [
            "accepted", "came"]

    def test_v5_the_door_sees_no_classified_customer(self):
        row = {**invitation(invited=True, accepted=True, came=True), "level": 2,
               "customer_id": "c-1", "note": "秘密", "satisfaction_reason": "",
               "agent_id": "me", "groups": []}
        assert rules.at_the_door(person(clearance=2), row)["customer_id"] == "c-1"
        hidden = rules.at_the_door(person(clearance=1), row)
        assert "customer_id" not in hidden and "note" not in hidden

    def test_v5_out_of_scope_the_door_answer_holds_only_what_the_door_needs(self):
        row = {**invitation(invited=True, accepted=True, came=True), "level": 0,
               "id": "i-1", "campaign_id": "c", "theme": "节", "starts_at": STARTS,
               "checked_in_at": STARTS, "customer_id": "c-1", "note": "客户说周六来",
               "satisfaction_reason": "等候", "recorded_by": "ag", "agent_id": "ag",
               "groups": ["组一"], "checkin_code": "123456"}
        door = rules.at_the_door(person(roles=("agent",), staff_id="door"), row)
        assert set(door) == {"id", "campaign_id", "theme", "starts_at", "status", "came",
                             "checked_in_at"}
        assert door["status"] == "came"
        assert rules.at_the_door(person(staff_id="ag"), row)["note"] == "客户说周六来"
        boss = person(roles=("supervisor",), groups=("组一",), staff_id="sv")
        assert rules.at_the_door(boss, row)["customer_id"] == "c-1"
        other = person(roles=("supervisor",), groups=("组二",), staff_id="sv2")
        assert "customer_id" not in rules.at_the_door(other, row)

    def test_v5_rates_reach_the_supervisors_groups_agents_only(self):
        agents = ["a1", "a2", "b1"]
        groups = {"a1": ["组一"], "a2": ["组一", "组三"], "b1": ["组二"]}
        boss = person(roles=("supervisor",), groups=("组一",), staff_id="sv")
        assert rules.rate_scope(boss, agents, groups) == ["a1", "a2"]
        assert rules.rate_scope(person(roles=("manager",)), agents, groups) == agents
        assert rules.rate_scope(person(staff_id="b1"), agents, groups) == ["b1"]
        counted = {"a1": {**rules.empty_counts(), "total": 2, "invited": 1},
                   "a2": {**rules.empty_counts(), "total": 3, "invited": 3}}
        assert rules.total(counted)["total"] == 5 and rules.total(counted)["invited"] == 4


class TestRates:
    def test_v5_rates_equal_a_plain_reference_computation(self):
        rng = random.Random(12)
        rows = []
        for _ in range(5000):
            invited = rng.choice((None, False, True, True))
            accepted = rng.choice((False, True)) if invited else None
            came = bool(accepted) and rng.random() < 0.7
            rows.append(invitation(
                invited=invited, reason="busy" if invited is False else None,
                accepted=accepted, came=came,
                satisfaction=rng.choice((None,) + contract.SATISFACTION) if came else None,
                gift_taken=came and rng.random() < 0.5, coupon_taken=came and rng.random() < .3))
        figures = rules.figures(rules.counts(rows))
        total = len(rows)
        invited = sum(1 for r in rows if r["invited"])
        accepted = sum(1 for r in rows if r["accepted"])
        came = sum(1 for r in rows if r["came"])
        rated = [r for r in rows if r["satisfaction"]]
        satisfied = sum(1 for r in rated if r["satisfaction"] == "satisfied")
        assert (figures["total"], figures["invited"], figures["accepted"], figures["came"],
                figures["with_outcome"], figures["satisfied"]) == (
            total, invited, accepted, came, len(rated), satisfied)
        assert figures["invitation_rate"] == round(100 * invited / total, 1)
        assert figures["acceptance_rate"] == round(100 * accepted / invited, 1)
        assert figures["attendance_rate"] == round(100 * came / accepted, 1)
        assert figures["satisfaction_rate"] == round(100 * satisfied / len(rated), 1)

    def test_v5_a_rate_with_nothing_behind_it_is_null(self):
        figures = rules.figures(rules.empty_counts())
        assert figures["total"] == 0 and figures["invitation_rate"] is None
        assert figures["satisfaction_rate"] is None

    def test_v5_every_agent_has_figures_even_with_no_invitation(self):
        shown = rules.per_agent(["b", "a"], {"a": {**rules.empty_counts(), "total": 3,
                                                   "invited": 3, "accepted": 1}})
        assert [s["agent_id"] for s in shown] == ["a", "b"]
        assert shown[0]["acceptance_rate"] == 33.3 and shown[1]["total"] == 0


class TestDatesAndLimits:
    CAMPAIGN = {"starts_at": datetime.datetime(2026, 12, 12, 2, 0, tzinfo=UTC),  # 10:00 CST
                "ends_at": datetime.datetime(2026, 12, 13, 10, 0, tzinfo=UTC)}

    def test_v5_nothing_is_called_or_checked_in_after_the_campaign_ended(self):
        after = self.CAMPAIGN["ends_at"] + datetime.timedelta(seconds=1)
        with pytest.raises(Conflict) as err:
            rules.check_not_ended(self.CAMPAIGN, after)
        assert "ends_at" in err.value.fields
        with pytest.raises(Conflict) as err:
            rules.check_door_open(self.CAMPAIGN, self.CAMPAIGN["ends_at"])
        assert "ends_at" in err.value.fields
        rules.check_not_ended(self.CAMPAIGN, self.CAMPAIGN["starts_at"])

    def test_v5_the_door_opens_on_the_campaigns_first_day_in_china(self):
        # 2026-12-12 00:00 in China is 2026-12-11 16:00 UTC
        opens = datetime.datetime(2026, 12, 11, 16, 0, tzinfo=UTC)
        rules.check_door_open(self.CAMPAIGN, opens)
        with pytest.raises(Conflict) as err:
            rules.check_door_open(self.CAMPAIGN, opens - datetime.timedelta(seconds=1))
        assert "starts_at" in err.value.fields
        rules.check_door_open(self.CAMPAIGN, self.CAMPAIGN["ends_at"]
                              - datetime.timedelta(seconds=1))

    def test_v5_a_list_past_max_campaign_list_is_refused_naming_the_segment(self):
        rules.check_list_size(200_000, rules.MAX_CAMPAIGN_LIST)
        with pytest.raises(Invalid) as err:
            rules.check_list_size(200_001, rules.MAX_CAMPAIGN_LIST)
        assert "segment" in err.value.fields and "200000" in err.value.fields["segment"][0]

    def test_v5_a_segment_of_customers_created_after_now_is_refused(self):
        later = (datetime.datetime.now(UTC) + datetime.timedelta(hours=1)).isoformat()
        with pytest.raises(ValidationError) as err:
            contract.CampaignIn().load(campaign_in(segment={"product": "轩逸",
                                                            "created_after": later}))
        assert "segment.created_after" in err.value.messages
        earlier = (datetime.datetime.now(UTC) - datetime.timedelta(days=30)).isoformat()
        contract.CampaignIn().load(campaign_in(segment={"product": "轩逸",
                                                        "created_after": earlier}))


class TestFreezeTrouble:
    def test_v5_a_failed_freeze_is_backed_off_in_its_own_transaction_still_locked(
            self, monkeypatch):
        from contextlib import contextmanager

        from services.common.errors import Unavailable
        from services.survey.handlers import campaigns as handler

        done: list = []
        waiting = [{"id": "camp-1", "agent_ids": ["a1"], "segment": {}}]

        class Db:
            @contextmanager
            def transaction(self):
                done.append("begin")
                yield type("Tx", (), {"cur": object()})()
                done.append("commit")

        def claim(cur):
            return waiting.pop() if waiting else None

        def ask(customers, query):
            raise Unavailable("message broker unavailable")
        monkeypatch.setattr(handler.store, "claim_freezing", claim)
        monkeypatch.setattr(handler.store, "groups_of", lambda cur, ids: {})
        monkeypatch.setattr(handler.store, "savepoint", lambda cur: done.append("savepoint"))
        monkeypatch.setattr(handler.store, "back_to_savepoint",
                            lambda cur: done.append("rollback to savepoint"))
        monkeypatch.setattr(handler.store, "freeze_trouble",
                            lambda cur, cid, failure, tries: done.append(("trouble", cid)))
        monkeypatch.setattr(handler.store, "set_frozen", lambda cur, cid: done.append("frozen"))
        monkeypatch.setattr(handler, "_ask", ask)
        assert handler.freeze(Db(), customers=None) == 0
        assert done == ["begin", "savepoint", "rollback to savepoint", ("trouble", "camp-1"),
                        "commit", "begin", "commit"]

"""Campaigns (V5) against real PostgreSQL and RabbitMQ, with the customer service: a
list frozen from a segment (streamed by the survey's timer as its system identity) and
spread evenly; customers added later are not in it; an acceptance tells notify once;
check-in counts once and refuses wrong codes (and guessing); rates equal a plain count;
scope; capacity; a customer's lifecycle.

Each test's segment is its own tag, so no test's campaign takes another's customers."""
import datetime
import os
import time
import uuid

import eventlet
import psycopg2
import psycopg2.extras
import pytest
from kombu import Connection, Exchange
from nameko.testing.services import entrypoint_waiter

from services.common.errors import Conflict, Forbidden, Invalid, NotFound, TooManyRequests
from services.survey.contract.answers import LinkInvalid

UTC = datetime.UTC
STARTS = datetime.datetime.now(UTC) + datetime.timedelta(days=3)
GUESSES = 10  # CHECKIN_GUESS_LIMIT and LINK_GUESS_LIMIT of these tests' survey


def publish(rabbit_config, source: str, event_type: str, data: dict) -> None:
    envelope = {"event_id": str(uuid.uuid4()), "type": event_type,
                "occurred_at": datetime.datetime.now(UTC).isoformat(),
                "schema_version": 1, "actor": "test", "data": data}
    exchange = Exchange(f"{source}.events", type="topic", durable=True)
    with Connection(rabbit_config["AMQP_URI"]) as conn:
        conn.Producer(serializer="json").publish(
            envelope, exchange=exchange, routing_key=event_type, declare=[exchange],
            user_id=conn.userid)


def rows(statement, *params):
    conn = psycopg2.connect(os.environ["KEFU_SURVEY_DB_URI"],
                            cursor_factory=psycopg2.extras.RealDictCursor)
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            cur.execute(statement, params)
            return cur.fetchall() if cur.description else []
    finally:
        conn.close()


def accepted_events(campaign_id: str) -> list[dict]:
    found = rows("SELECT envelope FROM outbox WHERE event_type ="
                 " 'campaign_invitation_accepted' ORDER BY id")
    return [r["envelope"]["data"] for r in found
            if r["envelope"]["data"]["campaign_id"] == campaign_id]


class Fair:
    """Three agents of one group (through the gateway's staff events), a supervisor of
    it, another group's agent, and customers tagged with this test's own tag."""

    def __init__(self, survey, rpc, rabbit_config):
        self.survey, self.rpc, self.rabbit = survey, rpc, rabbit_config
        self.tag = f"活动-{uuid.uuid4().hex[:8]}"
        self.group = f"邀约组-{self.tag}"
        self.agents = [f"ag{i}-{self.tag}" for i in range(3)]
        for agent in self.agents:
            self.staff(agent, ["agent"], [self.group])
        self.supervisor = f"sv-{self.tag}"
        self.staff(self.supervisor, ["supervisor"], [self.group])
        self.stranger = f"st-{self.tag}"
        self.staff(self.stranger, ["agent"], [f"别组-{self.tag}"])
        self.boss = self.as_staff(self.supervisor, ("supervisor",), groups=[self.group])
        self.manager = rpc("survey", roles=("manager",), clearance=3)
        self.customer_desk = rpc("customer", roles=("agent",))

    def staff(self, staff_id, roles, groups):
        with entrypoint_waiter(self.survey, "staff_created"):
            publish(self.rabbit, "gateway", "staff_created", {
                "staff_id": staff_id, "username": staff_id, "roles": roles,
                "groups": groups})

    def as_staff(self, staff_id, roles=("agent",), **kwargs):
        return self.rpc("survey", roles=roles, staff_id=staff_id, **kwargs)

    def customers(self, n: int) -> list[str]:
        return [self.customer_desk.create_customer(
            {"name": f"车主{i}", "tags": [self.tag]})["id"] for i in range(n)]

    def campaign(self, key=None, today=False, **over) -> dict:
        """A campaign three days ahead, or (today) one going on now: the door is open."""
        starts = datetime.datetime.now(UTC) - datetime.timedelta(hours=1) if today \
            else STARTS
        data = {"theme": f"冬季保养节 {self.tag}", "description": "免费检测，到店有礼",
                "starts_at": starts.isoformat(),
                "ends_at": (starts + datetime.timedelta(hours=8)).isoformat(),
                "venue": "onsite", "place": "4S店一楼展厅", "capacity": 100,
                "segment": {"tags_any": [self.tag]}, "agent_ids": self.agents, **over}
        return self.boss.create_campaign(data, idempotency_key=key or uuid.uuid4().hex)

    def frozen(self, campaign_id: str, seconds: float = 20.0) -> dict:
        deadline = time.monotonic() + seconds
        while True:
            campaign = self.boss.get_campaign(campaign_id)
            if campaign["list_state"] != "freezing" or time.monotonic() > deadline:
                return campaign
            time.sleep(0.1)

    def invitations(self, campaign_id: str, reader=None, **query) -> list[dict]:
        reader, found, cursor = reader or self.manager, [], None
        while True:
            page = reader.campaign_invitations(campaign_id, {**query, "limit": 7,
                                                             "cursor": cursor})
            found += page["invitations"]
            cursor = page["next"]
            if cursor is None:
                return found

    def mine(self, agent: str, **query) -> list[dict]:
        me, found, cursor = self.as_staff(agent), [], None
        while True:
            page = me.my_invitations({**query, "limit": 5, "cursor": cursor})
            found += page["invitations"]
            cursor = page["next"]
            if cursor is None:
                return found


@pytest.fixture
def fair(start, rpc, rabbit_config):
    start("customer")
    return Fair(start("survey", CHECKIN_GUESS_LIMIT=GUESSES, LINK_GUESS_LIMIT=GUESSES),
                rpc, rabbit_config)


def held_then_parallel(counter: str, key: tuple, proxies: list, call) -> list[str]:
    """One call per proxy, all at once, while this test holds the guess counter's row
    (as a slow try of the same caller would): every call is under way before any can
    count.  Each call's outcome: the error's class name, or "ok"."""
    conn = psycopg2.connect(os.environ["KEFU_SURVEY_DB_URI"])
    try:
        with conn.cursor() as cur:
            cur.execute(counter, key)
            assert cur.fetchone() is not None

            def one(proxy):
                try:
                    call(proxy)
                    return "ok"
                except Exception as exc:  # noqa: BLE001 — the outcome is what is counted
                    return type(exc).__name__
            pool = eventlet.GreenPool(len(proxies))
            running = [pool.spawn(one, p) for p in proxies]
            time.sleep(1.5)  # every call reached the database
            conn.commit()
            return [r.wait() for r in running]
    finally:
        conn.close()


class TestFreezing:
    def test_v5_a_campaign_frozen_from_a_segment_has_one_invitation_per_customer_spread_evenly(
            self, fair):
        customers = fair.customers(11)
        campaign = fair.campaign()
        assert campaign["list_state"] == "freezing" and campaign["figures"]["total"] == 0
        campaign = fair.frozen(campaign["id"])
        assert campaign["list_state"] == "frozen" and campaign["state"] == "upcoming"
        invitations = fair.invitations(campaign["id"])
        assert sorted(i["customer_id"] for i in invitations) == sorted(customers)
        per_agent = {a: len(fair.mine(a, campaign_id=campaign["id"])) for a in fair.agents}
        assert sum(per_agent.values()) == 11 and sorted(per_agent.values()) == [3, 4, 4]
        assert campaign["figures"]["total"] == 11
        assert all(i["status"] == "to_call" for i in invitations)
        listed = fair.boss.campaigns({"state": "upcoming", "limit": 200})["campaigns"]
        assert campaign["id"] in [c["id"] for c in listed]
        assert campaign["id"] not in [c["id"] for c in fair.boss.campaigns(
            {"state": "ended", "limit": 200})["campaigns"]]

    def test_v5_customers_added_to_the_segment_after_creation_are_not_in_it(self, fair):
        before = fair.customers(4)
        campaign = fair.campaign()
        during = fair.customers(1)  # while the list may still be freezing
        campaign = fair.frozen(campaign["id"])
        after = fair.customers(2)
        listed = {i["customer_id"] for i in fair.invitations(campaign["id"])}
        assert listed == set(before)
        assert not listed & set(during + after)
        assert fair.boss.get_campaign(campaign["id"])["figures"]["total"] == 4

    def test_v5_a_retried_create_answers_the_first_campaign(self, fair):
        fair.customers(2)
        first = fair.campaign(key="once-" + fair.tag)
        again = fair.campaign(key="once-" + fair.tag, capacity=5)
        assert again["id"] == first["id"] and again["capacity"] == 100
        assert len(rows("SELECT id FROM campaign WHERE theme = %s",
                        first["theme"])) == 1

    def test_v5_only_active_agents_and_only_supervisors_up_make_campaigns(self, fair):
        with pytest.raises(Invalid) as err:
            fair.campaign(agent_ids=[fair.agents[0], fair.supervisor, "nobody"])
        assert "agent_ids" in err.value.fields
        with pytest.raises(Forbidden):
            fair.as_staff(fair.agents[0]).create_campaign({})
        with pytest.raises(Invalid) as err:
            fair.campaign(segment={"model": "轩逸"})
        assert any(f.startswith("segment") for f in err.value.fields)


class TestInvitationCalls:
    def test_v5_accepting_emits_exactly_one_event_even_when_retried(self, fair):
        fair.customers(3)
        campaign = fair.frozen(fair.campaign()["id"])
        agent = fair.agents[0]
        mine = fair.mine(agent, campaign_id=campaign["id"])
        first = mine[0]
        me = fair.as_staff(agent)
        yes = {"invited": True, "accepted": True}
        recorded = me.record_invitation(first["id"], yes)
        again = me.record_invitation(first["id"], yes)
        assert recorded["status"] == "accepted" and len(recorded["checkin_code"]) == 6
        assert again["checkin_code"] == recorded["checkin_code"] and again["calls"] == 2
        events = accepted_events(campaign["id"])
        assert len(events) == 1
        assert events[0] == {
            "event_id": events[0]["event_id"], "campaign_id": campaign["id"],
            "invitation_id": first["id"], "customer_id": first["customer_id"], "level": 0,
            "theme": campaign["theme"], "starts_at": events[0]["starts_at"],
            "place": "4S店一楼展厅", "checkin_code": recorded["checkin_code"]}
        assert datetime.datetime.fromisoformat(events[0]["starts_at"]) == STARTS
        # declined and accepted again: the same code, still one event
        me.record_invitation(first["id"], {"invited": True, "accepted": False})
        back = me.record_invitation(first["id"], yes)
        assert back["checkin_code"] == recorded["checkin_code"]
        assert len(accepted_events(campaign["id"])) == 1
        with pytest.raises(Invalid) as err:
            me.record_invitation(first["id"], {"invited": False, "reason": "other"})
        assert "note" in err.value.fields

    def test_v5_an_agent_cannot_see_another_agents_invitations(self, fair):
        fair.customers(4)
        campaign = fair.frozen(fair.campaign()["id"])
        theirs = fair.mine(fair.agents[1], campaign_id=campaign["id"])[0]
        me = fair.as_staff(fair.agents[0])
        with pytest.raises(NotFound):
            me.record_invitation(theirs["id"], {"invited": False, "reason": "busy"})
        assert theirs["id"] not in [i["id"] for i in fair.mine(fair.agents[0])]
        stranger = fair.as_staff(fair.stranger)
        with pytest.raises(NotFound):
            stranger.get_campaign(campaign["id"])
        with pytest.raises(NotFound):
            stranger.record_visit_outcome(theirs["id"], {"satisfaction": "satisfied"})
        with pytest.raises(Forbidden):
            me.campaign_invitations(campaign["id"], {})
        # the group's supervisor reaches it; another group's supervisor does not
        assert theirs["id"] in [i["id"] for i in fair.invitations(campaign["id"], fair.boss)]
        other_boss = fair.as_staff(f"ob-{fair.tag}", ("supervisor",),
                                   groups=[f"别组-{fair.tag}"])
        assert fair.invitations(campaign["id"], other_boss) == []

    def test_v5_a_customer_above_the_callers_clearance_is_not_listed(self, fair, rpc):
        secret = fair.customers(1)[0]
        rpc("customer", roles=("manager",), clearance=3).classify(
            secret, {"level": 2, "reason": "机密客户"})
        fair.customers(2)
        campaign = fair.frozen(fair.campaign(agent_ids=[fair.agents[0]])["id"])
        listed = fair.invitations(campaign["id"])  # the manager, cleared for 3
        row = next(i for i in listed if i["customer_id"] == secret)
        assert row["level"] == 2 and len(listed) == 3
        mine = fair.mine(fair.agents[0], campaign_id=campaign["id"])  # cleared for 0
        assert secret not in [i["customer_id"] for i in mine] and len(mine) == 2
        with pytest.raises(NotFound):
            fair.as_staff(fair.agents[0]).record_invitation(
                row["id"], {"invited": False, "reason": "busy"})

    def test_v5_accepting_past_capacity_is_a_conflict(self, fair):
        fair.customers(3)
        campaign = fair.frozen(fair.campaign(capacity=2, agent_ids=[fair.agents[0]])["id"])
        me = fair.as_staff(fair.agents[0])
        one, two, three = fair.mine(fair.agents[0], campaign_id=campaign["id"])
        yes = {"invited": True, "accepted": True}
        me.record_invitation(one["id"], yes)
        me.record_invitation(two["id"], yes)
        with pytest.raises(Conflict) as err:
            me.record_invitation(three["id"], yes)
        assert "capacity" in err.value.fields
        assert me.record_invitation(two["id"], yes)["status"] == "accepted"  # holds its place
        me.record_invitation(two["id"], {"invited": True, "accepted": False})
        assert me.record_invitation(three["id"], yes)["status"] == "accepted"
        assert len(accepted_events(campaign["id"])) == 3


class TestAtTheDoor:
    def test_v5_check_in_with_the_code_counts_once_and_a_wrong_code_is_refused(self, fair):
        fair.customers(2)
        campaign = fair.frozen(fair.campaign(agent_ids=[fair.agents[0]], today=True)["id"])
        me = fair.as_staff(fair.agents[0])
        first, second = fair.mine(fair.agents[0], campaign_id=campaign["id"])
        code = me.record_invitation(first["id"], {"invited": True,
                                                  "accepted": True})["checkin_code"]
        with pytest.raises(Conflict):  # not come yet
            me.record_visit_outcome(first["id"], {"satisfaction": "satisfied"})
        door = fair.rpc("survey", roles=("admin",))
        checked = door.check_in(campaign["id"], {"code": code})
        assert checked["already_checked_in"] is False
        assert checked["invitation"]["id"] == first["id"]
        assert checked["invitation"]["status"] == "came"
        again = door.check_in(campaign["id"], {"code": code})
        assert again["already_checked_in"] is True
        assert again["invitation"]["checked_in_at"] == checked["invitation"]["checked_in_at"]
        wrong = f"{(int(code) + 1) % 10 ** 6:06d}"
        with pytest.raises(NotFound):
            door.check_in(campaign["id"], {"code": wrong})
        with pytest.raises(NotFound):  # invited but never accepted: no code, no entry
            door.check_in(campaign["id"], {"invitation_id": second["id"]})
        assert fair.boss.get_campaign(campaign["id"])["figures"]["came"] == 1
        with pytest.raises(Conflict):  # the call is over once the customer came
            me.record_invitation(first["id"], {"invited": True, "accepted": False})
        done = me.record_visit_outcome(first["id"], {
            "gift_taken": True, "coupon_taken": False, "satisfaction": "average",
            "reason": "等候时间长"})
        assert (done["gift_taken"], done["satisfaction"], done["satisfaction_reason"]) == (
            True, "average", "等候时间长")

    def test_v5_guessing_codes_is_bounded_per_caller_and_campaign(self, fair):
        fair.customers(1)
        campaign = fair.frozen(fair.campaign(agent_ids=[fair.agents[0]], today=True)["id"])
        only = fair.mine(fair.agents[0], campaign_id=campaign["id"])[0]
        code = fair.as_staff(fair.agents[0]).record_invitation(
            only["id"], {"invited": True, "accepted": True})["checkin_code"]
        guesser = fair.as_staff(fair.agents[1])
        wrong = [f"{(int(code) + k) % 10 ** 6:06d}" for k in range(1, 11)]
        for guess in wrong:
            with pytest.raises(NotFound):
                guesser.check_in(campaign["id"], {"code": guess})
        with pytest.raises(TooManyRequests):  # even the right one, from this caller
            guesser.check_in(campaign["id"], {"code": code})
        honest = fair.as_staff(fair.agents[2])
        assert honest.check_in(campaign["id"], {"code": code})["already_checked_in"] is False


class TestRates:
    def test_v5_rates_equal_a_plain_count(self, fair):
        fair.customers(12)
        campaign = fair.frozen(fair.campaign(today=True)["id"])
        door = fair.rpc("survey", roles=("admin",))
        plan = [({"invited": False, "reason": "sold_the_car"}, None),
                ({"invited": True, "accepted": False}, None),
                ({"invited": True, "accepted": True}, None),
                ({"invited": True, "accepted": True}, "satisfied"),
                ({"invited": True, "accepted": True}, "unsatisfied")]
        for n, agent in enumerate(fair.agents):
            me = fair.as_staff(agent)
            for k, invitation in enumerate(fair.mine(agent, campaign_id=campaign["id"])):
                if (k + n) >= len(plan):
                    continue  # left to call
                call, satisfaction = plan[(k + n) % len(plan)]
                recorded = me.record_invitation(invitation["id"], call)
                if satisfaction:
                    door.check_in(campaign["id"], {"code": recorded["checkin_code"]})
                    me.record_visit_outcome(invitation["id"], {"satisfaction": satisfaction})
        counted = rows("SELECT agent_id, invited, accepted, came, satisfaction"
                       " FROM campaign_invitation WHERE campaign_id = %s", campaign["id"])
        rates = fair.boss.campaign_rates(campaign["id"])

        def reference(lines):
            invited = sum(1 for r in lines if r["invited"])
            accepted = sum(1 for r in lines if r["accepted"])
            came = sum(1 for r in lines if r["came"])
            rated = [r for r in lines if r["satisfaction"]]
            satisfied = sum(1 for r in rated if r["satisfaction"] == "satisfied")

            def pct(a, b):
                return round(100.0 * a / b, 1) if b else None
            return {"total": len(lines), "invited": invited, "accepted": accepted,
                    "came": came, "with_outcome": len(rated), "satisfied": satisfied,
                    "invitation_rate": pct(invited, len(lines)),
                    "acceptance_rate": pct(accepted, invited),
                    "attendance_rate": pct(came, accepted),
                    "satisfaction_rate": pct(satisfied, len(rated))}

        def picked(figures):
            return {k: figures[k] for k in reference([])}
        assert picked(rates["figures"]) == reference(counted)
        assert rates["figures"]["came"] == 5 and rates["figures"]["invited"] == 10
        assert [a["agent_id"] for a in rates["agents"]] == sorted(fair.agents)
        for agent in rates["agents"]:
            assert picked(agent) == reference([r for r in counted
                                               if r["agent_id"] == agent["agent_id"]])
        assert picked(fair.boss.get_campaign(campaign["id"])["figures"]) == \
            reference(counted)
        came = fair.invitations(campaign["id"], status="came")
        assert len(came) == 5 and all(i["status"] == "came" for i in came)
        assert len(fair.invitations(campaign["id"], status="invited")) == 10
        assert len(fair.invitations(campaign["id"], status="to_call")) == 1
        with pytest.raises(Forbidden):
            fair.as_staff(fair.agents[0]).campaign_rates(campaign["id"])


class TestLifecycle:
    def test_v5_a_destroyed_customers_notes_go_and_a_merged_ones_invitations_move(
            self, fair):
        gone, merged = fair.customers(2)
        campaign = fair.frozen(fair.campaign(agent_ids=[fair.agents[0]])["id"])
        me = fair.as_staff(fair.agents[0])
        by_customer = {i["customer_id"]: i for i in fair.mine(fair.agents[0],
                                                              campaign_id=campaign["id"])}
        me.record_invitation(by_customer[gone]["id"], {"invited": False, "reason": "other",
                                                       "note": "客户说下月再联系"})
        with entrypoint_waiter(fair.survey, "erase_followups_of_destroyed_customer"):
            publish(fair.rabbit, "customer", "customer_destroyed",
                    {"customer_id": gone, "number": "KH00000001"})
        survivor = str(uuid.uuid4())
        with entrypoint_waiter(fair.survey, "repoint_followups_of_merged_customer"):
            publish(fair.rabbit, "customer", "customer_merged",
                    {"merged_id": merged, "survivor_id": survivor})
        after = {i["id"]: i for i in fair.mine(fair.agents[0], campaign_id=campaign["id"])}
        erased = after[by_customer[gone]["id"]]
        assert erased["note"] == "[已销毁]" and erased["erased"] is True
        assert after[by_customer[merged]["id"]]["customer_id"] == survivor
        with pytest.raises(Conflict):
            me.record_invitation(erased["id"], {"invited": True, "accepted": True})
        assert erased["id"] not in [i["id"] for i in fair.mine(
            fair.agents[0], campaign_id=campaign["id"], status="to_call")]


class TestGuessingInParallel:
    def test_v5_parallel_wrong_codes_cannot_slip_past_the_limit(self, fair):
        fair.customers(1)
        campaign = fair.frozen(fair.campaign(agent_ids=[fair.agents[0]], today=True)["id"])
        only = fair.mine(fair.agents[0], campaign_id=campaign["id"])[0]
        code = fair.as_staff(fair.agents[0]).record_invitation(
            only["id"], {"invited": True, "accepted": True})["checkin_code"]
        guesser = fair.agents[1]
        wrong = f"{(int(code) + 1) % 10 ** 6:06d}"
        for _ in range(GUESSES - 1):  # one wrong code left
            with pytest.raises(NotFound):
                fair.as_staff(guesser).check_in(campaign["id"], {"code": wrong})
        outcomes = held_then_parallel(
            "SELECT bad FROM campaign_checkin_guess WHERE campaign_id = %s AND staff_id = %s"
            " FOR UPDATE", (campaign["id"], guesser),
            [fair.as_staff(guesser) for _ in range(6)],
            lambda p: p.check_in(campaign["id"], {"code": wrong}))
        assert sorted(outcomes) == ["NotFound"] + ["TooManyRequests"] * 5
        assert [r["bad"] for r in rows(
            "SELECT bad FROM campaign_checkin_guess WHERE campaign_id = %s AND staff_id = %s",
            campaign["id"], guesser)] == [GUESSES]
        # a right code does not count against its caller
        door = fair.as_staff(fair.agents[2])
        assert door.check_in(campaign["id"], {"code": code})["already_checked_in"] is False
        assert rows("SELECT bad FROM campaign_checkin_guess WHERE campaign_id = %s"
                    " AND staff_id = %s", campaign["id"], fair.agents[2])[0]["bad"] == 0

    def test_v3_parallel_bad_link_tokens_cannot_slip_past_the_limit(self, fair):
        public = [fair.rpc("survey", auth_token="") for _ in range(8)]
        client = f"ip-{fair.tag}"
        for _ in range(GUESSES - 1):
            with pytest.raises(LinkInvalid):
                public[0].survey_by_token({"token": "x" * 40, "client_key": client})
        outcomes = held_then_parallel(
            "SELECT bad FROM link_guess WHERE client_key = %s FOR UPDATE", (client,),
            public[:6], lambda p: p.survey_by_token({"token": "y" * 40,
                                                     "client_key": client}))
        assert sorted(outcomes) == ["LinkInvalid"] + ["TooManyRequests"] * 5

    def test_v3_a_token_over_400_characters_is_a_wrong_link_not_bad_input(self, fair):
        public = fair.rpc("survey", auth_token="")
        for length in (401, 5000):
            with pytest.raises(LinkInvalid) as err:
                public.survey_by_token({"token": "a" * length,
                                        "client_key": f"ip-{fair.tag}-{length}"})
            assert err.value.code == "link_invalid"


class TestFreezeAndLifecycle:
    def test_v5_a_customer_destroyed_while_a_list_is_frozen_is_erased_in_it(self, fair):
        customer = fair.customers(1)[0]
        campaign_id = str(uuid.uuid4())
        rows("INSERT INTO campaign (id, request_key, theme, starts_at, ends_at, venue,"
             " capacity, segment, agent_ids, created_by, next_try_at) VALUES (%s, %s, %s,"
             " now(), now() + interval '1 day', 'onsite', 10, '{}'::jsonb, ARRAY[%s], 'test',"
             " now() + interval '1 day')",  # not the timer's: this test is the freeze
             campaign_id, campaign_id, f"冻结中 {fair.tag}", fair.agents[0])
        conn = psycopg2.connect(os.environ["KEFU_SURVEY_DB_URI"])
        try:
            with conn.cursor() as cur:  # a freeze under way: the campaign locked, rows in
                cur.execute("SELECT 1 FROM campaign WHERE id = %s FOR UPDATE", (campaign_id,))
                cur.execute("INSERT INTO campaign_invitation (campaign_id, position,"
                            " customer_id, agent_id, note) VALUES (%s, 0, %s, %s, '备注')"
                            " RETURNING id::text", (campaign_id, customer, fair.agents[0]))
                invitation_id = cur.fetchone()[0]
                with entrypoint_waiter(fair.survey, "erase_followups_of_destroyed_customer",
                                       timeout=30):
                    publish(fair.rabbit, "customer", "customer_destroyed",
                            {"customer_id": customer, "number": "KH00000002"})
                    time.sleep(1.5)  # the event arrives while the freeze still runs
                    conn.commit()
        finally:
            conn.close()
            rows("UPDATE campaign SET list_state = 'failed' WHERE id = %s", campaign_id)
        erased = rows("SELECT erased_at, note FROM campaign_invitation WHERE id = %s",
                      invitation_id)[0]
        assert erased["erased_at"] is not None and erased["note"] == "[已销毁]"

    def test_v5_a_merge_leaves_the_survivor_one_invitation_per_campaign(self, fair):
        merged, survivor = fair.customers(2)
        campaign = fair.frozen(fair.campaign(agent_ids=[fair.agents[0]])["id"])
        me = fair.as_staff(fair.agents[0])
        by_customer = {i["customer_id"]: i for i in fair.mine(fair.agents[0],
                                                              campaign_id=campaign["id"])}
        me.record_invitation(by_customer[survivor]["id"], {"invited": False, "reason": "busy"})
        me.record_invitation(by_customer[merged]["id"], {"invited": True, "accepted": True})
        with entrypoint_waiter(fair.survey, "repoint_followups_of_merged_customer"):
            publish(fair.rabbit, "customer", "customer_merged",
                    {"merged_id": merged, "survivor_id": survivor})
        listed = fair.invitations(campaign["id"])
        assert [(i["id"], i["customer_id"], i["status"]) for i in listed] == [
            (by_customer[merged]["id"], survivor, "accepted")]
        assert fair.manager.get_campaign(campaign["id"])["figures"]["total"] == 1

    def test_v5_a_segment_past_max_campaign_list_fails_the_freeze_saying_so(
            self, start, rpc, rabbit_config):
        start("customer")
        small = Fair(start("survey", MAX_CAMPAIGN_LIST=3), rpc, rabbit_config)
        small.customers(4)
        campaign = small.frozen(small.campaign()["id"])
        assert campaign["list_state"] == "failed" and campaign["state"] == "failed"
        assert "MAX_CAMPAIGN_LIST" in campaign["failure"]
        assert rows("SELECT count(*) AS n FROM campaign_invitation WHERE campaign_id = %s",
                    campaign["id"])[0]["n"] == 0

    def test_v5_a_segment_of_customers_created_from_now_on_is_refused(self, fair):
        later = (datetime.datetime.now(UTC) + datetime.timedelta(minutes=5)).isoformat()
        with pytest.raises(Invalid) as err:
            fair.campaign(segment={"tags_any": [fair.tag], "created_after": later})
        assert "segment.created_after" in err.value.fields


class TestDoorAndScope:
    def test_v5_door_staff_record_the_outcome_of_whom_they_checked_in_seeing_no_more(
            self, fair):
        fair.customers(1)
        campaign = fair.frozen(fair.campaign(agent_ids=[fair.agents[0]], today=True)["id"])
        only = fair.mine(fair.agents[0], campaign_id=campaign["id"])[0]
        me = fair.as_staff(fair.agents[0])
        code = me.record_invitation(only["id"], {"invited": True, "accepted": True,
                                                 "note": "客户说带家人来"})["checkin_code"]
        door = fair.as_staff(fair.stranger)  # another group's operator at the door
        checked = door.check_in(campaign["id"], {"code": code})["invitation"]
        assert (checked["id"], checked["status"]) == (only["id"], "came")
        assert checked["checked_in_at"] and checked["theme"] == campaign["theme"]
        for withheld in ("customer_id", "note", "satisfaction_reason", "recorded_by",
                         "agent_id", "checkin_code", "level"):
            assert withheld not in checked, withheld
        done = door.record_visit_outcome(only["id"], {"satisfaction": "satisfied",
                                                      "gift_taken": True,
                                                      "reason": "礼品不错"})
        assert done["id"] == only["id"] and "satisfaction_reason" not in done
        mine = fair.mine(fair.agents[0], campaign_id=campaign["id"])[0]
        assert (mine["satisfaction"], mine["gift_taken"], mine["satisfaction_reason"]) == (
            "satisfied", True, "礼品不错")
        with pytest.raises(NotFound):  # neither their list nor their check-in
            fair.as_staff(fair.agents[1]).record_visit_outcome(
                only["id"], {"satisfaction": "average"})

    def test_v5_figures_count_no_customer_above_the_readers_clearance(self, fair, rpc):
        secret = fair.customers(1)[0]
        rpc("customer", roles=("manager",), clearance=3).classify(
            secret, {"level": 2, "reason": "机密客户"})
        fair.customers(2)
        campaign = fair.frozen(fair.campaign()["id"])
        assert fair.manager.get_campaign(campaign["id"])["figures"]["total"] == 3
        assert fair.boss.get_campaign(campaign["id"])["figures"]["total"] == 2
        listed = {c["id"]: c for c in fair.boss.campaigns({"limit": 200})["campaigns"]}
        assert listed[campaign["id"]]["figures"]["total"] == 2
        assert fair.boss.campaign_rates(campaign["id"])["figures"]["total"] == 2
        assert fair.manager.campaign_rates(campaign["id"])["figures"]["total"] == 3

    def test_v5_a_supervisor_sees_the_rates_of_their_groups_agents_only(self, fair):
        fair.customers(8)
        campaign = fair.frozen(fair.campaign(agent_ids=fair.agents + [fair.stranger])["id"])
        rates = fair.boss.campaign_rates(campaign["id"])
        assert [a["agent_id"] for a in rates["agents"]] == sorted(fair.agents)
        assert rates["figures"]["total"] == sum(a["total"] for a in rates["agents"]) == 6
        everyone = fair.manager.campaign_rates(campaign["id"])
        assert [a["agent_id"] for a in everyone["agents"]] == sorted(
            fair.agents + [fair.stranger])
        assert everyone["figures"]["total"] == 8


class TestRetriesAndDates:
    def test_v5_a_call_retried_with_the_same_key_counts_once(self, fair):
        fair.customers(1)
        campaign = fair.frozen(fair.campaign(agent_ids=[fair.agents[0]])["id"])
        only = fair.mine(fair.agents[0], campaign_id=campaign["id"])[0]
        me = fair.as_staff(fair.agents[0])
        busy = {"invited": False, "reason": "busy"}
        first = me.record_invitation(only["id"], busy, idempotency_key="call-1")
        again = me.record_invitation(only["id"], busy, idempotency_key="call-1")
        assert first["calls"] == again["calls"] == 1
        later = me.record_invitation(only["id"], {"invited": True, "accepted": True},
                                     idempotency_key="call-2")
        assert later["calls"] == 2 and later["status"] == "accepted"
        assert rows("SELECT calls FROM campaign_invitation WHERE id = %s",
                    only["id"])[0]["calls"] == 2

    def test_v5_the_door_is_open_on_the_campaigns_days_and_calls_end_with_it(self, fair):
        fair.customers(2)
        campaign = fair.frozen(fair.campaign(agent_ids=[fair.agents[0]])["id"])  # in 3 days
        me = fair.as_staff(fair.agents[0])
        first, second = fair.mine(fair.agents[0], campaign_id=campaign["id"])
        code = me.record_invitation(first["id"], {"invited": True,
                                                  "accepted": True})["checkin_code"]
        door = fair.rpc("survey", roles=("admin",))
        with pytest.raises(Conflict) as err:
            door.check_in(campaign["id"], {"code": code})
        assert "starts_at" in err.value.fields
        rows("UPDATE campaign SET starts_at = now() - interval '2 days',"
             " ends_at = now() - interval '1 minute' WHERE id = %s", campaign["id"])
        with pytest.raises(Conflict) as err:
            me.record_invitation(second["id"], {"invited": True, "accepted": True})
        assert "ends_at" in err.value.fields
        with pytest.raises(Conflict) as err:
            door.check_in(campaign["id"], {"code": code})
        assert "ends_at" in err.value.fields
        assert accepted_events(campaign["id"]) and len(accepted_events(campaign["id"])) == 1

    def test_v5_a_destroyed_customers_code_lets_nobody_in(self, fair):
        customer = fair.customers(1)[0]
        campaign = fair.frozen(fair.campaign(agent_ids=[fair.agents[0]], today=True)["id"])
        only = fair.mine(fair.agents[0], campaign_id=campaign["id"])[0]
        code = fair.as_staff(fair.agents[0]).record_invitation(
            only["id"], {"invited": True, "accepted": True})["checkin_code"]
        with entrypoint_waiter(fair.survey, "erase_followups_of_destroyed_customer"):
            publish(fair.rabbit, "customer", "customer_destroyed",
                    {"customer_id": customer, "number": "KH00000003"})
        door = fair.rpc("survey", roles=("admin",))
        with pytest.raises(NotFound):
            door.check_in(campaign["id"], {"code": code})
        with pytest.raises(NotFound):
            door.check_in(campaign["id"], {"invitation_id": only["id"]})

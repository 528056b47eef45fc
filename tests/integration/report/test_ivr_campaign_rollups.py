"""Issue 13, R1, R2, R4: the keypad rating offers 满意度发送率 and the campaign rates on a real
broker and database.

The references are plain GROUP BYs over the source — the generated offers and
invitations as last told, then the survey service's own rows — written from the
definitions in services/report/contract/ivr_campaigns.py, not from the report's code:
an offer counts on its China day by agent, group and kind, rated once it was; an
invitation counts in its campaign (on the campaign's China start day) for its agent,
groups and level as its newest revision says — total, called (invited told), invited,
accepted, came, with an outcome, satisfied, gift and coupon taken — a closed one
nowhere.  Snapshots are published as the survey would, some twice and out of order
(R1); then the real survey service: live offers and invitation calls through its own
events, a rebuild while more arrive, the check against its own counts (R4)."""
import datetime
import os
import random
import uuid
from collections import defaultdict
from zoneinfo import ZoneInfo

import eventlet
import psycopg2
import psycopg2.extras
import pytest
from kombu import Connection, Exchange
from nameko.testing.services import entrypoint_waiter

from services.common.errors import Forbidden, NotFound
from tests.helpers import system_token
from tests.integration.report.test_ticket_rollups import rows
from tests.integration.report.test_ticket_rollups_rebuild import finished

CHINA = ZoneInfo("Asia/Shanghai")
UTC = datetime.UTC
OFFER_COUNTERS = ("offered", "rated")
CAMPAIGN_COUNTERS = ("total", "called", "invited", "accepted", "came", "with_outcome",
                     "satisfied", "gift_taken", "coupon_taken")
HANDLERS = {"ivr_offer_updated": "count_ivr_offer",
            "campaign_invitation_updated": "count_invitation",
            "campaign_invitations_listed": "count_invitations_listed"}
MINE = ("ivr_offers", "campaign")


def publish(rabbit_config, event_type: str, data: dict, event_id: str) -> None:
    """One event as the survey service publishes it."""
    envelope = {"event_id": event_id, "type": event_type,
                "occurred_at": datetime.datetime.now(UTC).isoformat(), "schema_version": 1,
                "actor": "test", "data": data}
    exchange = Exchange("survey.events", type="topic", durable=True)
    with Connection(rabbit_config["AMQP_URI"]) as conn:
        conn.Producer(serializer="json").publish(
            envelope, exchange=exchange, routing_key=event_type, declare=[exchange],
            user_id=conn.userid)


def day(moment: datetime.datetime) -> datetime.date:
    return moment.astimezone(CHINA).date()


def plain(value):
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value.isoformat() if isinstance(value, datetime.datetime) else value


# -- the references -------------------------------------------------------------------------
def reference_offers(offers: list[dict]) -> dict:
    out: dict = defaultdict(lambda: [0, 0])
    for o in offers:
        row = out[(day(o["offered_at"]), o["agent_id"] or "", o["group_name"] or "",
                   o["ticket_kind"] or "")]
        row[0] += 1
        row[1] += bool(o["rated"])
    return {k: tuple(v) for k, v in out.items()}


def reference_invitations(invitations: list[dict]) -> dict:
    out: dict = defaultdict(lambda: dict.fromkeys(CAMPAIGN_COUNTERS, 0))
    for i in invitations:
        if i["closed"]:
            continue
        row = out[(str(i["campaign_id"]), day(i["campaign_starts_at"]), i["agent_id"],
                   tuple(i["groups"]), i["level"])]
        row["total"] += 1
        row["called"] += i["invited"] is not None
        row["invited"] += bool(i["invited"])
        row["accepted"] += bool(i["accepted"])
        row["came"] += bool(i["came"])
        row["with_outcome"] += i["satisfaction"] is not None
        row["satisfied"] += i["satisfaction"] == "satisfied"
        row["gift_taken"] += bool(i["gift_taken"])
        row["coupon_taken"] += bool(i["coupon_taken"])
    return {k: tuple(v[c] for c in CAMPAIGN_COUNTERS) for k, v in out.items()}


def offer_rollup(agents: list[str]) -> dict:
    found = rows("SELECT * FROM ivr_offer_day WHERE agent_id = ANY (%s)", agents)
    return {(r["day"], r["agent_id"], r["group_name"], r["ticket_kind"]):
            (r["offered"], r["rated"]) for r in found if r["offered"] or r["rated"]}


def campaign_rollup(agents: list[str]) -> dict:
    found = rows("SELECT * FROM campaign_rollup WHERE agent_id = ANY (%s)", agents)
    return {(r["campaign_id"], r["campaign_day"], r["agent_id"], tuple(r["groups"]),
             r["level"]): tuple(r[c] for c in CAMPAIGN_COUNTERS)
            for r in found if any(r[c] for c in CAMPAIGN_COUNTERS)}


# -- generated source ---------------------------------------------------------------------
def generated_offers(rng: random.Random, groups, agents, n: int,
                     start: datetime.datetime) -> list[list[dict]]:
    """Each offer's snapshots in the order the survey told them (offered, maybe rated)."""
    out = []
    for _ in range(n):
        base = {"offer_id": f"pbx-{uuid.uuid4().hex[:12]}",
                "offered_at": start + datetime.timedelta(seconds=rng.randrange(0, 3 * 3600)),
                "rated": False, "agent_id": rng.choice(agents),
                "group_name": rng.choice([None, *groups]),
                "ticket_kind": rng.choice([None, "投诉", "咨询"]), "category_id": None}
        told = rng.choice(["offered", "offered+rated", "rated"])
        out.append([{**base, "rated": told == "rated"}]
                   + ([{**base, "rated": True}] if told == "offered+rated" else []))
    return out


def generated_invitations(rng: random.Random, groups, agents, campaigns: list[tuple],
                          n: int) -> list[list[dict]]:
    """Each invitation's snapshots revision by revision: listed, then its changes."""
    out = []
    for position in range(n):
        campaign_id, starts_at = rng.choice(campaigns)
        agent = rng.choice(agents)
        state = {"invitation_id": str(uuid.uuid4()), "campaign_id": campaign_id,
                 "campaign_starts_at": starts_at, "revision": 0, "agent_id": agent,
                 "groups": [groups[agents.index(agent) % 2]], "level": rng.choice([0, 0, 2]),
                 "invited": None, "accepted": None, "came": False, "satisfaction": None,
                 "gift_taken": None, "coupon_taken": None, "closed": False,
                 "updated_at": starts_at, "position": position}
        states = [dict(state)]
        for step in rng.sample(["call", "accept", "come", "outcome", "close", "level"],
                               rng.randrange(0, 5)):
            if step == "call" and not state["came"]:  # a customer who came is not called
                invited = rng.random() < 0.7
                state.update(invited=invited, accepted=False if invited else None)
            elif step == "accept" and not state["closed"]:
                state.update(invited=True, accepted=True)
            elif step == "come" and state["accepted"]:
                state.update(came=True)
            elif step == "outcome" and state["came"]:
                state.update(satisfaction=rng.choice(["satisfied", "average", "unsatisfied"]),
                             gift_taken=rng.random() < 0.5, coupon_taken=rng.random() < 0.5)
            elif step == "close":
                state.update(closed=True)
            elif step == "level":
                state.update(level=rng.choice([0, 1, 3]))
            else:
                continue
            state["revision"] += 1
            states.append(dict(state))
        out.append(states)
    return out


def snapshot(state: dict) -> dict:
    return {k: v for k, v in state.items() if k != "position"}


class TestR1IvrCampaignRollups:
    def test_r1_offer_and_invitation_snapshots_twice_and_out_of_order_equal_a_group_by(
            self, start, rabbit_config, rpc):
        report = start("report")
        rng = random.Random(1331)
        tag = uuid.uuid4().hex[:8]
        groups, agents = [f"邀约一组-{tag}", f"邀约二组-{tag}"], [f"v1-{tag}", f"v2-{tag}"]
        begin = datetime.datetime(2026, 4, 1, 15, 0, tzinfo=UTC)  # 23:00 in China
        campaigns = [(str(uuid.uuid4()), begin + datetime.timedelta(hours=2)),
                     (str(uuid.uuid4()), begin + datetime.timedelta(days=1))]
        offers = generated_offers(rng, groups, agents, 14, begin)
        invitations = generated_invitations(rng, groups, agents, campaigns, 16)
        sent = [("ivr_offer_updated", s, str(uuid.uuid4())) for told in offers for s in told]
        for campaign_id, _ in campaigns:  # the lists as frozen: pages of first snapshots
            listed = [snapshot(states[0]) for states in invitations
                      if states[0]["campaign_id"] == campaign_id]
            for n in range(0, len(listed), 5):
                sent.append(("campaign_invitations_listed",
                             {"campaign_id": campaign_id, "invitations": listed[n:n + 5]},
                             str(uuid.uuid4())))
        sent += [("campaign_invitation_updated", snapshot(s), str(uuid.uuid4()))
                 for states in invitations for s in states[1:]]
        deliveries = list(sent)
        deliveries += rng.sample(sent, 10)  # the same events again (same event_id)
        deliveries += [(t, d, str(uuid.uuid4())) for t, d, _ in rng.sample(sent, 10)]
        rng.shuffle(deliveries)
        for event_type, data, event_id in deliveries:
            with entrypoint_waiter(report, HANDLERS[event_type], timeout=10):
                publish(rabbit_config, event_type, plain(data), event_id)
        final_offers = [{**told[0], "rated": any(s["rated"] for s in told)} for told in offers]
        assert offer_rollup(agents) == reference_offers(final_offers)
        assert campaign_rollup(agents) == reference_invitations(
            [states[-1] for states in invitations])

        # R2: the figures in scope, read from the same rollups
        boss = rpc("report", roles=("supervisor",), groups=[groups[0]], clearance=3)
        got = boss.ivr_offer_figures({"from": "2026-04-01", "to": "2026-04-03",
                                      "by": ["group"]})
        assert got["columns"] == ["period", "group_name", "offered", "rated", "rating_rate"]
        assert {r[1] for r in got["rows"]} <= {groups[0]}
        assert sum(r[2] for r in got["rows"]) == sum(
            1 for o in final_offers if o["group_name"] == groups[0])
        with pytest.raises(NotFound):
            boss.ivr_offer_figures({"from": "2026-04-01", "to": "2026-04-03",
                                    "group_name": groups[1]})
        mine = rpc("report", roles=("agent",), staff_id=agents[0])
        own = mine.ivr_offer_figures({"from": "2026-04-01", "to": "2026-04-03",
                                      "period": "month"})
        [row] = own["rows"]
        theirs = [o for o in final_offers if o["agent_id"] == agents[0]]
        rated = sum(o["rated"] for o in theirs)
        assert row[1:] == [len(theirs), rated,
                           round(100.0 * rated / len(theirs), 1) if theirs else None]
        with pytest.raises(NotFound):
            mine.campaign_figures({"from": "2026-04-01", "to": "2026-04-03",
                                   "agent_id": agents[1]})

        manager = rpc("report", roles=("manager",), clearance=3)
        table = manager.campaign_figures({"from": "2026-04-01", "to": "2026-04-03",
                                          "by": ["agent"]})
        assert table["columns"][:3] == ["campaign_id", "campaign_day", "agent_id"]
        lasts = [s[-1] for s in invitations]
        for campaign_id, starts_at in campaigns:
            for agent in agents:
                counted = [i for i in lasts if i["campaign_id"] == campaign_id
                           and i["agent_id"] == agent and not i["closed"]]
                found = [dict(zip(table["columns"], r, strict=True)) for r in table["rows"]
                         if r[0] == campaign_id and r[2] == agent]
                if not counted:
                    assert found == []
                    continue
                [figure] = found
                invited = sum(bool(i["invited"]) for i in counted)
                accepted = sum(bool(i["accepted"]) for i in counted)
                assert figure["campaign_day"] == day(starts_at).isoformat()
                assert (figure["total"], figure["invited"], figure["accepted"]) == (
                    len(counted), invited, accepted)
                assert figure["invitation_rate"] == round(100.0 * invited / len(counted), 1)
                assert figure["acceptance_rate"] == (
                    round(100.0 * accepted / invited, 1) if invited else None)
        # the level: a reader of clearance 0 does not count the invitations above it
        low = rpc("report", roles=("manager",), clearance=0)
        shown = low.campaign_figures({"from": "2026-04-01", "to": "2026-04-03"})
        total = shown["columns"].index("total")
        assert sum(r[total] for r in shown["rows"] if r[0] in dict(campaigns)) == sum(
            1 for i in lasts if not i["closed"] and i["level"] == 0)
        assert table["as_of"] is not None


# -- R4: the real survey service, a rebuild while offers and calls arrive, the check -------
def survey_rows(statement, *params):
    conn = psycopg2.connect(os.environ["KEFU_SURVEY_DB_URI"],
                            cursor_factory=psycopg2.extras.RealDictCursor)
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            cur.execute(statement, params)
            return cur.fetchall() if cur.description else []
    finally:
        conn.close()


def owner_references(agents: list[str]) -> tuple[dict, dict]:
    """The references from the survey's own rows (a plain GROUP BY there)."""
    offers = survey_rows(
        "SELECT (offered_at AT TIME ZONE 'Asia/Shanghai')::date AS day,"
        " coalesce(agent_id, '') AS agent_id, coalesce(group_name, '') AS group_name,"
        " coalesce(ticket_kind, '') AS ticket_kind, count(*)::int AS offered,"
        " count(*) FILTER (WHERE rated)::int AS rated FROM ivr_offer"
        " WHERE agent_id = ANY (%s) GROUP BY 1, 2, 3, 4", agents)
    invitations = survey_rows(
        "SELECT i.campaign_id::text AS campaign_id,"
        " (c.starts_at AT TIME ZONE 'Asia/Shanghai')::date AS campaign_day, i.agent_id,"
        " i.groups, i.level, count(*)::int AS total, count(i.invited)::int AS called,"
        " count(*) FILTER (WHERE i.invited)::int AS invited,"
        " count(*) FILTER (WHERE i.accepted)::int AS accepted,"
        " count(*) FILTER (WHERE i.came)::int AS came,"
        " count(i.satisfaction)::int AS with_outcome,"
        " count(*) FILTER (WHERE i.satisfaction = 'satisfied')::int AS satisfied,"
        " count(*) FILTER (WHERE i.gift_taken)::int AS gift_taken,"
        " count(*) FILTER (WHERE i.coupon_taken)::int AS coupon_taken"
        " FROM campaign_invitation i JOIN campaign c ON c.id = i.campaign_id"
        " WHERE i.agent_id = ANY (%s) AND i.closed_at IS NULL GROUP BY 1, 2, 3, 4, 5",
        agents)
    return ({(r["day"], r["agent_id"], r["group_name"], r["ticket_kind"]):
             (r["offered"], r["rated"]) for r in offers},
            {(r["campaign_id"], r["campaign_day"], r["agent_id"], tuple(r["groups"]),
              r["level"]): tuple(r[c] for c in CAMPAIGN_COUNTERS) for r in invitations})


def level(agents: list[str], seconds: float = 30) -> tuple[dict, dict]:
    """The references from the owner's rows once the rollups equal them; the last seen."""
    want: tuple = ({}, {})
    with eventlet.Timeout(seconds, False):
        while True:
            want = owner_references(agents)
            if (offer_rollup(agents), campaign_rollup(agents)) == want:
                return want
            eventlet.sleep(0.2)
    return want


def insert_source(rng: random.Random, groups, agents, now: datetime.datetime) -> str:
    """Offers, a frozen campaign and its invitations written in the survey's tables as it
    keeps them (no event: only a rebuild brings them to the report); the campaign."""
    campaign_id = str(uuid.uuid4())
    survey_rows(
        "INSERT INTO campaign (id, request_key, theme, starts_at, ends_at, venue, capacity,"
        " segment, agent_ids, list_state, frozen_at, created_by) VALUES (%s, %s, %s, %s,"
        " %s, 'onsite', 1000, '{}', %s, 'frozen', now(), 'test')",
        campaign_id, f"test-{campaign_id}", f"试驾日-{campaign_id[:6]}",
        now - datetime.timedelta(hours=1), now + datetime.timedelta(days=2), agents)
    for told in generated_offers(rng, groups, agents, 10, now - datetime.timedelta(hours=1)):
        o = told[-1]
        survey_rows("INSERT INTO ivr_offer (call_id, agent_id, group_name, ticket_kind,"
                    " offered_at, rated) VALUES (%s, %s, %s, %s, %s, %s)",
                    o["offer_id"], o["agent_id"], o["group_name"], o["ticket_kind"],
                    min(o["offered_at"], now), o["rated"])
    for states in generated_invitations(rng, groups, agents,
                                        [(campaign_id, now - datetime.timedelta(hours=1))],
                                        14):
        i = states[-1]
        survey_rows(
            "INSERT INTO campaign_invitation (id, campaign_id, position, customer_id, level,"
            " agent_id, groups, invited, accepted, came, satisfaction, gift_taken,"
            " coupon_taken, closed_at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s,"
            " %s, %s, %s)", i["invitation_id"], campaign_id, i["position"],
            f"cu-{i['position']}", i["level"], i["agent_id"], i["groups"], i["invited"],
            i["accepted"], i["came"], i["satisfaction"], i["gift_taken"], i["coupon_taken"],
            now if i["closed"] else None)
    return campaign_id


class TestR4IvrCampaignRebuild:
    def test_r4_a_rebuild_amid_live_offers_and_calls_ends_equal_and_the_check_names_changes(
            self, start, rpc):
        rows("UPDATE report_rebuild SET state = 'done', finished_at = now(),"
             " error = 'left by an earlier test' WHERE state IN ('queued', 'running')")
        for owner in ("customer", "ticket", "notify", "survey"):  # a rebuild pages them all
            start(owner)
        start("report", REPORT_REBUILD_PAGE=20)
        admin = rpc("report", roles=("admin",))
        with pytest.raises(Forbidden):  # the feed answers the report's system identity only
            rpc("survey", roles=("manager",)).report_invitations({})
        rng = random.Random(44)
        tag = uuid.uuid4().hex[:8]
        groups, agents = [f"r邀约-{tag}", f"r键评-{tag}"], [f"rv1-{tag}", f"rv2-{tag}"]
        now = datetime.datetime.now(UTC).replace(microsecond=0)
        campaign_id = insert_source(rng, groups, agents, now)
        telephony = rpc("survey", roles=("telephony",))
        callers = {a: rpc("survey", roles=("agent",), staff_id=a, clearance=3) for a in agents}

        def rate_calls(n: int) -> None:  # live offers through the survey's own events
            for _ in range(n):
                telephony.ivr_rating({"call_id": f"pbx-{uuid.uuid4().hex[:12]}",
                                      "key": rng.choice([None, "1", "2"]),
                                      "agent_id": agents[0], "group_name": groups[0],
                                      "ticket_kind": "咨询"})

        def call_invitations(n: int) -> None:  # live invitation calls, the same way
            open_ = survey_rows(
                "SELECT id::text, agent_id FROM campaign_invitation WHERE campaign_id = %s"
                " AND closed_at IS NULL AND NOT coalesce(accepted, false) ORDER BY position"
                " LIMIT %s", campaign_id, n)
            for i in open_:
                callers[i["agent_id"]].record_invitation(
                    i["id"], {"invited": True, "accepted": rng.random() < 0.6})

        assert finished(admin, admin.rebuild_reports()["id"], seconds=120)["state"] == "done"
        assert (offer_rollup(agents), campaign_rollup(agents)) == level(agents)
        rate_calls(3)
        call_invitations(3)
        assert (offer_rollup(agents), campaign_rollup(agents)) == level(agents)
        assert survey_rows("SELECT min(revision) AS r FROM campaign_invitation WHERE"
                           " campaign_id = %s AND calls > 0", campaign_id)[0]["r"] >= 1

        auditor = rpc("report", roles=("auditor",))
        first = (now - datetime.timedelta(hours=2)).astimezone(CHINA).date().isoformat()
        last = now.astimezone(CHINA).date().isoformat()

        def differences(d: str) -> list:
            return [x for x in auditor.check_reports({"from": d, "to": d})["differences"]
                    if x["kind"].startswith(MINE)]
        for d in sorted({first, last}):
            assert differences(d) == []
        # planted differences are named: one campaign's count, one day's offers
        campaign_day = survey_rows("SELECT (starts_at AT TIME ZONE 'Asia/Shanghai')::date"
                                   " AS d FROM campaign WHERE id = %s",
                                   campaign_id)[0]["d"].isoformat()
        rows("UPDATE campaign_rollup SET accepted = accepted + 1 WHERE (campaign_id,"
             " agent_id, groups, level) = (SELECT campaign_id, agent_id, groups, level FROM"
             " campaign_rollup WHERE campaign_id = %s AND total > 0 LIMIT 1)", campaign_id)
        [planted] = [x for x in differences(campaign_day) if x["kind"].startswith("campaign")]
        assert (planted["kind"], planted["measure"]) == (f"campaign {campaign_id}",
                                                         "accepted")
        assert planted["ours"] == planted["owner"] + 1
        [offer_day] = rows("UPDATE ivr_offer_day SET offered = offered + 2 WHERE (day,"
                           " agent_id, group_name, ticket_kind) = (SELECT day, agent_id,"
                           " group_name, ticket_kind FROM ivr_offer_day WHERE agent_id ="
                           " ANY (%s) AND offered > 0 LIMIT 1) RETURNING day", agents)
        named = [x for x in differences(offer_day["day"].isoformat())
                 if x["kind"] == "ivr_offers"]
        assert [(x["measure"], x["ours"] - x["owner"]) for x in named] == [("offered", 2)]
        rows("DELETE FROM invitation_fact WHERE agent_id = ANY (%s)", agents)

        # a rebuild while more offers and calls arrive ends equal to the owner again
        job = admin.rebuild_reports()
        more = [eventlet.spawn(rate_calls, 4), eventlet.spawn(call_invitations, 3)]
        done = finished(admin, job["id"], seconds=120)
        for worker in more:
            worker.wait()
        assert done["state"] == "done", done
        assert done["read"]["ivr_offers"] >= 13 and done["read"]["invitations"] >= 14
        assert (offer_rollup(agents), campaign_rollup(agents)) == level(agents)
        assert rows("SELECT count(*)::int AS n FROM invitation_fact WHERE agent_id = ANY (%s)",
                    agents)[0]["n"] == 14  # the deleted facts came back from the owner
        for d in sorted({first, last, campaign_day, offer_day["day"].isoformat()}):
            assert differences(d) == []


class TestR1CampaignThroughTheSurvey:
    def test_r1_a_frozen_list_called_checked_in_and_rated_counts_as_the_surveys_rates(
            self, start, rpc, rabbit_config):
        """The real chain: the survey freezes a list from the customer service's segment
        (campaign_invitations_listed), agents call, the door checks in, the outcome is
        recorded (campaign_invitation_updated); the report's figures then equal the
        survey's own campaign_rates."""
        from tests.integration.survey.test_campaigns import Fair

        start("customer")
        survey = start("survey")
        start("report")
        fair = Fair(survey, rpc, rabbit_config)
        fair.customers(9)
        campaign = fair.frozen(fair.campaign(today=True)["id"])
        assert campaign["list_state"] == "frozen"
        invitations = fair.invitations(campaign["id"])
        for n, invitation in enumerate(invitations[:6]):
            me = fair.as_staff(invitation["agent_id"])
            me.record_invitation(invitation["id"], {"invited": False, "reason": "busy"}
                                 if n == 5 else {"invited": True, "accepted": n < 4})
        door = fair.boss  # the group's supervisor reaches every invitation of it
        for invitation in invitations[:3]:
            door.check_in(campaign["id"], {"invitation_id": invitation["id"]})
        door.record_visit_outcome(invitations[0]["id"], {"satisfaction": "satisfied",
                                                         "gift_taken": True})
        door.record_visit_outcome(invitations[1]["id"], {"satisfaction": "average"})
        theirs = fair.manager.campaign_rates(campaign["id"])["figures"]
        manager = rpc("report", roles=("manager",), clearance=3)
        today = datetime.datetime.now(UTC) - datetime.timedelta(hours=1)
        query = {"from": day(today).isoformat(), "to": day(today).isoformat(),
                 "campaign_id": campaign["id"]}
        ours: dict = {}
        with eventlet.Timeout(20, False):
            while True:
                table = manager.campaign_figures(query)
                ours = dict(zip(table["columns"], table["rows"][0], strict=True)) \
                    if table["rows"] else {}
                if ours.get("satisfied") == 1 and ours.get("came") == 3:
                    break
                eventlet.sleep(0.2)
        assert (theirs["total"], theirs["invited"], theirs["accepted"], theirs["came"]) == (
            9, 5, 4, 3)
        for name in ("total", "called", "invited", "accepted", "came", "with_outcome",
                     "satisfied", "gift_taken", "coupon_taken", "invitation_rate",
                     "acceptance_rate", "attendance_rate", "satisfaction_rate"):
            assert ours[name] == theirs[name], name
        supervisor = rpc("report", roles=("supervisor",), groups=[fair.group], clearance=3)
        assert supervisor.campaign_figures(query)["rows"] == table["rows"]
        with pytest.raises(NotFound):  # another group's supervisor: nothing of it
            rpc("report", roles=("supervisor",), groups=["别的组"]).campaign_figures(query)


def test_r4_the_survey_feeds_page_by_id_for_the_report_only(start, rpc):
    start("survey")
    system = rpc("survey", auth_token=system_token("report"))
    page = system.report_ivr_offers({"limit": 1})
    assert set(page) == {"ivr_offers", "next"} and len(page["ivr_offers"]) <= 1
    page = system.report_invitations({"limit": 1})
    assert set(page) == {"invitations", "next"} and len(page["invitations"]) <= 1
    counts = system.report_invitation_counts({"from": "2026-03-01", "to": "2026-03-02"})
    assert set(counts) == {"counts"}
    with pytest.raises(Forbidden):
        rpc("survey", roles=("admin",)).report_ivr_offer_counts({"from": "2026-03-01",
                                                                 "to": "2026-03-02"})

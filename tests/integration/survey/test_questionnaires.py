"""V3 and V4 on the real survey service: a published questionnaire version in use cannot
change; agents' answers are checked against their version; a personal link works once,
not after expiry, not with a changed token, and guessing is limited; IVR keys outside
the mapping are refused and stored nowhere; CSAT/NPS from the one SQL aggregate equal a
plain reference computation on generated answers; a destroyed customer's free text goes."""
import datetime
import json
import os
import random
import uuid

import psycopg2
import psycopg2.extras
import pytest
from kombu import Connection, Exchange
from nameko.testing.services import entrypoint_waiter

from services.common.errors import Conflict, Forbidden, Invalid, NotFound, TooManyRequests
from services.survey.contract import answers as an
from services.survey.contract.answers import LinkExpired, LinkInvalid, LinkUsed
from services.survey.domain import satisfaction as rules
from tests.helpers import system_token
from tests.unit.survey.test_satisfaction import SHANGHAI, reference

SECRET = "integration-secret-" + uuid.uuid4().hex
QUESTIONS = [
    {"key": "overall", "kind": "scale", "text": "您对本次服务满意吗", "required": True,
     "csat": True},
    {"key": "recommend", "kind": "nps", "text": "您向亲友推荐我们的可能性"},
    {"key": "fixed", "kind": "single", "text": "问题解决了吗", "options": ["已解决", "未解决"],
     "required": True},
    {"key": "comment", "kind": "text", "text": "其他意见", "max_length": 200},
]


def unique(prefix="q"):
    return f"{prefix}_{uuid.uuid4().hex[:10]}"


@pytest.fixture
def db():
    conn = psycopg2.connect(os.environ["KEFU_SURVEY_DB_URI"],
                            cursor_factory=psycopg2.extras.RealDictCursor)
    conn.autocommit = True
    yield conn.cursor()
    conn.close()


@pytest.fixture
def survey(start):
    return start("survey", SURVEY_LINK_SECRET=SECRET, LINK_GUESS_LIMIT=3)


@pytest.fixture
def manager(rpc, survey):
    return rpc("survey", roles=("manager",))


@pytest.fixture
def agent(rpc, survey):
    return rpc("survey", roles=("agent",), groups=("客服一组",))


@pytest.fixture
def notify(rpc, survey):
    """The notify service's system identity: the one caller answered a link's token."""
    return rpc("survey", auth_token=system_token("notify"))


@pytest.fixture
def public(rpc, survey):
    return rpc("survey", auth_token="")


def published(manager, questions=QUESTIONS) -> dict:
    draft = manager.save_questionnaire({"name": unique(), "title": "售后回访问卷",
                                        "questions": questions})
    return manager.publish_questionnaire(draft["id"])


def right_answers(**over):
    return {"overall": 5, "recommend": 9, "fixed": "已解决", "comment": "师傅很专业", **over}


class TestVersions:
    def test_v3_a_questionnaire_version_in_use_cannot_change(self, manager, agent, db):
        v1 = published(manager)
        answer = agent.record_answers({"questionnaire_id": v1["id"],
                                       "customer_id": str(uuid.uuid4()),
                                       "answers": right_answers()})
        assert (answer["questionnaire_id"], answer["version"]) == (v1["id"], 1)
        changed = [dict(q) for q in QUESTIONS]
        changed[2] = {**changed[2], "options": ["已解决", "部分解决", "未解决"]}

        # naming the published version: refused
        with pytest.raises(Conflict):
            manager.save_questionnaire({"name": v1["name"], "title": "改过的",
                                        "questions": changed, "questionnaire_id": v1["id"]})
        with pytest.raises(Conflict):
            manager.publish_questionnaire(v1["id"])
        # saving the name again: the next version, a draft; version 1 as it was
        v2 = manager.save_questionnaire({"name": v1["name"], "title": "改过的",
                                         "questions": changed})
        assert (v2["version"], v2["status"]) == (2, "draft") and v2["id"] != v1["id"]
        assert manager.get_questionnaire(v1["id"]) == v1
        # the database refuses too (a second wall behind the service)
        with pytest.raises(psycopg2.IntegrityError):
            db.execute("UPDATE questionnaire SET title = 'x' WHERE id = %s", (v1["id"],))
        # a draft takes no answers; the old version still does, and keeps its options
        with pytest.raises(Invalid) as caught:
            agent.record_answers({"questionnaire_id": v2["id"], "answers": right_answers()})
        assert "questionnaire_id" in caught.value.fields
        with pytest.raises(Invalid) as caught:
            agent.record_answers({"questionnaire_id": v1["id"],
                                  "answers": right_answers(fixed="部分解决")})
        assert list(caught.value.fields) == ["answers.fixed"]
        # saving the draft again replaces it; publishing makes version 2 answerable
        v2b = manager.save_questionnaire({"name": v1["name"], "title": "第二版",
                                          "questions": changed})
        assert (v2b["id"], v2b["title"]) == (v2["id"], "第二版")
        manager.publish_questionnaire(v2["id"])
        later = agent.record_answers({"questionnaire_id": v2["id"],
                                      "answers": right_answers(fixed="部分解决")})
        assert later["version"] == 2
        newest = manager.questionnaires({"name": v1["name"]})["questionnaires"]
        assert [(q["version"], q["status"]) for q in newest] == [(2, "published")]

    def test_v3_only_managers_and_admins_edit_questionnaires_staff_read(self, rpc, manager):
        from services.common.errors import Forbidden
        v1 = published(manager)
        for roles in (("agent",), ("supervisor",), ("auditor",)):
            with pytest.raises(Forbidden):
                rpc("survey", roles=roles).save_questionnaire(
                    {"name": unique(), "title": "x", "questions": QUESTIONS})
            assert rpc("survey", roles=roles).get_questionnaire(v1["id"])["id"] == v1["id"]
        with pytest.raises(Forbidden):
            rpc("survey", roles=("telephony",)).get_questionnaire(v1["id"])
        assert rpc("survey", roles=("admin",)).save_questionnaire(
            {"name": unique(), "title": "x", "questions": QUESTIONS})["version"] == 1


class TestAgentAnswers:
    def test_v3_wrong_answers_are_invalid_naming_each_and_nothing_is_stored(
            self, manager, agent, db):
        v1 = published(manager)
        customer = str(uuid.uuid4())
        with pytest.raises(Invalid) as caught:
            agent.record_answers({"questionnaire_id": v1["id"], "customer_id": customer,
                                  "answers": {"overall": 6, "recommend": 11,
                                              "comment": "好" * 201, "what": 1}})
        assert set(caught.value.fields) == {"answers.overall", "answers.recommend",
                                            "answers.fixed", "answers.comment",
                                            "answers.what"}
        db.execute("SELECT count(*) AS n FROM answer WHERE customer_id = %s", (customer,))
        assert db.fetchone()["n"] == 0

    def test_v3_an_answer_is_stored_once_per_idempotency_key(self, manager, agent, db):
        v1 = published(manager)
        customer = str(uuid.uuid4())
        data = {"questionnaire_id": v1["id"], "customer_id": customer,
                "answers": right_answers()}
        with pytest.raises(NotFound):  # a follow-up task that is none of the caller's
            agent.record_answers({**data, "task_id": str(uuid.uuid4())})
        first = agent.record_answers(data, idempotency_key="k-" + customer)
        again = agent.record_answers(data, idempotency_key="k-" + customer)
        assert again["id"] == first["id"]
        assert (first["group_name"], first["csat_score"], first["level"]) == \
            ("客服一组", 5, "very_satisfied")
        db.execute("SELECT count(*) AS n FROM answer WHERE customer_id = %s", (customer,))
        assert db.fetchone()["n"] == 1

    def test_v3_survey_answered_carries_no_words(self, manager, agent, db):
        v1 = published(manager)
        answer = agent.record_answers({"questionnaire_id": v1["id"],
                                       "answers": right_answers(comment="电话13800138000")})
        db.execute("SELECT envelope FROM outbox WHERE event_type = 'survey_answered'"
                   " AND envelope->'data'->>'answer_id' = %s", (answer["id"],))
        [row] = db.fetchall()
        envelope = row["envelope"] if isinstance(row["envelope"], dict) \
            else json.loads(row["envelope"])
        data = envelope["data"]
        assert (data["source"], data["csat_score"], data["nps_score"], data["level"]) == \
            ("agent", 5, 9, "very_satisfied")
        assert "13800138000" not in json.dumps(envelope, ensure_ascii=False)


class TestLinks:
    def issue(self, notify, v1, **over):
        return notify.issue_survey_link({"questionnaire_id": v1["id"],
                                        "customer_id": str(uuid.uuid4()),
                                        "greeting_name": "张先生",
                                        "ticket_id": str(uuid.uuid4()), **over})

    def test_v3_a_survey_link_works_once(self, manager, notify, public, db):
        v1 = published(manager)
        link = self.issue(notify, v1)
        client = {"token": link["token"], "client_key": unique("ip")}
        page = public.survey_by_token(client)
        assert page["greeting_name"] == "张先生" and page["title"] == "售后回访问卷"
        assert [q["key"] for q in page["questions"]] == [q["key"] for q in QUESTIONS]
        shown = json.dumps(page, ensure_ascii=False)
        db.execute("SELECT customer_id, ticket_id FROM survey_link WHERE id = %s",
                   (link["link_id"],))
        ids = db.fetchone()
        assert ids["customer_id"] not in shown and ids["ticket_id"] not in shown
        # a wrong answer does not use the link up
        with pytest.raises(Invalid):
            public.answer_by_token({**client, "answers": {"overall": 9}})
        assert public.answer_by_token({**client, "answers": right_answers()}) == \
            {"answered": True}
        for call in (lambda: public.answer_by_token({**client, "answers": right_answers()}),
                     lambda: public.survey_by_token(client)):
            with pytest.raises(LinkUsed) as caught:
                call()
            assert caught.value.code == "link_used"
        db.execute("SELECT source, customer_id, ticket_id, csat_score FROM answer"
                   " WHERE link_id = %s", (link["link_id"],))
        [stored] = db.fetchall()
        assert (stored["source"], stored["customer_id"], stored["csat_score"]) == \
            ("link", ids["customer_id"], 5)

    def test_v3_a_survey_link_does_not_work_after_expiry(self, manager, notify, public, db):
        v1 = published(manager)
        link = self.issue(notify, v1, ttl_hours=1)
        client = {"token": link["token"], "client_key": unique("ip")}
        assert public.survey_by_token(client)["greeting_name"] == "张先生"
        db.execute("UPDATE survey_link SET expires_at = now() - interval '1 second'"
                   " WHERE id = %s", (link["link_id"],))
        for call in (lambda: public.survey_by_token(client),
                     lambda: public.answer_by_token({**client, "answers": right_answers()})):
            with pytest.raises(LinkExpired) as caught:
                call()
            assert caught.value.code == "link_expired"
        db.execute("SELECT count(*) AS n FROM answer WHERE link_id = %s", (link["link_id"],))
        assert db.fetchone()["n"] == 0

    def test_v3_a_changed_token_is_refused_and_guessing_is_limited(
            self, manager, notify, public, db):
        v1 = published(manager)
        link = self.issue(notify, v1)
        token = link["token"]
        guesser = unique("ip")
        changed = [token[:-2] + ("AA" if token[-2:] != "AA" else "BB"),
                   "x" + token[1:], token + "0"]
        for bad in changed:
            with pytest.raises(LinkInvalid) as caught:
                public.answer_by_token({"token": bad, "client_key": guesser,
                                        "answers": right_answers()})
            assert caught.value.code == "link_invalid"
        # three bad tokens (the limit here): the guesser is refused even the right one
        with pytest.raises(TooManyRequests):
            public.survey_by_token({"token": token, "client_key": guesser})
        # another client is not
        other = {"token": token, "client_key": unique("ip")}
        assert public.answer_by_token({**other, "answers": right_answers()}) == \
            {"answered": True}

    def test_v3_links_are_for_published_versions_and_issued_by_staff(
            self, manager, rpc, public):
        draft = manager.save_questionnaire({"name": unique(), "title": "草稿",
                                            "questions": QUESTIONS})
        with pytest.raises(Invalid):
            manager.issue_survey_link({"questionnaire_id": draft["id"],
                                       "customer_id": str(uuid.uuid4())})
        with pytest.raises(NotFound):
            manager.issue_survey_link({"questionnaire_id": str(uuid.uuid4()),
                                       "customer_id": str(uuid.uuid4())})
        from services.common.errors import Unauthenticated
        with pytest.raises(Unauthenticated):
            public.issue_survey_link({"questionnaire_id": draft["id"],
                                      "customer_id": str(uuid.uuid4())})

    def test_v3_staff_get_no_token_and_a_task_gives_the_link_and_answer_its_own_context(
            self, manager, rpc, notify, public, db):
        """Review finding: an agent could issue a link naming any agent and group, get
        its token and answer it themselves (a forged CSAT/NPS)."""
        v1 = published(manager)
        me, group = unique("agent"), unique("组")
        db.execute("INSERT INTO followup_task (ticket_id, ticket_serial, ticket_kind,"
                   " customer_id, groups, assignee_id, resolved_at, due_at) VALUES"
                   " (%s, 'TS-1', 'complaint', %s, %s, %s, now(), now() + interval '1 day')"
                   " RETURNING id::text, ticket_id, customer_id",
                   (unique("ticket"), unique("customer"), [group], me))
        task = db.fetchone()
        agent = rpc("survey", roles=("agent",), staff_id=me, groups=(group,))
        forged = {"questionnaire_id": v1["id"], "task_id": task["id"],
                  "agent_id": "someone-else", "group_name": "别的组",
                  "customer_id": "another-customer", "ticket_id": "another-ticket"}
        staff_link = agent.issue_survey_link(forged)
        assert "token" not in staff_link and staff_link["link_id"]
        db.execute("SELECT agent_id, group_name, ticket_id, customer_id, task_id"
                   " FROM survey_link WHERE id = %s", (staff_link["link_id"],))
        assert db.fetchone() == {"agent_id": me, "group_name": group,
                                 "ticket_id": task["ticket_id"],
                                 "customer_id": task["customer_id"], "task_id": task["id"]}
        stranger = rpc("survey", roles=("agent",), groups=(group,))
        with pytest.raises(NotFound):  # the task is not the stranger's
            stranger.issue_survey_link(forged)
        answered = {**{k: v for k, v in forged.items() if k != "agent_id"},  # the caller's
                    "answers": right_answers()}
        with pytest.raises(NotFound):
            stranger.record_answers(answered)
        for field, value in (("agent_id", "someone-else"), ("group_name", "别的组")):
            with pytest.raises(Forbidden) as err:  # no task: the caller's own only
                agent.issue_survey_link({"questionnaire_id": v1["id"],
                                         "customer_id": "c", field: value})
            assert field in err.value.fields
        with pytest.raises(Forbidden) as err:  # (an answer's agent is its caller)
            agent.record_answers({"questionnaire_id": v1["id"], "answers": right_answers(),
                                  "group_name": "别的组"})
        assert "group_name" in err.value.fields
        answer = agent.record_answers(answered)
        assert (answer["agent_id"], answer["group_name"], answer["customer_id"]) == \
            (me, group, task["customer_id"])
        # the system (notify, which sends it) gets the token; the answer counts for the task
        link = notify.issue_survey_link({**forged, "agent_id": None, "group_name": None})
        public.answer_by_token({"token": link["token"], "client_key": unique("ip"),
                                "answers": right_answers()})
        db.execute("SELECT agent_id, group_name, customer_id FROM answer WHERE link_id = %s",
                   (link["link_id"],))
        assert db.fetchone() == {"agent_id": me, "group_name": group,
                                 "customer_id": task["customer_id"]}


class TestIvr:
    def test_v3_ivr_keys_outside_the_mapping_are_refused_and_stored_nowhere(
            self, rpc, survey, db):
        telephony = rpc("survey", roles=("telephony",), staff_id="pbx")
        call_id = unique("call")
        for key in ("5", "9", "0", "#", "12"):
            with pytest.raises(Invalid) as caught:
                telephony.ivr_rating({"call_id": call_id, "key": key, "agent_id": "a-1"})
            assert "key" in caught.value.fields
        for table in ("answer", "ivr_offer"):
            db.execute(f"SELECT count(*) AS n FROM {table} WHERE call_id = %s",  # noqa: S608
                       (call_id,))
            assert db.fetchone()["n"] == 0, table

    def test_v3_a_rating_is_kept_once_per_call_and_the_offered_share_counted(
            self, rpc, survey, db):
        telephony = rpc("survey", roles=("telephony",), staff_id="pbx")
        agent_id, group = unique("agent"), unique("组")
        rated, unrated = unique("call"), unique("call")
        common = {"agent_id": agent_id, "group_name": group, "ticket_id": str(uuid.uuid4())}
        first = telephony.ivr_rating({"call_id": rated, "key": "2", **common})
        assert (first["rated"], first["level"], first["duplicate"]) == \
            (True, "satisfied", False)
        again = telephony.ivr_rating({"call_id": rated, "key": "4", **common})
        assert (again["answer_id"], again["level"], again["duplicate"]) == \
            (first["answer_id"], "satisfied", True)
        offered = telephony.ivr_rating({"call_id": unrated, **common})
        assert (offered["rated"], offered["duplicate"]) == (False, False)
        db.execute("SELECT csat_score, agent_id FROM answer WHERE call_id = %s", (rated,))
        assert db.fetchall() == [{"csat_score": 4, "agent_id": agent_id}]
        figures = rpc("survey", roles=("manager",)).satisfaction(
            {"by": ["agent"], "period": "all", "group_name": group})
        assert [(f["agent_id"], f["csat"], f["csat_answers"]) for f in figures["figures"]] \
            == [(agent_id, 100.0, 1)]
        assert [(r["agent_id"], r["offered"], r["rated"], r["rated_share"])
                for r in figures["ivr"]] == [(agent_id, 2, 1, 50.0)]

    def test_v3_admins_change_the_mapping(self, rpc, survey):
        admin = rpc("survey", roles=("admin",))
        telephony = rpc("survey", roles=("telephony",), staff_id="pbx")
        default = admin.ivr_mapping()
        assert default["keys"] == {"1": "very_satisfied", "2": "satisfied", "3": "neutral",
                                   "4": "dissatisfied"}
        try:
            admin.set_ivr_mapping({"keys": {**default["keys"], "5": "very_dissatisfied"}})
            answer = telephony.ivr_rating({"call_id": unique("call"), "key": "5"})
            assert answer["level"] == "very_dissatisfied"
        finally:
            admin.set_ivr_mapping(default)
        with pytest.raises(Invalid):
            telephony.ivr_rating({"call_id": unique("call"), "key": "5"})


def insert_generated(db, questionnaire_id: str, group: str, n: int, seed: int) -> None:
    rng = random.Random(seed)
    start = datetime.datetime(2025, 12, 20, tzinfo=datetime.UTC)
    rows = []
    for _ in range(n):
        source = rng.choice(["agent", "ivr", "link"])
        rows.append((source, None if source == "ivr" else questionnaire_id,
                     rng.choice(["a1", "a2", "a3", None]), group,
                     rng.choice(["complaint", "after_sales", None]),
                     rng.choice(["c1", "c2", None]), rng.choice([None, 1, 2, 3, 4, 5]),
                     None if source == "ivr" else rng.choice([None, *range(11)]),
                     unique("call") if source == "ivr" else None,
                     start + datetime.timedelta(minutes=rng.randrange(0, 120 * 24 * 60))))
    psycopg2.extras.execute_values(
        db, "INSERT INTO answer (source, questionnaire_id, agent_id, group_name, ticket_kind,"
            " category_id, csat_score, nps_score, call_id, answered_at) VALUES %s", rows)


class TestFigures:
    @pytest.mark.parametrize(("by", "period"), [
        ((), "all"), (("agent",), "month"), (("group", "kind"), "week"),
        (("category", "source"), "day"), (("agent", "kind", "category", "source"), "month")])
    def test_v4_csat_and_nps_equal_a_plain_reference_on_generated_answers(
            self, manager, notify, rpc, db, by, period):
        group = unique("组")
        v1 = published(manager)
        insert_generated(db, v1["id"], group, 1500, seed=len(by) * 7 + len(period))
        # and one of each source through the operations
        rpc("survey", roles=("agent",), groups=(group,)).record_answers(
            {"questionnaire_id": v1["id"], "answers": right_answers(overall=2, recommend=3)})
        rpc("survey", roles=("telephony",)).ivr_rating(
            {"call_id": unique("call"), "key": "1", "group_name": group, "agent_id": "a2"})
        link = notify.issue_survey_link({"questionnaire_id": v1["id"], "group_name": group,
                                         "customer_id": str(uuid.uuid4())})
        rpc("survey", auth_token="").answer_by_token(
            {"token": link["token"], "client_key": "127.0.0.1",
             "answers": right_answers(overall=4, recommend=10)})

        db.execute("SELECT source, agent_id, group_name, ticket_kind, category_id,"
                   " csat_score, nps_score, answered_at FROM answer WHERE group_name = %s",
                   (group,))
        answers = db.fetchall()
        assert len(answers) == 1503
        got = manager.satisfaction({"by": list(by), "period": period, "group_name": group})
        assert an.Satisfaction().dump(got) == got    # the contract's shape, as built
        keys = [tuple(f[k] for k in rules.KEY_FIELDS) for f in got["figures"]]
        assert keys == sorted(keys, key=rules.sort_key)    # nulls first, then by value
        figures = {(f["period"], f["agent_id"], f["group_name"], f["ticket_kind"],
                    f["category_id"], f["source"]): {k: f[k] for k in (
                        "csat", "csat_answers", "nps", "nps_answers")}
                   for f in got["figures"]}
        assert len(figures) == len(got["figures"])
        assert figures == reference(answers, by, period)

    def test_v4_a_period_is_whole_days_in_china_both_ends_included(self, manager, db):
        group = unique("组")
        v1 = published(manager)
        insert_generated(db, v1["id"], group, 800, seed=11)
        db.execute("SELECT source, agent_id, group_name, ticket_kind, category_id,"
                   " csat_score, nps_score, answered_at FROM answer WHERE group_name = %s",
                   (group,))
        first, last = datetime.date(2026, 1, 5), datetime.date(2026, 2, 10)
        inside = [a for a in db.fetchall()
                  if first <= a["answered_at"].astimezone(SHANGHAI).date() <= last]
        got = manager.satisfaction({"by": ["agent"], "period": "week", "group_name": group,
                                    "from": first.isoformat(), "to": last.isoformat()})
        figures = {(f["period"], f["agent_id"], f["group_name"], f["ticket_kind"],
                    f["category_id"], f["source"]): {k: f[k] for k in (
                        "csat", "csat_answers", "nps", "nps_answers")}
                   for f in got["figures"]}
        assert figures == reference(inside, ("agent",), "week")
        with pytest.raises(Invalid):
            manager.satisfaction({"from": "2026-02-10", "to": "2026-02-09"})

    def test_v4_readers_are_supervisors_up_and_auditors_a_supervisor_sees_their_groups(
            self, manager, rpc, db):
        from services.common.errors import Forbidden
        group = unique("组")
        v1 = published(manager)
        insert_generated(db, v1["id"], group, 50, seed=3)
        with pytest.raises(Forbidden):
            rpc("survey", roles=("agent",)).satisfaction({"group_name": group})
        query = {"group_name": group, "period": "all"}
        whole = rpc("survey", roles=("auditor",)).satisfaction(query)["figures"]
        assert sum(f["csat_answers"] + f["nps_answers"] for f in whole) > 0
        assert rpc("survey", roles=("supervisor",), groups=(group,)).satisfaction(
            query)["figures"] == whole
        assert rpc("survey", roles=("supervisor",), groups=("别的组",)).satisfaction(
            query)["figures"] == []


def publish_customer_event(rabbit_config, event_type: str, data: dict) -> None:
    envelope = {"event_id": str(uuid.uuid4()), "type": event_type,
                "occurred_at": datetime.datetime.now(datetime.UTC).isoformat(),
                "schema_version": 1, "actor": "test", "data": data}
    exchange = Exchange("customer.events", type="topic", durable=True)
    with Connection(rabbit_config["AMQP_URI"]) as conn:
        conn.Producer(serializer="json").publish(
            envelope, exchange=exchange, routing_key=event_type, declare=[exchange],
            user_id=conn.userid)


class TestCustomerLifecycle:
    def test_c6_a_destroyed_customers_free_text_and_greeting_go(
            self, manager, agent, notify, public, survey, db, rabbit_config):
        v1 = published(manager)
        customer = str(uuid.uuid4())
        answer = agent.record_answers({"questionnaire_id": v1["id"], "customer_id": customer,
                                       "answers": right_answers(comment="住址：幸福路1号")})
        link = notify.issue_survey_link({"questionnaire_id": v1["id"], "customer_id": customer,
                                         "greeting_name": "李女士"})
        with entrypoint_waiter(survey, "erase_followups_of_destroyed_customer"):
            publish_customer_event(rabbit_config, "customer_destroyed",
                                   {"customer_id": customer, "number": "C0000001"})
        db.execute("SELECT texts, answers, csat_score, erased_at FROM answer WHERE id = %s",
                   (answer["id"],))
        row = db.fetchone()
        assert row["texts"] == {} and row["erased_at"] is not None
        assert row["csat_score"] == 5 and row["answers"]["fixed"] == "已解决"  # figures stay
        db.execute("SELECT greeting_name FROM survey_link WHERE id = %s", (link["link_id"],))
        assert db.fetchone()["greeting_name"] == ""
        with pytest.raises(LinkExpired):
            public.survey_by_token({"token": link["token"], "client_key": unique("ip")})

    def test_c8_a_merged_customers_answers_go_to_the_survivor(
            self, manager, agent, survey, db, rabbit_config):
        v1 = published(manager)
        merged, survivor = str(uuid.uuid4()), str(uuid.uuid4())
        answer = agent.record_answers({"questionnaire_id": v1["id"], "customer_id": merged,
                                       "answers": right_answers()})
        with entrypoint_waiter(survey, "repoint_followups_of_merged_customer"):
            publish_customer_event(rabbit_config, "customer_merged",
                                   {"merged_id": merged, "survivor_id": survivor})
        db.execute("SELECT customer_id FROM answer WHERE id = %s", (answer["id"],))
        assert db.fetchone()["customer_id"] == survivor

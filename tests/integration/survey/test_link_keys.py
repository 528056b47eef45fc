"""V3: a personal link asked again with the same idempotency key (notify after a lost
answer or a redelivered event) is the same link — the same token — and no second row;
a link by questionnaire name takes the newest published version (migration 0005 seeds
`service_satisfaction`, the one notify's resolution message links to)."""
import os
import uuid

import psycopg2
import psycopg2.extras
import pytest

from services.common.errors import Invalid, NotFound
from tests.helpers import system_token
from tests.integration.survey.test_questionnaires import QUESTIONS, SECRET, published, unique


@pytest.fixture
def survey(start):
    return start("survey", SURVEY_LINK_SECRET=SECRET)


@pytest.fixture
def db():
    conn = psycopg2.connect(os.environ["KEFU_SURVEY_DB_URI"],
                            cursor_factory=psycopg2.extras.RealDictCursor)
    conn.autocommit = True
    yield conn.cursor()
    conn.close()


@pytest.fixture
def manager(rpc, survey):
    return rpc("survey", roles=("manager",))


@pytest.fixture
def agent(rpc, survey):
    return rpc("survey", roles=("agent",), groups=("客服一组",))


@pytest.fixture
def notify(rpc, survey):
    return rpc("survey", auth_token=system_token("notify"))


@pytest.fixture
def public(rpc, survey):
    return rpc("survey", auth_token="")


class TestLinkKeys:
    def test_v3_the_same_key_answers_the_same_link_and_token(self, manager, notify, db):
        v1 = published(manager)
        ticket, key = str(uuid.uuid4()), unique("msg")
        body = {"questionnaire_id": v1["id"], "customer_id": str(uuid.uuid4()),
                "ticket_id": ticket, "greeting_name": "周先生"}
        first = notify.issue_survey_link(body, idempotency_key=key)
        again = notify.issue_survey_link(body, idempotency_key=key)
        other = notify.issue_survey_link(body, idempotency_key=unique("msg"))
        assert again == first
        assert other["link_id"] != first["link_id"] and other["token"] != first["token"]
        db.execute("SELECT count(*) AS n FROM survey_link WHERE ticket_id = %s", (ticket,))
        assert db.fetchone()["n"] == 2

    def test_v3_a_key_is_per_issuer(self, manager, agent, notify, db):
        v1 = published(manager)
        key = unique("k")
        body = {"questionnaire_id": v1["id"], "customer_id": str(uuid.uuid4())}
        by_agent = agent.issue_survey_link(body, idempotency_key=key)
        by_notify = notify.issue_survey_link(body, idempotency_key=key)
        assert by_agent["link_id"] != by_notify["link_id"]
        assert agent.issue_survey_link(body, idempotency_key=key)["link_id"] == \
            by_agent["link_id"]

    def test_v3_a_link_by_name_takes_the_newest_published_version(self, manager, notify,
                                                                  public):
        link = notify.issue_survey_link({"questionnaire_name": "service_satisfaction",
                                         "customer_id": str(uuid.uuid4())})
        page = public.survey_by_token({"token": link["token"], "client_key": unique("ip")})
        assert page["title"] == "服务满意度调查"
        assert [q["kind"] for q in page["questions"]] == ["scale", "nps", "text"]
        v1 = published(manager)
        v2 = manager.publish_questionnaire(manager.save_questionnaire(
            {"name": v1["name"], "title": "第二版", "questions": QUESTIONS})["id"])
        manager.save_questionnaire({"name": v1["name"], "title": "草稿", "questions": QUESTIONS})
        named = notify.issue_survey_link({"questionnaire_name": v1["name"],
                                          "customer_id": str(uuid.uuid4())})
        page = public.survey_by_token({"token": named["token"], "client_key": unique("ip")})
        assert v2["version"] == 2 and page["title"] == "第二版"  # not v1, not the v3 draft

    def test_v3_a_name_without_a_published_version_or_both_or_neither_is_refused(
            self, manager, notify):
        with pytest.raises(NotFound) as missing:
            notify.issue_survey_link({"questionnaire_name": unique("none"),
                                      "customer_id": str(uuid.uuid4())})
        assert "questionnaire_name" in missing.value.fields
        v1 = published(manager)
        for both in ({"questionnaire_id": v1["id"], "questionnaire_name": v1["name"]}, {}):
            with pytest.raises(Invalid) as bad:
                notify.issue_survey_link({**both, "customer_id": str(uuid.uuid4())})
            assert "questionnaire_id" in bad.value.fields
        with pytest.raises(Invalid) as long_key:
            notify.issue_survey_link({"questionnaire_id": v1["id"],
                                      "customer_id": str(uuid.uuid4())},
                                     idempotency_key="k" * 201)
        assert "idempotency_key" in long_key.value.fields

"""V3 through notify (issue 12): the message after a resolution carries a personal
survey link the survey service issued and its public page accepts — one message and one
link even when the event comes twice, and none without its link while the survey
service is away; V5: an accepted campaign invitation's check-in code by SMS, once.
What the customer got is read at the provider simulator."""
import datetime
import os
import re
import time
import uuid

import psycopg2
import psycopg2.extras
import pytest
from nameko.testing.services import entrypoint_waiter

from tests.helpers import random_mobile
from tests.integration.notify.conftest import unique, wait_for
from tests.integration.notify.test_inbox import publish
from tests.integration.notify.test_sends import customer, e164

SECRET = "notify-links-" + uuid.uuid4().hex
BASE = "https://kefu.example.cn"
LINK = re.compile(r"^https://kefu\.example\.cn/s/([A-Za-z0-9_.\-]+)$")


@pytest.fixture
def survey_db():
    conn = psycopg2.connect(os.environ["KEFU_SURVEY_DB_URI"],
                            cursor_factory=psycopg2.extras.RealDictCursor)
    conn.autocommit = True
    yield conn.cursor()
    conn.close()


def resolved(ticket_id: str, customer_id: str, serial: str) -> dict:
    return {"ticket_id": ticket_id, "serial": serial, "kind": "complaint",
            "customer_id": customer_id, "from_status": "processing", "to_status": "resolved",
            "assignee_id": "agent-7", "group_name": "投诉组",
            "at": datetime.datetime.now(datetime.UTC).isoformat()}


def token_of(sms: dict) -> str:
    match = LINK.match(sms["params"]["survey_link"])
    assert match, sms["params"]
    return match.group(1)


class TestResolutionSurveyLink:
    def test_v3_a_resolution_sends_one_sms_with_a_link_the_survey_page_accepts_even_if_redelivered(
            self, notify, start, sim, rpc, rabbit_config, survey_db):
        start("customer")
        start("survey", SURVEY_LINK_SECRET=SECRET)
        container = notify(PUBLIC_BASE_URL=BASE)
        phone = random_mobile()
        person = customer(rpc, unique("survey"), phone=phone, name="赵先生")
        ticket_id = str(uuid.uuid4())
        data = resolved(ticket_id, person["id"], "TS-20261207-0101")
        with entrypoint_waiter(container, "notify_resolved"):
            event = publish(rabbit_config, "ticket_resolved", data)
        [sms] = wait_for(lambda: sim.sms(e164(phone)))
        with entrypoint_waiter(container, "notify_resolved"):
            publish(rabbit_config, "ticket_resolved", data, event_id=event["event_id"])
        time.sleep(2)  # the filler and the sender had their rounds
        assert len(sim.sms(e164(phone))) == 1
        page = rpc("survey", auth_token="").survey_by_token(
            {"token": token_of(sms), "client_key": unique("ip")})
        [message] = rpc("notify", roles=("agent",)).messages(
            {"customer_id": person["id"]})["messages"]
        assert sms["params"]["survey_link"] in message["content"]  # the text has it too
        assert page["greeting_name"] == "赵先生"
        assert page["title"] == "服务满意度调查"  # the seeded questionnaire (migration 0005)
        survey_db.execute("SELECT customer_id, agent_id, group_name, ticket_kind FROM"
                          " survey_link WHERE ticket_id = %s", (ticket_id,))
        assert survey_db.fetchall() == [{"customer_id": person["id"], "agent_id": "agent-7",
                                         "group_name": "投诉组", "ticket_kind": "complaint"}]

    def test_v3_while_the_survey_service_is_away_the_message_waits_then_goes_with_its_link(
            self, notify, start, sim, rpc, rabbit_config, survey_db):
        start("customer")
        start("survey", SURVEY_LINK_SECRET=SECRET).stop()  # down: its queue waits, unread
        container = notify(PUBLIC_BASE_URL=BASE)
        phone = random_mobile()
        person = customer(rpc, unique("wait"), phone=phone, name="钱女士")
        ticket_id = str(uuid.uuid4())
        with entrypoint_waiter(container, "notify_resolved"):
            publish(rabbit_config, "ticket_resolved",
                    resolved(ticket_id, person["id"], "TS-20261207-0102"))
        time.sleep(7)  # past a link request's deadline: the filler has failed and waits
        assert sim.sms(e164(phone)) == []
        [waiting] = rpc("notify", roles=("agent",)).messages(
            {"customer_id": person["id"]})["messages"]
        assert waiting["status"] == "queued"
        start("survey", SURVEY_LINK_SECRET=SECRET)
        [sms] = wait_for(lambda: sim.sms(e164(phone)), timeout=40)
        rpc("survey", auth_token="").survey_by_token(
            {"token": token_of(sms), "client_key": unique("ip")})
        survey_db.execute("SELECT count(*) AS n FROM survey_link WHERE ticket_id = %s",
                          (ticket_id,))
        assert survey_db.fetchone()["n"] == 1

    def test_v3_no_published_questionnaire_of_the_name_sends_a_plain_thank_you(
            self, notify, start, sim, rpc, rabbit_config):
        start("customer")
        start("survey", SURVEY_LINK_SECRET=SECRET)
        container = notify(PUBLIC_BASE_URL=BASE, RESOLUTION_SURVEY=unique("none"))
        phone = random_mobile()
        person = customer(rpc, unique("plain"), phone=phone, name="孙先生")
        with entrypoint_waiter(container, "notify_resolved"):
            publish(rabbit_config, "ticket_resolved",
                    resolved(str(uuid.uuid4()), person["id"], "TS-20261207-0103"))
        [sms] = wait_for(lambda: sim.sms(e164(phone)))
        assert sms["params"]["survey_link"] == ""
        [message] = rpc("notify", roles=("agent",)).messages(
            {"customer_id": person["id"]})["messages"]
        assert "TS-20261207-0103" in message["content"] and "评价" not in message["content"]


class TestCampaignCheckIn:
    def test_v5_an_accepted_invitation_sends_the_check_in_code_once(
            self, notify, start, sim, rpc, rabbit_config):
        start("customer")
        container = notify()
        phone = random_mobile()
        person = customer(rpc, unique("camp"), phone=phone, name="吴女士")
        starts = datetime.datetime(2026, 12, 12, 1, 30, tzinfo=datetime.UTC)  # 09:30 China
        data = {"event_id": str(uuid.uuid4()), "campaign_id": str(uuid.uuid4()),
                "invitation_id": str(uuid.uuid4()), "customer_id": person["id"], "level": 0,
                "theme": "冬季免费检测", "starts_at": starts.isoformat(),
                "place": "浦东4S店", "checkin_code": "483920"}
        with entrypoint_waiter(container, "notify_invitation_accepted"):
            event = publish(rabbit_config, "campaign_invitation_accepted", data,
                            source="survey")
        [sms] = wait_for(lambda: sim.sms(e164(phone)))
        with entrypoint_waiter(container, "notify_invitation_accepted"):  # redelivered
            publish(rabbit_config, "campaign_invitation_accepted", data,
                    event_id=event["event_id"], source="survey")
        with entrypoint_waiter(container, "notify_invitation_accepted"):  # told again
            publish(rabbit_config, "campaign_invitation_accepted", data, source="survey")
        time.sleep(1.5)
        assert len(sim.sms(e164(phone))) == 1
        assert sms["params"] == {"name": "吴女士", "theme": "冬季免费检测",
                                 "starts_at": "2026-12-12 09:30", "place": "浦东4S店",
                                 "checkin_code": "483920"}

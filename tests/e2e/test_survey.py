"""V1–V4 over HTTP against the running system (issue 12, "Done when"): a rule "follow up
every complaint 2 days after resolution", a complaint resolved through the ticket API,
the task in the agent's list, an unreached attempt and then a reached one with the
questionnaire's answers; an IVR rating posted as the telephony integration (keys outside
the mapping refused and stored nowhere); CSAT and NPS read back for the agent; a
customer's personal link (issued as notify, the one caller given a token) opened on the
public page, answered once, refused when used (410) or changed (404); too many wrong
links from one address 429."""
import datetime
import os
import time
import uuid

import pytest
import requests
from nameko.standalone.rpc import ClusterRpcProxy

from services.common.identity import CONTEXT_KEY
from tests.e2e.ticket.test_field_and_calls import make_account
from tests.helpers import random_mobile, system_token
from tests.system import BASE

QUESTIONS = [
    {"key": "overall", "kind": "scale", "text": "您对本次服务满意吗？", "required": True,
     "csat": True},
    {"key": "recommend", "kind": "nps", "text": "您有多大可能向朋友推荐我们？"},
    {"key": "fixed", "kind": "single", "text": "问题解决了吗？", "options": ["已解决", "未解决"]},
    {"key": "comment", "kind": "text", "text": "其他意见或建议", "max_length": 200},
]


def wait(check, seconds=30.0):
    deadline = time.monotonic() + seconds
    while True:
        value = check()
        if value:
            return value
        assert time.monotonic() < deadline, f"not within {seconds} s"
        time.sleep(0.2)


def created(reply, status=201):
    assert reply.status_code == status, (reply.request.method, reply.request.url, reply.text)
    return reply.json()


@pytest.fixture(scope="module")
def team(admin):
    desk = f"hf{uuid.uuid4().hex[:8]}"
    created(admin.post("/api/v1/groups", {"name": desk, "display_name": "回访组"}))
    people = {role: make_account(admin, role, [desk] if role != "telephony" else [])
              for role in ("agent", "supervisor", "manager", "telephony")}
    people["desk"] = desk
    draft = created(people["manager"].post("/api/v1/questionnaires", {
        "name": f"hf_{uuid.uuid4().hex[:8]}", "title": "售后回访问卷",
        "description": "感谢您抽出时间", "questions": QUESTIONS}), 200)
    people["questionnaire"] = created(people["manager"].post(
        f"/api/v1/questionnaires/{draft['id']}/publish", {}), 200)
    return people


def resolved_complaint(agent, category_id: str, desk: str) -> dict:
    person = created(agent.post("/api/v1/customers", {"name": "孙先生",
                                                       "phones": [random_mobile()]}))
    ticket = created(agent.post("/api/v1/tickets", {
        "customer_id": person["id"], "kind": "complaint", "category_id": category_id,
        "content": "送货迟到三天", "group_name": desk}))
    t = f"/api/v1/tickets/{ticket['id']}"
    routed = agent.post(t + "/transfer", {"staff_id": agent.staff["id"]})
    assert routed.status_code in (200, 409), routed.text
    agent.post(t + "/accept", {})
    created(agent.post(t + "/transitions", {"to": "resolved"}), 200)
    return ticket


def test_v1_v2_a_complaint_rule_makes_a_task_called_unreached_then_reached(admin, team):
    agent, manager, desk = team["agent"], team["manager"], team["desk"]
    category = created(admin.post("/api/v1/ticket-categories", {
        "kind": "complaint", "name": f"回访投诉{uuid.uuid4().hex[:6]}"}))
    rule = created(manager.post("/api/v1/followup-rules", {
        "name": f"投诉回访{uuid.uuid4().hex[:6]}", "kinds": ["complaint"],
        "category_ids": [category["id"]], "delay_amount": 2, "delay_unit": "days",
        "group_name": desk}))
    assert created(manager.get(f"/api/v1/followup-rules/{rule['id']}"), 200) == rule
    ticket = resolved_complaint(agent, category["id"], desk)

    def mine(view):
        reply = created(agent.get("/api/v1/followups/mine", params={"view": view}), 200)
        return [t for t in reply["tasks"] if t["ticket_id"] == ticket["id"]]
    [task] = wait(lambda: mine("open"))
    assert task["assignee_id"] == agent.staff["id"] and task["rule_id"] == rule["id"]
    assert task["ticket_serial"] == ticket["serial"] and task["status"] == "open"
    resolved = datetime.datetime.fromisoformat(task["resolved_at"])
    assert datetime.datetime.fromisoformat(task["due_at"]) >= resolved + datetime.timedelta(
        days=1)  # two business days later (a weekend or holiday makes it later still)
    # the ticket's and the supervisor's view of the same task
    of_ticket = created(agent.get(f"/api/v1/tickets/{ticket['id']}/followups"), 200)
    assert [t["id"] for t in of_ticket["tasks"]] == [task["id"]]
    groups = created(team["supervisor"].get("/api/v1/followups",
                                            params={"group": desk, "view": "open"}), 200)
    assert task["id"] in [t["id"] for t in groups["tasks"]]

    # the first call does not reach the customer
    path = f"/api/v1/followups/{task['id']}/attempts"
    first = created(agent.post(path, {"reached": False, "reason": "no_answer"}))
    assert first["task"]["status"] == "open" and first["task"]["attempts"] == 1
    assert first["attempt"]["reached"] is False and first["attempt"]["reason"] == "no_answer"
    # the second does: the questionnaire answered on the phone, then the call recorded
    answer = created(agent.post("/api/v1/survey-answers", {
        "questionnaire_id": team["questionnaire"]["id"], "task_id": task["id"],
        "answers": {"overall": 5, "recommend": 9, "fixed": "已解决", "comment": "处理及时"}},
        headers={"Idempotency-Key": f"hf-{task['id']}"}))
    assert answer["source"] == "agent" and answer["csat_score"] == 5
    assert answer["agent_id"] == agent.staff["id"] and answer["ticket_id"] == ticket["id"]
    second = created(agent.post(path, {"reached": True, "satisfaction": "very_satisfied",
                                       "notes": "客户表示满意"}))
    assert second["task"]["status"] == "done" and second["task"]["outcome"] == "reached"
    assert [t["id"] for t in mine("done")] == [task["id"]] and mine("open") == []
    shown = created(agent.get(f"/api/v1/followups/{task['id']}"), 200)
    assert [a["reached"] for a in shown["attempt_log"]] == [False, True]
    # a done task takes no more calls
    assert agent.post(path, {"reached": False, "reason": "busy"}).status_code == 409


def test_v3_ivr_ratings_come_from_the_telephony_and_keys_outside_the_mapping_are_refused(
        admin, team):
    telephony, agent, desk = team["telephony"], team["agent"], team["desk"]
    mapping = created(telephony.get("/api/v1/ivr-mapping"), 200)["keys"]
    assert mapping["1"] == "very_satisfied" and "9" not in mapping
    call_id = f"hf-call-{uuid.uuid4().hex[:10]}"
    about = {"agent_id": agent.staff["id"], "group_name": desk}
    # an agent cannot post a rating for a call (it is the telephony's word)
    assert agent.post("/api/v1/ivr-ratings", {"call_id": call_id, "key": "1"}).status_code \
        == 403
    refused = telephony.post("/api/v1/ivr-ratings", {"call_id": call_id, "key": "9", **about})
    assert refused.status_code == 400 and "key" in refused.json()["fields"], refused.text
    # stored nowhere: the same call can still be rated, once
    rated = created(telephony.post("/api/v1/ivr-ratings",
                                   {"call_id": call_id, "key": "1", **about}), 200)
    assert rated["rated"] is True and rated["level"] == "very_satisfied"
    assert rated["duplicate"] is False
    again = created(telephony.post("/api/v1/ivr-ratings",
                                   {"call_id": call_id, "key": "4", **about}), 200)
    assert again["duplicate"] is True and again["level"] == "very_satisfied"


def test_v4_csat_and_nps_for_an_agent_are_read_back(admin, team):
    """A fresh agent: two keypad ratings (非常满意, 不满意), a call offered a rating and not
    rated, and one questionnaire answered on the phone (5, NPS 10)."""
    desk, telephony = team["desk"], team["telephony"]
    agent = make_account(admin, "agent", [desk])
    about = {"agent_id": agent.staff["id"], "group_name": desk}
    for key in ("1", "4", None):
        body = {"call_id": f"hf-call-{uuid.uuid4().hex[:10]}", **about}
        if key:
            body["key"] = key
        created(telephony.post("/api/v1/ivr-ratings", body), 200)
    created(agent.post("/api/v1/survey-answers", {
        "questionnaire_id": team["questionnaire"]["id"], "group_name": desk,
        "answers": {"overall": 5, "recommend": 10}}))
    figures = created(team["supervisor"].get("/api/v1/satisfaction", params={
        "by": ["agent", "source"], "period": "all", "agent_id": agent.staff["id"]}), 200)
    by_source = {f["source"]: f for f in figures["figures"]}
    assert set(by_source) == {"ivr", "agent"}
    ivr, phone = by_source["ivr"], by_source["agent"]
    assert (ivr["csat_answers"], ivr["satisfied"], ivr["csat"]) == (2, 1, 50.0)
    assert (phone["csat_answers"], phone["csat"]) == (1, 100.0)
    assert (phone["nps_answers"], phone["promoters"], phone["nps"]) == (1, 1, 100.0)
    [share] = figures["ivr"]
    assert (share["offered"], share["rated"]) == (3, 2)
    # the agent's own figures are for supervisors up and auditors, not the agent
    assert agent.get("/api/v1/satisfaction").status_code == 403


# -- the customer's personal link: the public page ---------------------------------------------
def issue_link(questionnaire_id: str, customer_id: str, **more) -> dict:
    """A link as notify issues it (the system caller is the only one given the token)."""
    config = {"AMQP_URI": os.environ["KEFU_AMQP_URI"]}
    with ClusterRpcProxy(config, context_data={CONTEXT_KEY: system_token("notify")},
                         timeout=10) as cluster:
        return cluster.survey.issue_survey_link({"questionnaire_id": questionnaire_id,
                                                 "customer_id": customer_id, **more})


def changed(token: str) -> str:
    """The token with one character in the middle of its signature changed (the last
    character's spare bits are refused too, but only by the canonical-spelling check)."""
    spot = token[-5]
    return token[:-5] + ("A" if spot != "A" else "B") + token[-4:]


@pytest.fixture
def customer(team):
    phone = random_mobile()
    person = created(team["agent"].post("/api/v1/customers", {
        "name": "周建国", "phones": [phone],
        "addresses": [{"text": "杭州市西湖区文三路1号"}]}))
    return {**person, "phone": phone}


def test_v3_a_survey_link_works_once_on_the_public_page(team, customer):
    link = issue_link(team["questionnaire"]["id"], customer["id"], greeting_name="周先生",
                      group_name=team["desk"], agent_id=team["agent"].staff["id"])
    browser = requests.Session()  # no sign-in, no cookie
    page = browser.get(f"{BASE}/s/{link['token']}", timeout=10)
    assert page.status_code == 200, page.text
    assert page.headers["Content-Type"].startswith("text/html")
    assert page.headers["Referrer-Policy"] == "same-origin"
    assert page.headers["Cache-Control"] == "no-store"
    assert '<meta name="referrer" content="same-origin">' in page.text
    assert "width=device-width" in page.text
    assert "周先生，您好！" in page.text and "您对本次服务满意吗？" in page.text
    # nothing of the customer beyond the greeting
    for private in (customer["name"], customer["phone"][-4:], "文三路", customer["number"]):
        assert private not in page.text
    # a required question left out: the form again with the reason, the link not used
    missed = browser.post(f"{BASE}/s/{link['token']}", data={"q-recommend": "8"}, timeout=10)
    assert missed.status_code == 200 and "此题为必答题" in missed.text
    done = browser.post(f"{BASE}/s/{link['token']}", data={
        "q-overall": "4", "q-recommend": "8", "q-fixed": "已解决", "q-comment": "很满意"},
        timeout=10)
    assert done.status_code == 200 and "感谢您的评价" in done.text, done.text
    # used: a clear page (410), on opening it again and on posting again
    for reply in (browser.get(f"{BASE}/s/{link['token']}", timeout=10),
                  browser.post(f"{BASE}/s/{link['token']}", data={"q-overall": "1"},
                               timeout=10)):
        assert reply.status_code == 410 and "已经提交过" in reply.text
        assert reply.headers["Referrer-Policy"] == "same-origin"
    # the answer counts for the link's agent, as a link answer
    figures = created(team["supervisor"].get("/api/v1/satisfaction", params={
        "by": "source", "period": "all", "agent_id": team["agent"].staff["id"],
        "source": "link"}), 200)
    [link_figure] = figures["figures"]
    assert (link_figure["csat_answers"], link_figure["csat"]) == (1, 100.0)


def test_v3_a_changed_token_is_a_clear_404(team, customer):
    link = issue_link(team["questionnaire"]["id"], customer["id"])
    reply = requests.get(f"{BASE}/s/{changed(link['token'])}", timeout=10)
    assert reply.status_code == 404 and "链接无效" in reply.text
    # the real link still works, through the JSON twin as well
    api = f"{BASE}/api/v1/public/surveys/{link['token']}"
    shown = requests.get(api, timeout=10)
    assert shown.status_code == 200 and shown.json()["title"] == "售后回访问卷"
    assert shown.headers["Cache-Control"] == "no-store"
    assert set(shown.json()) == {"title", "description", "greeting_name", "questions",
                                 "expires_at"}
    answered = requests.post(api + "/answers", json={"answers": {"overall": 2}}, timeout=10)
    assert answered.status_code == 201 and answered.json() == {"answered": True}
    used = requests.post(api + "/answers", json={"answers": {"overall": 2}}, timeout=10)
    assert used.status_code == 410 and used.json()["error"] == "link_used"


def test_v3_guessing_links_is_slowed_down_with_429(team, customer):
    """Last: the address stays blocked for the window (600 s in the test system)."""
    link = issue_link(team["questionnaire"]["id"], customer["id"])
    statuses = []
    for n in range(12):
        statuses.append(requests.get(f"{BASE}/s/{changed(link['token'])}{n}",
                                     timeout=10).status_code)
        if statuses[-1] == 429:
            break
    assert statuses[-1] == 429 and set(statuses[:-1]) <= {404}, statuses
    blocked = requests.get(f"{BASE}/s/{link['token']}", timeout=10)
    assert blocked.status_code == 429 and "尝试次数过多" in blocked.text

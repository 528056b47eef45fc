"""V3 through notify, without the stack: what the survey service is asked for the
message after a resolution, and the filler's round — a link fills the message, a refusal
sends the plain thank-you, an unanswering survey service makes the rest wait with
back-off and never sends them without their link."""
import contextlib
import datetime
import uuid

import pytest

from services.common.errors import DeadlineExceeded, Invalid, NotFound
from services.notify.handlers import events, survey_links

TEMPLATE = {"id": "t1", "subject": "", "variables": ["name", "serial", "survey_link"],
            "body": "{{ name }}您好，服务单{{ serial }}已处理完毕。"
                    "{% if survey_link %}评价：{{ survey_link }}{% endif %}"}


def test_v3_the_link_asked_counts_for_the_tickets_handler_group_kind_and_category():
    ticket = {"ticket_id": "t-1", "customer_id": "c-1", "kind": "complaint",
              "category_id": "cat-9", "assignee_id": "a-7", "group_name": "投诉组",
              "serial": "TS-1"}
    assert events.resolution_link(ticket, "service_satisfaction") == {
        "questionnaire_name": "service_satisfaction", "customer_id": "c-1",
        "ticket_id": "t-1", "agent_id": "a-7", "group_name": "投诉组",
        "ticket_kind": "complaint", "category_id": "cat-9"}
    assert events.resolution_link(ticket, "") is None  # no survey configured
    assert events.resolved_values(ticket) == {"serial": "TS-1", "survey_link": ""}


def test_v5_the_check_in_sms_shows_the_start_in_china_time():
    values = events.invitation_values({
        "theme": "冬季免费检测", "place": "浦东4S店", "checkin_code": "483920",
        "starts_at": datetime.datetime(2026, 12, 12, 1, 30, tzinfo=datetime.UTC)})
    assert values == {"theme": "冬季免费检测", "starts_at": "2026-12-12 09:30",
                      "place": "浦东4S店", "checkin_code": "483920"}


def test_v3_the_public_url_is_the_gateways_survey_page():
    assert survey_links.survey_url("https://kefu.example.cn/", "abc.DEF-1_2") == \
        "https://kefu.example.cn/s/abc.DEF-1_2"


class FakeDb:
    @contextlib.contextmanager
    def transaction(self):
        yield type("Tx", (), {"cur": None})()


class Surveys:
    """issue_survey_link answering from a script: a dict, or an exception to raise."""

    def __init__(self, answers):
        self.answers, self.asked = list(answers), []

    def issue_survey_link(self, data, idempotency_key=None):
        self.asked.append((data, idempotency_key))
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer


@pytest.fixture
def waiting(monkeypatch):
    rows = [{"id": str(uuid.uuid4()), "template_id": "t1", "link_tries": n,
             "params": {"name": "赵先生", "serial": f"TS-{n}", "survey_link": ""},
             "link_request": {"questionnaire_name": "service_satisfaction"}}
            for n in range(4)]
    done: dict = {"filled": [], "later": []}
    store = survey_links.store
    monkeypatch.setattr(store, "waiting_for_links", lambda cur, limit: rows)
    monkeypatch.setattr(store, "fill_link", lambda cur, mid, params, subject, content:
                        done["filled"].append((mid, params, content)))
    monkeypatch.setattr(store, "link_later", lambda cur, later: done["later"].extend(later))
    monkeypatch.setattr(survey_links.templates_store, "get", lambda cur, tid: TEMPLATE)
    monkeypatch.setattr(survey_links, "call",
                        lambda method, *args, timeout, **kwargs: method(*args, **kwargs))
    return rows, done


def test_v3_a_link_fills_a_refusal_thanks_plainly_and_an_outage_makes_the_rest_wait(waiting):
    rows, done = waiting
    surveys = Surveys([{"token": "tok0"}, NotFound("no published questionnaire"),
                       DeadlineExceeded("no answer within 5s"), {"token": "never asked"}])
    assert survey_links.fill(FakeDb(), surveys, "https://kefu.example.cn") == 2
    assert [key for _, key in surveys.asked] == [rows[0]["id"], rows[1]["id"], rows[2]["id"]]
    (first, params, content), (second, plain, thanks) = done["filled"]
    assert first == rows[0]["id"] and params["survey_link"] == "https://kefu.example.cn/s/tok0"
    assert content.endswith("评价：https://kefu.example.cn/s/tok0")
    assert second == rows[1]["id"] and plain["survey_link"] == "" and "评价" not in thanks
    # the message the outage hit and the one after it wait, each by its own back-off
    assert [mid for mid, _ in done["later"]] == [rows[2]["id"], rows[3]["id"]]
    first_delay, later_delay = (delay for _, delay in done["later"])
    assert 0.5 * 5 * 2 ** 2 <= first_delay < 1.5 * 5 * 2 ** 2  # its third try
    assert 0.5 * 5 * 2 ** 3 <= later_delay < 1.5 * 5 * 2 ** 3


def test_v3_the_public_page_greets_a_classified_customer_by_no_name():
    assert events._greeting("欧阳先生", 0) == "欧阳先生"
    assert events._greeting("欧阳先生", 1) == "" and events._greeting("欧阳先生", 3) == ""
    assert events._greeting("名" * 40, 0) == "名" * 30  # the survey's bound


def test_v3_a_refused_request_is_asked_again_a_few_times_before_it_goes_plainly(waiting):
    """Review: an Invalid (a survey service of another version mid-deploy) sent the
    message without its link for good; it now waits with back-off, INVALID_TRIES times."""
    rows, done = waiting
    for row in rows:
        row["link_tries"] = 0
    rows[3]["link_tries"] = survey_links.INVALID_TRIES - 1  # its last try
    surveys = Surveys([Invalid("unknown field", {"questionnaire_name": ["unknown"]})] * 3
                      + [Invalid("unknown field", {"questionnaire_name": ["unknown"]})])
    assert survey_links.fill(FakeDb(), surveys, "https://kefu.example.cn") == 1
    assert [mid for mid, _ in done["later"]] == [r["id"] for r in rows[:3]]
    [(last, params, _)] = done["filled"]
    assert last == rows[3]["id"] and params["survey_link"] == ""

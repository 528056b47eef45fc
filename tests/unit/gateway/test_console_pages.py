"""The console's pieces without a browser: the category form drawn from its definition,
the values a browser posts back, every template's escaping of hostile text, CSRF tokens,
the live hub and the pinned front-end files."""
import hashlib
import re
from pathlib import Path
from types import SimpleNamespace

import pytest
from werkzeug.datastructures import MultiDict

from services.common.identity import Principal
from services.gateway.pages import forms, live, web

HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)>'
STATIC = Path(web.HERE) / "static"
AGENT = Principal("00000000-0000-0000-0000-000000000001", "wang", frozenset({"agent"}),
                  frozenset({"g1"}), 0)
DEFINITIONS = [
    {"name": "model", "label": "型号", "type": "text", "required": True},
    {"name": "fault", "label": "故障", "type": "choice", "choices": ["不制冷", "漏水"]},
    {"name": "parts", "label": "配件", "type": "multi_choice", "choices": ["压缩机", "滤网"]},
    {"name": "qty", "label": "数量", "type": "number", "min": 1, "max": 9},
    {"name": "visit", "label": "上门", "type": "datetime"},
    {"name": "urgent", "label": "加急", "type": "boolean"},
]


def render(template: str, **context) -> str:
    base = {"me": {"display_name": HOSTILE}, "principal": AGENT, "csrf": "t0ken",
            "may": lambda roles: True, "path": "/"}
    return web.ENV.get_template(template).render(**{**base, **context})


def assert_escaped(page: str) -> None:
    assert "<script>alert" not in page and "<img src=x" not in page
    assert "&lt;script&gt;alert(" in page


# -- the form of a category ------------------------------------------------------------------
def test_each_definition_becomes_an_input_of_its_type_with_its_rules():
    page = render("form_fields.html", fields=forms.inputs(DEFINITIONS))
    assert re.search(r'<input id="form-model" name="form.model" type="text"[^>]* required', page)
    assert '<select id="form-fault" name="form.fault"' in page and "<option>漏水</option>" in page
    assert page.count('type="checkbox" name="form.parts"') == 2
    assert re.search(r'name="form.qty" type="number"[^>]*min="1" max="9"', page)
    assert 'name="form.visit" type="datetime-local"' in page
    assert 'type="checkbox" id="form-urgent" name="form.urgent"' in page


def test_a_refused_form_keeps_its_values_and_shows_each_reason_beside_its_field():
    drawn = forms.inputs(DEFINITIONS, {"model": "KFR-35", "fault": "漏水", "parts": ["滤网"]},
                         {"form.qty": ["must be at least 1"], "form.model": ["required"]})
    page = render("form_fields.html", fields=drawn)
    assert 'value="KFR-35"' in page and "<option selected>漏水</option>" in page
    assert re.search(r'value="滤网" id="form-parts-2" checked', page)
    assert 'data-field="form.qty">must be at least 1<' in page
    assert 'data-field="form.model">required<' in page


def test_posted_values_are_what_the_ticket_service_takes():
    form = MultiDict([("form.model", " KFR-35 "), ("form.fault", ""), ("form.parts", "压缩机"),
                      ("form.parts", "滤网"), ("form.qty", "3"), ("form.visit", "2026-12-07T09:30"),
                      ("form.urgent", "on"), ("form.unknown", "x")])
    assert forms.posted(DEFINITIONS, form) == {
        "model": "KFR-35", "parts": ["压缩机", "滤网"], "qty": 3,
        "visit": "2026-12-07T09:30:00+08:00", "urgent": True}


def test_a_number_that_is_not_one_goes_to_the_service_as_typed():
    assert forms.posted(DEFINITIONS, MultiDict([("form.qty", "三")])) == {"qty": "三"}


# -- escaping ----------------------------------------------------------------------------------
CUSTOMER = {"id": "c1", "name": HOSTILE, "number": HOSTILE, "phones": [{"masked": HOSTILE}],
            "level": 0, "level_name": HOSTILE, "grade": HOSTILE, "region": HOSTILE,
            "tags": [HOSTILE], "lifecycle": "normal", "assets": [
                {"product": HOSTILE, "model": HOSTILE, "serial": HOSTILE, "in_warranty": True}],
            "archive": {"person": {"note": HOSTILE}, "notes": HOSTILE}}
TICKET = {"id": "t1", "serial": HOSTILE, "kind": "complaint", "status": "new",
          "content": HOSTILE, "subject": HOSTILE, "channel": "phone", "urgency": "high",
          "level": 0, "accepted_at": "2026-12-07T01:00:00+00:00", "form": {"x": HOSTILE},
          "group_name": HOSTILE, "customer_id": "c1"}


@pytest.mark.parametrize("template,context", [
    ("pop.html", {"call": {"call_id": HOSTILE, "event": "offered", "caller": HOSTILE,
                           "ivr_path": [HOSTILE], "queue": HOSTILE},
                  "view": {"customer": CUSTOMER, "open_tickets": [TICKET], "tickets": [TICKET],
                           "contacts": [{"channel": "phone", "direction": "in",
                                         "ivr_path": [HOSTILE]}], "unavailable": []},
                  "matches": [CUSTOMER], "error": ""}),
    ("pop.html", {"call": {"call_id": "c", "event": "offered", "caller": HOSTILE,
                           "ivr_path": []}, "view": None, "matches": [CUSTOMER, CUSTOMER],
                  "error": HOSTILE}),
    ("pop.html", {"call": {"call_id": "c", "event": "offered", "caller": HOSTILE,
                           "ivr_path": []}, "view": None, "matches": [], "error": ""}),
    ("ticket.html", {"detail": {"ticket": TICKET, "trail": [
        {"action": HOSTILE, "note": HOSTILE, "to_handler": HOSTILE}], "handler": {
            "display_name": HOSTILE}, "repeats": [{"id": "r", "serial": HOSTILE}],
        "category": {"name": HOSTILE, "form": [{"name": "x", "label": HOSTILE}]}},
        "ticket": TICKET, "actions": ["accept", "transfer", "waiting", "remind"],
        "message": HOSTILE}),
    ("tickets.html", {"page": {"tickets": [TICKET], "next_cursor": HOSTILE},
                      "query": {"view": "mine", "text": HOSTILE}, "counts": None,
                      "error": HOSTILE, "views": ()}),
    ("customers.html", {"q": HOSTILE, "found": {"customers": [CUSTOMER]}, "error": HOSTILE}),
    ("customer.html", {"customer": CUSTOMER, "overview": {"open_tickets": [TICKET],
                                                          "recent_tickets": []},
                       "missing": [], "reason": HOSTILE}),
    ("kb_article.html", {"article": {"title": HOSTILE, "body": HOSTILE, "version": 1}}),
    ("suggestions.html", {"articles": [{"id": "a", "title": HOSTILE}]}),
    ("inbox.html", {"inbox": [{"id": "i", "title": HOSTILE, "body": HOSTILE,
                               "ref_type": "ticket", "ref_id": HOSTILE}], "missing": [],
                    "unread": 1}),
    ("jobs.html", {"jobs": [{"id": "d", "serial": HOSTILE, "kind": "after_sales",
                             "ticket_status": "assigned", "address": HOSTILE, "note": HOSTILE}],
                   "errors": {"parts": [HOSTILE]}, "failed_id": "d"}),
    ("ticket_new.html", {"card": CUSTOMER, "categories": [{"id": "k", "kind": "consultation",
                                                           "name": HOSTILE}],
                         "chosen": None, "fields": forms.inputs([{"name": "m", "label": HOSTILE,
                                                                  "type": "choice",
                                                                  "choices": [HOSTILE]}]),
                         "values": {"content": HOSTILE, "subject": HOSTILE},
                         "call_id": HOSTILE, "errors": {"content": [HOSTILE]}}),
    ("kb.html", {"query": {"q": HOSTILE}, "found": {"articles": [
        {"id": "a", "title": HOSTILE, "snippet": HOSTILE, "tags": [HOSTILE],
         "status": "draft"}], "next": HOSTILE}, "ranking": {"articles": [
             {"article_id": "a", "title": HOSTILE, "asked": 2}], "categories": [
             {"name": HOSTILE, "tickets": 1}]}, "error": HOSTILE, "editor": True,
                 "shown_status": ""}),
    ("kb_article.html", {"article": {"id": "a", "title": HOSTILE, "body": HOSTILE,
                                     "tags": [HOSTILE], "version": 2},
                         "versions": [{"version": 1, "title": HOSTILE}],
                         "old": {"version": 1, "body": HOSTILE}, "editor": True}),
    ("kb_edit.html", {"article": {"id": "a", "version": 1},
                      "values": {"title": HOSTILE, "body": HOSTILE, "tags": [HOSTILE]},
                      "errors": {"title": [HOSTILE]}}),
    ("customer_history.html", {"customer": CUSTOMER, "entries": [
        {"actor_name": HOSTILE, "action": HOSTILE, "field": HOSTILE, "old": HOSTILE,
         "new": HOSTILE}]}),
    ("customer_review.html", {"customers": [CUSTOMER], "months": "3"}),
    ("access_requests.html", {"requests": [{"id": "r", "customer_id": "c",
                                            "requester_name": HOSTILE, "reason": HOSTILE,
                                            "hours": 2, "status": "pending"}],
                              "status": "pending", "message": HOSTILE, "may_decide": True}),
    ("import_result.html", {"result": {"dry_run": True, "total_rows": 1, "columns": [
        {"header": HOSTILE, "field": None, "note": HOSTILE}], "errors": [
        {"row": 2, "field": HOSTILE, "reason": HOSTILE}]}, "errors": {HOSTILE: [HOSTILE]},
        "message": HOSTILE, "fields": {"name": "客户名称"}}),
    ("customer_export.html", {"errors": {HOSTILE: [HOSTILE]}}),
    ("repeat_warning.html", {"earlier": [TICKET], "days": 7, "kind": HOSTILE}),
    ("login.html", {"principal": None, "next": HOSTILE, "error": HOSTILE,
                    "username": HOSTILE}),
    ("workbench.html", {"counts": None, "mine": [TICKET], "inbox": [], "unread": 0,
                        "on_duty": True, "missing": [HOSTILE]}),
])
def test_every_template_shows_hostile_text_as_text(template, context):
    assert_escaped(render(template, **context))


def test_the_error_page_escapes_the_reason_and_the_field_names():
    page = web.ENV.get_template("error.html").render(
        status=400, message=HOSTILE, fields={HOSTILE: [HOSTILE]}, fragment=False)
    assert_escaped(page)


# -- CSRF ----------------------------------------------------------------------------------------
def _request(method="POST", cookie="abc", header=None, form=None, origin=None, host="h:1"):
    headers = {}
    if header is not None:
        headers[web.CSRF_HEADER] = header
    if origin is not None:
        headers["Origin"] = origin
    return SimpleNamespace(method=method, cookies={web.SESSION_COOKIE: cookie} if cookie else {},
                           headers=headers, form=form or {}, host=host)


def test_a_form_needs_its_own_sessions_token():
    token = web.csrf_token("abc")
    assert web.csrf_ok(_request(form={"csrf": token}))
    assert web.csrf_ok(_request(header=token))
    assert not web.csrf_ok(_request())
    assert not web.csrf_ok(_request(form={"csrf": web.csrf_token("another session")}))


def test_another_origin_is_refused_even_with_the_token():
    token = web.csrf_token("abc")
    assert not web.csrf_ok(_request(header=token, origin="http://evil.example"))
    assert web.csrf_ok(_request(header=token, origin="http://h:1"))


# -- the live hub --------------------------------------------------------------------------------
def _hub():
    hub = live.Hub()
    hub.setup()
    return hub


def test_a_call_is_pushed_to_its_agent_only_and_its_pop_opens_only_for_them():
    hub = _hub()
    mine, other = hub.subscribe({"wang"}), hub.subscribe({"li"})
    pushed = hub.ring(live.call_events({"events": [
        {"call_id": "c1", "event": "offered", "agent_id": "wang", "caller": "13800138000",
         "ivr_path": ["1 售后"]},
        {"call_id": "c2", "event": "queued", "agent_id": "wang"},
        {"call_id": "c3", "event": "offered"}]}))
    assert pushed == 1
    assert mine.get_nowait() == ("call", {"call_id": "c1", "event": "offered"})
    assert other.empty() and mine.empty()
    assert hub.call_for("c1", {"wang"})["ivr_path"] == ["1 售后"]
    assert hub.call_for("c1", {"li"}) is None and hub.call_for("c2", {"wang"}) is None


def test_a_console_that_stops_reading_loses_old_pushes_not_memory():
    hub = _hub()
    queue = hub.subscribe({"wang"})
    for n in range(live.QUEUE_LENGTH + 5):
        hub.publish("wang", "call", {"n": n})
    assert queue.qsize() == live.QUEUE_LENGTH
    assert queue.get_nowait()[1]["n"] == 5


def test_the_stream_writes_events_and_unsubscribes_when_closed():
    hub = _hub()
    body = live.stream(hub, {"wang"}, keepalive=0.01)
    assert next(body).startswith(b"retry:")
    hub.publish("wang", "call", {"call_id": "c9"})
    assert next(body) == b'event: call\ndata: {"call_id": "c9"}\n\n'
    assert next(body) == b": keepalive\n\n"
    body.close()
    assert hub.publish("wang", "call", {}) == 0


# -- pinned front-end files ------------------------------------------------------------------------
def test_vendored_files_match_their_recorded_checksums():
    recorded = (STATIC / "vendor" / "VERSIONS").read_text(encoding="utf-8")
    pinned = re.findall(r"^(\S+\.js)\s.*?\n#\s+file sha256 ([0-9a-f]{64})", recorded, re.M)
    assert [name for name, _ in pinned] == ["htmx-2.0.4.min.js", "echarts-5.5.1.min.js"]
    for name, digest in pinned:
        assert hashlib.sha256((STATIC / "vendor" / name).read_bytes()).hexdigest() == digest


def test_money_and_times_are_written_as_mainland_users_write_them():
    assert web._money("1280") == "¥1,280.00"
    assert web._when("2026-12-07T01:05:00+00:00") == "2026-12-07 09:05"


@pytest.mark.parametrize("target,expected", [
    ("/tickets?view=all", "/tickets?view=all"), (None, "/"), ("", "/"),
    ("https://evil.example/", "/"), ("//evil.example/", "/"), ("/\\evil.example", "/"),
    ("/ok\r\nSet-Cookie: x=1", "/"), ("/tab\there", "/"),
])
def test_after_sign_in_only_a_path_of_ours_and_no_header_breaking_character(target, expected):
    from services.gateway.pages.signin import _next
    assert _next(target) == expected

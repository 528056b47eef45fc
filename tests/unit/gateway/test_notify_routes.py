"""The gateway's routes of notifications (issue 11): every API route with the roles of the
notify contract (so the authorization matrix's rows hold), the provider callbacks public
and handed the raw body and the signature header, every route in the OpenAPI document,
and the console's notification pages with their roles."""
import importlib
import json

import pytest
from nameko.extensions import ENTRYPOINT_EXTENSIONS_ATTR
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.test import EnvironBuilder

from services.common.errors import Invalid, NotFound
from services.gateway import http, openapi
from services.gateway.pages.web import Page
from services.notify import contract as notify
from services.vocabulary import (
    ADMINS,
    AUDITOR,
    FRONT_LINE,
    MANAGERS_UP,
    STAFF,
    SUPERVISORS_UP,
)

service = importlib.import_module("services.gateway.service")
Gateway = service.GatewayService

C = "/api/v1/customers/<customer_id>"
TPL = "/api/v1/notification-templates/<template_id>"
# (method, url) -> (the route's name, the notify operation, the status of success)
API = {
    ("GET", "/api/v1/notification-templates"): ("notification_templates", "templates", 200),
    ("POST", "/api/v1/notification-templates"): ("save_notification_template",
                                                 "save_template", 201),
    ("GET", TPL): ("notification_template", "get_template", 200),
    ("POST", TPL + "/retire"): ("retire_notification_template", "retire_template", 200),
    ("POST", TPL + "/preview"): ("preview_notification_template", "preview_template", 200),
    ("POST", "/api/v1/notifications"): ("send_notification", "send", 201),
    ("GET", "/api/v1/notifications/<message_id>"): ("notification", "get_message", 200),
    ("GET", "/api/v1/notifications"): ("notifications", "messages", 200),
    ("POST", "/api/v1/notification-batches"): ("create_notification_batch", "create_batch",
                                               202),
    ("GET", "/api/v1/notification-batches/<batch_id>"): ("notification_batch", "get_batch",
                                                         200),
    ("GET", "/api/v1/notification-batches"): ("notification_batches", "batches", 200),
    ("GET", C + "/notification-preferences"): ("notification_preferences", "preferences",
                                               200),
    ("PUT", C + "/notification-preferences"): ("set_notification_preference",
                                               "set_preference", 200),
    ("GET", "/api/v1/notification-settings"): ("notification_settings", "settings", 200),
    ("PUT", "/api/v1/notification-settings"): ("update_notification_settings",
                                               "update_settings", 200),
    ("GET", "/api/v1/notification-targets"): ("notification_targets", "targets", 200),
    ("POST", "/api/v1/notification-targets"): ("save_notification_target", "save_target", 200),
    ("GET", "/api/v1/holiday-greetings"): ("holiday_greetings", "greetings", 200),
    ("POST", "/api/v1/holiday-greetings"): ("save_holiday_greeting", "save_greeting", 201),
}
CALLBACKS = {("POST", "/api/v1/providers/<provider>/receipts"): "provider_receipts",
             ("POST", "/api/v1/providers/<provider>/uplink"): "provider_uplink"}
# The roles as the notify contract names them, written out again: a change there is seen.
ROLES = {
    "templates": STAFF, "save_template": SUPERVISORS_UP | ADMINS, "get_template": STAFF,
    "retire_template": SUPERVISORS_UP | ADMINS, "preview_template": STAFF,
    "send": FRONT_LINE, "get_message": FRONT_LINE | {AUDITOR},
    "messages": FRONT_LINE | {AUDITOR}, "create_batch": SUPERVISORS_UP,
    "get_batch": SUPERVISORS_UP, "batches": SUPERVISORS_UP, "preferences": STAFF,
    "set_preference": FRONT_LINE, "settings": STAFF, "update_settings": MANAGERS_UP | ADMINS,
    "targets": ADMINS, "save_target": ADMINS, "greetings": SUPERVISORS_UP,
    "save_greeting": SUPERVISORS_UP,
}


def _api(name: str) -> http.Api:
    return next(e for e in getattr(getattr(Gateway, name), ENTRYPOINT_EXTENSIONS_ATTR)
                if isinstance(e, http.Api))


def _document_path(url: str) -> str:
    return openapi._PARAM.sub(r"{\1}", url)


@pytest.mark.parametrize("key", sorted(API), ids=lambda k: f"{k[0]} {k[1]}")
def test_every_notification_route_has_the_contracts_roles(key):
    name, operation, status = API[key]
    route = _api(name)
    assert (route.method, route.url) == key
    assert route.allow == frozenset(ROLES[operation]) == notify.CONTRACT.operation(
        operation).roles
    assert not route.public and route.status == status and route.upstreams == ("notify",)


@pytest.mark.parametrize("key", sorted(API) + sorted(CALLBACKS), ids=lambda k: f"{k[0]} {k[1]}")
def test_every_notification_route_is_in_the_openapi_document(key):
    document = openapi.build()
    operation = document["paths"][_document_path(key[1])][key[0].lower()]
    if key in CALLBACKS:
        assert "security" not in operation and "403" not in operation["responses"]
        assert "401" in operation["responses"] and "200" in operation["responses"]
    else:
        assert operation["security"] == [{"bearer": []}]
        assert str(API[key][2]) in operation["responses"]


def test_bodies_and_queries_are_documented_from_the_notify_schemas():
    paths = openapi.build()["paths"]
    body = paths["/api/v1/notification-batches"]["post"]["requestBody"]
    assert body["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/BatchIn"}
    answer = paths["/api/v1/notifications/{message_id}"]["get"]["responses"]["200"]
    assert answer["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Message"}
    assert paths["/api/v1/notifications"]["get"]["parameters"][0]["in"] == "query"


@pytest.mark.parametrize("name", sorted(CALLBACKS.values()))
def test_provider_callbacks_are_public_like_sign_in(name):
    route = _api(name)
    assert route.public and route.allow == frozenset() and route.upstreams == ("notify",)
    assert _api("login").public  # the same flag sign-in has: no bearer token is asked


# -- the callback handler: the raw body and the header, untouched ---------------------------------
class Notify:
    provider_callback = "notify.provider_callback"


class FakeGateway:
    notify = Notify()
    deadline = 5.0


def _request(body: bytes, signature: str | None = "t=1,v1=ab", **extra):
    headers = {"Content-Type": "application/json"}
    if signature is not None:
        headers["X-Provider-Signature"] = signature
    return EnvironBuilder(method="POST", path="/api/v1/providers/aliyun/receipts", data=body,
                          headers=headers, **extra).get_request()


@pytest.fixture
def calls(monkeypatch):
    made = []

    def call(method, *args, timeout):
        made.append((method, args, timeout))
        return {"answer": {"code": 0, "msg": "成功"}, "applied": 1}
    monkeypatch.setattr(service, "call", call)
    return made


@pytest.mark.parametrize("name,kind", [("provider_receipts", "receipts"),
                                       ("provider_uplink", "uplink")])
def test_a_callback_hands_notify_the_raw_body_and_the_signature(calls, name, kind):
    # spaces, key order and escapes kept exactly: the signature is over these bytes
    body = '[ {"phone_number":"13800138000", "content":"退订", "b":1,"a":"\\u9000"} ]'
    answer = getattr(Gateway, name)(FakeGateway(), _request(body.encode("utf-8")),
                                    provider="aliyun")
    assert answer == {"code": 0, "msg": "成功"}  # what the provider expects back
    assert calls == [("notify.provider_callback", ({
        "provider": "aliyun", "kind": kind, "body": body, "signature": "t=1,v1=ab"},), 5.0)]


def test_a_callback_without_the_header_is_still_asked_and_notify_refuses_it(calls):
    Gateway.provider_receipts(FakeGateway(), _request(b"[]", signature=None), provider="tencent")
    assert calls[0][1][0]["signature"] == "" and calls[0][1][0]["provider"] == "tencent"


def test_an_unknown_provider_is_a_404_and_notify_is_not_asked(calls):
    with pytest.raises(NotFound):
        Gateway.provider_receipts(FakeGateway(), _request(b"[]"), provider="twilio")
    assert calls == []
    assert http.response_for(NotFound("no such provider")).status_code == 404


def test_a_callback_body_over_1_mb_is_a_413_and_not_utf8_a_400(calls):
    with pytest.raises(RequestEntityTooLarge):
        Gateway.provider_receipts(FakeGateway(), _request(b"x" * 1_000_001), provider="aliyun")
    Gateway.provider_receipts(FakeGateway(), _request(b"x" * 1_000_000), provider="aliyun")
    assert len(calls[0][1][0]["body"]) == 1_000_000
    with pytest.raises(Invalid):
        Gateway.provider_receipts(FakeGateway(), _request(b"\xff\xfe[]"), provider="aliyun")
    assert http.response_for(RequestEntityTooLarge()).status_code == 413


def test_notifys_refusals_of_a_callback_keep_their_status():
    from services.common.errors import Unauthenticated
    unsigned = http.response_for(Unauthenticated("bad or stale provider signature"))
    assert unsigned.status_code == 401
    assert json.loads(unsigned.get_data())["error"] == "unauthenticated"
    assert http.response_for(Invalid("x", {"body": ["not JSON"]})).status_code == 400


# -- the console's notification pages -------------------------------------------------------------
PAGES = {
    ("GET", "/notify/templates"): SUPERVISORS_UP | ADMINS,
    ("POST", "/notify/templates"): SUPERVISORS_UP | ADMINS,
    ("POST", "/notify/templates/length"): SUPERVISORS_UP | ADMINS,
    ("GET", "/notify/templates/<template_id>"): SUPERVISORS_UP | ADMINS,
    ("POST", "/notify/templates/<template_id>/preview"): SUPERVISORS_UP | ADMINS,
    ("POST", "/notify/templates/<template_id>/retire"): SUPERVISORS_UP | ADMINS,
    ("GET", "/notify/bulk"): SUPERVISORS_UP,
    ("POST", "/notify/bulk"): SUPERVISORS_UP,
    ("GET", "/notify/bulk/<batch_id>"): SUPERVISORS_UP,
    ("GET", "/notify/bulk/<batch_id>/progress"): SUPERVISORS_UP,
    ("GET", "/customers/<customer_id>/messages"): FRONT_LINE | {AUDITOR},
    ("POST", "/customers/<customer_id>/notification-preferences"): FRONT_LINE,
    ("GET", "/admin/notifications"): MANAGERS_UP | ADMINS,
    ("POST", "/admin/notifications"): MANAGERS_UP | ADMINS,
    ("GET", "/admin/robots"): ADMINS,
    ("POST", "/admin/robots"): ADMINS,
}


def _pages() -> dict:
    found = {}
    for name in dir(Gateway):
        for extension in getattr(getattr(Gateway, name), ENTRYPOINT_EXTENSIONS_ATTR, ()):
            if isinstance(extension, Page):
                found[(extension.method, extension.url)] = extension
    return found


def test_every_notification_page_is_routed_with_the_roles_its_rpcs_allow():
    pages = _pages()
    for key, roles in PAGES.items():
        assert key in pages, key
        assert pages[key].allow == frozenset(roles) and not pages[key].public, key
    # a page never lets in a role its RPC refuses
    assert PAGES[("GET", "/notify/bulk")] <= notify.CONTRACT.create_batch.roles
    assert PAGES[("GET", "/customers/<customer_id>/messages")] <= \
        notify.CONTRACT.messages.roles
    assert PAGES[("POST", "/customers/<customer_id>/notification-preferences")] <= \
        notify.CONTRACT.set_preference.roles
    assert PAGES[("POST", "/notify/templates")] <= notify.CONTRACT.save_template.roles
    assert PAGES[("POST", "/admin/notifications")] <= notify.CONTRACT.update_settings.roles
    assert PAGES[("POST", "/admin/robots")] <= notify.CONTRACT.save_target.roles

"""The gateway's HTTP entrypoint: JSON in and out, bearer tokens, one error table.

    @api("POST", "/api/v1/customers", allow=FRONT_LINE, body=CustomerCreate, status=201)
    def create_customer(self, request): ...

Every request gets a request id (X-Request-Id, echoed).  Authenticated routes
verify the bearer token before a worker runs and put it in the context data,
so every RPC made by the worker carries it to the services, which verify it
again themselves.  Every error leaves as {error, message, fields?, request_id}.
"""
import json
import logging
import re
import uuid
from functools import partial

from eventlet.event import Event
from marshmallow import ValidationError
from nameko.exceptions import RemoteError
from nameko.web.handlers import HttpRequestHandler
from nameko.web.server import WebServer, WsgiApp
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Request, Response

from services.common.errors import (
    EXPECTED,
    Conflict,
    DeadlineExceeded,
    Forbidden,
    Invalid,
    NotFound,
    TooManyRequests,
    Unauthenticated,
    Unavailable,
    invalid_from_marshmallow,
)
from services.common.identity import CONTEXT_KEY, codec_from_config
from services.gateway import openapi

log = logging.getLogger(__name__)
MAX_BODY = 1 << 20
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")

# The one table from exception to HTTP status (most specific class first).
ERRORS = [
    (Invalid, 400), (Unauthenticated, 401), (Forbidden, 403), (NotFound, 404),
    (Conflict, 409), (TooManyRequests, 429), (DeadlineExceeded, 504), (Unavailable, 503),
]


def json_response(status: int, body, headers=None) -> Response:
    return Response(json.dumps(body, ensure_ascii=False, default=str), status=status,
                    headers=headers, content_type="application/json; charset=utf-8")


def error_response(status: int, code: str, message: str, fields=None) -> Response:
    body = {"error": code, "message": message}
    if fields:
        body["fields"] = fields
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return json_response(status, body, headers)


def response_for(exc: Exception) -> Response:
    if isinstance(exc, ValidationError):
        exc = invalid_from_marshmallow(exc)
    for cls, status in ERRORS:
        if isinstance(exc, cls):
            return error_response(status, exc.code, exc.message or exc.code, exc.fields)
    if isinstance(exc, HTTPException):  # werkzeug's own, e.g. 413 past the body limit
        name = re.sub(r"\W+", "_", (exc.name or "error").lower())
        return error_response(exc.code or 400, name, exc.description or "")
    if isinstance(exc, RemoteError):  # a service failed unexpectedly; its trace stays there
        log.error("upstream error: %s", exc.exc_type)
        return error_response(502, "upstream_error", "a service failed to answer")
    log.exception("unexpected error", exc_info=exc)
    return error_response(500, "internal", "internal error")


class JsonWsgiApp(WsgiApp):
    """Unknown paths and wrong methods answer in the same JSON shape."""

    def __call__(self, environ, start_response):
        request = Request(environ, shallow=True)
        request.max_content_length = MAX_BODY
        adapter = self.url_map.bind_to_environ(environ)
        try:
            provider, values = adapter.match()
        except HTTPException as exc:
            name = re.sub(r"\W+", "_", (exc.name or "error").lower())
            return error_response(exc.code or 400, name, exc.description or "")(
                environ, start_response)
        request.path_values = values
        return provider.handle_request(request)(environ, start_response)


class JsonWebServer(WebServer):
    def get_wsgi_app(self):
        return JsonWsgiApp(self)


class Api(HttpRequestHandler):
    server = JsonWebServer()
    serves_callers = True

    def __init__(self, method, url, allow=None, public=False, status=200, **kwargs):
        if not public and not allow:
            raise ValueError(f"{method} {url}: give allow=<roles> or public=True")
        self.allow = frozenset(allow or ())
        self.public = public
        self.status = status
        super().__init__(method, url, expected_exceptions=EXPECTED + (ValidationError,))

    def setup(self):
        self.codec = codec_from_config(self.container.config)
        super().setup()

    def handle_request(self, request):
        request.shallow = False
        supplied = request.headers.get("X-Request-Id", "")
        request_id = supplied if _REQUEST_ID.match(supplied) else uuid.uuid4().hex
        try:
            context_data = {"request_id": request_id}
            if not self.public:
                principal = self.codec.verify(_bearer(request))
                if not principal.has_any(self.allow):
                    raise Forbidden("your role may not do this")
                context_data[CONTEXT_KEY] = principal.token
            args, kwargs = self.get_entrypoint_parameters(request)
            event = Event()
            self.container.spawn_worker(self, args, kwargs, context_data=context_data,
                                        handle_result=partial(self.handle_result, event))
            response = self.response_from_result(event.wait())
        except Exception as exc:  # noqa: BLE001 — every error becomes a JSON answer
            response = response_for(exc)
        response.headers["X-Request-Id"] = request_id
        return response

    def response_from_result(self, result):
        if isinstance(result, Response):
            return result
        status, body = result if isinstance(result, tuple) else (self.status, result)
        return json_response(status, body)


def _bearer(request) -> str | None:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" else None


def api(method: str, url: str, summary: str, allow=None, public=False, status=200,
        body=None, query=None, response=None):
    """Declare a route: the entrypoint plus its OpenAPI description."""
    openapi.register(method, url, summary, public=public, status=status, body=body,
                     query=query, response=response)
    return Api.decorator(method, url, allow=allow, public=public, status=status)


def json_object(request) -> dict:
    """The JSON body, which must be an object (the service behind validates its fields)."""
    data = request.get_json(silent=True, force=True)  # any content type
    if not isinstance(data, dict):
        raise Invalid("the body must be a JSON object", {"_body": ["not a JSON object"]})
    return data


def load_body(request, schema):
    """The JSON body validated by a schema; Invalid names the field and reason."""
    return schema.load(json_object(request))


def load_query(request, schema):
    return schema.load(request.args.to_dict())

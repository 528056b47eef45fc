"""The gateway's HTTP layer: the entrypoint, the dependencies routes use, reading
requests and writing answers.

    @api("POST", "/api/v1/groups", "Create a group of staff (admin)", allow=ADMINS,
         status=201, body=GroupCreate, response=Group)
    def create_group(self, request): ...

JSON in and out.  Every request gets a request id (X-Request-Id, echoed).
Authenticated routes verify the bearer token (the platform's one `Callers`
extension) before a worker runs and put it in the context data, so every RPC
made by the worker carries it to the services, which verify it again
themselves.  Every error leaves as {error, message, fields?, request_id}, by one
table from exception to status.

Bulkheads (issue 9, finding 9): a route names the services it asks (`upstreams`;
`forward` routes name theirs), and at most UPSTREAM_CONCURRENCY requests to one
service are in the gateway at once (default: three quarters of max_workers); past it
a route to that service answers 503 at once, so a hung service holds a bounded share
of the gateway's workers and every other route keeps answering.

Hostile input stops here (issue 9, finding 9): a NUL character in the body, the query
string or the path, JSON nested deeper than MAX_JSON_DEPTH, NaN or Infinity are a 400
naming the field before any worker runs or any service is asked.

No Nagle stall (issue 10, item 10): every accepted connection has TCP_NODELAY.
eventlet's server writes through a 16 KiB buffer, so an answer longer than that
leaves as two sends — the header lines, then the body.  With Nagle's algorithm the
body's last segment waited for the ACK of the header segment, and a client on a
kept-alive connection (a browser) delays that ACK: every answer over 16 KiB stalled
about 40 ms (a new connection ACKs at once while it is young, so it did not show).
"""
import base64
import json
import logging
import re
import socket
import uuid
from contextlib import contextmanager
from functools import partial
from urllib.parse import quote

from eventlet import wsgi
from eventlet.event import Event
from eventlet.semaphore import Semaphore
from marshmallow import ValidationError
from nameko.exceptions import RemoteError
from nameko.extensions import DependencyProvider, SharedExtension
from nameko.rpc import ReplyListener, ServiceProxy
from nameko.web.handlers import HttpRequestHandler
from nameko.web.server import HttpOnlyProtocol, WebServer, WsgiApp
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge
from werkzeug.wrappers import Request, Response

from services.common import registry
from services.common.errors import (
    EXPECTED,
    Conflict,
    DeadlineExceeded,
    Forbidden,
    Invalid,
    NotFound,
    RequestParked,
    TooManyRequests,
    Unauthenticated,
    Unavailable,
    invalid_from_marshmallow,
)
from services.common.identity import CONTEXT_KEY, Callers
from services.common.inputs import check_value
from services.common.metrics import Counter, MetricsServer
from services.common.typing import Injects
from services.customer.contract.imports import MAX_FILE_BYTES
from services.gateway import openapi

log = logging.getLogger(__name__)
MAX_BODY = 1 << 20
MAX_JSON_DEPTH = 32
# The longest request target (path and query string, percent-encoded) answered: every
# query value has a bound at its schema, and the longest (a knowledge-base suggestion's
# 10,000 characters; 90 KiB of Chinese once encoded) fits.  Longer is a JSON 414; the
# HTTP server's own limit (MAX_REQUEST_LINE, above it) ends the connection with an
# empty 414 only for what no client of ours sends.
MAX_URL = 128 << 10
MAX_REQUEST_LINE = 2 * MAX_URL
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")

# The one table from exception to HTTP status (most specific class first).
ERRORS = [
    (Invalid, 400), (Unauthenticated, 401), (Forbidden, 403), (NotFound, 404),
    (Conflict, 409), (RequestParked, 422), (TooManyRequests, 429), (DeadlineExceeded, 504),
    (Unavailable, 503),
]


# -- answers ---------------------------------------------------------------------------
def json_response(status: int, body, headers=None) -> Response:
    return Response(json.dumps(body, ensure_ascii=False, default=str), status=status,
                    headers=headers, content_type="application/json; charset=utf-8")


def no_content() -> Response:
    """204: done, nothing to say."""
    return Response(status=204)


def error_response(status: int, code: str, message: str, fields=None) -> Response:
    body = {"error": code, "message": message}
    if fields:
        body["fields"] = fields
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return json_response(status, body, headers)


def _http_error(exc: HTTPException) -> Response:
    """werkzeug's own errors (404 path, 405 method, 413 body) in the same shape."""
    name = re.sub(r"\W+", "_", (exc.name or "error").lower())
    return error_response(exc.code or 400, name, exc.description or "")


def response_for(exc: Exception) -> Response:
    if isinstance(exc, ValidationError):
        exc = invalid_from_marshmallow(exc)
    for cls, status in ERRORS:
        if isinstance(exc, cls):
            return error_response(status, exc.code, exc.message or exc.code, exc.fields)
    if isinstance(exc, HTTPException):  # e.g. 413 past the body limit
        return _http_error(exc)
    if isinstance(exc, RemoteError):  # a service failed unexpectedly; its trace stays there
        log.error("upstream error: %s", exc.exc_type)
        return error_response(502, "upstream_error", "a service failed to answer")
    log.exception("unexpected error", exc_info=exc)
    return error_response(500, "internal", "internal error")


# -- the entrypoint --------------------------------------------------------------------
class JsonWsgiApp(WsgiApp):
    """Unknown paths and wrong methods answer in the same JSON shape."""

    def __call__(self, environ, start_response):
        target = len(environ.get("PATH_INFO", "")) + len(environ.get("QUERY_STRING", ""))
        if target > MAX_URL:
            return error_response(414, "uri_too_long", f"the address is longer than {MAX_URL}"
                                  " bytes")(environ, start_response)
        request = Request(environ, shallow=True)
        request.max_content_length = MAX_BODY
        adapter = self.url_map.bind_to_environ(environ)
        try:
            provider, values = adapter.match()
        except HTTPException as exc:
            return _http_error(exc)(environ, start_response)
        request.path_values = values  # type: ignore[attr-defined]  # nameko's handlers read it
        return provider.handle_request(request)(environ, start_response)


def no_delay(sock) -> None:
    """Nagle's algorithm off (TCP_NODELAY) on an accepted connection: a write leaves at
    once instead of waiting for the client's ACK of the one before."""
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


class NoDelayProtocol(HttpOnlyProtocol):
    """nameko's HTTP protocol, with TCP_NODELAY on the connection before any request
    on it is read (nameko's server accepts the connection itself and hands it here)."""

    def setup(self):
        try:
            no_delay(self.request)
        except OSError:  # the client is already gone: the read that follows says so
            pass
        super().setup()


class JsonWebServer(WebServer):
    def get_wsgi_app(self):
        return JsonWsgiApp(self)

    def get_wsgi_server(self, sock, wsgi_app, protocol=NoDelayProtocol, debug=False):
        """nameko's server with a request line long enough for every bounded query
        (eventlet's default, 8 KiB, answered a legitimate long search with an empty 414),
        and TCP_NODELAY on every connection (NoDelayProtocol)."""
        return wsgi.Server(sock, sock.getsockname(), wsgi_app, protocol=protocol, debug=debug,
                           log=logging.getLogger("nameko.web.server"),
                           url_length_limit=MAX_REQUEST_LINE)


class Bulkheads(SharedExtension):
    """At most `limit` requests to one upstream service in the gateway at once."""

    metrics = MetricsServer()

    def setup(self):
        config = self.container.config
        workers = int(config.get("max_workers", 10))
        self.limit = int(config.get("UPSTREAM_CONCURRENCY") or max(1, workers * 3 // 4))
        self._slots: dict[str, Semaphore] = {}
        self.refused = self.metrics.metric(
            Counter, "kefu_gateway_bulkhead_refused_total",
            "Requests answered 503 at once: their service had its share of the gateway",
            ("service",))

    @contextmanager
    def held(self, services):
        """A slot of each service for the block; Unavailable at once when one is full."""
        taken: list[Semaphore] = []
        try:
            for name in services:
                slot = self._slots.setdefault(name, Semaphore(self.limit))
                if not slot.acquire(blocking=False):
                    self.refused.labels(name).inc()
                    raise Unavailable(f"the {name} service is busy: try again shortly")
                taken.append(slot)
            yield
        finally:
            for slot in taken:
                slot.release()


class Api(HttpRequestHandler):
    server = JsonWebServer()
    callers = Callers()
    bulkheads = Bulkheads()
    serves_callers = True

    def __init__(self, method, url, allow=None, public=False, status=200, upstreams=(),
                 **kwargs):
        if not public and not allow:
            raise ValueError(f"{method} {url}: give allow=<roles> or public=True")
        self.allow = frozenset(allow or ())
        self.public = public
        self.status = status
        self.upstreams = tuple(upstreams)
        super().__init__(method, url, expected_exceptions=EXPECTED + (ValidationError,))

    def handle_request(self, request):
        request.shallow = False
        supplied = request.headers.get("X-Request-Id", "")
        request_id = supplied if _REQUEST_ID.match(supplied) else uuid.uuid4().hex
        try:
            context_data = {"request_id": request_id}
            check_request(request)
            if not self.public:
                principal = self.callers.verify(_bearer(request))
                if not principal.has_any(self.allow):
                    raise Forbidden("your role may not do this")
                context_data[CONTEXT_KEY] = principal.token
            args, kwargs = self.get_entrypoint_parameters(request)
            with self.bulkheads.held(self.upstreams):
                event = Event()
                self.container.spawn_worker(self, args, kwargs, context_data=context_data,
                                            handle_result=partial(self.handle_result, event))
                result = event.wait()
            response = self.response_from_result(result)
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
        body=None, query=None, response=None, upstreams=()):
    """Declare a route: the entrypoint plus its OpenAPI description.  `upstreams`: the
    services it asks (each holds one slot of that service's bulkhead)."""
    openapi.register(method, url, summary, public=public, status=status, body=body,
                     query=query, response=response)
    return Api.decorator(method, url, allow=allow, public=public, status=status,
                         upstreams=upstreams)


# -- the dependencies of routes ----------------------------------------------------------
class Deadline(Injects[float], DependencyProvider):
    """Seconds a route waits for a service that a person is waiting on (config
    RPC_TIMEOUT_SECONDS); past it the answer is 504."""

    def get_dependency(self, worker_ctx):
        return float(self.container.config.get("RPC_TIMEOUT_SECONDS", 5))


class Peers(Injects[dict], DependencyProvider):
    """An RPC proxy to every other service of the registry, by name (for /healthz:
    a service added to the registry is asked without a change here)."""

    rpc_reply_listener = ReplyListener()

    @property
    def rpc_targets(self) -> list[str]:
        """The services it calls (its broker user may: services.common.broker)."""
        return [name for name in registry.NAMES if name != self.container.service_name]

    def setup(self):
        self.names = self.rpc_targets

    def get_dependency(self, worker_ctx):
        return {name: ServiceProxy(worker_ctx, name, self.rpc_reply_listener,
                                   use_confirms=False)
                for name in self.names}


# -- reading requests ------------------------------------------------------------------
def check_request(request) -> None:
    """No NUL character in the query string (names and values) nor in a path value."""
    for name, value in request.args.items(multi=True):
        if "\x00" in name:
            raise Invalid("text must not contain NUL characters",
                          {"_query": ["a parameter name contains a NUL character"]})
        check_value(value, root=name)
    for name, value in (getattr(request, "path_values", None) or {}).items():
        check_value(value, root=name)


def _not_a_constant(name: str):
    raise ValueError(f"{name} is not JSON")


def json_object(request) -> dict:
    """The JSON body, which must be an object (the service behind validates its fields),
    with no NUL character in any text or key and at most MAX_JSON_DEPTH levels deep."""
    try:  # any content type; strict JSON (no NaN, no Infinity)
        data = json.loads(request.get_data(cache=True), parse_constant=_not_a_constant)
    except RecursionError:  # far deeper than the bound: refused without walking it
        raise Invalid("the body is nested too deeply",
                      {"_body": [f"nested deeper than {MAX_JSON_DEPTH} levels"]}) from None
    except ValueError:  # not JSON, not UTF-8
        data = None
    if not isinstance(data, dict):
        raise Invalid("the body must be a JSON object", {"_body": ["not a JSON object"]})
    check_value(data, max_depth=MAX_JSON_DEPTH)
    return data


def optional_object(request) -> dict:
    """The JSON body when there is one; an empty body counts as {}."""
    if not request.get_data(cache=True):
        return {}
    return json_object(request)


def raw_text(request, limit: int = MAX_BODY) -> str:
    """The body exactly as it came, as UTF-8 text (a signature is over these bytes):
    read first, before anything parses it, at most `limit` bytes (more is a 413)."""
    request.max_content_length = min(limit, MAX_BODY)
    try:
        return request.get_data(cache=True).decode("utf-8")
    except UnicodeDecodeError:
        raise Invalid("the body is not UTF-8 text", {"_body": ["not UTF-8 text"]}) from None


def load_body(request, schema):
    """The JSON body validated by a schema; Invalid names the field and reason."""
    return schema.load(json_object(request))


def load_query(request, schema):
    return schema.load(request.args.to_dict())


# -- customer import and export (C7): the upload in, the file out ------------------------
# An upload may be up to the customer service's limit plus the multipart envelope; the
# request body limit is raised for the import route alone (the default is MAX_BODY).
MAX_UPLOAD = MAX_FILE_BYTES + (1 << 20)
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"", "0", "false", "no", "off"}


def import_upload(request) -> dict:
    """The import a request carries, as the customer service's ImportRequest: multipart
    (file=<the file>, dry_run, mapping={"header": "field" | null, ...} as JSON) or the
    raw file as the body (?filename=&dry_run=&mapping=)."""
    if request.content_length and request.content_length > MAX_UPLOAD:
        raise _too_large()
    request.max_content_length = MAX_UPLOAD  # this route only; the default stays 1 MiB
    try:
        if request.mimetype == "multipart/form-data":
            upload = request.files.get("file")
            if upload is None:
                raise Invalid("no file", {"file": ["send the file in the form field 'file'"]})
            content, filename = upload.read(), upload.filename or ""
            fields = request.form
        else:
            content, filename = request.get_data(), request.args.get("filename", "")
            fields = request.args
    except RequestEntityTooLarge as exc:
        raise _too_large() from exc
    filename = filename or request.args.get("filename", "") or fields.get("filename", "")
    check_value(filename, root="filename")
    dry_run = _flag(fields.get("dry_run", request.args.get("dry_run")), "dry_run")
    mapping = _mapping(fields.get("mapping", request.args.get("mapping")))
    if not content:
        raise Invalid("no file", {"file": ["the file is empty"]})
    if not filename:
        raise Invalid("no file name", {"filename": ["give the file name (.csv or .xlsx)"]})
    return {"filename": filename, "dry_run": dry_run, "mapping": mapping,
            "content": base64.b64encode(content).decode("ascii")}


def _too_large() -> Invalid:
    return Invalid("the file is too large", {"file": [f"larger than {MAX_FILE_BYTES >> 20} MiB"]})


def _flag(value, name: str) -> bool:
    text = (value or "").strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise Invalid("not a boolean", {name: ["true or false"]})


def _mapping(value) -> dict:
    if value is None or not value.strip():
        return {}
    try:
        mapping = json.loads(value)
    except ValueError as exc:
        raise Invalid("mapping is not JSON", {"mapping": ["not valid JSON"]}) from exc
    if not isinstance(mapping, dict):
        raise Invalid("mapping must be an object", {"mapping": ['{"column header": "field"}']})
    check_value(mapping, root="mapping", max_depth=MAX_JSON_DEPTH)
    return mapping


def export_query(request) -> dict:
    """The query string as the export takes it: a repeated `tags` joined by commas."""
    query = request.args.to_dict()
    if "tags" in request.args:
        query["tags"] = ",".join(request.args.getlist("tags"))
    return query


def download(export: dict) -> Response:
    """The customer service's ExportFile as a file to save (Content-Disposition), with
    its row count and whether it was cut short."""
    name = export["filename"]
    disposition = f"attachment; filename=\"{name}\"; filename*=UTF-8''{quote(name)}"
    return Response(base64.b64decode(export["content"]), status=200,
                    content_type=export["content_type"],
                    headers={"Content-Disposition": disposition,
                             "X-Export-Count": str(export["count"]),
                             "X-Export-Truncated": "true" if export["truncated"] else "false"})

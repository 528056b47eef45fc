"""Routes that forward a request to one RPC, declared in a line each in service.py:

    create_customer = forward("POST", "/api/v1/customers", "Create a person or organization",
                              CUSTOMER.create_customer, BODY, status=201)

The RPC gets the path values in the URL's order, then what each taker (BODY,
QUERY, arg("before"), ...) reads from the request; the reply goes back as it
came, within the service's `deadline`.  The contract index of the service called
(services/<svc>/contract/__init__.py) gives the rest:
- the roles allowed: the RPC's own, unless the route says `allow=` (the service
  checks its own roles again anyway);
- the OpenAPI description: the RPC's input schema where the takers read the
  request (the body or the query string), its output schema as the answer.
Takers that validate (valid_body, valid_query, CHECKED_QUERY) use the RPC's input
schema, so a bad field is a 400 naming it before any call.  A route holds a slot of
its service's bulkhead while it runs (http.Bulkheads): past the service's share of the
gateway it answers 503 at once.
"""
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from services.common.contracts import Contract, Operation
from services.common.errors import Invalid
from services.common.rpc import call
from services.gateway import openapi
from services.gateway.http import api, json_object, optional_object


@dataclass(frozen=True)
class Rpc:
    """One RPC of one service, as its contract index describes it."""

    service: str
    operation: Operation

    @property
    def roles(self) -> frozenset | None:
        return self.operation.roles


class Upstream:
    """A service's RPCs by name, from its contract index: `TICKET.get_ticket`."""

    def __init__(self, contract: Contract):
        self._contract = contract

    def __getattr__(self, name: str) -> Rpc:
        if name.startswith("_"):
            raise AttributeError(name)
        try:
            return Rpc(self._contract.service, self._contract.operation(name))
        except LookupError as exc:
            raise AttributeError(str(exc)) from None


@dataclass(frozen=True)
class Take:
    """What a route takes from the request for its RPC: `read(request, schema)` gives
    the arguments; `part` is where it reads ("body", "query" or None); `validates`:
    it needs the RPC's input schema."""

    part: str | None
    read: Callable[[Any, Any], tuple]
    validates: bool = False


def forward(method: str, url: str, summary: str, rpc: Rpc, *takes: Take, allow=None,
            status: int = 200, then: Callable[[Any, list, Any], None] | None = None):
    """The entrypoint of a route that asks `rpc` and answers with its reply; `then`
    (the service, the RPC's arguments, the reply) runs after a reply came."""
    operation = rpc.operation
    schema = operation.input() if operation.input else None
    if schema is None and any(take.validates for take in takes):
        raise ValueError(f"{method} {url}: {operation.name} has no input schema to validate")
    path = openapi.path_names(url)
    parts = {take.part for take in takes}

    def route(self, request, **values):
        args = [values[name] for name in path]
        for take in takes:
            args.extend(take.read(request, schema))
        method_proxy = getattr(getattr(self, rpc.service), operation.name)
        reply = call(method_proxy, *args, timeout=self.deadline)
        if then is not None:
            then(self, args, reply)
        return reply

    route.__doc__ = f"{summary} ({rpc.service}.{operation.name})"
    return api(method, url, summary, allow=operation.roles if allow is None else allow,
               public=operation.public and allow is None, status=status,
               body=operation.input if "body" in parts else None,
               query=operation.input if "query" in parts else None,
               response=operation.output, upstreams=(rpc.service,))(route)


# -- takers --------------------------------------------------------------------------------
BODY = Take("body", lambda request, _: (json_object(request),))
"""The JSON body, an object, as it came."""
OPTIONAL_BODY = Take("body", lambda request, _: (optional_object(request),))
"""The JSON body as it came; an empty body is {}."""
QUERY = Take("query", lambda request, _: (request.args.to_dict(),))
"""The query string as it came."""
IDEMPOTENCY_KEY = Take(None, lambda request, _: (request.headers.get("Idempotency-Key") or None,))


def _checked_query(request, schema) -> tuple:
    schema.load(request.args.to_dict())
    return (request.args.to_dict(),)


CHECKED_QUERY = Take("query", _checked_query, validates=True)
"""The query string as it came, once the RPC's input schema accepts it."""


def arg(name: str, default=None) -> Take:
    """One query parameter as it came."""
    return Take("query", lambda request, _: (request.args.get(name, default),))


def clipped(name: str, length: int) -> Take:
    """One query parameter, "" when absent, cut to `length` characters."""
    return Take("query", lambda request, _: (request.args.get(name, "")[:length],))


def whole(name: str, default: int) -> Take:
    """One query parameter as a whole number."""
    def read(request, _) -> tuple:
        raw = request.args.get(name)
        if raw in (None, ""):
            return (default,)
        try:
            return (int(raw),)
        except ValueError as exc:
            raise Invalid("not a number", {name: ["must be a whole number"]}) from exc
    return Take("query", read)


def fixed(value) -> Take:
    """A value of the route's own, e.g. the decision of an approve route."""
    return Take(None, lambda request, _: (value,))


def _valid(schema, data: dict, names: tuple) -> tuple:
    valid = schema.dump(schema.load(data))  # JSON again: dates as text, ids as strings
    return tuple(valid.get(name) for name in names) if names else (valid,)


def valid_body(*names: str) -> Take:
    """The body validated by the RPC's input schema: the named fields, or all of it."""
    return Take("body", lambda request, schema: _valid(schema, json_object(request), names),
                validates=True)


def valid_query(*names: str) -> Take:
    """The query string validated by the RPC's input schema: the named fields."""
    return Take("query",
                lambda request, schema: _valid(schema, request.args.to_dict(), names),
                validates=True)

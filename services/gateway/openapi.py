"""The OpenAPI document, generated from the routes and their contract schemas."""
import re
from decimal import Decimal

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from marshmallow import fields

from services.gateway.contract.errors import Error

ROUTES: list[dict] = []
_PARAM = re.compile(r"<(?:[^:<>]+:)?([^<>]+)>")


def register(method, url, summary, public, status, body, query, response) -> None:
    """Called once per route at import time (no I/O)."""
    ROUTES.append({"method": method.lower(), "url": url, "summary": summary, "public": public,
                   "status": status, "body": body, "query": query, "response": response})


def answers(status: int, response, description: str):
    """Stacked on @api: the route may also answer `status` with `response`, e.g. 202
    with a change waiting for approval.  Applied right after @api registered it."""
    def decorate(method):
        ROUTES[-1].setdefault("also", []).append((status, response, description))
        return method
    return decorate


def produces(*media_types: str):
    """Stacked on @api: the route answers a file or an image, not JSON — its success
    is documented as binary content of these media types.  Applied right after @api."""
    def decorate(method):
        ROUTES[-1]["produces"] = media_types
        return method
    return decorate


def path_names(url: str) -> list[str]:
    """The names of a route's path values, in the URL's order."""
    return _PARAM.findall(url)


_BUILT: dict[int, dict] = {}


def document() -> dict:
    """The document of every route declared so far, built once (routes are declared at
    import; building takes ~0.1 s of CPU, which every request for it used to pay)."""
    if len(ROUTES) not in _BUILT:
        _BUILT.clear()
        _BUILT[len(ROUTES)] = build()
    return _BUILT[len(ROUTES)]


def build(title: str = "Kefu 客服 API", version: str = "1") -> dict:
    marshmallow = MarshmallowPlugin()
    spec = APISpec(title=title, version=version, openapi_version="3.0.3",
                   plugins=[marshmallow])
    assert marshmallow.converter is not None  # set when the spec took the plugin
    marshmallow.converter.add_attribute_function(_decimal_as_text)
    spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer",
                                               "bearerFormat": "JWT"})
    spec.components.schema("Error", schema=Error)
    paths: dict[str, dict] = {}
    for route in ROUTES:
        path = _PARAM.sub(r"{\1}", route["url"])
        operation = _operation(route)
        params = [{"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
                  for name in path_names(route["url"])]
        if params:
            operation.setdefault("parameters", []).extend(params)
        paths.setdefault(path, {})[route["method"]] = operation
    for path, operations in paths.items():
        spec.path(path=path, operations=operations)
    return spec.to_dict()


def _operation(route: dict) -> dict:
    error: dict = {"content": {"application/json": {"schema": "Error"}}}
    responses: dict[str, dict] = {str(route["status"]): {"description": "success"}}
    if route["response"] is not None:
        responses[str(route["status"])]["content"] = {
            "application/json": {"schema": route["response"]}}
    if route.get("produces"):
        responses[str(route["status"])]["content"] = {
            media: {"schema": {"type": "string", "format": "binary"}}
            for media in route["produces"]}
    for status, response, description in route.get("also", ()):
        responses[str(status)] = {"description": description,
                                  "content": {"application/json": {"schema": response}}}
    responses["400"] = {"description": "invalid input", **error}
    if not route["public"]:
        responses["401"] = {"description": "not authenticated", **error}
        responses["403"] = {"description": "not allowed", **error}
    # Every other refusal has the same body: 404 (none, or out of your scope), 409 (not
    # in this state), 413, 414, 422, 429 (slow down), 503 (busy or down), 504 (no answer
    # in time).
    responses["default"] = {"description": "refused or failed: the reason in the body",
                            **error}
    operation: dict = {"summary": route["summary"], "responses": responses}
    if not route["public"]:
        operation["security"] = [{"bearer": []}]
    if route["body"] is not None:
        operation["requestBody"] = {"required": True,
                                    "content": {"application/json": {"schema": route["body"]}}}
    if route["query"] is not None:
        operation["parameters"] = [{"in": "query", "schema": route["query"]}]
    return operation


_DECIMAL_TEXT = r"^-?[0-9]{1,16}(\.[0-9]{1,6})?$"


def _decimal_as_text(self, field, ret, **kwargs) -> dict:
    """A money field (Decimal, `as_string`) is written as text ("12.50": no rounding on
    the way) and read from text or a number: document it as the text, with its bounds
    kept as numbers in `x-minimum`/`x-maximum` (apispec wrote them, as text, into JSON
    Schema's number bounds, which the answers, being text, could never meet)."""
    if not (isinstance(field, fields.Decimal) and field.as_string):
        return {}
    for bound in ("minimum", "maximum"):
        if bound in ret:
            ret[f"x-{bound}"] = _number(ret.pop(bound))
    return {"type": "string", "format": "decimal", "pattern": _DECIMAL_TEXT}


def _number(bound):
    """apispec writes a bound as the field serializes it: text ("0.00") for a money field."""
    exact = Decimal(bound)
    return int(exact) if exact == exact.to_integral_value() else float(exact)

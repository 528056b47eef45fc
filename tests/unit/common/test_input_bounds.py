"""Every input string is bounded at the schema (issue 9, finding 2: "Bound every input
string's length at the schema").

The walk finds every schema that takes input, whichever service it belongs to:
- the input schema of every operation of every contract index (services/<svc>/contract),
- the payload schema of every event a service consumes (the producer's contract),
- the body and query schemas of every gateway route (the OpenAPI registry),
- every schema any module under services/ loads (`X.load(...)` where X is a schema
  instance or `Schema()`), which catches secondary inputs and the platform's envelope.
Every other schema of a contract package only describes output (dumped, never loaded).

In an input schema every field that holds text or a collection must be bounded, nested
schemas and collection items included:
- String (Email, Url...): a validator bounding its length — validate.Length(max=...),
  OneOf, Equal, or a Regexp anchored at both ends whose pattern has a finite width;
- List, Tuple items, Nested(many=True), Dict/Mapping: a Length(max=...) on the
  collection, and bounded items (a Dict needs a bounded `keys` and `values` field);
- Raw / a bare Field: bounded the same way, or refused;
- a field class of our own: declares the bound it enforces itself as `max_length`
  (services.common.fields.PhoneNumber, Moment, Json);
- a schema may not let unknown fields in unchecked (unknown=INCLUDE).
Numbers, booleans, dates, UUIDs parse in linear time into bounded values: not checked.

A failing case names the service and every offending field path, so a service's team
sees what is left; the finding's id is in each test name.
"""
import ast
import importlib
import inspect
import pkgutil
import re
from collections import defaultdict
from functools import cache
from pathlib import Path

import pytest
from marshmallow import INCLUDE, Schema, fields, validate

import services
from services.common import registry

SERVICES_DIR = Path(services.__file__).resolve().parent
NOT_IMPORTED = {"services.common.runner"}  # patches eventlet when imported
SELF_BOUNDED = (fields.Number, fields.Boolean, fields.Date, fields.DateTime, fields.Time,
                fields.TimeDelta, fields.UUID, fields.Enum, fields.Constant, fields.IP,
                fields.IPInterface)
OWNERS = (*registry.NAMES, "common", "vocabulary")


# -- which schemas take input ----------------------------------------------------------
def _contracts() -> dict:
    return {name: importlib.import_module(f"services.{name}.contract").CONTRACT
            for name in registry.NAMES}


def _all_modules() -> list:
    modules = []
    for info in pkgutil.walk_packages([str(SERVICES_DIR)], "services."):
        if info.name in NOT_IMPORTED or ".migrations" in info.name:
            continue
        modules.append(importlib.import_module(info.name))
    return modules


def _schema_class(value):
    if inspect.isclass(value) and issubclass(value, Schema):
        return value
    if isinstance(value, Schema):
        return type(value)
    return None


def _resolve(node, namespace: dict):
    """The object an expression of names and attributes stands for in a module, or None."""
    if isinstance(node, ast.Name):
        return namespace.get(node.id)
    if isinstance(node, ast.Attribute):
        owner = _resolve(node.value, namespace)
        return getattr(owner, node.attr, None) if owner is not None else None
    return None


def _loaded_schemas(module) -> set:
    """Schemas a module loads: `NAME.load(...)`, `mod.NAME.load(...)`, `Cls().load(...)`."""
    try:
        source = inspect.getsource(module)
    except (OSError, TypeError):
        return set()
    found = set()
    for node in ast.walk(ast.parse(source)):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                and node.func.attr == "load"):
            continue
        receiver = node.func.value
        target = receiver.func if isinstance(receiver, ast.Call) else receiver
        cls = _schema_class(_resolve(target, vars(module)))
        if cls is not None:
            found.add(cls)
    return found


@cache
def input_schemas() -> dict:
    """{schema class: why it takes input}."""
    contracts = _contracts()
    inputs: dict = {}
    for contract in contracts.values():
        for operation in contract.operations:
            cls = _schema_class(operation.input)
            if cls is not None:
                inputs.setdefault(cls, f"input of {contract.service}.{operation.name}")
        for consumed in contract.consumes:
            cls = _schema_class(contracts[consumed.source].event(consumed.type).payload)
            if cls is not None:
                inputs.setdefault(cls, f"{consumed.source}.{consumed.type} as "
                                       f"{contract.service} consumes it")
    for module in _all_modules():
        for cls in _loaded_schemas(module):
            inputs.setdefault(cls, f"loaded in {module.__name__}")
    from services.gateway import openapi  # filled by importing the gateway's service
    for route in openapi.ROUTES:
        for part in ("body", "query"):
            cls = _schema_class(route[part])
            if cls is not None:
                inputs.setdefault(cls, f"{part} of {route['method'].upper()} {route['url']}")
    return inputs


def owner(cls) -> str:
    parts = cls.__module__.split(".")
    return parts[1] if len(parts) > 1 and parts[0] == "services" else cls.__module__


# -- what is bounded -------------------------------------------------------------------
def _validators(field) -> list:
    out = []
    for v in field.validators:
        out.extend(v.validators if isinstance(v, validate.And) else [v])
    return out


def _regexp_bounded(v: validate.Regexp) -> bool:
    parsed = re._parser.parse(v.regex.pattern, v.regex.flags)  # type: ignore[attr-defined]
    ends = {re._constants.AT_END, re._constants.AT_END_STRING}  # type: ignore[attr-defined]
    items = list(parsed)
    anchored = bool(items) and items[-1][0] == re._constants.AT and items[-1][1] in ends  # type: ignore[attr-defined]
    return anchored and parsed.getwidth()[1] < re._constants.MAXREPEAT  # type: ignore[attr-defined]


def bounded(field) -> bool:
    """The field refuses input past a finite length (or count) before keeping it."""
    if getattr(field, "max_length", None):
        return True
    for v in _validators(field):
        if isinstance(v, validate.Length) and (v.max is not None or v.equal is not None):
            return True
        if isinstance(v, (validate.OneOf, validate.Equal)):
            return True
        if isinstance(v, validate.Regexp) and _regexp_bounded(v):
            return True
    return False


def field_offenders(field, path: str, seen: set) -> list[str]:
    own_class = not type(field).__module__.startswith("marshmallow")
    if isinstance(field, (fields.Nested, fields.Pluck)):
        out = [] if not field.many or bounded(field) else [f"{path}: a list without Length(max)"]
        return out + schema_offenders(field.schema, path + ".", seen)
    if isinstance(field, fields.List):
        out = [] if bounded(field) else [f"{path}: a list without Length(max)"]
        return out + field_offenders(field.inner, path + "[]", seen)
    if isinstance(field, fields.Tuple):
        return [o for i, inner in enumerate(field.tuple_fields)
                for o in field_offenders(inner, f"{path}[{i}]", seen)]
    if isinstance(field, fields.Mapping):
        out = [] if bounded(field) else [f"{path}: a mapping without Length(max)"]
        for part, inner in (("keys", field.key_field), ("values", field.value_field)):
            if inner is None:
                out.append(f"{path}: {part} unchecked (give {part}=<a bounded field>)")
            else:
                out += field_offenders(inner, f"{path}.<{part}>", seen)
        return out
    if isinstance(field, SELF_BOUNDED) and not own_class:
        return []
    if isinstance(field, (fields.String, fields.Raw)) or type(field) is fields.Field \
            or own_class:
        return [] if bounded(field) else [
            f"{path}: {type(field).__name__} without a length bound"]
    return []


def schema_offenders(schema, prefix: str = "", seen: set | None = None) -> list[str]:
    seen = set() if seen is None else seen
    cls = type(schema)
    if cls in seen:  # a recursive schema is checked once
        return []
    seen.add(cls)
    out = []
    if schema.unknown == INCLUDE:
        out.append(f"{prefix or cls.__name__ + ': '}unknown fields let in unchecked "
                   "(unknown=INCLUDE)")
    for name, field in schema.load_fields.items():
        out += field_offenders(field, prefix + (field.data_key or name), seen)
    return out


def offenders_by_owner() -> dict:
    found: dict = defaultdict(list)
    for cls, why in sorted(input_schemas().items(), key=lambda kv: kv[0].__qualname__):
        for offence in schema_offenders(cls()):
            found[owner(cls)].append(f"{cls.__module__}.{cls.__qualname__} ({why}): {offence}")
    return found


# -- the checker checks what it should ----------------------------------------------------
class Unbounded(Schema):
    name = fields.String()
    tags = fields.List(fields.String(validate=validate.Length(max=10)))
    extra = fields.Dict()
    pattern = fields.String(validate=validate.Regexp(r"^[a-z]+$"))
    blob = fields.Raw()


class Inner(Schema):
    note = fields.String()


class Bounded(Schema):
    name = fields.String(validate=validate.Length(max=100))
    kind = fields.String(validate=validate.OneOf(["a", "b"]))
    code = fields.String(validate=validate.Regexp(r"^[a-z]{1,8}$"))
    tags = fields.List(fields.String(validate=validate.Length(max=10)),
                       validate=validate.Length(max=5))
    labels = fields.Dict(keys=fields.String(validate=validate.Length(max=10)),
                         values=fields.Integer(), validate=validate.Length(max=5))
    shown = fields.String(dump_only=True)
    count = fields.Integer()
    when = fields.Date()


def test_finding2_checker_flags_each_kind_of_unbounded_field():
    """Issue 9 finding 2: the walk flags strings, lists, dicts, unanchored patterns, raw
    fields, nested schemas, and nothing that is bounded."""
    flagged = schema_offenders(Unbounded())
    assert [o.split(":")[0] for o in flagged] == [
        "name", "tags", "extra", "extra", "extra", "pattern", "blob"]

    class Wrapper(Schema):
        inner = fields.Nested(Inner, many=True)

    assert [o.split(":")[0] for o in schema_offenders(Wrapper())] == ["inner", "inner.note"]
    assert schema_offenders(Bounded()) == []


def test_finding2_every_kind_of_input_is_found():
    """Issue 9 finding 2: the inputs found include each way a schema takes input, so an
    empty walk cannot pass by finding nothing."""
    from services.common.events import EnvelopeSchema
    from services.gateway.contract.login import LoginRequest
    from services.notify.contract.inbox import InboxQuery
    from services.report.contract.daily import DailyQuery
    from services.vocabulary import StaffChanged

    found = input_schemas()
    for cls in (InboxQuery, DailyQuery, StaffChanged, EnvelopeSchema, LoginRequest):
        assert cls in found, cls
    assert {owner(cls) for cls in found} >= {"common", "notify", "report", "gateway",
                                             "customer", "ticket", "vocabulary"}


@pytest.mark.parametrize("service", OWNERS)
def test_finding2_every_input_string_is_bounded_at_the_schema(service):
    """Issue 9 finding 2: no input schema of this service takes text or a collection
    without a bound."""
    offenders = offenders_by_owner().get(service, [])
    assert not offenders, f"{len(offenders)} unbounded input field(s) in {service}:\n" + \
        "\n".join(offenders)

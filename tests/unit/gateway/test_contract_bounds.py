"""Every string the gateway accepts has a length bound in its contract schema (issue 9,
finding 2): the bodies and query strings of the gateway's own routes, walked from the
routes' OpenAPI registrations, so a new route's schema is checked the day it is added."""
import importlib

from marshmallow import fields, validate

from services.gateway import openapi

importlib.import_module("services.gateway.service")  # registers every route


def _bounded(field) -> bool:
    return any(isinstance(v, validate.Length) and v.max is not None
               for v in field.validators)


def _unbounded(schema, prefix="") -> list[str]:
    out = []
    for name, field in schema().fields.items() if isinstance(schema, type) else \
            schema.fields.items():
        out.extend(_field_problems(field, prefix + name))
    return out


def _field_problems(field, name) -> list[str]:
    if isinstance(field, fields.String) and not _bounded(field):
        return [name]
    if isinstance(field, fields.List):
        return ([] if _bounded(field) else [f"{name} (list)"]) + \
            _field_problems(field.inner, name + "[]")
    if isinstance(field, fields.Dict):
        return [f"{name} (dict)"]
    if isinstance(field, fields.Nested):
        return _unbounded(field.schema, name + ".")
    return []


def gateway_input_schemas() -> dict:
    schemas = {}
    for route in openapi.ROUTES:
        for part in ("body", "query"):
            schema = route[part]
            if schema is not None and schema.__module__.startswith("services.gateway."):
                schemas[schema.__name__] = schema
    return schemas


def test_finding2_every_string_the_gateway_accepts_is_bounded():
    schemas = gateway_input_schemas()
    assert {"LoginRequest", "StaffCreate", "StaffUpdate", "StaffQuery"} <= set(schemas)
    problems = {name: _unbounded(schema) for name, schema in schemas.items()}
    assert {name: p for name, p in problems.items() if p} == {}

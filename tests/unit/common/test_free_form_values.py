"""The bounded free-form JSON field (issue 9, findings 2 and 9): custom fields, form
values and an event's data take any JSON value, within a size and a depth, and never a
NUL character (PostgreSQL refuses it: it must be an Invalid naming the field, not a 500)."""
import pytest
from marshmallow import Schema, ValidationError

from services.common.fields import Json


class Form(Schema):
    values = Json(max_length=100, max_depth=3)
    data = Json(object_only=True, load_default=dict)


def _error(value, name="values"):
    with pytest.raises(ValidationError) as caught:
        Form().load({name: value})
    return caught.value.messages[name]


def test_finding2_json_values_within_bounds_pass_as_they_came():
    value = {"a": [1, 2.5, True, None, "文字"], "b": {"c": "d"}}
    assert Form().load({"values": value}) == {"values": value, "data": {}}


def test_finding2_json_value_past_its_size_is_refused():
    """Issue 9 finding 2: text and values count towards one bound."""
    assert "at most 100" in _error("x" * 100)[0]
    assert "at most 100" in _error(list(range(101)))[0]
    assert "at most 100" in _error({"k" * 99: 1})[0]


def test_finding9_json_value_nested_too_deep_is_refused():
    """Issue 9 finding 9: deeply nested values are Invalid, not a recursion error."""
    deep: list = []
    for _ in range(100_000):
        deep = [deep]
    assert "deeper than 3" in _error([[[[]]]])[0]
    assert _error({"a": deep}, "data") == ["nested deeper than 8 levels"]


def test_finding9_nul_in_text_or_key_is_refused():
    """Issue 9 finding 9: a NUL character is refused naming the field."""
    assert _error({"a": "x\x00y"}) == ["contains a NUL character"]
    assert _error({"a\x00": 1}) == ["contains a NUL character"]


def test_finding2_only_json_and_objects_where_asked():
    assert _error(object()) == ["not a JSON value"]
    assert _error([1], "data") == ["not an object"]

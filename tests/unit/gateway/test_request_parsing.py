"""Hostile requests at the gateway (issue 9, finding 9): a NUL character anywhere and
deeply nested JSON are a 400 naming the field, before any service sees them (they were
a 502 from the service behind, or a 500 from a recursion error)."""
import json

import pytest
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from services.common.errors import Invalid
from services.gateway import http


def _request(body=b"", query=None, path_values=None) -> Request:
    environ = EnvironBuilder(method="POST", data=body, query_string=query,
                             content_type="application/json").get_environ()
    request = Request(environ)
    request.path_values = path_values or {}  # type: ignore[attr-defined]
    return request


def _invalid(fn, *args) -> Invalid:
    with pytest.raises(Invalid) as caught:
        fn(*args)
    return caught.value


@pytest.mark.parametrize("body,field", [
    ({"name": "a\u0000b"}, "name"),
    ({"contact": {"phones": ["138", "1\u00008"]}}, "contact.phones.1"),
    ({"a\u0000": 1}, "_body"),
])
def test_finding9_nul_in_the_json_body_is_a_400_naming_the_field(body, field):
    """Issue 9 finding 9: NUL in a value or a key."""
    error = _invalid(http.json_object, _request(json.dumps(body).encode()))
    assert field in error.fields
    assert "NUL" in error.message


@pytest.mark.parametrize("depth", [http.MAX_JSON_DEPTH + 1, 100_000])
def test_finding9_deeply_nested_json_is_a_400(depth):
    """Issue 9 finding 9: past the bound (and far past Python's recursion limit) the body
    is refused with a clear reason, not a RecursionError (500)."""
    body = ("[" * depth + "]" * depth).encode()
    error = _invalid(http.json_object, _request(b'{"a": ' + body + b"}"))
    assert "deeper than" in str(error.fields)


def test_finding9_json_within_the_bound_passes():
    depth = http.MAX_JSON_DEPTH - 1
    body = json.loads("[" * depth + "]" * depth)
    assert http.json_object(_request(json.dumps({"a": body}).encode())) == {"a": body}


def test_finding9_nan_is_not_json():
    """Issue 9 finding 9: NaN and Infinity are not JSON; no service should store them."""
    error = _invalid(http.json_object, _request(b'{"fee": NaN}'))
    assert error.fields == {"_body": ["not a JSON object"]}


@pytest.mark.parametrize("query,path_values,field", [
    ("text=a%00b", None, "text"),
    ("a%00=1", None, "_query"),
    ("", {"ticket_id": "1\x002"}, "ticket_id"),
])
def test_finding9_nul_in_the_query_or_the_path_is_a_400(query, path_values, field):
    """Issue 9 finding 9: the query string and path values are checked too."""
    error = _invalid(http.check_request, _request(query=query, path_values=path_values))
    assert field in error.fields


def test_finding9_nul_in_an_import_form_is_a_400():
    """Issue 9 finding 9: the import's file name and mapping are checked too."""
    environ = EnvironBuilder(method="POST", data=b"a,b\n1,2\n",
                             query_string="filename=x%00.csv").get_environ()
    error = _invalid(http.import_upload, Request(environ))
    assert "filename" in error.fields


@pytest.mark.parametrize("body,field", [
    (b'{"name": "\\ud800"}', "name"),
    (b'{"contact": {"notes": ["ok", "\\u5ba2\\udfff"]}}', "contact.notes.1"),
    (b'{"\\udc00": 1}', "_body"),
])
def test_s5_half_a_surrogate_pair_is_a_400_naming_the_field(body, field):
    """Found by the fuzzer (S5): JSON may escape half of a UTF-16 pair, which has no UTF-8
    form, so the database driver or the broker's encoder failed on it (500).  Chinese
    text around it is fine; the lone half is refused, naming the field."""
    error = _invalid(http.json_object, _request(body))
    assert field in error.fields
    assert "surrogate" in str(error.fields[field])


def test_s5_text_with_chinese_and_emoji_passes():
    body = {"name": "张三 😀", "notes": ["客户说空调不制冷"]}
    assert http.json_object(_request(json.dumps(body).encode())) == body

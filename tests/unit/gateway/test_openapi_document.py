"""The OpenAPI document the fuzzer (S5) and every client read must be valid and say what
the answers are: bounds are numbers, money is text, every refusal has its body."""
from marshmallow import fields

from services.gateway import openapi
from services.gateway.service import GatewayService  # noqa: F401 — registers the routes


def _walk(value, path=""):
    if isinstance(value, dict):
        yield path, value
        for key, inner in value.items():
            yield from _walk(inner, f"{path}/{key}")
    elif isinstance(value, list):
        for i, inner in enumerate(value):
            yield from _walk(inner, f"{path}/{i}")


def test_s5_every_bound_in_the_document_is_a_number():
    """Money bounds were written as text ("0.00"), which made the document invalid."""
    for path, node in _walk(openapi.build()):
        for bound in ("minimum", "maximum", "x-minimum", "x-maximum"):
            if bound in node:
                assert isinstance(node[bound], (int, float)), (path, bound, node[bound])


def test_s5_money_is_documented_as_the_text_it_is_answered_in():
    document = openapi.build()
    fee = document["components"]["schemas"]["TicketUpdate"]["properties"]["fee"]
    assert fee["type"] == "string" and fee["format"] == "decimal"
    assert "minimum" not in fee and fee["x-minimum"] == 0
    assert fields.Decimal(as_string=True).serialize("x", {"x": 1}) == "1"


def test_s5_every_operation_documents_its_refusals():
    for path, operations in openapi.build()["paths"].items():
        for method, operation in operations.items():
            if method == "parameters":
                continue
            assert "default" in operation["responses"], (method, path)
            assert "400" in operation["responses"], (method, path)

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


def test_issue10_creating_staff_is_documented_with_an_example_and_the_roles():
    """Issue 10 (11.4): the body of POST /api/v1/staff is learnt from the document, not
    the code: every field described with an example, the role names listed with what
    each is for, the clearance levels named."""
    from services.customer.contract.levels import LEVEL_NAMES
    from services.vocabulary import ROLES

    document = openapi.build()
    body = document["paths"]["/api/v1/staff"]["post"]["requestBody"]
    assert body["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/StaffCreate"}
    staff = document["components"]["schemas"]["StaffCreate"]
    fields_ = staff["properties"]
    assert set(fields_) == {"username", "display_name", "password", "roles", "groups",
                            "clearance"}
    for name, field in fields_.items():
        assert field.get("description"), name
        assert "example" in field, name
    example = {name: field["example"] for name, field in fields_.items()}
    from services.gateway.contract.staff import StaffCreate
    assert StaffCreate().load(example)["roles"] == example["roles"]  # the example is valid
    roles = fields_["roles"]
    assert roles["items"]["enum"] == list(ROLES)
    assert all(role in roles["description"] for role in ROLES)
    for level, name in LEVEL_NAMES.items():
        assert f"{level} {name}" in fields_["clearance"]["description"]

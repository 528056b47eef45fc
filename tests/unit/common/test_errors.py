"""Shared errors keep their class and fields across nameko's RPC serialisation."""
import pytest
from marshmallow import Schema, ValidationError, fields
from nameko.exceptions import deserialize, serialize

from services.common import errors


@pytest.mark.parametrize("cls", [errors.NotFound, errors.Invalid, errors.Forbidden,
                                 errors.Conflict, errors.Unavailable, errors.Unauthenticated,
                                 errors.DeadlineExceeded, errors.TooManyRequests])
def test_identity_survives_the_wire(cls):
    sent = cls("boom", {"name": ["required"]})
    received = deserialize(serialize(sent))
    assert type(received) is cls
    assert (received.message, received.fields) == ("boom", {"name": ["required"]})


def test_marshmallow_errors_name_each_field():
    class Nested(Schema):
        n = fields.Integer(required=True)

    class Body(Schema):
        name = fields.String(required=True)
        inner = fields.Nested(Nested, required=True)

    with pytest.raises(ValidationError) as caught:
        Body().load({"inner": {"n": "x"}})
    err = errors.invalid_from_marshmallow(caught.value)
    assert isinstance(err, errors.Invalid)
    assert set(err.fields) == {"name", "inner.n"}

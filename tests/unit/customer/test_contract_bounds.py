"""Issue 9, finding 2 (the customer service's part): every string that enters the
customer service is bounded at its schema.  The repo-wide walk over every input schema
is tests/unit/common/test_input_bounds.py (its `customer` case); here, what the customer
contract's own fields do with a long value: refuse it quickly, before splitting,
decoding or storing it."""
import base64
import time

import pytest
from marshmallow import ValidationError

from services.customer.contract import events, imports, records

LONG = "1" + " " * 200_000 + "x"


def quickly_refused(field, value) -> None:
    started = time.monotonic()
    with pytest.raises(ValidationError):
        field.deserialize(value)
    assert time.monotonic() - started < 0.2


def test_finding2_tags_of_a_query_string_are_bounded_before_splitting():
    field = imports.ExportQuery().fields["tags"]
    quickly_refused(field, "," * 2_000_000)
    quickly_refused(field, ["x"] * 2_000_000)
    assert field.deserialize("老客户，车主") == ["老客户", "车主"]


def test_finding2_a_file_is_bounded_before_decoding():
    quickly_refused(imports.Base64File(), "A" * (imports.MAX_FILE_BYTES * 2))
    assert imports.Base64File().deserialize(base64.b64encode(b"a,b").decode()) == b"a,b"


def test_finding2_the_column_mapping_is_bounded():
    schema = imports.ImportRequest()
    with pytest.raises(ValidationError) as caught:
        schema.load({"filename": "a.csv", "content": base64.b64encode(b"a").decode(),
                     "mapping": {f"c{i}": "name" for i in range(imports.MAX_COLUMNS + 1)}})
    assert "mapping" in caught.value.messages


def test_finding2_custom_field_values_are_bounded_as_a_whole():
    field = records.CustomerCreate().fields["custom"]
    quickly_refused(field, {"k": "x" * 100_000})
    quickly_refused(field, {f"k{i}": "x" for i in range(40_000)})
    quickly_refused(field, {"k": [["nested"]]})
    assert field.deserialize({"k": 1, "n": None, "t": "短"}) == {"k": 1, "n": None, "t": "短"}


def test_finding2_ids_of_consumed_events_are_bounded():
    with pytest.raises(ValidationError):
        events.TicketContact().load({"customer_id": LONG})

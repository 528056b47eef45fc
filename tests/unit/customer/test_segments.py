"""C9: the segment query as it arrives (HTTP query strings) and the keyset cursor."""
import datetime
import uuid

import pytest
from marshmallow import ValidationError

from services.common.errors import Invalid
from services.common.paging import decode_cursor, encode_cursor
from services.customer.contract.search import SegmentQuery


class TestSegmentQuery:
    def test_lists_arrive_comma_separated_or_as_lists(self):
        q = SegmentQuery().load({"lifecycle": "declining, lost", "level": "0,2",
                                 "tags_any": ["vip", "车主"]})
        assert q["lifecycle"] == ["declining", "lost"]
        assert q["level"] == [0, 2]
        assert q["tags_any"] == ["vip", "车主"]

    def test_defaults(self):
        q = SegmentQuery().load({})
        assert (q["limit"], q["count"]) == (100, False)

    def test_a_date_means_the_start_of_that_day_in_china(self):
        q = SegmentQuery().load({"created_after": "2026-01-01",
                                 "created_before": "2026-02-01T00:00:00+00:00"})
        assert q["created_after"].isoformat() == "2026-01-01T00:00:00+08:00"
        assert q["created_before"].tzinfo is not None

    @pytest.mark.parametrize("field, value", [
        ("lifecycle", "gone"), ("credit_class", "E"), ("level", "4"), ("kind", "robot"),
        ("limit", "1001"), ("limit", "0"), ("no_contact_months", "0"),
        ("created_after", "2026-01-01T00:00:00"), ("created_after", "yesterday"),
        ("count", "maybe"), ("unknown", "x"),
    ])
    def test_bad_values_are_named(self, field, value):
        with pytest.raises(ValidationError) as caught:
            SegmentQuery().load({field: value})
        assert field in caught.value.messages

    def test_an_empty_period_is_refused(self):
        with pytest.raises(ValidationError) as caught:
            SegmentQuery().load({"created_after": "2026-02-01", "created_before": "2026-01-01"})
        assert "created_before" in caught.value.messages


class TestCursor:
    def test_round_trip(self):
        at = datetime.datetime(2026, 11, 22, 1, 2, 3, 456789, tzinfo=datetime.UTC)
        cid = str(uuid.uuid4())
        cursor = encode_cursor(at, cid)
        assert "=" not in cursor and cid not in cursor
        assert decode_cursor(cursor) == (at, cid)

    def test_no_cursor_is_the_first_page(self):
        assert decode_cursor(None) is None and decode_cursor("") is None

    @pytest.mark.parametrize("cursor", ["garbage", "e30", "WyJ4IiwieSJd", "!!!!",
                                        "WyIyMDI2LTAxLTAxVDAwOjAwOjAwIiwieCJd"])
    def test_a_forged_cursor_is_invalid_naming_cursor(self, cursor):
        with pytest.raises(Invalid) as caught:
            decode_cursor(cursor)
        assert "cursor" in caught.value.fields

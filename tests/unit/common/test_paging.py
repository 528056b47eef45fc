"""One cursor format for every list (issue 8): (moment, id) by default, other sort keys
(the borrowing log's sequence number) in the same opaque form; anything else is a 400
naming the parameter."""
import datetime
import uuid

import pytest

from services.common.errors import Invalid
from services.common.paging import decode_cursor, encode_cursor, number
from services.customer.domain.access import log_cursor, next_log_cursor

AT = datetime.datetime(2026, 10, 1, 8, 30, tzinfo=datetime.UTC)


def test_a_moment_and_id_cursor_comes_back_as_it_went():
    row_id = uuid.uuid4()
    assert decode_cursor(encode_cursor(AT, row_id)) == (AT, str(row_id))


def test_a_sequence_cursor_uses_the_same_format():
    assert decode_cursor(encode_cursor(41), parts=(number,)) == (41,)
    assert log_cursor(next_log_cursor([{"seq": 7}, {"seq": 5}], 2)) == 5
    assert next_log_cursor([{"seq": 5}], 2) is None
    assert log_cursor(None) is None and log_cursor("") is None


@pytest.mark.parametrize("bad", ["5", "nonsense", 7, encode_cursor(AT, uuid.uuid4()),
                                 encode_cursor("5"), encode_cursor(True)])
def test_anything_else_is_refused_naming_the_parameter(bad):
    with pytest.raises(Invalid) as refused:
        log_cursor(bad)
    assert "before" in refused.value.fields


@pytest.mark.parametrize("bad", [encode_cursor(41), encode_cursor(AT), "e30", "x" * 30])
def test_a_moment_and_id_cursor_must_be_one(bad):
    with pytest.raises(Invalid) as refused:
        decode_cursor(bad, "after")
    assert "after" in refused.value.fields

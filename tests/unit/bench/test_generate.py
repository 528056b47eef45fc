"""The benchmark data set (issue #3): reproducible, valid as the services would store it."""
import json

import pytest

from bench import generate
from services.common import phones
from services.customer.domain.records import norm_code, pinyin_of

N = 1_000_000


@pytest.fixture(scope="module")
def chunk():
    return generate.generate_chunk(7, 3, N)


def rows(chunk, table):
    return [line.split("\t") for line in chunk[table].splitlines()]


def test_same_seed_same_rows_other_seed_other_rows(chunk):
    assert generate.generate_chunk(7, 3, N) == chunk
    assert generate.generate_chunk(8, 3, N)["customer"] != chunk["customer"]


def test_last_chunk_stops_at_n():
    data = generate.generate_chunk(7, 2, 2 * generate.CHUNK + 17)
    numbers = [r.split("\t")[1] for r in data["customer"].splitlines()]
    assert len(numbers) == 17
    assert numbers[-1] == f"KH{2 * generate.CHUNK + 17:08d}"


def test_customer_rows_match_the_columns_and_the_rules(chunk):
    columns = generate.COLUMNS["customer"]
    customers = rows(chunk, "customer")
    assert len(customers) == generate.CHUNK
    levels = {}
    for row in customers:
        c = dict(zip(columns, row, strict=True))
        assert c["number"].startswith("KH") and len(c["number"]) == 10
        assert (c["name_pinyin"], c["name_initials"]) == pinyin_of(c["name"])
        assert c["kind"] in ("person", "organization")
        assert c["lifecycle"] in ("potential", "normal", "declining", "lost")
        assert c["credit_class"] in ("A", "B", "C", "D", "\\N")
        level = int(c["level"])
        levels[level] = levels.get(level, 0) + 1
        if c["declassify_to"] != "\\N":
            assert int(c["declassify_to"]) < level
    assert levels[0] > 0.9 * len(customers) and {1, 2, 3} <= set(levels)
    assert len({r[0] for r in customers}) == len(customers)  # ids unique


def test_every_phone_is_valid_and_every_written_form_finds_it_again(chunk):
    owners: dict[tuple, set] = {}
    for i, (cid, e164, ext, _position) in enumerate(rows(chunk, "customer_phone")):
        owners.setdefault((e164, ext), set()).add(cid)
        assert phones.normalize(e164) == (e164, None)
        typed = generate.written_form(e164, ext or None, i)
        assert phones.normalize(typed) == (e164, ext or None), typed
    assert any(len(ids) > 1 for ids in owners.values())  # some numbers are shared
    assert any(ext for (_e164, ext) in owners)


def test_every_written_form_is_understood():
    for i in range(len(generate.MOBILE_FORMS)):
        assert phones.normalize(generate.written_form("+8613800138000", None, i)) == (
            "+8613800138000", None)
    for i in range(len(generate.LANDLINE_FORMS) * len(generate.EXT_FORMS)):
        assert phones.normalize(generate.written_form("+861062345678", "8", i)) == (
            "+861062345678", "8")
        assert phones.normalize(generate.written_form("+8675562345678", None, i)) == (
            "+8675562345678", None)


def test_archive_is_json_and_assets_are_normalised(chunk):
    for row in rows(chunk, "customer_archive"):
        for value in row[1:5] + row[6:]:
            json.loads(value)
    for row in rows(chunk, "customer_asset"):
        asset = dict(zip(generate.COLUMNS["customer_asset"], row, strict=True))
        assert norm_code(asset["serial"]) == asset["serial"]
        if asset["kind"] == "vehicle":
            assert norm_code(asset["plate"]) == asset["plate"]
            assert len(asset["plate"]) in (7, 8)
        assert asset["purchased_on"] < asset["warranty_end"]

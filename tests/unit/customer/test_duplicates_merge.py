"""C8: duplicate pairs and scores, and what a merge keeps (rules only, no I/O)."""
import datetime

import pytest

from services.common.errors import Invalid
from services.customer.domain.search import (
    check_merge_pair,
    duplicate_pairs,
    duplicate_score,
    fill_archive,
    fill_card,
    merged_classification,
    union_list,
    union_phones,
)

NOW = datetime.datetime(2026, 11, 22, 12, tzinfo=datetime.UTC)
LATER = NOW + datetime.timedelta(days=30)
LATEST = NOW + datetime.timedelta(days=60)
PAST = NOW - datetime.timedelta(days=1)


class TestDuplicatePairs:
    def test_rows_of_one_pair_become_one_pair_with_every_reason(self):
        rows = [
            {"newer": "b", "older": "a", "reason": "pinyin", "similarity": None, "phone": None},
            {"newer": "b", "older": "a", "reason": "phone", "similarity": None,
             "phone": "+8613912345678"},
            {"newer": "b", "older": "a", "reason": "name", "similarity": 0.8, "phone": None},
            {"newer": "c", "older": "a", "reason": "pinyin", "similarity": None, "phone": None},
        ]
        pairs = duplicate_pairs(rows)
        assert [(p["customer_id"], p["duplicate_id"]) for p in pairs] == [("a", "b"), ("a", "c")]
        assert pairs[0]["reasons"] == ["phone", "pinyin", "name"]
        assert pairs[0]["shared_phones"] == ["+8613912345678"]
        assert pairs[0]["name_similarity"] == 0.8
        assert pairs[0]["score"] > pairs[1]["score"]

    def test_score_grows_with_evidence_and_stays_below_one(self):
        one = duplicate_score(["pinyin"], None)
        two = duplicate_score(["pinyin", "phone"], None)
        three = duplicate_score(["pinyin", "phone", "name"], 1.0)
        assert 0 < one < two < three < 1

    def test_a_more_similar_name_scores_higher(self):
        assert duplicate_score(["name"], 0.9) > duplicate_score(["name"], 0.5)


class TestMergeRules:
    def test_phones_are_united_without_repeating_a_number(self):
        a = [{"e164": "+8613900000001", "ext": None}]
        b = [{"e164": "+8613900000001", "ext": None}, {"e164": "+861012345678", "ext": "8"},
             {"e164": "+8613900000002", "ext": None}]
        assert union_phones(a, b) == [a[0], b[1], b[2]]

    def test_emails_and_tags_keep_the_survivors_order_first(self):
        assert union_list(["x", "y"], ["y", "z"]) == ["x", "y", "z"]

    def test_archive_fields_of_the_merged_customer_fill_only_empty_ones(self):
        survivor = {"profile": {"gender": "male", "occupation": ""}, "credit": {},
                    "key_people": [], "addresses": [{"text": "A 路 1 号"}], "notes": "",
                    "custom": {"vin_seen": True}}
        merged = {"profile": {"gender": "female", "occupation": "教师", "education": "本科"},
                  "credit": {"limit": "1000.00"}, "key_people": [{"name": "李四"}],
                  "addresses": [{"text": "B 路 2 号"}], "notes": "老客户",
                  "custom": {"vin_seen": False, "source": "展会"}}
        assert fill_archive(survivor, merged) == {
            "profile": {"gender": "male", "occupation": "教师", "education": "本科"},
            "credit": {"limit": "1000.00"},
            "key_people": [{"name": "李四"}],
            "notes": "老客户",
            "custom": {"vin_seen": True, "source": "展会"},
        }

    def test_nothing_to_fill_changes_nothing(self):
        full = {"profile": {"gender": "male"}, "credit": {}, "key_people": [], "addresses": [],
                "notes": "x", "custom": {}}
        assert fill_archive(full, {"profile": {}, "credit": {}, "key_people": [],
                                   "addresses": [], "notes": "", "custom": {}}) == {}

    def test_card_fields_fill_empty_ones_and_tags_unite(self):
        survivor = {"credit_class": None, "region": "", "tags": ["vip"]}
        merged = {"credit_class": "B", "region": "广东省", "tags": ["车主", "vip"]}
        assert fill_card(survivor, merged) == {"credit_class": "B", "region": "广东省",
                                               "tags": ["vip", "车主"]}
        assert fill_card({"credit_class": "A", "region": "北京", "tags": ["vip"]}, merged) == {
            "tags": ["vip", "车主"]}

    def test_a_customer_is_not_merged_into_itself(self):
        with pytest.raises(Invalid) as caught:
            check_merge_pair("a", "a")
        assert "merge_id" in caught.value.fields


def _c(level, at=None, to=None, effective=None):
    return {"level": level, "declassify_at": at, "declassify_to": to,
            "effective_level": level if effective is None else effective}


class TestMergedClassification:
    """C4 holds through a merge: the survivor is never less protected than either record."""

    def test_an_ordinary_pair_stays_ordinary(self):
        assert merged_classification(_c(0), _c(0), NOW) == {}

    def test_a_higher_merged_record_raises_the_survivor(self):
        assert merged_classification(_c(0), _c(2), NOW) == {
            "level": 2, "declassify_at": None, "declassify_to": None}

    def test_a_higher_survivor_keeps_its_level(self):
        assert merged_classification(_c(2), _c(1), NOW) == {}

    def test_the_merged_records_schedule_is_kept_when_it_alone_is_classified(self):
        assert merged_classification(_c(0), _c(2, LATER, 0), NOW) == {
            "level": 2, "declassify_at": LATER, "declassify_to": 0}

    def test_the_survivors_schedule_cannot_drop_below_the_merged_records_level(self):
        assert merged_classification(_c(2, LATER, 0), _c(1), NOW) == {
            "level": 2, "declassify_at": LATER, "declassify_to": 1}

    def test_two_schedules_end_at_the_later_date(self):
        assert merged_classification(_c(2, LATER, 0), _c(3, LATEST, 1), NOW) == {
            "level": 3, "declassify_at": LATEST, "declassify_to": 1}

    def test_a_passed_declassification_counts_as_done(self):
        assert merged_classification(_c(0), _c(2, PAST, 1, effective=1), NOW) == {
            "level": 1, "declassify_at": None, "declassify_to": None}

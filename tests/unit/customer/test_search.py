"""Fuzzy search: how a typed query is read (name, pinyin, phone, number)."""
import pytest

from services.common.errors import Invalid
from services.customer.contract.search import SearchQuery
from services.customer.domain.search import phone_runs, plan_search
from services.customer.store.search import like_escape


class TestPlanSearch:
    @pytest.mark.parametrize("typed", ["张三", " 张 三 ", "张"])
    def test_chinese_characters_are_a_name_with_its_pinyin(self, typed):
        plan = plan_search(typed)
        assert plan.kind == "name"
        assert plan.text == typed.replace(" ", "")
        assert plan.pinyin == {"张三": "zhangsan", "张": "zhang"}[plan.text]

    @pytest.mark.parametrize("typed, letters", [("zhangsan", "zhangsan"), ("ZS", "zs"),
                                                ("Zhang San", "zhangsan"), ("zhang'an", "zhangan")])
    def test_latin_letters_are_pinyin_or_initials(self, typed, letters):
        plan = plan_search(typed)
        assert (plan.kind, plan.pinyin) == ("pinyin", letters)

    @pytest.mark.parametrize("typed, runs", [
        ("5678", ("5678",)),
        ("139 1234", ("1391234",)),
        ("138-0013-8000", ("13800138000",)),
        ("+86 138 0013", ("861380013",)),
        ("0086 138 0013 8000", ("008613800138000", "8613800138000")),
        ("010-1234567", ("0101234567", "101234567")),
        ("(010)12345678", ("01012345678", "1012345678")),
    ])
    def test_digits_are_part_of_a_phone_number(self, typed, runs):
        plan = plan_search(typed)
        assert (plan.kind, plan.digits) == ("phone", runs)

    @pytest.mark.parametrize("typed", ["123", "1-2-3", "  12 "])
    def test_fewer_than_four_digits_is_refused_naming_q(self, typed):
        with pytest.raises(Invalid) as caught:
            plan_search(typed)
        assert "q" in caught.value.fields

    @pytest.mark.parametrize("typed, prefix", [("KH0000123", "KH0000123"), ("kh00001", "KH00001")])
    def test_letters_then_digits_are_a_customer_number_prefix(self, typed, prefix):
        plan = plan_search(typed)
        assert (plan.kind, plan.number) == ("number", prefix)

    @pytest.mark.parametrize("typed", ["", "   ", "%%%", "__", "---"])
    def test_nothing_searchable_is_invalid(self, typed):
        with pytest.raises(Invalid) as caught:
            plan_search(typed)
        assert "q" in caught.value.fields


def test_like_wildcards_typed_by_a_user_are_literal():
    assert like_escape("50%_off\\") == "50\\%\\_off\\\\"


def test_a_short_leading_zero_run_is_not_taken_for_a_trunk_prefix():
    assert phone_runs("0123") == ("0123",)


class TestSearchQuerySchema:
    def test_limit_defaults_and_is_bounded(self):
        assert SearchQuery().load({"q": "张"})["limit"] == 20
        with pytest.raises(Exception) as caught:
            SearchQuery().load({"q": "张", "limit": 1000})
        assert "limit" in caught.value.messages

    def test_q_is_required_and_bounded(self):
        with pytest.raises(Exception) as caught:
            SearchQuery().load({"q": "x" * 101})
        assert "q" in caught.value.messages

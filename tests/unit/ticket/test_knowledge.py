"""T9 knowledge base: Chinese words, visibility, versions' change detection, cursors,
and the request schemas (no broker, no database)."""
import datetime
import uuid

import pytest
from marshmallow import ValidationError

from services.common.identity import Principal
from services.ticket.contract import EDITORS
from services.ticket.contract import knowledge as contract
from services.ticket.domain import knowledge as domain
from services.ticket.domain import pages


def principal(*roles):
    return Principal(id="s1", username="s1", roles=frozenset(roles), groups=frozenset(),
                     clearance=0)


class TestChineseWords:
    def test_index_words_hold_the_words_and_the_shorter_words_inside(self):
        words = domain.index_words("洗衣机漏水了，保修期内免费维修吗？").split()
        assert {"洗衣机", "洗衣", "漏水", "保修期", "保修", "维修"} <= set(words)
        assert "，" not in words and "？" not in words

    def test_query_words_drop_stopwords_repeats_and_punctuation(self):
        words = domain.query_words("客户说空调不制冷怎么办？空调外机不转")
        assert words[:2] == ["空调", "制冷"]
        assert words.count("空调") == 1
        assert not {"怎么办", "客户", "说", "？", "不"} & set(words)

    def test_latin_model_numbers_and_codes_are_words_in_lower_case(self):
        assert "e1" in domain.query_words("空调显示E1")

    def test_tsquery_quotes_each_word_as_a_prefix(self):
        assert domain.tsquery(["空调", "制冷"]) == "'空调':* | '制冷':*"
        assert domain.tsquery(["空调", "制冷"], match_all=True) == "'空调':* & '制冷':*"
        assert domain.tsquery(["it's"]) == "'it''s':*"

    def test_a_query_of_only_stopwords_has_no_words(self):
        assert domain.query_words("怎么办？请问一下") == []


class TestVisibility:
    @pytest.mark.parametrize("role", ["supervisor", "manager", "general_manager", "admin"])
    def test_editors_see_drafts_and_archived(self, role):
        editor = domain.can_edit(principal(role), EDITORS)
        assert editor
        assert set(domain.visible_statuses(editor)) == {"draft", "published", "archived"}

    @pytest.mark.parametrize("role", ["agent", "auditor", "field"])
    def test_everyone_else_sees_published_only(self, role):
        editor = domain.can_edit(principal(role), EDITORS)
        assert not editor
        assert domain.visible_statuses(editor) == ("published",)


class TestVersions:
    CURRENT = {"title": "空调不制冷", "body": "先看模式", "tags": ["空调"],
               "category_id": uuid.UUID("00000000-0000-0000-0000-000000000001"),
               "status": "draft"}

    def test_only_changed_fields_count(self):
        patch = {"title": "空调不制冷", "body": "先看遥控器模式", "base_version": 3,
                 "category_id": "00000000-0000-0000-0000-000000000001"}
        assert domain.changes(self.CURRENT, patch) == {"body": "先看遥控器模式"}

    def test_an_edit_that_changes_nothing_is_no_change(self):
        assert domain.changes(self.CURRENT, {"title": "空调不制冷", "tags": ["空调"]}) == {}

    def test_clearing_a_category_is_a_change(self):
        assert domain.changes(self.CURRENT, {"category_id": None}) == {"category_id": None}


class TestCursorsAndDays:
    def test_cursor_round_trip(self):
        at = datetime.datetime(2026, 11, 22, 8, 30, tzinfo=datetime.UTC)
        ident = str(uuid.uuid4())
        text = pages.cursor_after({"updated_at": at, "id": ident}, "updated_at")
        assert domain.parse_cursor(text) == (at, ident)
        assert pages.cursor_after(None, "updated_at") is None

    @pytest.mark.parametrize("bad", ["x", "2026-11-22T08:30:00|nope", "2026-11-22T08:30:00|"
                                     + str(uuid.uuid4())])
    def test_a_foreign_cursor_is_refused(self, bad):
        with pytest.raises(ValueError):
            domain.parse_cursor(bad)

    def test_asked_day_is_the_day_in_shanghai(self):
        late = datetime.datetime(2026, 11, 22, 16, 30, tzinfo=datetime.UTC)
        assert domain.asked_day(late) == datetime.date(2026, 11, 23)


class TestSchemas:
    def test_article_needs_a_title_and_a_known_status(self):
        with pytest.raises(ValidationError) as err:
            contract.KbArticleIn().load({"body": "x", "status": "live"})
        assert set(err.value.messages) == {"title", "status"}

    def test_an_empty_patch_is_refused(self):
        with pytest.raises(ValidationError) as err:
            contract.KbArticlePatch().load({"base_version": 2})
        assert "_body" in err.value.messages

    def test_ranking_range_must_be_ordered_and_at_most_a_year(self):
        with pytest.raises(ValidationError) as err:
            contract.KbRankingQuery().load({"from": "2026-11-22", "to": "2026-11-01"})
        assert "to" in err.value.messages
        with pytest.raises(ValidationError):
            contract.KbRankingQuery().load({"from": "2025-01-01", "to": "2026-11-01"})
        q = contract.KbRankingQuery().load({"from": "2026-11-01", "to": "2026-11-22"})
        assert q["from_"] == datetime.date(2026, 11, 1)

    def test_suggest_limit_is_bounded(self):
        with pytest.raises(ValidationError) as err:
            contract.KbSuggestQuery().load({"text": "空调", "limit": 500})
        assert "limit" in err.value.messages


class TestBoundedSearch:
    def test_the_rarest_words_select_within_the_budget(self):
        counts = {"空调": 1200, "制冷": 300, "维修": 9000, "外机": 40}
        assert domain.selective_words(["空调", "制冷", "维修", "外机"], counts, budget=1500) == [
            "外机", "制冷"]

    def test_the_rarest_word_selects_even_past_the_budget(self):
        assert domain.selective_words(["维修", "保修"], {"维修": 9000, "保修": 7000},
                                      budget=1500) == ["保修"]

    def test_words_in_no_article_select_nothing(self):
        assert domain.selective_words(["量子"], {"量子": 0}) == []

    def test_an_edit_counts_added_and_removed_words_once_each(self):
        assert domain.word_changes(["空调", "制冷", "空调"], ["空调", "漏水"]) == (
            ["漏水"], ["制冷"])

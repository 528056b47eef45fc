"""V3: questionnaire versions — what their questions may be, that a published one never
changes, and that answers are checked against the version, every wrong one named
`answers.<key>`."""
import pytest
from marshmallow import ValidationError

from services.common.errors import Conflict, Invalid
from services.survey.contract.answers import AgentAnswersIn
from services.survey.contract.questionnaires import QuestionnaireIn
from services.survey.domain import questionnaires as q

QUESTIONS = [
    {"key": "overall", "kind": "scale", "text": "总体满意度", "required": True, "csat": True},
    {"key": "recommend", "kind": "nps", "text": "您向朋友推荐的可能性", "required": False},
    {"key": "channel", "kind": "single", "text": "您从哪里知道我们",
     "options": ["电视", "朋友", "网络"], "required": True},
    {"key": "liked", "kind": "multiple", "text": "您满意哪些方面",
     "options": ["速度", "态度", "质量"]},
    {"key": "comment", "kind": "text", "text": "其他意见", "max_length": 20},
]


def checked():
    return q.check_questions(QuestionnaireIn().load(
        {"name": "after_repair", "title": "维修回访", "questions": QUESTIONS})["questions"])


def refusal(call, *args) -> dict:
    with pytest.raises(Invalid) as caught:
        call(*args)
    return caught.value.fields


class TestQuestions:
    def test_v3_every_kind_is_kept_with_its_settings(self):
        questions = checked()
        assert [x["kind"] for x in questions] == ["scale", "nps", "single", "multiple", "text"]
        assert questions[0]["csat"] and not questions[1]["csat"]
        assert questions[4]["max_length"] == 20 and questions[0]["max_length"] is None
        text = q.check_questions([{"key": "t", "kind": "text", "text": "意见"}])
        assert text[0]["max_length"] == q.DEFAULT_TEXT_LENGTH

    @pytest.mark.parametrize(("change", "field"), [
        ({"options": ["只有一个"]}, "questions.2.options"),
        ({"options": ["同", "同"]}, "questions.2.options"),
        ({"kind": "text"}, "questions.2.options"),
        ({"key": "overall"}, "questions.2.key"),
        ({"csat": True}, "questions.2.csat"),
        ({"max_length": 10}, "questions.2.max_length"),
    ])
    def test_v3_questions_that_do_not_fit_are_invalid_naming_the_field(self, change, field):
        questions = [dict(x) for x in QUESTIONS]
        questions[2] = {**questions[2], **change}
        assert field in refusal(q.check_questions, questions)

    def test_v3_one_csat_and_one_nps_question_at_most(self):
        two_csat = [dict(x) for x in QUESTIONS] + [
            {"key": "again", "kind": "scale", "text": "再评", "csat": True}]
        assert "questions.5.csat" in refusal(q.check_questions, two_csat)
        two_nps = [dict(x) for x in QUESTIONS] + [
            {"key": "again", "kind": "nps", "text": "再评"}]
        assert "questions.5.kind" in refusal(q.check_questions, two_nps)

    def test_v3_options_are_bounded_in_count_and_length(self):
        schema = QuestionnaireIn()
        many = {**QUESTIONS[2], "options": [f"选项{i}" for i in range(21)]}
        long = {**QUESTIONS[2], "options": ["长" * 101, "短"]}
        for question in (many, long):
            with pytest.raises(ValidationError):
                schema.load({"name": "x", "title": "x", "questions": [question]})


class TestImmutability:
    def test_v3_a_published_version_cannot_change_a_draft_can(self):
        draft = {"name": "after_repair", "version": 2, "status": "draft"}
        q.editable(draft)  # no refusal
        with pytest.raises(Conflict) as caught:
            q.editable({**draft, "status": "published"})
        assert "questionnaire_id" in caught.value.fields

    def test_v3_only_a_published_version_takes_answers(self):
        q.answerable({"status": "published"})
        assert "questionnaire_id" in refusal(q.answerable, {"status": "draft"})


class TestAnswers:
    def test_v3_right_answers_are_kept_free_text_apart_with_the_scores(self):
        out = q.check_answers(checked(), {
            "overall": 4, "recommend": 9, "channel": "朋友", "liked": ["质量", "速度"],
            "comment": "  师傅很准时  "})
        assert out["values"] == {"overall": 4, "recommend": 9, "channel": "朋友",
                                 "liked": ["速度", "质量"]}
        assert out["texts"] == {"comment": "师傅很准时"}
        assert (out["csat_score"], out["nps_score"], out["level"]) == (4, 9, "satisfied")

    def test_v3_questions_not_required_may_be_left_out(self):
        out = q.check_answers(checked(), {"overall": 1, "channel": "电视", "liked": [],
                                          "comment": "   "})
        assert out["nps_score"] is None and out["texts"] == {}
        assert out["level"] == "very_dissatisfied"

    @pytest.mark.parametrize(("answers", "wrong"), [
        ({"channel": "电视"}, "answers.overall"),                 # required, missing
        ({"overall": None, "channel": "电视"}, "answers.overall"),
        ({"overall": 6, "channel": "电视"}, "answers.overall"),    # scale 1–5
        ({"overall": 0, "channel": "电视"}, "answers.overall"),
        ({"overall": True, "channel": "电视"}, "answers.overall"),  # not a number
        ({"overall": 4.5, "channel": "电视"}, "answers.overall"),
        ({"overall": "4", "channel": "电视"}, "answers.overall"),
        ({"overall": 3, "recommend": 11, "channel": "电视"}, "answers.recommend"),
        ({"overall": 3, "recommend": -1, "channel": "电视"}, "answers.recommend"),
        ({"overall": 3, "channel": "报纸"}, "answers.channel"),     # not an option
        ({"overall": 3, "channel": ["电视"]}, "answers.channel"),
        ({"overall": 3, "channel": "电视", "liked": ["速度", "价格"]}, "answers.liked"),
        ({"overall": 3, "channel": "电视", "liked": ["速度", "速度"]}, "answers.liked"),
        ({"overall": 3, "channel": "电视", "liked": "速度"}, "answers.liked"),
        ({"overall": 3, "channel": "电视", "comment": "太" * 21}, "answers.comment"),
        ({"overall": 3, "channel": "电视", "comment": 5}, "answers.comment"),
        ({"overall": 3, "channel": "电视", "nosuch": 1}, "answers.nosuch"),
    ])
    def test_v3_a_wrong_answer_is_invalid_naming_its_question(self, answers, wrong):
        assert list(refusal(q.check_answers, checked(), answers)) == [wrong]

    def test_v3_every_wrong_answer_is_named_at_once(self):
        fields = refusal(q.check_answers, checked(), {"overall": 9, "channel": "报纸"})
        assert set(fields) == {"answers.overall", "answers.channel"}

    def test_v3_answer_values_are_bounded_at_the_schema(self):
        schema = AgentAnswersIn()
        base = {"questionnaire_id": "5d1c7c2e-7f0a-4b8e-9a55-3f1c2b0e9d11"}
        with pytest.raises(ValidationError):
            schema.load({**base, "answers": {"comment": "长" * 3000}})
        with pytest.raises(ValidationError):
            schema.load({**base, "answers": {f"k{i}": 1 for i in range(51)}})
        with pytest.raises(ValidationError):
            schema.load({**base, "answers": {"x" * 33: 1}})

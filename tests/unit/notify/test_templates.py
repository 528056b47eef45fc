"""N2: templates — variables declared and checked, a sandbox with no way out, SMS length."""
import pytest

from services.common.errors import Invalid
from services.notify.domain import templates as t


def refusal(call, *args) -> dict:
    with pytest.raises(Invalid) as caught:
        call(*args)
    return caught.value.fields


def test_n2_a_template_uses_exactly_the_variables_it_declares():
    t.check_template("{{ name }}您好，{% if window %}预约{{ window }}{% endif %}", "",
                     ["name", "window"])
    assert "body" in refusal(t.check_template, "{{ name }} {{ serial }}", "", ["name"])
    assert "variables" in refusal(t.check_template, "{{ name }}", "", ["name", "serial"])
    assert "variables" in refusal(t.check_template, "{{ name }}", "", ["name", "name"])
    assert "variables" in refusal(t.check_template, "{{ Name }}", "", ["Name"])
    assert "subject" in refusal(t.check_template, "x", "{{ serial", [])


@pytest.mark.parametrize("body", [
    "{{ a.__class__ }}", "{{ a['x'] }}", "{{ a.upper() }}", "{% for i in a %}{% endfor %}",
    "{{ 'x' * 1000000000 }}", "{{ a|center(1000000000) }}", "{% set b = a %}{{ b }}",
    "{{ a ~ a }}", "{{ range(10) }}", "{% include 'x' %}{{ a }}", "{{ lipsum() }}",
    "{% macro m() %}{% endmacro %}{{ a }}",
])
def test_n2_anything_but_variables_and_if_is_refused_when_saved(body):
    fields = refusal(t.check_template, body, "", ["a"])
    assert list(fields) == ["body"]


def test_n2_a_send_gives_every_declared_variable_and_no_other():
    assert t.check_params({"name": "张三", "n": 3}, ["name", "n"]) == {"name": "张三", "n": "3"}
    assert list(refusal(t.check_params, {"name": "x"}, ["name", "serial"])) == ["params.serial"]
    assert list(refusal(t.check_params, {"name": "x", "age": 1}, ["name"])) == ["params.age"]
    assert list(refusal(t.check_params, {"name": {"a": 1}}, ["name"])) == ["params.name"]
    assert list(refusal(t.check_params, {"name": True}, ["name"])) == ["params.name"]
    assert list(refusal(t.check_params, {"name": "x" * 501}, ["name"])) == ["params.name"]


def test_n2_rendering_fills_values_as_text_not_markup():
    out = t.render("您好{{ name }}{% if vip %}，尊贵的会员{% endif %}",
                   {"name": "{{ 7*7 }}<b>", "vip": ""}, ["name", "vip"])
    assert out == "您好{{ 7*7 }}<b>"


def test_n2_sms_length_counts_the_sign_and_parts_70_then_67_with_chinese():
    assert t.sms_length("好" * 66, "客服") == {"characters": 70, "parts": 1, "per_part": 70}
    assert t.sms_length("好" * 67, "客服") == {"characters": 71, "parts": 2, "per_part": 67}
    assert t.sms_length("好" * 130, "客服")["parts"] == 2   # 134 = 2 × 67
    assert t.sms_length("好" * 131, "客服")["parts"] == 3
    assert t.sms_length("a" * 160) == {"characters": 160, "parts": 1, "per_part": 160}
    assert t.sms_length("a" * 161)["parts"] == 2


def test_n2_variables_filled_from_the_customer_are_not_asked_of_a_bulk_request():
    assert t.requested(["name", "holiday"], to_customers=True) == ["holiday"]
    assert t.requested(["name", "holiday"], to_customers=False) == ["name", "holiday"]


@pytest.mark.parametrize("text", [
    "{{ " + "(" * 70 + "a" + ")" * 70 + " }}",           # the parser recursed to the limit
    "{% if a %}" * 99 + "x" + "{% endif %}" * 99,        # compiling it failed to indent
])
def test_a_template_nested_too_deeply_is_refused_by_field_not_a_crash(text):
    with pytest.raises(Invalid) as refused:
        t.check_template(text, "", ["a"])
    assert "nested too deeply" in refused.value.fields["body"][0]


def test_a_few_ifs_in_one_another_are_fine():
    text = "{% if a %}{% if b %}{% if not c %}{{ a }}{% endif %}{% endif %}{% endif %}"
    t.check_template(text, "", ["a", "b", "c"])
    assert t.render(text, {"a": "甲", "b": "1", "c": ""}, ["a", "b", "c"]) == "甲"

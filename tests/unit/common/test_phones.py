"""C3: a caller's phone typed any common way is the same E.164 number."""
import pytest

from services.common import phones


class TestNormalize:
    @pytest.mark.parametrize("typed", [
        "+86 138 0013 8000", "13800138000", "0086-138-0013-8000", "86 138 0013 8000",
        "+86-138-0013-8000", "138 0013 8000", "(+86)13800138000",
    ])
    def test_mobile_forms_agree(self, typed):
        assert phones.normalize(typed) == ("+8613800138000", None)

    @pytest.mark.parametrize("typed,ext", [
        ("010-12345678", None), ("(010)12345678 ext 8", "8"), ("010-12345678转8", "8"),
        ("010 1234 5678 x 123", "123"),
    ])
    def test_landline_with_area_code_and_extension(self, typed, ext):
        assert phones.normalize(typed) == ("+861012345678", ext)

    @pytest.mark.parametrize("typed", ["", "   ", "abc", "12345", "1380013800012345"])
    def test_not_a_number_is_refused(self, typed):
        with pytest.raises(phones.BadPhone):
            phones.normalize(typed)


def test_mask_middle_hides_four_digits():
    assert phones.mask_middle("+8613800138000") == "138****8000"


# -- finding 2 (issue 9): a phone field must not freeze the only eventlet thread ---------
def _seconds(fn, *args) -> float:
    import time
    started = time.perf_counter()
    try:
        fn(*args)
    except phones.BadPhone:
        pass
    return time.perf_counter() - started


@pytest.mark.parametrize("hostile", [
    " " * 20_000 + "x",           # a whitespace run before no extension
    "1" + " " * 20_000 + "ext",   # a marker after the run, no digits
    "x" + " " * 20_000 + "a",     # a marker, the run, no digits at the end
    ("x " * 10_000) + "a",        # many markers
])
def test_finding2_extension_pattern_is_linear_on_whitespace_runs(hostile):
    """Issue 9 finding 2 (ReDoS): splitting off an extension takes linear time whatever
    the text (the pattern's `\\s*` tried from every position of a run was quadratic)."""
    assert _seconds(phones.split_extension, hostile) < 0.05


def test_finding2_normalize_refuses_long_text_at_once():
    """Issue 9 finding 2: a number longer than any written phone is refused before parsing."""
    with pytest.raises(phones.BadPhone, match="at most"):
        phones.normalize("1" * 20 + " " * 40_000 + "x")
    assert _seconds(phones.normalize, " " * 40_000 + "x1") < 0.05


def test_finding2_phone_field_bounds_its_length_and_names_the_field():
    """Issue 9 finding 2: the contract field refuses text past its bound, naming the field."""
    from marshmallow import Schema, ValidationError

    from services.common.fields import PhoneNumber

    class Contact(Schema):
        phone = PhoneNumber()

    with pytest.raises(ValidationError) as caught:
        Contact().load({"phone": "138 0013 8000" + " " * 20_000 + "x"})
    assert "phone" in caught.value.messages
    assert "at most" in str(caught.value.messages["phone"])
    assert PhoneNumber.max_length == phones.MAX_LENGTH
    assert Contact().load({"phone": "(010)12345678 ext 8"})["phone"] == {
        "e164": "+861012345678", "ext": "8"}

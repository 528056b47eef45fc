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


class TestNearRegionsTypedWithoutPlus:
    """Issue 10 (11.6): mainland agents type Hong Kong, Macao and Taiwan numbers with the
    calling code but without + or 00."""

    @pytest.mark.parametrize("typed,e164", [
        ("852 9123 4567", "+85291234567"), ("85291234567", "+85291234567"),
        ("852-2123-4567", "+85221234567"), ("853 6612 3456", "+85366123456"),
        ("886 912 345 678", "+886912345678"), ("886 2 2345 6789", "+886223456789"),
        ("+852 9123 4567", "+85291234567"), ("00852 9123 4567", "+85291234567"),
    ])
    def test_calling_code_without_plus_is_that_regions_number(self, typed, e164):
        assert phones.normalize(typed) == (e164, None)

    def test_the_extension_is_kept(self):
        assert phones.normalize("852 2123 4567 ext 12") == ("+85221234567", "12")

    @pytest.mark.parametrize("typed", ["0886-3621234", "8863621234"])
    def test_a_valid_mainland_number_stays_mainland(self, typed):
        """0886 is Nujiang's area code: a number valid on the mainland is not re-read."""
        assert phones.normalize(typed) == ("+868863621234", None)

    @pytest.mark.parametrize("typed", ["852 1234 567", "85212345678", "853 9123 4567",
                                       "887 912 345 678", "852"])
    def test_not_valid_for_that_region_is_still_refused(self, typed):
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

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

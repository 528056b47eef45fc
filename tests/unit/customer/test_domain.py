"""C1/C3: customer numbers, phones kept once, masked presentation."""
from services.customer import domain


def test_customer_number_is_readable_and_padded():
    assert domain.customer_number(42) == "KH00000042"


def test_same_number_typed_twice_is_kept_once_in_order():
    phones = [{"e164": "+8613800138000", "ext": None}, {"e164": "+861012345678", "ext": "8"},
              {"e164": "+8613800138000", "ext": None}]
    assert domain.unique_phones(phones) == phones[:2]


def test_present_masks_every_phone():
    shown = domain.present({"id": "x"}, [{"e164": "+8613800138000", "ext": ""}])
    assert shown["phones"] == [{"e164": "+8613800138000", "ext": None, "masked": "138****8000"}]

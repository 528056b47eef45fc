"""C1/C3: customer numbers, phones kept once, pinyin, codes, masked card."""
import datetime

from services.customer.domain import records


def test_customer_number_is_readable_and_padded():
    assert records.customer_number(42) == "KH00000042"


def test_same_number_typed_twice_is_kept_once_in_order():
    phones = [{"e164": "+8613800138000", "ext": None}, {"e164": "+861012345678", "ext": "8"},
              {"e164": "+8613800138000", "ext": None}]
    assert records.unique_phones(phones) == phones[:2]


def test_card_masks_every_phone_and_withholds_the_archive():
    card = records.present_card({"id": "x", "level": 0, "effective_level": 0},
                                [{"e164": "+8613800138000", "ext": ""}], [],
                                datetime.date(2026, 1, 1))
    assert card["phones"] == [{"masked": "138****8000", "ext": None}]
    assert card["archive"] is None
    assert "e164" not in str(card)


def test_pinyin_of_chinese_name_gives_full_and_initials():
    assert records.pinyin_of("张三") == ("zhangsan", "zs")
    assert records.pinyin_of("欧阳 娜娜") == ("ouyangnana", "oynn")
    assert records.pinyin_of("Li Lei") == ("lilei", "ll")


def test_plates_and_serials_are_compared_without_separators():
    assert records.norm_code(" 京a-123 45 ") == "京A12345"
    assert records.norm_code("sn-0001") == "SN0001"
    assert records.norm_code(" - ") is None


def test_warranty_ends_on_its_last_day():
    end = datetime.date(2026, 5, 1)
    assert records.in_warranty(end, datetime.date(2026, 5, 1))
    assert not records.in_warranty(end, datetime.date(2026, 5, 2))
    assert not records.in_warranty(None, datetime.date(2026, 5, 2))

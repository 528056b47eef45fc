"""Phone numbers as callers type them, normalised to E.164 (mainland China by default).

Accepts `+86 138 0013 8000`, `13800138000`, `0086-138...`, `86 138...`,
`010-12345678`, `(010)12345678 ext 8`, `010-12345678转8`, and a Hong Kong, Macao or
Taiwan number written with its calling code but no + (`852 9123 4567`, as mainland
agents type them) when it is no valid mainland number (`0886-3621234` is Nujiang's).

Hostile text costs linear time (issue 9, finding 2): a number longer than MAX_LENGTH is
refused before any pattern runs, and the extension pattern never backtracks over a run
of whitespace (it starts at the marker, not at the spaces before it, and its quantifiers
are possessive).
"""
import re

import phonenumbers

DEFAULT_REGION = "CN"
MAX_LENGTH = 64
"""No written phone number, extension included, is longer (`+86 (010) 1234-5678 分机 123456`
is 30); the contract field refuses longer text (services.common.fields.PhoneNumber)."""
# Anchored at the end of stripped text; `*+` gives nothing back, so a failing match
# costs the length of the run after a marker once, never a run from each of its positions.
_EXT = re.compile(r"(?:ext\.?|x|转|分机)\s*+(\d{1,6})$", re.IGNORECASE)
# Calling codes typed without + or 00, and the region a number after them must be valid
# for: Hong Kong, Macao, Taiwan.
NEAR_REGIONS = {"852": "HK", "853": "MO", "886": "TW"}


class BadPhone(ValueError):
    pass


def normalize(raw: str, region: str = DEFAULT_REGION) -> tuple[str, str | None]:
    """Return (E.164 number, extension or None); raise BadPhone when not a real number."""
    if not isinstance(raw, str) or not raw.strip():
        raise BadPhone("empty phone number")
    if len(raw) > MAX_LENGTH:
        raise BadPhone(f"at most {MAX_LENGTH} characters")
    text, ext = split_extension(raw.strip())
    digits = re.sub(r"\D", "", text)
    if not text.lstrip().startswith(("+", "00")) and digits.startswith("86") and len(digits) == 13:
        text = "+" + digits  # "86 138 0013 8000": country code typed without + or 00
    try:
        parsed: phonenumbers.PhoneNumber | None = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        parsed = None
    number = parsed if parsed is not None and phonenumbers.is_valid_number(parsed) \
        else near_region_number(text, digits)
    if number is None:
        raise BadPhone("not a phone number" if parsed is None else "not a valid phone number")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164), (
        ext or number.extension or None)


def near_region_number(text: str, digits: str) -> phonenumbers.PhoneNumber | None:
    """`852 9123 4567` -> +85291234567: the digits of a number typed without + or 00
    that start with a calling code of NEAR_REGIONS, when they make a valid number of
    that region; else None.  Asked only once the text is no valid number of its own
    region, so a mainland number stays one."""
    region = NEAR_REGIONS.get(digits[:3])
    if region is None or text.lstrip().startswith(("+", "00")):
        return None
    try:
        number = phonenumbers.parse("+" + digits, None)
    except phonenumbers.NumberParseException:
        return None
    return number if phonenumbers.is_valid_number_for_region(number, region) else None


def split_extension(text: str) -> tuple[str, str | None]:
    """(the number, its extension or None): `010-12345678 ext 8` -> (`010-12345678`, `8`).
    Linear in the text's length whatever it holds."""
    text = text.rstrip()
    match = _EXT.search(text)
    if not match:
        return text, None
    return text[: match.start()].rstrip(), match.group(1)


def mask_middle(e164: str) -> str:
    """`+8613800138000` -> `138****8000` (national form with the middle four hidden)."""
    national = e164[3:] if e164.startswith("+86") else e164.lstrip("+")
    if len(national) < 8:
        return "*" * len(national)
    return national[:3] + "****" + national[7:]

"""Phone numbers as callers type them, normalised to E.164 (mainland China by default).

Accepts `+86 138 0013 8000`, `13800138000`, `0086-138...`, `86 138...`,
`010-12345678`, `(010)12345678 ext 8`, `010-12345678转8`.
"""
import re

import phonenumbers

DEFAULT_REGION = "CN"
_EXT = re.compile(r"\s*(?:ext\.?|x|转|分机)\s*(\d{1,6})\s*$", re.IGNORECASE)


class BadPhone(ValueError):
    pass


def normalize(raw: str, region: str = DEFAULT_REGION) -> tuple[str, str | None]:
    """Return (E.164 number, extension or None); raise BadPhone when not a real number."""
    if not isinstance(raw, str) or not raw.strip():
        raise BadPhone("empty phone number")
    text = raw.strip()
    ext = None
    match = _EXT.search(text)
    if match:
        ext, text = match.group(1), text[: match.start()]
    digits = re.sub(r"\D", "", text)
    if not text.lstrip().startswith(("+", "00")) and digits.startswith("86") and len(digits) == 13:
        text = "+" + digits  # "86 138 0013 8000": country code typed without + or 00
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException as exc:
        raise BadPhone("not a phone number") from exc
    if not phonenumbers.is_valid_number(number):
        raise BadPhone("not a valid phone number")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164), (
        ext or number.extension or None)


def mask_middle(e164: str) -> str:
    """`+8613800138000` -> `138****8000` (national form with the middle four hidden)."""
    national = e164[3:] if e164.startswith("+86") else e164.lstrip("+")
    if len(national) < 8:
        return "*" * len(national)
    return national[:3] + "****" + national[7:]

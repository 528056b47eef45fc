"""Mainland mobile numbers as the simulated providers take them, and masking for logs."""
import re

_MOBILE = re.compile(r"(?:\+86)?(1[3-9]\d{9})")
_ANY_MOBILE = re.compile(r"(?<!\d)(?:\+?86)?(1[3-9]\d)(\d{4})(\d{4})(?!\d)")


def normalize(raw) -> str | None:
    """`13800138000` or `+8613800138000` -> `+8613800138000`; anything else None."""
    if not isinstance(raw, str):
        return None
    m = _MOBILE.fullmatch(raw.strip())
    return "+86" + m.group(1) if m else None


def national(e164: str) -> str:
    return e164[3:] if e164.startswith("+86") else e164


def mask(text: str) -> str:
    """Every mainland mobile in `text` as `138****8000` (for log lines)."""
    return _ANY_MOBILE.sub(lambda m: f"{m.group(1)}****{m.group(3)}", text)

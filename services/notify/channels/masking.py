"""Addresses as logs and results may show them: never a whole phone number or email.

    mask_phone("+8613800138000")   -> "138****8000"   (services.common.phones.mask_middle)
    mask_email("zhang@example.com") -> "z***@example.com"
    mask_address(any address)      -> the right one of the two; a URL keeps scheme and host
    scrub(provider text)           -> the same text with numbers and emails in it masked
"""
import re
from urllib.parse import urlsplit

from services.common.phones import mask_middle

# A run of 7+ digits (optionally after +, with no digit around it) is read as a phone number.
_NUMBER = re.compile(r"(?<!\d)\+?\d{7,}(?!\d)")
# Bounded both sides (RFC 5321: local part ≤ 64, domain ≤ 255): linear on any text.
_EMAIL = re.compile(r"[^\s@<>\"',;:]{1,64}@[^\s@<>\"',;:]{1,255}")
MAX_DETAIL = 200


def mask_phone(phone: str) -> str:
    """`+8613800138000` or `13800138000` -> `138****8000`; short ones all stars."""
    return mask_middle(phone)


def mask_email(address: str) -> str:
    """`zhang@example.com` -> `z***@example.com`; not an address -> `***`."""
    local, at, domain = address.rpartition("@")
    if not at or not local:
        return "***"
    return f"{local[0]}***@{domain}"


def mask_address(address: str) -> str:
    """A phone, an email or a URL (robots, webhooks: the token in it is a secret), masked."""
    if "://" in address:
        parts = urlsplit(address)
        return f"{parts.scheme}://{parts.netloc.rpartition('@')[2]}/***"
    if "@" in address:
        return mask_email(address)
    return mask_phone(address)


def scrub(text: str, limit: int = MAX_DETAIL) -> str:
    """A provider's message for the record: phone numbers and emails masked, cut to `limit`."""
    # Cut first (masking never lengthens what is kept): the patterns see a bounded text.
    text = str(text)[: limit * 4]
    text = _NUMBER.sub(lambda m: mask_phone(m.group()), text)
    text = _EMAIL.sub(lambda m: mask_email(m.group()), text)
    return text if len(text) <= limit else text[: limit - 1] + "…"

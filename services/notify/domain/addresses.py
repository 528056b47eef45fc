"""Recipients and their addresses: the keys messages are unique by, and masking."""
import phonenumbers

from services.common.phones import mask_middle

NOT_MOBILE = "not_a_mobile"  # the skip reason of an SMS to a landline


def customer_key(customer_id: str) -> str:
    return f"customer:{customer_id}"


def target_key(target_id: str) -> str:
    return f"target:{target_id}"


def mask(channel: str, address: str) -> str:
    """What a list shows of an address: 138****8000, z***@example.com; robots and
    webhooks by name elsewhere, so their URL id is hidden too."""
    if not address:
        return ""
    if channel == "sms":
        return mask_middle(address)
    if channel == "email":
        local, _, domain = address.partition("@")
        return f"{local[:1]}***@{domain}"
    return "***"


def masked_text(text: str, max_length: int = 300) -> str:
    """A provider's detail for the record, short, with long digit runs hidden."""
    out, run = [], 0
    for ch in text[:max_length]:
        run = run + 1 if ch.isdigit() else 0
        out.append("*" if run > 4 else ch)
    return "".join(out)


def is_mobile(e164: str) -> bool:
    """Whether an E.164 number can take an SMS (a mobile, or a number of a region
    that does not tell mobiles apart)."""
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return False
    return phonenumbers.number_type(number) in (phonenumbers.PhoneNumberType.MOBILE,
                                                phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE)

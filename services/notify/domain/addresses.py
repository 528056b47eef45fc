"""Recipients and their addresses: the keys messages are unique by, and masking."""
from services.common.phones import mask_middle


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

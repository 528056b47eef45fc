"""Customer rules, free of I/O."""
import uuid

from services.common.errors import NotFound
from services.common.phones import mask_middle


def customer_number(sequence_value: int) -> str:
    """Human-readable customer number 客户编号: KH + 8 digits."""
    return f"KH{sequence_value:08d}"


def unique_phones(phones: list[dict]) -> list[dict]:
    """The same number typed twice (in two forms) is kept once, first position wins."""
    seen, out = set(), []
    for phone in phones:
        key = (phone["e164"], phone.get("ext") or "")
        if key not in seen:
            seen.add(key)
            out.append(phone)
    return out


def present(customer: dict, phones: list[dict]) -> dict:
    """The customer as callers see it: phones with their masked form."""
    return {
        **customer,
        "phones": [
            {"e164": p["e164"], "ext": p.get("ext") or None, "masked": mask_middle(p["e164"])}
            for p in phones
        ],
    }


def no_such_customer() -> NotFound:
    return NotFound("no such customer")


def parse_id(value) -> str:
    """A customer id is a UUID; anything else names no customer."""
    try:
        return str(uuid.UUID(str(value)))
    except ValueError as exc:
        raise no_such_customer() from exc

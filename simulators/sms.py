"""What both simulated SMS providers share: refusals, ids, China time."""
import uuid
from datetime import datetime, timedelta, timezone

from simulators import phones

CHINA = timezone(timedelta(hours=8))
FAIL_CODE = "UNDELIV"   # the failure code of an undelivered receipt (both providers)


class Refusal(Exception):
    """A send or query refused with the provider's `code` (permanent unless noted)."""

    def __init__(self, code: str, message: str):
        super().__init__(code, message)
        self.code, self.message = code, message


def request_id() -> str:
    return str(uuid.uuid4()).upper()


def china(at: float, fmt: str = "%Y-%m-%d %H:%M:%S") -> str:
    return datetime.fromtimestamp(at, CHINA).strftime(fmt)


def check_phone(sim, raw, invalid: str, blacklisted: str) -> str:
    """The E.164 number, or a Refusal with the provider's invalid / blacklist code."""
    e164 = phones.normalize(raw)
    if e164 is None:
        raise Refusal(invalid, "invalid mobile number")
    if sim.state.blacklisted(e164):
        raise Refusal(blacklisted, "mobile number in blacklist")
    return e164

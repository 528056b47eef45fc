"""Personal survey links 问卷链接 (V3), no I/O: the token and the guessing limit.

A token is the link's id and its expiry, signed (itsdangerous, HMAC-SHA1 over a
salted key derived from the survey's link secret): it names a row, it holds nothing of
the customer, and any change to it breaks the signature.  The row is the authority on
use (single use: `used_at`) and expiry; the token's own expiry lets a stale link be
refused before the database is asked.

Guessing: bad tokens are counted per client key (the gateway passes the client's
address) in fixed windows; past the limit every token from that key is refused until
the window ends, a right one too (so a guesser learns nothing).
"""
import datetime
import hmac

from itsdangerous import BadData, URLSafeSerializer

from services.survey.contract.answers import LinkExpired, LinkInvalid

SALT = "kefu-survey-link"
GUESS_LIMIT = 10            # bad tokens per client key and window
GUESS_WINDOW_SECONDS = 600


def sign(secret: str, link_id: str, expires_at: datetime.datetime) -> str:
    serializer = URLSafeSerializer(secret, salt=SALT)
    return str(serializer.dumps({"l": link_id, "e": int(expires_at.timestamp())}))


def verify(secret: str, token: str, now: datetime.datetime) -> str:
    """The link id a token names; LinkInvalid for a token we did not sign as it is,
    LinkExpired past its expiry."""
    serializer = URLSafeSerializer(secret, salt=SALT)
    try:
        payload = serializer.loads(token)
    except (BadData, ValueError, TypeError, UnicodeError):
        raise invalid() from None
    if (not isinstance(payload, dict) or not isinstance(payload.get("l"), str)
            or not isinstance(payload.get("e"), int)):
        raise invalid()
    # Base64's last character carries spare bits the decoder drops, so a token with it
    # changed can still verify; only the one spelling we signed is a link.
    if not hmac.compare_digest(str(serializer.dumps(payload)), token):
        raise invalid()
    if now.timestamp() >= payload["e"]:
        raise expired()
    return payload["l"]


def invalid() -> LinkInvalid:
    return LinkInvalid("this survey link is not valid", {"token": ["link_invalid"]})


def expired() -> LinkExpired:
    return LinkExpired("this survey link has expired", {"token": ["link_expired"]})


def window_start(now: datetime.datetime, seconds: int = GUESS_WINDOW_SECONDS
                 ) -> datetime.datetime:
    """The start of the fixed counting window holding `now`."""
    epoch = int(now.timestamp())
    return datetime.datetime.fromtimestamp(epoch - epoch % seconds, datetime.UTC)


def blocked(bad_tokens: int, limit: int = GUESS_LIMIT) -> bool:
    """Whether a client key with this many bad tokens in the window is refused."""
    return bad_tokens >= limit


def expires_at(now: datetime.datetime, ttl_hours: int) -> datetime.datetime:
    return now + datetime.timedelta(hours=ttl_hours)

"""The HMAC signatures of docs/providers.md, each a pure function of its inputs.

- `timestamped_header` / `verify_timestamped`: `t=<unix>,v1=<hex HMAC-SHA256(secret,
  "<t>.<raw body>")>` — our outgoing webhooks (X-Kefu-Signature) and the SMS providers'
  callbacks to us (X-Provider-Signature).
- `pop_signature`: Alibaba Cloud's RPC (POP) signature, HMAC-SHA1.
- `tc3_authorization`: Tencent Cloud's TC3-HMAC-SHA256 Authorization header.
- `dingtalk_sign`, `feishu_sign`: the group robots' signatures.
"""
import base64
import hashlib
import hmac
from datetime import UTC, datetime
from urllib.parse import quote

CALLBACK_MAX_AGE = 300     # seconds a callback signature stays good
CALLBACK_MAX_AHEAD = 60    # seconds a callback's t may be ahead of our clock


def _bytes(value: str | bytes) -> bytes:
    return value.encode("utf-8") if isinstance(value, str) else value


def hmac_sha256(key: str | bytes, message: str | bytes) -> bytes:
    return hmac.new(_bytes(key), _bytes(message), hashlib.sha256).digest()


def sha256_hex(data: str | bytes) -> str:
    return hashlib.sha256(_bytes(data)).hexdigest()


# -- t=<unix>,v1=<hex> ------------------------------------------------------------------
def timestamped_signature(secret: str, t: int, body: bytes) -> str:
    """hex HMAC-SHA256(secret, "<t>.<raw body>")."""
    return hmac_sha256(secret, f"{t}.".encode() + body).hex()


def timestamped_header(secret: str, t: int, body: bytes) -> str:
    """The header value `t=<t>,v1=<hex>` for `body` signed at unix time `t`."""
    return f"t={t},v1={timestamped_signature(secret, t, body)}"


def verify_timestamped(secret: str, header: str | None, body: bytes, now: float,
                       max_age: int = CALLBACK_MAX_AGE,
                       max_ahead: int = CALLBACK_MAX_AHEAD) -> bool:
    """Whether `header` (`t=..,v1=..`, several v1 allowed) signs `body` with `secret` and
    its t is at most `max_age` seconds old and at most `max_ahead` seconds ahead of `now`.
    Any malformed header is simply False."""
    if not secret or not isinstance(header, str) or len(header) > 1024:
        return False
    t_text, signatures = "", []
    for part in header.split(","):
        key, eq, value = part.strip().partition("=")
        if not eq:
            return False
        if key == "t":
            t_text = value
        elif key == "v1":
            signatures.append(value)
    if not (t_text.isascii() and t_text.isdigit()) or len(t_text) > 12 or not signatures:
        return False
    t = int(t_text)
    if t < now - max_age or t > now + max_ahead:
        return False
    expected = timestamped_signature(secret, t, body)
    # Every candidate is compared (no early exit), each in constant time.
    matches = [hmac.compare_digest(expected.encode(), s.encode("utf-8", "replace"))
               for s in signatures]
    return any(matches)


def signed_at(header: str) -> str:
    """The `t` of a `t=..,v1=..` header (after verify_timestamped accepted it)."""
    for part in header.split(","):
        key, _, value = part.strip().partition("=")
        if key == "t":
            return value
    return ""


# -- Alibaba Cloud POP (RPC) ------------------------------------------------------------
def pop_encode(value: str) -> str:
    """RFC 3986 percent-encoding of UTF-8 (unreserved `A-Za-z0-9-_.~` kept; space %20)."""
    return quote(value, safe="-_.~")


def pop_string_to_sign(params: dict[str, str], method: str = "POST") -> str:
    """`POST&%2F&` + encode(sorted, encoded `k=v` joined by `&`), `Signature` left out."""
    canonical = "&".join(f"{pop_encode(k)}={pop_encode(v)}"
                         for k, v in sorted(params.items()) if k != "Signature")
    return f"{method}&{pop_encode('/')}&{pop_encode(canonical)}"


def pop_signature(params: dict[str, str], access_key_secret: str, method: str = "POST") -> str:
    """base64 HMAC-SHA1(access_key_secret + "&", string-to-sign)."""
    digest = hmac.new((access_key_secret + "&").encode(),
                      pop_string_to_sign(params, method).encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


# -- Tencent Cloud TC3-HMAC-SHA256 ------------------------------------------------------
TC3 = "TC3-HMAC-SHA256"
TC3_SIGNED_HEADERS = "content-type;host"


def tc3_canonical_request(content_type: str, host: str, payload: bytes) -> str:
    """POST, URI `/`, no query, headers content-type and host, the payload's SHA-256."""
    return "\n".join(["POST", "/", "", f"content-type:{content_type.lower()}",
                      f"host:{host.lower()}", "", TC3_SIGNED_HEADERS, sha256_hex(payload)])


def tc3_signature(secret_key: str, service: str, timestamp: int, canonical_request: str
                  ) -> tuple[str, str]:
    """(credential scope, hex signature) of a canonical request signed at `timestamp`."""
    date = datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d")
    scope = f"{date}/{service}/tc3_request"
    string_to_sign = "\n".join([TC3, str(timestamp), scope, sha256_hex(canonical_request)])
    key = hmac_sha256("TC3" + secret_key, date)
    key = hmac_sha256(key, service)
    key = hmac_sha256(key, "tc3_request")
    return scope, hmac.new(key, string_to_sign.encode(), hashlib.sha256).hexdigest()


def tc3_authorization(secret_id: str, secret_key: str, service: str, timestamp: int,
                      content_type: str, host: str, payload: bytes) -> str:
    """The Authorization header of a TC3-signed JSON POST."""
    scope, signature = tc3_signature(
        secret_key, service, timestamp, tc3_canonical_request(content_type, host, payload))
    return (f"{TC3} Credential={secret_id}/{scope}, SignedHeaders={TC3_SIGNED_HEADERS}, "
            f"Signature={signature}")


# -- robots -----------------------------------------------------------------------------
def dingtalk_sign(secret: str, timestamp_ms: int) -> str:
    """base64 HMAC-SHA256(key=secret, "<ms>\\n<secret>"), not yet URL-encoded."""
    return base64.b64encode(hmac_sha256(secret, f"{timestamp_ms}\n{secret}")).decode()


def feishu_sign(secret: str, timestamp: int) -> str:
    """base64 HMAC-SHA256(key="<s>\\n<secret>", empty message)."""
    return base64.b64encode(hmac_sha256(f"{timestamp}\n{secret}", b"")).decode()

"""Signatures both sides compute: Aliyun POP (HMAC-SHA1), Tencent TC3-HMAC-SHA256,
the `t=..,v1=..` HMAC-SHA256 header of callbacks and webhooks, the robots' signs.

The builders are here too, so tests (and the adapters' tests) sign like a client."""
import base64
import hashlib
import hmac
import time
from urllib.parse import quote

TC3_CONTENT_TYPE = "application/json; charset=utf-8"


def pop_encode(text: str) -> str:
    """RFC 3986 percent-encoding as Aliyun's POP wants it (`~` kept, space as %20)."""
    return quote(text, safe="~")


def pop_signature(params: dict, secret: str, method: str = "POST") -> str:
    """The `Signature` of an RPC-style request: sorted, encoded, HMAC-SHA1, base64."""
    query = "&".join(f"{pop_encode(k)}={pop_encode(v)}"
                     for k, v in sorted(params.items()) if k != "Signature")
    to_sign = f"{method}&{pop_encode('/')}&{pop_encode(query)}"
    digest = hmac.new((secret + "&").encode(), to_sign.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def _hmac256(key: bytes, msg: str) -> bytes:
    return hmac.new(key, msg.encode(), hashlib.sha256).digest()


def tc3_signature(secret_key: str, date: str, timestamp: str, host: str, payload: bytes,
                  content_type: str = TC3_CONTENT_TYPE, service: str = "sms") -> str:
    """Tencent Cloud API 3.0's TC3-HMAC-SHA256 signature (hex) of a POST to `/`."""
    canonical = (f"POST\n/\n\ncontent-type:{content_type}\nhost:{host}\n\n"
                 f"content-type;host\n{hashlib.sha256(payload).hexdigest()}")
    scope = f"{date}/{service}/tc3_request"
    to_sign = (f"TC3-HMAC-SHA256\n{timestamp}\n{scope}\n"
               f"{hashlib.sha256(canonical.encode()).hexdigest()}")
    key = _hmac256(("TC3" + secret_key).encode(), date)
    key = _hmac256(key, service)
    key = _hmac256(key, "tc3_request")
    return hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()


def tc3_authorization(secret_id: str, secret_key: str, timestamp: int, host: str,
                      payload: bytes) -> str:
    """The `Authorization` header of a Tencent SMS request signed at `timestamp`."""
    date = time.strftime("%Y-%m-%d", time.gmtime(timestamp))
    sig = tc3_signature(secret_key, date, str(timestamp), host, payload)
    return (f"TC3-HMAC-SHA256 Credential={secret_id}/{date}/sms/tc3_request, "
            f"SignedHeaders=content-type;host, Signature={sig}")


def same(good: str, given: str) -> bool:
    """A constant-time comparison of a signature we computed with one a client sent, as
    UTF-8 bytes: hmac.compare_digest takes str only when ASCII (TypeError otherwise, a 500
    instead of the refusal a bad signature gets); surrogatepass, as JSON strings may hold
    lone surrogates."""
    return hmac.compare_digest(good.encode("utf-8", "surrogatepass"),
                               given.encode("utf-8", "surrogatepass"))


def timed_signature(secret: str, body: bytes, t: int | None = None) -> str:
    """`t=<unix>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>` (callbacks, webhooks)."""
    t = int(time.time()) if t is None else t
    mac = hmac.new(secret.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={t},v1={mac}"


def check_timed_signature(header: str, body: bytes, secret: str,
                          max_age: float | None = None) -> bool:
    """Whether `header` is a right `timed_signature` of `body` (and young enough)."""
    parts = dict(p.strip().partition("=")[::2] for p in header.split(",") if "=" in p)
    t, mac = parts.get("t", ""), parts.get("v1", "")
    if not (t.isascii() and t.isdigit() and len(t) <= 12) or not mac:
        return False
    if max_age is not None and abs(time.time() - int(t)) > max_age:
        return False
    good = timed_signature(secret, body, int(t)).partition(",v1=")[2]
    return same(good, mac)


def dingtalk_sign(secret: str, timestamp_ms: int | str) -> str:
    """DingTalk's `sign` (base64; the URL carries it percent-encoded)."""
    digest = hmac.new(secret.encode(), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256)
    return base64.b64encode(digest.digest()).decode()


def feishu_sign(secret: str, timestamp_s: int | str) -> str:
    """Feishu's `sign`: HMAC-SHA256 keyed by "<s>\\n<secret>" over nothing, base64."""
    digest = hmac.new(f"{timestamp_s}\n{secret}".encode(), b"", hashlib.sha256)
    return base64.b64encode(digest.digest()).decode()

"""S3: forged, unsigned, expired, wrong-audience and alg:none tokens are refused."""
import time

import jwt
import pytest

from services.common.errors import Unauthenticated
from services.common.identity import AUDIENCE, ISSUER, SYSTEM, TokenCodec

SECRET = "s" * 48


@pytest.fixture
def codec():
    return TokenCodec(SECRET)


def claims(**over):
    now = int(time.time())
    base = {"sub": "u1", "name": "u1", "roles": ["agent"], "groups": ["g1"], "clr": 1,
            "iat": now, "exp": now + 60, "aud": AUDIENCE, "iss": ISSUER}
    base.update(over)
    return base


class TestVerify:
    def test_issued_token_gives_principal(self, codec):
        principal = codec.verify(codec.issue("u7", "li", ["agent"], ["g1"], 2))
        assert (principal.id, principal.roles, principal.groups, principal.clearance) == (
            "u7", frozenset({"agent"}), frozenset({"g1"}), 2)

    @pytest.mark.parametrize("token", [
        None, "", "not-a-token",
        jwt.encode(claims(), "another-secret-of-enough-length-000000000", algorithm="HS256"),
        jwt.encode(claims(exp=int(time.time()) - 1), SECRET, algorithm="HS256"),
        jwt.encode(claims(aud="someone-else"), SECRET, algorithm="HS256"),
        jwt.encode(claims(iss="someone-else"), SECRET, algorithm="HS256"),
        jwt.encode(claims(), None, algorithm="none"),
        jwt.encode({k: v for k, v in claims().items() if k != "exp"}, SECRET, algorithm="HS256"),
    ], ids=["none", "empty", "garbage", "forged", "expired", "audience", "issuer", "alg-none",
            "no-exp"])
    def test_refused(self, codec, token):
        with pytest.raises(Unauthenticated):
            codec.verify(token)

    def test_cached_token_still_expires(self, codec):
        token = codec.issue("u1", "u1", ["agent"], [], 0, ttl=1)
        codec.verify(token)
        time.sleep(1.1)
        with pytest.raises(Unauthenticated):
            codec.verify(token)

    def test_system_token_is_a_system_principal(self, codec):
        assert codec.verify(codec.system_token("report")).roles == frozenset({SYSTEM})


def test_short_secret_refused_at_start():
    with pytest.raises(RuntimeError):
        TokenCodec("short")

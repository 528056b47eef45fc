"""S3: forged, unsigned, expired, wrong-audience and alg:none tokens are refused; and
(issue 9, finding 4) each key says only what is its own: the gateway's staff key signs
staff tokens, a service's system key only that service's system identity, and a
token of one cannot pass for the other.  Revocation (finding 5): a token older than
its account's version, or of a disabled account, is refused."""
import time

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from services.common.accounts import AccountVersions
from services.common.errors import Unauthenticated
from services.common.identity import (
    AUDIENCE,
    ISSUER,
    MAX_ACCESS_SECONDS,
    STAFF_KEY,
    SYSTEM,
    SYSTEM_CLEARANCE,
    TokenCodec,
    codec_from_config,
    system_issuer,
    system_key_id,
)
from tests.helpers import key_config, keys_dir

STAFF = Ed25519PrivateKey.generate()
REPORT = Ed25519PrivateKey.generate()
TICKET = Ed25519PrivateKey.generate()
PUBLIC = {STAFF_KEY: STAFF.public_key(), "system-report": REPORT.public_key(),
          "system-ticket": TICKET.public_key()}
HS_SECRET = "s" * 48


@pytest.fixture
def gateway():
    """The gateway's codec: the staff key and its own system key."""
    return TokenCodec(PUBLIC, STAFF, ("gateway", Ed25519PrivateKey.generate()))


@pytest.fixture
def report():
    """A service's codec: its own system key, no staff key."""
    return TokenCodec(PUBLIC, None, ("report", REPORT))


def claims(**over):
    now = int(time.time())
    base = {"sub": "u1", "name": "u1", "roles": ["agent"], "groups": ["g1"], "clr": 1,
            "ver": 1, "iat": now, "exp": now + 60, "aud": AUDIENCE, "iss": ISSUER}
    base.update(over)
    return base


def signed(key, kid=STAFF_KEY, **over) -> str:
    return jwt.encode(claims(**over), key, algorithm="EdDSA", headers={"kid": kid})


def system_claims(service, **over):
    return {"sub": f"system:{service}", "name": service, "roles": [SYSTEM], "groups": [],
            "iss": system_issuer(service), **over}


class TestVerify:
    def test_issued_token_gives_principal(self, gateway, report):
        token = gateway.issue("u7", "li", ["agent"], ["g1"], 2, version=4)
        principal = report.verify(token)
        assert (principal.id, principal.roles, principal.groups, principal.clearance,
                principal.version, principal.is_system) == (
            "u7", frozenset({"agent"}), frozenset({"g1"}), 2, 4, False)

    @pytest.mark.parametrize("token", [
        None, "", "not-a-token",
        signed(Ed25519PrivateKey.generate()),
        signed(STAFF, exp=int(time.time()) - 10),
        signed(STAFF, aud="someone-else"),
        signed(STAFF, iss="someone-else"),
        jwt.encode(claims(), None, algorithm="none", headers={"kid": STAFF_KEY}),
        jwt.encode(claims(), HS_SECRET, algorithm="HS256", headers={"kid": STAFF_KEY}),
        jwt.encode({k: v for k, v in claims().items() if k != "exp"}, STAFF,
                   algorithm="EdDSA", headers={"kid": STAFF_KEY}),
        jwt.encode(claims(), STAFF, algorithm="EdDSA"),  # no kid: no signer named
        signed(STAFF, kid="../../etc/passwd"),
        signed(STAFF, ver=None),
        signed(STAFF, exp=int(time.time()) + MAX_ACCESS_SECONDS + 60),  # lives too long
    ], ids=["none", "empty", "garbage", "forged", "expired", "audience", "issuer",
            "alg-none", "hs256-with-a-guessed-key", "no-exp", "no-kid", "unknown-kid",
            "no-version", "too-long"])
    def test_refused(self, report, token):
        with pytest.raises(Unauthenticated):
            report.verify(token)

    def test_cached_token_still_expires(self, gateway, report):
        token = gateway.issue("u1", "u1", ["agent"], [], 0, ttl=1)
        report.verify(token)
        time.sleep(1.1)
        with pytest.raises(Unauthenticated):
            report.verify(token)


class TestKeysSayOnlyWhatIsTheirs:
    def test_finding4_a_service_cannot_sign_a_staff_token(self, report):
        """Finding 4: with one shared secret, any service minted a general manager's
        token.  A service holds no staff key: it cannot issue one."""
        with pytest.raises(RuntimeError):
            report.issue("intruder", "intruder", ["general_manager"], [], 3)

    def test_finding4_a_token_signed_with_a_system_key_is_no_staff_token(self, gateway):
        """S3 extended: a service's system key signing staff claims, named as the staff
        key or as itself, is refused."""
        staff_claims = {"sub": "intruder", "roles": ["general_manager"], "clr": 3}
        for kid in (STAFF_KEY, "system-report"):
            with pytest.raises(Unauthenticated):
                gateway.verify(signed(REPORT, kid=kid, **staff_claims))
        with pytest.raises(Unauthenticated):  # its own issuer, a staff member's subject
            gateway.verify(signed(REPORT, kid="system-report", iss=system_issuer("report"),
                                  **staff_claims))

    def test_finding4_a_system_key_speaks_only_for_its_own_service(self, gateway):
        """report's key cannot sign ticket's system identity."""
        for kid in ("system-report", "system-ticket"):
            with pytest.raises(Unauthenticated):
                gateway.verify(signed(REPORT, kid=kid, **system_claims("ticket")))
        with pytest.raises(Unauthenticated):  # nor give itself roles beside `system`
            gateway.verify(signed(REPORT, kid="system-report",
                                  **system_claims("report", roles=[SYSTEM, "admin"])))

    def test_finding4_the_staff_key_cannot_sign_a_system_identity(self, gateway):
        with pytest.raises(ValueError):
            gateway.issue("system:report", "report", [SYSTEM], [], 0)
        with pytest.raises(Unauthenticated):
            gateway.verify(signed(STAFF, roles=["agent", SYSTEM]))
        with pytest.raises(Unauthenticated):
            gateway.verify(signed(STAFF, sub="system:report"))

    def test_finding4_a_system_token_names_its_service(self, report, gateway):
        principal = gateway.verify(report.system_token())
        assert (principal.id, principal.service, principal.roles, principal.clearance) == (
            "system:report", "report", frozenset({SYSTEM}), SYSTEM_CLEARANCE)

    def test_access_tokens_live_at_most_15_minutes(self, gateway):
        with pytest.raises(ValueError):
            gateway.issue("u1", "u1", ["agent"], [], 0, ttl=MAX_ACCESS_SECONDS + 1)
        with pytest.raises(RuntimeError):
            TokenCodec(PUBLIC, STAFF, ttl_seconds=8 * 3600)


class TestKeysFromFiles:
    def test_each_service_reads_only_its_own_system_key(self):
        report = codec_from_config(key_config("report"))
        assert report.staff_key is None and report.system[0] == "report"
        gateway = codec_from_config(key_config("gateway"))
        assert gateway.staff_key is not None
        assert gateway.verify(report.system_token()).service == "report"
        assert report.verify(gateway.issue("u1", "u1", ["agent"], [], 0)).id == "u1"
        assert set(report.public_keys) >= {STAFF_KEY, system_key_id("report")}
        assert (keys_dir() / "staff.pub").exists()

    def test_no_keys_refuses_to_start(self, tmp_path):
        with pytest.raises(RuntimeError):
            codec_from_config({"TOKEN_KEYS": ""})
        with pytest.raises(RuntimeError):
            codec_from_config({"TOKEN_KEYS": str(tmp_path)})  # no staff.pub in it


class TestAccountVersions:
    def test_finding5_an_older_version_or_a_disabled_account_is_refused(self):
        known = AccountVersions()
        assert known.refusal("u1", 0) is None  # never heard of: the token's word
        known.heard("u1", 3, True)
        assert known.refusal("u1", 3) is None
        assert "revoked" in known.refusal("u1", 2)
        known.heard("u1", 2, False)  # late and older: ignored
        assert known.refusal("u1", 3) is None
        known.heard("u1", 4, False)
        assert known.refusal("u1", 4) == "account disabled"

"""Who is calling: signed tokens, the Principal, and the one extension that decodes them.

Tokens are signed with Ed25519 (EdDSA) keys; the `kid` header names the signer, and
each signer may say only what is its own (issue 9, finding 4):
- `staff` — the gateway's private key (config STAFF_SIGNING_KEY, the gateway's alone)
  signs staff tokens at sign-in: a staff member's roles, groups, clearance and the
  account's version (`ver`), living at most MAX_ACCESS_SECONDS (15 minutes).
- `system-<svc>` — each service's own private key (SYSTEM_SIGNING_KEY) signs that
  service's system tokens (sub `system:<svc>`, role `system`, SYSTEM_TOKEN_SECONDS):
  the identity of its timers and event handlers.  It cannot sign a staff token: a
  token under a system key is a system principal of that service or nothing.
Every service verifies with the public keys in TOKEN_KEYS (staff.pub, system-<svc>.pub;
made by deploy/local/stack.sh), checking signature, expiry, lifetime, audience and
issuer itself, never trusting a caller's word.  Which RPCs a system identity may call
is its contract line's (services.common.contracts.Operation.system).

The token travels to services in the nameko context data under CONTEXT_KEY and is
propagated on every onward call.  `Callers` is the only place a token becomes a
Principal: entrypoints ask it before a worker runs (to refuse early), and the
`Identity` and `Database` dependencies ask it for the worker's caller, decoded once
per worker.  It also refuses a staff token whose account changed or was disabled since
it was signed (revocation: services.common.accounts).  Role names belong to the
services (services.vocabulary); this module knows only the system role.
"""
import logging
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any
from weakref import WeakKeyDictionary

import eventlet
import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from nameko.extensions import DependencyProvider, SharedExtension

from services.common.accounts import REFRESH_SECONDS, AccountVersions
from services.common.errors import Unauthenticated
from services.common.typing import Injects

log = logging.getLogger(__name__)
CONTEXT_KEY = "auth_token"
AUDIENCE = "kefu"
ISSUER = "kefu-gateway"
ALGORITHM = "EdDSA"
STAFF_KEY = "staff"
SYSTEM_KEY_PREFIX = "system-"
SYSTEM = "system"
# A system principal is cleared for every level a service defines; what it may call is
# its contract lines', and what it reads of an archive is logged (customer service).
SYSTEM_CLEARANCE = 1_000_000
SYSTEM_TOKEN_SECONDS = 300
MAX_ACCESS_SECONDS = 900
LEEWAY_SECONDS = 5  # clocks of the hosts are kept in step; iat may be a little ahead


@dataclass(frozen=True)
class Principal:
    id: str
    username: str
    roles: frozenset
    groups: frozenset
    clearance: int
    token: str = ""
    version: int = 0
    service: str = ""  # a system identity's service

    def has_any(self, roles) -> bool:
        return bool(self.roles & frozenset(roles))

    @property
    def is_system(self) -> bool:
        return SYSTEM in self.roles


def system_key_id(service: str) -> str:
    return f"{SYSTEM_KEY_PREFIX}{service}"


def system_issuer(service: str) -> str:
    return f"kefu-{service}"


class TokenCodec:
    """Sign and verify tokens.  `public_keys`: {kid: Ed25519 public key}, with the staff
    key; `staff_key`: the gateway's private key (None elsewhere); `system`: (service,
    private key) of this service's system identity.  `alg: none`, HMAC and every
    algorithm but EdDSA are refused, and so is a signer (kid) not in `public_keys`."""

    def __init__(self, public_keys: Mapping[str, Ed25519PublicKey],
                 staff_key: Ed25519PrivateKey | None = None,
                 system: tuple[str, Ed25519PrivateKey] | None = None,
                 ttl_seconds: int = MAX_ACCESS_SECONDS):
        if STAFF_KEY not in public_keys:
            raise RuntimeError("no token keys: TOKEN_KEYS must name the folder of public keys "
                               "deploy/local/stack.sh makes (staff.pub, system-<svc>.pub)")
        if not 0 < ttl_seconds <= MAX_ACCESS_SECONDS:
            raise RuntimeError(f"TOKEN_TTL_SECONDS must be 1..{MAX_ACCESS_SECONDS}")
        self.public_keys = dict(public_keys)
        self.staff_key = staff_key
        self.system = system
        self.ttl = ttl_seconds
        self._decode = lru_cache(maxsize=4096)(self._decode_uncached)

    def issue(self, staff_id, username, roles, groups, clearance, version: int = 0,
              ttl=None) -> str:
        """A staff token; only a codec holding the staff key (the gateway's) signs one."""
        if self.staff_key is None:
            raise RuntimeError("this service holds no staff-signing key: only the gateway "
                               "signs staff tokens")
        ttl = ttl or self.ttl
        if SYSTEM in roles or str(staff_id).startswith("system:") or ttl > MAX_ACCESS_SECONDS:
            raise ValueError("a staff token names a staff member and lives at most "
                             f"{MAX_ACCESS_SECONDS} s")
        now = int(time.time())
        claims = {
            "sub": str(staff_id), "name": username, "roles": sorted(roles),
            "groups": sorted(groups), "clr": int(clearance), "ver": int(version), "iat": now,
            "exp": now + ttl, "aud": AUDIENCE, "iss": ISSUER, "jti": uuid.uuid4().hex,
        }
        return jwt.encode(claims, self.staff_key, algorithm=ALGORITHM,
                          headers={"kid": STAFF_KEY})

    def system_token(self) -> str:
        """A token of this service's system identity, signed with its own key."""
        if self.system is None:
            raise RuntimeError("no SYSTEM_SIGNING_KEY: this service has no system identity "
                               "(deploy/local/stack.sh makes system-<service>.key)")
        service, key = self.system
        now = int(time.time())
        claims = {"sub": f"system:{service}", "name": service, "roles": [SYSTEM],
                  "groups": [], "iat": now, "exp": now + SYSTEM_TOKEN_SECONDS,
                  "aud": AUDIENCE, "iss": system_issuer(service), "jti": uuid.uuid4().hex}
        return jwt.encode(claims, key, algorithm=ALGORITHM,
                          headers={"kid": system_key_id(service)})

    def verify(self, token) -> Principal:
        if not token or not isinstance(token, str):
            raise Unauthenticated("missing credentials")
        principal, expires = self._decode(token)
        if expires <= time.time():  # the cache must not outlive the token
            raise Unauthenticated("token expired")
        return principal

    def _decode_uncached(self, token: str) -> tuple[Principal, int]:
        try:
            kid = jwt.get_unverified_header(token).get("kid")
        except jwt.PyJWTError as exc:
            raise Unauthenticated("invalid token") from exc
        if not isinstance(kid, str) or kid not in self.public_keys:
            raise Unauthenticated("invalid token")
        key = self.public_keys[kid]
        service = kid.removeprefix(SYSTEM_KEY_PREFIX) if kid != STAFF_KEY else None
        try:
            claims = jwt.decode(
                token, key, algorithms=[ALGORITHM], audience=AUDIENCE,
                issuer=system_issuer(service) if service else ISSUER, leeway=LEEWAY_SECONDS,
                options={"require": ["exp", "iat", "sub", "aud", "iss"]},
            )
        except jwt.ExpiredSignatureError as exc:
            raise Unauthenticated("token expired") from exc
        except jwt.PyJWTError as exc:
            raise Unauthenticated("invalid token") from exc
        try:
            principal = (_system_principal(claims, service, token) if service
                         else _staff_principal(claims, token))
        except (TypeError, ValueError) as exc:
            raise Unauthenticated("invalid token") from exc
        return principal, int(claims["exp"])


def _lifetime(claims: dict) -> int:
    return int(claims["exp"]) - int(claims["iat"])


def _system_principal(claims: dict, service: str, token: str) -> Principal:
    """A token under a system key: that service's system identity, nothing else."""
    if (claims["sub"] != f"system:{service}" or claims.get("roles") != [SYSTEM]
            or _lifetime(claims) > SYSTEM_TOKEN_SECONDS):
        raise ValueError("not a system token of its signer")
    return Principal(id=claims["sub"], username=service, roles=frozenset({SYSTEM}),
                     groups=frozenset(), clearance=SYSTEM_CLEARANCE, token=token,
                     service=service)


def _staff_principal(claims: dict, token: str) -> Principal:
    """A token under the staff key: a staff member, never the system."""
    roles = frozenset(claims.get("roles", ()))
    if (SYSTEM in roles or str(claims["sub"]).startswith("system:")
            or _lifetime(claims) > MAX_ACCESS_SECONDS or not isinstance(claims.get("ver"), int)):
        raise ValueError("not a staff token")
    return Principal(id=claims["sub"], username=claims.get("name", ""), roles=roles,
                     groups=frozenset(claims.get("groups", ())),
                     clearance=int(claims.get("clr", 0)), token=token,
                     version=claims["ver"])


# -- keys from files ---------------------------------------------------------------------
def load_private_key(path: str | Path) -> Ed25519PrivateKey:
    key = serialization.load_pem_private_key(Path(path).read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise RuntimeError(f"{path}: not an Ed25519 private key")
    return key


def load_public_keys(folder: str | Path) -> dict[str, Ed25519PublicKey]:
    """{kid: key} of every <kid>.pub in the folder."""
    keys = {}
    for path in sorted(Path(folder).glob("*.pub")):
        key = serialization.load_pem_public_key(path.read_bytes())
        if not isinstance(key, Ed25519PublicKey):
            raise RuntimeError(f"{path}: not an Ed25519 public key")
        keys[path.stem] = key
    return keys


def codec_from_config(config: dict) -> TokenCodec:
    """TOKEN_KEYS (the folder of public keys), SYSTEM_SIGNING_KEY (this service's
    system-<svc>.key: the file's name is the identity), STAFF_SIGNING_KEY (the gateway's
    only), TOKEN_TTL_SECONDS."""
    folder = config.get("TOKEN_KEYS") or ""
    if not folder or not Path(folder).is_dir():
        raise RuntimeError(f"TOKEN_KEYS {folder!r} is not a folder of token keys: "
                           "run deploy/local/stack.sh start and source deploy/local/env.sh")
    system = None
    if config.get("SYSTEM_SIGNING_KEY"):
        path = Path(config["SYSTEM_SIGNING_KEY"])
        if not path.stem.startswith(SYSTEM_KEY_PREFIX):
            raise RuntimeError(f"{path}: a system key is named system-<service>.key")
        system = (path.stem.removeprefix(SYSTEM_KEY_PREFIX), load_private_key(path))
    staff = load_private_key(config["STAFF_SIGNING_KEY"]) \
        if config.get("STAFF_SIGNING_KEY") else None
    return TokenCodec(load_public_keys(folder), staff, system,
                      int(config.get("TOKEN_TTL_SECONDS", MAX_ACCESS_SECONDS)))


# -- the container's callers ---------------------------------------------------------------
class Callers(SharedExtension):
    """The container's one token codec; the caller of each worker, decoded once.

    A worker serving a caller (an RPC or HTTP entrypoint marked `serves_callers`)
    is its token's principal, or None when a public entrypoint is called
    anonymously.  Any other worker (timer, event handler) is the system principal
    of this service, and its token is put in the worker's outgoing context so its
    onward calls carry it.  A staff token older than its account's version, or of a
    disabled account, is refused (`accounts`, kept from the service's database: the
    Database provider hands its pool over in setup).
    """

    pool: Any = None  # set by the Database provider in setup()

    def setup(self):
        self.codec = codec_from_config(self.container.config)
        self.accounts = AccountVersions()
        self._by_worker: WeakKeyDictionary = WeakKeyDictionary()
        self._system: tuple[str, float] = ("", 0.0)
        self._gt = None

    def start(self):
        if self.pool is None or self._gt is not None:
            return
        self._refresh()  # before any entrypoint takes a request
        self._gt = self.container.spawn_managed_thread(self._keep_fresh)

    def stop(self):
        if self._gt is not None:
            self._gt.kill()
            self._gt = None

    kill = stop

    def _refresh(self) -> bool:
        try:
            self.accounts.refresh(self.pool)
            return True
        except Exception as exc:  # noqa: BLE001 — the last known versions stay in force
            log.warning("account versions not refreshed: %s", exc)
            return False

    def _keep_fresh(self):
        while True:
            eventlet.sleep(REFRESH_SECONDS if self._refresh() else REFRESH_SECONDS * 10)

    def system_token(self) -> str:
        """This service's system token, minted anew once half its life has passed (a
        timer ticking every second reuses it)."""
        token, renew_at = self._system
        if time.time() >= renew_at:
            token = self.codec.system_token()
            self._system = (token, time.time() + SYSTEM_TOKEN_SECONDS / 2)
        return token

    def verify(self, token) -> Principal:
        principal = self.codec.verify(token)
        if not principal.is_system:
            refusal = self.accounts.refusal(principal.id, principal.version)
            if refusal:
                raise Unauthenticated(refusal)
        return principal

    def principal(self, worker_ctx) -> Principal | None:
        try:
            return self._by_worker[worker_ctx]
        except KeyError:
            pass
        token = worker_ctx.data.get(CONTEXT_KEY)
        if not token and not getattr(worker_ctx.entrypoint, "serves_callers", False):
            token = self.system_token()
            # worker_ctx.context_data is a copy; worker_ctx.data is what travels on.
            worker_ctx.data[CONTEXT_KEY] = token
        principal = self.verify(token) if token else None
        self._by_worker[worker_ctx] = principal
        return principal


class Identity(Injects[Principal], DependencyProvider):
    """Injects the verified Principal of the worker's caller (see Callers)."""

    callers = Callers()

    def get_dependency(self, worker_ctx):
        return self.callers.principal(worker_ctx)


class Tokens(Injects[TokenCodec], DependencyProvider):
    """Injects the container's TokenCodec (the gateway issues tokens with it)."""

    callers = Callers()

    def get_dependency(self, worker_ctx):
        return self.callers.codec


class Accounts(Injects[AccountVersions], DependencyProvider):
    """Injects the container's account versions (the platform's staff event handlers
    tell it at once what they wrote)."""

    callers = Callers()

    def get_dependency(self, worker_ctx):
        return self.callers.accounts

"""Who is calling: signed tokens, the Principal, and the one extension that decodes them.

The gateway signs a short-lived token at login; it travels to services in the
nameko context data under CONTEXT_KEY and is propagated on every onward call.
Each service verifies signature, expiry, audience and issuer itself (never
trusting a caller's word) and builds a `Principal`.  Timers and event handlers
act as the service's system principal.

`Callers` is the only place a token becomes a Principal: entrypoints ask it
before a worker runs (to refuse early), and the `Identity` and `Database`
dependencies ask it for the worker's caller, decoded once per worker.  Role
names belong to the services (services.vocabulary); this module knows only the
system role.
"""
import time
import uuid
from dataclasses import dataclass
from functools import lru_cache
from weakref import WeakKeyDictionary

import jwt
from nameko.extensions import DependencyProvider, SharedExtension

from services.common.errors import Unauthenticated
from services.common.typing import Injects

CONTEXT_KEY = "auth_token"
AUDIENCE = "kefu"
ISSUER = "kefu-gateway"
ALGORITHM = "HS256"
SYSTEM = "system"
# A system principal is cleared for every level a service defines.
SYSTEM_CLEARANCE = 1_000_000
SYSTEM_TOKEN_SECONDS = 300


@dataclass(frozen=True)
class Principal:
    id: str
    username: str
    roles: frozenset
    groups: frozenset
    clearance: int
    token: str = ""

    def has_any(self, roles) -> bool:
        return bool(self.roles & frozenset(roles))

    @property
    def is_system(self) -> bool:
        return SYSTEM in self.roles


class TokenCodec:
    """Issue and verify HS256 tokens. `alg: none` and other algorithms are refused."""

    def __init__(self, secret: str, ttl_seconds: int = 3600):
        if not secret or len(secret) < 32:
            raise RuntimeError("JWT_SECRET is missing or shorter than 32 characters")
        self.secret = secret
        self.ttl = ttl_seconds
        self._decode = lru_cache(maxsize=4096)(self._decode_uncached)

    def issue(self, staff_id, username, roles, groups, clearance, ttl=None) -> str:
        now = int(time.time())
        claims = {
            "sub": str(staff_id), "name": username, "roles": sorted(roles),
            "groups": sorted(groups), "clr": int(clearance), "iat": now,
            "exp": now + (ttl or self.ttl), "aud": AUDIENCE, "iss": ISSUER,
            "jti": uuid.uuid4().hex,
        }
        return jwt.encode(claims, self.secret, algorithm=ALGORITHM)

    def verify(self, token) -> Principal:
        if not token or not isinstance(token, str):
            raise Unauthenticated("missing credentials")
        claims = self._decode(token)
        if claims["exp"] <= time.time():  # the cache must not outlive the token
            raise Unauthenticated("token expired")
        return Principal(
            id=claims["sub"], username=claims.get("name", ""),
            roles=frozenset(claims.get("roles", ())), groups=frozenset(claims.get("groups", ())),
            clearance=int(claims.get("clr", 0)), token=token,
        )

    def _decode_uncached(self, token: str) -> dict:
        try:
            return jwt.decode(
                token, self.secret, algorithms=[ALGORITHM], audience=AUDIENCE, issuer=ISSUER,
                options={"require": ["exp", "iat", "sub", "aud", "iss"]},
            )
        except jwt.ExpiredSignatureError as exc:
            raise Unauthenticated("token expired") from exc
        except jwt.PyJWTError as exc:
            raise Unauthenticated("invalid token") from exc

    def system_token(self, service_name: str) -> str:
        return self.issue(f"system:{service_name}", service_name, [SYSTEM], [],
                          SYSTEM_CLEARANCE, ttl=SYSTEM_TOKEN_SECONDS)


def codec_from_config(config: dict) -> TokenCodec:
    return TokenCodec(config.get("JWT_SECRET") or "", int(config.get("TOKEN_TTL_SECONDS", 3600)))


class Callers(SharedExtension):
    """The container's one token codec; the caller of each worker, decoded once.

    A worker serving a caller (an RPC or HTTP entrypoint marked `serves_callers`)
    is its token's principal, or None when a public entrypoint is called
    anonymously.  Any other worker (timer, event handler) is the system principal
    of this service, and its token is put in the worker's outgoing context so its
    onward calls carry it.
    """

    def setup(self):
        self.codec = codec_from_config(self.container.config)
        self._by_worker: WeakKeyDictionary = WeakKeyDictionary()

    def verify(self, token) -> Principal:
        return self.codec.verify(token)

    def principal(self, worker_ctx) -> Principal | None:
        try:
            return self._by_worker[worker_ctx]
        except KeyError:
            pass
        token = worker_ctx.data.get(CONTEXT_KEY)
        if not token and not getattr(worker_ctx.entrypoint, "serves_callers", False):
            token = self.codec.system_token(self.container.service_name)
            # worker_ctx.context_data is a copy; worker_ctx.data is what travels on.
            worker_ctx.data[CONTEXT_KEY] = token
        principal = self.codec.verify(token) if token else None
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

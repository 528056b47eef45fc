"""Who is calling: signed tokens, the Principal, and the authenticated RPC entrypoint.

The gateway signs a short-lived token at login; it travels to services in the
nameko context data under CONTEXT_KEY and is propagated on every onward call.
Each service verifies signature, expiry, audience and issuer itself (never
trusting a caller's word) and builds a `Principal`.  Timers and event handlers
act as a named system principal.  Deny by default: every `@rpc` must declare
which roles may call it, or be marked public.
"""
import logging
import time
import uuid
from dataclasses import dataclass
from functools import lru_cache

import jwt
from amqp.exceptions import AMQPError
from kombu.exceptions import OperationalError
from marshmallow import ValidationError
from nameko.amqp.publish import Publisher
from nameko.extensions import DependencyProvider
from nameko.rpc import Responder, Rpc

from services.common.errors import (
    EXPECTED,
    Forbidden,
    KefuError,
    Unauthenticated,
    invalid_from_marshmallow,
)

log = logging.getLogger(__name__)
CONTEXT_KEY = "auth_token"
AUDIENCE = "kefu"
ISSUER = "kefu-gateway"
ALGORITHM = "HS256"

AGENT, SUPERVISOR, MANAGER, GENERAL_MANAGER = "agent", "supervisor", "manager", "general_manager"
ADMIN, AUDITOR, SYSTEM = "admin", "auditor", "system"
FIELD = "field"  # field staff 外勤: receive dispatched jobs and record their handling (T7)
TELEPHONY = "telephony"  # an integration account: the call center's telephony posts call events
ROLES = (AGENT, SUPERVISOR, MANAGER, GENERAL_MANAGER, ADMIN, AUDITOR, FIELD, TELEPHONY)

# Role sets for `@rpc(allow=...)`; the line of command is agent < supervisor < manager < GM.
# STAFF is the people; an integration account is none of them.
STAFF = frozenset(ROLES) - {TELEPHONY}
INTEGRATIONS = frozenset({TELEPHONY})
FRONT_LINE = frozenset({AGENT, SUPERVISOR, MANAGER, GENERAL_MANAGER})
SUPERVISORS_UP = frozenset({SUPERVISOR, MANAGER, GENERAL_MANAGER})
MANAGERS_UP = frozenset({MANAGER, GENERAL_MANAGER})
ADMINS = frozenset({ADMIN})
FIELD_STAFF = frozenset({FIELD})
# Who may take calls and record work: the front line, and admins setting the system up.
OPERATORS = FRONT_LINE | ADMINS

# Confidentiality levels (C4): ordered integers.
ORDINARY, SECRET, CONFIDENTIAL, TOP_SECRET = 0, 1, 2, 3


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
        return self.issue(f"system:{service_name}", service_name, [SYSTEM], [], TOP_SECRET, ttl=300)


def codec_from_config(config: dict) -> TokenCodec:
    return TokenCodec(config.get("JWT_SECRET") or "", int(config.get("TOKEN_TTL_SECONDS", 3600)))


class Identity(DependencyProvider):
    """Injects the verified Principal of the caller.

    RPC workers get the principal from the token in the context data (already
    checked by the entrypoint); timers and event handlers get the system
    principal of this service.
    """

    def setup(self):
        self.codec = codec_from_config(self.container.config)

    def get_dependency(self, worker_ctx):
        token = worker_ctx.context_data.get(CONTEXT_KEY)
        if token:
            return self.codec.verify(token)
        if getattr(worker_ctx.entrypoint, "serves_callers", False):
            return None  # a public entrypoint called anonymously
        return self.system_principal(worker_ctx)

    def system_principal(self, worker_ctx) -> Principal:
        # Onward RPC calls from a timer or handler carry a system token.
        # (worker_ctx.context_data is a copy; worker_ctx.data is what travels on.)
        token = self.codec.system_token(self.container.service_name)
        worker_ctx.data[CONTEXT_KEY] = token
        return self.codec.verify(token)


class Tokens(DependencyProvider):
    """Injects the TokenCodec (the gateway issues tokens with it)."""

    def setup(self):
        self.codec = codec_from_config(self.container.config)

    def get_dependency(self, worker_ctx):
        return self.codec


class AuthenticatedRpc(Rpc):
    """`@rpc(allow=ROLES)`: the caller's token is verified before any worker runs.

    Unauthenticated or unauthorised calls are answered with the error at once;
    marshmallow validation errors leave as `Invalid` with per-field reasons.
    """

    serves_callers = True

    def __init__(self, allow=None, public=False, **kwargs):
        if not public and not allow:
            raise ValueError("@rpc needs allow=<roles> or public=True (deny by default)")
        self.allow = frozenset(allow or ())
        self.public = public
        kwargs.setdefault("expected_exceptions", EXPECTED)
        super().__init__(**kwargs)

    def setup(self):
        self.codec = codec_from_config(self.container.config)
        super().setup()

    def handle_message(self, body, message):
        if not self.public:
            try:
                context = self.unpack_message_headers(message)
                principal = self.codec.verify(context.get(CONTEXT_KEY))
                if not principal.has_any(self.allow | {SYSTEM}):
                    raise Forbidden(f"not allowed to call {self.method_name}")
            except KefuError as exc:
                refusal = (type(exc), exc, None)
                self._reply(lambda: self.rpc_consumer.handle_result(message, None, refusal))
                return
        super().handle_message(body, message)

    def handle_result(self, message, worker_ctx, result, exc_info):
        if exc_info is not None and isinstance(exc_info[1], ValidationError):
            err = invalid_from_marshmallow(exc_info[1])
            exc_info = (type(err), err, exc_info[2])
        sent = self._reply(lambda: super(AuthenticatedRpc, self).handle_result(
            message, worker_ctx, result, exc_info))
        return sent or (result, exc_info)

    def _reply(self, send):
        """Send a reply; when the broker is gone, the reply is lost, not the service.

        nameko kills the whole container when a reply cannot be published.  The
        request stays unacknowledged, so the broker redelivers it once the
        connection is back; callers that must not apply twice send an idempotency key.
        """
        try:
            return send()
        except (OperationalError, OSError, AMQPError) as exc:
            log.warning("reply to %s lost, the broker is unreachable: %s", self.method_name, exc)
            return None


class ReplyPublisher(Publisher):
    """RPC replies go without publisher confirms: a reply is transient (its queue is the
    caller's, auto-deleted), a lost one surfaces as the caller's deadline, and waiting
    for the broker's confirm doubled the cost of every call.  Events keep confirms
    (outbox relay, retries)."""

    use_confirms = False


Responder.publisher_cls = ReplyPublisher

rpc = AuthenticatedRpc.decorator

"""The sign-in guard: a dependency of the routes that hash passwords.

argon2id takes 64 MiB and a CPU core per hash; run in eventlet's OS threads
(20), a flood of sign-ins would hold 1.3 GB.  The guard lets SIGN_IN_HASHING
hashes run at once; up to SIGN_IN_QUEUE more wait at most SIGN_IN_WAIT_SECONDS,
and the rest are refused at once (503), so a flood holds neither memory nor more
than a few workers.  TRUSTED_PROXIES names the proxies whose X-Forwarded-For the
throttle believes (none by default: the gateway listens on loopback).
REFRESH_TTL_SECONDS is how long a session lasts from its sign-in (issue 9, finding 5).
"""
from dataclasses import dataclass

from eventlet import tpool
from eventlet.semaphore import Semaphore
from nameko.extensions import DependencyProvider

from services.common.errors import Unavailable
from services.common.typing import Injects


@dataclass
class Guard:
    slots: Semaphore
    queue: int
    wait: float
    trusted_proxies: frozenset[str]

    def hashing(self, function, *args):
        """function(*args) in an OS thread once a slot is free; Unavailable when the
        wait is full or too long (the caller may try again in a moment)."""
        if self.slots.balance <= -self.queue or not self.slots.acquire(timeout=self.wait):
            raise Unavailable("sign-in is busy: try again in a moment")
        try:
            return tpool.execute(function, *args)
        finally:
            self.slots.release()


class SignInGuard(Injects[Guard], DependencyProvider):
    def setup(self):
        config = self.container.config
        self.guard = Guard(Semaphore(int(config.get("SIGN_IN_HASHING", 1))),
                           int(config.get("SIGN_IN_QUEUE", 8)),
                           float(config.get("SIGN_IN_WAIT_SECONDS", 2)),
                           frozenset(config.get("TRUSTED_PROXIES") or ()))

    def get_dependency(self, worker_ctx):
        return self.guard


class SessionSeconds(Injects[int], DependencyProvider):
    """Seconds a session lasts from its sign-in, however often refreshed (config
    REFRESH_TTL_SECONDS)."""

    def get_dependency(self, worker_ctx):
        return int(self.container.config.get("REFRESH_TTL_SECONDS", 43200))

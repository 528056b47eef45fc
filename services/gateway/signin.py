"""The sign-in guard: a dependency of the routes that hash passwords.

argon2id takes 64 MiB and a CPU core per hash; run in eventlet's OS threads
(20), a flood of sign-ins would hold 1.3 GB.  The guard lets SIGN_IN_HASHING
hashes run at once; up to SIGN_IN_QUEUE more wait at most SIGN_IN_WAIT_SECONDS,
and the rest are refused at once (503), so a flood holds neither memory nor more
than a few workers.  Two queues: a sign-in from a known device (a device token its
account got from a good sign-in, handlers/login.py) gets the next free slot before
anyone else, so a flood from unknown clients delays its owner by one hash at most
instead of shutting them out.  TRUSTED_PROXIES names the proxies whose
X-Forwarded-For the throttle believes (none by default: the gateway listens on
loopback).  REFRESH_TTL_SECONDS is how long a session lasts from its sign-in (issue
9, finding 5).
"""
from collections import deque
from dataclasses import dataclass, field

from eventlet import Timeout, tpool
from eventlet.event import Event
from nameko.extensions import DependencyProvider

from services.common.errors import Unavailable
from services.common.typing import Injects

KNOWN, ANYONE = "known", "anyone"  # the queues, first served first


@dataclass
class Slots:
    """`size` slots handed out in queue order (KNOWN before ANYONE), each queue at most
    `queue` long; green threads only (no OS-thread locking needed)."""

    size: int
    queue: int
    busy: int = 0
    waiting: dict = field(default_factory=lambda: {KNOWN: deque(), ANYONE: deque()})

    def acquire(self, lane: str, timeout: float) -> bool:
        ahead = self.waiting[KNOWN] if lane == KNOWN else (
            self.waiting[KNOWN] or self.waiting[ANYONE])
        if self.busy < self.size and not ahead:
            self.busy += 1
            return True
        line = self.waiting[lane]
        if len(line) >= self.queue:
            return False
        turn = Event()
        line.append(turn)
        try:
            with Timeout(timeout):
                turn.wait()
            return True
        except Timeout:
            if turn in line:
                line.remove(turn)
                return False
            return True  # handed the slot as the wait ended

    def release(self) -> None:
        for lane in (KNOWN, ANYONE):
            if self.waiting[lane]:
                self.waiting[lane].popleft().send(True)  # the slot passes on, still busy
                return
        self.busy -= 1


@dataclass
class Guard:
    slots: Slots
    wait: float
    trusted_proxies: frozenset[str]

    def hashing(self, function, *args, lane: str = ANYONE):
        """function(*args) in an OS thread once a slot is free; Unavailable when the
        queue is full or the wait too long (the caller may try again in a moment)."""
        if not self.slots.acquire(lane, self.wait):
            raise Unavailable("sign-in is busy: try again in a moment")
        try:
            return tpool.execute(function, *args)
        finally:
            self.slots.release()


class SignInGuard(Injects[Guard], DependencyProvider):
    def setup(self):
        config = self.container.config
        self.guard = Guard(Slots(int(config.get("SIGN_IN_HASHING", 1)),
                                 int(config.get("SIGN_IN_QUEUE", 8))),
                           float(config.get("SIGN_IN_WAIT_SECONDS", 2)),
                           frozenset(config.get("TRUSTED_PROXIES") or ()))

    def get_dependency(self, worker_ctx):
        return self.guard


class SessionSeconds(Injects[int], DependencyProvider):
    """Seconds a session lasts from its sign-in, however often refreshed (config
    REFRESH_TTL_SECONDS)."""

    def get_dependency(self, worker_ctx):
        return int(self.container.config.get("REFRESH_TTL_SECONDS", 43200))

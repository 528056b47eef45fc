"""When and whether a message may go (N3, N4): quiet hours, frequency caps, opt-outs,
retries with back-off — plain rules, no I/O.

- Quiet hours (default 21:00–08:00 Asia/Shanghai): marketing waits until they end;
  a service message waits too unless its template says `send`.
- Frequency caps (marketing only): at most `daily` per customer per China calendar
  day and `weekly` per calendar week (Monday first); a message past a cap is skipped
  with the cap as its reason, not postponed.
- Opt-outs: a `marketing` opt-out (the SMS reply 退订 / TD) stops marketing on that
  channel; an `all` opt-out (the customer told an agent) stops everything on it.
- A temporary error retries after `BASE * 2^(attempt-1)` seconds (capped), times a
  random factor in [0.5, 1.5) so replicas and recipients do not retry in step; a
  throttling answer retries after about a second and does not use up an attempt; a
  permanent error never retries.
"""
import datetime
import random
from dataclasses import dataclass

from services.common.zone import CHINA

MARKETING, SERVICE = "marketing", "service"
BACKOFF_BASE_SECONDS = 5.0
BACKOFF_CAP_SECONDS = 3600.0
MAX_ATTEMPTS = 6
THROTTLE_PAUSE_SECONDS = 1.0
# Skip reasons, as recorded and shown.
OPTED_OUT, CAP_DAY, CAP_WEEK = "opted_out", "frequency_cap_day", "frequency_cap_week"
NO_ADDRESS = "no_address"


@dataclass(frozen=True)
class QuietHours:
    start: datetime.time = datetime.time(21, 0)
    end: datetime.time = datetime.time(8, 0)

    @classmethod
    def parse(cls, text: str) -> "QuietHours":
        """`21:00-08:00`; an empty text: none."""
        if not text.strip():
            return cls(datetime.time(0, 0), datetime.time(0, 0))
        start, end = (datetime.time.fromisoformat(p.strip()) for p in text.split("-", 1))
        return cls(start, end)

    def contains(self, local: datetime.time) -> bool:
        if self.start == self.end:
            return False
        if self.start < self.end:
            return self.start <= local < self.end
        return local >= self.start or local < self.end

    def ends_after(self, moment: datetime.datetime) -> datetime.datetime:
        """The first moment after `moment` outside quiet hours (aware, UTC-comparable)."""
        local = moment.astimezone(CHINA)
        if not self.contains(local.time()):
            return moment
        day = local.date() if local.time() < self.end else local.date() + datetime.timedelta(1)
        return datetime.datetime.combine(day, self.end, CHINA)


def waits_for_quiet_hours(purpose: str, quiet_setting: str) -> bool:
    return purpose == MARKETING or quiet_setting == "defer"


def not_before(now: datetime.datetime, purpose: str, quiet_setting: str,
               quiet: QuietHours, wanted: datetime.datetime | None = None) -> datetime.datetime:
    """When a message may first go: its wanted time, moved past quiet hours if it waits."""
    at = max(now, wanted) if wanted else now
    return quiet.ends_after(at) if waits_for_quiet_hours(purpose, quiet_setting) else at


def day_and_week_start(now: datetime.datetime) -> tuple[datetime.datetime, datetime.datetime]:
    """The starts of today and of this week (Monday) in China."""
    local = now.astimezone(CHINA)
    day = datetime.datetime.combine(local.date(), datetime.time(), CHINA)
    return day, day - datetime.timedelta(days=local.weekday())


@dataclass(frozen=True)
class Caps:
    daily: int = 1
    weekly: int = 3


def cap_reason(sent_today: int, sent_this_week: int, caps: Caps) -> str | None:
    """Why one more marketing message to this customer would pass a cap, or None."""
    if sent_today >= caps.daily:
        return CAP_DAY
    if sent_this_week >= caps.weekly:
        return CAP_WEEK
    return None


def opted_out(purpose: str, scopes: set[str]) -> bool:
    """Scopes of the opt-outs matching the message's channel and address/customer."""
    return "all" in scopes or (purpose == MARKETING and "marketing" in scopes)


def retry_delay(attempt: int, rng: random.Random | None = None) -> float:
    """Seconds before retry number `attempt` (1 = the first retry) of a temporary error."""
    base = min(BACKOFF_CAP_SECONDS, BACKOFF_BASE_SECONDS * 2 ** max(0, attempt - 1))
    return base * (0.5 + (rng or random).random())


def throttle_delay(rng: random.Random | None = None) -> float:
    return THROTTLE_PAUSE_SECONDS * (0.5 + (rng or random).random())


def slower(rate: float) -> float:
    """The pace after a throttling answer: half, at least one a second."""
    return max(1.0, rate / 2)


def faster(rate: float, configured: float) -> float:
    """The pace after a clean round: a tenth back toward the configured QPS."""
    return min(configured, rate + max(1.0, configured / 10))


class Pace:
    """A channel's configured rate (messages a second) and burst."""

    def __init__(self, rate: float, batch_size: int):
        self.rate = float(rate)
        self.burst = max(1.0, min(float(batch_size), self.rate))
        self.batch_size = batch_size

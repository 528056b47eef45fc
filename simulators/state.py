"""What the simulator holds in memory, behind one lock: the behaviour (config), what it
accepted (SMS, robot messages, webhook deliveries), counters and rate windows."""
import copy
import random
import threading
import time
from collections import deque
from datetime import UTC, datetime

DEFAULT_CONFIG = {"qps": 500, "fail_share": 0.0, "fail_next": 0, "undelivered_share": 0.0,
                  "receipt_delay_ms": 500, "answer_delay_ms": 0, "blacklist": []}
STAT_NAMES = ("accepted", "throttled", "failed", "rejected", "receipts_posted",
              "receipts_dropped", "robot_messages", "hook_deliveries")


def iso(at: float) -> str:
    """Unix seconds -> `2024-05-01T08:00:00.123Z`."""
    return datetime.fromtimestamp(at, UTC).isoformat(timespec="milliseconds")[:-6] + "Z"


class State:
    def __init__(self):
        self.lock = threading.RLock()
        self.generation = 0
        self.reset()

    def reset(self) -> None:
        """Forget everything received; the default behaviour again."""
        with self.lock:
            self.generation += 1
            self.config = copy.deepcopy(DEFAULT_CONFIG)
            self.hook_fail: dict[str, list] = {}    # name -> [count left, status]
            self.sms: list[dict] = []
            self.robots: list[dict] = []
            self.robot_secrets: dict[tuple, str] = {}  # (platform, token) -> secret
            self.hooks: list[dict] = []
            self.hook_secrets: dict[str, str] = {}     # hook name -> its own secret
            self.hook_seen: set[str] = set()
            self.stats = dict.fromkeys(STAT_NAMES, 0)
            self.windows: dict[tuple, deque] = {}
            self._ids = 0

    def next_id(self) -> int:
        with self.lock:
            self._ids += 1
            return self._ids

    def count(self, name: str, n: int = 1) -> None:
        with self.lock:
            self.stats[name] += n

    def admit(self, key: tuple, limit: int, span: float) -> bool:
        """A sliding window of `span` seconds: True (and counted) if fewer than `limit`
        requests under `key` were admitted in it."""
        now = time.monotonic()
        with self.lock:
            window = self.windows.setdefault(key, deque())
            while window and window[0] <= now - span:
                window.popleft()
            if len(window) >= limit:
                return False
            window.append(now)
            return True

    def send_gate(self, provider: str, account: str) -> str:
        """The fate of one send request before its content is looked at:
        "ok", "throttled" (over the account's QPS) or "failed" (the next `fail_next`
        requests, then the fail_share)."""
        with self.lock:
            if not self.admit((provider, account), self.config["qps"], 1.0):
                self.stats["throttled"] += 1
                return "throttled"
            if self.config["fail_next"] > 0:
                self.config["fail_next"] -= 1
                self.stats["failed"] += 1
                return "failed"
            if random.random() < self.config["fail_share"]:
                self.stats["failed"] += 1
                return "failed"
            return "ok"

    def blacklisted(self, e164: str) -> bool:
        with self.lock:
            return e164 in self.config["blacklist"]

    def keep_sms(self, records: list[dict]) -> None:
        """Accepted messages, each {"provider", "phone", "sign_name", "template_code",
        "params", "out_id", "provider_id"}; stamped with id, time and status."""
        now = time.time()
        with self.lock:
            for r in records:
                r.update(id=self.next_id(), received_at=iso(now), status="sent",
                         at=now, report_at=None, err_code="", generation=self.generation)
                self.sms.append(r)
            self.stats["accepted"] += len(records)

    def last_sign(self, provider: str, e164: str) -> str:
        with self.lock:
            for r in reversed(self.sms):
                if r["provider"] == provider and r["phone"] == e164:
                    return r["sign_name"]
        return ""


PUBLIC_SMS = ("id", "provider", "phone", "sign_name", "template_code", "params", "out_id",
              "received_at", "status", "provider_id")


def public_sms(record: dict) -> dict:
    return {k: record[k] for k in PUBLIC_SMS}

"""Delivery receipts and uplinks, pushed to notify's provider callbacks: receipts are
made `receipt_delay_ms` after sending by a background thread, posted in batches of up
to 100, signed with the account's callback_secret, retried a few times, then dropped."""
import heapq
import itertools
import json
import logging
import random
import threading
import time
import urllib.error
import urllib.request

from simulators import signing, sms_aliyun, sms_tencent
from simulators.sms import FAIL_CODE

log = logging.getLogger("simulators")
PROVIDERS = {"aliyun": sms_aliyun, "tencent": sms_tencent}
BATCH = 100
ATTEMPTS = 3
TIMEOUT = 5.0


def post_callback(sim, provider: str, kind: str, body: bytes) -> tuple[int, bytes, str]:
    """POST `body` to `{callback_base}/api/v1/providers/<provider>/<kind>`, signed;
    (status, body, content type) of the answer.  OSError when it cannot be reached."""
    url = f"{sim.callback_base}/api/v1/providers/{provider}/{kind}"
    secret = sim.secrets[provider]["callback_secret"]
    request = urllib.request.Request(url, data=body, method="POST", headers={
        "Content-Type": "application/json; charset=utf-8",
        "X-Provider-Signature": signing.timed_signature(secret, body)})
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as answer:  # noqa: S310
            return answer.status, answer.read(), answer.headers.get("Content-Type", "")
    except urllib.error.HTTPError as e:
        return e.code, e.read(), e.headers.get("Content-Type", "")


class ReceiptSender:
    def __init__(self, sim):
        self.sim = sim
        self.cond = threading.Condition()
        self.pending: list[tuple[float, int, dict]] = []   # (due, seq, record) heap
        self.seq = itertools.count()
        self.stopping = False
        self.thread = threading.Thread(target=self._run, name="sim-receipts", daemon=True)

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        with self.cond:
            self.stopping = True
            self.cond.notify_all()
        self.thread.join(timeout=TIMEOUT * ATTEMPTS + 2)

    def clear(self) -> None:
        with self.cond:
            self.pending.clear()

    def schedule(self, records: list[dict], delay_ms: int) -> None:
        due = time.monotonic() + delay_ms / 1000
        with self.cond:
            for r in records:
                heapq.heappush(self.pending, (due, next(self.seq), r))
            self.cond.notify_all()

    def _run(self) -> None:
        while True:
            with self.cond:
                while not self.stopping and (not self.pending
                                             or self.pending[0][0] > time.monotonic()):
                    wait = self.pending[0][0] - time.monotonic() if self.pending else None
                    self.cond.wait(wait)
                if self.stopping:
                    return
                due = []
                while self.pending and self.pending[0][0] <= time.monotonic():
                    due.append(heapq.heappop(self.pending)[2])
            try:
                self._deliver(due)
            except Exception:
                log.exception("receipts: could not deliver %d receipts", len(due))

    def _deliver(self, records: list[dict]) -> None:
        state = self.sim.state
        made: dict[str, list[dict]] = {}
        with state.lock:
            share = state.config["undelivered_share"]
            now = time.time()
            for r in records:
                if r["generation"] != state.generation:
                    continue   # received before a reset
                failed = random.random() < share
                r.update(status="failed" if failed else "delivered", report_at=now,
                         err_code=FAIL_CODE if failed else "")
                made.setdefault(r["provider"], []).append(PROVIDERS[r["provider"]].receipt(r))
        for provider, items in made.items():
            for i in range(0, len(items), BATCH):
                self._post(provider, items[i:i + BATCH])

    def _post(self, provider: str, items: list[dict]) -> None:
        body = json.dumps(items, ensure_ascii=False).encode()
        for attempt in range(ATTEMPTS if self.sim.callback_base else 0):
            if attempt:
                time.sleep(0.2 * 2 ** (attempt - 1))
            if self.stopping:
                break
            try:
                status, _, _ = post_callback(self.sim, provider, "receipts", body)
                if 200 <= status < 300:
                    self.sim.state.count("receipts_posted", len(items))
                    return
                log.warning("receipts: %s callback answered %d", provider, status)
            except OSError as e:
                log.warning("receipts: %s callback unreachable: %s", provider, e)
        self.sim.state.count("receipts_dropped", len(items))

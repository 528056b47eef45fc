"""The gateway's health: its own database, then every other service's `health` RPC.

An anonymous caller learns which checks fail, never why: the reason (an
exception's text may name hosts, users, queries) goes to the log.
"""
import logging

from services.common import store
from services.common.rpc import gather_settled
from services.gateway.contract import SERVICE

log = logging.getLogger(__name__)


def check(db, peers: dict, timeout: float) -> dict:
    """{name: ok} for the gateway and every peer."""
    checks = {}
    try:
        with db.transaction() as tx:
            checks[SERVICE] = store.ping(tx.cur)
    except Exception:  # noqa: BLE001 — any failure means "not healthy"
        log.warning("health: %s's database failed", SERVICE, exc_info=True)
        checks[SERVICE] = False
    try:
        results = gather_settled([(peer.health, (), {}) for peer in peers.values()], timeout)
    except Exception as exc:  # noqa: BLE001 — the broker is down: every peer fails
        results = [exc] * len(peers)
    for name, result in zip(peers, results, strict=True):
        if isinstance(result, Exception):
            log.warning("health: %s failed: %s: %s", name, type(result).__name__, result)
        checks[name] = not isinstance(result, Exception) and bool(result.get("ok"))
    return checks


def report(checks: dict) -> dict:
    """The /healthz body: ok, or unavailable with the names of the failing checks."""
    failing = sorted(name for name, ok in checks.items() if not ok)
    return {"status": "unavailable" if failing else "ok", "checks": checks,
            "failing": failing}

"""The gateway's health: its own database, then every other service's `health` RPC."""
from services.common import store
from services.common.rpc import gather
from services.gateway.contract import SERVICE


def check(db, peers: dict, timeout: float) -> tuple[dict, str | None]:
    """({name: ok} for the gateway and each peer asked so far, None), or with the
    reason of the first failure instead of None."""
    checks: dict = {}
    try:
        with db.transaction() as tx:
            checks[SERVICE] = store.ping(tx.cur)
        results = gather([(peer.health, (), {}) for peer in peers.values()], timeout=timeout)
        checks.update({name: bool(r.get("ok")) for name, r in zip(peers, results, strict=True)})
    except Exception as exc:  # noqa: BLE001 — any failure means "not healthy"
        return checks, str(exc) or type(exc).__name__
    return checks, None

"""The health RPC every service answers (a base class the service inherits)."""
from typing import Any

from services.common import store
from services.common.identity import rpc


class HealthCheck:
    name: str
    db: Any  # the service's Database dependency
    @rpc(public=True)
    def health(self):
        """{"service": name, "ok": true} when this service and its database answer."""
        with self.db.transaction() as tx:
            store.ping(tx.cur)
        return {"service": self.name, "ok": True}

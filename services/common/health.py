"""The health RPC every service answers (a base class the service inherits)."""
from services.common import store
from services.common.db import Database
from services.common.rpc import public_rpc


class HealthCheck:
    name: str
    db: Database

    @public_rpc
    def health(self):
        """{"service": name, "ok": true} when this service and its database answer."""
        with self.db.transaction() as tx:
            store.ping(tx.cur)
        return {"service": self.name, "ok": True}

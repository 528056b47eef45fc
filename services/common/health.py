"""What every service answers and handles, from the base class it inherits: the health
RPC, and the gateway's staff_created / staff_updated kept for revocation (issue 9,
finding 5: services.common.accounts)."""
from services.common import accounts, store
from services.common.db import Database
from services.common.events import on_event
from services.common.identity import Accounts
from services.common.rpc import public_rpc


class HealthCheck:
    name: str
    db: Database
    account_versions = Accounts()

    @public_rpc
    def health(self):
        """{"service": name, "ok": true} when this service and its database answer."""
        with self.db.transaction() as tx:
            store.ping(tx.cur)
        return {"service": self.name, "ok": True}

    @on_event(accounts.SOURCE, "staff_created")
    def account_created(self, event):
        """A new account's version, kept for revocation (every service)."""
        with self.db.transaction() as tx:
            account = accounts.account_changed(tx, event["data"])
        self.account_versions.heard(account["staff_id"], account["version"], account["active"])

    @on_event(accounts.SOURCE, "staff_updated")
    def account_updated(self, event):
        """A changed account's version and activity: its older tokens are refused from
        now on (every service, within a second)."""
        with self.db.transaction() as tx:
            account = accounts.account_changed(tx, event["data"])
        self.account_versions.heard(account["staff_id"], account["version"], account["active"])

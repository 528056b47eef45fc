"""Revocation (issue 9, finding 5): the newest version and activity of each staff account,
as every service hears of it.

The gateway raises an account's `version` on every change and publishes the account
(staff_created, staff_updated); every staff token carries the version it was signed
at (`ver`).  Every service — the gateway too — handles those two events with the
platform's handlers (services.common.health.HealthCheck) into its own table
`account_version` (migration common/0003), and keeps the table in memory
(`AccountVersions`, refreshed by `Callers` every REFRESH_SECONDS and at once by the
handler in the process that handled the event).  `Callers` refuses a token whose
version is older than the account's, or whose account is disabled: a disabled
account, a lowered role or a changed password takes effect everywhere within a second.

An account a service never heard of is taken at its token's word (the token is signed
by the gateway, and lives at most 15 minutes).  The platform knows only ids, versions
and activity: roles and groups belong to the services that keep staff.
"""
import logging
import threading
from dataclasses import dataclass

from marshmallow import EXCLUDE, Schema, fields, validate

from services.common import store

log = logging.getLogger(__name__)
SOURCE = "gateway"
REFRESH_SECONDS = 0.5
# Rows changed this long before the newest one seen are read again: a transaction that
# wrote earlier but committed after a refresh is not missed.
OVERLAP_SECONDS = 5


class AccountChanged(Schema):
    """What the platform reads of staff_created / staff_updated (the rest is ignored)."""

    class Meta:
        unknown = EXCLUDE

    staff_id = fields.String(required=True, validate=validate.Length(min=1, max=64))
    active = fields.Boolean(load_default=True)
    version = fields.Integer(load_default=0, validate=validate.Range(min=0))


@dataclass(frozen=True)
class Known:
    version: int
    active: bool


class AccountVersions:
    """The accounts a service has heard of: {staff_id: Known}, the newest version kept."""

    def __init__(self):
        self._known: dict[str, Known] = {}
        self._lock = threading.Lock()
        self.since = None  # the newest changed_at read from the table

    def heard(self, staff_id: str, version: int, active: bool) -> None:
        with self._lock:
            known = self._known.get(staff_id)
            if known is None or version >= known.version:
                self._known[staff_id] = Known(version, active)

    def refusal(self, staff_id: str, version: int) -> str | None:
        """Why a token of this account at this version is refused, or None."""
        known = self._known.get(staff_id)
        if known is None:
            return None
        if not known.active:
            return "account disabled"
        if version < known.version:
            return "token revoked: the account changed, sign in again"
        return None

    def refresh(self, pool) -> None:
        """Read the rows changed since the last refresh (all on the first)."""
        conn = pool.get()
        broken = False
        try:
            with conn.cursor() as cur:
                rows = store.account_versions(cur, self.since, OVERLAP_SECONDS)
            conn.commit()
        except Exception:
            broken = True
            raise
        finally:
            pool.put(conn, broken)
        for row in rows:
            self.heard(row["staff_id"], row["version"], row["active"])
            if self.since is None or row["changed_at"] > self.since:
                self.since = row["changed_at"]


ACCOUNT_CHANGED = AccountChanged()


def account_changed(tx, data: dict) -> dict:
    """staff_created / staff_updated: the account's version and activity kept, unless a
    newer version is (events may come late or twice); the account as read."""
    account = ACCOUNT_CHANGED.load(data)
    store.keep_account_version(tx.cur, account["staff_id"], account["version"],
                               account["active"])
    return account

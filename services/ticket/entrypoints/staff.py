"""Entrypoints of the ticket service: staff — the read model of the gateway's staff
(for transfer and "any on-duty member of a group") and the on-duty flag 值班."""
from services.common.errors import NotFound
from services.common.events import on_event
from services.common.rpc import AuthenticatedRpc
from services.ticket.contract import workflow as wf
from services.ticket.store import staff as store
from services.vocabulary import STAFF, SUPERVISORS_UP, StaffChanged

rpc = AuthenticatedRpc.decorator  # transitional: roles move to the contract index (issue 8)

STAFF_EVENT = StaffChanged()
DUTY_IN = wf.DutyIn()
DUTY = wf.Duty()
GROUP_DUTY = wf.GroupDuty()


def _staff(event: dict) -> dict:
    staff = STAFF_EVENT.load(event["data"])
    active = event["data"].get("active", True)  # staff_updated may carry it
    staff["active"] = active if isinstance(active, bool) else True
    return staff


class StaffEntrypoints:
    @on_event("gateway", "staff_created")
    def staff_created(self, event):
        """A new staff account: known to the ticket service from now on."""
        with self.db.transaction() as tx:
            store.upsert(tx.cur, _staff(event))

    @on_event("gateway", "staff_updated")
    def staff_updated(self, event):
        """A changed staff account (roles, groups, active): same payload as created."""
        with self.db.transaction() as tx:
            store.upsert(tx.cur, _staff(event))

    @rpc(allow=STAFF)
    def set_duty(self, data):
        """Go on or off duty (data: {on_duty}); returns Duty."""
        on_duty = DUTY_IN.load(data)["on_duty"]
        with self.db.transaction() as tx:
            row = store.set_duty(tx.cur, self.principal, on_duty)
        return DUTY.dump(row)

    @rpc(allow=STAFF)
    def group_duty(self, group):
        """Who of a group is on duty: {group, members}; members of the group and
        supervisors and up only (NotFound otherwise)."""
        group = str(group or "")[:100]
        if group not in self.principal.groups and not self.principal.has_any(SUPERVISORS_UP):
            raise NotFound("no such group")
        with self.db.transaction() as tx:
            members = store.of_group(tx.cur, group)
        return GROUP_DUTY.dump({"group": group, "members": members})

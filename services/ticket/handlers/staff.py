"""Use cases of the staff read model (from the gateway's staff events: who may take a
transfer, who of a group is on duty) and of the on-duty flag 值班."""
from services.common.errors import NotFound
from services.common.identity import Principal
from services.ticket.store import staff as store
from services.vocabulary import SUPERVISORS_UP


def staff_changed(tx, staff: dict) -> None:
    """A staff account as it is now (a loaded StaffChanged): known from now on; its
    duty and assignment history are the ticket service's own and stay."""
    store.upsert(tx.cur, staff)


def set_duty(tx, principal: Principal, on_duty: bool) -> dict:
    """Go on or off duty (a caller the events have not brought yet is known from the
    token until they do)."""
    return store.set_duty(tx.cur, principal.id, principal.username or principal.id,
                          sorted(principal.roles), sorted(principal.groups), on_duty)


def group_duty(tx, principal: Principal, group) -> dict:
    """Who of a group is on duty: for its members, and supervisors and up."""
    group = str(group or "")[:100]
    if group not in principal.groups and not principal.has_any(SUPERVISORS_UP):
        raise NotFound("no such group")
    return {"group": group, "members": store.of_group(tx.cur, group)}

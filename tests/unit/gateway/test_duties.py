"""Separation of duties (issue 9, finding 6), the rules alone: what a change grants
above the ceiling, one's own rights, who may decide a change."""
import datetime

import pytest

from services.common.errors import Conflict, Forbidden
from services.gateway.domain import duties

NOW = datetime.datetime(2026, 12, 1, tzinfo=datetime.UTC)


def account(roles=("agent",), clearance=0, groups=(), active=True) -> dict:
    return {"display_name": "x", "roles": list(roles), "groups": list(groups),
            "clearance": clearance, "active": active}


@pytest.mark.parametrize("before, after, grants", [
    (None, account(), []),
    (None, account(["field"]), []),
    (None, account(["telephony"]), []),
    (None, account(["supervisor"], groups=["g"]), ["roles: supervisor", "groups: g"]),
    (None, account(["admin"]), ["roles: admin"]),
    (None, account(["auditor"]), ["roles: auditor"]),
    (None, account(clearance=1), ["clearance: 1"]),
    (account(), account(["general_manager"], 3), ["roles: general_manager", "clearance: 3"]),
    (account(["manager"], 2), account(["agent"], 0), []),                 # taking away
    (account(["manager"], 2), account(["manager"], 1), []),
    (account(["manager"], 2), account(["manager"], 2, active=False), []),
    (account(["manager"], 2, active=False), account(["manager"], 2), ["active"]),
    (account(["agent"], active=False), account(["agent"]), []),
    (account(["manager"], 2, ["a"]), account(["manager"], 2, ["a", "b"]), ["groups: b"]),
    (account(["auditor"]), account(["auditor"], groups=["b"]), []),      # no scope by group
    (account(), account(["manager"], active=False), []),                 # holds nothing yet
])
def test_finding6_what_a_change_grants_above_the_ceiling(before, after, grants):
    assert duties.grants(before, after) == grants


def test_finding6_no_one_changes_their_own_rights():
    with pytest.raises(Forbidden) as caught:
        duties.check_not_own("me", "me", {"roles": ["admin"], "display_name": "x",
                                          "clearance": 3})
    assert set(caught.value.fields) == {"roles", "clearance"}
    duties.check_not_own("me", "me", {"display_name": "x"})
    duties.check_not_own("me", "other", {"roles": ["admin"]})


def change(**over) -> dict:
    return {"status": "pending", "requested_by": "a1", "staff_id": "s1",
            "requested_at": NOW - datetime.timedelta(hours=1), "base_version": 4, **over}


def test_finding6_a_second_admin_decides():
    duties.check_decidable(change(), "a2", NOW, approving=True)
    duties.check_decidable(change(), "a1", NOW, approving=False)  # the requester withdraws
    with pytest.raises(Forbidden):
        duties.check_decidable(change(), "a1", NOW, approving=True)
    with pytest.raises(Forbidden):
        duties.check_decidable(change(), "s1", NOW, approving=True)
    with pytest.raises(Conflict, match="already approved"):
        duties.check_decidable(change(status="approved"), "a2", NOW, approving=True)
    with pytest.raises(Conflict, match="expired"):
        duties.check_decidable(change(requested_at=NOW - duties.PENDING_FOR), "a2", NOW,
                               approving=True)


def test_finding6_only_an_active_admin_acts_and_on_the_account_as_asked():
    duties.check_admin({**account(["admin"]), "active": True})
    for row in (None, account(["admin"], active=False), account(["manager"])):
        with pytest.raises(Forbidden):
            duties.check_admin(row)
    duties.check_unchanged_since(change(), {"version": 4})
    with pytest.raises(Conflict):
        duties.check_unchanged_since(change(), {"version": 5})

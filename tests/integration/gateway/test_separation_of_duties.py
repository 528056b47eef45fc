"""Separation of duties over staff accounts (issue 9, finding 6): an admin cannot
raise their own rights, cannot grant a role above the ceiling (supervisor and up,
admin, auditor) or a clearance above 0 alone — a second, different admin approves —
and every change is kept in an append-only audit that auditors read.  Every
change of an account raises its version, carried by staff_updated."""
import os
import uuid
from types import SimpleNamespace

import psycopg2
import psycopg2.errors
import psycopg2.extras
import pytest

from services.gateway import manage
from services.gateway.handlers import admin
from tests.integration.gateway.conftest import Http, account


def new_staff(roles=("agent",), clearance=0, **extra) -> dict:
    name = "n" + uuid.uuid4().hex[:12]
    return {"username": name, "display_name": name, "password": "pw-" + uuid.uuid4().hex,
            "roles": list(roles), "clearance": clearance, **extra}


def events(db, event_type: str, staff_id: str) -> list[dict]:
    with db.cursor() as cur:
        cur.execute("SELECT envelope FROM outbox WHERE event_type = %s"
                    " AND envelope->'data'->>'staff_id' = %s ORDER BY id", (event_type, staff_id))
        return [row["envelope"]["data"] for row in cur.fetchall()]


@pytest.fixture
def admins(gateway, staff):
    """(base URL, first admin, second admin, {name: Http as that account})."""
    base = gateway()
    first, second = staff(["admin"]), staff(["admin"])
    return base, first, second, {"first": Http(base, bearer=first["token"]),
                                 "second": Http(base, bearer=second["token"])}


class TestNoSelfEdit:
    @pytest.mark.parametrize("changes", [
        {"roles": ["admin", "general_manager"]}, {"clearance": 3}, {"active": False},
        {"groups": ["g1"]},
    ])
    def test_finding6_an_admin_cannot_change_their_own_rights(self, admins, db, changes):
        """Finding 6: PATCH /staff/{own id} made an admin a general manager with
        clearance 3."""
        _, first, _, http = admins
        reply = http["first"].patch(f"/api/v1/staff/{first['id']}", changes)
        assert reply.status_code == 403, reply.text
        assert set(reply.json()["fields"]) == set(changes)
        after = account(db, first["id"])
        assert (after["roles"], after["clearance"], after["active"], after["version"]) == \
            (first["roles"], first["clearance"], True, first["version"])

    def test_an_admin_may_change_their_own_display_name(self, admins):
        _, first, _, http = admins
        reply = http["first"].patch(f"/api/v1/staff/{first['id']}", {"display_name": "我自己"})
        assert reply.status_code == 200, reply.text
        assert reply.json()["display_name"] == "我自己"


class TestSecondApproval:
    def test_finding6_a_promotion_above_the_ceiling_waits_for_a_second_admin(
            self, admins, staff, db):
        """Finding 6: one admin made the second and third approvers of a destruction."""
        _, first, second, http = admins
        agent = staff()
        asked = http["first"].patch(f"/api/v1/staff/{agent['id']}",
                                    {"roles": ["general_manager"], "clearance": 3})
        assert asked.status_code == 202, asked.text
        change = asked.json()
        assert change["status"] == "pending" and change["kind"] == "update"
        assert change["requested_by"] == first["id"]
        assert set(change["grants"]) == {"roles: general_manager", "clearance: 3"}
        assert account(db, agent["id"])["roles"] == ["agent"]  # nothing applied yet

        own = http["first"].post(f"/api/v1/staff-changes/{change['id']}/approve")
        assert own.status_code == 403, own.text  # the requester cannot approve
        assert account(db, agent["id"])["roles"] == ["agent"]

        approved = http["second"].post(f"/api/v1/staff-changes/{change['id']}/approve")
        assert approved.status_code == 200, approved.text
        assert approved.json()["status"] == "approved"
        assert approved.json()["decided_by"] == second["id"]
        after = account(db, agent["id"])
        assert (after["roles"], after["clearance"], after["version"]) == \
            (["general_manager"], 3, agent["version"] + 1)
        assert events(db, "staff_updated", agent["id"])[-1]["version"] == agent["version"] + 1

        again = http["second"].post(f"/api/v1/staff-changes/{change['id']}/approve")
        assert again.status_code == 409  # decided once

    def test_finding6_an_elevated_account_is_created_only_once_approved(self, admins, db):
        base, _, _, http = admins
        body = new_staff(["manager"], clearance=2)
        asked = http["first"].post("/api/v1/staff", body)
        assert asked.status_code == 202, asked.text
        assert "password" not in asked.text and "hash" not in asked.text
        assert Http(base).login(body["username"], body["password"]).status_code == 401

        approved = http["second"].post(f"/api/v1/staff-changes/{asked.json()['id']}/approve")
        assert approved.status_code == 201, approved.text
        made = approved.json()["staff"]
        assert (made["roles"], made["clearance"], made["version"]) == (["manager"], 2, 1)
        assert Http(base).login(body["username"], body["password"]).status_code == 200
        assert events(db, "staff_created", made["id"])[-1]["version"] == 1

    @pytest.mark.parametrize("roles, clearance", [
        (["admin"], 0), (["auditor"], 0), (["supervisor"], 0), (["agent"], 1)])
    def test_finding6_each_grant_above_the_ceiling_needs_approval(
            self, admins, roles, clearance):
        _, _, _, http = admins
        reply = http["first"].post("/api/v1/staff", new_staff(roles, clearance))
        assert reply.status_code == 202, reply.text

    def test_finding6_a_rejected_change_applies_nothing(self, admins, staff, db):
        _, _, _, http = admins
        agent = staff()
        change = http["first"].patch(f"/api/v1/staff/{agent['id']}", {"roles": ["manager"]}
                                     ).json()
        rejected = http["second"].post(f"/api/v1/staff-changes/{change['id']}/reject",
                                       {"note": "没有依据"})
        assert rejected.status_code == 200, rejected.text
        assert rejected.json()["status"] == "rejected"
        assert rejected.json()["note"] == "没有依据"
        assert http["second"].post(f"/api/v1/staff-changes/{change['id']}/approve"
                                   ).status_code == 409
        assert account(db, agent["id"])["roles"] == ["agent"]

    def test_finding6_a_change_asked_before_the_account_changed_is_not_approved(
            self, admins, staff, db):
        _, _, _, http = admins
        agent = staff()
        change = http["first"].patch(f"/api/v1/staff/{agent['id']}", {"roles": ["manager"]}
                                     ).json()
        assert http["first"].patch(f"/api/v1/staff/{agent['id']}", {"active": False}
                                   ).status_code == 200  # a removal applies at once
        stale = http["second"].post(f"/api/v1/staff-changes/{change['id']}/approve")
        assert stale.status_code == 409, stale.text
        assert account(db, agent["id"])["roles"] == ["agent"]

    def test_finding6_a_disabled_admin_cannot_approve(self, admins, staff, db):
        base, _, _, http = admins
        agent, gone = staff(), staff(["admin"], active=False)
        change = http["first"].patch(f"/api/v1/staff/{agent['id']}", {"roles": ["manager"]}
                                     ).json()
        reply = Http(base, bearer=gone["token"]).post(
            f"/api/v1/staff-changes/{change['id']}/approve")
        assert reply.status_code == 403, reply.text
        assert account(db, agent["id"])["roles"] == ["agent"]

    def test_finding6_removals_and_grants_below_the_ceiling_apply_at_once(
            self, admins, staff, db):
        _, _, _, http = admins
        manager = staff(["manager"], clearance=2)
        reply = http["first"].patch(f"/api/v1/staff/{manager['id']}",
                                    {"roles": ["agent", "field"], "clearance": 0})
        assert reply.status_code == 200, reply.text
        assert reply.json()["version"] == manager["version"] + 1
        assert http["first"].patch(f"/api/v1/staff/{manager['id']}", {"active": False}
                                   ).json()["version"] == manager["version"] + 2
        versions = [e["version"] for e in events(db, "staff_updated", manager["id"])]
        assert versions == [manager["version"] + 1, manager["version"] + 2]
        # giving the account back its activity is a grant again: it holds no elevated
        # right now, so it applies at once
        assert http["first"].patch(f"/api/v1/staff/{manager['id']}", {"active": True}
                                   ).status_code == 200

    def test_finding6_reactivating_an_elevated_account_needs_approval(self, admins, staff):
        _, _, _, http = admins
        manager = staff(["manager"], clearance=1, active=False)
        reply = http["first"].patch(f"/api/v1/staff/{manager['id']}", {"active": True})
        assert reply.status_code == 202, reply.text
        assert reply.json()["grants"] == ["active"]

    def test_pending_changes_are_listed_for_admins_and_auditors(self, admins, staff):
        base, _, _, http = admins
        agent, auditor = staff(), staff(["auditor"])
        change = http["first"].patch(f"/api/v1/staff/{agent['id']}", {"roles": ["supervisor"]}
                                     ).json()
        listed = Http(base, bearer=auditor["token"]).get(
            "/api/v1/staff-changes?status=pending&limit=500")
        assert listed.status_code == 200, listed.text
        assert change["id"] in [c["id"] for c in listed.json()["changes"]]
        assert Http(base, bearer=auditor["token"]).get(
            f"/api/v1/staff-changes/{change['id']}").json()["status"] == "pending"
        assert Http(base, bearer=staff()["token"]).get("/api/v1/staff-changes").status_code == 403


class TestAudit:
    def test_finding6_every_staff_change_is_audited_and_readable_by_auditors(
            self, admins, staff):
        """Finding 6: changes of accounts left no trace."""
        base, first, second, http = admins
        body = new_staff(["agent"])
        made = http["first"].post("/api/v1/staff", body).json()
        http["first"].patch(f"/api/v1/staff/{made['id']}", {"display_name": "新名字"})
        change = http["first"].patch(f"/api/v1/staff/{made['id']}", {"clearance": 1}).json()
        http["second"].post(f"/api/v1/staff-changes/{change['id']}/approve")

        auditor = Http(base, bearer=staff(["auditor"])["token"])
        reply = auditor.get(f"/api/v1/staff-audit?staff_id={made['id']}")
        assert reply.status_code == 200, reply.text
        entries = reply.json()["entries"]  # newest first
        assert [e["action"] for e in entries] == ["approved", "requested", "updated", "created"]
        approved, requested, renamed, created = entries
        assert (approved["actor"], approved["approved_by"]) == (second["id"], second["id"])
        assert approved["requested_by"] == first["id"]
        assert (approved["old"]["clearance"], approved["new"]["clearance"]) == (0, 1)
        assert requested["actor"] == first["id"] and requested["change_id"] == change["id"]
        assert (renamed["old"]["display_name"], renamed["new"]["display_name"]) == \
            (body["display_name"], "新名字")
        assert created["old"] is None and created["new"]["roles"] == ["agent"]
        assert all(e["at"] and e["username"] == body["username"] for e in entries)
        assert all("password" not in str(e) for e in entries)

        agent = Http(base, bearer=staff()["token"])
        assert agent.get("/api/v1/staff-audit").status_code == 403

    def test_finding6_the_audit_is_append_only_for_the_service(self):
        conn = psycopg2.connect(os.environ["KEFU_GATEWAY_DB_URI"])
        try:
            for statement in ("UPDATE staff_audit SET action = 'x' WHERE false",
                              "DELETE FROM staff_audit WHERE false", "TRUNCATE staff_audit"):
                with pytest.raises(psycopg2.errors.InsufficientPrivilege), conn.cursor() as cur:
                    cur.execute(statement)
                conn.rollback()
        finally:
            conn.rollback()
            conn.close()


class TestFirstSetUp:
    def test_finding6_the_operator_approves_the_second_admin_of_a_fresh_install(
            self, admins, db, capsys):
        """A fresh install has one admin (ensure-admin); its second admin is asked for
        by the first and approved by the operator on the host."""
        base, _, _, http = admins
        body = new_staff(["admin"])
        asked = http["first"].post("/api/v1/staff", body).json()
        assert manage.approve_staff_change(asked["id"]) == 0
        assert asked["id"] in capsys.readouterr().out
        assert Http(base).login(body["username"], body["password"]).status_code == 200
        with db.cursor() as cur:
            cur.execute("SELECT actor_id, approved_by FROM staff_audit WHERE change_id = %s"
                        " AND action = 'approved'", (asked["id"],))
            assert cur.fetchone() == {"actor_id": "operator", "approved_by": "operator"}

    def test_ensure_admin_still_makes_the_first_admin_and_audits_it(self):
        """ensure-admin's handler on an install without `admin` (in a transaction rolled
        back: the shared test database keeps its admin)."""
        conn = psycopg2.connect(os.environ["KEFU_GATEWAY_DB_URI"],
                                cursor_factory=psycopg2.extras.RealDictCursor)
        try:
            with conn.cursor() as cur:
                cur.execute("DELETE FROM staff WHERE username = 'admin'")
                assert admin.ensure_admin(SimpleNamespace(cur=cur))
                assert admin.ensure_admin(SimpleNamespace(cur=cur)) is None
                cur.execute("SELECT roles, version FROM staff WHERE username = 'admin'")
                assert cur.fetchone() == {"roles": ["admin"], "version": 1}
                cur.execute("SELECT actor_id, action FROM staff_audit WHERE username = 'admin'"
                            " ORDER BY id DESC LIMIT 1")
                assert cur.fetchone() == {"actor_id": "operator", "action": "created"}
        finally:
            conn.rollback()
            conn.close()

"""Who may say what (issue 9, findings 4 and 5): signed identities and revocation, on
real containers.

Finding 4: one shared HS256 key let any service mint a general manager's token, and a
timer's or handler's SYSTEM principal was allowed on every RPC.  Now the gateway alone
signs staff tokens (its private key), each service signs its own system tokens (its
own key), and a system identity is allowed only on the RPCs its contract line declares
for it (Operation.system).

Finding 5: tokens lived 8 h and nothing revoked them.  Now access tokens live at most
15 minutes, a refresh token (opaque, hashed in the gateway's database, rotated on each
use) gets the next one, logout ends it, and every service hears staff_created /
staff_updated (a platform handler) and refuses a token older than its account's
version or of a disabled account — within a second.
"""
import time
import uuid

import pytest

from services.common.errors import Forbidden, Unauthenticated
from tests.helpers import key_config, system_token
from tests.integration.gateway import conftest as gateway_tier
from tests.integration.gateway.conftest import Http

# the gateway tier's fixtures: a gateway on a free port, accounts made in its database
gateway, staff, db = gateway_tier.gateway, gateway_tier.staff, gateway_tier.db

ACCESS_TOKEN_LIMIT = 15 * 60


def within(seconds: float, check, step: float = 0.05) -> float | None:
    """Seconds until `check()` was true, or None when it was not within `seconds`."""
    started = time.monotonic()
    while True:
        elapsed = time.monotonic() - started
        if check():
            return elapsed
        if elapsed > seconds:
            return None
        time.sleep(step)


def refused(call) -> bool:
    try:
        call()
    except Unauthenticated:
        return True
    return False


# -- finding 4: per-service system identities ---------------------------------------
class TestSystemIdentities:
    def test_finding4_a_system_token_is_refused_by_an_rpc_not_declared_for_its_service(
            self, start, rpc):
        """Finding 4 (S3 extended): one service's system token is refused by another
        service's RPC that is not declared for it (it was allowed on every RPC)."""
        start("report")
        report = rpc("report", auth_token=system_token("ticket"))
        with pytest.raises(Forbidden):
            report.tickets_daily("2026-01-01", "2026-01-02")

    def test_finding4_a_declared_rpc_takes_its_system_caller_and_no_other(
            self, container_factory, rabbit_config, rpc):
        """An operation lists the services whose system identities may call it: the
        declared one gets in as itself (system:<svc>), any other is Forbidden."""
        from services.common.contracts import Contract, Operation
        from services.common.identity import Identity
        from services.common.rpc import rpc_entrypoints
        from services.vocabulary import STAFF

        contract = Contract("tokenprobe", operations=[
            Operation("whoami", STAFF, system=("ticket",)),
        ])
        entrypoint = rpc_entrypoints(contract)

        class TokenProbe:
            name = "tokenprobe"
            principal = Identity()

            @entrypoint
            def whoami(self):
                return {"id": self.principal.id, "system": self.principal.is_system}

        container = container_factory(TokenProbe, {**rabbit_config, **key_config(),
                                                   "serializer": "json"})
        container.start()
        assert rpc("tokenprobe", auth_token=system_token("ticket")).whoami() == {
            "id": "system:ticket", "system": True}
        with pytest.raises(Forbidden):
            rpc("tokenprobe", auth_token=system_token("notify")).whoami()
        assert rpc("tokenprobe", roles=("agent",)).whoami()["system"] is False


# -- finding 5: short tokens, refresh, logout -------------------------------------------
def signed_in(base: str, member: dict) -> dict:
    reply = Http(base).login(member["username"], member["password"])
    assert reply.status_code == 200, reply.text
    return reply.json()


class TestShortTokens:
    def test_finding5_sign_in_answers_a_short_access_token_and_a_refresh_token(
            self, gateway, staff):
        """Finding 5: the access token lived 8 hours; now at most 15 minutes, with a
        refresh token for the next one."""
        base = gateway()
        answer = signed_in(base, staff())
        assert 0 < answer["expires_in"] <= ACCESS_TOKEN_LIMIT
        assert answer["refresh_token"] and answer["refresh_token"] != answer["token"]
        assert Http(base, bearer=answer["token"]).get("/api/v1/me").status_code == 200

    def test_finding5_a_refresh_token_is_rotated_and_a_reused_one_ends_the_session(
            self, gateway, staff):
        base = gateway()
        first = signed_in(base, staff())
        second = Http(base).post("/api/v1/auth/refresh",
                                 {"refresh_token": first["refresh_token"]})
        assert second.status_code == 200, second.text
        second = second.json()
        assert second["refresh_token"] != first["refresh_token"]
        assert Http(base, bearer=second["token"]).get("/api/v1/me").status_code == 200
        # the used one again: someone copied it — the whole session ends
        again = Http(base).post("/api/v1/auth/refresh", {"refresh_token": first["refresh_token"]})
        assert again.status_code == 401, again.text
        assert Http(base).post("/api/v1/auth/refresh",
                               {"refresh_token": second["refresh_token"]}).status_code == 401

    def test_finding5_logout_ends_the_refresh_token(self, gateway, staff):
        base = gateway()
        answer = signed_in(base, staff())
        out = Http(base, bearer=answer["token"]).post(
            "/api/v1/auth/logout", {"refresh_token": answer["refresh_token"]})
        assert out.status_code == 204, out.text
        assert Http(base).post("/api/v1/auth/refresh",
                               {"refresh_token": answer["refresh_token"]}).status_code == 401

    @pytest.mark.parametrize("token", ["", "x" * 30, "not a token", uuid.uuid4().hex * 2])
    def test_finding5_an_unknown_refresh_token_is_401(self, gateway, token):
        base = gateway()
        reply = Http(base).post("/api/v1/auth/refresh", {"refresh_token": token})
        assert reply.status_code in (400, 401), reply.text
        assert reply.status_code == 401 or "refresh_token" in reply.json()["fields"]

    def test_finding5_a_password_change_ends_every_refresh_token(self, gateway, staff):
        base = gateway()
        member = staff()
        other_session, this_session = signed_in(base, member), signed_in(base, member)
        changed = Http(base, bearer=this_session["token"]).put(
            "/api/v1/me/password", {"old": member["password"], "new": "a-new-long-password"})
        assert changed.status_code == 200, changed.text
        for session in (other_session, this_session):
            assert Http(base).post("/api/v1/auth/refresh",
                                   {"refresh_token": session["refresh_token"]}
                                   ).status_code == 401


# -- finding 5: revocation honoured by every service within a second -----------------
class TestRevocation:
    def test_finding5_a_disabled_accounts_token_is_refused_by_the_gateway_and_a_service_within_a_second(  # noqa: E501
            self, gateway, start, staff, rpc):
        """Finding 5 (S3 extended): disabling an account took effect up to 8 h later;
        now its token is refused by the gateway and by the services within a second
        (staff_updated with the account's version, heard by every service)."""
        base = gateway()
        start("ticket")
        admin, victim = staff(["admin"]), staff(["agent"])
        session = signed_in(base, victim)
        http = Http(base, bearer=session["token"])
        ticket = rpc("ticket", auth_token=session["token"])
        assert http.get("/api/v1/groups").status_code == 200  # the gateway's own route
        ticket.queue_counts()

        reply = Http(base, bearer=admin["token"]).patch(f"/api/v1/staff/{victim['id']}",
                                                         {"active": False})
        assert reply.status_code == 200, reply.text

        disabled = time.monotonic()  # both within a second of the change
        at_gateway = within(1.0, lambda: http.get("/api/v1/groups").status_code == 401)
        at_service = within(disabled + 1.0 - time.monotonic(),
                            lambda: refused(ticket.queue_counts))
        assert at_gateway is not None, "the gateway still takes the disabled account's token"
        assert at_service is not None, "the ticket service still takes it"
        # and no new access token either
        assert Http(base).post("/api/v1/auth/refresh",
                               {"refresh_token": session["refresh_token"]}).status_code == 401

    def test_finding5_a_lowered_role_revokes_the_older_token_and_a_refresh_gets_the_new_rights(
            self, gateway, start, staff, rpc):
        """A change of rights raises the account's version: a token of the older version
        is refused everywhere; the refresh token of a rights change is ended too, so
        the member signs in again and gets the new rights."""
        base = gateway()
        start("ticket")
        admin, member = staff(["admin"]), staff(["agent", "field"])
        session = signed_in(base, member)
        ticket = rpc("ticket", auth_token=session["token"])
        ticket.queue_counts()
        reply = Http(base, bearer=admin["token"]).patch(f"/api/v1/staff/{member['id']}",
                                                         {"roles": ["agent"]})
        assert reply.status_code == 200, reply.text
        assert within(1.0, lambda: refused(ticket.queue_counts)) is not None
        assert Http(base).post("/api/v1/auth/refresh",
                               {"refresh_token": session["refresh_token"]}).status_code == 401
        again = signed_in(base, member)
        assert again["staff"]["roles"] == ["agent"]
        rpc("ticket", auth_token=again["token"]).queue_counts()

    def test_finding5_a_renamed_account_refreshes_into_a_token_of_the_new_version(
            self, gateway, staff):
        """A change that is not of rights (the display name) also raises the version:
        the older access token is refused, but the refresh token lives on and gets one
        of the new version."""
        base = gateway()
        admin, member = staff(["admin"]), staff(["agent"])
        session = signed_in(base, member)
        http = Http(base, bearer=session["token"])
        reply = Http(base, bearer=admin["token"]).patch(f"/api/v1/staff/{member['id']}",
                                                         {"display_name": "改名"})
        assert reply.status_code == 200, reply.text
        assert within(1.0, lambda: http.get("/api/v1/groups").status_code == 401) is not None
        fresh = Http(base).post("/api/v1/auth/refresh",
                                {"refresh_token": session["refresh_token"]})
        assert fresh.status_code == 200, fresh.text
        assert Http(base, bearer=fresh.json()["token"]).get("/api/v1/groups").status_code == 200


"""Sessions (issue 9, finding 5), free of I/O: refresh tokens are opaque and kept only as
a digest; which changes of an account end its sessions."""
from services.gateway.domain import accounts, duties

ACCOUNT = {"display_name": "李雷", "roles": ["agent"], "groups": ["g1"], "clearance": 0,
           "active": True}


def test_a_refresh_token_is_random_and_only_its_digest_is_kept():
    token, digest = accounts.new_refresh_token()
    other, _ = accounts.new_refresh_token()
    assert token != other and len(token) >= 43  # 256 bits
    assert digest == accounts.refresh_digest(token) and token not in digest
    assert len(digest) == 64


def test_finding5_a_change_of_rights_ends_the_sessions_a_rename_does_not():
    assert not duties.rights_changed(ACCOUNT, {**ACCOUNT, "display_name": "韩梅梅"})
    for name, value in (("roles", ["field"]), ("groups", []), ("clearance", 1),
                        ("active", False)):
        assert duties.rights_changed(ACCOUNT, {**ACCOUNT, name: value}), name


def test_finding5_a_used_refresh_token_presented_again_ends_its_session():
    live = {"revoked_at": None, "expired": False, "used_at": None}
    active = {"active": True}
    assert accounts.refresh_verdict(live, active) == (True, None)
    assert accounts.refresh_verdict(None, active) == (False, None)
    assert accounts.refresh_verdict({**live, "expired": True}, active) == (False, None)
    assert accounts.refresh_verdict({**live, "revoked_at": "then"}, active) == (False, None)
    rotate, ends = accounts.refresh_verdict({**live, "used_at": "then"}, active)
    assert not rotate and ends
    rotate, ends = accounts.refresh_verdict(live, {"active": False})
    assert not rotate and ends

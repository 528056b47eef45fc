"""C1/C3 through the customer service's RPC, with S3 at the RPC boundary."""
import pytest

from services.common.errors import Forbidden, Invalid, NotFound, Unauthenticated
from tests.helpers import random_mobile


class TestCreateCustomer:
    def test_created_customer_is_found_by_phone_in_any_form(self, start, rpc):
        start("customer")
        mobile = random_mobile()
        customers = rpc("customer")
        created = customers.create_customer({"name": "王芳", "phones": [mobile]})
        assert created["number"].startswith("KH")
        assert created["phones"][0]["masked"] == f"{mobile[:3]}****{mobile[7:]}"
        for typed in (f"+86 {mobile[:3]} {mobile[3:7]} {mobile[7:]}", f"0086-{mobile}", mobile):
            assert [m["id"] for m in customers.lookup(typed)["matches"]] == [created["id"]]
        assert customers.get_customer(created["id"])["name"] == "王芳"

    def test_bad_fields_are_named_and_nothing_is_created(self, start, rpc):
        start("customer")
        customers = rpc("customer")
        mobile = random_mobile()
        with pytest.raises(Invalid) as caught:
            customers.create_customer({"name": "", "phones": [mobile, "12345"]})
        assert set(caught.value.fields) == {"name", "phones.1"}
        assert customers.lookup(mobile)["matches"] == []

    def test_unknown_customer_is_not_found(self, start, rpc):
        start("customer")
        with pytest.raises(NotFound):
            rpc("customer").get_customer("not-an-id")


class TestIdentityAtTheRpcBoundary:
    """S3: the service itself refuses callers without a valid signed token."""

    @pytest.mark.parametrize("auth_token", ["", "forged.token.value"])
    def test_missing_or_forged_token_is_refused(self, start, rpc, auth_token):
        start("customer")
        with pytest.raises(Unauthenticated):
            rpc("customer", auth_token=auth_token).lookup(random_mobile())

    def test_role_without_permission_is_forbidden(self, start, rpc):
        start("customer")
        with pytest.raises(Forbidden):
            rpc("customer", roles=("auditor",)).create_customer({"name": "李四"})

    def test_health_is_public(self, start, rpc):
        start("customer")
        assert rpc("customer", auth_token="").health() == {"service": "customer", "ok": True}

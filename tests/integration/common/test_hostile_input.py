"""Hostile input is a 400 / Invalid naming the field, never a 500 (issue 9, finding 9):
NUL characters (PostgreSQL refuses them: the gateway answered 502 or 500) and deeply
nested JSON (a recursion error, 500).  The gateway refuses them before any service is
asked; every RPC entrypoint refuses them before its worker runs, whoever the caller;
a NUL a service makes itself is still an Invalid, not a crash."""
import socket

import pytest
import requests

from services.common.errors import Invalid
from tests.helpers import token
from tests.integration.common import probe


@pytest.fixture
def probe_rpc(container_factory, rabbit_config, rpc):
    container = container_factory(probe.ProbeService, probe.config(rabbit_config))
    container.start()
    return rpc(probe.NAME, roles=("agent",))


def test_finding9_nul_in_an_rpc_argument_is_invalid_naming_the_field(probe_rpc):
    """Issue 9 finding 9: before, the text reached PostgreSQL and the caller got a
    RemoteError (ValueError), which the gateway answered 502."""
    with pytest.raises(Invalid) as refused:
        probe_rpc.echo_text({"text": "a\x00b"})
    assert refused.value.fields == {"text": ["contains a NUL character"]}
    assert probe_rpc.echo_text({"text": "文字"}) == "文字"


def test_finding9_deeply_nested_rpc_arguments_are_invalid(probe_rpc):
    """Issue 9 finding 9: no worker runs for a request nested past the bound."""
    deep: dict = {"text": "x"}
    for _ in range(40):
        deep = {"a": deep}
    with pytest.raises(Invalid) as refused:
        probe_rpc.echo_text(deep)
    assert "deeper than" in str(refused.value.fields)


def test_finding9_nul_made_inside_a_service_is_invalid_not_a_crash(probe_rpc):
    """Issue 9 finding 9: the unit of work turns PostgreSQL's refusal of a NUL into
    Invalid (the last wall, behind the entrypoint's check)."""
    with pytest.raises(Invalid):
        probe_rpc.nul_from_inside()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def gateway_base(start):
    port = _free_port()
    start("gateway", WEB_SERVER_ADDRESS=f"127.0.0.1:{port}")
    return f"http://127.0.0.1:{port}"


def test_finding9_nul_and_deep_json_are_a_400_at_the_gateway(gateway_base):
    """Issue 9 finding 9: before, a NUL in the login's username reached PostgreSQL (500)
    and 100,000 nested arrays were a RecursionError (500)."""
    login = gateway_base + "/api/v1/auth/login"
    answer = requests.post(login, data=b'{"username": "adm\\u0000in", "password": "x"}',
                           timeout=10)
    assert answer.status_code == 400, answer.text
    assert answer.json()["fields"] == {"username": ["contains a NUL character"]}

    deep = b'{"username": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    answer = requests.post(login, data=deep, timeout=10)
    assert answer.status_code == 400, answer.text
    assert "deeper than" in str(answer.json()["fields"])


def test_finding9_nul_in_the_query_is_a_400_before_any_service_is_asked(gateway_base):
    """Issue 9 finding 9: a NUL in the query string of a forwarded route."""
    answer = requests.get(gateway_base + "/api/v1/customers/search?q=%00",
                          headers={"Authorization": "Bearer " + token(("agent",))},
                          timeout=10)
    assert answer.status_code == 400, answer.text
    assert answer.json()["fields"] == {"q": ["contains a NUL character"]}

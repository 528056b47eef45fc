"""What the gateway does about the services behind it (issue 9, findings 1 and 9): each
forwarded route holds a slot of its service's bulkhead, and a request a service parked
after it kept ending the service's process is a 422 with a clear body."""
import importlib
import json

from nameko.extensions import ENTRYPOINT_EXTENSIONS_ATTR

from services.common.errors import RequestParked
from services.gateway import http
from services.gateway.routes import forward

service = importlib.import_module("services.gateway.service")


def _api(method) -> http.Api:
    return next(e for e in getattr(method, ENTRYPOINT_EXTENSIONS_ATTR)
                if isinstance(e, http.Api))


def test_finding9_every_forwarded_route_names_its_service():
    """Issue 9 finding 9 (bulkheads): the routes made by `forward` name the service they
    ask; the gateway's own routes that ask nobody name none."""
    gateway = service.GatewayService
    assert _api(gateway.create_ticket).upstreams == ("ticket",)
    assert _api(gateway.get_customer).upstreams == ("customer",)
    assert _api(gateway.inbox).upstreams == ("notify",)
    assert _api(gateway.login).upstreams == ()
    assert forward.__module__ == "services.gateway.routes"


def test_finding1_a_parked_request_is_a_422_with_a_clear_body():
    """Issue 9 finding 1: RequestParked has its line in the gateway's one error table."""
    answer = http.response_for(RequestParked("this request was set aside"))
    assert answer.status_code == 422
    assert json.loads(answer.get_data()) == {"error": "request_parked",
                                             "message": "this request was set aside"}

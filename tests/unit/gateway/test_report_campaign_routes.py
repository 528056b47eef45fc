"""Issue 13, R2: the gateway routes of the keypad-offer 满意度发送率 and campaign figures (a
mixin the lead adds to GatewayService): the contract's roles, GET paths, the query
validated before any call (`by` a list; a bad field is a 400 naming it)."""
import pytest
from marshmallow import ValidationError
from nameko.extensions import ENTRYPOINT_EXTENSIONS_ATTR
from werkzeug.test import EnvironBuilder

from services.gateway import http
from services.gateway import report_campaign_routes as routes_module
from services.gateway import routes as forwarding
from services.report import contract as report
from services.vocabulary import AGENT, AUDITOR, FIELD, MANAGER, SUPERVISOR, TELEPHONY

Routes = routes_module.ReportCampaignRoutes
PATHS = {"ivr_offer_figures": "/api/v1/reports/ivr-offers",
         "campaign_figures": "/api/v1/reports/campaigns"}


def _route(name: str) -> http.Api:
    [extension] = [e for e in getattr(getattr(Routes, name), ENTRYPOINT_EXTENSIONS_ATTR, ())
                   if isinstance(e, http.Api)]
    return extension


@pytest.mark.parametrize("name", sorted(PATHS))
def test_r2_each_route_has_the_contracts_roles_and_its_get_path(name):
    route = _route(name)
    assert route.allow == report.CONTRACT.operation(name).roles
    assert (route.method, route.url) == ("GET", PATHS[name])
    assert route.upstreams == ("report",) and not route.public
    assert {AGENT, SUPERVISOR, MANAGER, AUDITOR} <= route.allow
    assert not {FIELD, TELEPHONY} & route.allow


class Report:
    ivr_offer_figures = "report.ivr_offer_figures"
    campaign_figures = "report.campaign_figures"


class FakeGateway:
    report = Report()
    deadline = 5.0


@pytest.fixture
def calls(monkeypatch):
    made = []

    def call(method, *args, timeout):
        made.append((method.rsplit(".", 1)[1], args))
        return {"ok": True}
    monkeypatch.setattr(forwarding, "call", call)
    return made


def _get(path: str, query: str):
    return EnvironBuilder(method="GET", path=path, query_string=query).get_request()


def test_r2_the_offer_query_goes_validated_with_by_a_list(calls):
    Routes.ivr_offer_figures(FakeGateway(), _get(
        PATHS["ivr_offer_figures"], "from=2026-12-01&to=2026-12-07&by=agent,kind"
        "&by=group&ticket_kind=咨询&period=week"))
    [(operation, (query,))] = calls
    assert operation == "ivr_offer_figures"
    assert query["by"] == ["agent", "kind", "group"] and query["ticket_kind"] == "咨询"
    assert query["period"] == "week" and query["from"] == "2026-12-01"


def test_r2_the_campaign_query_goes_validated(calls):
    Routes.campaign_figures(FakeGateway(), _get(
        PATHS["campaign_figures"], "from=2026-12-01&to=2026-12-31&by=agent&campaign_id=c1"))
    [(operation, (query,))] = calls
    assert operation == "campaign_figures"
    assert query["by"] == ["agent"] and query["campaign_id"] == "c1"


@pytest.mark.parametrize("name,query,field", [
    ("ivr_offer_figures", "from=2026-12-01&to=2026-12-07&by=source", "by"),
    ("ivr_offer_figures", "to=2026-12-07", "from"),
    ("ivr_offer_figures", "from=2026-12-01&to=2026-12-07&period=year", "period"),
    ("campaign_figures", "from=2026-12-01&to=2026-12-07&by=kind", "by"),
    ("campaign_figures", "from=2026-12-01&to=2026-12-07&campaign_id=" + "x" * 101,
     "campaign_id"),
])
def test_r2_a_bad_field_is_refused_naming_it_before_any_call(calls, name, query, field):
    with pytest.raises(ValidationError) as caught:
        getattr(Routes, name)(FakeGateway(), _get(PATHS[name], query))
    assert field in caught.value.messages and calls == []

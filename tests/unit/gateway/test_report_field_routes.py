"""The gateway's field work and biggest-customers routes (issue 13, R2): the contract's
roles (field staff read field figures in their own scope; only supervisors up, admins
and auditors the biggest customers), the query validated before any call with `by` a
list, a bad field a 400 naming it."""
import pytest
from marshmallow import ValidationError
from werkzeug.test import EnvironBuilder

from services.gateway import report_routes
from services.gateway import routes as forwarding
from services.gateway.report_field_routes import ReportFieldRoutes
from services.report import contract as report
from services.vocabulary import ADMIN, AGENT, AUDITOR, FIELD, MANAGER, SUPERVISOR, TELEPHONY


class Report:
    field_figures = "report.field_figures"
    top_customers = "report.top_customers"


class FakeGateway:
    report = Report()
    deadline = 5.0


@pytest.fixture
def calls(monkeypatch):
    made = []

    def call(method, *args, timeout):
        made.append((method.rsplit(".", 1)[1], args))
        return {"rows": []}
    monkeypatch.setattr(forwarding, "call", call)
    monkeypatch.setattr(report_routes, "call", call)
    return made


def _get(path: str, query: str):
    return EnvironBuilder(method="GET", path=path, query_string=query).get_request()


def _route(name: str):
    [route] = list(getattr(getattr(ReportFieldRoutes, name), "nameko_entrypoints", ()))
    return route


def test_r2_field_figures_have_the_contracts_roles_field_staff_included():
    route = _route("field_figures")
    assert route.allow == report.CONTRACT.operation("field_figures").roles
    assert {FIELD, SUPERVISOR, MANAGER, ADMIN, AUDITOR} <= route.allow
    assert not {AGENT, TELEPHONY} & route.allow
    assert route.upstreams == ("report",) and route.method == "GET"


def test_r2_top_customers_are_for_supervisors_up_admins_and_auditors_only():
    route = _route("top_customers")
    assert route.allow == report.CONTRACT.operation("top_customers").roles
    assert {SUPERVISOR, MANAGER, ADMIN, AUDITOR} <= route.allow
    assert not {AGENT, FIELD, TELEPHONY} & route.allow


def test_r2_the_queries_go_validated_with_by_a_list(calls):
    ReportFieldRoutes.field_figures(FakeGateway(), _get(
        "/api/v1/reports/field", "from=2026-12-01&to=2026-12-07&by=staff,category&staff_id=f1"))
    ReportFieldRoutes.top_customers(FakeGateway(), _get(
        "/api/v1/reports/customers/top", "from=2026-12-01&to=2026-12-07&limit=5"))
    [(first, (field,)), (second, (top,))] = calls
    assert first == "field_figures" and second == "top_customers"
    assert field == {"from": "2026-12-01", "to": "2026-12-07", "period": "day",
                     "by": ["staff", "category"], "staff_id": "f1", "category_id": None}
    assert top == {"from": "2026-12-01", "to": "2026-12-07", "limit": 5}


@pytest.mark.parametrize("name,path,query,field", [
    ("field_figures", "/api/v1/reports/field", "to=2026-12-07", "from"),
    ("field_figures", "/api/v1/reports/field", "from=2026-12-01&to=2026-12-07&by=agent", "by"),
    ("field_figures", "/api/v1/reports/field",
     "from=2026-12-01&to=2026-12-07&staff_id=" + "x" * 101, "staff_id"),
    ("top_customers", "/api/v1/reports/customers/top",
     "from=2026-12-01&to=2026-12-07&limit=101", "limit")])
def test_r2_a_bad_field_is_refused_by_name_before_any_call(calls, name, path, query, field):
    with pytest.raises(ValidationError) as refused:
        getattr(ReportFieldRoutes, name)(FakeGateway(), _get(path, query))
    assert field in refused.value.messages and calls == []

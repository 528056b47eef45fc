"""The gateway's notification figures route (issue 13, R2): the contract's roles
(supervisors up, admins, auditors — no agent, field staff or telephony), the query
validated before any call with `by` a list, a bad field a 400 naming it."""
import pytest
from marshmallow import ValidationError
from werkzeug.test import EnvironBuilder

from services.gateway import report_routes
from services.gateway import routes as forwarding
from services.gateway.report_notify_routes import ReportNotifyRoutes
from services.report import contract as report
from services.vocabulary import ADMIN, AGENT, AUDITOR, FIELD, MANAGER, SUPERVISOR, TELEPHONY


class Report:
    notification_figures = "report.notification_figures"


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


def _get(query: str):
    return EnvironBuilder(method="GET", path="/api/v1/reports/notifications",
                          query_string=query).get_request()


def test_r2_the_route_has_the_contracts_roles_department_level_only():
    [route] = [e for e in getattr(ReportNotifyRoutes.notification_figures,
                                  "nameko_entrypoints", ())]
    assert route.allow == report.CONTRACT.operation("notification_figures").roles
    assert {SUPERVISOR, MANAGER, ADMIN, AUDITOR} <= route.allow
    assert not {AGENT, FIELD, TELEPHONY} & route.allow
    assert route.upstreams == ("report",) and route.method == "GET"


def test_r2_the_query_goes_validated_with_by_a_list(calls):
    ReportNotifyRoutes.notification_figures(FakeGateway(), _get(
        "from=2026-12-01&to=2026-12-07&by=channel,template&channel=sms"))
    [(operation, (query,))] = calls
    assert operation == "notification_figures"
    assert query == {"from": "2026-12-01", "to": "2026-12-07", "period": "day",
                     "by": ["channel", "template"], "channel": "sms", "template": None}


@pytest.mark.parametrize("query,field", [
    ("to=2026-12-07", "from"), ("from=2026-12-01&to=2026-12-07&by=agent", "by"),
    ("from=2026-12-01&to=2026-12-07&channel=fax", "channel"),
    ("from=2026-12-01&to=2026-12-07&template=" + "x" * 65, "template")])
def test_r2_a_bad_field_is_refused_by_name_before_any_call(calls, query, field):
    with pytest.raises(ValidationError) as refused:
        ReportNotifyRoutes.notification_figures(FakeGateway(), _get(query))
    assert field in refused.value.messages and calls == []

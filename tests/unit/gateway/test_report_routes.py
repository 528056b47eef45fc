"""The gateway's routes of the report service (issue 13, R1–R4): every report operation
routed once with the contract's roles, in the OpenAPI document, names not shadowed by
the service class; the figures' query validated before any call (`by` a list, as
/api/v1/satisfaction takes it), a rebuild started with 202, a rebuild id that is no
UUID naming nothing."""
import ast
import importlib
from pathlib import Path

import pytest
from marshmallow import ValidationError
from nameko.extensions import ENTRYPOINT_EXTENSIONS_ATTR
from werkzeug.test import EnvironBuilder

from services.common.errors import NotFound
from services.gateway import http, openapi
from services.gateway import report_routes as routes_module
from services.gateway import routes as forwarding
from services.gateway.report_file_routes import ReportFileRoutes
from services.report import contract as report
from services.vocabulary import ADMIN, AGENT, AUDITOR, FIELD, MANAGER, SUPERVISOR, TELEPHONY

service = importlib.import_module("services.gateway.service")
Gateway = service.GatewayService
MIXIN_ROUTES = {"ticket_figures", "ticket_backlog", "rebuild_reports", "report_rebuild",
                "check_reports"}


def _routes() -> dict[str, http.Api]:
    """Every gateway route asking the report service, by the operation (its docstring);
    not its files and charts (report_file_routes: tests/unit/gateway/test_report_files)."""
    found = {}
    files = set(vars(ReportFileRoutes))
    for name in set(dir(Gateway)) - files:
        for extension in getattr(getattr(Gateway, name, None), ENTRYPOINT_EXTENSIONS_ATTR, ()):
            if isinstance(extension, http.Api) and "report" in extension.upstreams:
                doc = getattr(Gateway, name).__doc__
                operation = doc.rsplit("(report.", 1)[1].split(")")[0]
                assert operation not in found, f"{operation} routed twice"
                found[operation] = extension
    return found


def test_every_report_operation_has_one_route_with_the_contracts_roles():
    routed = _routes()
    assert set(routed) == {op.name for op in report.CONTRACT.operations}
    for name, route in routed.items():
        assert route.allow == report.CONTRACT.operation(name).roles, name
        assert route.upstreams == ("report",) and not route.public, name
    assert set(vars(routes_module.ReportRoutes)) >= MIXIN_ROUTES


def test_r4_only_admins_rebuild_and_field_staff_read_no_figures():
    routed = _routes()
    assert routed["rebuild_reports"].allow == {ADMIN}
    assert routed["report_rebuild"].allow == {ADMIN}
    assert routed["rebuild_reports"].method == "POST" and routed["rebuild_reports"].status == 202
    assert {AGENT, SUPERVISOR, MANAGER, ADMIN, AUDITOR} <= routed["ticket_figures"].allow
    assert not {FIELD, TELEPHONY} & (routed["ticket_figures"].allow
                                     | routed["ticket_backlog"].allow
                                     | routed["check_reports"].allow)
    assert AGENT not in routed["check_reports"].allow


def test_no_report_route_name_is_given_again_by_the_service_class():
    """A name of the service class would silently replace the mixin's route."""
    tree = ast.parse(Path(service.__file__).read_text(encoding="utf-8"))
    [cls] = [n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "GatewayService"]
    own = {t.id for n in cls.body if isinstance(n, ast.Assign) for t in n.targets
           if isinstance(t, ast.Name)} | {n.name for n in cls.body
                                          if isinstance(n, ast.FunctionDef)}
    mine = {name for name in vars(routes_module.ReportRoutes) if not name.startswith("_")}
    assert own & mine == set()


def test_report_routes_are_in_the_openapi_document():
    paths = openapi.document()["paths"]
    expected = {("/api/v1/reports/tickets", "get"), ("/api/v1/reports/tickets/backlog", "get"),
                ("/api/v1/reports/rebuilds", "post"),
                ("/api/v1/reports/rebuilds/{rebuild_id}", "get"),
                ("/api/v1/reports/check", "get"), ("/api/v1/reports/tickets/daily", "get")}
    for path, method in expected:
        operation = paths[path][method]
        assert operation["security"] == [{"bearer": []}], path
        assert {"400", "401", "403", "default"} <= set(operation["responses"]), path
    assert "202" in paths["/api/v1/reports/rebuilds"]["post"]["responses"]
    figures = {p["name"]: p for p in paths["/api/v1/reports/tickets"]["get"]["parameters"]}
    assert figures["by"]["schema"]["type"] == "array"
    assert figures["from"]["required"] and figures["to"]["required"]
    assert {"period", "kind", "category_id", "channel", "group_name", "agent_id"} <= set(figures)
    check = {p["name"] for p in paths["/api/v1/reports/check"]["get"]["parameters"]}
    assert check == {"from", "to"}
    answer = paths["/api/v1/reports/tickets"]["get"]["responses"]["200"]
    assert "schema" in answer["content"]["application/json"]


# -- what the routes send ----------------------------------------------------------------
class Report:
    ticket_figures = "report.ticket_figures"
    ticket_backlog = "report.ticket_backlog"
    check_reports = "report.check_reports"
    report_rebuild = "report.report_rebuild"
    rebuild_reports = "report.rebuild_reports"


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
    monkeypatch.setattr(routes_module, "call", call)
    return made


def _get(query: str):
    return EnvironBuilder(method="GET", path="/api/v1/reports/tickets",
                          query_string=query).get_request()


def test_r2_the_figures_query_goes_validated_with_by_a_list(calls):
    Gateway.ticket_figures(FakeGateway(), _get(
        "from=2026-12-01&to=2026-12-07&by=kind,group&by=agent&group_name=g1"))
    [(operation, (query,))] = calls
    assert operation == "ticket_figures"
    assert query["from"] == "2026-12-01" and query["to"] == "2026-12-07"
    assert query["by"] == ["kind", "group", "agent"]
    assert query["group_name"] == "g1" and query["period"] == "day"
    Gateway.ticket_figures(FakeGateway(), _get("from=2026-12-01&to=2026-12-01&by=group,"))
    assert calls[-1][1][0]["by"] == ["group"]


@pytest.mark.parametrize("query,field", [
    ("to=2026-12-07", "from"),
    ("from=2026-12-01&to=tomorrow", "to"),
    ("from=2026-12-01&to=2026-12-07&by=kind,colour", "by"),
    ("from=2026-12-01&to=2026-12-07&period=year", "period"),
    ("from=2026-12-01&to=2026-12-07&group_name=" + "g" * 101, "group_name"),
    ("from=2026-12-01&to=2026-12-07&" + "&".join(["by=kind"] * 6), "by"),
    ("from=2026-12-01&to=2026-12-07&colour=red", "colour"),
])
def test_r2_a_bad_figures_query_is_refused_naming_the_field_before_any_call(calls, query,
                                                                            field):
    with pytest.raises(ValidationError) as refused:
        Gateway.ticket_figures(FakeGateway(), _get(query))
    assert field in refused.value.messages
    assert calls == []
    assert http.response_for(refused.value).status_code == 400


def test_r2_the_backlog_and_the_check_take_their_own_query(calls):
    Gateway.ticket_backlog(FakeGateway(), _get("from=2026-12-01&to=2026-12-07&by=group"))
    Gateway.check_reports(FakeGateway(), _get("from=2026-12-01&to=2026-12-07"))
    assert calls[0] == ("ticket_backlog", ({"from": "2026-12-01", "to": "2026-12-07",
                                             "by": "group", "kind": None, "group_name": None,
                                             "agent_id": None},))
    assert calls[1] == ("check_reports", ({"from": "2026-12-01", "to": "2026-12-07"},))
    with pytest.raises(ValidationError):  # one grouping only
        Gateway.ticket_backlog(FakeGateway(), _get("from=2026-12-01&to=2026-12-07&by=agent"))
    with pytest.raises(ValidationError):
        Gateway.check_reports(FakeGateway(), _get("from=2026-12-01"))
    assert len(calls) == 2


def test_r4_a_rebuild_is_asked_by_its_id_and_no_uuid_names_nothing(calls):
    rebuild_id = "6f1c2b8e-6b8a-4a53-9c1e-2f1e0a7d9b10"
    Gateway.report_rebuild(FakeGateway(), _get(""), rebuild_id.upper())
    assert calls == [("report_rebuild", ({"rebuild_id": rebuild_id},))]
    with pytest.raises(NotFound):
        Gateway.report_rebuild(FakeGateway(), _get(""), "not-a-rebuild")
    Gateway.rebuild_reports(FakeGateway(), EnvironBuilder(
        method="POST", path="/api/v1/reports/rebuilds").get_request())
    assert calls[-1] == ("rebuild_reports", ())
    assert len(calls) == 2

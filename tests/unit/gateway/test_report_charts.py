"""R3: report curves as images (report_file_routes.ticket_chart / call_chart, handlers/
report_charts.py) — a PNG (its magic bytes) or an SVG holding the Chinese title, drawn
in a real thread (eventlet.tpool) so the hub is not held; measures validated against the
known ones and more than 12 lines refused, each a 400 naming its field; no CJK font is
a 503 naming the font, before the report service is asked."""
import math

import pytest
from eventlet import tpool
from marshmallow import ValidationError

from services.common import charts
from services.common.errors import Invalid, Unavailable
from services.gateway import http
from services.gateway import report_file_routes as routes_module
from services.gateway.domain import report_tables as tables
from services.gateway.handlers import report_charts
from tests.unit.gateway.test_report_files import (
    FakeGateway,
    Gateway,
    _body,
    _get,
    asked,  # noqa: F401 — the fixture
)
from tests.unit.gateway.test_report_tables import ticket_point

TICKETS = "/api/v1/reports/tickets/chart"
DAYS = "from=2026-12-01&to=2026-12-02"


@pytest.fixture
def threads(monkeypatch):
    """What ran in a real thread (tpool.execute), by name."""
    ran = []

    def execute(work, *args):
        ran.append(work.__name__)
        return tpool_execute(work, *args)
    tpool_execute = tpool.execute
    monkeypatch.setattr(routes_module.tpool, "execute", execute)
    return ran


def test_r3_a_ticket_chart_as_png_drawn_off_the_hub(asked, threads):  # noqa: F811
    reply = Gateway.ticket_chart(FakeGateway(), _get(
        TICKETS, f"format=png&measure=created,resolved&by=group&{DAYS}"))
    [(operation, (query,))] = asked
    assert operation == "ticket_figures" and query["by"] == ["group"]
    assert "measure" not in query and "format" not in query
    assert reply.status_code == 200 and reply.mimetype == "image/png"
    image = _body(reply)
    assert image.startswith(b"\x89PNG\r\n\x1a\n") and len(image) > 5000
    assert int(reply.headers["Content-Length"]) == len(image)
    assert reply.headers["Content-Disposition"].startswith("inline;")
    assert threads == ["render"]


def test_r3_a_call_chart_as_svg_carries_its_chinese_title(asked, threads):  # noqa: F811
    reply = Gateway.call_chart(FakeGateway(), _get(
        "/api/v1/reports/calls/chart", f"format=svg&measure=offered&measure=answered&{DAYS}"))
    assert asked[0][0] == "call_figures" and reply.mimetype == "image/svg+xml"
    svg = _body(reply).decode("utf-8")
    assert svg.lstrip().startswith("<?xml") and "<svg" in svg
    # text drawn as outlines (the same in any mail client); the words kept beside them
    assert "话务趋势（2026-12-01 至 2026-12-02）" in svg and "<path" in svg
    assert "接通" in svg and threads == ["render"]


def test_r3_the_default_chart_is_created_and_resolved_as_png(asked):  # noqa: F811
    reply = Gateway.ticket_chart(FakeGateway(), _get(TICKETS, DAYS))
    assert reply.mimetype == "image/png" and _body(reply)[:4] == b"\x89PNG"


@pytest.mark.parametrize("query,field", [
    (f"measure=created,colour&{DAYS}", "measure"),
    (f"measure=offered&{DAYS}", "measure"),                 # a call measure, not a ticket's
    (f"measure=&{DAYS}", "measure"),                        # none
    (f"measure={','.join(['created'] * 13)}&{DAYS}", "measure"),
    (f"format=gif&{DAYS}", "format"),
    (f"by=colour&{DAYS}", "by"),
    ("from=2026-12-01", "to"),
])
def test_r3_a_bad_chart_query_is_refused_naming_the_field_before_any_call(
        asked, query, field):  # noqa: F811
    with pytest.raises(ValidationError) as refused:
        Gateway.ticket_chart(FakeGateway(), _get(TICKETS, query))
    assert field in refused.value.messages
    assert asked == []
    assert http.response_for(refused.value).status_code == 400


def test_r3_more_than_twelve_lines_is_a_400_naming_by(monkeypatch):
    many = {"series": [ticket_point("2026-12-01", "after_sales", f"g{n}", n) for n in range(7)]}
    monkeypatch.setattr(routes_module, "call", lambda method, *args, timeout: many)
    with pytest.raises(Invalid) as refused:  # 7 groups × 2 measures
        Gateway.ticket_chart(FakeGateway(), _get(TICKETS, f"by=group&{DAYS}"))
    assert list(refused.value.fields) == ["by"]
    assert http.response_for(refused.value).status_code == 400
    drawn = Gateway.ticket_chart(FakeGateway(), _get(TICKETS, f"by=group&measure=fcr&{DAYS}"))
    assert drawn.status_code == 200


def test_r3_no_cjk_font_is_a_503_naming_the_font_before_any_call(asked, monkeypatch):  # noqa: F811
    def missing():
        raise charts.NoCjkFont("no CJK font found")
    monkeypatch.setattr(charts, "cjk_font", missing)
    with pytest.raises(Unavailable) as refused:
        Gateway.ticket_chart(FakeGateway(), _get(TICKETS, DAYS))
    assert "Noto Sans CJK SC" in refused.value.message
    assert "fonts-noto-cjk" in refused.value.message
    assert asked == [] and http.response_for(refused.value).status_code == 503


def test_r3_a_line_with_a_missing_period_has_a_gap_not_a_zero(monkeypatch):
    """render puts each line's values on the union of the periods."""
    drawn = {}

    def line_chart(title, labels, lines, y_label="", x_label="", fmt="png"):
        drawn.update(title=title, labels=labels, lines=lines, y=y_label, x=x_label, fmt=fmt)
        return b""
    monkeypatch.setattr(charts, "line_chart", line_chart)
    answer = {"series": [ticket_point("2026-12-01", "after_sales", "g1", 2),
                         ticket_point("2026-12-02", "after_sales", "g1", 3),
                         ticket_point("2026-12-02", "after_sales", "g2", 4)]}
    chart = tables.chart(tables.TICKETS, answer, {"from": "2026-12-01", "to": "2026-12-02",
                                                  "by": ["group"]}, ["created"])
    report_charts.render(chart, "svg")
    assert drawn["labels"] == ["2026-12-01", "2026-12-02"]
    [(g1, ones), (g2, twos)] = drawn["lines"]
    assert (g1, ones, g2, twos[1]) == ("g1", [2, 3], "g2", 4) and math.isnan(twos[0])
    assert (drawn["x"], drawn["y"], drawn["fmt"]) == ("日期", "数量", "svg")

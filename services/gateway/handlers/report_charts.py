"""Report curves as images (issue 13, R3): PNG or SVG, Chinese labels in a CJK font.

Drawn by the platform's one line chart (services/common/charts.py: matplotlib's Agg on
a Figure of its own, no pyplot state; the report service draws its daily report's
curves with it too), imported at the first chart asked for, so a gateway that draws
none does not load matplotlib.  `ready` runs first, on the hub: the import and the
font, found once — none installed is Unavailable (503) naming the font to install,
never an image of empty boxes.  `render` is CPU work: the route runs it in a real
thread (eventlet.tpool), so the hub keeps serving.
"""
import logging
import math

from services.common.errors import Unavailable
from services.gateway.domain.report_tables import Chart

log = logging.getLogger(__name__)
CONTENT_TYPES = {"png": "image/png", "svg": "image/svg+xml"}
FONT_PACKAGE = "fonts-noto-cjk"


def ready() -> str:
    """The CJK font's file (matplotlib loaded, the font found); Unavailable if none."""
    from services.common import charts
    try:
        return charts.cjk_font()
    except charts.NoCjkFont as exc:
        log.error("charts: %s", exc)
        raise Unavailable(f"charts need a CJK font ({charts.CJK_FAMILIES[0]}), which is not "
                          f"installed: run deploy/local/stack.sh install ({FONT_PACKAGE})"
                          ) from exc


def render(chart: Chart, fmt: str) -> bytes:
    """The chart as a PNG or SVG image: its periods along x (a line with no value for
    one: a gap), a line per measure and key group."""
    from services.common import charts
    periods = sorted({day for line in chart.lines for day, _ in line.points})
    lines = []
    for line in chart.lines:
        values = dict(line.points)
        lines.append((line.label, [_value(values.get(day)) for day in periods]))
    return charts.line_chart(chart.title, [day.isoformat() for day in periods], lines,
                             y_label=chart.ylabel, x_label=chart.xlabel, fmt=fmt)


def _value(value: float | None) -> float:
    return math.nan if value is None else value

"""R3: curves as images with Chinese labels (matplotlib, a CJK font of the machine)."""
import xml.etree.ElementTree as ET

import pytest
from matplotlib import font_manager

from services.common import charts

LINES = [("新建", [3, 5, 2]), ("已解决", [1, 4, None])]


def test_r3_the_font_found_draws_chinese():
    path = charts.cjk_font()
    font = font_manager.get_font(path)
    # every character of the labels has a glyph in it (0: the font's "missing" box)
    assert all(font.get_char_index(ord(c)) for c in "工单趋势新建已解决日期")


def test_r3_a_png_chart():
    png = charts.line_chart("工单趋势", ["12-01", "12-02", "12-03"], LINES, "工单数", "日期")
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 5000


def test_r3_an_svg_chart_is_svg():
    svg = charts.line_chart("话务趋势", ["12-01", "12-02", "12-03"], LINES, fmt="svg")
    root = ET.fromstring(svg)
    assert root.tag.endswith("svg")


def test_r3_the_title_changes_the_picture():
    one = charts.line_chart("工单趋势", ["a", "b", "c"], LINES)
    other = charts.line_chart("话务趋势", ["a", "b", "c"], LINES)
    assert one != other


def test_r3_bounds_and_formats_are_refused():
    with pytest.raises(ValueError):
        charts.line_chart("t", ["a"], [("x", [1])], fmt="gif")
    with pytest.raises(ValueError):
        charts.line_chart("t", ["a"], [(str(i), [1]) for i in range(charts.MAX_LINES + 1)])

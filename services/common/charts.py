"""Curves as images (R3): line charts with Chinese labels, as PNG or SVG.

Drawn by matplotlib's Agg backend on a `Figure` of its own (no pyplot: no global state
shared between greenlets), with a CJK font found once on the machine (`make run`
installs fonts-noto-cjk; without one the labels would be boxes, so it is an error that
names the package).  The SVG draws its text as paths (matplotlib's default): it looks
the same wherever it is opened, font or no font.  Drawing is CPU work: callers in an
eventlet process run it in a real thread (eventlet.tpool) so the hub is not held.
"""
import functools
import io
from collections.abc import Sequence

from matplotlib import font_manager
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.backends.backend_svg import FigureCanvasSVG
from matplotlib.figure import Figure

FORMATS = ("png", "svg")
MAX_LINES = 12
MAX_POINTS = 2000  # per line: a curve, not a table
CJK_FAMILIES = ("Noto Sans CJK SC", "Noto Sans SC", "WenQuanYi Micro Hei", "WenQuanYi Zen Hei",
                "Source Han Sans SC", "Noto Sans CJK JP")


class NoCjkFont(RuntimeError):
    """No font on the machine draws Chinese."""


@functools.cache
def cjk_font() -> str:
    """The file of a font that draws Chinese (first of CJK_FAMILIES found)."""
    for family in CJK_FAMILIES:
        try:
            return font_manager.findfont(font_manager.FontProperties(family=family),
                                         fallback_to_default=False)
        except ValueError:
            continue
    raise NoCjkFont("no CJK font found (install fonts-noto-cjk: `make run` does)")


def line_chart(title: str, labels: Sequence[str],
               lines: Sequence[tuple[str, Sequence[float | None]]],
               y_label: str = "", x_label: str = "", fmt: str = "png") -> bytes:
    """One chart: a line per (name, values) over the labels (the periods), the legend
    naming each; `fmt` png (96 dpi, 960×420) or svg."""
    if fmt not in FORMATS:
        raise ValueError(f"format {fmt!r} is not one of {FORMATS}")
    if len(lines) > MAX_LINES or len(labels) > MAX_POINTS:
        raise ValueError(f"at most {MAX_LINES} lines of {MAX_POINTS} points")
    font = font_manager.FontProperties(fname=cjk_font())
    figure = Figure(figsize=(10, 4.375), dpi=96)
    axes = figure.add_subplot()
    positions = list(range(len(labels)))
    for name, values in lines:
        axes.plot(positions, [v if v is not None else float("nan") for v in values],
                  label=name, linewidth=1.6, marker="o" if len(labels) <= 31 else None,
                  markersize=3)
    axes.set_title(title, fontproperties=font, fontsize=13)
    axes.set_ylabel(y_label, fontproperties=font)
    axes.set_xlabel(x_label, fontproperties=font)
    step = max(1, len(labels) // 12)
    axes.set_xticks(positions[::step], labels[::step], fontproperties=font, fontsize=8,
                    rotation=30, ha="right")
    axes.grid(True, linewidth=0.4, alpha=0.5)
    axes.set_ylim(bottom=0)
    if lines:
        axes.legend(prop=font, fontsize=9, loc="upper left", frameon=False)
    figure.tight_layout()
    out = io.BytesIO()
    if fmt == "png":
        FigureCanvasAgg(figure).print_png(out)
    else:
        FigureCanvasSVG(figure).print_svg(out)
    return out.getvalue()


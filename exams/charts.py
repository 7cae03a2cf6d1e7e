"""The dashboards' charts as standalone SVG documents, drawn on the server by pygal.

No JavaScript and nothing fetched from elsewhere: pygal's tooltip script is turned off
(`js=[]`) and its inline config script, comments and any processing instruction are removed,
so the SVG holds shapes, text and its own <style> only. Pages show a chart with <img>, which
never runs scripts, and the chart route sends a policy of its own (`CHART_POLICY`). Text that
users wrote (cohort names) goes into the SVG through pygal's ElementTree, which escapes it;
tests/exams/test_dashboard_charts.py checks that with hostile names.

Each chart comes in two shapes: "wide" for a desktop page and "narrow" (taller, bigger text)
for a phone, chosen by the page with <picture>. Legends are the page's (real text beside the
chart, in the colours of `PALETTE`), so they stay readable at any width.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import pygal
from pygal.style import Style

from graders.retention import Curve

# pygal appends a finder for its map plugins (which we do not use) that has no find_spec, so
# every import that reaches it warns (ImportWarning); with warnings as errors that breaks any
# library trying an optional import. Take it out again.
sys.meta_path[:] = [finder for finder in sys.meta_path
                    if not isinstance(finder, pygal.PluginImportFixer)]

# Colours the page's legend repeats (bootcamp.css .swatch-N); distinguishable in greyscale
# order and by people with red-green colour blindness (Okabe & Ito's palette).
PALETTE = ("#0072b2", "#d55e00", "#009e73", "#cc79a7", "#e69f00", "#56b4e9", "#000000")
LEVEL_COLOUR = "#8a94a3"  # the fail and pass levels: grey, dashed, behind the curves
FIXED_DASH = {"dasharray": "12,8"}  # the fixed-length exam, drawn over the sequential one
SIZES = {"wide": (640, 400), "narrow": (420, 520)}
# The chart route's own Content-Security-Policy: the SVG's inline <style> may apply, nothing
# else may load or run, even when the SVG is opened on its own.
CHART_POLICY = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'self'"

# Values just past the end of their bar, so a short bar's value never covers its label.
_BAR_CSS = ("inline:.text-overlay text.value"
            "{text-anchor:start !important;transform:translate(6px,0)}")
# Curves thick, band edges invisible: pygal's own per-series rules lose to its line rules.
_CURVE_CSS = ("inline:.line.reactive.nofill{stroke-width:3px !important}"
              ".line.reactive:not(.nofill){stroke-width:0 !important}")
_FONT = 'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif'


def _style(size: str, colors: Sequence[str], opacity: str = ".18") -> Style:
    """Bootcamp's look; the narrow chart's text is larger, as it is drawn smaller."""
    big = size == "narrow"
    return Style(
        font_family=_FONT, background="#ffffff", plot_background="#ffffff",
        foreground="#1c2430", foreground_strong="#1c2430", foreground_subtle="#8a94a3",
        colors=tuple(colors) or PALETTE, opacity=opacity, opacity_hover=opacity,
        label_font_size=18 if big else 15, major_label_font_size=18 if big else 15,
        value_font_size=20 if big else 16, title_font_size=20 if big else 17,
        legend_font_size=16, no_data_font_size=20, stroke_opacity="1",
        stroke_opacity_hover="1", guide_stroke_color="#d5dbe3",
        major_guide_stroke_color="#d5dbe3")


def _strip(title: str) -> Callable[[Any], Any]:
    """An XML filter that removes what an <img> would ignore anyway and a page must never
    get: scripts, and comments (pygal's carry URLs); and names the document `title` (the
    page shows the title as the figure's caption, so the drawing does not repeat it)."""
    def strip(root: Any) -> Any:
        for parent in root.iter():
            for child in list(parent):
                tag = child.tag if isinstance(child.tag, str) else ""
                if tag.endswith("script") or not isinstance(child.tag, str):
                    parent.remove(child)
                elif tag.endswith("title") and parent is root:
                    child.text = title
        return root

    return strip


def _config(size: str, css: str = _CURVE_CSS) -> dict[str, Any]:
    width, height = SIZES[size]
    return {"css": ["file://style.css", "file://graph.css", css],
        "width": width, "height": height, "style": _style(size, PALETTE), "js": [],
        "disable_xml_declaration": True, "show_legend": False,
        "explicit_size": False, "margin": 12,
    }


def render(chart: Any, title: str) -> str:
    """The chart's SVG document as text, titled, without scripts or comments."""
    chart.add_xml_filter(_strip(title))
    return str(chart.render(is_unicode=True))


@dataclass(frozen=True, slots=True)
class Bar:
    label: str
    value: int
    share: float
    short: str = ""  # the label on a phone, where the long one would squeeze the bars


def funnel_chart(bars: Sequence[Bar], title: str, size: str = "wide") -> str:
    """Horizontal bars, first step at the top: how many got at least this far, with the
    share of those enrolled printed on each bar."""
    top = max((bar.value for bar in bars), default=0)
    chart = pygal.HorizontalBar(
        **_config(size, _BAR_CSS), print_values=True, print_values_position="top",
        show_y_guides=False, show_x_labels=False, truncate_label=-1,
        range=(0, max(top, 1) * (1.65 if size == "narrow" else 1.3)))
    chart.style = _style(size, PALETTE, opacity=".55")
    chart.x_labels = [bar.short or bar.label if size == "narrow" else bar.label
                      for bar in reversed(bars)]
    chart.add("Trainees", [
        {"value": bar.value, "formatter": lambda value, share=bar.share:
            f"{value:.0f} ({share:.0%})"}
        for bar in reversed(bars)])
    return render(chart, title)


@dataclass(frozen=True, slots=True)
class Line:
    """One group's Kaplan–Meier curve, in PALETTE[colour]."""

    name: str
    curve: Curve
    colour: int
    start: float = 1.0  # the level before the first step: 1 for "still in", 0 for "qualified"


def step_points(curve: Curve, until: float, start: float = 1.0) -> list[tuple[float, float]]:
    """The step curve as a polyline: `start` from day 0, each value held until the next
    step, the last one until `until`."""
    points = [(0.0, start)]
    level = start
    for time, value in zip(curve.times, curve.survival, strict=True):
        points += [(time, level), (time, value)]
        level = value
    points.append((max(until, points[-1][0]), level))
    return points


def band_points(curve: Curve, until: float) -> list[list[tuple[float, float]]]:
    """The confidence band as closed shapes (upper edge forward, lower edge back), one per
    stretch where it is defined; steps like the curve."""
    shapes: list[list[tuple[float, float]]] = []
    run: list[tuple[float, float, float]] = []
    ends = (*curve.times[1:], until)
    for start, end, low, high in zip(curve.times, ends, curve.low, curve.high, strict=True):
        if low is None or high is None:
            if run:
                shapes.append(_shape(run))
            run = []
            continue
        run += [(start, low, high), (max(end, start), low, high)]
    if run:
        shapes.append(_shape(run))
    return shapes


def _shape(run: list[tuple[float, float, float]]) -> list[tuple[float, float]]:
    upper = [(time, high) for time, _, high in run]
    lower = [(time, low) for time, low, _ in reversed(run)]
    return upper + lower


def retention_chart(lines: Sequence[Line], title: str, size: str = "wide", *,
                    until: float | None = None, y_title: str = "Still in the course") -> str:
    """Step curves by day since enrolment, one per group, each with its 95% band shaded."""
    last = max((time for line in lines for time in line.curve.times), default=0.0)
    until = max(until or 0.0, last, 1.0)
    colours: list[str] = []
    ticks = 5 if size == "narrow" else 10
    step = next(step for step in (1, 2, 5, 7, 10, 14, 28, 30, 60, 90, 180, 365, 10**9)
                if until / step <= ticks)
    chart = pygal.XY(
        **_config(size), show_dots=False, stroke=True, range=(0, 1),
        xrange=(0, until), x_title="Days since enrolment", y_title=y_title,
        value_formatter=lambda share: f"{share:.0%}", include_x_axis=True,
        allow_interruptions=False, x_value_formatter=lambda day: f"{day:.0f}",
        no_data_text="Not enough trainees for a curve yet")
    if lines:  # pygal cannot place labels on an empty chart
        chart.x_labels = [step * n for n in range(int(until // step) + 1)]
        chart.y_labels = [0, 0.2, 0.4, 0.6, 0.8, 1]
    bands: list[tuple[str, list[tuple[float, float]], int]] = []
    for line in lines:
        colours.append(PALETTE[line.colour % len(PALETTE)])
        chart.add(line.name, step_points(line.curve, until, line.start))
        bands += [(line.name, shape, line.colour) for shape in band_points(line.curve, until)]
    for name, shape, colour in bands:
        colours.append(PALETTE[colour % len(PALETTE)])
        chart.add(f"{name}: 95% band", shape, fill=True)
    chart.style = _style(size, colours)
    return render(chart, title)


def _accuracy_chart(size: str, y_title: str, top: float, formatter: Callable[[float], str],
                    levels: tuple[float, float]) -> Any:
    """An XY chart over true accuracy 50%..100%, with the fail and pass levels marked."""
    chart = pygal.XY(
        **_config(size), show_dots=False, stroke=True, range=(0, top), xrange=(0.5, 1.0),
        x_title="True accuracy of the trainee", y_title=y_title, value_formatter=formatter,
        x_value_formatter=lambda share: f"{share:.0%}", include_x_axis=True,
        allow_interruptions=False, margin_right=28)  # room for the last label, "100%"
    chart.x_labels = [0.5 + step / 10 for step in range(6)]
    for name, level in zip(("Fail level", "Pass level"), levels, strict=True):
        chart.add(name, [(level, 0), (level, top)], stroke_style={"dasharray": "6,6",
                                                                  "width": 1.5})
    return chart


def pass_chart(grid: Sequence[float], sequential: Sequence[float], fixed: Sequence[float],
               levels: tuple[float, float], title: str, size: str = "wide") -> str:
    """The chance of passing by true accuracy: the sequential exam and, when there is one, the
    fixed-length exam with the same error rates (PALETTE 0 and 1; the levels in grey)."""
    chart = _accuracy_chart(size, "Chance of passing", 1, lambda share: f"{share:.0%}", levels)
    chart.y_labels = [0, 0.2, 0.4, 0.6, 0.8, 1]
    chart.add("Sequential exam", list(zip(grid, sequential, strict=True)))
    colours = [LEVEL_COLOUR, LEVEL_COLOUR, PALETTE[0]]
    if fixed:
        chart.add("Fixed-length exam", list(zip(grid, fixed, strict=True)),
                  stroke_style=FIXED_DASH)  # dashed: the curves nearly coincide
        colours.append(PALETTE[1])
    chart.style = _style(size, colours)
    return render(chart, title)


def items_chart(grid: Sequence[float], expected: Sequence[float], p95: Sequence[int],
                fixed_items: int | None, levels: tuple[float, float], title: str,
                size: str = "wide") -> str:
    """Items a sequential exam takes by true accuracy: on average (PALETTE 0) and for 95 in
    100 trainees (PALETTE 2), beside the fixed-length exam's count (PALETTE 1)."""
    top = max([*p95, fixed_items or 0, 1]) * 1.05
    chart = _accuracy_chart(size, "Items answered", top, lambda items: f"{items:.0f}", levels)
    chart.add("Expected items", list(zip(grid, expected, strict=True)))
    chart.add("95th percentile", list(zip(grid, p95, strict=True)))
    colours = [LEVEL_COLOUR, LEVEL_COLOUR, PALETTE[0], PALETTE[2]]
    if fixed_items:
        chart.add("Fixed-length exam", [(grid[0], fixed_items), (grid[-1], fixed_items)],
                  stroke_style=FIXED_DASH)
        colours.append(PALETTE[1])
    chart.style = _style(size, colours)
    return render(chart, title)

"""exams.charts: the step curve and band shapes by hand, and SVG that carries no script, loads
nothing from elsewhere and keeps hostile names as text."""

from __future__ import annotations

import re
import sys
import xml.etree.ElementTree as ET

import pygal
import pytest

from exams import charts
from graders.retention import kaplan_meier

HOSTILE = ("<script>alert(1)</script>", '"><svg onload=alert(2)>', "]]><x:y/>&amp;")


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)  # noqa: S314 - our own output; a parse error is the failure


def test_step_points_hold_each_value_until_the_next_step():
    curve = kaplan_meier([2, 5, 5, 9], [True, True, False, False])
    assert curve.survival == (0.75, 0.5, 0.5)  # 1 - 1/4, then 0.75 * (1 - 1/3)
    assert charts.step_points(curve, 12) == [
        (0.0, 1.0), (2.0, 1.0), (2.0, 0.75), (5.0, 0.75), (5.0, 0.5), (9.0, 0.5), (9.0, 0.5),
        (12.0, 0.5)]
    assert charts.step_points(curve, 12, start=0.0)[:2] == [(0.0, 0.0), (2.0, 0.0)]


def test_the_band_is_left_out_where_it_is_undefined():
    curve = kaplan_meier([1, 2, 3], [False, True, True])  # no band before day 2, none at S = 0
    assert curve.low[0] is None and curve.survival[-1] == 0.0
    shapes = charts.band_points(curve, 4)
    assert len(shapes) == 1
    upper, lower = shapes[0][:2], shapes[0][2:]
    assert [time for time, _ in upper] == [2.0, 3.0]
    assert [time for time, _ in lower] == [3.0, 2.0]


def svgs() -> list[str]:
    curve = kaplan_meier([1, 2, 3, 4, 5, 6], [True, False, True, True, False, True])
    lines = [charts.Line(name, curve, index) for index, name in enumerate(HOSTILE)]
    bars = [charts.Bar(name, 3, 0.5, name) for name in HOSTILE]
    return [chart for size in charts.SIZES for chart in (
        charts.funnel_chart(bars, HOSTILE[0], size),
        charts.retention_chart(lines, HOSTILE[1], size),
        charts.retention_chart([], HOSTILE[2], size))]


@pytest.mark.parametrize("index", range(6))
def test_charts_carry_no_script_and_keep_names_as_text(index):
    svg = svgs()[index]
    root = parse(svg)
    names = {element.tag.split("}")[-1] for element in root.iter()}
    assert not names & {"script", "foreignObject", "a", "image", "use", "iframe"}
    assert not [attribute for element in root.iter() for attribute in element.attrib
                if attribute.lower().startswith("on") or "href" in attribute.lower()]
    assert "<?xml" not in svg and "xml-stylesheet" not in svg and "<!--" not in svg
    assert re.findall(r"https?://(?!www\.w3\.org/2000/svg\")", svg) == []
    assert "@import" not in svg and "url(" not in svg
    texts = " ".join(element.text or "" for element in root.iter())
    assert any(name in texts for name in HOSTILE)


def test_pygal_import_hook_is_taken_out_so_imports_do_not_warn():
    assert not [finder for finder in sys.meta_path
                if isinstance(finder, pygal.PluginImportFixer)]

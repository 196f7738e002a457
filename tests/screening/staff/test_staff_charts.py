"""The severity chart (screening/staff/charts.py): readable without colour, safe, accessible."""

from __future__ import annotations

import datetime
import re
import xml.etree.ElementTree as ET

from screening.staff import charts

SVG = "{http://www.w3.org/2000/svg}"
LABELS = {"fatigue": "Tiredness", "numbness_tingling": "Numbness", "joint_pain": "Joint pain"}


def _when(day: int) -> datetime.datetime:
    return datetime.datetime(2025, 6, day, 10, tzinfo=datetime.UTC)


def _chart(points):
    return charts.severity_chart(points=points, symptom_labels=LABELS)


def _tree(chart) -> ET.Element:
    return ET.fromstring(str(chart.svg))  # noqa: S314 - our own SVG, not outside input


def test_chart_has_one_series_per_symptom_present_at_least_once():
    chart = _chart(
        [
            charts.ChartPoint(_when(1), {"fatigue": 7, "numbness_tingling": 0, "joint_pain": 0}),
            charts.ChartPoint(_when(8), {"fatigue": 3, "numbness_tingling": 4}),
        ]
    )

    assert [series.code for series in chart.series] == ["fatigue", "numbness_tingling"]
    assert chart.table_rows == [("1 Jun 2025", ["7", "0"]), ("8 Jun 2025", ["3", "4"])]


def test_chart_series_differ_by_marker_and_are_labelled_directly():
    chart = _chart(
        [
            charts.ChartPoint(_when(1), {"fatigue": 5, "numbness_tingling": 5, "joint_pain": 5}),
            charts.ChartPoint(_when(2), {"fatigue": 5, "numbness_tingling": 5, "joint_pain": 5}),
        ]
    )
    tree = _tree(chart)

    assert len({series.marker for series in chart.series}) == 3
    labels = tree.findall(f"{SVG}text[@class='series-label']")
    assert [label.text for label in labels] == ["Tiredness", "Numbness", "Joint pain"]
    # Same last value for all three: the labels are spread, never on top of each other.
    heights = sorted(float(label.get("y")) for label in labels)
    assert all(b - a >= charts.LABEL_GAP for a, b in zip(heights, heights[1:], strict=False))
    lines = tree.findall(f"{SVG}polyline")
    assert [line.get("stroke-dasharray") for line in lines] == [None, "6 3", "2 3"]


def test_chart_many_low_series_stay_inside_the_picture():
    codes = {f"s{index}": f"Symptom {index}" for index in range(13)}
    chart = charts.severity_chart(
        points=[charts.ChartPoint(_when(1), dict.fromkeys(codes, 1))], symptom_labels=codes
    )

    heights = [float(label.get("y")) for label in _tree(chart).iter(f"{SVG}text")]
    assert max(heights) <= charts.HEIGHT
    assert len({series.marker for series in chart.series}) == 13


def test_chart_symptom_not_asked_is_a_gap_not_a_zero():
    chart = _chart(
        [
            charts.ChartPoint(_when(1), {"fatigue": 6}),
            charts.ChartPoint(_when(2), {}),
            charts.ChartPoint(_when(3), {"fatigue": 2}),
        ]
    )

    assert chart.table_rows[1] == ("2 Jun 2025", ["not asked"])
    [line] = _tree(chart).findall(f"{SVG}polyline")
    assert len(line.get("points").split()) == 2


def test_chart_single_submission_draws_markers_without_lines():
    chart = _chart([charts.ChartPoint(_when(1), {"fatigue": 4})])
    tree = _tree(chart)

    assert tree.findall(f"{SVG}polyline") == []
    assert len(tree.findall(f"{SVG}circle")) == 2  # the point and its label's marker


def test_chart_is_accessible_and_needs_no_script_or_inline_style():
    chart = _chart([charts.ChartPoint(_when(1), {"fatigue": 4})])
    svg = str(chart.svg)
    tree = _tree(chart)

    assert tree.get("role") == "img"
    assert tree.get("aria-labelledby") == "severity-chart-title severity-chart-desc"
    assert tree.find(f"{SVG}title").text == "Symptom severity (0 to 10) at each submission"
    assert tree.find(f"{SVG}desc").text == "One line per symptom: Tiredness: 4"
    assert "<script" not in svg
    assert re.search(r"\sstyle=", svg) is None
    assert "http" not in svg.replace('xmlns="http://www.w3.org/2000/svg"', "")


def test_chart_escapes_labels():
    chart = charts.severity_chart(
        points=[charts.ChartPoint(_when(1), {"x": 3})], symptom_labels={"x": "<b>&</b>"}
    )

    assert "<b>" not in str(chart.svg)
    assert "&lt;b&gt;&amp;&lt;/b&gt;" in str(chart.svg)


def test_chart_with_nothing_present_says_so():
    chart = _chart([charts.ChartPoint(_when(1), {"fatigue": 0})])

    assert chart.series == []
    assert _tree(chart).find(f"{SVG}desc").text == "No symptom was reported as present."


def test_chart_x_follows_time():
    chart = _chart(
        [
            charts.ChartPoint(_when(1), {"fatigue": 1}),
            charts.ChartPoint(_when(2), {"fatigue": 1}),
            charts.ChartPoint(_when(11), {"fatigue": 1}),
        ]
    )

    [line] = _tree(chart).findall(f"{SVG}polyline")
    xs = [float(point.split(",")[0]) for point in line.get("points").split()]
    assert xs[0] == charts.LEFT
    assert xs[2] == charts.WIDTH - charts.RIGHT
    assert abs((xs[1] - xs[0]) * 10 - (xs[2] - xs[0])) < 1

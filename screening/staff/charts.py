"""Small server-rendered charts for the staff pages: inline SVG, no JavaScript, no requests.

`severity_chart` draws symptom severity (0-10) over a patient's submissions: x is the
submission date, one series per symptom present at least once. Each series has its own
marker shape and line dash as well as its colour, and is labelled directly at its last
point, so it reads without colour. The SVG carries a <title> and <desc>; the page shows
the same numbers in a table (`SeverityChart.table_rows`) for anyone who cannot see it.

Colours come from staff.css classes (series-0 ... series-7): no inline styles, so a strict
Content-Security-Policy holds.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

WIDTH = 720
HEIGHT = 280
LEFT, RIGHT, TOP, BOTTOM = 44, 250, 16, 44  # margins; the right one holds the labels
SEVERITY_MAX = 10
LABEL_GAP = 13  # px between direct labels, so they never overlap
# 13 shapes, one per symptom in the contract, so no two series ever share a marker.
MARKERS = (
    "circle",
    "square",
    "triangle",
    "diamond",
    "triangle-down",
    "plus",
    "cross",
    "circle-open",
    "square-open",
    "triangle-open",
    "diamond-open",
    "triangle-down-open",
    "asterisk",
)
DASHES = ("", "6 3", "2 3", "9 3 2 3")
COLOURS = 8  # staff.css defines .series-0 ... .series-7
MAX_X_LABELS = 6


@dataclass(frozen=True)
class ChartPoint:
    """One submission: when, and the severity of each symptom it answered
    (0 for "no"; a symptom not asked is simply absent)."""

    when: datetime.datetime
    severities: dict[str, int]


@dataclass(frozen=True)
class Series:
    code: str
    label: str
    index: int

    @property
    def marker(self) -> str:
        return MARKERS[self.index % len(MARKERS)]

    @property
    def dash(self) -> str:
        return DASHES[self.index % len(DASHES)]

    @property
    def css_class(self) -> str:
        return f"series series-{self.index % COLOURS}"


@dataclass(frozen=True)
class SeverityChart:
    svg: SafeString
    series: list[Series]
    table_rows: list[tuple[str, list[str]]]  # (date, one cell per series)


def _x_positions(points: list[ChartPoint]) -> list[float]:
    """Proportional to time; a single moment (or one point) sits in the middle."""
    plot = WIDTH - LEFT - RIGHT
    first, last = points[0].when, points[-1].when
    span = (last - first).total_seconds()
    if span <= 0:
        return [LEFT + plot / 2] * len(points)
    return [LEFT + plot * (point.when - first).total_seconds() / span for point in points]


def _y(severity: int) -> float:
    plot = HEIGHT - TOP - BOTTOM
    return TOP + plot * (1 - severity / SEVERITY_MAX)


def _n(value: float) -> str:
    """A coordinate with one decimal: small SVG, stable output."""
    return f"{value:.1f}"


def _marker(shape: str, x: float, y: float, css_class: str) -> SafeString:
    """A marker centred on (x, y); "-open" shapes are drawn hollow."""
    r = 4.5
    if shape.endswith("-open"):
        shape = shape.removesuffix("-open")
        css_class += " marker-open"
    if shape == "circle":
        return format_html(
            '<circle class="{}" cx="{}" cy="{}" r="{}"/>', css_class, _n(x), _n(y), r
        )
    if shape == "square":
        return format_html(
            '<rect class="{}" x="{}" y="{}" width="{}" height="{}"/>',
            css_class,
            _n(x - r),
            _n(y - r),
            2 * r,
            2 * r,
        )
    offsets = {
        "triangle": ((0, -r - 1), (r + 1, r), (-r - 1, r)),
        "triangle-down": ((0, r + 1), (r + 1, -r), (-r - 1, -r)),
        "diamond": ((0, -r - 1), (r + 1, 0), (0, r + 1), (-r - 1, 0)),
    }
    if shape in offsets:
        corners = " ".join(f"{x + dx:.1f},{y + dy:.1f}" for dx, dy in offsets[shape])
        return format_html('<polygon class="{}" points="{}"/>', css_class, corners)
    plus = f"M{x - r:.1f},{y:.1f}H{x + r:.1f}M{x:.1f},{y - r:.1f}V{y + r:.1f}"
    cross = (
        f"M{x - r:.1f},{y - r:.1f}L{x + r:.1f},{y + r:.1f}"
        f"M{x - r:.1f},{y + r:.1f}L{x + r:.1f},{y - r:.1f}"
    )
    path = {"plus": plus, "cross": cross, "asterisk": plus + cross}[shape]
    return format_html('<path class="{} marker-line" d="{}"/>', css_class, path)


def _spread(wanted: list[tuple[float, int]]) -> dict[int, float]:
    """Label heights near their series' last point but at least LABEL_GAP apart, and
    inside the picture (the whole stack moves up if it would run off the bottom)."""
    placed: dict[int, float] = {}
    previous = None
    for y, index in sorted(wanted):
        y = max(y, previous + LABEL_GAP) if previous is not None else y
        placed[index] = y
        previous = y
    overflow = (previous or 0) - (HEIGHT - 8)
    if overflow > 0:
        placed = {index: max(y - overflow, TOP) for index, y in placed.items()}
    return placed


def _short(label: str, limit: int = 34) -> str:
    """Direct labels must fit the right margin; the table below has the full words."""
    return label if len(label) <= limit else label[: limit - 1].rstrip(" ,") + "…"


def _date_text(when: datetime.datetime) -> str:
    if timezone.is_aware(when):
        when = timezone.localtime(when)
    return f"{when:%d %b %Y}".lstrip("0")


def severity_chart(
    *, points: list[ChartPoint], symptom_labels: Mapping[str, StrOrPromise]
) -> SeverityChart:
    """The chart for `points` (oldest first). `symptom_labels` orders and names the
    symptoms; only those present (severity above 0) at least once get a series."""
    codes = [
        code
        for code in symptom_labels
        if any(point.severities.get(code, 0) > 0 for point in points)
    ]
    series = [Series(code, str(symptom_labels[code]), index) for index, code in enumerate(codes)]
    table_rows = [
        (
            _date_text(point.when),
            [
                str(point.severities[s.code]) if s.code in point.severities else "not asked"
                for s in series
            ],
        )
        for point in points
    ]
    xs = _x_positions(points) if points else []

    parts: list[str] = []
    for severity in range(0, SEVERITY_MAX + 1, 2):
        y = _y(severity)
        parts.append(
            format_html(
                '<line class="grid" x1="{}" y1="{}" x2="{}" y2="{}"/>'
                '<text class="axis-text" x="{}" y="{}" text-anchor="end">{}</text>',
                LEFT,
                _n(y),
                WIDTH - RIGHT,
                _n(y),
                LEFT - 6,
                _n(y + 4),
                severity,
            )
        )
    step = max(1, -(-len(points) // MAX_X_LABELS))
    for index in range(0, len(points), step):
        parts.append(
            format_html(
                '<text class="axis-text" x="{}" y="{}" text-anchor="middle">{}</text>',
                _n(xs[index]),
                HEIGHT - BOTTOM + 18,
                _date_text(points[index].when),
            )
        )
    parts.append(
        format_html(
            '<text class="axis-text" x="{}" y="{}" text-anchor="middle">Submission date</text>',
            _n(LEFT + (WIDTH - LEFT - RIGHT) / 2),
            HEIGHT - 6,
        )
    )

    label_wanted = []
    for s in series:
        drawn = [
            (xs[i], _y(point.severities[s.code]))
            for i, point in enumerate(points)
            if s.code in point.severities
        ]
        if len(drawn) > 1:
            coordinates = " ".join(f"{x:.1f},{y:.1f}" for x, y in drawn)
            dash = format_html(' stroke-dasharray="{}"', s.dash) if s.dash else ""
            parts.append(
                format_html(
                    '<polyline class="{} series-line" points="{}"{}/>',
                    s.css_class,
                    coordinates,
                    dash,
                )
            )
        parts.extend(_marker(s.marker, x, y, s.css_class) for x, y in drawn)
        label_wanted.append((drawn[-1][1], s.index))
    label_y = _spread(label_wanted)
    label_x = WIDTH - RIGHT + 26
    for s in series:
        y = label_y[s.index]
        parts.append(_marker(s.marker, label_x, y, s.css_class))
        parts.append(
            format_html(
                '<text class="series-label" x="{}" y="{}">{}</text>',
                label_x + 9,
                _n(y + 4),
                _short(s.label),
            )
        )

    if series:
        description = "One line per symptom: " + "; ".join(
            f"{s.label}: " + ", ".join(cells[s.index] for _date, cells in table_rows)
            for s in series
        )
    else:
        description = "No symptom was reported as present."
    svg = format_html(
        '<svg class="severity-chart" viewBox="0 0 {} {}" role="img" '
        'aria-labelledby="severity-chart-title severity-chart-desc" '
        'xmlns="http://www.w3.org/2000/svg">'
        '<title id="severity-chart-title">Symptom severity (0 to 10) at each submission</title>'
        '<desc id="severity-chart-desc">{}</desc>{}</svg>',
        WIDTH,
        HEIGHT,
        description,
        mark_safe("".join(parts)),  # noqa: S308 - every part was built by format_html
    )
    return SeverityChart(svg=svg, series=series, table_rows=table_rows)

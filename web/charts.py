"""Charts as server-rendered SVG: pure functions from figures to markup, no database.

SVG built on the server rather than a JavaScript chart library: it prints as it looks, it
needs no script (the CSP allows only our own files), it reads the same with JavaScript off,
and each chart carries its own text alternative (a title, a description and a data table
beside it on the page).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

from school.codes import CODES, Category

# The calendar's five colours, in the legend's order: each a category a person reads the
# year by. The CSS gives each its colour AND its pattern letter, so colour is never alone.
CALENDAR_KEYS = {
    "present": "Present",
    "aea": "Approved educational activity",
    "authorised": "Authorised absence",
    "unauthorised": "Unauthorised absence",
    "not-counted": "Not counted / closed",
}
_BY_CATEGORY = {
    Category.PRESENT: "present",
    Category.AEA: "aea",
    Category.LEAVE: "authorised",
    Category.OTHER_AUTHORISED: "authorised",
    Category.UNAUTHORISED: "unauthorised",
}


def calendar_key(code: str | None) -> str:
    """The calendar colour of a mark: its code's category; no mark or a code not counted
    as a possible session (X, Y, Z, #, D, ...) reads as "not counted"."""
    found = CODES.get(code or "")
    if found is None or not found.possible:
        return "not-counted"
    return _BY_CATEGORY.get(found.category, "not-counted")


@dataclass(frozen=True)
class LinePoint:
    """One week on the attendance line: its label and the attendance % to its end."""

    label: str
    pct: float | None  # None before the first possible session


WIDTH, HEIGHT = 640, 220
_LEFT, _RIGHT, _TOP, _BOTTOM = 44, 24, 12, 30  # room for the last week's label
_FLOOR = 50.0  # the y axis runs 50-100%: below half the line sits on the floor, labelled


def _y(pct: float) -> float:
    inner = HEIGHT - _TOP - _BOTTOM
    return _TOP + inner * (100.0 - max(pct, _FLOOR)) / (100.0 - _FLOOR)


def _x(index: int, count: int) -> float:
    inner = WIDTH - _LEFT - _RIGHT
    return _LEFT + (inner * index / (count - 1) if count > 1 else inner / 2)


def attendance_line(points: Sequence[LinePoint], title: str) -> str:
    """The weekly attendance line over bands: below 90% (persistent absence), 90-95%, and
    95% and above; every week's figure is also a <title> on its dot for hover."""
    band_90, band_95, top, bottom = _y(90), _y(95), _y(100), _y(_FLOOR)
    right = WIDTH - _RIGHT
    parts = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-labelledby="line-title line-desc" xmlns="http://www.w3.org/2000/svg">',
        f'<title id="line-title">{escape(title)}</title>',
        f'<desc id="line-desc">{escape(_description(points))}</desc>',
        f'<rect class="band low" x="{_LEFT}" y="{band_90:.1f}" width="{right - _LEFT}" '
        f'height="{bottom - band_90:.1f}"/>',
        f'<rect class="band mid" x="{_LEFT}" y="{band_95:.1f}" width="{right - _LEFT}" '
        f'height="{band_90 - band_95:.1f}"/>',
        f'<rect class="band high" x="{_LEFT}" y="{top:.1f}" width="{right - _LEFT}" '
        f'height="{band_95 - top:.1f}"/>',
    ]
    for pct in (100, 95, 90, _FLOOR):
        parts.append(
            f'<text class="axis" x="{_LEFT - 6}" y="{_y(pct) + 4:.1f}" '
            f'text-anchor="end">{pct:.0f}%</text>'
        )
    known = [(i, p) for i, p in enumerate(points) if p.pct is not None]
    if len(known) > 1:
        path = " ".join(f"{_x(i, len(points)):.1f},{_y(p.pct or 0):.1f}" for i, p in known)
        parts.append(f'<polyline class="line" points="{path}"/>')
    for i, p in known:
        parts.append(
            f'<circle class="dot" cx="{_x(i, len(points)):.1f}" cy="{_y(p.pct or 0):.1f}" '
            f'r="3"><title>{escape(p.label)}: {p.pct:.1f}%</title></circle>'
        )
    step = max(1, len(points) // 8)  # a label every few weeks: they must not overlap
    for i in range(0, len(points), step):
        parts.append(
            f'<text class="axis" x="{_x(i, len(points)):.1f}" y="{HEIGHT - 10}" '
            f'text-anchor="middle">{escape(points[i].label)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def _description(points: Sequence[LinePoint]) -> str:
    known = [p for p in points if p.pct is not None]
    if not known:
        return "No possible sessions yet this year."
    low = min(known, key=lambda p: p.pct or 0)
    return (
        f"{len(known)} weeks; now {known[-1].pct:.1f}% (week of {known[-1].label}); "
        f"lowest {low.pct:.1f}% (week of {low.label}). Bands at 90% and 95%."
    )

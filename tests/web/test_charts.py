"""The server-rendered charts: calendar colours by code category, and the weekly line."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest

from school.codes import CODES
from web.charts import CALENDAR_KEYS, HEIGHT, LinePoint, attendance_line, calendar_key


@pytest.mark.parametrize(
    ("code", "key"),
    [
        ("/", "present"), ("\\", "present"), ("L", "present"),
        ("P", "aea"), ("W", "aea"), ("B", "aea"),
        ("I", "authorised"), ("M", "authorised"), ("R", "authorised"),
        ("G", "unauthorised"), ("N", "unauthorised"), ("O", "unauthorised"), ("U", "unauthorised"),
        ("X", "not-counted"), ("Y", "not-counted"), ("#", "not-counted"),
        (None, "not-counted"), ("?", "not-counted"),
    ],
)  # fmt: skip
def test_each_code_takes_its_categorys_colour(code: str | None, key: str) -> None:
    assert calendar_key(code) == key


def test_every_code_has_a_colour_in_the_legend() -> None:
    for code, found in CODES.items():
        key = calendar_key(code)
        assert key in CALENDAR_KEYS
        # A possible session is never shown as "not counted", and the reverse.
        assert (key == "not-counted") == (not found.possible), code


def _ys(svg: str, cls: str) -> float:
    found = re.search(rf'class="band {cls}" x="[\d.]+" y="([\d.]+)"', svg)
    assert found
    return float(found.group(1))


def test_the_line_is_valid_svg_with_bands_in_order_and_a_text_alternative() -> None:
    points = [LinePoint("7 Sep", 100.0), LinePoint("14 Sep", 96.0), LinePoint("21 Sep", 88.5)]
    svg = attendance_line(points, "Lee <Smith>: attendance")
    root = ET.fromstring(svg)  # well-formed, and the title's "<" escaped
    assert root.get("role") == "img"
    assert "Lee &lt;Smith&gt;" in svg
    assert _ys(svg, "high") < _ys(svg, "mid") < _ys(svg, "low")  # 95+ on top, <90 below
    assert "now 88.5% (week of 21 Sep); lowest 88.5%" in svg
    assert "<title>14 Sep: 96.0%</title>" in svg
    dots = [float(y) for y in re.findall(r'<circle class="dot" cx="[\d.]+" cy="([\d.]+)"', svg)]
    assert dots[0] < dots[1] < dots[2]  # lower attendance sits lower on the chart
    assert all(0 <= y <= HEIGHT for y in dots)


def test_weeks_before_any_session_leave_gaps_and_low_figures_sit_on_the_floor() -> None:
    svg = attendance_line([LinePoint("1 Sep", None), LinePoint("8 Sep", 20.0)], "t")
    assert svg.count('<circle class="dot"') == 1 and "<polyline" not in svg
    floor = re.search(r'y="([\d.]+)" text-anchor="end">50%', svg)
    dot = re.search(r'cy="([\d.]+)"', svg)
    assert floor and dot and abs(float(dot.group(1)) - (float(floor.group(1)) - 4)) < 0.2
    empty = attendance_line([], "t")
    assert "No possible sessions yet this year." in empty

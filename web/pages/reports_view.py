"""The reports page's tables as plain rows (the same rows on the page and in the CSVs), and
the weekly trend drawn as SVG coordinates."""

from __future__ import annotations

from dataclasses import dataclass

from school.reports import AbsenceReport, ReportPupil

# A spreadsheet treats a cell starting with these as a formula (CSV injection).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class Table:
    """A table of the report: its caption, its column headings and its rows of text."""

    key: str
    caption: str
    headings: list[str]
    rows: list[list[str]]


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}%"


_PUPIL_HEADINGS = ["UPN", "Pupil", "Year", "Attendance", "Possible", "Absent", "Unauthorised"]


def _pupil_rows(pupils: list[ReportPupil]) -> list[list[str]]:
    return [
        [
            p.upn,
            p.name,
            p.year,
            _pct(p.attendance_pct),
            str(p.possible_sessions),
            str(p.absent_sessions),
            str(p.unauthorised_sessions),
        ]
        for p in pupils
    ]


def report_tables(report: AbsenceReport) -> dict[str, Table]:
    """Every table of the page, by the name its CSV is downloaded under."""
    cohort_rows = [
        [c.name, str(c.pupils), _pct(c.attendance_pct), str(c.persistent), str(c.severe)]
        for c in report.cohorts
    ]
    week_rows = [
        [
            w.monday.isoformat(),
            str(w.possible_sessions),
            str(w.attended_sessions),
            _pct(w.attendance_pct),
        ]
        for w in report.weeks
    ]
    tables = [
        Table(
            "persistent",
            "Persistent absence (below 90%)",
            _PUPIL_HEADINGS,
            _pupil_rows(report.persistent),
        ),
        Table("severe", "Severe absence (below 50%)", _PUPIL_HEADINGS, _pupil_rows(report.severe)),
        Table(
            "cohorts",
            "Cohorts",
            ["Cohort", "Pupils", "Attendance", "Persistent", "Severe"],
            cohort_rows,
        ),
        Table(
            "weekly",
            "Week by week",
            ["Week beginning", "Possible", "Attended", "Attendance"],
            week_rows,
        ),
    ]
    return {t.key: t for t in tables}


def safe_cell(text: str) -> str:
    """A cell a spreadsheet will show as text, never run as a formula."""
    return "'" + text if text.startswith(_FORMULA_START) else text


@dataclass(frozen=True)
class TrendChart:
    """The weekly line in a 640 x 240 drawing: points, the 90% and 95% lines, axis labels."""

    width: int
    height: int
    points: str  # "x,y x,y ..." for a polyline
    dots: list[tuple[float, float, str]]  # x, y, and the words for a screen reader's title
    bands: list[tuple[float, str]]  # y of each guide line and its label
    ticks: list[tuple[float, str]]  # x of each week label shown and its text
    floor: float  # the lowest percentage the chart shows


def trend_chart(report: AbsenceReport) -> TrendChart | None:
    weeks = [w for w in report.weeks if w.attendance_pct is not None]
    if not weeks:
        return None
    width, height, left, right, top, bottom = 640, 240, 44, 28, 12, 28
    lowest = min(w.attendance_pct or 0.0 for w in weeks)
    floor = max(0.0, min(80.0, (lowest // 5) * 5))  # whole fives, 90% always in view

    def y(pct: float) -> float:
        return round(top + (100 - pct) / (100 - floor) * (height - top - bottom), 1)

    step = (width - left - right) / max(len(weeks) - 1, 1)
    xs = [round(left + i * step, 1) for i in range(len(weeks))]
    dots = [
        (x, y(w.attendance_pct or 0.0), f"Week of {w.monday:%-d %b}: {_pct(w.attendance_pct)}")
        for x, w in zip(xs, weeks, strict=True)
    ]
    every = max(1, len(weeks) // 8)
    ticks = [(xs[i], f"{weeks[i].monday:%-d %b}") for i in range(0, len(weeks), every)]
    bands = [(y(pct), f"{pct}%") for pct in (100, 95, 90) if pct >= floor] + [
        (y(floor), f"{floor:.0f}%")
    ]
    return TrendChart(
        width, height, " ".join(f"{x},{yy}" for x, yy, _ in dots), dots, bands, ticks, floor
    )

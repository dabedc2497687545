"""Readable attendance reports for the terminal: a school summary and a per-pupil table."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from rich.console import Console
from rich.table import Table

from cases.statistics import PupilStatistics


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}%"


def summary_table(school_name: str, as_of: date, figures: Sequence[PupilStatistics]) -> Table:
    """Whole-school figures as the DfE reports them (rates on all possible sessions)."""
    possible = sum(f.possible_sessions for f in figures)
    attended = sum(f.present_sessions + f.aea_sessions for f in figures)
    counted = [f for f in figures if f.possible_sessions]
    table = Table(title=f"{school_name}: attendance to {as_of:%A %-d %B %Y}", show_header=False)
    table.add_column("measure")
    table.add_column("value", justify="right")
    rows = [
        ("Pupils on roll", str(len(figures))),
        ("Overall attendance", _pct(100.0 * attended / possible if possible else None)),
        (
            "Persistently absent (absence ≥ 10%)",
            _share(sum(f.persistent_absence for f in counted), len(counted)),
        ),
        (
            "Severely absent (absence ≥ 50%)",
            _share(sum(f.severe_absence for f in counted), len(counted)),
        ),
        (
            "National threshold met now (10 unauthorised in 10 school weeks)",
            str(sum(f.national_threshold_met for f in figures)),
        ),
        (
            "10+ continuous school days unauthorised (LA return due)",
            str(sum(f.consecutive_unauthorised_school_days >= 10 for f in figures)),
        ),
        (
            "Pupils with N codes older than 5 school days",
            str(sum(f.overdue_n_codes > 0 for f in figures)),
        ),
    ]
    for measure, value in rows:
        table.add_row(measure, value)
    return table


def _share(count: int, total: int) -> str:
    return f"{count} ({100.0 * count / total:.1f}%)" if total else "0"


def pupil_table(figures: Sequence[PupilStatistics], title: str = "Pupils") -> Table:
    table = Table(title=title)
    for heading in (
        "UPN",
        "Possible",
        "Attendance",
        "PA",
        "SA",
        "Unauth 10 wks",
        "Threshold first met",
        "Unauth days in a row",
        "Illness days",
        "L term",
        "U term",
        "Overdue N",
        "CSA",
    ):
        table.add_column(heading, justify="left" if heading == "UPN" else "right")
    for f in figures:
        table.add_row(
            f.upn,
            str(f.possible_sessions),
            _pct(f.attendance_pct),
            _yes(f.persistent_absence),
            _yes(f.severe_absence),
            f"[bold red]{f.unauthorised_sessions_rolling_10_school_weeks}[/]"
            if f.national_threshold_met
            else str(f.unauthorised_sessions_rolling_10_school_weeks),
            f.national_threshold_first_met_on.isoformat()
            if f.national_threshold_first_met_on
            else "",
            str(f.consecutive_unauthorised_school_days),
            str(f.illness_school_days),
            str(f.late_before_close_term),
            str(f.late_after_close_term),
            str(f.overdue_n_codes),
            _yes(f.compulsory_school_age),
        )
    return table


def _yes(flag: bool) -> str:
    return "yes" if flag else ""


def print_attention_list(console: Console, figures: Sequence[PupilStatistics], limit: int) -> None:
    """The pupils staff should look at first: lowest attendance among those with concerns."""
    concern = [
        f
        for f in figures
        if f.persistent_absence
        or f.national_threshold_met
        or f.overdue_n_codes
        or f.consecutive_unauthorised_school_days >= 10
    ]
    concern.sort(key=lambda f: f.attendance_pct if f.attendance_pct is not None else 101.0)
    console.print(
        pupil_table(
            concern[:limit], f"Lowest attendance among {len(concern)} pupils with a concern"
        )
    )

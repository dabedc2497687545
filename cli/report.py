"""Readable attendance reports for the terminal: a school summary and per-pupil tables."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date

from rich import box
from rich.console import Console
from rich.table import Table

from cli.output import Column, people_table
from school.roll import RollEntry, year_label
from school.statistics import PupilStatistics


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}%"


def _share(count: int, total: int) -> str:
    return f"{count} ({100.0 * count / total:.1f}%)" if total else "0"


def _days(sessions: int) -> str:
    """Time missed in school days, which parents and staff grasp better than a percentage."""
    return f"{sessions / 2:g} days"


def summary_table(school_name: str, as_of: date, figures: Sequence[PupilStatistics]) -> Table:
    """Whole-school figures as the DfE reports them (rates on all possible sessions)."""
    possible = sum(f.possible_sessions for f in figures)
    attended = sum(f.present_sessions + f.aea_sessions for f in figures)
    counted = [f for f in figures if f.possible_sessions]
    pa = sum(f.persistent_absence for f in counted)
    sa = sum(f.severe_absence for f in counted)
    table = Table(title=f"{school_name}: attendance to {as_of:%A %-d %B %Y}", show_header=False)
    table.add_column("measure")
    table.add_column("value", justify="right")
    table.add_row("Pupils on roll", str(len(figures)))
    table.add_row("Overall attendance", _pct(100.0 * attended / possible if possible else None))
    table.add_row("Persistently absent (absence 10% or more)", _share(pa, len(counted)))
    table.add_row("Severely absent (absence 50% or more)", _share(sa, len(counted)))
    table.add_row(
        "National threshold met (10 unauthorised sessions in 10 school weeks)",
        str(sum(f.national_threshold_met for f in figures)),
    )
    table.add_row(
        "10+ school days in a row unauthorised (LA return)",
        str(sum(f.consecutive_unauthorised_school_days >= 10 for f in figures)),
    )
    table.add_row(
        "With N codes older than 5 school days (recode)",
        str(sum(f.overdue_n_codes > 0 for f in figures)),
    )
    return table


def concerns(f: PupilStatistics) -> list[str]:
    """What about this pupil's figures needs a member of staff, in their words."""
    found = []
    if f.severe_absence:
        found.append("severe absence")
    elif f.persistent_absence:
        found.append("persistent absence")
    if f.national_threshold_met:
        found.append("threshold met")
    if f.consecutive_unauthorised_school_days >= 10:
        found.append(f"{f.consecutive_unauthorised_school_days} unauthorised days running")
    if f.overdue_n_codes:
        found.append(f"{f.overdue_n_codes} N to recode")
    return found


def attention_table(
    figures: Sequence[PupilStatistics], roll: Mapping[str, RollEntry], limit: int
) -> Table:
    """The pupils with a concern, lowest attendance first."""
    flagged = [f for f in figures if concerns(f)]
    flagged.sort(key=lambda f: 101.0 if f.attendance_pct is None else f.attendance_pct)
    table = Table(
        title=f"Pupils needing attention: {len(flagged)} (lowest attendance first)",
        box=box.SIMPLE_HEAD,
    )
    for heading, justify in [
        ("Pupil", "left"), ("Year", "left"), ("Attendance", "right"), ("Missed", "right"),
        ("Concerns", "left"),
    ]:  # fmt: skip
        table.add_column(heading, justify=justify)  # type: ignore[arg-type]
    for f in flagged[:limit]:
        entry = roll.get(f.upn)
        missed = f.authorised_sessions + f.unauthorised_sessions
        table.add_row(
            entry.name if entry else f.upn,
            year_label(entry.year_group) if entry else "",
            _pct(f.attendance_pct),
            _days(missed),
            ", ".join(concerns(f)),
        )
    return table


def pupil_table(
    figures: Sequence[PupilStatistics], roll: Mapping[str, RollEntry], wide: bool = False
) -> Table:
    """Every pupil's figures, one row each; on 80 columns the figures that need a person
    (attendance, unauthorised absence, the threshold), every column with `wide`."""
    columns = [
        Column("UPN", essential=False), Column("Pupil"),
        Column("Poss.", essential=False, justify="right"), Column("Attend.", justify="right"),
        Column("Unauth 10 wks", justify="right"), Column("Threshold met", justify="right"),
        Column("Unauth run", essential=False, justify="right"),
        Column("Ill days", essential=False, justify="right"),
        Column("L / U term", essential=False, justify="right"),
        Column("N to recode", justify="right"), Column("CSA", essential=False, justify="right"),
    ]  # fmt: skip
    rows = []
    for f in figures:
        entry = roll.get(f.upn)
        met = f.national_threshold_first_met_on
        rows.append(
            [
                f.upn,
                entry.name if entry else f.upn,
                str(f.possible_sessions),
                _pct(f.attendance_pct)
                + (" SA" if f.severe_absence else " PA" if f.persistent_absence else ""),
                str(f.unauthorised_sessions_rolling_10_school_weeks),
                (met.isoformat() + ("" if f.national_threshold_met else " (was)")) if met else "",
                str(f.consecutive_unauthorised_school_days),
                str(f.illness_school_days),
                f"{f.late_before_close_term} / {f.late_after_close_term}",
                str(f.overdue_n_codes or ""),
                "yes" if f.compulsory_school_age else "no",
            ]
        )
    return people_table("Pupils", columns, rows, wide)


def print_report(
    console: Console,
    school_name: str,
    as_of: date,
    figures: Sequence[PupilStatistics],
    roll: Mapping[str, RollEntry],
    limit: int,
) -> None:
    console.print(summary_table(school_name, as_of, figures))
    console.print(attention_table(figures, roll, limit))

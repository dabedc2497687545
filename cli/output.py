"""Output for people and for programs: --format json, and tables that fit 80 columns."""

from __future__ import annotations

import json
import sys
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Any

import typer

from cli.common import console
from school.clock import SCHOOL_TIME_ZONE

if TYPE_CHECKING:
    from rich.table import Table
    from sqlmodel import SQLModel


class Format(StrEnum):
    table = "table"
    json = "json"


FormatOption = Annotated[
    Format, typer.Option(help="table (for people) or json (for scripts; docs/cli-json.md)")
]
WideOption = Annotated[bool, typer.Option(help="Every column and row, however wide the terminal.")]


def print_json(payload: Any) -> None:
    """One JSON document on stdout; dates and times as ISO 8601 strings."""
    json.dump(payload, sys.stdout, indent=1, default=_iso)
    sys.stdout.write("\n")


def stored(row: SQLModel, *, without: Collection[str] = ()) -> dict[str, Any]:
    """A stored row for --format json: its columns as the database holds them (the names
    are the table's, so a script reads what was decided, not a recomputation)."""
    return {name: getattr(row, name) for name in type(row).model_fields if name not in without}


def print_result(format: Format, line: str, record: Mapping[str, Any]) -> None:
    """A single action's result: one line for a person, or its stored records for a script."""
    if format is Format.json:
        print_json(record)
    else:
        console.print(line, markup=False, highlight=False)


def day_words(day: date | None) -> str:
    """A date as staff write it: 4 Dec 2026."""
    return "" if day is None else f"{day:%-d %b %Y}"


def clock_words(instant: datetime | None) -> str:
    """An instant's time of day in school time: 08:55."""
    return "" if instant is None else f"{instant.astimezone(SCHOOL_TIME_ZONE):%H:%M}"


def when_words(instant: datetime | None) -> str:
    """An instant in school time, as staff write it: 4 Dec 2026 07:43."""
    return "" if instant is None else f"{instant.astimezone(SCHOOL_TIME_ZONE):%-d %b %Y %H:%M}"


def _iso(value: Any) -> str:
    if hasattr(value, "isoformat"):
        return str(value.isoformat())
    raise TypeError(f"{type(value).__name__} is not JSON")


@dataclass(frozen=True)
class Column:
    """A table column; the ones not essential are dropped on a narrow terminal (unless --wide)."""

    heading: str
    essential: bool = True
    justify: str = "left"


def people_table(
    title: str, columns: Sequence[Column], rows: Sequence[Sequence[str]], wide: bool
) -> Table:
    """A table of what needs a person, the least useful columns left out unless --wide."""
    from rich import box
    from rich.table import Table

    shown = [i for i, c in enumerate(columns) if wide or c.essential]
    table = Table(title=title, box=box.SIMPLE_HEAD, title_justify="left")
    for i in shown:
        table.add_column(columns[i].heading, justify=columns[i].justify, overflow="fold")  # type: ignore[arg-type]
    for row in rows:
        table.add_row(*(row[i] for i in shown))
    return table


def print_indented(text: str, indent: int = 5) -> None:
    """A line of detail under an item: wrapped lines stay under the item, not at column 0."""
    import textwrap

    from cli.literal import visible

    pad = " " * indent
    # Wrapped as shown (control characters escaped), so no line grows past the width.
    width = max(console.width, 40)
    lines = textwrap.wrap(visible(text), width, initial_indent=pad, subsequent_indent=pad)
    console.print("\n".join(lines) or pad, markup=False, soft_wrap=True)

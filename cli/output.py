"""Output for people and for programs: --format json, and tables that fit 80 columns."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated, Any

import typer
from rich import box
from rich.table import Table


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
    shown = [i for i, c in enumerate(columns) if wide or c.essential]
    table = Table(title=title, box=box.SIMPLE_HEAD, title_justify="left")
    for i in shown:
        table.add_column(columns[i].heading, justify=columns[i].justify, overflow="fold")  # type: ignore[arg-type]
    for row in rows:
        table.add_row(*(row[i] for i in shown))
    return table

"""What every command shares: the chosen database, clear refusals, and the consoles."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, NoReturn

import typer
from rich.console import Console

from school.errors import InputError

if TYPE_CHECKING:
    from sqlalchemy import Engine

console = Console()
errors = Console(stderr=True)


class State:
    database: str | None = None


def fail(lines: list[str], headline: str | None = None) -> NoReturn:
    if headline:
        errors.print(f"[bold red]{headline}[/]")
    for line in lines:
        errors.print(line, markup=False, highlight=False)
    raise typer.Exit(1)


@contextmanager
def refused() -> Iterator[None]:
    """Turn the engine's input and lookup errors into a clear message and exit code 1."""
    try:
        yield
    except InputError as exc:
        fail(exc.lines(), "Refused; nothing was written:")
    except LookupError as exc:
        fail([str(exc.args[0] if exc.args else exc)])


def open_database(migrated: bool = False) -> Engine:
    """The database engine; set up (migrated) for `init`, else checked to be set up."""
    from school.database import SchemaNotReady, make_engine, migrate, require_current_schema

    engine = make_engine(State.database)
    if migrated:
        migrate(engine)
    else:
        try:
            require_current_schema(engine)
        except SchemaNotReady as exc:
            fail([str(exc)])
    return engine

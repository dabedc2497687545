"""What every command shares: the chosen database, clear refusals, and the consoles."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import NoReturn

import typer
from sqlalchemy import Engine
from sqlalchemy.exc import ArgumentError

from cli.literal import LiteralConsole
from school.database import (
    SchemaNotReady,
    database_url,
    make_engine,
    migrate,
    require_current_schema,
)
from school.errors import InputError

console = LiteralConsole(markup=False, emoji=False)
errors = LiteralConsole(stderr=True, markup=False, emoji=False)


class State:
    database: str | None = None


def fail(lines: list[str], headline: str | None = None) -> NoReturn:
    if headline:
        errors.print(headline, style="bold red")
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


def masked_url(url: str) -> str:
    """A database URL as it may be shown: any password replaced by ***, even in a URL too
    malformed for SQLAlchemy to read."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        scheme, rest = "", url
    # user:password@host, the password up to the last @ (an unescaped @ may be in it)
    return scheme + sep + re.sub(r"^([^:/@]*:).*@", r"\1***@", rest)


def open_database(migrated: bool = False) -> Engine:
    """The database engine; set up (migrated) for `init`, else checked to be set up."""
    try:
        engine = make_engine(State.database)
    except (ArgumentError, ValueError) as exc:  # unparseable, unknown driver, bad port
        url = masked_url(database_url(State.database))
        fail([f"--database {url}: not a database URL this can open ({type(exc).__name__})"])
    try:
        migrate(engine) if migrated else require_current_schema(engine)
    except SchemaNotReady as exc:
        fail([str(exc)])
    return engine

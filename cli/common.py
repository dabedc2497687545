"""What every command shares: the chosen database, clear refusals, and the consoles."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, cast

import typer

from school.bundled import POLICY_DIR
from school.errors import InputError

if TYPE_CHECKING:
    from rich.progress import Progress
    from sqlalchemy import Engine

    from cli.literal_console import LiteralConsole


class _MadeOnFirstUse:
    """A LiteralConsole made when something is first printed: `--help` never loads rich."""

    def __init__(self, **options: Any) -> None:
        self._options = options
        self._console: LiteralConsole | None = None

    def real(self) -> LiteralConsole:
        if self._console is None:
            from cli.literal_console import LiteralConsole

            made = LiteralConsole(**self._options)
            if "width" not in self._options:
                # rich fixes the width from COLUMNS when a console is made; made at the first
                # print, that would freeze whatever COLUMNS held then. Left unset, rich reads
                # COLUMNS (or the terminal) at every print, as a console made at import did.
                made._width = made._height = None
            self._console = made
        return self._console

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real(), name)


def _console(**options: Any) -> LiteralConsole:
    return cast("LiteralConsole", _MadeOnFirstUse(**options))


console = _console(markup=False, emoji=False)
errors = _console(stderr=True, markup=False, emoji=False)


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
    # Loaded here, not at the top: `--help` and bad arguments never load the database layer.
    from sqlalchemy.exc import ArgumentError

    from school.database import (
        SchemaNotReady,
        database_url,
        make_engine,
        migrate,
        require_current_schema,
    )

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


# The calendar the demo and `demo-data` use when none is given (the bundled England dates).
DEFAULT_CALENDAR = POLICY_DIR / "calendars" / "england-2025-27.toml"


def read_text_file(path: Path) -> str:
    """A policy or calendar file's text, or the file's own refusal naming it."""
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(str(path), [f"cannot read the file: {exc.strerror}"]) from exc


def progress_bar(quiet: bool = False) -> Progress:
    """The progress bar long work shows on stderr, gone when it is done; `quiet` (a script
    reading --format json) shows nothing."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    return Progress(
        TextColumn("{task.description}", markup=False),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=cast("_MadeOnFirstUse", errors).real(),  # rich's own checks see a Console
        transient=True,
        disable=quiet,
    )

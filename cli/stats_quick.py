"""`attendance stats --format json` on SQLite without loading Typer's command tree or the ORM.

Only the exact forms Typer would accept the same way are taken here; anything else (another
format, --help, an option this does not know, a bad date, an unknown school, a database it
cannot read) goes to the full command, which answers or refuses in its own words.
"""

from __future__ import annotations

import json
from datetime import date

# The options `stats` takes that this path reads, and the flags it may ignore (json is never
# wide or narrow).
_VALUES = ("--school", "--as-of", "--format")
_IGNORED_FLAGS = ("--wide", "--no-wide")


def stats_arguments(argv: list[str]) -> tuple[str | None, dict[str, str]] | None:
    """`[--database URL] stats --school ID [--as-of DATE] --format json` in any option order,
    as (database, options); None for anything else."""
    database, rest = None, argv
    if rest[:1] and rest[0].startswith("--database"):
        taken = _option(rest, "--database")
        if taken is None:
            return None
        database, rest = taken
    if rest[:1] != ["stats"]:
        return None
    rest, options = rest[1:], {}
    while rest:
        if rest[0] in _IGNORED_FLAGS:
            rest = rest[1:]
            continue
        name = rest[0].split("=", 1)[0]
        taken = _option(rest, name) if name in _VALUES else None
        if taken is None:
            return None
        options[name], rest = taken  # the last of a repeated option wins, as in click
    if options.get("--format") != "json" or "--school" not in options:
        return None
    return database, options


def _option(argv: list[str], name: str) -> tuple[str, list[str]] | None:
    """`--name value` or `--name=value` at the front of argv: (value, what follows)."""
    head = argv[0]
    if head == name and len(argv) > 1 and not argv[1].startswith("-"):
        return argv[1], argv[2:]
    if head.startswith(name + "=") and head != name + "=":
        return head[len(name) + 1 :], argv[1:]
    return None


def quick_stats_json(argv: list[str]) -> str | None:
    """The JSON `stats --format json` prints, when this path can give it; else None."""
    found = stats_arguments(argv)
    if found is None:
        return None
    database, options = found
    from cli.parsing import BadArgument, date_or_today
    from school.database_url import database_url
    from school.statistics_quick import quick_statistics

    try:
        on: date = date_or_today("--as-of", options.get("--as-of"))
    except BadArgument:
        return None
    figures = quick_statistics(database_url(database), options["--school"], on)
    return None if figures is None else json.dumps(figures, indent=1) + "\n"

"""Confirming an absence code a reply or a call suggested, at the command line."""

from __future__ import annotations

from typing import Annotated

import typer

from cli.common import fail, open_database
from cli.output import Format, FormatOption, print_result, stored
from cli.parsing import parse_absence_code, parse_person, school_named
from school.clock import SystemClock


def confirm_code(
    check_id: Annotated[int, typer.Argument(help="The welfare check's number.")],
    school: Annotated[str, typer.Option(help="The school's id.")],
    code: Annotated[str, typer.Option(help="The absence code to confirm, e.g. I.")],
    by: Annotated[str, typer.Option(help='"Name, Position"')],
    format: FormatOption = Format.table,
) -> None:
    """Confirm the absence code for an explained absence (the engine only suggests one)."""
    from chase.code_confirmation import confirm_suggested_code
    from school.database import session_for

    confirmed = parse_absence_code("--code", code)
    person = parse_person("--by", by)
    try:
        with session_for(open_database()) as session:
            school_named(session, school)
            note = confirm_suggested_code(
                session, check_id, confirmed, person, SystemClock(), school_ids=[school]
            )
    except (ValueError, LookupError) as exc:
        fail([str(exc)])
    print_result(format, f"Welfare check {check_id}: {note.text} by {person}.", stored(note))

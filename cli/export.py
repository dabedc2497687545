"""`attendance export-pupil`: one pupil's data for a subject access request (UK GDPR art. 15)."""

from __future__ import annotations

from typing import Annotated

import typer

from cli.casework import pupil_by_upn
from cli.common import console, open_database, refused
from cli.output import Format, FormatOption, day_words, print_json
from cli.parsing import school_named


def export_pupil(
    upn: Annotated[str, typer.Argument(help="The pupil's UPN.")],
    school: Annotated[str, typer.Option(help="The school's id.")],
    format: FormatOption = Format.json,
) -> None:
    """Everything held about one pupil, as stored, for a subject access request.

    JSON (the default) is the record itself; --format table summarises what there is.
    """
    from cases.subject_access import pupil_record
    from school.database import session_for

    with refused(), session_for(open_database()) as session:
        school_named(session, school)
        record = pupil_record(session, pupil_by_upn(session, school, upn))
    if format is Format.json:
        print_json(record)
        return
    pupil = record["pupil"]
    console.print(
        f"{pupil['given_name']} {pupil['family_name']} ({pupil['upn']}), born "
        f"{day_words(pupil['date_of_birth'])}: everything held, for a subject access request."
    )
    for part, rows in record.items():
        if part != "pupil":
            console.print(f"  {len(rows):>6} {part.replace('_', ' ')}")
    console.print(f"The records themselves: attendance export-pupil {upn} --school {school}")

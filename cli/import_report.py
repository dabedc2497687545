"""What `attendance import` prints: the counts first, then what needs a person; or JSON."""

from __future__ import annotations

from cli.common import console
from cli.output import Column, people_table
from school.register_followup import FollowUp
from school.register_import import ImportResult
from school.roll import RollEntry, year_label

SHOWN = 20  # rows of the follow-up table on a terminal; --wide shows them all
COLUMNS = (
    Column("Pupil"),
    Column("UPN", essential=False),
    Column("Year", essential=False),
    Column("Needs"),
    Column("Session"),
    Column("Overdue from"),
)


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _whose(n: int) -> str:
    return f"{n} pupil's" if n == 1 else f"{n} pupils'"


def print_import(
    school_name: str, files: str, result: ImportResult, roll: dict[str, RollEntry], wide: bool
) -> None:
    """A few lines of counts, then a table of what needs a person, in 80 columns."""
    if not result.changed:
        console.print(
            f"Nothing to change: {result.marks_unchanged} marks already as imported.",
            markup=False,
        )
    else:
        console.print(f"Imported into {school_name} from {files}:", markup=False)
        console.print(
            f"  pupils    {result.pupils_added} added, {result.pupils_changed} changed\n"
            f"  contacts  {_whose(result.contacts_changed)} contacts replaced\n"
            f"  marks     {result.marks_added} added, {result.marks_amended} amended, "
            f"{result.marks_unchanged} unchanged",
            markup=False,
        )
    needs = result.follow_ups
    if not needs:
        console.print("Needs a person: nothing.")
        return
    n_marks = sum(1 for f in needs if f.kind == "resolve_n")
    no_contact = len(needs) - n_marks
    console.print(
        f"Needs a person: {_plural(n_marks, 'N mark')} to resolve, "
        f"{_plural(no_contact, 'pupil')} with no contact on file.",
        markup=False,
    )
    rows = [_row(f, roll) for f in (needs if wide else needs[:SHOWN])]
    console.print(people_table("", COLUMNS, rows, wide))
    if len(needs) > len(rows):
        console.print(f"... and {len(needs) - len(rows)} more (--wide shows them all).")


def _row(follow_up: FollowUp, roll: dict[str, RollEntry]) -> list[str]:
    pupil = roll.get(follow_up.upn)
    return [
        pupil.name if pupil else follow_up.upn,
        follow_up.upn,
        year_label(pupil.year_group) if pupil else "",
        follow_up.what,
        f"{follow_up.date} {follow_up.session}" if follow_up.date else "",
        str(follow_up.overdue_from or ""),
    ]


def import_json(
    school_id: str, files: str, result: ImportResult, roll: dict[str, RollEntry]
) -> dict[str, object]:
    """The shape documented in docs/cli-json.md (`import`)."""
    return {
        "school": school_id,
        "files": [name for name in files.split(", ") if name],
        "changed": result.changed,
        "counts": {
            "pupils_added": result.pupils_added,
            "pupils_changed": result.pupils_changed,
            "contacts_changed": result.contacts_changed,
            "marks_added": result.marks_added,
            "marks_amended": result.marks_amended,
            "marks_unchanged": result.marks_unchanged,
        },
        "needs_a_person": [
            {
                "kind": f.kind,
                "upn": f.upn,
                "name": roll[f.upn].name if f.upn in roll else None,
                "what": f.what,
                "date": f.date,
                "session": f.session,
                "overdue_from": f.overdue_from,
            }
            for f in result.follow_ups
        ],
    }

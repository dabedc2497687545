"""`attendance retention`: what the policy no longer keeps deleted or blanked, dry run first."""

from __future__ import annotations

from typing import Annotated

import typer

from cli.common import console, open_database
from cli.output import Format, FormatOption, day_words, print_json, stored, when_words
from cli.parsing import school_named
from school.clock import SystemClock

WHAT = {
    "marks_deleted": "register entries deleted",
    "amendments_deleted": "amendments of them deleted",
    "message_bodies_blanked": "texts and emails blanked",
    "reply_bodies_blanked": "parents' replies blanked",
    "access_log_entries_deleted": "sign-in records deleted",
    "safeguarding_records_deleted": "safeguarding records deleted (policy: never)",
}


def retention(
    school: Annotated[str, typer.Option(help="The school's id.")],
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Show what would go; change nothing.")
    ] = False,
    format: FormatOption = Format.table,
) -> None:
    """Delete register entries and blank message bodies past the policy's retention periods.

    Registers are kept at least six years; DSL alerts, checks, cases and legal actions are kept.
    """
    from cases.retention import apply_retention, cutoffs_json
    from school.database import session_for

    with session_for(open_database()) as session:
        loaded = school_named(session, school)
        result = apply_retention(session, loaded, SystemClock().now(), dry_run=dry_run)
        if format is Format.json:
            run = stored(result.run) if result.run else None
            cut = cutoffs_json(result.cutoffs)
            shown = {"cutoffs": cut, "counts": result.counts, "run": run}
            print_json({"school": loaded.id, "dry_run": dry_run, **shown})
            return
    verb = "would go" if dry_run else "went"
    total = sum(result.counts.values())
    console.print(
        f"Retention at {loaded.name}: {total} records {verb} (register sessions before "
        f"{day_words(result.cutoffs.register_before)}, messages before "
        f"{when_words(result.cutoffs.messages_before)})."
    )
    for key, words in WHAT.items():
        console.print(f"  {result.counts[key]:>6} {words}")
    if result.run is not None:
        console.print(f"Recorded as retention run {result.run.id}.")
    elif dry_run and total:
        console.print(f"Nothing changed: run without --dry-run to apply it to {loaded.id}.")

"""The daily review, letters and evidence packs at the command line."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from cli.casework import School, pupil_by_upn, refused_by_law
from cli.common import console, open_database, progress_bar
from cli.door import PlainHelpGroup
from cli.output import (
    Column,
    Format,
    FormatOption,
    WideOption,
    day_words,
    people_table,
    print_json,
    print_result,
    stored,
    when_words,
)
from cli.parsing import date_or_today, parse_upn, school_day, school_named
from school.clock import SystemClock
from school.private_files import write_private

if TYPE_CHECKING:
    from sqlmodel import Session

    from cases.letters.stored import DecidedLetters

if TYPE_CHECKING:
    from cases.after_school import AfterSchool

letters_app = typer.Typer(
    cls=PlainHelpGroup,
    help="Letters from the ladders and the Notice to Improve.",
    no_args_is_help=True,
)


def review(
    school: School,
    on: Annotated[str | None, typer.Option("--date", help="YYYY-MM-DD (default: today).")] = None,
    format: FormatOption = Format.table,
    wide: WideOption = False,
    pdfs: Annotated[
        bool,
        typer.Option(help="Draw the letters' PDFs after the review commits (else: letters pdfs)."),
    ] = True,
) -> None:
    """The daily review: proposals from the school's ladder, automatic letters sent, LA duties."""
    day = date_or_today("--date", on)
    import asyncio

    from cases.after_school import review_after_school
    from cases.letters.pdfs import drawing_processes
    from cli.chase import local_channels
    from school.batch_gc import batch_gc
    from school.database import session_for

    engine = open_database()
    with refused_by_law():
        with session_for(engine) as session:
            loaded = school_named(session, school)  # once, for the review, letters and duties
        if on is not None:
            school_day(loaded, "--date", day)  # a review stands for a school day's registers
        with progress_bar(quiet=format is Format.json) as progress:
            # Deciding is one transaction; the letters' PDFs after it are the long part.
            task = progress.add_task("Reviewing, letters decided and queued", total=None)

            def drawn(done: int, total: int) -> None:
                progress.update(task, description="Drawing letters' PDFs", total=total,
                                completed=done)  # fmt: skip

            with batch_gc():  # a school's figures and letters, all alive at once
                done = asyncio.run(
                    review_after_school(
                        engine,
                        loaded,
                        day,
                        SystemClock(),
                        local_channels(),
                        draw_pdfs=pdfs,
                        pdf_workers=drawing_processes(),
                        progress=drawn,
                    )
                )
    shown = review_shown(done)
    if format is Format.json:
        print_json(shown)
    else:
        print_review(shown, wide)


def review_shown(done: AfterSchool) -> dict[str, Any]:
    """The review as data: the same for the table and for --format json (docs/cli-json.md)."""
    result, letters = done.review, done.letters
    from cli.legal_output import due_json

    return {
        "school": result.school_id,
        "date": result.on,
        "review_day": result.review_day,
        "counts": {
            "cases_opened": result.cases_opened,
            "stage_moves": result.stage_moves,
            "actions_planned": result.actions_applied,
            "letters_emailed": letters.emailed,
            "letters_to_print": letters.to_print,
            "new_la_duties": done.new_duties,
            "letter_pdfs_drawn": done.pdfs_drawn,
        },
        "proposals": [
            {"id": p.id, "case_id": p.case_id, "kind": p.kind, "to_stage": p.to_stage,
             "summary": p.summary}
            for p in result.proposals
            if p.status == "proposed"
        ],
        "overdue": [
            {"action_id": o.action_id, "case_id": o.case_id, "upn": o.upn, "kind": o.kind,
             "title": o.title, "due_on": o.due_on}
            for o in result.overdue
        ],
        "letters_needing_a_person": list(letters.problems),
        "legal_decisions_due": due_json(result.legal_due),
        "provisional": [
            {"upn": n.upn, "pupil": n.name, "text": n.text} for n in result.provisional
        ],
    }  # fmt: skip


_OVERDUE_SHOWN = 20  # reminders, not decisions: the rest are counted, and all are in the JSON


def print_review(shown: dict[str, Any], wide: bool) -> None:
    """Counts first, then the proposals a person must decide, then overdue actions."""
    counts, proposals, overdue = shown["counts"], shown["proposals"], shown["overdue"]
    from cli.legal_output import print_due, print_provisional

    console.print(
        f"Review of {shown['school']} for {shown['date']}: {len(proposals)} proposals to decide, "
        f"{len(overdue)} actions overdue; {counts['cases_opened']} cases opened, "
        f"{counts['stage_moves']} stage moves, {counts['actions_planned']} actions planned, "
        f"{counts['letters_emailed']} letters emailed, {counts['letters_to_print']} to print, "
        f"{counts['new_la_duties']} new LA duties."
    )
    if proposals:
        rows = [[str(p["id"]), p["kind"], p["summary"]] for p in proposals]
        columns = [
            Column("#", justify="right"),
            Column("Kind", essential=False),
            Column("Proposal"),
        ]
        console.print(people_table("Proposals to decide", columns, rows, wide))
        console.print(
            "Decide: attendance case decide ID --decision confirm|skip|override "
            '--by "Name, Position"'
        )
    _print_problems(shown["letters_needing_a_person"])
    print_due(shown["legal_decisions_due"], wide)
    print_provisional(shown["provisional"])
    if overdue:
        rows = [
            [str(o["action_id"]), o["upn"], o["title"], f"{o['due_on']:%-d %b}"]
            for o in overdue[: None if wide else _OVERDUE_SHOWN]
        ]
        columns = [
            Column("#", justify="right"), Column("UPN", essential=False), Column("Action"),
            Column("Due"),
        ]  # fmt: skip
        console.print(people_table(f"Overdue actions: {len(overdue)}", columns, rows, wide))
        if len(overdue) > len(rows):
            console.print(f"… and {len(overdue) - len(rows)} more (--wide or --format json)")


def _write_letters(session: Session, decided: DecidedLetters, out: str, format: Format) -> None:
    """Each stored letter to `out` (a .pdf to print, else HTML); with several addressee
    groups, one file each: letter-1.pdf, letter-2.pdf. Then one line per file, or the stored
    letters (without their HTML) for a script."""
    from pathlib import Path

    from cases.letters.service import stored_letter_pdf

    target = Path(out)
    written: list[dict[str, Any]] = []
    for n, letter in enumerate(decided.letters, start=1):
        path = target if len(decided.letters) == 1 else target.with_stem(f"{target.stem}-{n}")
        if path.suffix == ".pdf":
            write_private(path, stored_letter_pdf(session, letter))
        else:
            write_private(path, letter.html)
        written.append({**stored(letter, without={"html"}), "file": str(path)})
    if format is Format.json:
        print_json({"letters": written, "problems": decided.problems})
        return
    for shown in written:
        where = "; ".join(shown["postal_address"]) or "no postal address on file"
        console.print(
            f"Wrote {shown['file']}: to {shown['addressee']} ({where}), "
            f"{shown['delivery'].replace('_', ' ')}; figures as of "
            f"{day_words(shown['as_of'])}, decided {when_words(shown['decided_at'])}.",
            markup=False,
            highlight=False,
        )
    _print_problems(decided.problems)


def _print_problems(problems: list[str]) -> None:
    for problem in problems:
        console.print(f"  needs a person: {problem}", markup=False)


@letters_app.command("pdfs")
def letters_pdfs(
    school: School,
    workers: Annotated[
        int | None,
        typer.Option(
            min=1, max=64, help="Processes drawing at once (default: one a CPU, at most 4)."
        ),
    ] = None,
    format: FormatOption = Format.table,
) -> None:
    """Draw the PDF of every stored letter that has none yet (a review does it itself)."""
    from cases.letters.pdfs import drawing_processes, finish_letter_pdfs, letters_without_pdf
    from school.database import session_for

    with refused_by_law(), session_for(open_database()) as session:
        loaded = school_named(session, school)
        with progress_bar(quiet=format is Format.json) as progress:
            task = progress.add_task("Drawing letters' PDFs", total=None)
            drawn = finish_letter_pdfs(
                session,
                loaded,
                SystemClock(),
                progress=lambda done, total: progress.update(task, completed=done, total=total),
                workers=workers or drawing_processes(),
            )
        left = len(letters_without_pdf(session, loaded.id))
    print_result(
        format,
        f"Drew {drawn} letters' PDFs for {loaded.name}; {left} without one.",
        {"school": loaded.id, "drawn": drawn, "without_pdf": left},
    )


@letters_app.command("render")
def letters_render(
    action_id: Annotated[int, typer.Argument(help="The letter's case action number.")],
    out: Annotated[str, typer.Option(help="Where to write it: a .pdf or .html file.")],
    format: FormatOption = Format.table,
) -> None:
    """Write a case letter as stored when it was decided (PDF to print, or HTML).

    One file per home its parents with parental responsibility live in.
    """
    from cases.letters.service import case_letters
    from cases.models import CaseAction
    from cases.review.rules import LETTER_ACTIONS
    from school.database import session_for

    with refused_by_law(), session_for(open_database()) as session:
        action = session.get(CaseAction, action_id)
        if action is None or action.kind not in LETTER_ACTIONS:
            raise LookupError(f"no letter action {action_id}")
        # A letter staff ask for before the review sent it is decided (and stored) now.
        decided = case_letters(session, action, SystemClock())
        session.commit()
        if not decided.letters:
            raise LookupError("; ".join(decided.problems))
        _write_letters(session, decided, out, format)


def evidence(
    school: School,
    upn: Annotated[str, typer.Argument()],
    out: Annotated[str, typer.Option(help="The PDF to write.")],
    on: Annotated[str | None, typer.Option("--date", help="As of (default: today).")] = None,
    format: FormatOption = Format.table,
) -> None:
    """The evidence pack an LA asks for with a penalty-notice referral, as one PDF."""
    upn = parse_upn("UPN", upn)  # refused before anything is opened
    as_of = date_or_today("--date", on)
    from pathlib import Path

    from cases.evidence.service import evidence_pack_pdf
    from school.database import id_of, session_for

    with refused_by_law(), session_for(open_database()) as session:
        pupil = pupil_by_upn(session, school, upn)
        pack = evidence_pack_pdf(session, id_of(pupil), as_of, SystemClock())
    write_private(Path(out), pack)
    name = f"{pupil.given_name} {pupil.family_name}"
    print_result(
        format,
        f"Wrote {out}: the evidence pack for {name} ({pupil.upn}) as of {day_words(as_of)}.",
        {"file": out, "school": pupil.school_id, "upn": pupil.upn, "name": name,
         "as_of": as_of, "bytes": len(pack)},
    )  # fmt: skip


@letters_app.command("nti")
def letters_nti(
    action_id: Annotated[int, typer.Argument(help="The Notice to Improve's number.")],
    out: Annotated[str, typer.Option(help="Where to write it: a .pdf (to print) or .html file.")],
    format: FormatOption = Format.table,
) -> None:
    """Write a Notice to Improve letter as stored when the notice was issued."""
    from cases.legal.notice_to_improve import notice_elements
    from cases.letters.service import store_notice_letter
    from cases.models import LegalAction
    from school.database import session_for

    with refused_by_law(), session_for(open_database()) as session:
        action = session.get(LegalAction, action_id)
        if action is None:
            raise LookupError(f"no legal action {action_id}")
        elements = notice_elements(action)
        decided = store_notice_letter(
            session,
            action,
            SystemClock(),
            further_support=elements.get("further_support", ""),
            sufficient_improvement=elements.get("sufficient_improvement", ""),
            early_grounds=elements.get("early_grounds", ""),
        )
        session.commit()
        _write_letters(session, decided, out, format)

"""The daily review, letters and evidence packs at the command line."""

from __future__ import annotations

from typing import Annotated

import typer
from sqlmodel import Session

from cases.models import CaseAction, LegalAction, StoredLetter
from cases.review.rules import LETTER_ACTIONS
from cli.casework import School, day_or_today, pupil_by_upn, refused_by_law
from cli.common import console, open_database
from school.clock import SystemClock
from school.database import id_of, session_for

letters_app = typer.Typer(
    help="Letters from the ladders and the Notice to Improve.", no_args_is_help=True
)


def review(
    school: School,
    on: Annotated[str | None, typer.Option("--date", help="YYYY-MM-DD (default: today).")] = None,
) -> None:
    """The daily review: proposals from the school's ladder, automatic letters sent, LA duties."""
    import asyncio

    from cases.after_school import review_after_school
    from cli.chase import local_channels
    from school.schools import load_school

    day = day_or_today(on)
    engine = open_database()
    with refused_by_law():
        with session_for(engine) as session:
            loaded = load_school(session, school)  # once, for the review, letters and duties
        done = asyncio.run(
            review_after_school(engine, loaded, day, SystemClock(), local_channels())
        )
    result, letters = done.review, done.letters
    console.print(
        f"Review of {school} for {day}: {result.cases_opened} cases opened, "
        f"{result.stage_moves} stage moves, {result.actions_applied} actions planned, "
        f"{letters.emailed} letters emailed, {letters.to_print} to print, "
        f"{done.new_duties} new LA duties."
    )
    for proposal in result.proposals:
        if proposal.status == "proposed":
            console.print(f"  proposal #{proposal.id}: {proposal.summary}", markup=False)
    for overdue in result.overdue:
        console.print(f"  overdue: {overdue}", markup=False)
    _print_problems(letters.problems)
    if any(p.status == "proposed" for p in result.proposals):
        console.print(
            "Decide: attendance case decide ID --decision confirm|skip|override "
            '--by "Name, Position"'
        )


def _write_letters(session: Session, letters: list[StoredLetter], out: str) -> None:
    """Each stored letter to `out` (a .pdf to print, else HTML); with several addressee
    groups, one file each: letter-1.pdf, letter-2.pdf."""
    from pathlib import Path

    from cases.letters.service import stored_letter_pdf

    target = Path(out)
    for n, letter in enumerate(letters, start=1):
        path = target if len(letters) == 1 else target.with_stem(f"{target.stem}-{n}")
        if path.suffix == ".pdf":
            path.write_bytes(stored_letter_pdf(session, letter))
        else:
            path.write_text(letter.html, encoding="utf-8")
        where = "; ".join(letter.postal_address or []) or "no postal address on file"
        console.print(
            f"Wrote {path}: to {letter.addressee} ({where}), {letter.delivery.replace('_', ' ')}; "
            f"figures as of {letter.as_of}, decided {letter.decided_at:%Y-%m-%d %H:%M} UTC.",
            markup=False,
        )


def _print_problems(problems: list[str]) -> None:
    for problem in problems:
        console.print(f"  needs a person: {problem}", markup=False)


@letters_app.command("render")
def letters_render(
    action_id: Annotated[int, typer.Argument(help="The letter's case action number.")],
    out: Annotated[str, typer.Option(help="Where to write it: a .pdf or .html file.")],
) -> None:
    """Write a case letter as stored when it was decided (PDF to print, or HTML), one file
    per home its parents with parental responsibility live in."""
    from cases.letters.service import case_letters

    with refused_by_law(), session_for(open_database()) as session:
        action = session.get(CaseAction, action_id)
        if action is None or action.kind not in LETTER_ACTIONS:
            raise LookupError(f"no letter action {action_id}")
        # A letter staff ask for before the review sent it is decided (and stored) now.
        decided = case_letters(session, action, SystemClock())
        session.commit()
        if not decided.letters:
            raise LookupError("; ".join(decided.problems))
        _write_letters(session, decided.letters, out)
    _print_problems(decided.problems)


def evidence(
    school: School,
    upn: Annotated[str, typer.Argument()],
    out: Annotated[str, typer.Option(help="The PDF to write.")],
    on: Annotated[str | None, typer.Option("--date", help="As of (default: today).")] = None,
) -> None:
    """The evidence pack an LA asks for with a penalty-notice referral, as one PDF."""
    from pathlib import Path

    from cases.evidence.service import evidence_pack_pdf

    with refused_by_law(), session_for(open_database()) as session:
        pupil = pupil_by_upn(session, school, upn)
        Path(out).write_bytes(
            evidence_pack_pdf(session, id_of(pupil), day_or_today(on), SystemClock())
        )
    console.print(f"Wrote {out}.")


@letters_app.command("nti")
def letters_nti(
    action_id: Annotated[int, typer.Argument(help="The Notice to Improve's number.")],
    out: Annotated[str, typer.Option(help="Where to write it: a .pdf (to print) or .html file.")],
) -> None:
    """Write a Notice to Improve letter as stored when the notice was issued."""
    from cases.legal.notice_to_improve import notice_elements
    from cases.letters.service import store_notice_letter

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
        _write_letters(session, decided.letters, out)
    _print_problems(decided.problems)

"""The daily review, letters and evidence packs at the command line."""

from __future__ import annotations

from typing import Annotated

import typer
from sqlalchemy import select
from sqlmodel import col

from cases.models import AttendanceCase, CaseAction, LegalAction
from cli.casework import School, pupil_by_upn, refused_by_law
from cli.common import console, open_database
from cli.parsing import date_or_today, school_day, school_named
from school.clock import SystemClock, school_today
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

    day = date_or_today("--date", on)
    engine = open_database()
    with refused_by_law():
        with session_for(engine) as session:
            loaded = school_named(session, school)  # once, for the review, letters and duties
        if on is not None:
            school_day(loaded, "--date", day)  # a review stands for a school day's registers
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
    if any(p.status == "proposed" for p in result.proposals):
        console.print(
            "Decide: attendance case decide ID --decision confirm|skip|override "
            '--by "Name, Position"'
        )


@letters_app.command("render")
def letters_render(
    action_id: Annotated[int, typer.Argument(help="The letter's case action number.")],
    out: Annotated[str, typer.Option(help="Where to write it: a .pdf or .html file.")],
) -> None:
    """Write a case letter as PDF (for printing) or HTML, for its first parent on file."""
    from pathlib import Path

    from cases.letters.service import case_letter_html, letter_pdf
    from school.models import Contact

    with refused_by_law(), session_for(open_database()) as session:
        action = session.get(CaseAction, action_id)
        if action is None or action.kind not in ("letter", "congratulations_letter"):
            raise LookupError(f"no letter action {action_id}")
        case = session.get(AttendanceCase, action.case_id)
        assert case is not None
        contact = session.scalars(
            select(Contact)
            .where(col(Contact.pupil_id) == case.pupil_id)
            .order_by(col(Contact.priority))
        ).first()
        if contact is None:
            raise LookupError("the pupil has no contact to address the letter to")
        today = school_today(SystemClock())
        target = Path(out)
        if target.suffix == ".pdf":
            target.write_bytes(letter_pdf(session, action, contact, SystemClock()))
        else:
            target.write_text(
                case_letter_html(session, action, contact, today, today), encoding="utf-8"
            )
    console.print(f"Wrote {target}.")


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
            evidence_pack_pdf(session, id_of(pupil), date_or_today("--date", on), SystemClock())
        )
    console.print(f"Wrote {out}.")


@letters_app.command("nti")
def letters_nti(
    action_id: Annotated[int, typer.Argument(help="The Notice to Improve's number.")],
    out: Annotated[str, typer.Option(help="Where to write it: a .pdf (to print) or .html file.")],
) -> None:
    """Write a Notice to Improve letter, with the eight elements recorded when it was issued."""
    from pathlib import Path

    from cases.legal.notice_to_improve import notice_elements
    from cases.letters.service import notice_letter_html
    from notifications.letters import render_letter_pdf
    from school.schools import get_school

    with refused_by_law(), session_for(open_database()) as session:
        action = session.get(LegalAction, action_id)
        if action is None:
            raise LookupError(f"no legal action {action_id}")
        elements = notice_elements(action)
        html = notice_letter_html(
            session,
            action,
            SystemClock(),
            further_support=elements.get("further_support", ""),
            sufficient_improvement=elements.get("sufficient_improvement", ""),
            early_grounds=elements.get("early_grounds", ""),
        )
        target = Path(out)
        if target.suffix == ".pdf":
            target.write_bytes(
                render_letter_pdf(html, header=get_school(session, action.school_id).name)
            )
        else:
            target.write_text(html, encoding="utf-8")
    console.print(f"Wrote {target}.")

"""Cases at the command line: show, open, move, support, proposals, legal actions, duties."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from typing import Annotated, Literal

import typer
from sqlalchemy import select
from sqlmodel import Session, col

from cases.models import (
    AttendanceCase,
    CaseAction,
    CaseEvent,
    CaseProposal,
    LaDuty,
    LegalAction,
)
from cli.common import console, fail, open_database
from school.amendments import Amender
from school.clock import SCHOOL_TIME_ZONE, SystemClock, school_today
from school.database import id_of, session_for
from school.models import Pupil

case_app = typer.Typer(
    help="A pupil's attendance case through the six stages.", no_args_is_help=True
)
legal_app = typer.Typer(
    help="Notices to Improve and penalty notices (spec §5).", no_args_is_help=True
)
duties_app = typer.Typer(help="Duties to the local authority.", no_args_is_help=True)

School = Annotated[str, typer.Option(help="The school's id.")]
MaybeSchool = Annotated[
    str | None, typer.Option(help="The school's id (needed only if the UPN is at several).")
]
By = Annotated[str, typer.Option(help='"Name, Position" of the member of staff.')]
Reason = Annotated[str, typer.Option(help="Why, in a sentence a parent or the LA could read.")]


@contextmanager
def _refused() -> Iterator[None]:
    """The services' refusals (the law, a guard, a stale view) as a clear message, exit 1."""
    from cases.duties.rules import DutyRefused
    from cases.legal.refusals import LegalActionRefused
    from state_machines.attendance_case import CaseRefused

    try:
        yield
    except (CaseRefused, LegalActionRefused, DutyRefused, LookupError, ValueError) as exc:
        fail([str(exc)], "Refused:")


def _pupil(session: Session, school: str | None, upn: str) -> Pupil:
    """The pupil with this UPN; --school is needed only when UPNs repeat across schools."""
    query = select(Pupil).where(col(Pupil.upn) == upn.upper())
    if school:
        query = query.where(col(Pupil.school_id) == school)
    found = session.scalars(query).all()
    if not found:
        raise LookupError(f"no pupil {upn}" + (f" at {school}" if school else ""))
    if len(found) > 1:
        raise LookupError(f"{upn} is on the roll of several schools: give --school")
    return found[0]


def _open_case(session: Session, pupil: Pupil) -> AttendanceCase:
    case = session.scalars(
        select(AttendanceCase).where(
            col(AttendanceCase.pupil_id) == pupil.id, col(AttendanceCase.closed_at).is_(None)
        )
    ).first()
    if case is None:
        raise LookupError(f"{pupil.given_name} {pupil.family_name} has no open case")
    return case


def _day(on: str | None) -> date:
    return date.fromisoformat(on) if on else school_today(SystemClock())


@case_app.command("show")
def show(
    upn: Annotated[str, typer.Argument(help="The pupil's UPN.")], school: MaybeSchool = None
) -> None:
    """The case: its stage, history, actions, proposals and legal actions."""
    from school.statistics import attendance_statistics

    with _refused(), session_for(open_database()) as session:
        pupil = _pupil(session, school, upn)
        case = _open_case(session, pupil)
        figures = {
            f.upn: f
            for f in attendance_statistics(session, pupil.school_id, school_today(SystemClock()))
        }
        events = session.scalars(
            select(CaseEvent).where(col(CaseEvent.case_id) == case.id).order_by(col(CaseEvent.id))
        ).all()
        actions = session.scalars(
            select(CaseAction)
            .where(col(CaseAction.case_id) == case.id)
            .order_by(col(CaseAction.id))
        ).all()
        proposals = session.scalars(
            select(CaseProposal)
            .where(col(CaseProposal.case_id) == case.id)
            .order_by(col(CaseProposal.id))
        ).all()
        legal = session.scalars(
            select(LegalAction)
            .where(col(LegalAction.pupil_id) == pupil.id)
            .order_by(col(LegalAction.id))
        ).all()
    console.rule(
        f"{pupil.given_name} {pupil.family_name}, Y{pupil.year_group}: "
        f"case {case.id} at {case.stage}"
    )
    f = figures.get(pupil.upn)
    if f is not None and f.possible_sessions:
        missed = f.authorised_sessions + f.unauthorised_sessions
        console.print(
            f"This year: {missed / 2:g} days missed of {f.possible_sessions / 2:g} "
            f"({f.attendance_pct:.1f}% attendance); "
            f"{f.unauthorised_sessions_rolling_10_school_weeks} unauthorised sessions in the "
            "last 10 school weeks"
        )
    for e in events:
        console.print(
            f"  {e.at.astimezone(SCHOOL_TIME_ZONE):%d %b %H:%M}  "
            f"{e.from_stage or '—'} → {e.to_stage}  {e.trigger}: {e.reason} "
            f"({e.actor_name}, {e.actor_position})",
            markup=False,
        )
    for a in actions:
        console.print(
            f"  action #{a.id} {a.kind}: {a.title} [{a.status}]"
            + (f" due {a.due_on}" if a.due_on else ""),
            markup=False,
        )
    for p in proposals:
        console.print(f"  proposal #{p.id} [{p.status}] {p.summary}", markup=False)
    for la in legal:
        console.print(f"  legal #{la.id} {la.kind} to {la.parent_name} [{la.state}]", markup=False)


@case_app.command("open")
def open_(
    upn: Annotated[str, typer.Argument()], by: By, reason: Reason, school: MaybeSchool = None
) -> None:
    """Open a case for a pupil (one open case per pupil)."""
    from cases.service import open_case

    with _refused(), session_for(open_database()) as session:
        case = open_case(
            session, id_of(_pupil(session, school, upn)), Amender.parse(by), reason, SystemClock()
        )
    console.print(f"Opened case {case.id} at {case.stage}.")


@case_app.command("move")
def move(
    upn: Annotated[str, typer.Argument()],
    to: Annotated[
        str, typer.Option(help="expect, monitor, listen, facilitate, formalise, enforce, closed")
    ],
    by: By,
    reason: Reason,
    school: MaybeSchool = None,
) -> None:
    """Move the pupil's case to a stage; the law's guards refuse what it does not allow."""
    from cases.service import move_case

    with _refused(), session_for(open_database()) as session:
        case = _open_case(session, _pupil(session, school, upn))
        moved = move_case(session, id_of(case), to, Amender.parse(by), reason, SystemClock())
    console.print(f"Case {moved.id} is now at {moved.stage}.")


@case_app.command("support")
def support(
    upn: Annotated[str, typer.Argument()],
    kind: Annotated[str, typer.Option(help="e.g. support_plan, early_help, mentoring")],
    title: Annotated[str, typer.Option(help="What was offered.")],
    by: By,
    status: Annotated[str, typer.Option(help="planned, done, declined, ...")] = "planned",
    school: MaybeSchool = None,
) -> None:
    """Record support offered to the family (a declined offer still counts as offered)."""
    from cases.support import record_support

    with _refused(), session_for(open_database()) as session:
        case = _open_case(session, _pupil(session, school, upn))
        action = record_support(
            session, id_of(case), kind, title, Amender.parse(by), SystemClock(), status=status
        )
    console.print(f"Recorded support #{action.id} ({action.status}).")


@case_app.command("action")
def action_outcome(
    action_id: Annotated[int, typer.Argument(help="The action's number (attendance case show).")],
    status: Annotated[str, typer.Option(help="done, attended, not_attended, declined, cancelled")],
    by: By,
    note: Annotated[str | None, typer.Option(help="What happened.")] = None,
) -> None:
    """Record what happened to a letter, meeting, plan or referral."""
    from cases.support import record_action_outcome

    with _refused(), session_for(open_database()) as session:
        action = record_action_outcome(
            session, action_id, status, Amender.parse(by), SystemClock(), note
        )
    console.print(f"Action {action.id} ({action.title}): {action.status}.")


@case_app.command("no-support")
def no_support(
    upn: Annotated[str, typer.Argument()], by: By, reason: Reason, school: MaybeSchool = None
) -> None:
    """Record why support is not appropriate (e.g. an unauthorised term-time holiday)."""
    from cases.support import record_support_not_appropriate

    with _refused(), session_for(open_database()) as session:
        case = _open_case(session, _pupil(session, school, upn))
        record_support_not_appropriate(
            session, id_of(case), reason, Amender.parse(by), SystemClock()
        )
    console.print("Recorded.")


@case_app.command("send-considered")
def send_considered(
    upn: Annotated[str, typer.Argument()], by: By, note: Reason, school: MaybeSchool = None
) -> None:
    """Record that barriers linked to special educational needs were considered."""
    from cases.support import record_send_barriers_considered

    with _refused(), session_for(open_database()) as session:
        case = _open_case(session, _pupil(session, school, upn))
        record_send_barriers_considered(
            session, id_of(case), Amender.parse(by), note, SystemClock()
        )
    console.print("Recorded.")


@case_app.command("decide")
def decide(
    proposal_id: Annotated[int, typer.Argument()],
    decision: Annotated[Literal["confirm", "skip", "override"], typer.Option()],
    by: By,
    reason: Annotated[str | None, typer.Option(help="Needed to skip or override.")] = None,
    to: Annotated[str | None, typer.Option(help="override: the stage you chose instead")] = None,
) -> None:
    """Confirm, skip or override a proposal from the daily review."""
    from cases.proposals import decide_proposal

    with _refused(), session_for(open_database()) as session:
        proposal = decide_proposal(
            session, proposal_id, decision, Amender.parse(by), reason, SystemClock(), to_stage=to
        )
    console.print(f"Proposal {proposal.id}: {proposal.status}.")


@case_app.command("confirm")
def confirm(
    proposal_id: Annotated[int, typer.Argument()],
    by: By,
    reason: Annotated[
        str | None, typer.Option(help="Optional: the proposal's summary is used.")
    ] = None,
) -> None:
    """Confirm a proposal from the daily review (the law's guards still apply)."""
    decide(proposal_id, "confirm", by, reason, None)


@case_app.command("skip")
def skip(proposal_id: Annotated[int, typer.Argument()], by: By, reason: Reason) -> None:
    """Skip a proposal, with the reason."""
    decide(proposal_id, "skip", by, reason, None)


@case_app.command("override")
def override(
    proposal_id: Annotated[int, typer.Argument()],
    by: By,
    reason: Reason,
    to: Annotated[str | None, typer.Option(help="The stage you chose instead.")] = None,
) -> None:
    """Override a proposal with your own decision (and stage), with the reason."""
    decide(proposal_id, "override", by, reason, to)


@legal_app.command("nti")
def nti(
    upn: Annotated[str, typer.Argument()],
    parent: Annotated[str, typer.Option(help="The parent liable.")],
    by: By,
    weeks: Annotated[int | None, typer.Option(help="Improvement period, 3 to 6 weeks.")] = None,
    on: Annotated[str | None, typer.Option("--date")] = None,
    school: MaybeSchool = None,
) -> None:
    """Issue a Notice to Improve to one parent."""
    from cases.legal.notice_to_improve import issue_notice_to_improve

    with _refused(), session_for(open_database()) as session:
        action = issue_notice_to_improve(
            session,
            id_of(_pupil(session, school, upn)),
            parent,
            by,
            _day(on),
            weeks,
            clock=SystemClock(),
        )
    console.print(
        f"Notice to Improve #{action.id}: improvement period to {action.improvement_period_end}."
    )


@legal_app.command("request-pn")
def request_pn(
    upn: Annotated[str, typer.Argument()],
    parent: Annotated[str, typer.Option()],
    by: By,
    on: Annotated[str | None, typer.Option("--date")] = None,
    school: MaybeSchool = None,
) -> None:
    """Request a penalty notice for one parent; refused where the law does not allow it."""
    from cases.legal.penalty_notice import request_penalty_notice

    with _refused(), session_for(open_database()) as session:
        action = request_penalty_notice(
            session, id_of(_pupil(session, school, upn)), parent, by, _day(on), clock=SystemClock()
        )
    console.print(
        f"Penalty notice #{action.id} requested ({_ordinal(action.sequence)}): "
        f"£{action.amount_if_paid_early or action.amount}"
        + (f" within 21 days, else £{action.amount}" if action.amount_if_paid_early else "")
        + " within 28 days of receipt."
    )


def _ordinal(n: int | None) -> str:
    return {1: "first", 2: "second"}.get(n or 0, "")


@legal_app.command("issue-pn")
def issue_pn(
    action_id: Annotated[int, typer.Argument()],
    by: By,
    issued: Annotated[str, typer.Option(help="YYYY-MM-DD")],
    received: Annotated[str, typer.Option(help="YYYY-MM-DD")],
) -> None:
    """Record that a requested penalty notice was issued, and when the parent received it."""
    from cases.legal.penalty_notice import issue_penalty_notice

    with _refused(), session_for(open_database()) as session:
        action = issue_penalty_notice(
            session,
            action_id,
            by,
            date.fromisoformat(issued),
            date.fromisoformat(received),
            clock=SystemClock(),
        )
    console.print(f"Penalty notice #{action.id}: {action.state}.")


@legal_app.command("pay")
def pay(
    action_id: Annotated[int, typer.Argument()],
    amount: Annotated[int, typer.Option(help="Pounds.")],
    by: By,
    on: Annotated[str | None, typer.Option("--date")] = None,
) -> None:
    """Record a payment (the amount must be what is due on that date)."""
    from cases.legal.payments import record_payment

    with _refused(), session_for(open_database()) as session:
        action = record_payment(session, action_id, _day(on), amount, by, clock=SystemClock())
    console.print(f"Penalty notice #{action.id}: {action.state}.")


@legal_app.command("decide-unpaid")
def decide_unpaid_(
    action_id: Annotated[int, typer.Argument()],
    decision: Annotated[Literal["prosecute", "withdraw"], typer.Option()],
    by: By,
    reason: Reason,
) -> None:
    """After 28 days unpaid: prosecute for the original offence, or withdraw."""
    from cases.legal.payments import decide_unpaid

    with _refused(), session_for(open_database()) as session:
        action = decide_unpaid(session, action_id, decision, by, reason, clock=SystemClock())
    console.print(f"Penalty notice #{action.id}: {action.state}.")


@legal_app.command("withdraw")
def withdraw_(action_id: Annotated[int, typer.Argument()], by: By, reason: Reason) -> None:
    """Withdraw a notice (withdrawn penalty notices do not count towards the limit)."""
    from cases.legal.withdrawal import withdraw

    with _refused(), session_for(open_database()) as session:
        action = withdraw(session, action_id, by, reason, clock=SystemClock())
    console.print(f"#{action.id}: {action.state}.")


@duties_app.command("review")
def duties_review(school: School, on: Annotated[str | None, typer.Option("--date")] = None) -> None:
    """Raise the duties the figures call for (idempotent), then list what is open."""
    from cases.duties.service import review_la_duties

    with _refused(), session_for(open_database()) as session:
        raised = review_la_duties(session, school, _day(on), SystemClock())
    console.print(f"{len(raised)} new duties.")
    duties_list(school)


@duties_app.command("list")
def duties_list(school: School) -> None:
    """Open duties to the local authority, soonest first."""
    with session_for(open_database()) as session:
        rows = session.execute(
            select(LaDuty, Pupil)
            .join(Pupil, col(Pupil.id) == LaDuty.pupil_id)
            .where(col(LaDuty.school_id) == school, col(LaDuty.status) == "open")
            .order_by(col(LaDuty.due_on), col(LaDuty.id))
        ).all()
    for duty, pupil in rows:
        console.print(
            f"#{duty.id} due {duty.due_on}  {pupil.given_name} {pupil.family_name}  "
            f"{duty.kind}: {duty.summary}",
            markup=False,
        )
    if not rows:
        console.print("No open duties.")


@duties_app.command("done")
def duties_done(duty_id: Annotated[int, typer.Argument()], by: By, note: Reason) -> None:
    """Record a duty as done (the deletion ground needs `confirm` with the joint enquiries)."""
    from cases.duties.service import complete_duty

    with _refused(), session_for(open_database()) as session:
        complete_duty(session, duty_id, by, note, clock=SystemClock())
    console.print(f"Duty {duty_id} done.")


@duties_app.command("dismiss")
def duties_dismiss(duty_id: Annotated[int, typer.Argument()], by: By, reason: Reason) -> None:
    """Dismiss a duty that does not apply, with the reason."""
    from cases.duties.service import dismiss_duty

    with _refused(), session_for(open_database()) as session:
        dismiss_duty(session, duty_id, by, reason, clock=SystemClock())
    console.print(f"Duty {duty_id} dismissed.")


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

    day = _day(on)
    with _refused():
        done = asyncio.run(
            review_after_school(open_database(), school, day, SystemClock(), local_channels())
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

    with _refused(), session_for(open_database()) as session:
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

    with _refused(), session_for(open_database()) as session:
        pupil = _pupil(session, school, upn)
        Path(out).write_bytes(evidence_pack_pdf(session, id_of(pupil), _day(on), SystemClock()))
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

    with _refused(), session_for(open_database()) as session:
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

"""A pupil's case at the command line: show, open, move, support, proposals."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, Literal

import typer

from cli.casework import (
    By,
    MaybeSchool,
    Reason,
    open_case_of,
    pupil_by_upn,
    refused_by_law,
)
from cli.common import open_database
from cli.door import PlainHelpGroup
from cli.output import (
    Format,
    FormatOption,
    WideOption,
    print_json,
    print_result,
    stored,
    when_words,
)
from cli.parsing import parse_date, parse_person, parse_upn, school_named
from school.clock import SystemClock, school_today

case_app = typer.Typer(
    cls=PlainHelpGroup,
    help="A pupil's attendance case through the six stages.",
    no_args_is_help=True,
)


@case_app.command("show")
def show(
    upn: Annotated[str, typer.Argument(help="The pupil's UPN.")],
    school: MaybeSchool = None,
    format: FormatOption = Format.table,
    wide: WideOption = False,
) -> None:
    """The case: counts, proposals to decide, history, actions, support, legal actions, letters."""
    upn = parse_upn("UPN", upn)  # refused before anything is opened
    today = school_today(SystemClock())
    from cli.case_show import case_shown, print_case
    from school.database import session_for
    from school.statistics import attendance_statistics

    with refused_by_law(), session_for(open_database()) as session:
        pupil = pupil_by_upn(session, school, upn)
        case = open_case_of(session, pupil)
        figures = {f.upn: f for f in attendance_statistics(session, pupil.school_id, today)}
        shown = case_shown(session, pupil, case, figures.get(pupil.upn), today)
    if format is Format.json:
        print_json(shown)
    else:
        print_case(shown, wide)


@case_app.command("board")
def board(
    school: Annotated[str, typer.Option(help="The school's id.")],
    year: Annotated[int | None, typer.Option(help="Only this year group (0: Reception).")] = None,
    flag: Annotated[
        list[str] | None, typer.Option(help="send, fsm, social_worker or looked_after; repeat.")
    ] = None,
    band: Annotated[str | None, typer.Option(help="Only pupils in this band (policy id).")] = None,
    key_worker: Annotated[
        str | None, typer.Option(help='"Name, Position", or none for cases without one.')
    ] = None,
    format: FormatOption = Format.table,
    wide: WideOption = False,
) -> None:
    """Open cases by stage and the proposals waiting, as the web app's cases board."""
    today = school_today(SystemClock())
    from cases.board import STAGE_WORDS, BoardFilter, cases_board
    from cli.case_board import board_shown, print_board
    from school.database import session_for

    with refused_by_law(), session_for(open_database()) as session:
        loaded = school_named(session, school)
        wanted = BoardFilter.asked(loaded.policy.policy, year, flag or [], band, key_worker)
        shown = board_shown(loaded.id, cases_board(session, loaded, today, wanted), today)
    if format is Format.json:
        print_json(shown)
    else:
        print_board(shown, STAGE_WORDS, wide)


@case_app.command("open")
def open_(
    upn: Annotated[str, typer.Argument()],
    by: By,
    reason: Reason,
    school: MaybeSchool = None,
    format: FormatOption = Format.table,
) -> None:
    """Open a case for a pupil (one open case per pupil)."""
    upn = parse_upn("UPN", upn)  # refused before anything is opened
    from cases.service import open_case
    from school.database import id_of, session_for

    with refused_by_law(), session_for(open_database()) as session:
        case = open_case(
            session,
            id_of(pupil_by_upn(session, school, upn)),
            parse_person("--by", by),
            reason,
            SystemClock(),
        )
    print_result(format, f"Opened case {case.id} at {case.stage}.", {"case": stored(case)})


@case_app.command("move")
def move(
    upn: Annotated[str, typer.Argument()],
    to: Annotated[
        str, typer.Option(help="expect, monitor, listen, facilitate, formalise, enforce, closed")
    ],
    by: By,
    reason: Reason,
    school: MaybeSchool = None,
    format: FormatOption = Format.table,
) -> None:
    """Move the pupil's case to a stage; the law's guards refuse what it does not allow."""
    upn = parse_upn("UPN", upn)  # refused before anything is opened
    from cases.service import move_case
    from school.database import id_of, session_for

    with refused_by_law(), session_for(open_database()) as session:
        case = open_case_of(session, pupil_by_upn(session, school, upn))
        moved = move_case(session, id_of(case), to, parse_person("--by", by), reason, SystemClock())
    print_result(format, f"Case {moved.id} is now at {moved.stage}.", {"case": stored(moved)})


Status = Annotated[
    str, typer.Option(help="planned, offered, accepted, declined, in_place or ended")
]
OfferedOn = Annotated[
    str | None, typer.Option("--on", help="YYYY-MM-DD: the day it was offered (for offered).")
]


@case_app.command("support")
def support(
    upn: Annotated[str, typer.Argument()],
    kind: Annotated[str, typer.Option(help="e.g. support_plan, early_help, mentoring")],
    title: Annotated[str, typer.Option(help="What is planned or was offered.")],
    by: By,
    status: Status = "planned",
    on: OfferedOn = None,
    school: MaybeSchool = None,
    format: FormatOption = Format.table,
) -> None:
    """Record support for the family; only offered (or later) support satisfies the law."""
    upn = parse_upn("UPN", upn)  # refused before anything is opened
    from cases.support import record_support
    from cases.support_law import status_words
    from school.database import id_of, session_for

    with refused_by_law(), session_for(open_database()) as session:
        case = open_case_of(session, pupil_by_upn(session, school, upn))
        action = record_support(
            session,
            id_of(case),
            kind,
            title,
            parse_person("--by", by),
            SystemClock(),
            status=status,
            offered_on=parse_date("--on", on) if on else None,
        )
    line = f"Recorded support #{action.id} ({status_words(action)})."
    print_result(format, line, {"action": stored(action)})


@case_app.command("support-status")
def support_status(
    action_id: Annotated[int, typer.Argument(help="The support's number (attendance case show).")],
    status: Status,
    by: By,
    on: OfferedOn = None,
    format: FormatOption = Format.table,
) -> None:
    """Move support on: offered (--on, by --by), accepted, declined, in_place, ended."""
    from cases.support import move_support
    from cases.support_law import status_words
    from school.database import session_for

    with refused_by_law(), session_for(open_database()) as session:
        action = move_support(
            session,
            action_id,
            status,
            parse_person("--by", by),
            SystemClock(),
            parse_date("--on", on) if on else None,
        )
    line = f"Support #{action.id} ({action.title}): {status_words(action)}."
    print_result(format, line, {"action": stored(action)})


@case_app.command("action")
def action_outcome(
    action_id: Annotated[int, typer.Argument(help="The action's number (attendance case show).")],
    status: Annotated[str, typer.Option(help="done, attended, not_attended, declined, cancelled")],
    by: By,
    note: Annotated[str | None, typer.Option(help="What happened.")] = None,
    format: FormatOption = Format.table,
) -> None:
    """Record what happened to a letter, meeting, plan or referral."""
    from cases.support import record_action_outcome
    from school.database import session_for

    with refused_by_law(), session_for(open_database()) as session:
        action = record_action_outcome(
            session, action_id, status, parse_person("--by", by), SystemClock(), note
        )
    line = f"Action {action.id} ({action.title}): {action.status}."
    print_result(format, line, {"action": stored(action)})


@case_app.command("carer")
def carer(
    upn: Annotated[str, typer.Argument()],
    name: Annotated[str, typer.Option(help="Full name of the person with day-to-day care.")],
    by: By,
    reason: Reason,
    school: MaybeSchool = None,
    format: FormatOption = Format.table,
) -> None:
    """Record a person with day-to-day care of the pupil, who may then be named on a notice."""
    upn = parse_upn("UPN", upn)  # refused before anything is opened
    from cases.legal.parents import record_carer
    from school.database import id_of, session_for

    with refused_by_law(), session_for(open_database()) as session:
        pupil = pupil_by_upn(session, school, upn)
        recorded = record_carer(
            session, id_of(pupil), name, str(parse_person("--by", by)), reason, SystemClock()
        )
    line = f"Recorded {recorded.name} as a carer of {upn} (carer {recorded.id})."
    print_result(format, line, {"carer": stored(recorded)})


def _record_on_the_case(
    upn: str,
    school: str | None,
    by: str,
    format: Format,
    record: Callable[..., Any],
    line: Callable[[Any], str],
) -> None:
    """One record on the pupil's open case: `record(session, case_id, by, clock)` is the
    service, `line` what the table format says of the case it returns."""
    upn = parse_upn("UPN", upn)  # refused before anything is opened
    person = parse_person("--by", by)
    from school.database import id_of, session_for

    with refused_by_law(), session_for(open_database()) as session:
        case = open_case_of(session, pupil_by_upn(session, school, upn))
        case = record(session, id_of(case), person, SystemClock())
    print_result(format, line(case), {"case": stored(case)})


@case_app.command("key-worker")
def key_worker(
    upn: Annotated[str, typer.Argument()],
    name: Annotated[str, typer.Option(help='"Name, Position" of who holds the case.')],
    by: By,
    school: MaybeSchool = None,
    format: FormatOption = Format.table,
) -> None:
    """Name the member of staff who holds the pupil's case (its key worker)."""
    from cases.key_worker import record_key_worker

    _record_on_the_case(
        upn,
        school,
        by,
        format,
        lambda session, case_id, person, clock: record_key_worker(
            session, case_id, name, person, clock
        ),
        lambda case: f"Case {case.id}'s key worker is {case.key_worker}.",
    )


@case_app.command("no-support")
def no_support(
    upn: Annotated[str, typer.Argument()],
    by: By,
    reason: Reason,
    school: MaybeSchool = None,
    format: FormatOption = Format.table,
) -> None:
    """Record why support is not appropriate (e.g. an unauthorised term-time holiday)."""
    from cases.support import record_support_not_appropriate

    _record_on_the_case(
        upn,
        school,
        by,
        format,
        lambda session, case_id, person, clock: record_support_not_appropriate(
            session, case_id, reason, person, clock
        ),
        lambda case: f"Recorded on case {case.id}: support is not appropriate ({reason}).",
    )


@case_app.command("send-considered")
def send_considered(
    upn: Annotated[str, typer.Argument()],
    by: By,
    note: Reason,
    school: MaybeSchool = None,
    format: FormatOption = Format.table,
) -> None:
    """Record that barriers linked to special educational needs were considered."""
    from cases.support import record_send_barriers_considered

    _record_on_the_case(
        upn,
        school,
        by,
        format,
        lambda session, case_id, person, clock: record_send_barriers_considered(
            session, case_id, person, note, clock
        ),
        lambda case: f"Recorded on case {case.id}: barriers linked to SEND were considered.",
    )


@case_app.command("decide")
def decide(
    proposal_id: Annotated[int, typer.Argument()],
    decision: Annotated[Literal["confirm", "skip", "override"], typer.Option()],
    by: By,
    reason: Annotated[str | None, typer.Option(help="Needed to skip or override.")] = None,
    to: Annotated[str | None, typer.Option(help="override: the stage you chose instead")] = None,
    format: FormatOption = Format.table,
) -> None:
    """Confirm, skip or override a proposal from the daily review."""
    from cases.models import CaseProposal
    from cases.proposals import decide_proposal
    from school.database import session_for

    with refused_by_law(), session_for(open_database()) as session:
        earlier = session.get(CaseProposal, proposal_id)
        was = earlier.status if earlier is not None else None
        proposal = decide_proposal(
            session,
            proposal_id,
            decision,
            parse_person("--by", by),
            reason,
            SystemClock(),
            to_stage=to,
        )
    changed = not was == proposal.status == "confirmed"
    if changed:
        line = f"Proposal {proposal.id}: {proposal.status} ({proposal.summary})."
    else:
        when = when_words(proposal.decided_at)
        line = (
            f"Proposal {proposal.id} was already confirmed by {proposal.decided_by}"
            + (f" on {when}" if when else "")
            + ": nothing changed."
        )
    print_result(format, line, {"proposal": stored(proposal), "changed": changed})


@case_app.command("confirm")
def confirm(
    proposal_id: Annotated[int, typer.Argument()],
    by: By,
    reason: Annotated[
        str | None, typer.Option(help="Optional: the proposal's summary is used.")
    ] = None,
    format: FormatOption = Format.table,
) -> None:
    """Confirm a proposal from the daily review (the law's guards still apply)."""
    decide(proposal_id, "confirm", by, reason, None, format)


@case_app.command("skip")
def skip(
    proposal_id: Annotated[int, typer.Argument()],
    by: By,
    reason: Reason,
    format: FormatOption = Format.table,
) -> None:
    """Skip a proposal, with the reason."""
    decide(proposal_id, "skip", by, reason, None, format)


@case_app.command("override")
def override(
    proposal_id: Annotated[int, typer.Argument()],
    by: By,
    reason: Reason,
    to: Annotated[str | None, typer.Option(help="The stage you chose instead.")] = None,
    format: FormatOption = Format.table,
) -> None:
    """Override a proposal with your own decision (and stage), with the reason."""
    decide(proposal_id, "override", by, reason, to, format)

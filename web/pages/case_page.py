"""The case page: timeline, plan, support, meetings, letters, and the CLI's moves on a case."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from sqlmodel import Session
from starlette.responses import Response

from cases.board import STAGE_WORDS, pupil_flags
from cases.key_worker import record_key_worker
from cases.models import AttendanceCase, CaseAction
from cases.service import move_case
from cases.support import (
    move_support,
    record_action_outcome,
    record_send_barriers_considered,
    record_support,
    record_support_not_appropriate,
)
from cases.support_law import SUPPORT_STATUSES, status_words
from school.accounts import accounts, audit, signature
from school.amender import Amender
from school.clock import Clock
from school.database import id_of
from school.models import Pupil
from school.schools import load_school
from school.statistics import statistics_for
from web.pages.case_view import OUTCOMES, case_page
from web.pages.casework import acting, attempt, back, case_school, figures_day
from web.roles import CASES, allowed
from web.staff import Refused, RowId, Staff, context_of, open_session, render
from web.staff import staff_member as member

router = APIRouter()
StaffMember = Annotated[Staff, Depends(member)]
Reason = Annotated[str, Form(max_length=2000)]
MOVE = "/cases/{case_id}/move"


@router.get("/cases/{case_id}")
def case(
    request: Request,
    staff: StaffMember,
    case_id: RowId,
    said: str | None = None,
    refused: str | None = None,
) -> Response:
    """One case as `attendance case show` has it, with the forms that move it on."""
    school_id = case_school(request, staff, case_id)
    with open_session(request) as session:
        loaded = load_school(session, school_id)
        found = session.get(AttendanceCase, case_id)
        pupil = session.get(Pupil, found.pupil_id) if found else None
        if found is None or pupil is None:
            raise Refused(404, f"There is no case {case_id} for your schools.")
        counted = statistics_for(session, loaded, figures_day(request), [id_of(pupil)])
        figures = counted[0] if counted else None
        shown = case_page(session, found, pupil, figures)
        staff_names = [
            signature(a)
            for a in accounts(session)
            if school_id in (a.schools or []) and a.role in CASES and not a.disabled
        ]
    return render(
        request,
        "case.html",
        staff,
        school=loaded,
        page_of=shown,
        flags=pupil_flags(shown.pupil),
        stages=STAGE_WORDS,
        support_statuses=SUPPORT_STATUSES,
        outcomes=OUTCOMES,
        here=f"/cases/{case_id}",
        said=said,
        refused=refused,
        may_act=allowed("POST", MOVE, staff.role),
        today=figures_day(request),
        staff_names=staff_names,
    )


def _day(text: str, what: str) -> dt.date | None:
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{what} must be a date, YYYY-MM-DD") from None


@router.post(MOVE)
def move(
    request: Request,
    staff: StaffMember,
    case_id: RowId,
    to: Annotated[str, Form(max_length=12)],
    reason: Reason = "",
    version: Annotated[int | None, Form()] = None,
) -> Response:
    """Move the case: the same service as `attendance case move`; the guards decide."""
    ctx = context_of(request)
    school_id = case_school(request, staff, case_id)

    def change(session: Session) -> AttendanceCase:
        audit(session, staff.name, "case_moved", ctx.clock, school_id, case=case_id, to=to)
        return move_case(
            session, case_id, to, acting(staff), reason, ctx.clock, expected_version=version
        )

    def said(moved: AttendanceCase) -> str:
        return f"Case {case_id} is now at {STAGE_WORDS.get(moved.stage, moved.stage)}."

    return attempt(request, f"/cases/{case_id}", change, said)


@router.post("/cases/{case_id}/support")
def add_support(
    request: Request,
    staff: StaffMember,
    case_id: RowId,
    kind: Annotated[str, Form(max_length=40)],
    title: Annotated[str, Form(max_length=300)],
    status: Annotated[str, Form(max_length=12)] = "planned",
    on: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    """Record support for the family: the same service as `attendance case support`."""
    ctx = context_of(request)
    school_id = case_school(request, staff, case_id)
    here = f"/cases/{case_id}"
    kind_id = "_".join(kind.lower().split())
    if not kind_id or not title.strip():
        return back(here, refused="Say what kind of support it is and what is planned.")

    def change(session: Session) -> CaseAction:
        audit(session, staff.name, "support_recorded", ctx.clock, school_id, case=case_id)
        return record_support(
            session,
            case_id,
            kind_id,
            title.strip(),
            acting(staff),
            ctx.clock,
            status=status,
            offered_on=_day(on, "The day it was offered"),
        )

    def said(action: CaseAction) -> str:
        return f"Recorded support #{action.id} ({status_words(action)})."

    return attempt(request, here, change, said)


@router.post("/cases/{case_id}/key-worker")
def key_worker(
    request: Request,
    staff: StaffMember,
    case_id: RowId,
    worker: Annotated[str, Form(max_length=200)],
) -> Response:
    """Name who holds the case: the same service as `attendance case key-worker`."""
    ctx = context_of(request)
    school_id = case_school(request, staff, case_id)

    def change(session: Session) -> AttendanceCase:
        audit(session, staff.name, "key_worker", ctx.clock, school_id, case=case_id)
        return record_key_worker(session, case_id, worker, acting(staff), ctx.clock)

    def said(named: AttendanceCase) -> str:
        return f"Case {case_id}'s key worker is {named.key_worker}."

    return attempt(request, f"/cases/{case_id}", change, said)


def _gate_record(
    request: Request,
    staff: Staff,
    case_id: RowId,
    record: Callable[[Session, int, Amender, Clock], AttendanceCase],
    words: str,
) -> Response:
    """One of the two records the law's gates before Formalise and Enforce read (spec §5,
    seed 004 §5.2), made through its service with the reason given."""
    ctx = context_of(request)
    school_id = case_school(request, staff, case_id)

    def change(session: Session) -> AttendanceCase:
        audit(session, staff.name, "case_record", ctx.clock, school_id, case=case_id, what=words)
        return record(session, case_id, acting(staff), ctx.clock)

    return attempt(request, f"/cases/{case_id}", change, lambda _: f"Recorded: {words}.")


@router.post("/cases/{case_id}/no-support")
def no_support(
    request: Request, staff: StaffMember, case_id: RowId, reason: Reason = ""
) -> Response:
    """Why support is not appropriate: the same service as `attendance case no-support`."""

    def record(session: Session, case: int, by: Amender, clock: Clock) -> AttendanceCase:
        return record_support_not_appropriate(session, case, reason, by, clock)

    return _gate_record(request, staff, case_id, record, "support is not appropriate")


@router.post("/cases/{case_id}/send-considered")
def send_considered(
    request: Request, staff: StaffMember, case_id: RowId, reason: Reason = ""
) -> Response:
    """SEND-related barriers considered: the same service as `attendance case send-considered`."""

    def record(session: Session, case: int, by: Amender, clock: Clock) -> AttendanceCase:
        return record_send_barriers_considered(session, case, by, reason, clock)

    return _gate_record(request, staff, case_id, record, "barriers linked to SEND were considered")


def _action_case(request: Request, staff: Staff, action_id: int, support: bool) -> tuple[int, str]:
    """The case of an action the account covers; any other (or none) is the same 404."""
    with open_session(request) as session:
        action = session.get(CaseAction, action_id)
    what = "support item" if support else "case action"
    if action is None or (support and not action.is_support):
        raise Refused(404, f"There is no {what} {action_id} for your schools.")
    return action.case_id, case_school(request, staff, action.case_id)


@router.post("/support/{action_id}/status")
def support_status(
    request: Request,
    staff: StaffMember,
    action_id: RowId,
    status: Annotated[str, Form(max_length=12)],
    on: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    """Move support on: the same service as `attendance case support-status`."""
    ctx = context_of(request)
    case_id, school_id = _action_case(request, staff, action_id, support=True)

    def change(session: Session) -> CaseAction:
        audit(
            session,
            staff.name,
            "support_status",
            ctx.clock,
            school_id,
            case_action=action_id,
            status=status,
        )
        return move_support(
            session, action_id, status, acting(staff), ctx.clock, _day(on, "The day offered")
        )

    def said(action: CaseAction) -> str:
        return f"Support #{action_id} ({action.title}): {status_words(action)}."

    return attempt(request, f"/cases/{case_id}", change, said)


@router.post("/actions/{action_id}/outcome")
def action_outcome(
    request: Request,
    staff: StaffMember,
    action_id: RowId,
    status: Annotated[str, Form(max_length=16)],
    note: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    """What happened to a letter, meeting or plan: the same service as `attendance case
    action`."""
    ctx = context_of(request)
    case_id, school_id = _action_case(request, staff, action_id, support=False)

    def change(session: Session) -> CaseAction:
        audit(
            session,
            staff.name,
            "action_outcome",
            ctx.clock,
            school_id,
            case_action=action_id,
            status=status,
        )
        return record_action_outcome(
            session, action_id, status, acting(staff), ctx.clock, note.strip() or None
        )

    def said(action: CaseAction) -> str:
        return f"Action {id_of(action)} ({action.title}): {action.status.replace('_', ' ')}."

    return attempt(request, f"/cases/{case_id}", change, said)

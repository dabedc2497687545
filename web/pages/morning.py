"""The morning board (office): today's checks, replies to confirm, the call list, registers."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from starlette.responses import RedirectResponse, Response

from chase.code_confirmation import confirm_suggested_code
from chase.models import StaffTask
from chase.responses import TASK_OUTCOMES, record_task_outcome
from school.accounts import audit
from school.schools import load_school
from web.pages.morning_view import morning_board
from web.staff import (
    Refused,
    RowId,
    Staff,
    back_to,
    context_of,
    day_asked,
    open_session,
    render,
    school_of,
)
from web.staff import staff_member as member

router = APIRouter()
StaffMember = Annotated[Staff, Depends(member)]

# The buttons on a call task, in the order a caller reaches for them.
OUTCOME_WORDS = {
    "answered_explained": "Answered: reason given",
    "answered_reason_to_follow": "Answered: safe, reason to follow",
    "no_answer": "No answer",
    "voicemail_left": "Left a message",
    "wrong_number": "Wrong number",
    "visited_child_seen": "Visited: child seen",
    "visited_nobody_home": "Visited: nobody home",
    "done": "Done",
}
assert set(OUTCOME_WORDS) == set(TASK_OUTCOMES), "a task outcome without a button"
_VISIT_OUTCOMES = ("visited_child_seen", "visited_nobody_home", "done")


def outcomes_for(kind: str) -> tuple[str, ...]:
    """The buttons a task shows: a visit's outcomes for a visit, a call's for the rest."""
    if kind == "home_visit":
        return _VISIT_OUTCOMES
    return tuple(o for o in OUTCOME_WORDS if o not in _VISIT_OUTCOMES[:2])


@router.get("/morning")
def morning(
    request: Request,
    staff: StaffMember,
    school: str | None = None,
    said: str | None = None,
    date: str | None = None,
) -> Response:
    """Today's board, or another day's (`?date=`; `attendance web --day` sets the default)."""
    ctx = context_of(request)
    school_id = school_of(staff, school)
    day = day_asked(request, date)
    with open_session(request) as session:
        loaded = load_school(session, school_id)
        now = ctx.clock.now()
        board = morning_board(session, school_id, day, now)
    return render(
        request,
        "morning.html",
        staff,
        school=loaded,
        board=board,
        said=said,
        outcomes=OUTCOME_WORDS,
        outcomes_for=outcomes_for,
        poll=ctx.settings.poll_seconds,
    )


@router.post("/tasks/{task_id}/outcome")
def task_outcome(
    request: Request,
    staff: StaffMember,
    task_id: RowId,
    outcome: Annotated[str, Form(max_length=40)],
    note: Annotated[str, Form(max_length=2000)] = "",
    day: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    """One click on a task's outcome: the same service as `attendance task done`."""
    ctx = context_of(request)
    if outcome not in TASK_OUTCOMES:
        raise Refused(400, "That is not an outcome a task can have.")
    with open_session(request) as session:
        task = session.get(StaffTask, task_id)
        if task is None or task.school_id not in staff.schools:
            raise Refused(404, f"There is no task {task_id} for your schools.")
        school_id = task.school_id
        # Audited in the service's own transaction: both are kept, or neither.
        audit(
            session,
            staff.name,
            "task_outcome",
            ctx.clock,
            school_id,
            task=task_id,
            outcome=outcome,
            note=note.strip(),
        )
        record_task_outcome(
            session, task_id, outcome, staff.signature, ctx.clock, note=note.strip() or None
        )
    said = f"Task {task_id}: {OUTCOME_WORDS[outcome].lower()} recorded."
    return RedirectResponse(back_to("/morning", school_id, said, day), status_code=303)


@router.post("/checks/{check_id}/confirm-code")
def confirm_code(
    request: Request,
    staff: StaffMember,
    check_id: RowId,
    code: Annotated[str, Form(max_length=2)],
    school: Annotated[str, Form(max_length=64)],
    day: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    """Confirm the suggested code: the same service as `attendance confirm-code`."""
    ctx = context_of(request)
    school_id = school_of(staff, school)
    with open_session(request) as session:
        audit(
            session, staff.name, "code_confirmed", ctx.clock, school_id, check=check_id, code=code
        )
        try:
            note = confirm_suggested_code(
                session, check_id, code, staff.amender, ctx.clock, school_ids=[school_id]
            )
        except LookupError as exc:
            raise Refused(404, str(exc)) from None
        except ValueError as exc:
            raise Refused(409, str(exc)) from None
    said = f"Welfare check {check_id}: {note.text}."
    return RedirectResponse(back_to("/morning", school_id, said, day), status_code=303)

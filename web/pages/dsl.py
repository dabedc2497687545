"""The DSL inbox: alerts newest first, as raised and since; acknowledge, record what was done."""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from starlette.responses import RedirectResponse, Response

from chase.alert_actions import ACTIONS, on_alert_day, record_alert_action
from chase.alerts import alert_views
from chase.models import DslAlert
from chase.responses import acknowledge_alert
from school.accounts import audit
from school.database import id_of
from school.schools import load_school
from web.staff import Refused, RowId, Staff, back_to, context_of, open_session, render, school_of
from web.staff import staff_member as member

router = APIRouter()
StaffMember = Annotated[Staff, Depends(member)]

_CLOCK = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


@router.get("/dsl")
def inbox(
    request: Request, staff: StaffMember, school: str | None = None, said: str | None = None
) -> Response:
    school_id = school_of(staff, school)
    with open_session(request) as session:
        loaded = load_school(session, school_id)
        views = alert_views(session, school_id, acknowledged=True)
        views.sort(key=lambda v: (v.alert.raised_at, id_of(v.alert)), reverse=True)
    waiting = sum(1 for v in views if v.alert.acknowledged_at is None)
    return render(
        request,
        "dsl.html",
        staff,
        school=loaded,
        views=views,
        said=said,
        waiting=waiting,
        actions=ACTIONS,
    )


def _alert_for(request: Request, staff: Staff, alert_id: int) -> str:
    with open_session(request) as session:
        alert = session.get(DslAlert, alert_id)
    if alert is None or alert.school_id not in staff.schools:
        raise Refused(404, f"There is no alert {alert_id} for your schools.")
    return alert.school_id


def _acknowledge(request: Request, staff: Staff, alert_id: int, note: str, action: str) -> str:
    """The same service as `attendance alert ack`: the first stands, later ones add notes."""
    ctx = context_of(request)
    school_id = _alert_for(request, staff, alert_id)
    with open_session(request) as session:
        audit(session, staff.name, action, ctx.clock, school_id, alert=alert_id, note=note)
        acknowledge_alert(session, alert_id, staff.signature, note, ctx.clock)
    return school_id


@router.post("/alerts/{alert_id}/ack")
def acknowledge(
    request: Request,
    staff: StaffMember,
    alert_id: RowId,
    note: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    if not note.strip():
        raise Refused(400, "Say what you have done or decided: the note is the record.")
    school_id = _acknowledge(request, staff, alert_id, note.strip(), "alert_acknowledged")
    said = f"Alert {alert_id} acknowledged."
    return RedirectResponse(back_to("/dsl", school_id, said), status_code=303)


@router.post("/alerts/{alert_id}/action")
def record_action(
    request: Request,
    staff: StaffMember,
    alert_id: RowId,
    action: Annotated[str, Form(max_length=20)],
    at: Annotated[str, Form(max_length=5)],
    details: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    """What was done and when (police, social care, a home visit): the same service as
    `attendance alert action`, stored as its own row."""
    if action not in ACTIONS:
        raise Refused(400, "Choose what was done from the list.")
    if not _CLOCK.match(at):
        raise Refused(400, "Give the time it was done as HH:MM, e.g. 10:40.")
    ctx = context_of(request)
    school_id = _alert_for(request, staff, alert_id)
    with open_session(request) as session:
        alert = session.get(DslAlert, alert_id)
        assert alert is not None  # _alert_for found it
        done_at = on_alert_day(alert, dt.time.fromisoformat(at))
        audit(
            session,
            staff.name,
            "alert_action",
            ctx.clock,
            school_id,
            alert=alert_id,
            what=action,
            at=at,
        )
        try:
            record_alert_action(
                session, alert_id, action, done_at, staff.signature, ctx.clock, details
            )
        except ValueError as exc:
            raise Refused(400, f"{exc}.") from None
    said = f"Alert {alert_id}: {ACTIONS[action].lower()} at {at} recorded."
    return RedirectResponse(back_to("/dsl", school_id, said), status_code=303)

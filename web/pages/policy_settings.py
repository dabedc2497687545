"""Settings (admin): each school's policy as stored, read-only with its version; accounts."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from sqlalchemy import select
from sqlmodel import col
from starlette.responses import Response

from school.models import School
from web.pages.settings_view import policy_sections
from web.staff import Refused, Staff, open_session, render
from web.staff import staff_member as member

router = APIRouter()
StaffMember = Annotated[Staff, Depends(member)]


@router.get("/settings")
def settings(request: Request, staff: StaffMember, school: str | None = None) -> Response:
    """An administrator whose account names no school looks after every school here."""
    with open_session(request) as session:
        query = select(School).order_by(col(School.name))
        if staff.schools:
            query = query.where(col(School.id).in_(staff.schools))
        schools = list(session.scalars(query))
    if not schools:
        raise Refused(404, "No school has been set up yet: run `attendance init` first.")
    shown = next((s for s in schools if s.id == school), None)
    if school and shown is None:
        raise Refused(404, f"There is no school {school[:64]} among yours.")
    shown = shown or schools[0]
    return render(
        request,
        "settings.html",
        staff,
        schools=schools,
        shown=shown,
        sections=policy_sections(shown.policy_text),
    )

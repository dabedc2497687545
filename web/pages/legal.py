"""Legal actions: Notices to Improve and penalty notices, and the legal decisions due."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from cases.legal.agenda import legal_decisions_due
from cases.legal.kept_refusals import legal_refusals
from cases.legal.register import KIND_WORDS, legal_entries
from school.clock import school_today
from school.schools import load_school
from web.staff import Staff, context_of, open_session, render, school_of
from web.staff import staff_member as member

router = APIRouter()
StaffMember = Annotated[Staff, Depends(member)]


@router.get("/legal")
def legal(request: Request, staff: StaffMember, school: str | None = None) -> Response:
    """Every legal action on file and the decisions due today (`attendance legal due`)."""
    ctx = context_of(request)
    school_id = school_of(staff, school)
    day = ctx.settings.board_day or school_today(ctx.clock)
    with open_session(request) as session:
        loaded = load_school(session, school_id)
        entries = legal_entries(session, school_id)
        due = legal_decisions_due(session, loaded, day)
        refusals = legal_refusals(session, school_id)
    return render(
        request,
        "legal.html",
        staff,
        school=loaded,
        entries=entries,
        due=due,
        refusals=refusals,
        kinds=KIND_WORDS,
        day=day,
        page="legal",
    )

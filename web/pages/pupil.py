"""The pupil page and a pupil's stored letters (HTML as stored, and the PDF to print)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from sqlalchemy import select
from sqlmodel import col
from starlette.responses import Response

from cases.legal.register import KIND_WORDS
from cases.letters.service import stored_letter_pdf
from cases.models import StoredLetter
from school.clock import school_today
from school.models import Pupil
from school.pupil_search import MOST, find_pupils
from school.schools import load_school
from school.upn import upn_problem
from web.pages.pupil_view import pupil_page
from web.roles import allowed
from web.staff import Refused, RowId, Staff, context_of, open_session, render, school_of
from web.staff import staff_member as member

router = APIRouter()
StaffMember = Annotated[Staff, Depends(member)]

# A stored letter is served exactly as stored, in a sandbox: no script, no form, nothing
# loaded from anywhere (letters are plain HTML that the PDF renderer can also draw).
LETTER_POLICY = "default-src 'none'; img-src data:; sandbox; frame-ancestors 'none'"


@router.get("/pupils")
def pupils(
    request: Request,
    staff: StaffMember,
    school: str | None = None,
    q: str = "",
) -> Response:
    """Find a pupil by name or UPN: a parent on the phone gives a name, not a UPN."""
    q = q[:100]  # no name is longer; a longer paste is cut, not refused with a 422
    school_id = school_of(staff, school)
    with open_session(request) as session:
        loaded = load_school(session, school_id)
        found = find_pupils(session, school_id, q)
    return render(
        request, "pupils.html", staff, school=loaded, q=q, found=found[:MOST],
        more=len(found) > MOST, page="pupils",
    )  # fmt: skip


@router.get("/pupils/{upn}")
def pupil(request: Request, staff: StaffMember, upn: str, school: str | None = None) -> Response:
    ctx = context_of(request)
    school_id = school_of(staff, school)
    problem = upn_problem(upn)
    if problem:
        raise Refused(404, f"There is no such pupil: {problem[:160]}.")
    with open_session(request) as session:
        loaded = load_school(session, school_id)
        found = session.scalars(
            select(Pupil).where(col(Pupil.school_id) == school_id, col(Pupil.upn) == upn)
        ).first()
        if found is None:
            raise Refused(404, f"There is no pupil {upn} at {loaded.name}.")
        day = ctx.settings.board_day or school_today(ctx.clock)
        # A pupil's notices are shown to whoever may open the legal actions page, no wider.
        legal = allowed("GET", "/legal", staff.role)
        page = pupil_page(session, loaded, found, day, legal)
    return render(
        request, "pupil.html", staff, school=loaded, view=page, kinds=KIND_WORDS, page="pupil"
    )


def _letter(request: Request, staff: Staff, letter_id: int) -> StoredLetter:
    with open_session(request) as session:
        letter = session.get(StoredLetter, letter_id)
        if letter is None or letter.school_id not in staff.schools:
            raise Refused(404, f"There is no letter {letter_id} for your schools.")
        session.expunge(letter)
    return letter


# Declared before /letters/{letter_id}, whose {letter_id} would otherwise take "7.pdf".
@router.get("/letters/{letter_id}.pdf")
def letter_pdf(request: Request, staff: StaffMember, letter_id: RowId) -> Response:
    """The printable letter, drawn from the stored HTML as `letters render --out x.pdf` does."""
    letter = _letter(request, staff, letter_id)
    with open_session(request) as session:
        body = stored_letter_pdf(session, letter)
    name = f"letter-{letter_id}.pdf"
    return Response(
        body,
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.get("/letters/{letter_id}")
def letter_html(request: Request, staff: StaffMember, letter_id: RowId) -> Response:
    """The letter as decided and stored: never rendered again with newer figures."""
    letter = _letter(request, staff, letter_id)
    return Response(
        letter.html,
        media_type="text/html; charset=utf-8",
        headers={"Content-Security-Policy": LETTER_POLICY},
    )

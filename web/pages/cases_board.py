"""The cases board (pastoral): open cases by stage, filters, and the review's proposals."""

from __future__ import annotations

from typing import Annotated, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Query, Request
from sqlmodel import Session
from starlette.responses import Response

from cases.board import (
    FLAGS,
    NO_KEY_WORKER,
    STAGE_WORDS,
    BoardFilter,
    cases_board,
)
from cases.models import AttendanceCase, CaseProposal
from cases.proposals import decide_proposal
from school.accounts import audit
from school.schools import load_school
from web.pages.casework import acting, attempt, back, figures_day
from web.roles import allowed
from web.staff import Refused, RowId, Staff, context_of, open_session, render, school_of
from web.staff import staff_member as member

router = APIRouter()
StaffMember = Annotated[Staff, Depends(member)]
DECIDE = "/proposals/{proposal_id}/decide"
DECISION_WORDS = {"confirm": "confirmed", "skip": "skipped", "override": "overridden"}


def _here(request: Request) -> str:
    """This board's link with its filters, without the last change's message."""
    kept = [(k, v) for k, v in request.query_params.multi_items() if k not in ("said", "refused")]
    return "/cases" + (f"?{urlencode(kept)}" if kept else "")


@router.get("/cases")
def board(
    request: Request,
    staff: StaffMember,
    school: str | None = None,
    year: str | None = None,
    band: str | None = None,
    key_worker: Annotated[str | None, Query(max_length=200)] = None,
    flag: Annotated[list[str] | None, Query()] = None,
    said: str | None = None,
    refused: str | None = None,
) -> Response:
    """Open cases in columns by stage; `?year=9&flag=send&band=...&key_worker=...` narrows
    them (a key worker not on any case shows none, as a filter should)."""
    school_id = school_of(staff, school)
    with open_session(request) as session:
        loaded = load_school(session, school_id)
        try:
            wanted = BoardFilter.asked(loaded.policy.policy, year, flag or [], band, key_worker)
        except ValueError as exc:
            raise Refused(400, f"{str(exc)[0].upper()}{str(exc)[1:]}.") from None
        shown = cases_board(session, loaded, figures_day(request), wanted)
    return render(
        request,
        "cases.html",
        staff,
        school=loaded,
        board=shown,
        wanted=wanted,
        flags=FLAGS,
        stages=STAGE_WORDS,
        here=_here(request),
        said=said,
        refused=refused,
        may_decide=allowed("POST", DECIDE, staff.role),
        no_key_worker=NO_KEY_WORKER,
    )


@router.post(DECIDE)
def decide(
    request: Request,
    staff: StaffMember,
    proposal_id: RowId,
    decision: Annotated[Literal["confirm", "skip", "override"], Form()],
    reason: Annotated[str, Form(max_length=2000)] = "",
    to: Annotated[str, Form(max_length=12)] = "",
    back_to: Annotated[str, Form(max_length=300)] = "/cases",
) -> Response:
    """Confirm, skip or override with the reason: the same service as `attendance case
    decide`, the person taken from the session."""
    ctx = context_of(request)
    with open_session(request) as session:
        proposal = session.get(CaseProposal, proposal_id)
        case = session.get(AttendanceCase, proposal.case_id) if proposal is not None else None
    if case is None or case.school_id not in staff.schools:
        raise Refused(404, f"There is no proposal {proposal_id} for your schools.")
    school_id = case.school_id
    if not reason.strip():
        return back(back_to, refused=f"Proposal {proposal_id}: say why you {decision} it.")

    def change(session: Session) -> CaseProposal:
        audit(
            session,
            staff.name,
            "proposal_decided",
            ctx.clock,
            school_id,
            proposal=proposal_id,
            decision=decision,
            reason=reason.strip(),
            to=to or None,
        )
        return decide_proposal(
            session,
            proposal_id,
            decision,
            acting(staff),
            reason.strip(),
            ctx.clock,
            to_stage=to or None,
        )

    def said(done: CaseProposal) -> str:
        return f"Proposal {proposal_id} {DECISION_WORDS[decision]}: {done.summary}."

    return attempt(request, back_to, change, said)

"""What the cases board and the case page share: who acts, finding a case, and going back."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from typing import TypeVar
from urllib.parse import quote

from fastapi import Request
from sqlmodel import Session
from starlette.responses import RedirectResponse

from cases.legal.proposals import is_legal_decision
from cases.models import AttendanceCase
from school.amender import Amender
from school.clock import school_today
from state_machines.attendance_case import CaseRefused
from web.staff import TEMPLATES, Refused, Staff, context_of, open_session

T = TypeVar("T")
# Where a form may send the browser back to: the board (with its filters) or a case page.
_BACK = re.compile(r"^/cases(/\d+)?(\?[A-Za-z0-9_=&%+.\-]*)?$")


def acting(staff: Staff) -> Amender:
    """The person deciding, as the case history records them: their name and position."""
    return Amender(staff.name, staff.account.position)


# A legal proposal is decided by acting on it, never by confirming (cases/proposals.py): the
# forms offer skip and override only.
TEMPLATES.env.globals["legal_decision"] = is_legal_decision


def figures_day(request: Request) -> date:
    """The day the pages count attendance to: today, or the demo's day (`attendance web
    --day`), as the morning board does."""
    ctx = context_of(request)
    return ctx.settings.board_day or school_today(ctx.clock)


def case_school(request: Request, staff: Staff, case_id: int) -> str:
    """The school of a case the account covers; any other (or none) is the same 404."""
    with open_session(request) as session:
        case = session.get(AttendanceCase, case_id)
    if case is None or case.school_id not in staff.schools:
        raise Refused(404, f"There is no case {case_id} for your schools.")
    return case.school_id


def back(where: str, said: str = "", refused: str = "") -> RedirectResponse:
    """The page the form came from again, saying what was done or the rule that refused it."""
    path = where if _BACK.match(where) else "/cases"
    joiner = "&" if "?" in path else "?"
    word, text = ("refused", refused) if refused else ("said", said)
    return RedirectResponse(f"{path}{joiner}{word}={quote(text)}", status_code=303)


def attempt(
    request: Request, where: str, change: Callable[[Session], T], said: Callable[[T], str]
) -> RedirectResponse:
    """Make one change through its service, in its own transaction, and go back to the page.

    A refusal by the law or a guard is shown on the page in the rule's own words (a 303
    back, so a plain form and htmx both land on the page); a wrong id is a 404.
    """
    try:
        with open_session(request) as session:
            done = change(session)
    except LookupError as exc:
        raise Refused(404, f"Not found: {exc}.") from None
    except (CaseRefused, ValueError) as exc:
        return back(where, refused=str(exc))
    return back(where, said=said(done))

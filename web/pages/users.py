"""Accounts (admin): who can log in, their roles and schools, and the latest audit entries."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from school.accounts import ROLES, accounts, audit_entries
from web.staff import Staff, open_session, render, staff_member

router = APIRouter()


@router.get("/users")
def users(request: Request, staff: Annotated[Staff, Depends(staff_member)]) -> Response:
    with open_session(request) as session:
        shown = accounts(session)
        entries = audit_entries(session, limit=30)
    return render(request, "users.html", staff, accounts=shown, entries=entries, roles=ROLES)

"""Logging in and out: rate-limited, locked after repeated failures, every attempt audited."""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from starlette.responses import RedirectResponse, Response

from school.accounts import audit, log_in
from web.roles import HOME
from web.security import LOGIN_COOKIE, SESSION_COOKIE, set_cookie
from web.staff import Staff, context_of, open_session, render, staff_member

router = APIRouter()


def _safe_next(target: str | None) -> str:
    # Only a path of this site: never //elsewhere or https://elsewhere (an open redirect).
    if target and target.startswith("/") and not target.startswith("//"):
        return target
    return "/"


def _login_page(request: Request, status: int, error: str | None, next_: str) -> Response:
    nonce = secrets.token_urlsafe(16)
    token = context_of(request).signer.login_token(nonce)
    response = render(
        request, "login.html", None, status, error=error, token=token, next=_safe_next(next_)
    )
    set_cookie(request, response, LOGIN_COOKIE, nonce)
    return response


@router.get("/login")
def login_form(request: Request, next: str = "/") -> Response:
    return _login_page(request, 200, None, next)


@router.post("/login")
def login(
    request: Request,
    name: Annotated[str, Form(max_length=120)] = "",
    password: Annotated[str, Form(max_length=200)] = "",
    csrf_token: Annotated[str, Form(max_length=200)] = "",
    next: Annotated[str, Form(max_length=500)] = "/",
) -> Response:
    ctx = context_of(request)
    if not ctx.signer.login_token_matches(csrf_token, request.cookies.get(LOGIN_COOKIE)):
        return _login_page(request, 403, "The form had expired: please log in again.", next)
    client = request.client.host if request.client else "unknown"
    if not ctx.login_limit.allow(client):
        with open_session(request) as session:
            audit(session, name[:120], "login_refused", ctx.clock, why="rate limit", client=client)
            session.commit()
        return _login_page(request, 429, "Too many attempts: wait a minute and try again.", next)
    with open_session(request) as session:
        result = log_in(session, name, password, ctx.clock)
    if result.account is None:
        return _login_page(request, 401, result.refusal, next)
    account = result.account
    target = _safe_next(next)
    if target == "/":
        target = HOME.get(account.role, "/")
    response = RedirectResponse(target, status_code=303)
    value = ctx.signer.session_value(account.id or 0, account.session_epoch)
    set_cookie(request, response, SESSION_COOKIE, value)
    response.delete_cookie(LOGIN_COOKIE, path="/")
    return response


@router.post("/logout")
def logout(request: Request, staff: Annotated[Staff, Depends(staff_member)]) -> Response:
    ctx = context_of(request)
    with open_session(request) as session:
        audit(session, staff.name, "logout", ctx.clock)
        session.commit()
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/")
def home(request: Request, staff: Annotated[Staff, Depends(staff_member)]) -> Response:
    """Each role's own first page; a role without one is shown the pages it may open."""
    if staff.role in HOME:
        return RedirectResponse(HOME[staff.role], status_code=303)
    return render(request, "home.html", staff)

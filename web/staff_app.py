"""Mounting the staff pages on the app: routes, static files, headers and refusal pages."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.staticfiles import StaticFiles
from sqlalchemy import Engine
from starlette.responses import FileResponse, RedirectResponse, Response

from school.accounts import audit
from school.clock import Clock
from web.pages import (
    case_page,
    cases_board,
    dsl,
    legal,
    login,
    morning,
    policy_settings,
    pupil,
    reports,
    users,
)
from web.security import SECURITY_HEADERS
from web.staff import Refused, StaffContext, StaffSettings, context_of, open_session, render

STATIC = Path(__file__).parent / "static"


def include_staff(app: FastAPI, engine: Engine, clock: Clock, settings: StaffSettings) -> None:
    app.state.staff = StaffContext(engine, clock, settings)
    for page in (
        login,
        morning,
        dsl,
        users,
        cases_board,
        case_page,
        pupil,
        legal,
        reports,
        policy_settings,
    ):
        app.include_router(page.router)
    app.add_api_route("/favicon.ico", _favicon, methods=["GET"], include_in_schema=False)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.add_exception_handler(Refused, _refused)  # type: ignore[arg-type]

    @app.middleware("http")
    async def security_headers(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        response = await call_next(request)
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        return response


async def _favicon() -> Response:
    # Browsers ask for /favicon.ico on every page whatever the page links to.
    return FileResponse(STATIC / "favicon.ico", media_type="image/x-icon")


async def _refused(request: Request, refusal: Refused) -> Response:
    if refusal.actor:
        ctx = context_of(request)
        route = getattr(request.scope.get("route"), "path", request.url.path)
        with open_session(request) as session:
            audit(
                session,
                refusal.actor,
                "refused",
                ctx.clock,
                route=f"{request.method} {route}",
                why=refusal.why,
            )
            session.commit()
    if refusal.login and request.method == "GET" and "hx-request" not in request.headers:
        return RedirectResponse(f"/login?next={quote(request.url.path)}", status_code=303)
    return render(request, "refused.html", None, refusal.status, message=refusal.message)

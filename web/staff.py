"""The staff door's core: who is asking (session, role, schools), refusals, and templates."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import Path as PathParameter
from fastapi import Request
from fastapi.templating import Jinja2Templates
from sqlalchemy import Engine
from sqlmodel import Session
from starlette.responses import Response

from school.accounts import StaffAccount, signature
from school.amender import Amender
from school.clock import SCHOOL_TIME_ZONE, Clock, school_today
from school.database import session_for
from web.rate_limit import SlidingWindowLimit
from web.roles import allowed, pages_for
from web.security import CSRF_FIELD, CSRF_HEADER, Signer, tokens_match

# An id in a path: a row's primary key, so within PostgreSQL's integer (a larger number was a
# database error, found by the schemathesis fuzz); anything else is refused before a query.
RowId = Annotated[int, PathParameter(ge=1, le=2_147_483_647)]

TEMPLATES = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))


def _clock(instant: datetime | None) -> str:
    return "" if instant is None else f"{instant.astimezone(SCHOOL_TIME_ZONE):%H:%M}"


def countdown(due: datetime | None, now: datetime) -> str:
    """The next deadline as a person reads it: "in 12 min", "due now", "4 min overdue"."""
    if due is None:
        return "no further step"
    minutes = int((due - now).total_seconds() // 60)
    if minutes > 0:
        return f"in {minutes} min" if minutes < 120 else f"at {_clock(due)}"
    return "due now" if minutes == 0 else f"{-minutes} min overdue"


TEMPLATES.env.filters["clock"] = _clock
TEMPLATES.env.globals["countdown"] = countdown
TEMPLATES.env.globals["pages_for"] = pages_for


@dataclass
class StaffSettings:
    """What the staff pages need beyond the database and clock."""

    secret: str
    poll_seconds: int = 30  # how often the morning board refreshes itself
    board_day: date | None = None  # the board's day when not today (the demo's Monday)
    # Login attempts one address may make in a minute, whatever names it tries.
    logins_per_minute: int = 20


@dataclass
class StaffContext:
    """Held on app.state.staff: one per app."""

    engine: Engine
    clock: Clock
    settings: StaffSettings
    signer: Signer = field(init=False)
    login_limit: SlidingWindowLimit = field(init=False)

    def __post_init__(self) -> None:
        self.signer = Signer(self.settings.secret)
        self.login_limit = SlidingWindowLimit(self.settings.logins_per_minute, 60.0)


@dataclass(frozen=True)
class Staff:
    """The person behind this request, checked: their account, token and schools."""

    account: StaffAccount
    csrf: str

    @property
    def name(self) -> str:
        return self.account.name

    @property
    def role(self) -> str:
        return self.account.role

    @property
    def schools(self) -> list[str]:
        return list(self.account.schools or [])

    @property
    def signature(self) -> str:
        return signature(self.account)

    @property
    def amender(self) -> Amender:
        """The person as the register's audit names them (reg 6): name and position."""
        return Amender(self.account.name, self.account.position)


class Refused(Exception):
    """A request the door will not serve: rendered as a page (or a redirect to log in)."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        login: bool = False,
        actor: str | None = None,
        why: str = "",
    ) -> None:
        super().__init__(message)
        self.status, self.message, self.login = status, message, login
        self.actor, self.why = actor, why  # a refusal of a known person is audited


def context_of(request: Request) -> StaffContext:
    ctx: StaffContext = request.app.state.staff
    return ctx


def open_session(request: Request) -> Session:
    return session_for(context_of(request).engine)


def _route_path(request: Request) -> str:
    route = request.scope.get("route")
    return str(getattr(route, "path", request.url.path))


async def staff_member(request: Request) -> Staff:
    """Every staff route depends on this: logged in, the role allowed here, the CSRF token
    on anything that changes something. Refusals are written to the audit log."""
    ctx = context_of(request)
    data = ctx.signer.read_session(request)
    with open_session(request) as session:
        account = session.get(StaffAccount, data.account_id) if data else None
        if data is None or account is None or account.disabled:
            raise Refused(401, "Please log in.", login=True)
        if account.session_epoch != data.epoch:
            raise Refused(401, "Your session has ended: please log in again.", login=True)
        path = _route_path(request)
        session.expunge(account)
    if not allowed(request.method, path, account.role):
        raise Refused(
            403,
            f"This page is not open to the {account.role} role.",
            actor=account.name,
            why=f"role {account.role}",
        )
    if request.method == "POST":
        form = await request.form()
        given = request.headers.get(CSRF_HEADER) or form.get(CSRF_FIELD)
        if not tokens_match(data.csrf, given if isinstance(given, str) else None):
            raise Refused(
                403,
                "This form has expired: reload the page and try again.",
                actor=account.name,
                why="missing or wrong CSRF token",
            )
    return Staff(account, data.csrf)


def school_of(staff: Staff, asked: str | None) -> str:
    """The school the page is about: one the account covers, else refused (and audited)."""
    if not staff.schools:
        raise Refused(
            403,
            "Your account covers no school's pupils.",
            actor=staff.name,
            why="no school on the account",
        )
    if not asked:
        return staff.schools[0]
    if asked not in staff.schools:
        raise Refused(
            403,
            "Your account does not cover that school.",
            actor=staff.name,
            why=f"school {asked[:64]} not on the account",
        )
    return asked


def day_asked(request: Request, asked: str | None) -> date:
    """The day a page is about: `?date=`/`?as_of=` when given, else the board's day or today."""
    ctx = context_of(request)
    if not asked:
        return ctx.settings.board_day or school_today(ctx.clock)
    try:
        return date.fromisoformat(asked)
    except ValueError:
        raise Refused(400, "The date must be YYYY-MM-DD, e.g. 2026-11-23.") from None


def render(
    request: Request, template: str, staff: Staff | None, status: int = 200, **context: Any
) -> Response:
    return TEMPLATES.TemplateResponse(
        request, template, {"staff": staff, **context}, status_code=status
    )


def back_to(path: str, school: str, said: str, day: str = "") -> str:
    """Where a form sends the browser after a change: the page again, with what was done."""
    on = f"&date={quote(day)}" if day else ""
    return f"{path}?school={quote(school)}{on}&said={quote(said)}"

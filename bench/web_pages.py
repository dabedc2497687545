"""Server time per staff page for a 1,000-pupil school with 300 open checks and 200 open cases.

    python -m bench.web_pages [--url URL] [--repeat N]

Every GET route of `web.roles.ROUTE_ROLES` is measured (pages added later are measured too; a
route with a path parameter gets an id from the data, or is listed as not measured), in
process through httpx's ASGI transport with a logged-in session of a role the route allows.
The floor is the login page of the same app: the middleware, a template and the response,
with no session and no query. Rounds are interleaved so a busy moment hits every page alike.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import statistics
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from time import perf_counter

import httpx
from sqlalchemy import Engine, delete, select, update
from sqlmodel import Session, col

from bench.chase_common import MONDAY, recreate_database, set_up_la
from cases.models import AttendanceCase
from cases.service import open_case
from chase.checks import advance_due_checks, open_checks
from chase.locks import CHECKS
from chase.models import DslAlert, StaffTask, WelfareCheck
from chase.morning import school_morning
from school.accounts import POSITIONS, StaffAccount
from school.amender import Amender
from school.clock import FixedClock
from school.database import id_of, session_for
from school.models import Pupil
from school.tables import MARKS, PUPILS
from web.app import create_app
from web.roles import ROUTE_ROLES
from web.security import SESSION_COOKIE
from web.staff import StaffSettings

OPEN_CHECKS, OPEN_CASES, SCHOOL_SIZE = 300, 200, 1000
GOAL_MS, BOARD_GOAL_MS = 150.0, 250.0
CLOSE = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)  # the AM register closes (GMT)
# Who looks at a page, most to least likely: the first role a route allows is used.
ROLE_ORDER = ("head", "office", "pastoral", "dsl", "admin")


@dataclass
class Timed:
    path: str
    role: str
    ms: list[float]

    @property
    def median(self) -> float:
        return statistics.median(self.ms)

    @property
    def spread(self) -> str:
        return f"{min(self.ms):.1f}-{max(self.ms):.1f}"


def build_school(engine: Engine) -> tuple[str, dict[str, str]]:
    """The school, its morning at 10:05 and its cases; returns its id and the ids pages need."""
    expected = set_up_la(engine, 1, SCHOOL_SIZE)
    school = expected.schools[0]
    with session_for(engine) as session:
        # The set-up has 5% absent; more pupils go unmarked (spread across the year groups,
        # so every register still counts as taken) until 300 are unexplained at 09:00.
        present = session.scalars(
            select(MARKS.c.pupil_id)
            .where(MARKS.c.date == MONDAY, MARKS.c.session == "AM", MARKS.c.code == "/")
            .order_by(MARKS.c.pupil_id)
        ).all()
        unmarked = present[::2][: OPEN_CHECKS - expected.unexplained]
        session.execute(
            delete(MARKS).where(
                MARKS.c.date == MONDAY, MARKS.c.session == "AM", MARKS.c.pupil_id.in_(unmarked)
            )
        )
        session.commit()
        morning = school_morning(session, school, MONDAY)
        open_checks(session, morning, FixedClock(CLOSE))
        ids = sorted(session.scalars(select(CHECKS.c.id).where(CHECKS.c.school_id == school)))
        if len(ids) < OPEN_CHECKS:
            raise SystemExit(f"the register made only {len(ids)} checks, {OPEN_CHECKS} wanted")
        # The rest were explained before the chase began (set-up only: no events needed).
        session.execute(
            update(WelfareCheck)
            .where(col(WelfareCheck.id).in_(ids[OPEN_CHECKS:]))
            .values(state="explained", next_due_at=None)
        )
        session.commit()
        for minutes in (0, 30):  # texts, then calls; the DSL is not alerted yet at 09:45
            advance_due_checks(session, morning, FixedClock(CLOSE + timedelta(minutes=minutes)))
        officer = Amender("Bench Lead", "Attendance Lead")
        clock = FixedClock(CLOSE + timedelta(minutes=45))
        pupils = session.scalars(
            select(PUPILS.c.id).where(PUPILS.c.school_id == school).order_by(PUPILS.c.id)
        ).all()
        for pupil_id in pupils[:OPEN_CASES]:
            open_case(session, pupil_id, officer, "attendance below 90% at the review", clock)
        session.commit()
        for role in ROLE_ORDER:
            session.add(
                StaffAccount(
                    name=f"Bench {role}",
                    role=role,
                    position=POSITIONS[role],
                    schools=[school],
                    password_hash="not-used",
                    created_at=CLOSE,
                    created_by="bench",
                )
            )
        session.commit()
        first = {
            "check_id": ids[0],
            "task_id": session.scalars(select(col(StaffTask.id)).limit(1)).first(),
            "alert_id": session.scalars(select(col(DslAlert.id)).limit(1)).first(),
            "pupil_id": pupils[0],
            "upn": session.scalars(select(col(Pupil.upn)).where(col(Pupil.id) == pupils[0])).one(),
            "case_id": _first_case(session),
            "table": "persistent",
            "school_id": school,
        }
    return school, {k: str(v) for k, v in first.items() if v is not None}


def _first_case(session: Session) -> int | None:
    return session.scalars(select(col(AttendanceCase.id)).limit(1)).first()


def routes(ids: dict[str, str]) -> tuple[list[tuple[str, list[str]]], list[str]]:
    """(url, the roles allowed, likeliest first) for every GET route, and the routes that
    could not be given an id."""
    measured, skipped = [], []
    for (method, path), roles in sorted(ROUTE_ROLES.items()):
        if method != "GET":
            continue
        names = re.findall(r"{(\w+)}", path)
        if any(n not in ids for n in names):
            skipped.append(f"{path} (no id for {', '.join(n for n in names if n not in ids)})")
            continue
        url = path.format(**{n: ids[n] for n in names})
        measured.append((url, [r for r in ROLE_ORDER if r in roles]))
    return measured, skipped


async def measure(
    engine: Engine, ids: dict[str, str], repeat: int
) -> tuple[Timed, list[Timed], list[str]]:
    clock = FixedClock(CLOSE + timedelta(minutes=45))
    app = create_app(engine, None, clock, StaffSettings("bench-secret", board_day=MONDAY))
    signer = app.state.staff.signer
    with session_for(engine) as session:
        accounts = {a.role: a for a in session.scalars(select(StaffAccount))}
    cookies = {
        role: {SESSION_COOKIE: signer.session_value(id_of(a), a.session_epoch)}
        for role, a in accounts.items()
    }
    pages, skipped = routes(ids)
    floor = Timed("/login", "nobody", [])
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
        # The first role a page shows itself to (the home page sends some roles on), which
        # also warms templates and caches.
        timed = []
        for url, roles in pages:
            for role in roles:
                answer = await client.get(url, cookies=cookies[role])
                if answer.status_code == 200:
                    timed.append(Timed(url, role, []))
                    break
            else:
                skipped.append(f"{url} (no role is shown it: {answer.status_code})")
        for _ in range(repeat):
            for page in [floor, *timed]:
                jar = cookies.get(page.role, {})
                started = perf_counter()
                answer = await client.get(page.path, cookies=jar)
                took = (perf_counter() - started) * 1000
                if answer.status_code != 200:
                    raise SystemExit(f"{page.path} as {page.role}: {answer.status_code}")
                page.ms.append(took)
    return floor, timed, skipped


def print_figures(floor: Timed, timed: Sequence[Timed], skipped: Sequence[str]) -> bool:
    print(f"{'page':34} {'role':8} {'median':>8} {'spread (ms)':>15} {'ratio':>7}  goal")
    print(
        f"{'floor: ' + floor.path:34} {'-':8} {floor.median:8.1f} {floor.spread:>15} {'1.00x':>7}"
    )
    every_met = True
    for page in timed:
        goal = BOARD_GOAL_MS if page.path.startswith("/morning") else GOAL_MS
        met = page.median <= goal
        every_met &= met
        ratio = f"{page.median / floor.median:.2f}x"
        print(
            f"{page.path[:34]:34} {page.role:8} {page.median:8.1f} {page.spread:>15} {ratio:>7}"
            f"  <= {goal:.0f} ms: {'met' if met else 'NOT met'}"
        )
    for path in skipped:
        print(f"not measured: {path}")
    return every_met


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--url", help="a database URL, dropped and made afresh (default: a new SQLite file)"
    )
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        # A URL's database is dropped and made afresh (a name of a-z, 0-9 and _ only).
        engine = recreate_database(args.url or f"sqlite:///{Path(folder) / 'bench.db'}")
        started = perf_counter()
        school, ids = build_school(engine)
        print(
            f"{school}: {SCHOOL_SIZE} pupils, {OPEN_CHECKS} open checks, {OPEN_CASES} open cases "
            f"(built in {perf_counter() - started:.1f} s, {engine.dialect.name}); "
            f"{args.repeat} rounds"
        )
        floor, timed, skipped = asyncio.run(measure(engine, ids, args.repeat))
        engine.dispose()
    return 0 if print_figures(floor, timed, skipped) else 1


if __name__ == "__main__":
    raise SystemExit(main())

"""Server time of the cases board and a case page for a 1,000-pupil school with 200 open
cases, against the floor of the same data read by hand in the same run (issue 11).

The school is `attendance demo-data` imported into SQLite (a year of marks); 200 cases are
spread over the six stages with 100 proposals waiting and a support item each. Each page is
fetched in-process through the app (session cookie, role check, queries, template), interleaved
with its floor: the statements the page cannot do without (the open cases with their pupils
and those pupils' figures from the statistics statement, or one case's rows and its pupil's
figures), run on the same engine with no template.

    python -m bench.pages_cases [--pupils 1000] [--cases 200] [--repeat 15] [--data FOLDER]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path

from bench.cli_register import SCHOOL, demo_data, load_demo_school

AS_OF = date(2026, 7, 20)  # the last school day of 2025-26: a whole year counted
GOAL_MS = 150.0
PASSWORD = "bench horse battery staple"


def _build(url: str, data: Path, cases: int) -> None:
    load_demo_school(url, data)
    from sqlalchemy import select
    from sqlmodel import col

    from cases.models import AttendanceCase, CaseAction, CaseProposal
    from school.accounts import add_account
    from school.clock import FixedClock
    from school.database import id_of, make_engine, session_for
    from school.models import Pupil
    from state_machines.attendance_case import STAGES

    now = datetime(2026, 7, 20, 9, 0, tzinfo=UTC)
    with session_for(make_engine(url)) as session:
        pupils = session.scalars(select(Pupil).order_by(col(Pupil.id)).limit(cases)).all()
        for n, pupil in enumerate(pupils):
            case = AttendanceCase(
                school_id=SCHOOL, pupil_id=id_of(pupil), stage=STAGES[n % 6], opened_at=now,
                policy_version="bench",
            )  # fmt: skip
            session.add(case)
            session.flush()
            session.add(CaseAction(
                case_id=id_of(case), kind="mentoring", title="Weekly mentoring",
                is_support=True, support_status="planned", created_at=now,
                created_by="Bench, Bench",
            ))  # fmt: skip
            if n % 2 == 0:
                session.add(CaseProposal(
                    case_id=id_of(case), trigger_key=f"bench:{n}", kind="review",
                    summary="Review the plan", created_at=now,
                ))  # fmt: skip
        session.commit()
        add_account(session, "Pat Pastoral", "pastoral", [SCHOOL], PASSWORD, "bench",
                    FixedClock(now))  # fmt: skip
        session.commit()


def _ms(action: Callable[[], object]) -> float:
    start = time.perf_counter()
    action()
    return (time.perf_counter() - start) * 1000


def _line(label: str, times: list[float]) -> str:
    return (f"  {label:5}  median {statistics.median(times):.1f} ms "
            f"(spread {min(times):.1f}-{max(times):.1f} ms, n={len(times)})")  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pupils", type=int, default=1000)
    parser.add_argument("--cases", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--data", type=Path, help="a folder from `attendance demo-data`")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        data = demo_data(args.data, Path(tmp), args.pupils)
        url = f"sqlite:///{Path(tmp) / 'pages.db'}"
        _build(url, data, args.cases)
        return _measure(url, args)


def _measure(url: str, args: argparse.Namespace) -> int:
    import re

    from fastapi.testclient import TestClient
    from sqlalchemy import select
    from sqlmodel import col

    from cases.models import AttendanceCase, CaseAction, CaseEvent, CaseProposal
    from school.clock import FixedClock
    from school.database import make_engine, session_for
    from school.models import Pupil
    from school.schools import load_school
    from school.statistics import statistics_for
    from web.app import create_app
    from web.staff import StaffSettings

    engine = make_engine(url)
    clock = FixedClock(datetime(2026, 7, 20, 9, 0, tzinfo=UTC))
    app = create_app(engine, None, clock, StaffSettings("bench-secret"))
    with session_for(engine) as session:
        case_id, pupil_id = session.execute(
            select(col(AttendanceCase.id), col(AttendanceCase.pupil_id)).limit(1)
        ).one()

    def board_floor() -> None:
        with session_for(engine) as session:
            school = load_school(session, SCHOOL)
            rows = session.execute(
                select(AttendanceCase, Pupil)
                .join(Pupil, col(Pupil.id) == AttendanceCase.pupil_id)
                .where(col(AttendanceCase.school_id) == SCHOOL)
            ).all()
            statistics_for(session, school, AS_OF, [case.pupil_id for case, _ in rows])

    def case_floor() -> None:
        with session_for(engine) as session:
            school = load_school(session, SCHOOL)
            statistics_for(session, school, AS_OF, [pupil_id])
            for table in (CaseEvent, CaseAction, CaseProposal):
                session.scalars(select(table).where(col(table.case_id) == case_id)).all()

    met = True
    with TestClient(app) as client:
        form = client.get("/login").text
        token = re.search(r'name="csrf_token" value="([^"]+)"', form)
        assert token is not None
        client.post("/login", data={"name": "Pat Pastoral", "password": PASSWORD,
                                    "csrf_token": token.group(1)})  # fmt: skip
        print(f"{args.pupils} pupils, {args.cases} open cases; Python {sys.version.split()[0]}")
        for name, path, floor in (
            ("cases board", "/cases", board_floor),
            ("case page", f"/cases/{case_id}", case_floor),
        ):
            page = client.get(path)
            assert page.status_code == 200, (path, page.status_code)
            client.get(path)  # warm: templates compiled, policy parsed once
            ours, floors = [], []
            for _ in range(args.repeat):
                ours.append(_ms(lambda: client.get(path)))  # noqa: B023 - called at once
                floors.append(_ms(floor))
            ratio = statistics.median(ours) / statistics.median(floors)
            ok = statistics.median(ours) <= GOAL_MS
            met = met and ok
            print(f"{name} ({path})")
            print(_line("ours", ours))
            print(_line("floor", floors))
            print(f"  ratio  {ratio:.2f}x   goal <= {GOAL_MS:g} ms median: "
                  f"{'met' if ok else 'NOT met'}")  # fmt: skip
    return 0 if met else 1


if __name__ == "__main__":
    raise SystemExit(main())

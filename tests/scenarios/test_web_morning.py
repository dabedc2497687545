"""The morning through the staff pages: what the office and the DSL click is what the command
line does. Monday 23 November 2026 in simulated time, at two seed schools."""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlmodel import Session, col

from chase.code_confirmation import confirmed_codes
from chase.models import DslAlert, Note, StaffTask, WelfareCheck
from school.accounts import add_account
from school.clock import SystemClock
from school.models import Pupil
from school.policy_files import bundled_policy, load_policy
from tests.chase_helpers import MONDAY, set_up_morning
from tests.register_files import upn
from tests.scenarios.test_registration_arrivals import Clock, cli, hhmm
from web.app import create_app
from web.staff import StaffSettings

PASSWORD = "a long password"


def _log_in(client: TestClient, name: str) -> str:
    """Logs in; returns the CSRF token of the person's first page."""
    form = client.get("/login").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', form)
    assert token
    answer = client.post(
        "/login", data={"name": name, "password": PASSWORD, "csrf_token": token.group(1)}
    )
    assert answer.status_code == 303
    page = client.get(answer.headers["location"]).text
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found
    return found.group(1)


@pytest.mark.parametrize("seed,year", [("emmanuel-middle", 7), ("kts-academy", 10)])
def test_the_office_confirms_a_code_and_records_a_call_and_the_dsl_acknowledges(
    session: Session,
    engine: Engine,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    seed: str,
    year: int,
) -> None:
    """The AM register is taken with two pupils N. At the close the chase opens a check for
    each. Pupil 1's mother rings the office: ill. The office records it (`attendance absence`,
    code I suggested) and confirms the I on the morning board: a named person's decision, kept
    once, so the command line's `confirm-code` then refuses to confirm it again. Nobody reaches
    pupil 2's family; the office records "no answer" on the call list (as `task done`). At the
    policy's final deadline the DSL is alerted (spec §3.3); the DSL acknowledges on the inbox
    with a note, kept under their name, as `alert ack` would."""
    monkeypatch.setenv("ATTENDANCE_OUTBOX_DIR", str(tmp_path / "outbox"))
    window = load_policy(bundled_policy(seed)).policy.register_window(year, "AM")
    close = datetime.combine(MONDAY, window.closes)
    set_up_morning(session, seed, tmp_path, {1: {"year": year}, 2: {"year": year}})
    clock = Clock(monkeypatch)
    for name, role in (("Pat Jones", "office"), ("Sam Patel", "dsl")):
        add_account(session, name, role, [seed], PASSWORD, "scenario", SystemClock())
    tick = ("chase", "--school", seed, "--date", str(MONDAY), "--once")
    clock.set(hhmm(close, 1))
    assert "opened 2" in cli(engine, *tick).stdout

    rang = cli(
        engine,
        "absence",
        "--school",
        seed,
        "--upn",
        upn(1),
        "--reason",
        "Mum rang: ill",
        "--code",
        "I",
        "--session",
        "AM",
        "--by",
        "Pat Jones, Attendance Officer",
    )
    assert rang.exit_code == 0, rang.output
    first = session.scalars(
        select(WelfareCheck)
        .join(Pupil, col(Pupil.id) == WelfareCheck.pupil_id)
        .where(col(Pupil.upn) == upn(1))
    ).one()

    web = TestClient(
        create_app(engine, None, SystemClock(), StaffSettings("s")), follow_redirects=False
    )
    token = _log_in(web, "Pat Jones")
    board = web.get("/morning").text
    assert "Confirm I" in board
    confirm = {"code": "I", "school": seed, "csrf_token": token}
    assert web.post(f"/checks/{first.id}/confirm-code", data=confirm).status_code == 303
    note = confirmed_codes(session, [first.id or 0])[first.id or 0]
    assert note.recorded_by == "Pat Jones, Attendance Officer" and note.text.startswith("I (")
    again = cli(
        engine,
        "confirm-code",
        str(first.id),
        "--school",
        seed,
        "--code",
        "I",
        "--by",
        "Pat Jones, Attendance Officer",
    )
    assert again.exit_code == 1 and "already confirmed" in again.output

    # The call list: the school's first call for pupil 2; the office records no answer.
    clock.set(hhmm(close, 20))
    cli(engine, *tick)
    session.expire_all()
    call = session.scalars(select(StaffTask).where(col(StaffTask.state) == "open")).first()
    assert call is not None, "the morning's first call is on the list"
    answer = web.post(
        f"/tasks/{call.id}/outcome", data={"outcome": "no_answer", "csrf_token": token}
    )
    assert answer.status_code == 303
    stored = session.scalars(select(Note).where(col(Note.task_id) == call.id)).one()
    assert (stored.outcome, stored.recorded_by) == (
        "no_answer",
        "Pat Jones, Attendance Officer",
    )

    for later in (60, 120, 180):  # every step of the morning falls due
        clock.set(hhmm(close, later))
        assert cli(engine, *tick).exit_code == 0
    session.expire_all()
    alert = session.scalars(select(DslAlert)).one()  # pupil 2 only: pupil 1 is explained

    dsl = TestClient(web.app, follow_redirects=False)
    token = _log_in(dsl, "Sam Patel")
    assert dsl.get("/morning").status_code == 200  # the DSL sees the board too
    ack = dsl.post(
        f"/alerts/{alert.id}/ack",
        data={"note": "Police safe and well check requested", "csrf_token": token},
    )
    assert ack.status_code == 303
    shown = cli(engine, "alerts", "--school", seed, "--all")
    assert "Acknowledged by Sam Patel, Designated Safeguarding Lead" in " ".join(
        shown.stdout.split()
    )

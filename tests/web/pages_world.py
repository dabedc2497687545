"""The staff pages' world: a morning at Emmanuel Middle with a reply to confirm, a call list
and a DSL alert, one account per role, and a logged-in client."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from functools import cache

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlmodel import Session, col

from chase.checks import advance_due_checks
from chase.models import DslAlert, StaffTask, WelfareCheck
from chase.morning import school_morning
from chase.responses import handle_reply
from school.accounts import POSITIONS, StaffAccount, hash_password
from school.clock import FixedClock
from school.database import id_of
from tests.web.webhooks_support import MONDAY, MUM, NINE
from web.app import create_app
from web.staff import StaffSettings

PASSWORD = "correct horse battery"
ROLE_NAMES = {
    "office": "Olive Office",
    "pastoral": "Pat Pastoral",
    "dsl": "Dee Safeguard",
    "head": "Hal Head",
    "admin": "Ada Admin",
}
OTHER_SCHOOL = "kts-academy"


@cache
def _hashed() -> str:
    return hash_password(PASSWORD)


def make_accounts(session: Session, school: str, clock: FixedClock) -> None:
    """One account per role (as `user add` makes them, tested in test_pages_accounts_cli.py),
    sharing one argon2 hash: hashing costs ~0.1-0.5 s each, and every test needs five."""
    for role, name in ROLE_NAMES.items():
        schools = [] if role == "admin" else [school]
        session.add(
            StaffAccount(
                name=name,
                role=role,
                position=POSITIONS[role],
                schools=schools,
                password_hash=_hashed(),
                created_at=clock.now(),
                created_by="test",
            )
        )
    session.commit()


@pytest.fixture
def world(
    session: Session, school: str, chase: dict[int, int], morning_clock: FixedClock
) -> dict[str, int]:
    """At 10:05: pupil 1's mum has replied "ill" (code I to confirm); pupil 2 is still not
    known safe, so the DSL was alerted at 10:00 and the reasonable steps are on the call list."""
    handle_reply(session, "SMreply1", MUM, "Sorry he is ill with a temperature", morning_clock)
    morning = school_morning(session, school, MONDAY)
    for minutes in (30, 60):
        advance_due_checks(session, morning, FixedClock(NINE + timedelta(minutes=minutes)))
    morning_clock.at = NINE + timedelta(minutes=65)
    make_accounts(session, school, morning_clock)
    alert = session.scalars(select(DslAlert)).one()
    task = session.scalars(
        select(StaffTask).where(
            col(StaffTask.check_id) == chase[2],
            col(StaffTask.kind) == "call",
            col(StaffTask.state) == "escalated",  # still open: the DSL alert escalated it
        )
    ).first()
    assert task is not None, [
        (t.kind, t.state, t.check_id) for t in session.scalars(select(StaffTask))
    ]
    check = session.get(WelfareCheck, chase[1])
    assert check is not None and check.state == "explained" and check.suggested_code == "I"
    return {"alert": id_of(alert), "task": id_of(task), "check": chase[1]}


@pytest.fixture
def web_app(engine: Engine, morning_clock: FixedClock) -> Iterator[TestClient]:
    app = create_app(engine, None, morning_clock, StaffSettings("test-secret", poll_seconds=30))
    with TestClient(app, follow_redirects=False) as client:
        yield client


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "no CSRF token on the page"
    return found.group(1)


def log_in(client: TestClient, name: str, password: str = PASSWORD) -> int:
    form = client.get("/login")
    answer = client.post(
        "/login", data={"name": name, "password": password, "csrf_token": csrf_of(form.text)}
    )
    return answer.status_code


def page_token(client: TestClient, path: str = "/") -> str:
    """A CSRF token from a page the logged-in person may open."""
    page = client.get(path, follow_redirects=True)
    return csrf_of(page.text)

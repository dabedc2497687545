"""The staff door's security: CSRF, lockout, rate limit, cookies, headers, schools, sessions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlmodel import Session, col

from chase.models import Note, StaffTask
from school.accounts import (
    FAILURES_BEFORE_LOCK,
    LOCK_MINUTES,
    AuditEntry,
    StaffAccount,
    add_account,
    disable_account,
    lock_after_failure,
    reset_password,
)
from school.clock import FixedClock
from tests.web.pages_world import (
    OTHER_SCHOOL,
    PASSWORD,
    ROLE_NAMES,
    csrf_of,
    log_in,
    page_token,
    web_app,
    world,
)
from web.security import CONTENT_SECURITY_POLICY, SESSION_COOKIE
from web.staff import StaffSettings

__all__ = ["web_app", "world"]
OFFICE = ROLE_NAMES["office"]


def _actions(session: Session, action: str) -> list[AuditEntry]:
    query = select(AuditEntry).where(col(AuditEntry.action) == action)
    return list(session.scalars(query.order_by(col(AuditEntry.id))))


def test_lock_starts_at_the_fifth_failure_and_lasts_fifteen_minutes() -> None:
    now = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
    assert lock_after_failure(FAILURES_BEFORE_LOCK - 1, now) is None
    assert lock_after_failure(FAILURES_BEFORE_LOCK, now) == now + timedelta(minutes=LOCK_MINUTES)


def test_a_post_without_or_with_a_wrong_csrf_token_is_refused_and_changes_nothing(
    web_app: TestClient, world: dict[str, int], session: Session
) -> None:
    assert log_in(web_app, OFFICE) == 303
    url = f"/tasks/{world['task']}/outcome"
    for data in ({"outcome": "no_answer"}, {"outcome": "no_answer", "csrf_token": "forged"}):
        answer = web_app.post(url, data=data)
        assert answer.status_code == 403
        assert "expired" in answer.text
    assert session.get(StaffTask, world["task"]).state == "escalated"  # type: ignore[union-attr]
    assert [e.detail["why"] for e in _actions(session, "refused")] == [
        "missing or wrong CSRF token"
    ] * 2
    # The token in a header (as htmx may send it) is accepted.
    token = page_token(web_app, "/morning")
    answer = web_app.post(url, data={"outcome": "no_answer"}, headers={"X-CSRF-Token": token})
    assert answer.status_code == 303


def test_a_login_form_without_its_token_is_refused(
    web_app: TestClient, world: dict[str, int]
) -> None:
    answer = web_app.post("/login", data={"name": OFFICE, "password": PASSWORD})
    assert answer.status_code == 403
    assert SESSION_COOKIE not in answer.cookies


def test_five_wrong_passwords_lock_the_account_even_against_the_right_one(
    web_app: TestClient, world: dict[str, int], session: Session, morning_clock: FixedClock
) -> None:
    for _ in range(FAILURES_BEFORE_LOCK):
        assert log_in(web_app, OFFICE, "not the password") == 401
    assert log_in(web_app, OFFICE) == 401  # locked: the right password does not open it
    page = web_app.get("/login")
    form = {"name": OFFICE, "password": PASSWORD, "csrf_token": csrf_of(page.text)}
    assert "Too many failed logins" in web_app.post("/login", data=form).text
    morning_clock.at += timedelta(minutes=LOCK_MINUTES, seconds=1)
    assert log_in(web_app, OFFICE) == 303  # the lock has passed
    failed = _actions(session, "login_failed")
    assert len(failed) == FAILURES_BEFORE_LOCK and failed[-1].detail["locked"] is True
    assert [e.detail["why"] for e in _actions(session, "login_refused")] == ["account locked"] * 2
    assert _actions(session, "login")[-1].actor == OFFICE


def test_an_unknown_name_is_told_the_same_as_a_wrong_password(
    web_app: TestClient, world: dict[str, int]
) -> None:
    page = web_app.get("/login")
    unknown = web_app.post(
        "/login", data={"name": "Nobody", "password": "x", "csrf_token": csrf_of(page.text)}
    )
    page = web_app.get("/login")
    wrong = web_app.post(
        "/login", data={"name": OFFICE, "password": "x", "csrf_token": csrf_of(page.text)}
    )
    assert unknown.status_code == wrong.status_code == 401
    assert "do not match an account" in unknown.text and "do not match an account" in wrong.text


def test_logins_from_one_address_are_rate_limited(
    engine,
    morning_clock: FixedClock,
    world: dict[str, int],  # type: ignore[no-untyped-def]
) -> None:
    from web.app import create_app

    app = create_app(engine, None, morning_clock, StaffSettings("s", logins_per_minute=3))
    with TestClient(app, follow_redirects=False) as client:
        names = ["A", "B", "C"]  # a different name each time: the account lock never applies
        assert [log_in(client, n, "x") for n in names] == [401, 401, 401]
        assert log_in(client, OFFICE) == 429


def test_session_cookie_is_httponly_samesite_lax_and_secure_only_over_https(
    web_app: TestClient, world: dict[str, int]
) -> None:
    page = web_app.get("/login")
    answer = web_app.post(
        "/login", data={"name": OFFICE, "password": PASSWORD, "csrf_token": csrf_of(page.text)}
    )
    cookie = answer.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie and "secure" not in cookie
    secure = TestClient(web_app.app, base_url="https://testserver", follow_redirects=False)
    page = secure.get("/login")
    answer = secure.post(
        "/login", data={"name": OFFICE, "password": PASSWORD, "csrf_token": csrf_of(page.text)}
    )
    assert answer.status_code == 303
    assert "; secure" in answer.headers["set-cookie"].lower()


def test_every_page_carries_a_strict_content_security_policy(
    web_app: TestClient, world: dict[str, int]
) -> None:
    log_in(web_app, OFFICE)
    for path in ("/login", "/morning", "/static/app.css"):
        answer = web_app.get(path)
        assert answer.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
        assert "script-src 'self';" in CONTENT_SECURITY_POLICY
    page = web_app.get("/morning").text
    assert "<script>" not in page and " on" + "click=" not in page  # no inline script at all
    assert '<script src="/static/htmx-2.0.11.min.js"' in page
    assert web_app.get("/static/htmx-2.0.11.min.js").status_code == 200


def test_a_disabled_account_or_a_reset_password_ends_open_sessions(
    web_app: TestClient, world: dict[str, int], session: Session, morning_clock: FixedClock
) -> None:
    assert log_in(web_app, OFFICE) == 303
    assert web_app.get("/morning").status_code == 200
    reset_password(session, OFFICE, "another long password", "test", morning_clock)
    assert web_app.get("/morning").status_code == 303  # back to the login page
    assert log_in(web_app, OFFICE, "another long password") == 303
    disable_account(session, OFFICE, "test", morning_clock)
    assert web_app.get("/morning").status_code == 303
    assert log_in(web_app, OFFICE, "another long password") == 401


def test_staff_of_one_school_never_see_another_schools_pupils(
    web_app: TestClient, world: dict[str, int], session: Session, morning_clock: FixedClock
) -> None:
    from school.policy_files import bundled_policy, load_policy
    from school.schools import set_up_school
    from tests.conftest import CALENDAR

    set_up_school(
        session,
        OTHER_SCHOOL,
        load_policy(bundled_policy(OTHER_SCHOOL)),
        CALENDAR.read_text(),
        str(CALENDAR),
        morning_clock,
    )
    session.commit()
    add_account(session, "Kit Other", "office", [OTHER_SCHOOL], PASSWORD, "test", morning_clock)
    assert log_in(web_app, "Kit Other") == 303
    board = web_app.get("/morning")
    assert board.status_code == 200 and "Pupil2" not in board.text
    assert web_app.get("/morning?school=emmanuel-middle").status_code == 403
    token = csrf_of(board.text)
    answer = web_app.post(
        f"/tasks/{world['task']}/outcome", data={"outcome": "no_answer", "csrf_token": token}
    )
    assert answer.status_code == 404  # another school's task is not even said to exist
    assert not session.scalars(select(Note).where(col(Note.task_id) == world["task"])).all()
    # An account covering a trust sees both, one school at a time.
    add_account(
        session,
        "Tess Trust",
        "head",
        [OTHER_SCHOOL, "emmanuel-middle"],
        PASSWORD,
        "test",
        morning_clock,
    )
    assert log_in(web_app, "Tess Trust") == 303
    assert "Pupil2" in web_app.get("/morning?school=emmanuel-middle").text


@pytest.mark.parametrize("target", ["//evil.example/", "https://evil.example/"])
def test_login_never_redirects_off_the_site(
    web_app: TestClient, world: dict[str, int], target: str
) -> None:
    page = web_app.get("/login")
    answer = web_app.post(
        "/login",
        data={
            "name": OFFICE,
            "password": PASSWORD,
            "csrf_token": csrf_of(page.text),
            "next": target,
        },
    )
    assert answer.headers["location"] == "/morning"


def test_account_rows_never_hold_the_password(session: Session, world: dict[str, int]) -> None:
    account = session.scalars(select(StaffAccount)).first()
    assert account is not None and PASSWORD not in account.password_hash
    assert account.password_hash.startswith("$argon2id$")

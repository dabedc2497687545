"""Accounts and code confirmation through the command line's door (CliRunner)."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import Engine, select, update
from sqlmodel import Session, col
from typer.testing import CliRunner

from chase.code_confirmation import confirmed_codes
from chase.models import WelfareCheck
from cli.main import app
from school.accounts import AuditEntry, StaffAccount
from school.models import MarkAmendment
from school.tables import MARKS
from tests.web.pages_world import web_app, world

__all__ = ["web_app", "world"]
runner = CliRunner()
PASSWORD = "a long enough password"


@pytest.fixture
def url(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=False)


def run(url: str, *args: str, password: str | None = PASSWORD):  # type: ignore[no-untyped-def]
    env = {"ATTENDANCE_NEW_PASSWORD": password} if password else {}
    return runner.invoke(app, ["--database", url, *args], env=env)


def test_the_first_admin_is_made_by_user_add_and_listed(url: str, session: Session) -> None:
    made = run(url, "user", "add", "Ada Admin", "--role", "admin")
    assert made.exit_code == 0, made.output
    assert "Added Ada Admin (Administrator), role admin" in made.output
    listed = run(url, "user", "list", "--format", "json")
    accounts = json.loads(listed.output)["accounts"]
    assert [(a["name"], a["role"], a["schools"]) for a in accounts] == [("Ada Admin", "admin", [])]
    assert "password" not in listed.output
    entry = session.scalars(select(AuditEntry)).one()
    assert entry.action == "account_added" and entry.actor.startswith("command line (")


def test_the_password_is_asked_for_twice_when_not_given(url: str, school: str) -> None:
    asked = runner.invoke(
        app,
        ["--database", url, "user", "add", "Olive Office", "--role", "office", "--school", school],
        input=f"{PASSWORD}\n{PASSWORD}\n",
    )
    assert asked.exit_code == 0, asked.output
    assert PASSWORD not in asked.output


@pytest.mark.parametrize(
    ("args", "code", "words"),
    [
        (["--role", "office"], 1, "needs --school"),
        (["--role", "janitor"], 2, "is not one of office, pastoral, dsl, head, admin"),
        (["--role", "office", "--school", "nowhere"], 1, "no school nowhere"),
        (["--role", "admin", "--by", "nobody"], 2, '"Name, Position"'),
    ],
)
def test_a_bad_account_is_one_line_and_not_written(
    url: str, school: str, session: Session, args: list[str], code: int, words: str
) -> None:
    result = run(url, "user", "add", "Olive Office", *args)
    assert result.exit_code == code
    assert words in " ".join(result.output.split())
    assert "Traceback" not in result.output
    assert session.scalars(select(StaffAccount)).first() is None


def test_a_short_password_is_refused(url: str) -> None:
    result = run(url, "user", "add", "Ada Admin", "--role", "admin", password="short")
    assert result.exit_code == 1 and "at least 10 characters" in result.output


def test_disable_and_reset_password(url: str, school: str, session: Session) -> None:
    run(url, "user", "add", "Olive Office", "--role", "office", "--school", school)
    assert (
        run(url, "user", "add", "olive  office", "--role", "office", "--school", school).exit_code
        == 1
    )
    disabled = run(url, "user", "disable", "Olive Office", "--by", "Ada Admin, Administrator")
    assert disabled.exit_code == 0 and "Disabled Olive Office." in disabled.output
    assert json.loads(run(url, "user", "list", "--format", "json").output)["accounts"][0][
        "disabled"
    ]
    reset = run(url, "user", "reset-password", "Olive Office", password="new long password")
    assert reset.exit_code == 0, reset.output
    missing = run(url, "user", "disable", "Nobody")
    assert missing.exit_code == 1 and "no account named 'Nobody'" in missing.output
    actions = [e.action for e in session.scalars(select(AuditEntry).order_by(col(AuditEntry.id)))]
    assert actions == ["account_added", "account_disabled", "password_reset"]


def test_confirm_code_at_the_command_line(
    url: str, world: dict[str, int], session: Session
) -> None:
    check = str(world["check"])
    by = ["--by", "Jo Bloggs, Attendance Officer"]
    wrong = run(url, "confirm-code", check, "--school", "emmanuel-middle", "--code", "ZZ", *by)
    assert wrong.exit_code == 2 and "not a DfE absence code" in wrong.output
    no_reason = run(url, "confirm-code", check, "--school", "emmanuel-middle", "--code", "N", *by)
    assert no_reason.exit_code == 1 and "N means no reason yet" in no_reason.output
    done = run(url, "confirm-code", check, "--school", "emmanuel-middle", "--code", "M", *by)
    assert done.exit_code == 0, done.output
    note = confirmed_codes(session, [world["check"]])[world["check"]]
    assert "; I was suggested" in note.text and note.recorded_by == "Jo Bloggs, Attendance Officer"
    unexplained = run(
        url,
        "confirm-code",
        str(world["check"] + 1),
        "--school",
        "emmanuel-middle",
        "--code",
        "I",
        *by,
    )
    assert unexplained.exit_code == 1 and "only an explained absence" in unexplained.output


def test_confirm_code_leaves_a_register_entry_a_person_already_made(
    url: str, world: dict[str, int], session: Session
) -> None:
    """The MIS (or a person) entered a code since the chase began: theirs stands, unamended."""
    check = session.get(WelfareCheck, world["check"])
    assert check is not None
    session.execute(
        update(MARKS)
        .where(MARKS.c.pupil_id == check.pupil_id, MARKS.c.date == check.date)
        .values(code="M")
    )
    session.commit()
    by = ["--by", "Jo Bloggs, Attendance Officer"]
    at = ["--school", "emmanuel-middle", "--code", "I"]
    done = run(url, "confirm-code", str(check.id), *at, *by)
    assert done.exit_code == 0, done.output
    assert f"the register shows M for {check.date} {check.session}, left as it is" in done.output
    assert session.scalars(select(MarkAmendment)).all() == []


def test_the_demo_makes_one_account_per_role_that_can_log_in(session: Session, school: str) -> None:
    from demo.accounts import make_demo_accounts
    from school.accounts import ROLES, log_in
    from school.clock import SystemClock

    made = make_demo_accounts(session, school, SystemClock())
    assert sorted(a.role for a in made) == sorted(ROLES)
    for account in made:
        assert log_in(session, account.name, account.password, SystemClock()).account is not None


def test_web_refuses_a_bad_day_before_serving(url: str) -> None:
    result = run(url, "web", "--day", "23/11/2026")
    assert result.exit_code == 2 and "--day" in result.output

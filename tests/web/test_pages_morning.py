"""The morning board and the DSL inbox over HTTP: what they show, and what a click records."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlmodel import Session, col

from chase.alerts import alert_views
from chase.code_confirmation import confirmed_codes
from chase.models import (
    DslAlert,
    Note,
    RegisterAlert,
    SafeguardingAction,
    StaffTask,
    WelfareCheck,
)
from school.accounts import AuditEntry
from school.models import AttendanceMark, MarkAmendment, Pupil
from tests.web.pages_world import ROLE_NAMES, csrf_of, log_in, web_app, world
from web.staff import countdown

__all__ = ["web_app", "world"]
OFFICE, DSL = ROLE_NAMES["office"], ROLE_NAMES["dsl"]


def test_countdown_reads_the_next_deadline() -> None:
    now = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
    assert countdown(now + timedelta(minutes=12, seconds=5), now) == "in 12 min"
    assert countdown(now + timedelta(seconds=59), now) == "due now"
    assert countdown(now - timedelta(minutes=4), now) == "4 min overdue"
    assert countdown(now + timedelta(hours=3), now) == "at 12:00"
    assert countdown(None, now) == "no further step"


def test_the_board_shows_the_morning_vulnerable_first_and_refreshes_itself(
    web_app: TestClient, world: dict[str, int], session: Session
) -> None:
    log_in(web_app, OFFICE)
    page = web_app.get("/morning")
    assert page.status_code == 200
    text = page.text
    assert "1</span> DSL alerted" in text and "1</span> Explained" in text
    assert "Reply: &#34;Sorry he is ill with a temperature&#34;" in text
    assert "Confirm I" in text and "(Illness" in text
    assert "Call" in text and "Answered: reason given" in text and "Left a message" in text
    assert 'hx-trigger="every 30s"' in text and 'hx-select="#board"' in text
    assert 'hx-preserve="true"' in text  # a note being typed survives the refresh
    assert "Register not taken" not in text
    # Every pupil on the board opens their pupil page (contacts, calendar) in one click.
    pupil = session.get(WelfareCheck, world["check"])
    assert pupil is not None
    upn = session.scalars(select(Pupil.upn).where(col(Pupil.id) == pupil.pupil_id)).one()
    assert f'<a href="/pupils/{upn}?school=emmanuel-middle">' in text
    # A register not taken shows a banner, as the guard raised it.
    session.add(
        RegisterAlert(
            school_id="emmanuel-middle",
            date=datetime(2026, 11, 23).date(),
            session="AM",
            year_group=7,
            closes="09:00",
            pupils_on_roll=30,
            pupils_marked=0,
            reason="Year 7 AM register not taken by 09:10",
            raised_at=datetime(2026, 11, 23, 9, 10, tzinfo=UTC),
        )
    )
    session.commit()
    assert "Year 7 AM register not taken by 09:10" in web_app.get("/morning").text


def test_a_call_outcome_is_recorded_with_the_persons_name_and_note(
    web_app: TestClient, world: dict[str, int], session: Session
) -> None:
    log_in(web_app, OFFICE)
    token = csrf_of(web_app.get("/morning").text)
    answer = web_app.post(
        f"/tasks/{world['task']}/outcome",
        data={
            "outcome": "voicemail_left",
            "note": "Left a message on mum's mobile",
            "csrf_token": token,
        },
    )
    assert answer.status_code == 303
    assert "left+a+message" in answer.headers["location"].lower().replace("%20", "+")
    task = session.get(StaffTask, world["task"])
    assert task is not None and task.state == "done" and task.outcome == "voicemail_left"
    assert task.recorded_by == "Olive Office, Attendance Officer"
    note = session.scalars(select(Note).where(col(Note.task_id) == world["task"])).one()
    assert note.text == "Left a message on mum's mobile"
    entry = session.scalars(
        select(AuditEntry).where(col(AuditEntry.action) == "task_outcome")
    ).one()
    assert entry.actor == OFFICE and entry.detail["outcome"] == "voicemail_left"
    assert f'action="/tasks/{world["task"]}/outcome"' not in web_app.get("/morning").text


def test_an_unknown_outcome_or_task_is_refused(web_app: TestClient, world: dict[str, int]) -> None:
    log_in(web_app, OFFICE)
    token = csrf_of(web_app.get("/morning").text)
    bad = web_app.post(
        f"/tasks/{world['task']}/outcome", data={"outcome": "x", "csrf_token": token}
    )
    missing = web_app.post("/tasks/999999/outcome", data={"outcome": "done", "csrf_token": token})
    assert (bad.status_code, missing.status_code) == (400, 404)


def test_confirming_a_replys_code_is_stored_once_by_name(
    web_app: TestClient, world: dict[str, int], session: Session
) -> None:
    log_in(web_app, OFFICE)
    token = csrf_of(web_app.get("/morning").text)
    form = {"code": "I", "school": "emmanuel-middle", "csrf_token": token}
    answer = web_app.post(f"/checks/{world['check']}/confirm-code", data=form)
    assert answer.status_code == 303
    note = confirmed_codes(session, [world["check"]])[world["check"]]
    assert note.text.startswith("I (Illness") and "confirmed" in note.text
    assert note.recorded_by == "Olive Office, Attendance Officer"
    # The register now says I, an amendment signed by the person with the parent's reason.
    check = session.get(WelfareCheck, world["check"])
    assert check is not None
    mark, amendment = session.execute(
        select(AttendanceMark, MarkAmendment)
        .join(MarkAmendment, col(MarkAmendment.mark_id) == AttendanceMark.id)
        .where(
            col(AttendanceMark.pupil_id) == check.pupil_id, col(AttendanceMark.date) == check.date
        )
    ).one()
    assert (mark.session, mark.code, amendment.original_code) == (check.session, "I", "N")
    assert (amendment.amended_by_name, amendment.amended_by_position) == (
        "Olive Office",
        "Attendance Officer",
    )
    assert amendment.reason.startswith("absence explained") and note.text.endswith("N to I")
    board = web_app.get("/morning").text
    assert "Confirm I" not in board and "I confirmed" in board
    again = web_app.post(f"/checks/{world['check']}/confirm-code", data=form)
    assert again.status_code == 409 and "already confirmed" in again.text


def test_the_dsl_inbox_shows_the_alert_as_raised_and_acknowledges_with_a_note(
    web_app: TestClient, world: dict[str, int], session: Session
) -> None:
    log_in(web_app, DSL)
    page = web_app.get("/dsl")
    assert "Not yet acknowledged" in page.text and "Known when raised" in page.text
    alert = session.get(DslAlert, world["alert"])
    assert alert is not None and alert.reason in page.text.replace("&#39;", "'")
    token = csrf_of(page.text)
    empty = web_app.post(f"/alerts/{world['alert']}/ack", data={"note": " ", "csrf_token": token})
    assert empty.status_code == 400
    answer = web_app.post(
        f"/alerts/{world['alert']}/ack",
        data={"note": "Rang social worker; visiting now", "csrf_token": token},
    )
    assert answer.status_code == 303
    session.expire_all()
    alert = session.get(DslAlert, world["alert"])
    assert (
        alert is not None and alert.acknowledged_by == "Dee Safeguard, Designated Safeguarding Lead"
    )
    action = web_app.post(
        f"/alerts/{world['alert']}/action",
        data={
            "action": "home_visit",
            "at": "10:02",
            "details": "Child seen, unwell",
            "csrf_token": token,
        },
    )
    assert action.status_code == 303
    texts = [
        n.text
        for n in session.scalars(
            select(Note).where(col(Note.alert_id) == world["alert"]).order_by(col(Note.id))
        )
    ]
    assert texts == ["Rang social worker; visiting now"]  # the action is not a note
    done = session.scalars(select(SafeguardingAction)).one()
    assert (done.alert_id, done.kind, done.note) == (
        world["alert"],
        "home_visit",
        "Child seen, unwell",
    )
    assert done.done_at == datetime(2026, 11, 23, 10, 2, tzinfo=UTC)  # GMT in November
    assert done.recorded_by == "Dee Safeguard, Designated Safeguarding Lead"
    page = web_app.get("/dsl").text
    assert "Acknowledged</span> by Dee Safeguard" in page
    assert "Home visit made at 10:02 (recorded by Dee Safeguard" in page
    later = web_app.post(
        f"/alerts/{world['alert']}/action",
        data={"action": "police", "at": "11:30", "csrf_token": token},
    )
    assert later.status_code == 400 and "later than now" in later.text
    bad_time = web_app.post(
        f"/alerts/{world['alert']}/action",
        data={"action": "police", "at": "25:00", "csrf_token": token},
    )
    assert bad_time.status_code == 400


def test_the_inbox_lists_alerts_newest_first(
    web_app: TestClient, world: dict[str, int], session: Session
) -> None:
    first = session.get(DslAlert, world["alert"])
    assert first is not None
    check = session.scalars(
        select(WelfareCheck).where(col(WelfareCheck.id) == world["check"])
    ).one()
    session.add(
        DslAlert(
            school_id="emmanuel-middle",
            check_id=check.id,
            raised_at=first.raised_at + timedelta(minutes=5),
            reason="later alert",
            timeline=[],
            policy_version=first.policy_version,
        )
    )
    session.commit()
    assert len(alert_views(session, "emmanuel-middle", acknowledged=True)) == 2
    log_in(web_app, DSL)
    page = web_app.get("/dsl").text
    assert page.index("later alert") < page.index(first.reason.replace("'", "&#39;"))


def test_the_watchdogs_open_problems_show_on_the_board(
    web_app: TestClient,
    world: dict[str, int],
    session: Session,
    engine: Engine,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    """Nobody has taken the afternoon register by 14:10 (its close plus the grace):
    `attendance watchdog` raises it, and the board shows it as raised, whoever was told."""
    from html import escape

    from typer.testing import CliRunner

    from chase.models import WatchdogAlert
    from cli.main import app
    from school import clock as clock_module

    after_lunch = datetime(2026, 11, 23, 14, 10, tzinfo=UTC)
    monkeypatch.setattr(clock_module.SystemClock, "now", lambda self: after_lunch)
    monkeypatch.setenv("ATTENDANCE_OUTBOX_DIR", str(tmp_path / "outbox"))
    url = engine.url.render_as_string(hide_password=False)
    said = CliRunner().invoke(app, ["--database", url, "watchdog", "--school", "emmanuel-middle"])
    assert said.exit_code == 0, said.output
    raised = session.scalars(select(WatchdogAlert)).all()
    assert raised and {a.kind for a in raised} == {"register_not_taken"}
    log_in(web_app, OFFICE)
    text = web_app.get("/morning").text
    for alert in raised:
        assert f"<strong>Watchdog:</strong> {escape(alert.reason)}" in text
    assert "told Designated Safeguarding Lead" in text

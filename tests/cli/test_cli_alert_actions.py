"""`attendance alert action`: what the DSL did is its own row, shown in `attendance alerts`."""

from __future__ import annotations

import json

from sqlalchemy import select
from sqlmodel import Session, col

from chase.models import DslAlert, Note, SafeguardingAction, WelfareCheck
from cli.main import app
from school.models import Pupil
from tests.cli.test_cli_chase import _alerted_morning, _alerts, _db, flat, runner

DSL = "Dee Safeguard, DSL"


def test_an_action_is_stored_with_its_time_and_shown_since_the_alert(
    session: Session, engine, tmp_path, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    alert = _alerted_morning(session, engine, tmp_path, monkeypatch)
    args = ["alert", "action", str(alert.id), "--kind", "police", "--at", "11:15", "--by", DSL]
    done = runner.invoke(
        app, [*_db(engine), *args, "--note", "PC Smith, ref 42", "--format", "json"]
    )
    assert done.exit_code == 0, done.output
    row = json.loads(done.stdout)["action"]
    assert (row["kind"], row["note"], row["recorded_by"]) == ("police", "PC Smith, ref 42", DSL)
    stored = session.scalars(select(SafeguardingAction)).one()
    assert stored.done_at.isoformat().startswith("2026-11-23T11:15")  # GMT: 11:15 local
    assert all("Police" not in n.text for n in session.scalars(select(Note)))  # not a note
    shown = _alerts(engine, "--all")
    assert "Police informed at 11:15 (recorded by Dee Safeguard, DSL" in shown
    assert "PC Smith, ref 42" in shown
    pupil = session.scalars(select(Pupil).where(col(Pupil.id) == alert_pupil(session, alert))).one()
    exported = runner.invoke(
        app, [*_db(engine), "export-pupil", pupil.upn, "--school", pupil.school_id]
    )
    assert exported.exit_code == 0, exported.output
    assert [a["kind"] for a in json.loads(exported.stdout)["safeguarding_actions"]] == ["police"]


def alert_pupil(session: Session, alert: DslAlert) -> int:
    check = session.get(WelfareCheck, alert.check_id)
    assert check is not None
    return check.pupil_id


def test_a_wrong_kind_time_or_alert_is_a_clear_error(
    session: Session, engine, tmp_path, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    alert = _alerted_morning(session, engine, tmp_path, monkeypatch)
    for kind, at, alert_id, words in (
        ("fire_brigade", "11:15", alert.id, "the action must be one of police"),
        ("police", "quarter past", alert.id, "give the time it was done as HH:MM"),
        ("police", "11:15", 9999, "no alert 9999"),
    ):
        args = ["alert", "action", str(alert_id), "--kind", kind, "--at", at, "--by", DSL]
        refused = runner.invoke(app, [*_db(engine), *args])
        assert refused.exit_code == 1, refused.output
        assert words in flat(refused.output)
    assert session.scalars(select(SafeguardingAction)).all() == []

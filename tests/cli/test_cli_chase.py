"""The chase commands: simulate a morning, read the call list, record outcomes, alerts."""

from __future__ import annotations

import json
import re

from sqlalchemy import select
from sqlmodel import Session, col
from typer.testing import CliRunner

from chase.models import DslAlert, StaffTask
from cli.main import app
from tests.chase_helpers import MONDAY, set_up_morning

runner = CliRunner()


def _db(engine) -> list[str]:  # type: ignore[no-untyped-def]
    return ["--database", engine.url.render_as_string(hide_password=False)]


def flat(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def test_simulated_morning_tasks_outcomes_and_alerts(
    session: Session, engine, tmp_path, monkeypatch
) -> None:
    monkeypatch.setenv("ATTENDANCE_OUTBOX_DIR", str(tmp_path / "outbox"))
    set_up_morning(
        session, "kts-academy", tmp_path, {1: {"year": 10}, 2: {"year": 10, "present": True}}
    )
    result = runner.invoke(
        app, [*_db(engine), "chase", "--school", "kts-academy", "--date", str(MONDAY), "--simulate"]
    )
    assert result.exit_code == 0, result.output
    out = flat(result.stdout)
    assert "09:30 Pupil1 T. (Y10) welfare check opened" in out
    assert "10:30 Pupil1 T. (Y10) DSL ALERT" in out
    assert "Pupil2" not in out

    listed = runner.invoke(
        app, [*_db(engine), "tasks", "--school", "kts-academy", "--date", str(MONDAY)]
    )
    assert listed.exit_code == 0, listed.output
    assert "Parent 1 (mother) +447700901001" in flat(listed.stdout)

    task = session.scalars(select(StaffTask).where(col(StaffTask.kind) == "home_visit")).one()
    done = runner.invoke(
        app,
        [
            *_db(engine),
            "task",
            "done",
            str(task.id),
            "--outcome",
            "visited_child_seen",
            "--by",
            "Jo Bloggs, Deputy Head",
            "--note",
            "Tom at home with dad",
        ],
    )
    assert done.exit_code == 0, done.output
    assert "The check is now confirmed_safe" in flat(done.stdout)

    alerts = runner.invoke(app, [*_db(engine), "alerts", "--school", "kts-academy"])
    assert "not known to be safe" in flat(alerts.stdout)
    alert = session.scalars(select(DslAlert)).one()
    ack = runner.invoke(
        app,
        [
            *_db(engine),
            "alert",
            "ack",
            str(alert.id),
            "--by",
            "Sam Patel, DSL",
            "--note",
            "Seen by the deputy head at home",
        ],
    )
    assert ack.exit_code == 0, ack.output
    session.refresh(alert)
    assert alert.acknowledged_by == "Sam Patel, DSL"
    assert (
        "No alerts waiting"
        in runner.invoke(app, [*_db(engine), "alerts", "--school", "kts-academy"]).stdout
    )


def test_task_outcome_errors_are_clear(session: Session, engine, tmp_path) -> None:
    set_up_morning(session, "kts-academy", tmp_path, {1: {"year": 10}})
    missing = runner.invoke(
        app, [*_db(engine), "task", "done", "999", "--outcome", "no_answer", "--by", "Jo, Office"]
    )
    assert missing.exit_code == 1 and "no task 999" in missing.stderr
    bad = runner.invoke(
        app, [*_db(engine), "task", "done", "1", "--outcome", "shrug", "--by", "Jo, Office"]
    )
    assert bad.exit_code == 2 and "--outcome: 'shrug' is not one of" in flat(bad.stderr)
    nobody = runner.invoke(
        app, [*_db(engine), "task", "done", "1", "--outcome", "no_answer", "--by", "Jo"]
    )
    assert nobody.exit_code == 2 and "Name, Position" in nobody.stderr


def test_outbox_shows_what_was_written(session: Session, engine, tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("ATTENDANCE_OUTBOX_DIR", str(tmp_path / "outbox"))
    set_up_morning(session, "emmanuel-middle", tmp_path, {1: {"year": 7}})
    runner.invoke(
        app,
        [*_db(engine), "chase", "--school", "emmanuel-middle", "--date", str(MONDAY), "--simulate"],
    )
    shown = flat(runner.invoke(app, [*_db(engine), "outbox", "--school", "emmanuel-middle"]).stdout)
    assert "mother (priority 1)" in shown and "Pupil1" in shown
    assert (tmp_path / "outbox" / "sms.jsonl").read_text().count("\n") == 1


def test_a_reason_taken_by_phone_means_no_chase_and_settles_an_open_check(
    session: Session, engine, tmp_path, monkeypatch
) -> None:
    from tests.register_files import upn

    monkeypatch.setenv("ATTENDANCE_OUTBOX_DIR", str(tmp_path / "outbox"))
    set_up_morning(session, "emmanuel-middle", tmp_path, {1: {"year": 7}, 2: {"year": 7}})
    args = [
        "--school",
        "emmanuel-middle",
        "--date",
        str(MONDAY),
        "--by",
        "Pat Jones, Office Manager",
    ]
    before = runner.invoke(
        app,
        [
            *_db(engine),
            "absence",
            "--upn",
            upn(1),
            "--reason",
            "Mum rang: chickenpox",
            "--code",
            "I",
            *args,
        ],
    )
    assert before.exit_code == 0, before.output
    runner.invoke(
        app,
        [*_db(engine), "chase", "--school", "emmanuel-middle", "--date", str(MONDAY), "--simulate"],
    )
    from tests.chase_helpers import check_for

    assert check_for(session, "emmanuel-middle", 1) is None  # reported before 9:00: never chased
    chased = check_for(session, "emmanuel-middle", 2)
    assert chased is not None and chased.state == "dsl_alerted"
    after = runner.invoke(
        app,
        [
            *_db(engine),
            "absence",
            "--upn",
            upn(2),
            "--reason",
            "Dad rang at 10:20: hospital",
            "--code",
            "M",
            *args,
        ],
    )
    assert "1 open welfare check explained" in flat(after.stdout)
    session.refresh(chased)
    assert (chased.state, chased.suggested_code) == ("explained", "M")


def test_call_list_alerts_and_outbox_as_json(
    session: Session, engine, tmp_path, monkeypatch
) -> None:
    monkeypatch.setenv("ATTENDANCE_OUTBOX_DIR", str(tmp_path / "outbox"))
    set_up_morning(session, "kts-academy", tmp_path, {1: {"year": 10}})
    school = ["--school", "kts-academy"]
    runner.invoke(app, [*_db(engine), "chase", *school, "--date", str(MONDAY), "--simulate"])

    def as_json(*args: str) -> dict:  # type: ignore[type-arg]
        result = runner.invoke(app, [*_db(engine), *args, *school, "--format", "json"])
        assert result.exit_code == 0, result.output
        return json.loads(result.stdout)

    tasks = as_json("tasks", "--date", str(MONDAY))
    assert tasks["date"] == str(MONDAY) and tasks["tasks"]
    assert tasks["tasks"][0]["pupil"]["name"] == "Pupil1 Test"
    alerts = as_json("alerts")["alerts"]
    assert [a["pupil"]["year_group"] for a in alerts] == [10]
    assert "not known to be safe" in alerts[0]["reason"]
    assert isinstance(as_json("outbox")["messages"], list)
    assert as_json("duties", "list")["duties"] == []

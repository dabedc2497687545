"""The chase commands: simulate a morning, read the call list, record outcomes, alerts."""

from __future__ import annotations

import asyncio
import json
import re
from datetime import date

from sqlalchemy import select
from sqlmodel import Session, col
from typer.testing import CliRunner

from chase.models import DslAlert, Note, StaffTask
from chase.service import chase_tick
from cli.main import app
from school.clock import FixedClock
from school.models import Pupil
from tests.chase_helpers import MONDAY, fresh_session, loaded, local, set_up_morning
from tests.register_files import upn as upn_of

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
    # Details sit under their task: a wrapped line never starts at column 0 (80 columns).
    lines = listed.stdout.splitlines()
    first = next(i for i, line in enumerate(lines) if line.startswith("#"))
    stray = [line for line in lines[first:] if line and not line.startswith(("#", " ", "Record"))]
    assert stray == []
    assert "  X is one of: answered_explained," in listed.stdout

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
    # Nothing flagged: a sentence, not an empty table.
    flagged = runner.invoke(
        app, [*_db(engine), "outbox", "--school", "emmanuel-middle", "--flagged"]
    )
    assert flagged.stdout.strip() == "Outbox for emmanuel-middle: no messages needing staff."


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


def _alerted_morning(session: Session, engine, tmp_path, monkeypatch) -> DslAlert:  # type: ignore[no-untyped-def]
    """Pupil 1 absent and unreached: by 10:30 the DSL is alerted."""
    monkeypatch.setenv("ATTENDANCE_OUTBOX_DIR", str(tmp_path / "outbox"))
    set_up_morning(session, "kts-academy", tmp_path / "register", {1: {"year": 10}})
    simulated = runner.invoke(
        app, [*_db(engine), "chase", "--school", "kts-academy", "--date", str(MONDAY), "--simulate"]
    )
    assert simulated.exit_code == 0, simulated.output
    return session.scalars(select(DslAlert)).one()


def _alerts(engine, *more: str) -> str:  # type: ignore[no-untyped-def]
    shown = runner.invoke(app, [*_db(engine), "alerts", "--school", "kts-academy", *more])
    assert shown.exit_code == 0, shown.output
    return flat(shown.stdout)


def _task_done(engine, task_id: int, outcome: str, by: str, note: str) -> None:  # type: ignore[no-untyped-def]
    args = ["task", "done", str(task_id), "--outcome", outcome, "--by", by, "--note", note]
    done = runner.invoke(app, [*_db(engine), *args])
    assert done.exit_code == 0, done.output


def test_an_alert_keeps_what_was_known_and_shows_what_happened_since(
    session: Session, engine, tmp_path, monkeypatch
) -> None:
    from tests.register_files import upn, write_marks

    alert = _alerted_morning(session, engine, tmp_path, monkeypatch)
    raised = list(alert.timeline)
    shown = _alerts(engine)
    assert f"policy {alert.policy_version}" in shown and alert.policy_version
    assert "At the alert: 09:30 Check opened" in shown
    assert "Since: nothing recorded." in shown and "SEEN SAFE" not in shown
    assert f"Not yet acknowledged: attendance alert ack {alert.id}" in shown

    call = session.scalars(select(StaffTask).where(col(StaffTask.kind) == "call")).first()
    assert call is not None
    _task_done(engine, call.id, "no_answer", "Jo Bloggs, Office", "rang twice")  # type: ignore[arg-type]
    shown = _alerts(engine)
    since = shown.split("Since:")[1]
    assert "Call: no answer (recorded by Jo Bloggs, Office); rang twice" in since
    assert "SEEN SAFE" not in shown

    # The register says she came in (imported after the chase stopped): seen safe, at the top,
    # and the alert still waits for the DSL.
    write_marks(tmp_path / "register", [[upn(1), str(MONDAY), "AM", "L", "15"]])
    # Her N becomes L: an amendment, so the office says who and why (reg 6).
    imported = runner.invoke(
        app,
        [*_db(engine), "import", "--school", "kts-academy", str(tmp_path / "register"),
         "--by", "Pat Jones, Office", "--reason", "Arrived 09:25, signed in at reception"],
    )  # fmt: skip
    assert imported.exit_code == 0, imported.output
    shown = _alerts(engine)
    assert shown.index("SEEN SAFE since the alert: arrived, marked L") < shown.index(
        "At the alert:"
    )
    assert f"Not yet acknowledged: attendance alert ack {alert.id}" in shown
    session.refresh(alert)
    assert alert.timeline == raised and alert.acknowledged_at is None


def test_a_child_signed_in_after_the_alert_is_seen_safe_with_the_time_and_who_saw_them(
    session: Session, engine, tmp_path, monkeypatch
) -> None:
    """The signing-in book, unlike an imported mark, knows when she came and who saw her in; a
    lunchtime arrival counts for the morning's alert too."""
    from tests.register_files import upn

    alert = _alerted_morning(session, engine, tmp_path, monkeypatch)
    arrived = runner.invoke(
        app,
        [*_db(engine), "arrive", upn(1), "--school", "kts-academy", "--date", str(MONDAY),
         "--at", "12:40", "--by", "Pat Jones, Office"],
    )  # fmt: skip
    assert arrived.exit_code == 0, arrived.output
    shown = _alerts(engine)
    top = "SEEN SAFE since 12:40: Signed in at 12:40 (PM), marked"
    assert top in shown and shown.index(top) < shown.index("At the alert:")
    assert "recorded by Pat Jones, Office" in shown.split("Since:")[1]
    listed = json.loads(
        runner.invoke(
            app, [*_db(engine), "alerts", "--school", "kts-academy", "--format", "json"]
        ).stdout
    )
    (view,) = listed["alerts"]
    assert view["seen_safe"].startswith(top)
    assert any(e["what"].startswith("Signed in at 12:40") for e in view["since"])
    session.refresh(alert)
    assert alert.acknowledged_at is None  # still the DSL's to acknowledge


def test_a_child_confirmed_safe_or_explained_since_the_alert_says_so_at_the_top(
    session: Session, engine, tmp_path, monkeypatch
) -> None:
    _alerted_morning(session, engine, tmp_path, monkeypatch)
    reported = runner.invoke(
        app,
        [*_db(engine), "absence", "--school", "kts-academy", "--upn", upn_of(1), "--date",
         str(MONDAY), "--reason", "Dad rang: at the hospital", "--by", "Pat Jones, Office"],
    )  # fmt: skip
    assert reported.exit_code == 0, reported.output
    shown = _alerts(engine)
    assert re.search(r"EXPLAINED, NOT SEEN since \d\d:\d\d: reported to staff: Dad rang", shown)
    assert "Absence reported (staff, recorded by Pat Jones, Office): Dad rang" in shown

    visit = session.scalars(select(StaffTask).where(col(StaffTask.kind) == "home_visit")).one()
    _task_done(engine, visit.id, "visited_child_seen", "Jo Bloggs, Deputy Head", "Tom at home")  # type: ignore[arg-type]
    shown = _alerts(engine)
    assert re.search(  # seeing the child outranks an explanation
        r"SEEN SAFE since \d\d:\d\d: visited child seen, recorded by Jo Bloggs, Deputy Head", shown
    )
    assert (
        "Home visit: visited child seen (recorded by Jo Bloggs, Deputy Head); Tom at home"
        in (shown.split("Since:")[1])
    )


def test_a_home_visit_that_sees_the_child_is_seen_safe_since_it_was_recorded(
    session: Session, engine, tmp_path, monkeypatch
) -> None:
    _alerted_morning(session, engine, tmp_path, monkeypatch)
    visit = session.scalars(select(StaffTask).where(col(StaffTask.kind) == "home_visit")).one()
    _task_done(engine, visit.id, "visited_child_seen", "Jo Bloggs, Deputy Head", "Tom at home")  # type: ignore[arg-type]
    shown = _alerts(engine)
    assert re.search(
        r"SEEN SAFE since \d\d:\d\d: confirmed safe by Jo Bloggs, Deputy Head: home_visit", shown
    )
    assert "No alerts waiting" not in shown  # not silently closed: the DSL still acknowledges


def test_later_outcomes_and_acknowledgements_add_notes_never_overwrite(
    session: Session, engine, tmp_path, monkeypatch
) -> None:
    alert = _alerted_morning(session, engine, tmp_path, monkeypatch)
    call = session.scalars(select(StaffTask).where(col(StaffTask.kind) == "call")).first()
    assert call is not None
    _task_done(engine, call.id, "no_answer", "Jo Bloggs, Office", "rang at 10:35")  # type: ignore[arg-type]
    _task_done(engine, call.id, "voicemail_left", "Ann Lee, Office", "left a message at 11:00")  # type: ignore[arg-type]
    listed = runner.invoke(
        app, [*_db(engine), "tasks", "--school", "kts-academy", "--date", str(MONDAY), "--all"]
    )
    assert listed.exit_code == 0, listed.output
    history = flat(listed.stdout)
    first = history.index("no answer (recorded by Jo Bloggs, Office); rang at 10:35")
    assert first < history.index(
        "voicemail left (recorded by Ann Lee, Office); left a message at 11:00"
    )

    for by, note in (("Sam Patel, DSL", "Police informed"), ("Alex Khan, Deputy DSL", "Seen")):
        ack = runner.invoke(
            app, [*_db(engine), "alert", "ack", str(alert.id), "--by", by, "--note", note]
        )
        assert ack.exit_code == 0, ack.output
    session.refresh(alert)
    assert alert.acknowledged_by == "Sam Patel, DSL"  # the acknowledgement stays as given
    shown = _alerts(engine, "--all")
    assert "DSL alert: acknowledged (recorded by Sam Patel, DSL); Police informed" in shown
    assert "DSL alert: note by Alex Khan, Deputy DSL: Seen" in shown
    assert "Acknowledged by Sam Patel, DSL at" in shown
    with fresh_session(engine) as fresh:
        texts = [n.text for n in fresh.scalars(select(Note).order_by(col(Note.id)))]
    assert [t for t in texts if not t.startswith("not needed")] == [
        "rang at 10:35",
        "left a message at 11:00",
        "Police informed",
        "Seen",
    ]


def test_no_register_no_chase_one_alert_per_year_group_then_the_pick_up(
    session: Session, engine, tmp_path, monkeypatch
) -> None:
    """The day the register was never imported: no checks, no messages, an alert per year group
    shown in `alerts` and `tasks`; the marks arrive and the next tick chases the absentees."""
    from chase.models import RegisterAlert, WelfareCheck
    from notifications.models import OutboxMessage
    from tests.register_files import upn, write_marks

    monkeypatch.setenv("ATTENDANCE_OUTBOX_DIR", str(tmp_path / "outbox"))
    pupils = {n: {"year": 5 + n % 4} for n in range(1, 41)}  # ten in each of Years 5-8
    set_up_morning(session, "emmanuel-middle", tmp_path, pupils, register=False)
    once = [*_db(engine), "chase", "--school", "emmanuel-middle", "--date", str(MONDAY), "--once"]
    for _ in range(2):  # the alert is stored once, however many ticks
        ticked = runner.invoke(app, once)
        assert ticked.exit_code == 0, ticked.output
    assert "opened 0" in ticked.stdout
    assert "AM register not taken for Year 7: 10 pupils, 09:00" in flat(ticked.stdout)
    assert session.scalars(select(WelfareCheck)).all() == []
    assert session.scalars(select(OutboxMessage)).all() == []
    raised = session.scalars(select(RegisterAlert)).all()
    # The day is past, so the afternoon's registers are missing too: one alert per session.
    assert sorted((a.session, a.year_group) for a in raised) == [
        (s, y) for s in ("AM", "PM") for y in (5, 6, 7, 8)
    ]

    shown = flat(runner.invoke(app, [*_db(engine), "alerts", "--school", "emmanuel-middle"]).stdout)
    for year in (5, 6, 7, 8):
        assert f"AM register not taken for Year {year}: 10 pupils, 09:00" in shown
    listed = runner.invoke(
        app, [*_db(engine), "tasks", "--school", "emmanuel-middle", "--date", str(MONDAY)]
    )
    assert "AM register not taken for Year 8: 10 pupils, 09:00" in flat(listed.stdout)

    # Year 7's register comes in (one pupil absent, no reason yet); the others are still missing.
    year7 = [n for n, p in pupils.items() if p["year"] == 7]
    absent = year7[0]
    write_marks(
        tmp_path, [[upn(n), str(MONDAY), "AM", "N" if n == absent else "/", ""] for n in year7]
    )
    marks = str(tmp_path / "marks.csv")
    imported = runner.invoke(
        app, [*_db(engine), "import", "--school", "emmanuel-middle", "--marks", marks]
    )
    assert imported.exit_code == 0, imported.output
    picked = runner.invoke(app, once)
    assert "opened 1" in picked.stdout
    checks = session.scalars(select(WelfareCheck)).all()
    assert [c.pupil_id for c in checks] == [
        session.scalars(select(Pupil).where(col(Pupil.upn) == upn(absent))).one().id
    ]
    assert session.scalars(select(DslAlert)).all() == []  # the chase starts now, not at 10:00
    everything = flat(
        runner.invoke(app, [*_db(engine), "alerts", "--school", "emmanuel-middle", "--all"]).stdout
    )
    assert "resolved" in everything and "AM register not taken for Year 7" in everything
    alerts = [*_db(engine), "alerts", "--school", "emmanuel-middle"]
    waiting = flat(runner.invoke(app, alerts).stdout)
    assert "AM register not taken for Year 7" not in waiting
    assert "AM register not taken for Year 6" in waiting


def test_a_non_school_day_opens_nothing_and_alerts_nobody(
    session: Session, engine, tmp_path
) -> None:
    from chase.models import RegisterAlert

    inset = "2026-11-02"  # a closure in the calendar
    set_up_morning(session, "emmanuel-middle", tmp_path, {1: {"year": 7}}, register=False)
    for day in (inset, "2026-11-21"):  # and a Saturday
        ticked = runner.invoke(
            app, [*_db(engine), "chase", "--school", "emmanuel-middle", "--date", day, "--once"]
        )
        assert ticked.exit_code == 2 and "is not a school day" in ticked.output
        # Below the door too: a tick on that day (a schedule, a script) opens nothing.
        on = date.fromisoformat(day)
        clock = FixedClock(local(on, "10:30"))
        result = asyncio.run(chase_tick(engine, loaded(engine, "emmanuel-middle"), on, clock, {}))
        assert (result.opened, result.steps) == (0, 0)
    assert session.scalars(select(RegisterAlert)).all() == []


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

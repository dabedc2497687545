"""The watchdog through its door (`attendance watchdog`, `attendance alerts`): each kind of
problem found, raised once to the attendance lead (or the DSL), and resolved when it clears."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select, update
from sqlmodel import Session, col

from chase.models import RegisterAlert, WatchdogAlert, WelfareCheck
from chase.service import chase_tick
from notifications.message import Delivery
from notifications.models import OutboxMessage
from school.clock import FixedClock
from school.policy_files import bundled_policy, load_policy
from school.register_import import RegisterFiles, import_register
from school.schools import set_up_school
from tests.chase_helpers import MONDAY, channels, check_for, loaded, local, mobile, set_up_morning
from tests.cli.test_cli_output import Door
from tests.conftest import CALENDAR
from tests.register_files import upn, write_marks

SCHOOL = "emmanuel-middle"  # AM register closes 09:00; steps at 09:00, 09:30 and 10:00
TUESDAY = MONDAY + timedelta(days=1)
LEAD = ('attendance_lead = { role = "Attendance Lead", name = "Ann Lee", '
        'email = "lead@example.sch.uk", mobile = "+447700900123" }\n')  # fmt: skip
OFFICE = ("--by", "Jo Office, Receptionist")


class Now:
    """The wall clock every command reads, moved on by the test."""

    at = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.fixture(autouse=True)
def wall_clock(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    from school import clock as clock_module

    monkeypatch.setattr(clock_module.SystemClock, "now", lambda self: Now.at)
    monkeypatch.setenv("COLUMNS", "80")
    monkeypatch.setenv("ATTENDANCE_OUTBOX_DIR", str(tmp_path / "outbox"))
    for key in ("TWILIO_ACCOUNT_SID", "SMTP_HOST"):
        monkeypatch.delenv(key, raising=False)
    yield


def watch(engine: Engine, at: datetime) -> dict[str, Any]:
    """`attendance watchdog --school emmanuel-middle --format json` at `at`: the school's part."""
    Now.at = at
    [school] = Door(engine).json("watchdog", "--school", SCHOOL)["schools"]
    return dict(school)


def watch_said(engine: Engine, at: datetime) -> str:
    """The same for a person (checked to fit 80 columns), flattened to one line."""
    Now.at = at
    return str(Door(engine).table("watchdog", "--school", SCHOOL))


def tick(engine: Engine, at: datetime, on: date = MONDAY, **failing: Delivery) -> None:
    sending = channels()
    for channel in sending.values():
        channel.fail = dict(failing)
    asyncio.run(chase_tick(engine, loaded(engine, SCHOOL), on, FixedClock(at), sending))


def with_lead(session: Session, tmp_path: Path) -> None:
    """The school's policy with an attendance lead who has a mobile and an email."""
    text = bundled_policy(SCHOOL).read_text(encoding="utf-8")
    path = tmp_path / "policy.toml"
    path.write_text(text.replace("[safeguarding]\n", "[safeguarding]\n" + LEAD), encoding="utf-8")
    set_up_school(session, SCHOOL, load_policy(path), CALENDAR.read_text(), "calendar.toml",
                  FixedClock(datetime(2026, 1, 1, tzinfo=UTC)))  # fmt: skip
    session.commit()


def to_lead(session: Session) -> list[tuple[str, str, str]]:
    session.expire_all()
    rows = session.scalars(
        select(OutboxMessage)
        .where(col(OutboxMessage.template) == "watchdog_alert")
        .order_by(col(OutboxMessage.id))
    )
    return [(m.channel, m.to, m.status) for m in rows]


def claimed_by_a_dead_run(session: Session, message: OutboxMessage, at: datetime) -> None:
    """As a run leaves a message when it dies after claiming it, before its send started."""
    session.execute(
        update(OutboxMessage).where(col(OutboxMessage.id) == message.id)
        .values(status="sending", claimed_at=at, claim_token="dead-run", send_started_at=None,
                attempts=message.attempts + 1)
    )  # fmt: skip
    session.commit()


def reasons(shown: dict[str, Any], key: str = "problems") -> list[str]:
    return [p["reason"] for p in shown[key]]


def test_a_late_step_is_raised_once_to_the_lead_and_resolved_when_it_runs(
    session: Session, engine: Engine, tmp_path: Path
) -> None:
    pupils = {1: {"year": 7}, 2: {"year": 7}, 3: {"year": 7, "present": True}}
    set_up_morning(session, SCHOOL, tmp_path, pupils)
    with_lead(session, tmp_path)
    tick(engine, local(MONDAY, "09:00"))  # messages sent, calls raised; next step 09:30
    assert watch(engine, local(MONDAY, "09:31"))["counts"]["found"] == 0  # a minute: not late

    first = watch(engine, local(MONDAY, "09:31") + timedelta(seconds=1))
    assert first["counts"] == {"found": 2, "new": 2, "already_raised": 0, "cleared": 0, "sent": 4}
    assert first["told"] == "Ann Lee (Attendance Lead)"
    assert [p["kind"] for p in first["problems"]] == ["step_late", "step_late"]
    assert reasons(first) == [
        f"Pupil{n} T., Year 7: the morning check of Mon 23 Nov: step 4 (reasonable steps, "
        "due Mon 23 Nov 09:30) has not run: 1 min late"
        for n in (1, 2)
    ]
    sent = [("sms", "+447700900123", "sent"), ("email", "lead@example.sch.uk", "sent")] * 2
    assert to_lead(session) == sent

    again = watch(engine, local(MONDAY, "09:35"))  # still late: raised already, nobody told again
    assert again["counts"] == {"found": 2, "new": 0, "already_raised": 2, "cleared": 0, "sent": 0}
    assert reasons(again) == reasons(first)  # as raised, not recomputed
    assert to_lead(session) == sent
    said = watch_said(engine, local(MONDAY, "09:35"))
    assert said.startswith("Emmanuel Middle School, checked 09:35: 2 problems (0 new, 2 already")
    assert "raised 09:31: Pupil1 T., Year 7" in said and "go to Ann Lee (Attendance Lead)" in said

    tick(engine, local(MONDAY, "09:36"))  # the chase runs the step
    cleared = watch(engine, local(MONDAY, "09:37"))
    assert cleared["counts"] == {"found": 0, "new": 0, "already_raised": 0, "cleared": 2, "sent": 0}
    assert {p["resolution"] for p in cleared["cleared"]} == {
        "cleared: the check is reasonable steps, next step due Mon 23 Nov 10:00"
    }
    door = Door(engine)
    assert door.json("alerts", "--school", SCHOOL)["watchdog_alerts"] == []
    everything = door.json("alerts", "--school", SCHOOL, "--all")["watchdog_alerts"]
    assert [(a["reason"], a["resolved_at"] is not None) for a in everything] == [
        (reason, True) for reason in reasons(first)
    ]
    assert "Watchdog alert" in door.table("alerts", "--school", SCHOOL, "--all")
    # A subject access request for pupil 1 holds the alert about pupil 1's check, not pupil 2's.
    held = door.json("export-pupil", upn(1), "--school", SCHOOL)["watchdog_alerts"]
    assert [a["reason"] for a in held] == reasons(first)[:1]

    # The 10:00 step missed as well: a new problem, raised and told once more.
    later = watch(engine, local(MONDAY, "10:02"))
    assert later["counts"]["new"] == 2
    assert all("step 5 (alert dsl, due Mon 23 Nov 10:00)" in r for r in reasons(later))
    assert len(to_lead(session)) == 8


def test_an_open_check_with_no_next_step_goes_to_the_dsl_without_a_lead(
    session: Session, engine: Engine, tmp_path: Path
) -> None:
    set_up_morning(session, SCHOOL, tmp_path, {1: {"year": 7}, 2: {"year": 8}})
    tick(engine, local(MONDAY, "09:00"))
    stalled = check_for(session, SCHOOL, 1)
    assert stalled is not None
    # A fault: the check is still being chased but nothing will ever wake it.
    session.execute(update(WelfareCheck).where(col(WelfareCheck.id) == stalled.id)
                    .values(next_due_at=None))  # fmt: skip
    session.commit()

    found = watch(engine, local(MONDAY, "09:05"))
    assert found["told"] == "Designated Safeguarding Lead"  # no attendance lead in this policy
    assert [(p["kind"], p["check_id"]) for p in found["problems"]] == [("no_deadline", stalled.id)]
    assert reasons(found) == [
        "Pupil1 T., Year 7: the morning check of Mon 23 Nov is open (calling others) with no "
        "next step due, so the chase will never move it on"
    ]
    assert to_lead(session) == []  # the seed's DSL has no number or address: shown, not sent
    shown = Door(engine).table("alerts", "--school", SCHOOL)
    assert "Watchdog alert" in shown and "Pupil1 T., Year 7" in shown

    Now.at = local(MONDAY, "09:10")
    Door(engine).run("absence", "--school", SCHOOL, "--upn", upn(1), "--date", str(MONDAY),
                     "--reason", "Ill, back tomorrow", *OFFICE, "--session", "AM")  # fmt: skip
    tick(engine, local(MONDAY, "09:11"))
    cleared = watch(engine, local(MONDAY, "09:12"))
    assert [p["resolution"] for p in cleared["cleared"]] == ["cleared: the check is explained"]
    assert cleared["counts"]["found"] == 0


def test_messages_stuck_pending_or_sending_are_found_and_clear_when_the_outbox_moves(
    session: Session, engine: Engine, tmp_path: Path
) -> None:
    set_up_morning(session, SCHOOL, tmp_path, {1: {"year": 7}, 2: {"year": 7}})
    with_lead(session, tmp_path)
    # Parent 1's text fails for now (retried from 09:00:15); parent 2's email too, and the run
    # that claimed it again dies holding the claim.
    tick(engine, local(MONDAY, "09:00"), **{mobile(1): Delivery.TRANSIENT,
                                            "parent2@example.org": Delivery.TRANSIENT})  # fmt: skip
    waiting = {
        m.to: m for m in session.scalars(
            select(OutboxMessage).where(col(OutboxMessage.status) == "pending"))
    }  # fmt: skip
    assert sorted(waiting) == sorted([mobile(1), "parent2@example.org"])
    text, email = waiting[mobile(1)], waiting["parent2@example.org"]
    # Before two missed ticks have passed (10 minutes), nothing yet.
    assert watch(engine, local(MONDAY, "09:10"))["counts"]["found"] == 0
    # A run claimed parent 2's email at 09:00:20 and died before sending it.
    claimed_by_a_dead_run(session, email, local(MONDAY, "09:00") + timedelta(seconds=20))

    found = watch(engine, local(MONDAY, "09:11"))
    by_message = {p["message_id"]: (p["kind"], p["reason"]) for p in found["problems"]}
    assert by_message == {
        text.id: ("outbox_stuck", f"Message {text.id} (sms to mother (priority 1), about "
                  "Pupil1 T., Year 7) due to send at Mon 23 Nov 09:00 has not been sent: "
                  "10 min late"),
        email.id: ("outbox_stuck", f"Message {email.id} (email to mother (priority 1), about "
                   "Pupil2 T., Year 7) claimed for sending at Mon 23 Nov 09:00 and never "
                   "settled: 10 min late"),
    }  # fmt: skip
    assert found["counts"]["sent"] == 4  # the lead's texts and emails, sent now
    session.expire_all()
    # The watchdog sends only its own messages: the parents' wait for the chase. Its send
    # settles the dead run's claim, as any run does: provably never sent, so pending again.
    assert session.get(OutboxMessage, text.id).status == "pending"  # type: ignore[union-attr]
    assert session.get(OutboxMessage, email.id).status == "pending"  # type: ignore[union-attr]

    moved = watch(engine, local(MONDAY, "09:12"))
    assert [p["resolution"] for p in moved["cleared"]] == ["cleared: the message is now pending"]
    assert moved["counts"] == {"found": 2, "new": 1, "already_raised": 1, "cleared": 1, "sent": 2}
    waiting_again = [p for p in moved["problems"] if p["new"]]
    assert [p["message_id"] for p in waiting_again] == [email.id]  # pending again, stuck again
    assert waiting_again[0]["reason"].endswith("has not been sent: 11 min late")

    tick(engine, local(MONDAY, "09:13"))  # the chase is back: it sends them
    cleared = watch(engine, local(MONDAY, "09:14"))
    assert cleared["counts"]["found"] == 0
    assert [p["resolution"] for p in cleared["cleared"]] == ["cleared: the message is now sent"] * 2
    assert len(to_lead(session)) == 6


def test_a_register_not_taken_is_raised_at_the_guards_moment_and_clears_when_it_comes_in(
    session: Session, engine: Engine, tmp_path: Path
) -> None:
    set_up_morning(session, SCHOOL, tmp_path, {n: {"year": 7} for n in range(1, 5)},
                   register=False)  # fmt: skip
    assert watch(engine, local(MONDAY, "09:09"))["counts"]["found"] == 0  # the policy's grace
    found = watch(engine, local(MONDAY, "09:10"))
    assert [p["kind"] for p in found["problems"]] == ["register_not_taken"]
    assert reasons(found) == ["Mon 23 Nov: AM register not taken for Year 7: 4 pupils, 09:00"]
    tick(engine, local(MONDAY, "09:10"))  # the guard's own alert says the same
    guard = session.scalars(select(RegisterAlert)).one()
    assert reasons(found) == [f"Mon 23 Nov: {guard.reason}"]

    # Still not in the next morning: still open, from Monday, and not raised again; Monday's
    # afternoon register, never taken either, is looked at on Monday's day too.
    tuesday = watch(engine, local(TUESDAY, "07:00"))
    assert [(p["reason"], p["new"]) for p in tuesday["problems"]] == [
        ("Mon 23 Nov: AM register not taken for Year 7: 4 pupils, 09:00", False),
        ("Mon 23 Nov: PM register not taken for Year 7: 4 pupils, 14:00", True),
    ]
    present = (("AM", "/"), ("PM", "\\"))
    write_marks(tmp_path, [[upn(n), MONDAY.isoformat(), s, code, ""]
                           for n in range(1, 5) for s, code in present])  # fmt: skip
    import_register(session, SCHOOL, RegisterFiles(marks=tmp_path / "marks.csv"),
                    FixedClock(local(TUESDAY, "07:05")))  # fmt: skip
    cleared = watch(engine, local(TUESDAY, "07:10"))
    assert [p["resolution"] for p in cleared["cleared"]] == ["cleared: the register is taken"] * 2
    assert cleared["counts"]["found"] == 0
    stored = session.scalars(select(WatchdogAlert)).all()
    assert [a.resolved_at for a in stored] == [local(TUESDAY, "07:10")] * 2


def test_every_school_by_default_and_clear_errors(
    session: Session, engine: Engine, tmp_path: Path
) -> None:
    door = Door(engine)
    Now.at = local(MONDAY, "09:10")
    assert "no school is set up" in door.run("watchdog", code=1).output
    set_up_morning(session, SCHOOL, tmp_path / "a", {1: {"year": 7}}, register=False)
    set_up_morning(session, "kts-academy", tmp_path / "b", {1: {"year": 10}})
    shown = door.json("watchdog")
    assert [s["school"] for s in shown["schools"]] == ["emmanuel-middle", "kts-academy"]
    said = door.table("watchdog")
    assert "Emmanuel" in said and "KTS Academy" in said
    assert "no school 'nowhere'" in door.run("watchdog", "--school", "nowhere", code=2).output


@pytest.mark.parametrize(
    ("lead", "expected"),
    [
        ('{ role = "Attendance Lead", mobile = "01202 828100" }',
         "safeguarding.attendance_lead.mobile: '01202 828100' is not a mobile number"),
        ('{ role = "Attendance Lead", email = "lead at school" }',
         "safeguarding.attendance_lead.email: 'lead at school' is not an email address"),
        ('{ name = "Ann Lee" }', "safeguarding.attendance_lead.role"),
        ('{ role = "Attendance Lead", phone = "07700 900123" }',
         "safeguarding.attendance_lead.phone"),
    ],
    ids=["landline", "email", "no-role", "unknown-key"],
)  # fmt: skip
def test_the_attendance_lead_in_the_policy_is_checked_like_the_dsl(
    lead: str, expected: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.cli.test_cli_policy_hostile import (
        DSL,
        EMMANUEL,
        assert_clear_refusal,
        check,
        replaced,
    )

    monkeypatch.chdir(tmp_path)  # `policy check` is given a short relative name
    path = replaced(EMMANUEL, DSL, f"{DSL}\nattendance_lead = {lead}", tmp_path)
    result = check(path)
    assert_clear_refusal(result, path)
    assert expected in " ".join(result.stderr.split())
    good = replaced(EMMANUEL, DSL, f"{DSL}\nattendance_lead = {LEAD.split(' = ', 1)[1]}", tmp_path)
    assert check(good).exit_code == 0


def test_two_watchdogs_at_once_raise_a_problem_once(
    session: Session, engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two runs at the same moment (a cron line and a Prefect run), both having found the same
    late steps before either stores them: each problem is raised and told once, and neither
    run fails."""
    import threading

    from chase.watchdog.service import watchdog_tick
    from school import checkpoints

    set_up_morning(session, SCHOOL, tmp_path, {1: {"year": 7}, 2: {"year": 8}})
    with_lead(session, tmp_path)
    tick(engine, local(MONDAY, "09:00"))
    both_found = threading.Barrier(2, timeout=30)

    def wait_for_the_other(name: str) -> None:
        if name == checkpoints.WATCHDOG_FOUND:
            both_found.wait()

    monkeypatch.setattr(checkpoints, "reached", wait_for_the_other)
    school = loaded(engine, SCHOOL)
    runs: list[Any] = []
    failures: list[BaseException] = []

    def look() -> None:
        try:
            clock = FixedClock(local(MONDAY, "09:35"))
            runs.append(asyncio.run(watchdog_tick(engine, school, clock, channels())))
        except BaseException as exc:  # reported below, with the run that failed
            failures.append(exc)

    threads = [threading.Thread(target=look) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not failures, failures
    assert sorted(len(run.new) for run in runs) == [0, 2]
    assert all(len(run.problems) == 2 for run in runs)
    assert len(session.scalars(select(WatchdogAlert)).all()) == 2
    assert len(to_lead(session)) == 4  # a text and an email per problem, once


def test_a_problem_that_clears_and_comes_back_is_shown_again_not_told_again(
    session: Session, engine: Engine, tmp_path: Path
) -> None:
    set_up_morning(session, SCHOOL, tmp_path, {1: {"year": 7}})
    with_lead(session, tmp_path)
    tick(engine, local(MONDAY, "09:00"), **{mobile(1): Delivery.TRANSIENT})
    text = session.scalars(select(OutboxMessage).where(col(OutboxMessage.to) == mobile(1))).one()
    assert watch(engine, local(MONDAY, "09:11"))["counts"]["new"] == 1
    # A run claims the text at 09:11:30 and dies before sending it.
    claimed_by_a_dead_run(session, text, local(MONDAY, "09:11") + timedelta(seconds=30))
    moved = watch(engine, local(MONDAY, "09:12"))
    assert [p["resolution"] for p in moved["cleared"]] == ["cleared: the message is now sending"]
    watch(engine, local(MONDAY, "09:13"))  # its send settles the dead claim: pending again
    back = watch(engine, local(MONDAY, "09:14"))
    assert back["counts"] == {"found": 1, "new": 0, "already_raised": 1, "cleared": 0, "sent": 0}
    assert back["problems"][0]["resolved_at"] is None
    assert len(to_lead(session)) == 2  # one text and one email, at 09:11 only

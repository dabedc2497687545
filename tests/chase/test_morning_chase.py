"""The morning chase: each seed school's procedure in order and on time, and what moves it."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import func, select
from sqlmodel import Session, col

from chase.models import DslAlert, ReportedAbsence, StaffTask, WelfareCheck, WelfareCheckEvent
from chase.responses import handle_reply, record_task_outcome
from chase.service import chase_tick
from chase.simulation import Scripted, simulate_morning
from notifications.message import Delivery
from notifications.models import OutboxMessage
from school.clock import FixedClock
from school.models import AttendanceMark, Pupil
from tests.chase_helpers import (
    MONDAY,
    channels,
    check_for,
    loaded,
    local,
    mobile,
    set_up_morning,
    step_times,
)
from tests.conftest import CALENDAR
from tests.register_files import upn

OPEN = "open"
# (school, year group of the pupil chased) -> every step of a non-vulnerable pupil's morning,
# written out by hand from the seed policy files (spec §6).
SEED_MORNINGS = {
    ("emmanuel-middle", 7): [
        ("09:00", OPEN), ("09:00", "message_parents"), ("09:00", "call_primary"),
        ("09:00", "call_others"), ("09:30", "reasonable_steps"), ("10:00", "alert_dsl"),
    ],
    ("st-john-bosco", 3): [
        ("08:50", OPEN), ("08:50", "message_parents"), ("08:50", "call_primary"),
        ("09:05", "call_others"), ("09:20", "reasonable_steps"), ("09:50", "alert_dsl"),
    ],
    # Basildon: first-day calling 30 minutes after the 8:30 reporting deadline...
    ("basildon-lower", 9): [
        ("08:45", OPEN), ("09:00", "message_parents"), ("09:00", "call_primary"),
        ("09:15", "call_others"), ("09:30", "reasonable_steps"), ("10:00", "alert_dsl"),
    ],
    # ... but not before a Year 7's register closes at 9:15.
    ("basildon-lower", 7): [
        ("09:15", OPEN), ("09:15", "message_parents"), ("09:15", "call_primary"),
        ("09:45", "call_others"), ("10:00", "reasonable_steps"), ("10:30", "alert_dsl"),
    ],
    ("micklefield", 3): [
        ("09:25", OPEN), ("09:25", "call_primary"), ("09:40", "call_others"),
        ("09:55", "reasonable_steps"), ("10:25", "alert_dsl"),
    ],
    # KTS: parent deadline 9:00, register close 9:30, welfare visit if nobody can be reached.
    ("kts-academy", 10): [
        ("09:30", OPEN), ("09:30", "call_primary"), ("09:45", "call_others"),
        ("10:15", "reasonable_steps"), ("10:30", "alert_dsl"),
    ],
}  # fmt: skip


@pytest.mark.parametrize(("school_id", "year"), list(SEED_MORNINGS), ids=lambda v: str(v))
def test_seed_school_morning_runs_as_written(
    session: Session, engine, tmp_path, school_id: str, year: int
) -> None:
    pupils = {
        1: {"year": year},
        2: {"year": year, "flags": "social_worker"},
        3: {"year": year, "present": True},
    }
    set_up_morning(session, school_id, tmp_path, pupils)
    sent = channels()
    timeline = asyncio.run(simulate_morning(engine, loaded(engine, school_id), MONDAY, sent))

    chased = check_for(session, school_id, 1)
    assert chased is not None and chased.state == "dsl_alerted"
    assert step_times(session, chased) == SEED_MORNINGS[school_id, year]
    assert check_for(session, school_id, 3) is None  # present: never chased
    vulnerable = check_for(session, school_id, 2)
    assert vulnerable is not None and vulnerable.vulnerable
    # Vulnerable pupils are handled first: their first step is written before anyone else's.
    steps = select(WelfareCheckEvent).where(col(WelfareCheckEvent.trigger) != OPEN)
    first_steps = session.scalars(steps.order_by(col(WelfareCheckEvent.id))).first()
    assert first_steps is not None and first_steps.check_id == vulnerable.id
    # The social worker is told at once, when the check opens.
    told = session.scalars(
        select(StaffTask).where(col(StaffTask.kind) == "notify_social_worker")
    ).one()
    assert told.check_id == vulnerable.id and told.created_at == vulnerable.opened_at
    # Texts go to the parent only where the school's procedure texts parents.
    texts_parents = any(t == "message_parents" for _, t in SEED_MORNINGS[school_id, year])
    assert (mobile(1) in sent["sms"].recipients) is texts_parents
    assert all(count == 1 for count in sent["sms"].sent.values())
    alert = session.scalars(select(DslAlert).where(col(DslAlert.check_id) == chased.id)).one()
    assert alert.timeline and alert.timeline[0]["what"].startswith("Check opened")
    assert any(h.kind == "alert" for h in timeline)


def test_a_reply_explains_the_check_and_covers_the_afternoon(session, engine, tmp_path) -> None:
    set_up_morning(session, "emmanuel-middle", tmp_path, {1: {"year": 7}})
    script = [Scripted(time(9, 7), "reply", upn(1), text="Sorry, she's got a temperature")]
    asyncio.run(
        simulate_morning(engine, loaded(engine, "emmanuel-middle"), MONDAY, channels(), script)
    )
    check = check_for(session, "emmanuel-middle", 1)
    assert check is not None
    assert (check.state, check.suggested_code) == ("explained", "I")
    assert step_times(session, check)[-1] == ("09:07", "explain")
    reported = session.scalars(
        select(ReportedAbsence.session).where(col(ReportedAbsence.pupil_id) == check.pupil_id)
    )
    assert sorted(reported) == ["AM", "PM"]
    open_tasks = session.scalar(select(func.count()).where(col(StaffTask.state) == "open"))
    assert open_tasks == 0  # the calls no longer needed are closed, not left on the list


def test_a_reply_that_the_parent_did_not_know_alerts_the_dsl_at_once(
    session, engine, tmp_path
) -> None:
    set_up_morning(session, "emmanuel-middle", tmp_path, {1: {"year": 7}})
    script = [Scripted(time(9, 4), "reply", upn(1), text="What? He left for school at 8")]
    asyncio.run(
        simulate_morning(engine, loaded(engine, "emmanuel-middle"), MONDAY, channels(), script)
    )
    check = check_for(session, "emmanuel-middle", 1)
    assert check is not None and check.state == "dsl_alerted"
    assert ("09:04", "alert_dsl") in step_times(session, check)
    alert = session.scalars(select(DslAlert)).one()
    assert "did not know" in alert.reason


def test_arrival_closes_the_check_with_its_mark(session, engine, tmp_path) -> None:
    set_up_morning(session, "emmanuel-middle", tmp_path, {1: {"year": 7}})
    script = [Scripted(time(9, 20), "arrival", upn(1), code="U")]
    asyncio.run(
        simulate_morning(engine, loaded(engine, "emmanuel-middle"), MONDAY, channels(), script)
    )
    check = check_for(session, "emmanuel-middle", 1)
    assert check is not None and check.state == "explained"
    assert check.outcome is not None and check.outcome.startswith("arrived U")
    assert step_times(session, check)[-1] == ("09:20", "explain")
    assert session.scalar(select(func.count()).select_from(DslAlert)) == 0


def test_an_answered_call_settles_the_check_and_no_answer_moves_on(
    session, engine, tmp_path
) -> None:
    set_up_morning(session, "kts-academy", tmp_path, {1: {"year": 10}, 2: {"year": 10}})
    script = [
        Scripted(time(9, 35), "call_outcome", upn(1), code="answered_reason_to_follow"),
        Scripted(time(9, 36), "call_outcome", upn(2), code="no_answer"),
    ]
    asyncio.run(simulate_morning(engine, loaded(engine, "kts-academy"), MONDAY, channels(), script))
    safe = check_for(session, "kts-academy", 1)
    assert safe is not None and safe.state == "confirmed_safe"
    unreached = check_for(session, "kts-academy", 2)
    assert unreached is not None
    # No answer from the primary contact: the other contacts are called at once, not at 9:45.
    assert ("09:36", "call_others") in step_times(session, unreached)


def test_a_reply_before_register_close_means_no_check(session, engine, tmp_path) -> None:
    """KTS: the parent texts at 9:05, before the 9:30 close: nothing to chase for that child."""
    set_up_morning(session, "kts-academy", tmp_path, {1: {"year": 10}, 2: {"year": 10}})
    clock = FixedClock(local(MONDAY, "09:05"))
    handle_reply(session, "SMbefore", mobile(1), "Tom is being sick, keeping him off", clock)
    clock.at = local(MONDAY, "09:31")
    asyncio.run(chase_tick(engine, loaded(engine, "kts-academy"), MONDAY, clock, channels()))
    assert check_for(session, "kts-academy", 1) is None
    assert check_for(session, "kts-academy", 2) is not None


def test_permanent_failure_moves_to_the_next_contact_then_the_next_step(
    session, engine, tmp_path
) -> None:
    set_up_morning(session, "emmanuel-middle", tmp_path, {1: {"year": 7, "second_contact": True}})
    sent = channels()
    sent["sms"].fail = {mobile(1): Delivery.PERMANENT, mobile(1, 2): Delivery.PERMANENT}
    sent["email"].fail = {"parent1@example.org": Delivery.PERMANENT}
    clock = FixedClock(local(MONDAY, "08:59"))
    # A policy whose first call is later than the text, so "brought forward" is visible.
    asyncio.run(chase_tick(engine, loaded(engine, "emmanuel-middle"), MONDAY, clock, sent))
    clock.at = local(MONDAY, "09:00")
    asyncio.run(chase_tick(engine, loaded(engine, "emmanuel-middle"), MONDAY, clock, sent))
    asyncio.run(chase_tick(engine, loaded(engine, "emmanuel-middle"), MONDAY, clock, sent))
    # The grandmother (not a parent, so not in the first message) was tried next, once.
    assert sent["sms"].recipients.count(mobile(1)) == 1
    assert sent["sms"].recipients.count(mobile(1, 2)) == 1
    messages = session.scalars(select(OutboxMessage)).all()
    assert {m.status for m in messages} == {"failed"}
    check = check_for(session, "emmanuel-middle", 1)
    assert check is not None
    notes = [
        e.reason
        for e in session.scalars(
            select(WelfareCheckEvent).where(col(WelfareCheckEvent.trigger) == "note")
        )
    ]
    assert any("trying grandmother" in n for n in notes)
    assert any("next step brought forward" in n for n in notes)


def test_policy_snapshot_is_kept_for_a_check_in_flight(session, engine, tmp_path) -> None:
    from school.policy_files import bundled_policy, parse_policy
    from school.schools import set_up_school

    set_up_morning(session, "emmanuel-middle", tmp_path, {1: {"year": 7}})
    clock = FixedClock(local(MONDAY, "09:01"))
    asyncio.run(chase_tick(engine, loaded(engine, "emmanuel-middle"), MONDAY, clock, channels()))
    text = bundled_policy("emmanuel-middle").read_text().replace('at = "10:00"', 'at = "10:30"', 1)
    set_up_school(session, "emmanuel-middle", parse_policy(text, "edited.toml"),
                  CALENDAR.read_text(), "calendar.toml", clock)  # fmt: skip
    session.commit()
    clock.at = local(MONDAY, "10:01")
    asyncio.run(chase_tick(engine, loaded(engine, "emmanuel-middle"), MONDAY, clock, channels()))
    check = check_for(session, "emmanuel-middle", 1)
    assert check is not None and check.state == "dsl_alerted"  # still the 10:00 it opened with


def test_afternoon_opens_no_second_check_for_a_pupil_chased_this_morning(
    session, engine, tmp_path
) -> None:
    set_up_morning(
        session, "emmanuel-middle", tmp_path, {1: {"year": 7}, 2: {"year": 7, "present": True}}
    )
    clock = FixedClock(local(MONDAY, "10:05"))
    asyncio.run(chase_tick(engine, loaded(engine, "emmanuel-middle"), MONDAY, clock, channels()))
    for check in session.scalars(select(WelfareCheck)):  # the afternoon register: both N
        session.add(AttendanceMark(pupil_id=check.pupil_id, date=MONDAY, session="PM", code="N"))
    pupil_two = session.scalars(select(Pupil).where(col(Pupil.upn) == upn(2))).one()
    session.add(AttendanceMark(pupil_id=pupil_two.id, date=MONDAY, session="PM", code="N"))
    session.commit()
    clock.at = local(MONDAY, "14:05")  # after the afternoon register closes at 14:00
    asyncio.run(chase_tick(engine, loaded(engine, "emmanuel-middle"), MONDAY, clock, channels()))
    checks = session.scalars(select(WelfareCheck).order_by(col(WelfareCheck.id))).all()
    # Pupil 1 keeps their morning check; pupil 2, present this morning, has no PM mark.
    assert [(c.session, c.pupil_id) for c in checks] == [
        ("AM", checks[0].pupil_id),
        ("PM", checks[1].pupil_id),
    ]
    assert checks[0].pupil_id != checks[1].pupil_id


@pytest.mark.parametrize(
    ("first_morning", "utc_hour"),
    [(date(2026, 4, 13), 8), (date(2026, 11, 3), 9)],
    ids=["after-clocks-go-forward", "after-clocks-go-back"],
)
def test_first_morning_after_a_clock_change_keeps_local_times(
    session, engine, tmp_path, first_morning, utc_hour
) -> None:
    """The first school mornings after 29 Mar 2026 (BST) and 25 Oct 2026 (GMT; 2 Nov is INSET)."""
    set_up_morning(session, "emmanuel-middle", tmp_path, {1: {"year": 7}}, on=first_morning)
    asyncio.run(
        simulate_morning(engine, loaded(engine, "emmanuel-middle"), first_morning, channels())
    )
    check = check_for(session, "emmanuel-middle", 1)
    assert check is not None
    assert (
        check.plan[0]["due_at"]
        == datetime(
            first_morning.year, first_morning.month, first_morning.day, utc_hour, 0, tzinfo=UTC
        ).isoformat()
    )
    assert step_times(session, check) == SEED_MORNINGS["emmanuel-middle", 7]


def test_marks_arriving_later_close_checks_and_reasons_are_suggested(
    session, engine, tmp_path
) -> None:
    set_up_morning(session, "emmanuel-middle", tmp_path, {1: {"year": 7}})
    clock = FixedClock(local(MONDAY, "09:01"))
    asyncio.run(chase_tick(engine, loaded(engine, "emmanuel-middle"), MONDAY, clock, channels()))
    check = check_for(session, "emmanuel-middle", 1)
    assert check is not None
    mark = session.scalars(
        select(AttendanceMark).where(col(AttendanceMark.pupil_id) == check.pupil_id)
    ).one()
    assert mark.code == "N"
    mark.code = "M"  # the N corrected once the appointment is known
    session.commit()
    clock.at += timedelta(minutes=1)
    asyncio.run(chase_tick(engine, loaded(engine, "emmanuel-middle"), MONDAY, clock, channels()))
    session.refresh(check)
    assert (check.state, check.suggested_code) == ("explained", "M")
    assert check.outcome and check.outcome.startswith("recorded as M")


def test_task_outcome_must_be_known(session, engine, tmp_path) -> None:
    set_up_morning(session, "kts-academy", tmp_path, {1: {"year": 10}})
    clock = FixedClock(local(MONDAY, "09:31"))
    asyncio.run(chase_tick(engine, loaded(engine, "kts-academy"), MONDAY, clock, channels()))
    task = session.scalars(select(StaffTask)).first()
    assert task is not None and task.contacts[0]["name"] == "Parent 1"
    with pytest.raises(ValueError, match="outcome must be one of"):
        record_task_outcome(session, task.id, "gave up", "Jo Bloggs", clock)  # type: ignore[arg-type]


def test_a_reply_naming_one_child_settles_only_that_childs_check(session, engine, tmp_path) -> None:
    """Siblings share a mother: 'Pupil2 is ill' explains Pupil2 and leaves Pupil1 chased."""
    from tests.register_files import write_contacts

    set_up_morning(session, "emmanuel-middle", tmp_path, {1: {"year": 7}, 2: {"year": 6}})
    write_contacts(tmp_path, [[upn(n), 1, "Mum", "mother", "true", mobile(1), ""] for n in (1, 2)])
    from school.register_import import RegisterFiles, import_register

    clock = FixedClock(local(MONDAY, "09:01"))
    import_register(
        session, "emmanuel-middle", RegisterFiles(contacts=tmp_path / "contacts.csv"), clock
    )
    asyncio.run(chase_tick(engine, loaded(engine, "emmanuel-middle"), MONDAY, clock, channels()))
    handle_reply(session, "SMsib", mobile(1), "Pupil2 has a temperature", clock)
    one, two = check_for(session, "emmanuel-middle", 1), check_for(session, "emmanuel-middle", 2)
    assert one is not None and two is not None
    session.refresh(one)
    session.refresh(two)
    assert (one.state, two.state) == ("calling_others", "explained")


def test_a_second_parent_who_thinks_the_child_left_for_school_still_alerts_the_dsl(
    session, engine, tmp_path
) -> None:
    set_up_morning(session, "emmanuel-middle", tmp_path, {1: {"year": 7}})
    clock = FixedClock(local(MONDAY, "09:01"))
    asyncio.run(chase_tick(engine, loaded(engine, "emmanuel-middle"), MONDAY, clock, channels()))
    handle_reply(session, "SMmum", mobile(1), "He's poorly, staying in bed", clock)
    handle_reply(session, "SMgran", mobile(1, 2), "He left for school with his brother", clock)
    check = check_for(session, "emmanuel-middle", 1)
    assert check is not None and check.state == "explained"
    alert = session.scalars(select(DslAlert)).one()
    assert alert.check_id == check.id and "did not know" in alert.reason


def test_an_unclear_reply_does_not_stop_the_chase(session, engine, tmp_path) -> None:
    set_up_morning(session, "emmanuel-middle", tmp_path, {1: {"year": 7}})
    clock = FixedClock(local(MONDAY, "09:01"))
    asyncio.run(chase_tick(engine, loaded(engine, "emmanuel-middle"), MONDAY, clock, channels()))
    handle_reply(session, "SMwho", mobile(1), "Who is this?", clock)
    check = check_for(session, "emmanuel-middle", 1)
    assert check is not None and check.state == "calling_others"
    assert ("09:01", "note") in step_times(session, check)

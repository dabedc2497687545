"""The attendance-case machine and services: moves, guards with reasons, events and proposals."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select
from sqlmodel import Session, col

import cases.service as case_services
from cases.effects import ConcurrentChange
from cases.models import AttendanceCase, CaseEvent, CaseProposal
from cases.proposals import decide_proposal
from cases.service import CaseRefused, MoveRefused, case_history, close_case, move_case, open_case
from cases.support import (
    record_send_barriers_considered,
    record_support,
    record_support_not_appropriate,
)
from cases.support_law import OFFERED
from school.amendments import Amender
from school.clock import FixedClock
from school.models import Pupil
from school.policy_files import bundled_policy, load_policy
from school.schools import get_school, policy_of, set_up_school
from state_machines.attendance_case import (
    CaseAdapter,
    CaseFacts,
    fire,
    refusals,
    trigger_for,
)
from tests.conftest import CALENDAR
from tests.register_builder import build_register, calendar, days_between, figures, present
from tests.register_files import pupil_row, upn

D = date.fromisoformat
OFFICER = Amender("Jo Bloggs", "Attendance Officer")
HEAD = Amender("Sam Okafor", "Headteacher")

# The test pupils, by number (their UPNs come from tests.register_files.upn).
HOLIDAY, PART_TIME, ILL, RECEPTION, RECOVERED = 1, 2, 3, 4, 5

SUPPORT_MISSING = (
    "no support has been offered: record when and by whom support was offered (a declined "
    "offer counts, planned support does not) or why "
    "support is not appropriate (e.g. an unauthorised term-time holiday) before moving to {} "
    "(spec §5)"
)
NO_UNAUTHORISED = (
    "the pupil has no unauthorised absence this school year: authorised absence, such as a "
    "part-time timetable (C2) or illness (I), never leads to Enforce (spec §7.3, §8.15)"
)
THRESHOLD_NOT_MET = (
    "the national threshold is not met: {} unauthorised sessions (G, N, O, U) in the last 10 "
    "school weeks, 10 needed (spec §5)"
)
NOT_CSA = (
    "the pupil is not of compulsory school age on 2025-10-17 (it starts on 2026-03-31): "
    "Enforce applies only to pupils of compulsory school age (spec §5, §7.1)"
)
SEND_MISSING = (
    "the school's policy requires SEND-related barriers to be recorded as considered before "
    "moving to {}: record that they were considered first"
)
HOLIDAY_REASON = "unauthorised term-time holiday 15-19 September: support is not appropriate"


@pytest.fixture
def clock() -> FixedClock:
    """Friday 17 October 2025, after school: the autumn half-term's last week."""
    return FixedClock(datetime(2025, 10, 17, 16, 0, tzinfo=UTC))


def _pattern(n: int) -> Callable[[Any, str], str]:
    def code(day: Any, sess: str) -> str:
        on = day.date
        if n == HOLIDAY and D("2025-09-15") <= on <= D("2025-09-19"):
            return "G"  # spec §8.1: a week's holiday, 10 sessions
        if n == PART_TIME and sess == "PM":
            return "C2"  # spec §8.15: an agreed part-time timetable, half of every day
        if n == ILL and D("2025-09-22") <= on <= D("2025-10-03"):
            return "I"
        if n == RECEPTION and (D("2025-10-06") <= on <= D("2025-10-10") or on == D("2025-10-13")):
            return "O"  # spec §8.25: 12 unauthorised sessions at four years old
        if n == RECOVERED and sess == "AM" and D("2025-09-08") <= on <= D("2025-09-12"):
            return "O"
        return present(day, sess)

    return code


def _build(
    session: Session, school: str, folder: Path, clock: FixedClock, pupils: list[int]
) -> None:
    rows: dict[int, Sequence[object]] = {n: pupil_row(n, year=8) for n in pupils}
    if RECEPTION in rows:
        # Fifth birthday 10 March 2026: compulsory school age from 31 March 2026 (spec §7.1).
        rows[RECEPTION] = pupil_row(RECEPTION, year=0, born="2021-03-10")
    days = days_between(calendar(session, school), D("2025-09-03"), D("2025-10-17"))
    build_register(session, school, folder, clock, rows, {n: _pattern(n) for n in pupils}, days)


def pupil_id(session: Session, school: str, n: int) -> int:
    pupil = session.scalars(
        select(Pupil).where(col(Pupil.school_id) == school, col(Pupil.upn) == upn(n))
    ).one()
    assert pupil.id is not None
    return pupil.id


@pytest.fixture
def pupils(session: Session, school: str, clock: FixedClock, tmp_path: Path) -> dict[int, int]:
    """Pupil ids at Emmanuel Middle by test pupil number, with their autumn registers."""
    everyone = [HOLIDAY, PART_TIME, ILL, RECEPTION, RECOVERED]
    _build(session, school, tmp_path, clock, everyone)
    return {n: pupil_id(session, school, n) for n in everyone}


@pytest.fixture
def kts(session: Session, clock: FixedClock, tmp_path: Path) -> dict[int, int]:
    """KTS Academy, whose policy needs SEND barriers considered before a sanction (seed 004)."""
    set_up_school(
        session,
        "kts-academy",
        load_policy(bundled_policy("kts-academy")),
        CALENDAR.read_text(),
        str(CALENDAR),
        clock,
    )
    session.commit()
    _build(session, "kts-academy", tmp_path, clock, [HOLIDAY])
    return {HOLIDAY: pupil_id(session, "kts-academy", HOLIDAY)}


def opened(session: Session, pupil: int, clock: FixedClock) -> int:
    case = open_case(
        session, pupil, OFFICER, "attendance concern raised at the weekly review", clock
    )
    assert case.id is not None
    return case.id


def walk(session: Session, case_id: int, stages: list[str], clock: FixedClock) -> None:
    for stage in stages:
        move_case(session, case_id, stage, OFFICER, f"moving on to {stage}", clock)


def refused(call: Callable[[], object], exc: type[CaseRefused] = MoveRefused) -> list[str]:
    with pytest.raises(exc) as info:
        call()
    return info.value.reasons


def stage_of(session: Session, case_id: int) -> str:
    session.expire_all()
    case = session.get(AttendanceCase, case_id)
    assert case is not None
    return case.stage


# --- the machine alone ------------------------------------------------------------------------


def _facts(**changes: Any) -> CaseFacts:
    facts = {
        "as_of": D("2025-10-17"),
        "support_offered": True,
        "support_not_appropriate": None,
        "compulsory_school_age": True,
        "csa_starts": D("2018-03-31"),
        "csa_ends": D("2029-06-29"),
        "unauthorised_sessions": 10,
        "rolling_unauthorised_sessions": 10,
        "national_threshold_met": True,
        "send_barriers_required": False,
        "send_barriers_considered": False,
    }
    return CaseFacts(**{**facts, **changes})


def test_guards_list_every_reason_and_only_gate_formalise_and_enforce() -> None:
    nothing = _facts(
        support_offered=False,
        compulsory_school_age=False,
        csa_starts=D("2026-03-31"),
        unauthorised_sessions=0,
        rolling_unauthorised_sessions=0,
        national_threshold_met=False,
        send_barriers_required=True,
    )
    assert refusals("enforce", nothing) == [
        SUPPORT_MISSING.format("enforce"),
        NOT_CSA,
        NO_UNAUTHORISED,
        THRESHOLD_NOT_MET.format(0),
        SEND_MISSING.format("enforce"),
    ]
    assert refusals("formalise", nothing) == [
        SUPPORT_MISSING.format("formalise"),
        SEND_MISSING.format("formalise"),
    ]
    for stage in ("monitor", "listen", "facilitate"):
        assert refusals(stage, nothing) == []
    assert refusals("enforce", _facts()) == []
    assert (
        refusals("enforce", _facts(support_offered=False, support_not_appropriate="holiday")) == []
    )
    left = refusals("enforce", _facts(compulsory_school_age=False, as_of=D("2029-07-01")))
    assert left == [
        "the pupil is not of compulsory school age on 2029-07-01 (it ended on 2029-06-29, the "
        "school-leaving date): Enforce applies only to pupils of compulsory school age "
        "(spec §5, §7.1)"
    ]


def test_triggers_go_up_down_or_to_closed() -> None:
    assert trigger_for("expect", "enforce") == "escalate_to_enforce"
    assert trigger_for("enforce", "monitor") == "step_down_to_monitor"
    assert trigger_for("listen", "closed") == "close"
    with pytest.raises(MoveRefused, match="already at listen"):
        trigger_for("listen", "listen")
    with pytest.raises(MoveRefused, match="is not a stage"):
        trigger_for("listen", "prosecute")
    with pytest.raises(MoveRefused, match="the case is closed"):
        trigger_for("closed", "listen")


def test_the_machine_refuses_a_move_it_has_no_transition_for() -> None:
    class Row:
        stage = "enforce"

    class Effects:
        def record_move(self, case: CaseAdapter, event: Any) -> None:
            raise AssertionError("nothing moved")

        def close(self, case: CaseAdapter, event: Any) -> None:
            raise AssertionError("nothing closed")

    case = CaseAdapter(Row(), Effects())
    with pytest.raises(MoveRefused, match="escalate_to_monitor is not allowed from enforce"):
        fire(case, "escalate_to_monitor", _facts())
    with pytest.raises(MoveRefused) as info:
        case.state = "facilitate"
        fire(case, "escalate_to_formalise", _facts(support_offered=False))
    assert info.value.reasons == [SUPPORT_MISSING.format("formalise")]
    assert case.row.stage == "facilitate"


# --- the services ---------------------------------------------------------------------------


def test_term_time_holiday_walks_every_stage_to_enforce(
    session: Session, school: str, clock: FixedClock, pupils: dict[int, int]
) -> None:
    """Spec §8.1: 10 G in a week, support not appropriate → Enforce is allowed."""
    case_id = opened(session, pupils[HOLIDAY], clock)
    walk(session, case_id, ["monitor", "listen", "facilitate"], clock)
    record_support_not_appropriate(session, case_id, HOLIDAY_REASON, HEAD, clock)
    move_case(session, case_id, "formalise", HEAD, "Notice to Improve considered", clock)
    case = move_case(session, case_id, "enforce", HEAD, "request a penalty notice", clock)
    assert case.stage == "enforce"

    history = case_history(session, case_id)
    assert [(e.from_stage, e.to_stage, e.trigger) for e in history] == [
        ("", "expect", "open"),
        ("expect", "monitor", "escalate_to_monitor"),
        ("monitor", "listen", "escalate_to_listen"),
        ("listen", "facilitate", "escalate_to_facilitate"),
        ("facilitate", "facilitate", "support_not_appropriate"),
        ("facilitate", "formalise", "escalate_to_formalise"),
        ("formalise", "enforce", "escalate_to_enforce"),
    ]
    version = policy_of(get_school(session, school)).version
    for event in history:
        assert event.actor_name and event.actor_position, event.trigger
        assert event.reason
        assert event.policy_version == version
        assert event.at == clock.now()
        assert event.statistics["as_of"] == "2025-10-17"
        # 32 school days from 4 September (3 September is INSET), 10 sessions of G.
        assert event.statistics["attendance_pct"] == pytest.approx(100 * 54 / 64)
    enforce = history[-1]
    assert (enforce.actor_name, enforce.actor_position) == ("Sam Okafor", "Headteacher")
    assert enforce.reason == "request a penalty notice"
    assert enforce.statistics["national_threshold_met"] is True
    assert enforce.statistics["unauthorised_sessions"] == 10
    assert enforce.statistics["compulsory_school_age"] is True
    assert history[4].reason == HOLIDAY_REASON


def test_a_holiday_may_go_straight_to_enforce(
    session: Session, school: str, clock: FixedClock, pupils: dict[int, int]
) -> None:
    """Stages may be skipped upwards: a Notice to Improve is optional for a holiday (spec §5)."""
    case_id = opened(session, pupils[HOLIDAY], clock)
    record_support_not_appropriate(session, case_id, HOLIDAY_REASON, HEAD, clock)
    assert move_case(session, case_id, "enforce", HEAD, "PN request", clock).stage == "enforce"


def test_formalise_needs_support_offered_first(
    session: Session, school: str, clock: FixedClock, pupils: dict[int, int]
) -> None:
    case_id = opened(session, pupils[HOLIDAY], clock)
    walk(session, case_id, ["facilitate"], clock)
    events = len(case_history(session, case_id))

    reasons = refused(lambda: move_case(session, case_id, "formalise", HEAD, "contract", clock))
    assert reasons == [SUPPORT_MISSING.format("formalise")]
    assert stage_of(session, case_id) == "facilitate"
    assert len(case_history(session, case_id)) == events  # a refusal is not a move

    # Planned support does not count; a declined offer does (it was offered).
    record_support(session, case_id, "early_help", "Early help", OFFICER, clock)
    assert refused(lambda: move_case(session, case_id, "formalise", HEAD, "contract", clock))
    action = record_support(
        session,
        case_id,
        "support_plan",
        "Attendance support plan",
        OFFICER,
        clock,
        "declined",
        offered_on=D("2025-10-13"),
    )
    assert action.is_support and action.created_by == "Jo Bloggs, Attendance Officer"
    move_case(session, case_id, "formalise", HEAD, "attendance contract offered", clock)
    assert stage_of(session, case_id) == "formalise"
    notes = [e for e in case_history(session, case_id) if e.trigger == "record_support"]
    assert [e.reason for e in notes] == [
        "support: Early help (early_help), planned",
        "support: Attendance support plan (support_plan), offered on 2025-10-13 by Jo Bloggs, "
        "Attendance Officer; declined",
    ]
    assert all(e.from_stage == e.to_stage == "facilitate" for e in notes)


def test_scenario_25_enforce_refused_below_compulsory_school_age(
    session: Session, school: str, clock: FixedClock, pupils: dict[int, int]
) -> None:
    """Spec §8.25: a reception child with 12 O at four → letters and support, never Enforce."""
    assert figures(session, school, D("2025-10-17"))[RECEPTION].national_threshold_met
    case_id = opened(session, pupils[RECEPTION], clock)
    record_support(
        session,
        case_id,
        "meeting",
        "Attendance meeting",
        OFFICER,
        clock,
        OFFERED,
        offered_on=D("2025-10-13"),
    )
    walk(session, case_id, ["listen", "facilitate", "formalise"], clock)
    reasons = refused(lambda: move_case(session, case_id, "enforce", HEAD, "PN", clock))
    assert reasons == [NOT_CSA]
    assert stage_of(session, case_id) == "formalise"


@pytest.mark.parametrize("pupil", [PART_TIME, ILL], ids=["C2-part-time", "illness"])
def test_scenario_15_authorised_absence_never_leads_to_enforce(
    session: Session, school: str, clock: FixedClock, pupils: dict[int, int], pupil: int
) -> None:
    """Spec §7.3, §8.15: severe absence from C2 (or illness) shows in the figures, Enforce is
    refused whatever support was recorded."""
    stats = figures(session, school, D("2025-10-17"))[pupil]
    if pupil == PART_TIME:
        assert stats.severe_absence  # 50% authorised absence
    assert stats.unauthorised_sessions == 0
    case_id = opened(session, pupils[pupil], clock)
    record_support(
        session,
        case_id,
        "support_plan",
        "Reintegration plan",
        OFFICER,
        clock,
        OFFERED,
        offered_on=D("2025-10-13"),
    )
    record_support_not_appropriate(session, case_id, "recorded to test the guard", HEAD, clock)
    walk(session, case_id, ["facilitate", "formalise"], clock)
    reasons = refused(lambda: move_case(session, case_id, "enforce", HEAD, "PN", clock))
    assert reasons == [NO_UNAUTHORISED, THRESHOLD_NOT_MET.format(0)]


def test_kts_needs_send_barriers_considered_before_formalise_and_enforce(
    session: Session, clock: FixedClock, kts: dict[int, int]
) -> None:
    """Seed 004 §5.2: legal.send_barriers_considered_before_sanction = true."""
    case_id = opened(session, kts[HOLIDAY], clock)
    # Every reason at once: neither support nor SEND barriers recorded.
    reasons = refused(lambda: move_case(session, case_id, "enforce", HEAD, "PN", clock))
    assert reasons == [SUPPORT_MISSING.format("enforce"), SEND_MISSING.format("enforce")]
    record_support_not_appropriate(session, case_id, HOLIDAY_REASON, HEAD, clock)
    reasons = refused(lambda: move_case(session, case_id, "formalise", HEAD, "NTI", clock))
    assert reasons == [SEND_MISSING.format("formalise")]

    case = record_send_barriers_considered(
        session, case_id, OFFICER, "no SEND needs known; SENCo consulted", clock
    )
    assert case.send_barriers_considered_at == clock.now()
    assert case.send_barriers_considered_by == "Jo Bloggs, Attendance Officer"
    walk(session, case_id, ["formalise", "enforce"], clock)
    assert [e.trigger for e in case_history(session, case_id)][-3:] == [
        "send_barriers_considered",
        "escalate_to_formalise",
        "escalate_to_enforce",
    ]


def test_step_down_when_attendance_recovers(
    session: Session, school: str, clock: FixedClock, pupils: dict[int, int]
) -> None:
    case_id = opened(session, pupils[RECOVERED], clock)
    record_support(
        session,
        case_id,
        "support_plan",
        "Morning routine plan",
        OFFICER,
        clock,
        OFFERED,
        offered_on=D("2025-10-13"),
    )
    walk(session, case_id, ["listen", "facilitate", "formalise"], clock)
    move_case(session, case_id, "monitor", OFFICER, "full attendance for five weeks", clock)
    assert stage_of(session, case_id) == "monitor"
    last = case_history(session, case_id)[-1]
    assert (last.from_stage, last.to_stage, last.trigger) == (
        "formalise",
        "monitor",
        "step_down_to_monitor",
    )
    assert last.statistics["unauthorised_sessions"] == 5
    # Stepping down always needs a reason, like every move.
    assert refused(
        lambda: move_case(session, case_id, "expect", OFFICER, "  ", clock), CaseRefused
    ) == [f"moving case {case_id} to expect needs a reason"]


def test_one_open_case_per_pupil_and_a_new_case_after_closing(
    session: Session, school: str, clock: FixedClock, pupils: dict[int, int]
) -> None:
    first = opened(session, pupils[HOLIDAY], clock)
    reasons = refused(lambda: opened(session, pupils[HOLIDAY], clock), CaseRefused)
    assert reasons == [
        f"Pupil1 Test already has an open case (case {first}, at expect, opened 2025-10-17): "
        "move or close that case instead of opening another"
    ]
    walk(session, first, ["listen"], clock)
    closed = close_case(session, first, OFFICER, "attendance back to 100% all half-term", clock)
    assert (closed.stage, closed.closed_at) == ("closed", clock.now())
    assert case_history(session, first)[-1].trigger == "close"
    assert refused(lambda: move_case(session, first, "listen", OFFICER, "again", clock)) == [
        f"case {first} is closed: open a new case for the pupil instead of changing it"
    ]
    second = opened(session, pupils[HOLIDAY], clock)
    assert second != first
    assert stage_of(session, second) == "expect"


def test_the_unique_index_backs_up_the_open_case_check(
    session: Session,
    school: str,
    clock: FixedClock,
    pupils: dict[int, int],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Two requests racing past the check: the partial unique index refuses the second."""
    opened(session, pupils[HOLIDAY], clock)
    monkeypatch.setattr(case_services, "_open_case_of", lambda session, pupil_id: None)
    reasons = refused(lambda: opened(session, pupils[HOLIDAY], clock), CaseRefused)
    assert reasons == ["Pupil1 Test already has an open case"]
    assert len(session.scalars(select(AttendanceCase)).all()) == 1


# --- proposals ------------------------------------------------------------------------------


def propose(session: Session, case_id: int, key: str, to_stage: str | None) -> int:
    """What the daily review would write: a proposal awaiting a named person's decision."""
    proposal = CaseProposal(
        case_id=case_id,
        trigger_key=key,
        kind="stage_move" if to_stage else "letter",
        to_stage=to_stage,
        summary=f"proposed: {to_stage or 'letter'}",
        evidence={"attendance_pct": 84.8},
        created_at=datetime(2025, 10, 17, 7, 0, tzinfo=UTC),
    )
    session.add(proposal)
    session.commit()
    assert proposal.id is not None
    return proposal.id


def test_confirming_a_proposal_moves_the_case(
    session: Session, school: str, clock: FixedClock, pupils: dict[int, int]
) -> None:
    case_id = opened(session, pupils[HOLIDAY], clock)
    proposal_id = propose(session, case_id, "band:below_90:2025-10-17", "listen")
    proposal = decide_proposal(session, proposal_id, "confirm", HEAD, None, clock)
    assert (proposal.status, proposal.decided_by) == ("confirmed", "Sam Okafor, Headteacher")
    assert proposal.decided_at == clock.now()
    assert stage_of(session, case_id) == "listen"
    event = case_history(session, case_id)[-1]
    assert event.trigger == "escalate_to_listen"
    assert event.reason == f"proposal {proposal_id}: confirmed proposal: proposed: listen"

    reasons = refused(
        lambda: decide_proposal(session, proposal_id, "skip", HEAD, "changed my mind", clock),
        CaseRefused,
    )
    assert reasons == [
        f"proposal {proposal_id} was already confirmed by Sam Okafor, Headteacher "
        "(2025-10-17): it cannot be decided again"
    ]


def test_skipping_or_overriding_needs_a_reason(
    session: Session, school: str, clock: FixedClock, pupils: dict[int, int]
) -> None:
    case_id = opened(session, pupils[HOLIDAY], clock)
    letter = propose(session, case_id, "rung:letter_1:2025-10-17", None)
    assert refused(
        lambda: decide_proposal(session, letter, "skip", OFFICER, "", clock), CaseRefused
    ) == [f"skipping proposal {letter} needs a reason"]
    skipped = decide_proposal(session, letter, "skip", OFFICER, "known medical cause", clock)
    assert (skipped.status, skipped.decision_reason) == ("skipped", "known medical cause")

    move = propose(session, case_id, "band:below_90:2025-10-17", "listen")
    assert refused(
        lambda: decide_proposal(session, move, "override", OFFICER, None, clock), CaseRefused
    ) == [f"overriding proposal {move} needs a reason"]
    overridden = decide_proposal(
        session, move, "override", OFFICER, "a meeting is already booked", clock, to_stage="monitor"
    )
    assert overridden.status == "overridden"
    assert stage_of(session, case_id) == "monitor"  # the stage the person chose instead


def test_a_refused_confirmation_leaves_the_proposal_undecided(
    session: Session, school: str, clock: FixedClock, pupils: dict[int, int]
) -> None:
    case_id = opened(session, pupils[HOLIDAY], clock)
    proposal_id = propose(session, case_id, "rung:nti:2025-10-17", "formalise")
    reasons = refused(lambda: decide_proposal(session, proposal_id, "confirm", HEAD, "NTI", clock))
    assert reasons == [SUPPORT_MISSING.format("formalise")]
    session.expire_all()
    proposal = session.get(CaseProposal, proposal_id)
    assert proposal is not None
    assert (proposal.status, proposal.decided_by, proposal.decided_at) == ("proposed", None, None)
    assert stage_of(session, case_id) == "expect"

    record_support_not_appropriate(session, case_id, HOLIDAY_REASON, HEAD, clock)
    assert decide_proposal(session, proposal_id, "confirm", HEAD, "NTI", clock).status == (
        "confirmed"
    )
    assert stage_of(session, case_id) == "formalise"


# --- concurrency ----------------------------------------------------------------------------


def test_a_decision_on_a_stale_view_is_refused(
    session: Session, school: str, clock: FixedClock, pupils: dict[int, int]
) -> None:
    case_id = opened(session, pupils[HOLIDAY], clock)
    seen = session.get(AttendanceCase, case_id)
    assert seen is not None
    stage_version = seen.version
    walk(session, case_id, ["monitor"], clock)
    reasons = refused(
        lambda: move_case(
            session, case_id, "listen", OFFICER, "as seen", clock, expected_version=stage_version
        ),
        CaseRefused,
    )
    assert reasons == [
        f"case {case_id} was changed by someone else at the same time: nothing was saved; "
        "reload the case and decide again"
    ]
    assert stage_of(session, case_id) == "monitor"


def test_two_concurrent_moves_one_wins(
    engine: Engine,
    session: Session,
    school: str,
    clock: FixedClock,
    pupils: dict[int, int],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Both requests read the case before either writes; the optimistic lock refuses one."""
    case_id = opened(session, pupils[HOLIDAY], clock)
    both_read = threading.Barrier(2, timeout=30)
    real = case_services.attendance_statistics

    def statistics_then_wait(*args: Any) -> Any:
        figures_read = real(*args)
        both_read.wait()  # each has read the case at version N before either writes
        return figures_read

    monkeypatch.setattr(case_services, "attendance_statistics", statistics_then_wait)
    outcomes: dict[str, object] = {}

    def move(to_stage: str) -> None:
        with Session(engine, expire_on_commit=False) as own:
            try:
                move_case(own, case_id, to_stage, OFFICER, f"to {to_stage}", clock)
                outcomes[to_stage] = "moved"
            except Exception as exc:
                outcomes[to_stage] = exc

    threads = [threading.Thread(target=move, args=(s,)) for s in ("monitor", "listen")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    won = [s for s, outcome in outcomes.items() if outcome == "moved"]
    lost = [o for o in outcomes.values() if o != "moved"]
    assert len(won) == 1 and len(lost) == 1, outcomes
    assert isinstance(lost[0], ConcurrentChange), lost[0]
    assert stage_of(session, case_id) == won[0]
    moves = [e for e in case_history(session, case_id) if e.trigger != "open"]
    assert [e.to_stage for e in moves] == won
    assert session.scalars(select(CaseEvent)).all() == case_history(session, case_id)

"""The daily review: each seed school's ladder over a simulated term, boundaries and scenario 23."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlmodel import Session, col

from cases.models import AttendanceCase, CaseAction, CaseEvent, CaseProposal
from cases.proposals import decide_proposal
from cases.review.service import ReviewResult, run_daily_review
from cases.support import move_support
from school.amendments import Amender
from school.calendar import SchoolDay
from school.clock import SCHOOL_TIME_ZONE, FixedClock
from school.database import id_of
from school.models import Pupil
from school.policy_files import bundled_policy, load_policy
from school.schools import load_school, set_up_school
from tests.conftest import CALENDAR
from tests.register_builder import Pattern, build_register, calendar
from tests.register_files import pupil_row, upn

D = date.fromisoformat
HEAD = Amender("Sam Okafor", "Headteacher")
# The law's decision on legal action, raised whatever the ladder says (issue 10 item 6).
CONSIDER_LEGAL = ("consider_legal", "proposed", None)

# The half-terms of 2025-26 in the bundled calendar, and their last school days (the audits).
AUTUMN_1 = (D("2025-09-04"), D("2025-10-24"))
AUTUMN_2 = (D("2025-11-03"), D("2025-12-19"))
SPRING_1 = (D("2026-01-06"), D("2026-02-13"))
SPRING_2 = (D("2026-02-23"), D("2026-03-27"))


@dataclass(frozen=True)
class Span:
    """Marks for the first `possible` sessions from `first` to `last`: the first `absent` of
    them coded `code`, the rest present. Sessions left out have no mark (not possible)."""

    first: date
    last: date
    possible: int
    absent: int
    code: str = "I"


def at(day: date | str) -> FixedClock:
    """4pm in London on a day, after the afternoon register."""
    on = D(day) if isinstance(day, str) else day
    return FixedClock(datetime.combine(on, time(16, 0), tzinfo=SCHOOL_TIME_ZONE))


def set_up(session: Session, school_id: str) -> str:
    set_up_school(
        session,
        school_id,
        load_policy(bundled_policy(school_id)),
        CALENDAR.read_text(),
        str(CALENDAR),
        at("2025-09-01"),
    )
    session.commit()
    return school_id


def register(
    session: Session,
    school: str,
    folder: Path,
    spans: dict[int, Sequence[Span]],
    rows: dict[int, list[object]] | None = None,
) -> dict[int, int]:
    """Import each pupil's marks; returns pupil ids by test pupil number."""
    cal = calendar(session, school)
    codes: dict[int, dict[tuple[date, str], str]] = {}
    for n, pupil_spans in spans.items():
        marks: dict[tuple[date, str], str] = {}
        for span in pupil_spans:
            sessions = [
                (d.date, s)
                for d in cal.days
                if span.first <= d.date <= span.last
                for s in d.sessions
            ][: span.possible]
            assert len(sessions) == span.possible, (n, span)
            for i, (day, s) in enumerate(sessions):
                marks[(day, s)] = span.code if i < span.absent else ("/" if s == "AM" else "\\")
        codes[n] = marks
    marked = {day for marks in codes.values() for day, _ in marks}
    days = [d for d in cal.days if d.date in marked]
    pupils: dict[int, Sequence[object]] = {n: (rows or {}).get(n) or pupil_row(n) for n in spans}
    patterns = {n: _pattern(codes[n]) for n in spans}
    build_register(session, school, folder, at("2025-09-01"), pupils, patterns, days)
    return {
        n: id_of(
            session.scalars(
                select(Pupil).where(col(Pupil.school_id) == school, col(Pupil.upn) == upn(n))
            ).one()
        )
        for n in spans
    }


def _pattern(marks: dict[tuple[date, str], str]) -> Pattern:
    def code(day: SchoolDay, session: str) -> str | None:
        return marks.get((day.date, session))

    return code


def review(session: Session, school: str, day: str) -> ReviewResult:
    return run_daily_review(session, load_school(session, school), D(day), at(day))


def case_of(session: Session, pupil_id: int) -> AttendanceCase | None:
    session.expire_all()
    return session.scalars(
        select(AttendanceCase).where(
            col(AttendanceCase.pupil_id) == pupil_id, col(AttendanceCase.closed_at).is_(None)
        )
    ).first()


def stage(session: Session, pupil_id: int) -> str | None:
    case = case_of(session, pupil_id)
    return case.stage if case else None


def made(
    result: ReviewResult, session: Session, pupil_id: int
) -> list[tuple[str, str, str | None]]:
    """(rung or trigger, status, proposed stage) of what one review made for a pupil."""
    case = case_of(session, pupil_id)
    return [
        (p.rung_id or p.trigger_key.split("@")[0].split(":")[0], p.status, p.to_stage)
        for p in result.proposals
        if case is not None and p.case_id == case.id
    ]


def proposal(session: Session, pupil_id: int, rung_id: str) -> CaseProposal:
    case = case_of(session, pupil_id)
    assert case is not None
    return session.scalars(
        select(CaseProposal)
        .where(col(CaseProposal.case_id) == case.id, col(CaseProposal.rung_id) == rung_id)
        .order_by(col(CaseProposal.id).desc())
    ).first() or pytest.fail(f"no {rung_id} proposal")


def actions(session: Session, pupil_id: int, rung_id: str) -> dict[str, CaseAction]:
    case = case_of(session, pupil_id)
    assert case is not None
    rows = session.scalars(
        select(CaseAction)
        .where(col(CaseAction.case_id) == case.id, col(CaseAction.rung_id) == rung_id)
        .order_by(col(CaseAction.id))
    )
    return {a.kind: a for a in rows}


def assert_never_automatic_beyond_facilitate(session: Session) -> None:
    """Formalise and Enforce are only ever reached through a person's decision."""
    session.expire_all()
    moves = session.scalars(
        select(CaseEvent).where(col(CaseEvent.to_stage).in_(["formalise", "enforce"]))
    ).all()
    assert all(m.actor_name != "engine" for m in moves)
    applied = session.scalars(
        select(CaseProposal).where(
            col(CaseProposal.status) == "applied",
            col(CaseProposal.to_stage).in_(["formalise", "enforce"]),
        )
    ).all()
    assert applied == []


def counts(session: Session) -> tuple[int, int, int]:
    session.expire_all()
    return tuple(  # type: ignore[return-value]
        session.scalar(select(func.count()).select_from(t))
        for t in (AttendanceCase, CaseProposal, CaseAction)
    )


# --- Emmanuel Middle (seed 000) -------------------------------------------------------------

EXACTLY_95, JUST_BELOW_95, EXACTLY_90, JUST_BELOW_90, EXACTLY_50 = 1, 2, 3, 4, 5


def test_emmanuel_term_letters_meeting_further_action_step_down_and_overdue(
    session: Session, school: str, tmp_path: Path
) -> None:
    """Seed 000 over Autumn 1 and the start of Autumn 2, with weekly reviews."""
    ids = register(
        session,
        school,
        tmp_path,
        {
            EXACTLY_95: [Span(*AUTUMN_1, 60, 3)],  # 95.0%: no band
            # 94.9%, then a fortnight of full attendance into Autumn 2.
            JUST_BELOW_95: [Span(*AUTUMN_1, 59, 3), Span(*AUTUMN_2, 18, 0)],
            EXACTLY_90: [Span(*AUTUMN_1, 60, 6)],  # the seed's "below 95%" band holds 90.0%
            # 89.8%, then no improvement in the three weeks after the letter.
            JUST_BELOW_90: [Span(*AUTUMN_1, 59, 6), Span(*AUTUMN_2, 30, 4)],
            EXACTLY_50: [Span(*AUTUMN_1, 60, 30)],
        },
    )

    before_audit = review(session, school, "2025-10-17")  # a weekly review, not the audit
    assert before_audit.cases_opened == 4 and before_audit.proposals == ()
    assert stage(session, ids[EXACTLY_95]) is None
    assert {stage(session, ids[n]) for n in (2, 3, 4, 5)} == {"monitor"}

    audit = review(session, school, "2025-10-24")  # the half-termly audit
    assert made(audit, session, ids[EXACTLY_95]) == []
    for n in (JUST_BELOW_95, EXACTLY_90):
        assert made(audit, session, ids[n]) == [("standard_letter", "applied", None)]
        assert stage(session, ids[n]) == "listen"
    for n in (JUST_BELOW_90, EXACTLY_50):
        assert made(audit, session, ids[n]) == [("concern_letter", "applied", None)]
        assert stage(session, ids[n]) == "facilitate"
    letter = actions(session, ids[JUST_BELOW_95], "standard_letter")
    assert set(letter) == {"letter", "monitoring"}
    assert letter["letter"].details["letter"] == "emmanuel-middle/standard_information"
    assert letter["letter"].due_on == D("2025-11-03")  # the next school day, after half-term
    concern = actions(session, ids[JUST_BELOW_90], "concern_letter")
    assert set(concern) == {"letter", "meeting", "improvement_plan", "medical_evidence_required"}
    assert concern["meeting"].is_support and not concern["letter"].is_support
    assert concern["meeting"].due_on == D("2025-11-17")  # 10 school days; 14 Nov is INSET
    assert concern["improvement_plan"].review_on == D("2025-12-08")  # three school weeks on
    assert concern["medical_evidence_required"].details["below_attendance_pct"] == 90.0
    evidence = proposal(session, ids[JUST_BELOW_90], "concern_letter").evidence
    assert evidence["attendance_pct"] == pytest.approx(100 * 53 / 59)
    assert (evidence["sessions_missed"], evidence["days_lost"]) == (6, 3.0)
    assert audit.actions_applied == 2 * 2 + 2 * 4

    # A second run the same day makes nothing: every trigger has its key.
    before = counts(session)
    again = review(session, school, "2025-10-24")
    assert (again.cases_opened, again.proposals, again.actions_applied) == (0, (), 0)
    assert counts(session) == before

    # The first review after half-term lists the letters not yet marked sent, once.
    week_1 = review(session, school, "2025-11-07")
    overdue = {(o.pupil_id, o.kind) for o in week_1.overdue}
    assert (ids[JUST_BELOW_95], "letter") in overdue and (ids[EXACTLY_50], "letter") in overdue
    assert all(o.due_on == D("2025-11-03") for o in week_1.overdue)
    assert week_1.proposals == ()  # overdue actions are listed, not proposed again

    # 94.9% -> 95.7% by the end of the first week back, 96.1% by the second: out of every
    # band for a whole review period, so stepping down is proposed (never automatic).
    week_2 = review(session, school, "2025-11-13")  # 14 Nov is INSET: Thursday ends the week
    assert made(week_2, session, ids[JUST_BELOW_95]) == [("step_down", "proposed", "monitor")]
    assert stage(session, ids[JUST_BELOW_95]) == "listen"
    assert made(week_2, session, ids[JUST_BELOW_90]) == []  # three weeks not yet up

    # The concern meeting is offered (planned support alone would not satisfy the law).
    move_support(
        session, id_of(concern["meeting"]), "offered", HEAD, at("2025-11-17"), D("2025-11-17")
    )
    # No improvement within three school weeks of the concern letter: further action, which
    # moves the case into Formalise, only ever as a proposal.
    week_3 = review(session, school, "2025-11-21")
    assert made(week_3, session, ids[JUST_BELOW_90]) == [
        ("further_action", "proposed", "formalise")
    ]
    further = proposal(session, ids[JUST_BELOW_90], "further_action")
    assert further.kind == "stage_move"
    assert further.evidence["no_improvement_since"]["on"] == "2025-10-24"
    assert further.evidence["guard_reasons"] == []  # the meeting offered counts as support
    assert stage(session, ids[JUST_BELOW_90]) == "facilitate"
    assert_never_automatic_beyond_facilitate(session)

    # Once the head confirms it, the next review plans what it stands for.
    decide_proposal(session, id_of(further), "confirm", HEAD, None, at("2025-11-21"))
    assert stage(session, ids[JUST_BELOW_90]) == "formalise"
    week_4 = review(session, school, "2025-11-28")
    assert set(actions(session, ids[JUST_BELOW_90], "further_action")) == {
        "meeting",
        "attendance_contract",
        "la_referral",
    }
    assert week_4.actions_applied == 3 and made(week_4, session, ids[JUST_BELOW_90]) == []


def test_scenario_23_third_audit_in_90_to_94_is_treated_as_below_90(
    session: Session, school: str, tmp_path: Path
) -> None:
    """Spec §8.23: audits at 94.2% -> 93.8% -> 94.0%."""
    ids = register(
        session,
        school,
        tmp_path,
        {1: [Span(*AUTUMN_1, 69, 4), Span(*AUTUMN_2, 61, 4), Span(*SPRING_1, 54, 3)]},
    )
    pupil = ids[1]
    expected = [
        ("2025-10-24", 94.2, "standard_letter", "listen"),
        ("2025-12-19", 93.8, "standard_letter", "listen"),
        ("2026-02-13", 94.0, "concern_letter", "facilitate"),
    ]
    for day, pct, rung, stage_after in expected:
        result = review(session, school, day)
        assert made(result, session, pupil) == [(rung, "applied", None)], day
        assert round(proposal(session, pupil, rung).evidence["attendance_pct"], 1) == pct
        assert stage(session, pupil) == stage_after
    third = proposal(session, pupil, "concern_letter")
    assert third.evidence["in_place_of"] == "standard_letter"
    assert third.evidence["in_succession"] == 3
    assert "sent 2 times in succession: this time it is treated as Below 90%" in third.summary
    concern = actions(session, pupil, "concern_letter")
    assert set(concern) == {"letter", "meeting", "improvement_plan", "medical_evidence_required"}
    assert concern["letter"].details["letter"] == "emmanuel-middle/concern"
    assert len(actions(session, pupil, "standard_letter")) == 2  # letter and monitoring


# --- St John Bosco (seed 001) ---------------------------------------------------------------


def test_st_john_bosco_levels_1_to_4_lateness_and_threshold(
    session: Session, tmp_path: Path
) -> None:
    school = set_up(session, "st-john-bosco")
    primary = {n: pupil_row(n, year=5, born="2015-03-10") for n in (1, 2, 3, 4)}
    ids = register(
        session,
        school,
        tmp_path,
        {
            1: [Span(*AUTUMN_1, 60, 6)],  # exactly 90.0%: not "below 90%"
            # 89.8% -> 88.2% -> 87.6% -> 85.9%
            2: [
                Span(*AUTUMN_1, 59, 6),
                Span(*AUTUMN_2, 60, 8),
                Span(*SPRING_1, 58, 8),
                Span(*SPRING_2, 50, 10),
            ],
            3: [Span(*AUTUMN_1, 74, 4, "L")],  # four lates in the first week, all present
            4: [Span(*AUTUMN_1, 74, 10, "O")],  # a week of unexplained absence
        },
        primary,
    )
    first_week = review(session, school, "2025-09-12")
    # More than three lates in a half-term: a meeting with the Principal, for staff to book.
    assert made(first_week, session, ids[3]) == [("lateness", "proposed", None)]
    (late,) = [p for p in first_week.proposals if p.trigger_key.startswith("lateness@")]
    assert late.kind == "meeting" and late.evidence["late_half_term"] == 4
    # The national threshold met: legal referral proposed, never applied; support first.
    # The law asks for a decision on legal action too (issue 10.6), whatever the ladder says.
    assert made(first_week, session, ids[4]) == [
        ("legal_referral", "proposed", "enforce"),
        ("consider_legal", "proposed", None),
    ]
    referral = proposal(session, ids[4], "legal_referral")
    assert referral.kind == "stage_move"
    assert any("no support has been offered" in r for r in referral.evidence["guard_reasons"])
    assert stage(session, ids[4]) == "monitor"

    audit_1 = review(session, school, "2025-10-24")
    # Exactly 90.0% is not "below 90%": no letter. The case opened while the early absences
    # had it below 90% is proposed for closing, the week having ended out of every band.
    assert made(audit_1, session, ids[1]) == [("step_down", "proposed", "closed")]
    assert made(audit_1, session, ids[2]) == [("level_1", "applied", None)]
    assert made(audit_1, session, ids[4]) == [("level_1", "applied", None)]
    assert made(audit_1, session, ids[3]) == []  # the lateness proposal is not repeated
    assert actions(session, ids[2], "level_1")["letter"].details["letter"] == (
        "st-john-bosco/level_1"
    )

    audit_2 = review(session, school, "2025-12-19")
    assert made(audit_2, session, ids[2]) == [("level_2", "applied", None)]  # not Level 1
    audit_3 = review(session, school, "2026-02-13")
    assert made(audit_3, session, ids[2]) == [("level_3", "applied", None)]
    assert stage(session, ids[2]) == "facilitate"
    assert set(actions(session, ids[2], "level_3")) == {"letter", "meeting", "support_plan"}
    meeting = actions(session, ids[2], "level_3")["meeting"]
    meeting.status = "not_attended"  # the parents did not come
    session.commit()

    audit_4 = review(session, school, "2026-03-27")
    # The missed meeting's letter goes at once; the EWS fast track (no improvement since
    # Level 3) is a move into Formalise, so it waits for a named person.
    assert made(audit_4, session, ids[2]) == [
        ("level_4", "applied", None),
        ("ews_fast_track", "proposed", "formalise"),
    ]
    level_4 = proposal(session, ids[2], "level_4")
    assert level_4.evidence["meeting_missed"] == meeting.id
    assert actions(session, ids[2], "level_4")["letter"].details["letter"] == (
        "st-john-bosco/level_4_failed_to_attend"
    )
    assert review(session, school, "2026-03-27").proposals == ()
    assert_never_automatic_beyond_facilitate(session)


# --- Micklefield (seed 003) -----------------------------------------------------------------


def test_micklefield_letter_one_fast_track_and_penalty_notice_only_proposed(
    session: Session, tmp_path: Path
) -> None:
    school = set_up(session, "micklefield")
    declining = [  # 89.2% -> 87.0% -> 82.1% -> 77.3% -> 76.6% -> 76.5%, unauthorised
        Span(*AUTUMN_1, 74, 8, "O"),
        Span(D("2025-11-03"), D("2025-11-13"), 18, 4, "O"),
        Span(D("2025-11-17"), D("2025-11-28"), 20, 8, "O"),
        Span(D("2025-12-01"), D("2025-12-12"), 20, 10, "O"),
        Span(D("2025-12-15"), D("2025-12-19"), 9, 3, "O"),
        Span(D("2026-01-06"), D("2026-01-09"), 8, 2, "O"),
    ]
    rows = {n: pupil_row(n, year=5, born="2015-03-10") for n in range(1, 6)}
    rows[3] = pupil_row(3, year=0, born="2021-06-01")  # four years old: not yet CSA
    ids = register(
        session,
        school,
        tmp_path,
        {
            1: [Span(*AUTUMN_1, 60, 6)],  # exactly 90.0%
            2: declining,
            3: [Span(*AUTUMN_1, 59, 6)],  # 89.8% at four years old
            4: [Span(*AUTUMN_1, 59, 6), Span(D("2025-11-03"), D("2025-11-13"), 18, 0)],
            5: declining[:3],
        },
        rows,
    )

    audit = review(session, school, "2025-10-24")  # half-term audit and two-weekly review
    assert case_of(session, ids[1]) is None
    for n in (2, 3, 4, 5):
        assert made(audit, session, ids[n]) == [("letter_one", "applied", None)]
        assert stage(session, ids[n]) == "monitor"  # the seed keeps Letter One in Monitor

    fortnight_1 = review(session, school, "2025-11-13")
    # No improvement: Fast Track Letter 1 proposed, Letter 2 named as the alternative only.
    assert made(fortnight_1, session, ids[2]) == [
        ("fast_track_1", "proposed", "listen"),
        ("consider_legal", "proposed", None),  # threshold met: a decision, whatever the ladder
    ]
    ft1 = proposal(session, ids[2], "fast_track_1")
    assert ft1.evidence["alternatives"] == ["fast_track_2"]
    assert "or instead: Fast Track Letter 2" in ft1.summary
    # Back to 92.2%: the congratulations letter, at once.
    assert made(fortnight_1, session, ids[4]) == [("congratulations", "applied", None)]
    assert stage(session, ids[4]) == "monitor"
    assert actions(session, ids[4], "congratulations")["congratulations_letter"].details[
        "letter"
    ] == ("micklefield/congratulations")
    decide_proposal(session, id_of(ft1), "confirm", HEAD, None, at("2025-11-13"))
    skipped = proposal(session, ids[5], "fast_track_1")
    decide_proposal(session, id_of(skipped), "skip", HEAD, "meeting preferred", at("2025-11-13"))

    fortnight_2 = review(session, school, "2025-11-28")
    assert set(actions(session, ids[2], "fast_track_1")) == {"letter"}  # planned on confirming
    assert made(fortnight_2, session, ids[2]) == [("attendance_meeting", "applied", None)]
    assert stage(session, ids[2]) == "facilitate"
    # Fast Track 1 skipped: Fast Track 2 is proposed instead, never both.
    assert made(fortnight_2, session, ids[5]) == [("fast_track_2", "proposed", "listen")]
    # Congratulated once, never escalated for it; a fortnight out of every band: close?
    assert made(fortnight_2, session, ids[4]) == [("step_down", "proposed", "closed")]

    meeting = actions(session, ids[2], "attendance_meeting")["meeting"]
    move_support(session, id_of(meeting), "offered", HEAD, at("2025-12-01"), D("2025-12-01"))
    fortnight_3 = review(session, school, "2025-12-12")
    assert made(fortnight_3, session, ids[2]) == [("fast_track_3", "proposed", "formalise")]
    ft3 = proposal(session, ids[2], "fast_track_3")
    assert ft3.kind == "stage_move" and ft3.evidence["guard_reasons"] == []
    decide_proposal(session, id_of(ft3), "confirm", HEAD, None, at("2025-12-12"))
    assert stage(session, ids[2]) == "formalise"

    audit_2 = review(session, school, "2025-12-19")  # half-termly Letter One to all below 90%
    assert made(audit_2, session, ids[2]) == [("letter_one", "applied", None)]

    fortnight_4 = review(session, school, "2026-01-09")
    assert made(fortnight_4, session, ids[2]) == [("penalty_notice", "proposed", "enforce")]
    assert proposal(session, ids[2], "penalty_notice").evidence["national_threshold_met"]
    assert stage(session, ids[2]) == "formalise"
    assert set(actions(session, ids[2], "fast_track_3")) == {
        "letter",
        "penalty_notice_warning",
        "attendance_contract",
    }
    assert_never_automatic_beyond_facilitate(session)


# --- KTS Academy (seed 004) -----------------------------------------------------------------


def test_kts_tiers_at_each_boundary(session: Session, tmp_path: Path) -> None:
    school = set_up(session, "kts-academy")
    ids = register(
        session,
        school,
        tmp_path,
        {
            1: [Span(*AUTUMN_1, 60, 3)],  # 95.0%
            2: [Span(*AUTUMN_1, 59, 3)],  # 94.9%: targeted
            3: [Span(*AUTUMN_1, 60, 6)],  # 90.0%: targeted (the seed's "below 90%" tier)
            4: [Span(*AUTUMN_1, 59, 6)],  # 89.8%: intensive
            5: [Span(*AUTUMN_1, 60, 30)],  # 50.0%: intensive, not critical
            6: [Span(*AUTUMN_1, 59, 30)],  # 49.2%: intensive and critical
        },
    )
    audit = review(session, school, "2025-10-24")
    assert case_of(session, ids[1]) is None
    for n in (2, 3):
        assert made(audit, session, ids[n]) == [("targeted", "applied", None)]
        assert stage(session, ids[n]) == "listen"
    targeted = actions(session, ids[2], "targeted")
    assert set(targeted) == {"phone_call", "monitoring", "letter"}
    assert targeted["monitoring"].review_on == D("2025-11-28")  # four school weeks
    for n in (4, 5):
        assert made(audit, session, ids[n]) == [("intensive", "applied", None)]
    assert made(audit, session, ids[6]) == [
        ("intensive", "applied", None),
        ("critical", "applied", None),
    ]
    assert set(actions(session, ids[6], "critical")) == {
        "multi_agency_meeting",
        "daily_contact",
        "home_visit",
    }
    assert {stage(session, ids[n]) for n in (4, 5, 6)} == {"facilitate"}


def test_kts_critical_tier_is_daily_and_legal_action_only_proposed(
    session: Session, tmp_path: Path
) -> None:
    """Below 50%: the critical tier on the day it is seen, then intensive at the fortnight,
    and legal action considered (a proposal, SEND barriers first) when support is not working."""
    school = set_up(session, "kts-academy")
    cal = calendar(session, school)
    days = [d for d in cal.days if D("2025-09-04") <= d.date <= D("2025-10-10")]
    # Two days in every five in school, the rest unexplained: about 40% attendance.
    spans = [Span(d.date, d.date, 2, 0 if i % 5 in (0, 1) else 2, "O") for i, d in enumerate(days)]
    ids = register(session, school, tmp_path, {7: spans})
    pupil = ids[7]

    wednesday = review(session, school, "2025-09-17")
    assert made(wednesday, session, pupil) == [("critical", "applied", None), CONSIDER_LEGAL]
    critical = actions(session, pupil, "critical")
    assert critical["multi_agency_meeting"].due_on == D("2025-09-24")  # urgent: 5 school days
    assert critical["daily_contact"].due_on == D("2025-09-18")
    assert review(session, school, "2025-09-18").proposals == ()  # not every day again

    fortnight = review(session, school, "2025-09-26")
    assert made(fortnight, session, pupil) == [("intensive", "applied", None)]

    next_fortnight = review(session, school, "2025-10-10")
    assert made(next_fortnight, session, pupil) == [("legal_action", "proposed", "enforce")]
    legal = proposal(session, pupil, "legal_action")
    assert legal.kind == "stage_move"
    assert any("SEND-related barriers" in r for r in legal.evidence["guard_reasons"])
    assert stage(session, pupil) == "facilitate"
    assert_never_automatic_beyond_facilitate(session)


# --- Basildon Lower (seed 002) --------------------------------------------------------------


def test_basildon_boundaries_and_ladder_to_contract_and_la_referral(
    session: Session, tmp_path: Path
) -> None:
    school = set_up(session, "basildon-lower")
    ids = register(
        session,
        school,
        tmp_path,
        {
            1: [Span(*AUTUMN_1, 60, 3)],  # 95.0%
            2: [Span(*AUTUMN_1, 59, 3)],  # 94.9%
            3: [Span(*AUTUMN_1, 60, 6)],  # 90.0%: persistent absence here (DfE, inclusive)
            4: [Span(*AUTUMN_1, 61, 6)],  # 90.2%
            5: [Span(*AUTUMN_1, 60, 30)],  # 50.0%: severe absence (DfE, inclusive)
            6: [Span(*AUTUMN_1, 61, 30)],  # 50.8%
            # 91.9% -> 90.1% -> 88.9% -> 88.0%, unauthorised: the threshold is met in November
            7: [
                Span(*AUTUMN_1, 74, 6, "O"),
                Span(*AUTUMN_2, 67, 8, "O"),
                Span(*SPRING_1, 58, 8, "O"),
                Span(*SPRING_2, 50, 8, "O"),
            ],
        },
    )
    audit_1 = review(session, school, "2025-10-24")
    assert case_of(session, ids[1]) is None
    letter = ("concern_letter", "applied", None)
    meetings = ("persistent_absence_meetings", "applied", None)
    severe = ("severe_absence_joint_approach", "applied", None)
    assert made(audit_1, session, ids[2]) == [letter]
    assert made(audit_1, session, ids[3]) == [letter, meetings]
    assert made(audit_1, session, ids[4]) == [letter]
    assert made(audit_1, session, ids[5]) == [letter, meetings, severe]
    assert made(audit_1, session, ids[6]) == [letter, meetings]
    assert made(audit_1, session, ids[7]) == [letter]

    audit_2 = review(session, school, "2025-12-19")
    meeting = ("attendance_meeting", "applied", None)
    assert made(audit_2, session, ids[7]) == [meeting, CONSIDER_LEGAL]
    assert stage(session, ids[7]) == "listen"
    audit_3 = review(session, school, "2026-02-13")
    assert made(audit_3, session, ids[7]) == [("support_plan", "applied", None), meetings]
    assert set(actions(session, ids[7], "support_plan")) == {"action_plan", "early_help"}
    assert stage(session, ids[7]) == "facilitate"
    plan = actions(session, ids[7], "support_plan")["action_plan"]
    move_support(session, id_of(plan), "offered", HEAD, at("2026-02-16"), D("2026-02-16"))

    audit_4 = review(session, school, "2026-03-27")
    assert made(audit_4, session, ids[7]) == [
        ("attendance_contract", "proposed", "formalise"),
        meetings,
        ("legal_action", "proposed", "enforce"),
    ]
    assert stage(session, ids[7]) == "facilitate"
    assert proposal(session, ids[7], "legal_action").evidence["guard_reasons"] == []
    assert_never_automatic_beyond_facilitate(session)

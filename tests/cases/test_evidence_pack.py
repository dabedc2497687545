"""The evidence pack PDF, read back as text: figures, threshold, chronology, NTI, chart, codes."""

from __future__ import annotations

import io
import re
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader
from sqlalchemy import select
from sqlmodel import Session, col

from cases.evidence.chronology import chronology
from cases.evidence.register import weeks_of
from cases.evidence.service import evidence_pack_pdf
from cases.evidence.words import scrub
from cases.models import (
    AttendanceCase,
    CaseAction,
    CaseEvent,
    LegalAction,
    LegalActionEvent,
)
from chase.models import StaffTask, WelfareCheck, WelfareCheckEvent
from chase.notes import add_note
from notifications.models import OutboxMessage
from school.clock import FixedClock
from school.database import id_of
from school.models import Contact, Pupil
from tests.register_builder import build_register, calendar, days_between, figures, present
from tests.register_files import pupil_row, upn

D = date.fromisoformat
MOBILE, EMAIL = "+447700900123", "mary.test@example.org"
SMS_BODY = "Pupil1 is not in school today and we have not heard why"
# The register: present every session, but a week of O (12-16 January 2026: the national
# threshold, first met on the 10th session), two days of illness in November, one U.
ABSENCES = {
    **{(D(f"2026-01-{d}"), s): "O" for d in range(12, 17) for s in ("AM", "PM")},
    (D("2025-11-03"), "AM"): "I",
    (D("2025-11-03"), "PM"): "I",
    (D("2025-11-04"), "AM"): "I",
    (D("2025-11-04"), "PM"): "I",
    (D("2026-02-02"), "AM"): "U",
}


def at(text: str) -> datetime:
    """A UTC instant; from November to March UK time is UTC, so the pack shows the same."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def pdf_text(pdf: bytes) -> str:
    """The PDF's text on one line; a word broken after its hyphen at a line end is joined."""
    raw = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
    return " ".join(re.sub(r"(?<=\w)-\n", "-", raw).split())


def build_pupil(session: Session, school: str, clock: FixedClock, folder: Path) -> Pupil:
    cal = calendar(session, school)

    def pattern(day: Any, sess: str) -> str:
        return ABSENCES.get((day.date, sess)) or present(day, sess)

    build_register(
        session,
        school,
        folder,
        clock,
        {1: pupil_row(1)},
        {1: pattern},
        days_between(cal, D("2025-09-08"), D("2026-02-13")),
    )
    pupil = session.scalars(select(Pupil).where(col(Pupil.upn) == upn(1))).one()
    session.add(
        Contact(
            pupil_id=id_of(pupil),
            priority=1,
            name="Mary Test",
            relationship="mother",
            parental_responsibility=True,
            mobile=MOBILE,
            email=EMAIL,
        )
    )
    session.commit()
    return pupil


def add_history(session: Session, school: str, pupil: Pupil) -> None:
    """A welfare check with its contact attempts, a case with a letter, a missed meeting,
    declined support, and a Notice to Improve: rows as the services write them."""
    pupil_id = id_of(pupil)
    check = WelfareCheck(
        school_id=school,
        pupil_id=pupil_id,
        date=D("2026-01-12"),
        session="AM",
        state="dsl_alerted",
        policy_version="test",
        plan=[],
        opened_at=at("2026-01-12 09:00"),
    )
    session.add(check)
    session.flush()
    for when, before, after, trigger, actor, reason in [
        ("09:00", "", "unexplained", "open", "engine", "no mark at register close (9:00)"),
        ("09:01", "unexplained", "parent_messaged", "message_parents", "engine", "texts sent"),
        ("09:05", "parent_messaged", "calling_primary", "call_primary", "engine", "9:00 step"),
        ("10:00", "calling_primary", "dsl_alerted", "alert_dsl", "engine", "not known safe"),
    ]:
        session.add(
            WelfareCheckEvent(
                check_id=id_of(check),
                at=at(f"2026-01-12 {when}"),
                from_state=before,
                to_state=after,
                trigger=trigger,
                actor=actor,
                reason=reason,
                policy_version="test",
            )
        )
    session.add(
        OutboxMessage(
            idempotency_key="check:1:step:0:contact:1:sms",
            school_id=school,
            check_id=id_of(check),
            recipient_label="mother (priority 1)",
            channel="sms",
            to=MOBILE,
            template="unexplained_absence",
            text=SMS_BODY,
            status="delivered",
            next_attempt_at=at("2026-01-12 09:01"),
            created_at=at("2026-01-12 09:01"),
        )
    )
    task = StaffTask(
        check_id=id_of(check),
        school_id=school,
        kind="call",
        step=1,
        created_at=at("2026-01-12 09:05"),
        due_at=at("2026-01-12 09:05"),
        contacts=[{"name": "Mary Test", "mobile": MOBILE}],
        script="Call the primary contact",
        state="done",
        outcome="no_answer",
        recorded_by="Jo Office",
        recorded_at=at("2026-01-12 09:20"),
    )
    session.add(task)
    session.flush()
    add_note(
        session,
        id_of(check),
        "Jo Office",
        at("2026-01-12 09:20"),
        "rang 07700 900123 twice, no answer",
        outcome="no_answer",
        task_id=task.id,
    )
    case = AttendanceCase(
        school_id=school,
        pupil_id=pupil_id,
        stage="formalise",
        opened_at=at("2025-11-03 12:00"),
        policy_version="test",
    )
    session.add(case)
    session.flush()
    case_id = id_of(case)
    for when, before, after, trigger, reason in [
        ("2025-11-03 12:00", "", "expect", "open", "attendance below 95% at the audit"),
        ("2025-11-10 12:00", "listen", "facilitate", "move", "no improvement after the letter"),
    ]:
        session.add(
            CaseEvent(
                case_id=case_id,
                at=at(when),
                from_stage=before,
                to_stage=after,
                trigger=trigger,
                actor_name="Jo Bloggs",
                actor_position="Attendance Officer",
                reason=reason,
                policy_version="test",
                statistics={},
            )
        )
    actions = [
        CaseAction(
            case_id=case_id,
            kind="letter",
            rung_id="standard_letter",
            title="Standard information letter",
            status="done",
            created_at=at("2025-11-04 10:00"),
            created_by="Jo Bloggs, Attendance Officer",
            completed_at=at("2025-11-04 15:00"),
            completed_by="Jo Bloggs",
            details={"letter": "emmanuel-middle/standard_information", "delivery": "print"},
        ),
        CaseAction(
            case_id=case_id,
            kind="meeting",
            rung_id="concern_letter",
            title="Attendance concern meeting",
            due_on=D("2025-11-17"),
            status="not_attended",
            outcome="parent did not come and did not call",
            created_at=at("2025-11-10 12:30"),
            created_by="Jo Bloggs, Attendance Officer",
            completed_at=at("2025-11-17 15:45"),
            completed_by="Ms Head",
        ),
        CaseAction(
            case_id=case_id,
            kind="early_help",
            title="Early help assessment",
            is_support=True,
            status="declined",
            support_status="declined",
            offered_on=D("2025-11-20"),
            offered_by="Jo Bloggs, Attendance Officer",
            created_at=at("2025-11-20 09:00"),
            created_by="Jo Bloggs, Attendance Officer",
            completed_at=at("2025-11-21 11:00"),
            completed_by="Jo Bloggs",
        ),
    ]
    session.add_all(actions)
    notice = LegalAction(
        school_id=school,
        case_id=case_id,
        pupil_id=pupil_id,
        parent_name="Mary Test",
        kind="notice_to_improve",
        state="improvement_period",
        issued_on=D("2026-01-26"),
        improvement_period_end=D("2026-02-23"),
        threshold_first_met_on=D("2026-01-16"),
        offence_summary=(
            "1. Attendance record and offences: 10 unauthorised sessions in 10 school weeks.\n"
            "6. Improvement period: 4 weeks, from 2026-01-27 to 2026-02-23."
        ),
        created_at=at("2026-01-26 10:00"),
        created_by="Ms Head, Headteacher",
    )
    session.add(notice)
    session.flush()
    session.add(
        LegalActionEvent(
            legal_action_id=id_of(notice),
            at=at("2026-01-26 10:00"),
            from_state="",
            to_state="improvement_period",
            trigger="issue_notice_to_improve",
            actor="Ms Head, Headteacher",
            reason="national threshold met on 2026-01-16; improvement period of 4 weeks",
        )
    )
    session.commit()


# In the order they happened; each must appear in the PDF after the one before.
CHRONOLOGY = [
    "Case opened at expect: attendance below 95% at the audit (Jo Bloggs, Attendance Officer)",
    "Letter: Standard information letter (emmanuel-middle/standard_information): planned",
    "Letter: Standard information letter (emmanuel-middle/standard_information): done, sent by "
    "print (Jo Bloggs)",
    "Case moved listen -> facilitate: no improvement after the letter",
    "Meeting: Attendance concern meeting: planned, due 17 November 2025",
    "Meeting: Attendance concern meeting: not attended; parent did not come and did not call "
    "(Ms Head)",
    "Support (early help): Early help assessment: offered",
    "Support (early help): Early help assessment: declined (Jo Bloggs)",
    "Welfare check opened, morning of Monday 12 January 2026: no mark at register close (9:00)",
    "Welfare check (morning of Monday 12 January 2026): unexplained -> parents messaged, texts "
    "sent (engine)",
    "Text to mother (priority 1): delivered",
    "Welfare check (morning of Monday 12 January 2026): parents messaged -> calling the primary "
    "contact",
    "Call: no answer (recorded by Jo Office); rang [number removed] twice, no answer",
    "Welfare check (morning of Monday 12 January 2026): calling the primary contact -> DSL alerted",
    "Notice to Improve for Mary Test: improvement period, improvement period to 23 February 2026: "
    "national threshold met on 2026-01-16",
]


@pytest.fixture
def pack(session: Session, school: str, clock: FixedClock, tmp_path: Path) -> tuple[Pupil, str]:
    pupil = build_pupil(session, school, clock, tmp_path)
    add_history(session, school, pupil)
    pdf = evidence_pack_pdf(session, id_of(pupil), D("2026-02-13"), clock)
    assert pdf.startswith(b"%PDF")
    return pupil, pdf_text(pdf)


def test_cover_has_the_pupil_the_figures_and_the_threshold(
    session: Session, school: str, pack: tuple[Pupil, str]
) -> None:
    _, text = pack
    assert "Attendance evidence pack: Pupil1 Test" in text
    assert "Emmanuel Middle School" in text and "Dorset local authority" in text
    assert upn(1) in text and "10 March 2013" in text
    assert "Mary Test (mother)" in text
    assert "Figures for 3 September 2025 to 13 February 2026" in text
    stats = figures(session, school, D("2026-02-13"))[1]
    assert stats.unauthorised_sessions == 11 and stats.authorised_sessions == 4
    assert f"Possible sessions {stats.possible_sessions} sessions" in text
    assert "Unauthorised absence 11 sessions (5½ days)" in text
    assert "Authorised absence 4 sessions (2 days)" in text
    # The national-threshold count and the date it was first met.
    assert stats.unauthorised_sessions_rolling_10_school_weeks == 11
    assert (
        "Unauthorised sessions (codes G, N, O, U) in the 10 school weeks to 13 February 2026: "
        "11 (the threshold is 10 sessions in a rolling 10 school weeks)" in text
    )
    assert "Threshold first met on 16 January 2026." in text
    assert "Case stage formalise" in text


def test_chronology_has_every_item_in_date_order(pack: tuple[Pupil, str]) -> None:
    _, text = pack
    chronology_part = text[text.index("Chronology") :]
    positions = []
    for item in CHRONOLOGY:
        assert item in chronology_part, item
        positions.append(chronology_part.index(item))
    assert positions == sorted(positions)
    # Dates and times are shown in UK time with each line.
    assert "Mon 12 Jan 2026 09:20" in chronology_part
    assert "Mon 17 Nov 2025 15:45" in chronology_part


def test_nothing_that_reaches_the_family_is_in_the_pack(pack: tuple[Pupil, str]) -> None:
    _, text = pack
    for secret in (MOBILE, "07700 900123", "7700900123", EMAIL, SMS_BODY):
        assert secret not in text


def test_notice_to_improve_and_its_period(pack: tuple[Pupil, str]) -> None:
    _, text = pack
    assert (
        "Notice to Improve for Mary Test: issued 26 January 2026; now improvement period." in text
    )
    assert "Improvement period: 27 January 2026 to 23 February 2026 (4 weeks)." in text
    assert "National threshold first met on 16 January 2026." in text
    assert "1. Attendance record and offences: 10 unauthorised sessions in 10 school weeks." in text


def test_weekly_chart_and_codes(session: Session, school: str, pack: tuple[Pupil, str]) -> None:
    _, text = pack
    assert "Attendance by school week" in text
    assert "Week beginning Possible Attended Authorised absence Unauthorised absence" in text
    assert "12 January 2026 10 0 0 10" in text
    assert "3 November 2025 10 6 4 0" in text
    assert "2 February 2026 10 9 0 1" in text
    assert "Register codes this school year" in text
    assert "O Absent in other or unknown circumstances unauthorised absence 10" in text
    assert "I Illness (physical or mental), not an appointment" in text
    assert "Monday 12 January 2026 morning O" in text
    assert "Monday 2 February 2026 morning U" in text
    # The chart's weeks: every school week from the first day to the as-of date.
    cal = calendar(session, school)
    weeks = weeks_of(cal, [], D("2025-09-03"), D("2026-02-13"))
    assert weeks[0].monday == D("2025-09-01") and weeks[-1].monday == D("2026-02-09")
    assert all(w.possible == 0 for w in weeks)


def test_chart_draws_a_bar_segment_for_every_non_zero_count(
    session: Session, school: str, clock: FixedClock, tmp_path: Path
) -> None:
    pupil = build_pupil(session, school, clock, tmp_path)
    pdf = evidence_pack_pdf(session, id_of(pupil), D("2026-02-13"), clock)
    # A filled rectangle is written "x y w h re f" ("f*" even-odd); nothing else is filled.
    contents = "".join(
        p.get_contents().get_data().decode("latin-1") for p in PdfReader(io.BytesIO(pdf)).pages
    )
    weeks = weeks_of(calendar(session, school), [], D("2025-09-03"), D("2026-02-13"))
    segments = 0
    stats = figures(session, school, D("2026-02-13"))[1]
    week_rows = re.findall(
        r"(\d{1,2} \w+ 20\d\d) (\d+) (\d+) (\d+) (\d+)", pdf_text(pdf).split("Week beginning")[1]
    )
    assert len(week_rows) == len(weeks)
    for _, possible, attended, authorised, unauthorised in week_rows:
        assert int(possible) == int(attended) + int(authorised) + int(unauthorised)
        segments += sum(int(n) > 0 for n in (attended, authorised, unauthorised))
    assert sum(int(r[4]) for r in week_rows) == stats.unauthorised_sessions
    assert len(re.findall(r" re\s+f\b", contents)) == segments


def test_chronology_stops_at_the_as_of_date(
    session: Session, school: str, clock: FixedClock, tmp_path: Path
) -> None:
    pupil = build_pupil(session, school, clock, tmp_path)
    add_history(session, school, pupil)
    before_check = chronology(session, id_of(pupil), D("2026-01-04"))
    assert before_check and all(e.at < at("2026-01-12 00:00") for e in before_check)
    assert not any("Welfare check" in e.what for e in before_check)
    everything = chronology(session, id_of(pupil), D("2026-02-13"))
    assert [e.at for e in everything] == sorted(e.at for e in everything)
    assert len(everything) == len(CHRONOLOGY)


def test_a_pupil_with_nothing_recorded_still_gets_a_pack(
    session: Session, school: str, clock: FixedClock, tmp_path: Path
) -> None:
    pupil = build_pupil(session, school, clock, tmp_path)
    text = pdf_text(evidence_pack_pdf(session, id_of(pupil), D("2026-02-13"), clock))
    assert "Chronology Nothing recorded." in text
    assert "Notices to Improve and penalty notices None." in text
    with pytest.raises(LookupError):
        evidence_pack_pdf(session, 999_999, D("2026-02-13"), clock)


@pytest.mark.parametrize(
    ("given", "kept"),
    [
        ("rang 07700 900123", "rang [number removed]"),
        ("call +44 7700 900123 now", "call [number removed] now"),
        ("(01202) 828100", "[number removed]"),
        ("reply to mum@example.org", "reply to [email removed]"),
        ("period to 2026-02-16", "period to 2026-02-16"),
        ("10 sessions in 10 school weeks", "10 sessions in 10 school weeks"),
    ],
)
def test_scrub(given: str, kept: str) -> None:
    assert scrub(given) == kept


def test_names_outside_latin1_in_the_pack(
    session: Session, school: str, clock: FixedClock, tmp_path: Path
) -> None:
    pupil = build_pupil(session, school, clock, tmp_path)
    pupil.given_name, pupil.family_name = "Łukasz", "Wiśniewski"
    session.add(pupil)
    session.commit()
    text = pdf_text(evidence_pack_pdf(session, id_of(pupil), D("2026-02-13"), clock))
    assert "Attendance evidence pack: Łukasz Wiśniewski" in text
    assert re.search(r"Pupil Łukasz Wiśniewski", text)

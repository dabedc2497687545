"""Letters: every policy letter's template, time lost, the NTI's elements, PDF text, sending."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader
from sqlalchemy import select
from sqlmodel import Session, col

from cases.letters.context import notice_letter_context
from cases.letters.service import send_letter, store_notice_letter, stored_letter_pdf
from cases.letters.stored import stored_letters
from cases.models import AttendanceCase, CaseAction, LegalAction
from notifications.letter_words import days_words, hours_words, weeks_words
from notifications.letters import (
    LETTER_KEYS,
    LETTERS,
    NOTICE_KEYS,
    NOTICE_TO_IMPROVE,
    html_to_text,
    letter_context,
    letter_subject,
    letter_template,
    notice_context,
    offence_lines,
    render_letter_html,
    render_letter_pdf,
)
from notifications.models import OutboxMessage
from notifications.pdf import FONT_FILES, SHIPPED_FONTS, font_path
from notifications.rendering import TemplateProblem
from school.clock import FixedClock
from school.database import id_of
from school.models import Contact, Pupil
from school.policy_files import POLICY_DIR, bundled_policy, load_policy
from school.statistics import PupilStatistics
from tests.register_builder import build_register, calendar, days_between, present
from tests.register_files import pupil_row, upn

SCHOOLS = ["emmanuel-middle", "st-john-bosco", "basildon-lower", "micklefield", "kts-academy"]
D = date.fromisoformat


def policy_letters() -> list[tuple[str, str]]:
    """(school id, letter name) for every letter every bundled school policy names."""
    found = []
    for path in sorted(POLICY_DIR.glob("*.toml")):
        if path.name == "template.toml":  # the documented example, not a school
            continue
        policy = load_policy(path).policy
        names = [r.letter for r in policy.ladder if r.letter] + list(policy.lateness.letters)
        found += [(policy.school.id, name) for name in dict.fromkeys(names)]
    return found


POLICY_LETTERS = policy_letters()


def figures(**changes: Any) -> PupilStatistics:
    values: dict[str, Any] = {
        "upn": "A123",
        "possible_sessions": 240,
        "present_sessions": 200,
        "aea_sessions": 3,
        "authorised_sessions": 25,
        "unauthorised_sessions": 12,
        "attendance_pct": 84.58333,
        "persistent_absence": True,
        "severe_absence": False,
        "unauthorised_sessions_rolling_10_school_weeks": 11,
        "national_threshold_met": True,
        "national_threshold_first_met_on": D("2026-02-02"),
        "consecutive_unauthorised_school_days": 0,
        "illness_school_days": 5,
        "late_before_close_half_term": 3,
        "late_before_close_term": 4,
        "late_after_close_half_term": 2,
        "late_after_close_term": 2,
        "overdue_n_codes": 0,
        "compulsory_school_age": True,
    }
    return PupilStatistics(**{**values, **changes})


def school_name(school_id: str) -> str:
    return load_policy(bundled_policy(school_id)).policy.school.name


def sample_context(school_id: str, **changes: Any) -> dict[str, object]:
    policy = load_policy(bundled_policy(school_id)).policy
    context = letter_context(
        school_name=policy.school.name,
        school_phone=policy.school.phone,
        figures=changes.pop("figures", figures()),
        child_first_name=changes.pop("child_first_name", "Amira"),
        child_family_name=changes.pop("child_family_name", "Khan"),
        year_group=4,
        parent_name=changes.pop("parent_name", "Mrs Khan"),
        period_start=D("2025-09-03"),
        as_of=D("2026-03-13"),
        letter_date=D("2026-03-16"),
        half_term_start=D("2026-02-23"),
        school_address=["1 School Lane", "Townsville"],
        parent_address=["2 Home Road", "Townsville"],
        signatory_role="Attendance Lead",
    )
    return {**context, **changes}


def sample_notice(school_id: str, **changes: Any) -> dict[str, object]:
    values: dict[str, Any] = {
        "issued_on": D("2026-03-13"),
        "period_end": D("2026-04-10"),
        "offences": offence_lines(
            [
                (D("2026-03-02"), "AM", "O"),
                (D("2026-03-02"), "PM", "O"),
                (D("2026-03-03"), "AM", "G"),
            ]
        ),
        "threshold_first_met_on": D("2026-02-02"),
        "support_so_far": ["Meeting with the attendance lead", "Attendance support plan"],
        "support_declined": ["Early help assessment"],
        "further_support": "A weekly check-in with the pastoral lead.",
        "sufficient_improvement": "No further unauthorised absence during the improvement period.",
        "early_grounds": "Any unauthorised absence during the improvement period.",
    }
    values.update(changes)
    return notice_context(sample_context(school_id), **values)


def text_of(html: str) -> str:
    return " ".join(html_to_text(html).split())


def pdf_text(pdf: bytes) -> str:
    return " ".join(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages).split())


def sentences(text: str) -> list[str]:
    return re.split(r"(?<=[.!?])\s+", text)


# --- every letter a policy names has a template -----------------------------------------------


def test_every_school_names_letters_and_every_one_is_collected() -> None:
    # Guards the parametrised tests below against an empty or shrunken list.
    assert {school for school, _ in POLICY_LETTERS} == set(SCHOOLS)
    assert len(POLICY_LETTERS) == 16


@pytest.mark.parametrize(("school_id", "letter"), POLICY_LETTERS)
def test_policy_letter_has_its_own_template_and_renders(school_id: str, letter: str) -> None:
    school, name = letter.split("/")
    assert school == school_id
    assert (LETTERS / school / f"{name}.html").is_file(), f"no template for {letter}"
    html = render_letter_html(school_id, letter, sample_context(school_id))
    text = text_of(html)
    assert "Dear Mrs Khan," in text
    assert "Amira" in text and school_name(school_id) in text
    assert "Yours sincerely" in text and "Attendance Lead" in text
    assert letter_subject(html) and "<" not in letter_subject(html)
    # Time lost, in days: missed days for every letter, days in school for the congratulations.
    assert "18½ days" in text or "days of school" in text
    assert "a session is half a day" in text or "congratulations" in letter
    # The child's own percentage only ever follows the days, in the same sentence.
    for sentence in sentences(text):
        if "84.6%" in sentence:
            assert "days" in sentence, sentence
    if school_id == "micklefield":  # "percentage headlines should be avoided" (seed 003 §5)
        assert "%" not in text


def test_a_letter_without_a_template_is_refused() -> None:
    with pytest.raises(TemplateProblem, match="no letter template"):
        render_letter_html(
            "micklefield", "micklefield/no_such_letter", sample_context("micklefield")
        )


def test_letter_names_are_checked() -> None:
    context = sample_context("micklefield")
    with pytest.raises(TemplateProblem, match="another school"):
        letter_template("micklefield", "st-john-bosco/level_1")
    with pytest.raises(TemplateProblem, match="not a letter name"):
        letter_template("micklefield", "micklefield/../../etc/passwd")
    with pytest.raises(TemplateProblem, match="not a school id"):
        letter_template("../micklefield", "letter_one")
    # A bare name is the school's own; the prefix may also be spelled out.
    assert render_letter_html("micklefield", "letter_one", context) == render_letter_html(
        "micklefield", "micklefield/letter_one", context
    )


def test_context_keys_are_guarded() -> None:
    context = sample_context("micklefield")
    with pytest.raises(TemplateProblem, match="may not be given upn"):
        render_letter_html("micklefield", "micklefield/letter_one", {**context, "upn": "A123"})
    missing = {k: v for k, v in context.items() if k != "meeting"}
    with pytest.raises(TemplateProblem, match="missing meeting"):
        render_letter_html("micklefield", "micklefield/letter_one", missing)
    assert set(context) == LETTER_KEYS
    assert set(sample_notice("micklefield")) == NOTICE_KEYS


def test_optional_wording_follows_the_context() -> None:
    context = sample_context(
        "st-john-bosco", meeting="Tuesday 17 March at 3.30pm with Mrs Ward", next_steps=None
    )
    text = text_of(
        render_letter_html("st-john-bosco", "st-john-bosco/level_3_meeting_request", context)
    )
    assert "Meeting: Tuesday 17 March at 3.30pm with Mrs Ward" in text
    assert "to arrange a meeting" not in text
    under_five = sample_context("micklefield", figures=figures(compulsory_school_age=False))
    text = text_of(render_letter_html("micklefield", "micklefield/letter_one", under_five))
    assert "four weeks of school" not in text and "Good habits start early" in text
    no_lates = sample_context(
        "basildon-lower",
        figures=figures(late_before_close_half_term=0, late_after_close_half_term=0),
    )
    html = render_letter_html("basildon-lower", "basildon-lower/attendance_concern", no_lates)
    assert "punctuality" not in letter_subject(html)
    assert "arrived late" not in text_of(html)
    lates = text_of(
        render_letter_html(
            "basildon-lower", "basildon-lower/attendance_concern", sample_context("basildon-lower")
        )
    )
    assert "arrived late 5 times since the start of this half-term on 23 February 2026" in lates
    assert "2 of them after the register had closed" in lates


# --- time lost in words ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sessions", "days"),
    [
        (0, "0 days"),
        (1, "half a day"),
        (2, "1 day"),
        (3, "1½ days"),
        (37, "18½ days"),
        (380, "190 days"),
    ],
)
def test_days_words(sessions: int, days: str) -> None:
    assert days_words(sessions) == days


def test_hours_and_weeks_words() -> None:
    assert hours_words(37) == "about 120 hours"  # 3.25 hours a session (32.5-hour week)
    assert hours_words(0) == "about 0 hours"
    assert weeks_words(2) is None
    assert weeks_words(5) == "about half a school week"
    assert weeks_words(10) == "about 1 school week"
    assert weeks_words(37) == "about 3½ school weeks"


def test_the_figures_are_time_lost() -> None:
    context = sample_context("emmanuel-middle")
    assert context["days_possible"] == "120 days"
    assert context["days_missed"] == "18½ days"
    assert context["sessions_missed"] == 37
    assert context["unauthorised_days"] == "6 days"
    assert context["attendance_pct"] == "84.6%"
    text = text_of(render_letter_html("emmanuel-middle", "emmanuel-middle/concern", context))
    assert (
        "there have been 120 days of school. Amira has missed 18½ days of them (37 sessions; a "
        "session is half a day), which makes Amira's attendance 84.6%." in text
    )
    assert "about 120 hours of learning" in text
    assert "6 days (12 sessions) were recorded as unauthorised absence" in text
    # Emmanuel confirms in writing that illness needs medical evidence (seed 000, below 90%).
    assert "without medical evidence" in text


# --- the Notice to Improve ------------------------------------------------------------------------

NTI_ELEMENTS = {
    "1 record and offences": [
        "attendance record",
        "Monday 2 March 2026, morning and afternoon: absent in other or unknown circumstances "
        "(code O)",
        "Tuesday 3 March 2026, morning: holiday not granted by the school (code G)",
        "national threshold of 10 sessions (5 days) of unauthorised absence within 10 school weeks",
        "first reached on 2 February 2026",
        "offence under section 444 of the Education Act 1996",
    ],
    "2 benefits and the s7 duty": [
        "Why attendance matters",
        "legal duty under section 7 of the Education Act 1996",
    ],
    "3 support so far": [
        "Support provided so far",
        "Meeting with the attendance lead",
        "Attendance support plan",
    ],
    "4 further support, incl. refused": [
        "Further support available",
        "A weekly check-in with the pastoral lead.",
        "which you did not take up then, is still available",
        "Early help assessment",
    ],
    "5 warning": [
        "Warning",
        "you may be issued with a penalty notice",
        "prosecuting you under section 444",
        "£160, reduced to £80 if it is paid within 21 days",
    ],
    "6 improvement period of 3 to 6 weeks": [
        "The improvement period is 4 weeks: from 14 March 2026 to 10 April 2026.",
    ],
    "7 what sufficient improvement looks like": [
        "What sufficient improvement looks like",
        "No further unauthorised absence during the improvement period.",
    ],
    "8 grounds for an earlier penalty notice": [
        "When a penalty notice may be issued before the end of the improvement period",
        "Any unauthorised absence during the improvement period.",
        "we will tell you before any penalty notice is issued",
    ],
}


@pytest.mark.parametrize("school_id", SCHOOLS)
def test_notice_to_improve_carries_every_element(school_id: str) -> None:
    html = render_letter_html(school_id, NOTICE_TO_IMPROVE, sample_notice(school_id))
    text = text_of(html)
    for element, phrases in NTI_ELEMENTS.items():
        for phrase in phrases:
            assert phrase in text, f"{element}: {phrase!r} missing"
    # In the guidance's order, each under its own numbered heading.
    assert re.findall(r"<h3>(\d)\. ", html) == [str(n) for n in range(1, 9)]
    assert "18½ days" in text and "a session is half a day" in text
    assert letter_subject(html) == "Notice to Improve: Amira Khan's attendance"
    # No school has wording of its own: every school gets the default.
    assert letter_template(school_id, NOTICE_TO_IMPROVE).name == (
        "letters/default/notice_to_improve.html"
    )


@pytest.mark.parametrize(("end", "words"), [("2026-04-03", "3 weeks"), ("2026-04-24", "6 weeks")])
def test_improvement_period_of_three_to_six_weeks(end: str, words: str) -> None:
    text = text_of(
        render_letter_html(
            "kts-academy", NOTICE_TO_IMPROVE, sample_notice("kts-academy", period_end=D(end))
        )
    )
    assert f"The improvement period is {words}: from 14 March 2026" in text


@pytest.mark.parametrize("end", ["2026-03-27", "2026-04-02", "2026-04-25", "2026-05-01"])
def test_improvement_period_outside_three_to_six_weeks_is_refused(end: str) -> None:
    with pytest.raises(TemplateProblem, match="not 3 to 6 weeks"):
        sample_notice("kts-academy", period_end=D(end))


def test_notice_without_support_or_offences_says_so() -> None:
    context = sample_notice(
        "micklefield",
        support_so_far=[],
        support_declined=[],
        offences=[],
        threshold_first_met_on=None,
    )
    text = text_of(render_letter_html("micklefield", NOTICE_TO_IMPROVE, context))
    assert "No support has been recorded so far." in text
    assert "none recorded in those weeks" in text
    assert "did not take up" not in text


# --- escaping, text part, PDF ---------------------------------------------------------------------


def test_names_are_escaped_in_html_and_plain_in_text() -> None:
    context = sample_context(
        "kts-academy",
        child_first_name="<script>alert(1)</script>",
        child_family_name="O'Neill & Sons",
        parent_name='Mr "Bob" <b>Smith</b>',
    )
    html = render_letter_html("kts-academy", "kts-academy/attendance_concern", context)
    assert "<script>" not in html and "<b>Smith</b>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "O&#39;Neill &amp; Sons" in html
    text = html_to_text(html)
    assert "<script>alert(1)</script>" in text  # the text part is not HTML: not escaped
    assert "<p>" not in text and 'Dear Mr "Bob" <b>Smith</b>,' in text


def test_letter_pdf_text_reads_back() -> None:
    html = render_letter_html(
        "st-john-bosco", "st-john-bosco/level_2", sample_context("st-john-bosco")
    )
    pdf = render_letter_pdf(html, header=school_name("st-john-bosco"))
    assert pdf.startswith(b"%PDF")
    text = pdf_text(pdf)
    assert "Amira Khan" in text
    assert "St Chad's Catholic Primary School" in text
    assert "has missed 18½ days of them" in text
    assert "Level 2 Attendance – Cause for Concern" in text
    assert "Page 1 of" in text
    assert (
        PdfReader(io.BytesIO(pdf)).metadata.title == "Level 2 Attendance – Cause for Concern: Amira"
    )


def test_notice_pdf_carries_every_element() -> None:
    html = render_letter_html("basildon-lower", NOTICE_TO_IMPROVE, sample_notice("basildon-lower"))
    text = pdf_text(render_letter_pdf(html, header=school_name("basildon-lower")))
    for phrases in NTI_ELEMENTS.values():
        for phrase in phrases:
            assert phrase in text, phrase


# Latin, Latin Extended and Vietnamese names, then Cyrillic and Greek: DejaVu Sans draws them all.
NAMES = [
    "Zoë Ó Súilleabháin",
    "Łukasz Wójcik",
    "Nguyễn Thị Hoa",
    "Анна Петрова",
    "Σοφία Παπαδοπούλου",
]


def pdftotext(pdf: bytes, tmp_path: Path) -> str:
    """The PDF's text as poppler reads it (pypdf where poppler-utils is absent), on one line."""
    if shutil.which("pdftotext") is None:
        return pdf_text(pdf)
    path = tmp_path / "letter.pdf"
    path.write_bytes(pdf)
    out = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, check=True)
    return " ".join(out.stdout.decode("utf-8").split())


@pytest.mark.parametrize("name", NAMES)
def test_names_print_exactly_in_the_pdf(name: str, tmp_path: Path) -> None:
    given, family = name.rsplit(" ", 1)
    context = sample_context(
        "micklefield",
        child_first_name=given,
        child_family_name=family,
        parent_name=f"Mx {name}",
    )
    html = render_letter_html("micklefield", "micklefield/letter_one", context)
    text = pdftotext(render_letter_pdf(html, header="Micklefield CE Primary Academy"), tmp_path)
    assert name in text
    assert f"Dear Mx {name}," in text


def test_a_character_the_font_lacks_is_spelled_not_dropped(tmp_path: Path) -> None:
    chinese = sample_context("micklefield", child_first_name="李", child_family_name="Wei")
    html = render_letter_html("micklefield", "micklefield/letter_one", chinese)
    assert "? Wei" in pdftotext(render_letter_pdf(html), tmp_path)


def test_the_font_is_shipped_for_a_machine_without_debians(tmp_path: Path) -> None:
    for style in FONT_FILES:
        shipped = font_path(style, system=tmp_path)  # an empty folder: no system fonts
        assert shipped.parent == SHIPPED_FONTS and shipped.is_file()
    assert (SHIPPED_FONTS / "LICENSE").is_file()


def test_offence_lines_group_by_day_in_date_order() -> None:
    lines = offence_lines(
        [(D("2026-03-03"), "AM", "U"), (D("2026-03-02"), "PM", "O"), (D("2026-03-02"), "AM", "O")]
    )
    assert lines == [
        "Monday 2 March 2026, morning and afternoon: absent in other or unknown circumstances "
        "(code O)",
        "Tuesday 3 March 2026, morning: arrived after the register closed (code U)",
    ]


# --- sending: email through the outbox, or print ----------------------------------------------

NOW = datetime(2026, 3, 16, 10, tzinfo=UTC)


def contact(
    priority: int, name: str, relationship: str, parental: bool, email: str | None = None
) -> Contact:
    return Contact(
        priority=priority,
        name=name,
        relationship=relationship,
        parental_responsibility=parental,
        mobile=f"+44770090000{priority}",
        email=email,
    )


def pupil_with_case(
    session: Session, school: str, clock: FixedClock, tmp_path: Any, contacts: list[Contact]
) -> tuple[Pupil, AttendanceCase]:
    cal = calendar(session, school)
    days = days_between(cal, D("2025-09-08"), D("2026-03-13"))
    absent = {d.date for d in days[::9]}  # every ninth school day, both sessions

    def pattern(day: Any, sess: str) -> str:
        return "O" if day.date in absent else present(day, sess)

    build_register(session, school, tmp_path, clock, {1: pupil_row(1)}, {1: pattern}, days)
    pupil = session.scalars(select(Pupil).where(col(Pupil.upn) == upn(1))).one()
    for contact in contacts:
        contact.pupil_id = id_of(pupil)
        session.add(contact)
    case = AttendanceCase(
        school_id=school,
        pupil_id=id_of(pupil),
        stage="listen",
        opened_at=NOW,
        policy_version="test",
    )
    session.add(case)
    session.commit()
    return pupil, case


def letter_action(session: Session, case: AttendanceCase, letter: str) -> CaseAction:
    action = CaseAction(
        case_id=id_of(case),
        kind="letter",
        rung_id="concern_letter",
        title="Attendance concern letter",
        created_at=NOW,
        created_by="Jo Bloggs, Attendance Officer",
        details={"letter": letter, "meeting": "Thursday 19 March at 9am with Mr Ahmed"},
    )
    session.add(action)
    session.commit()
    return action


def test_send_letter_emails_parents_and_marks_the_rest_for_print(
    session: Session, school: str, clock: FixedClock, tmp_path: Any
) -> None:
    clock.at = NOW
    mum = contact(1, "Mary Test", "mother", True, email="mary@example.org")
    dad = contact(2, "John Test", "father", True)
    gran = contact(3, "Gran Test", "grandmother", False, email="gran@example.org")
    _, case = pupil_with_case(session, school, clock, tmp_path, [mum, dad, gran])
    action = letter_action(session, case, "emmanuel-middle/concern")

    delivery = send_letter(session, action, clock, as_of=D("2026-03-13"))
    session.commit()
    assert delivery.delivery == "email_and_print"
    assert delivery.emailed_contact_ids == [id_of(mum)]
    assert delivery.print_contact_ids == [id_of(dad)]
    assert delivery.queued == 1
    stored = session.get(CaseAction, id_of(action))
    assert stored is not None and stored.details["delivery"] == "email_and_print"
    assert stored.details["letter"] == "emmanuel-middle/concern"
    messages = session.scalars(select(OutboxMessage)).all()
    assert len(messages) == 1  # never to the grandmother: no parental responsibility
    message = messages[0]
    assert message.to == "mary@example.org" and message.channel == "email"
    assert message.idempotency_key == f"letter:{id_of(action)}:contact:{id_of(mum)}:email"
    assert message.subject == "Pupil1's attendance: a meeting to agree support"
    assert message.html is not None and "Dear Mary Test," in message.html
    assert "Meeting: Thursday 19 March at 9am with Mr Ahmed" in message.text
    assert "<p>" not in message.text and "days of school" in message.text
    assert message.check_id is None and message.template == "letter:emmanuel-middle/concern"

    # Again: the same keys, nothing new queued.
    again = send_letter(session, action, clock, as_of=D("2026-03-13"))
    session.commit()
    assert again.queued == 0
    assert len(session.scalars(select(OutboxMessage)).all()) == 1

    # The printed copy for the father (no address in common with the mother: his own letter)
    # reads back with his name, the child and the days, signed as the policy says.
    letters = stored_letters(session, case_action_id=id_of(action))
    assert [letter.addressee for letter in letters] == ["Mary Test", "John Test"]
    text = pdf_text(stored_letter_pdf(session, letters[1]))
    assert "Mr R Christopher Senior Leader with responsibility for attendance" in text
    assert "Dear John Test," in text and "Pupil1 Test" in text
    assert "Emmanuel Middle School" in text
    assert re.search(r"has missed \d+(½)? days of them", text)


def test_send_letter_with_no_email_on_file_is_for_print(
    session: Session, school: str, clock: FixedClock, tmp_path: Any
) -> None:
    clock.at = NOW
    mum = contact(1, "Mary Test", "mother", True)
    _, case = pupil_with_case(session, school, clock, tmp_path, [mum])
    action = letter_action(session, case, "emmanuel-middle/standard_information")
    delivery = send_letter(session, action, clock)
    session.commit()
    assert (delivery.delivery, delivery.emailed_contact_ids, delivery.queued) == ("print", [], 0)
    assert delivery.print_contact_ids == [id_of(mum)]
    assert session.get(CaseAction, id_of(action)).details["delivery"] == "print"  # type: ignore[union-attr]
    assert session.scalars(select(OutboxMessage)).all() == []


def test_notice_letter_from_a_stored_notice(
    session: Session, school: str, clock: FixedClock, tmp_path: Any
) -> None:
    clock.at = NOW
    mum = contact(1, "Mary Test", "mother", True)
    pupil, case = pupil_with_case(session, school, clock, tmp_path, [mum])
    # Planned support was never offered: the notice must not say it was (issue 9 item 5).
    for title, status in (
        ("Attendance support plan", "in_place"),
        ("Early help assessment", "declined"),
        ("Mentoring", "planned"),
    ):
        session.add(
            CaseAction(
                case_id=id_of(case),
                kind="support_plan",
                title=title,
                is_support=True,
                support_status=status,
                offered_on=None if status == "planned" else NOW.date(),
                offered_by=None if status == "planned" else "Jo Bloggs, Attendance Officer",
                created_at=NOW,
                created_by="Jo Bloggs, Attendance Officer",
            )
        )
    notice = LegalAction(
        school_id=school,
        case_id=id_of(case),
        pupil_id=id_of(pupil),
        parent_name="Mary Test",
        kind="notice_to_improve",
        state="improvement_period",
        issued_on=D("2026-03-13"),
        improvement_period_end=D("2026-04-10"),
        threshold_first_met_on=D("2026-01-05"),
        created_at=NOW,
        created_by="Ann Head, Headteacher",
    )
    session.add(notice)
    session.commit()
    session.flush()
    decided = store_notice_letter(
        session,
        notice,
        clock,
        further_support="Weekly meetings with the pastoral lead.",
        sufficient_improvement="No further unauthorised absence.",
        early_grounds="Any unauthorised absence in the period.",
    )
    html = decided.letters[0].html
    assert decided.letters[0].contact_ids == [id_of(mum)]
    text = text_of(html)
    assert "Dear Mary Test," in text
    assert "Support provided so far - Attendance support plan" in text
    assert "still available to you: - Early help assessment" in text
    assert "Mentoring" not in text
    assert "The improvement period is 4 weeks: from 14 March 2026 to 10 April 2026." in text
    assert "absent in other or unknown circumstances (code O)" in text
    assert "first reached on 5 January 2026" in text
    with pytest.raises(TemplateProblem, match="not an issued Notice to Improve"):
        notice.kind = "penalty_notice"
        notice_letter_context(
            session,
            notice,
            NOW.date(),
            further_support="",
            sufficient_improvement="",
            early_grounds="",
        )

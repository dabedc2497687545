"""A pupil's evidence pack PDF: what a local authority asks for with a penalty-notice referral."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, time

from sqlalchemy import select
from sqlmodel import Session, col

from cases.models import (
    AttendanceCase,
    CaseAction,
    CaseEvent,
    LaDuty,
    LegalAction,
    LegalActionEvent,
)
from chase.models import DslAlert, ReportedAbsence, StaffTask, WelfareCheck, WelfareCheckEvent
from chase.timeline import TASK_NAMES
from notifications.letter_words import date_words, day_words, days_words, year_group_words
from notifications.models import OutboxMessage
from notifications.pdf import (
    FONT,
    Document,
    document_bytes,
    heading,
    new_document,
    paragraph,
    table,
)
from school.calendar import SchoolCalendar
from school.clock import SCHOOL_TIME_ZONE, Clock
from school.codes import CODES
from school.law import NATIONAL_THRESHOLD_SESSIONS, NATIONAL_THRESHOLD_WEEKS
from school.models import Contact, Pupil
from school.schools import calendar_of, get_school, policy_of
from school.statistics import PupilStatistics, attendance_statistics
from school.tables import MARKS

# Free text (staff notes, reasons) may hold a phone number or an email address; the pack goes
# to another organisation, which needs what happened, not how to reach the family.
_PHONE = re.compile(r"\+?\(?\d[\d\s().-]{7,}\d")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
PHONE_DIGITS = (10, 15)  # UK numbers have 10 or 11 digits, international ones up to 15
STATE_WORDS = {
    "unexplained": "unexplained",
    "parent_messaged": "parents messaged",
    "calling_primary": "calling the primary contact",
    "calling_others": "calling other contacts",
    "reasonable_steps": "every reasonable step",
    "dsl_alerted": "DSL alerted",
    "explained": "explained",
    "confirmed_safe": "confirmed safe",
}
ACTION_WORDS = {
    "planned": "planned",
    "done": "done",
    "attended": "attended",
    "not_attended": "not attended",
    "declined": "declined",
    "cancelled": "cancelled",
}
LEGAL_KINDS = {
    "notice_to_improve": "Notice to Improve",
    "penalty_notice": "Penalty notice",
    "suspension_penalty_notice": "Suspension penalty notice (s103)",
}
# Bar colours (RGB): attended, authorised absence, unauthorised absence.
ATTENDED, AUTHORISED, UNAUTHORISED = (60, 110, 160), (190, 190, 190), (200, 70, 60)


def _number(found: re.Match[str]) -> str:
    text = found.group(0)
    digits = sum(c.isdigit() for c in text)
    # Dates written 2026-01-05 look like numbers to the pattern: they are kept.
    if _ISO_DATE.search(text) or not PHONE_DIGITS[0] <= digits <= PHONE_DIGITS[1]:
        return text
    return "[number removed]"


def scrub(text: str) -> str:
    """Free text with phone numbers and email addresses taken out."""
    return _EMAIL.sub("[email removed]", _PHONE.sub(_number, text))


@dataclass(frozen=True, order=True)
class Entry:
    """One line of the chronology; sorted by when, then by the order it was read in."""

    at: datetime
    seq: int
    kind: str = field(compare=False)
    what: str = field(compare=False)


@dataclass(frozen=True)
class Week:
    """One school week's sessions, as the chart draws them."""

    monday: date
    possible: int
    attended: int
    authorised: int
    unauthorised: int


# --- reading ------------------------------------------------------------------------------------


def _at_start(on: date) -> datetime:
    return datetime.combine(on, time(0, 0), tzinfo=SCHOOL_TIME_ZONE)


def _when(instant: datetime) -> str:
    local = instant.astimezone(SCHOOL_TIME_ZONE)
    return f"{local:%a} {local.day} {local:%b %Y} {local:%H:%M}"


def _session_word(name: str) -> str:
    return "morning" if name == "AM" else "afternoon"


class _Chronology:
    def __init__(self) -> None:
        self.entries: list[Entry] = []

    def add(self, at: datetime, kind: str, what: str) -> None:
        self.entries.append(Entry(at, len(self.entries), kind, scrub(" ".join(what.split()))))


def _welfare_entries(session: Session, pupil: Pupil, as_of_end: datetime, out: _Chronology) -> None:
    checks = {
        c.id: c
        for c in session.scalars(
            select(WelfareCheck)
            .where(col(WelfareCheck.pupil_id) == pupil.id)
            .order_by(col(WelfareCheck.date), col(WelfareCheck.id))
        )
    }
    if not checks:
        return
    ids = list(checks)

    def label(check_id: int) -> str:
        check = checks[check_id]
        return f"{_session_word(check.session)} of {day_words(check.date)}"

    for event in session.scalars(
        select(WelfareCheckEvent)
        .where(col(WelfareCheckEvent.check_id).in_(ids))
        .order_by(col(WelfareCheckEvent.id))
    ):
        if event.at > as_of_end:
            continue
        if event.trigger == "open":
            what = f"Welfare check opened, {label(event.check_id)}: {event.reason}"
        elif event.from_state == event.to_state:
            what = f"Welfare check ({label(event.check_id)}) note: {event.reason}"
        else:
            what = (
                f"Welfare check ({label(event.check_id)}): "
                f"{STATE_WORDS.get(event.from_state, event.from_state)} -> "
                f"{STATE_WORDS.get(event.to_state, event.to_state)}, {event.reason} "
                f"({event.actor})"
            )
        out.add(event.at, "Welfare check", what)
    # Messages: who, how and what became of it; never the number, the address or the body.
    for message in session.scalars(
        select(OutboxMessage)
        .where(col(OutboxMessage.check_id).in_(ids), col(OutboxMessage.alert_id).is_(None))
        .order_by(col(OutboxMessage.id))
    ):
        if message.created_at > as_of_end:
            continue
        how = "Text" if message.channel == "sms" else "Email"
        out.add(
            message.created_at,
            "Contact attempt",
            f"{how} to {message.recipient_label}: {message.status}",
        )
    for task in session.scalars(
        select(StaffTask).where(col(StaffTask.check_id).in_(ids)).order_by(col(StaffTask.id))
    ):
        at = task.recorded_at or task.due_at
        if at > as_of_end:
            continue
        name = TASK_NAMES.get(task.kind, task.kind.replace("_", " ").capitalize())
        outcome = (
            f": {task.outcome.replace('_', ' ')}"
            + (f" (recorded by {task.recorded_by})" if task.recorded_by else "")
            + (f"; {task.note}" if task.note else "")
            if task.outcome
            else f": {task.state}"
        )
        out.add(at, "Contact attempt", f"{name}{outcome}")
    for alert in session.scalars(select(DslAlert).where(col(DslAlert.check_id).in_(ids))):
        if alert.raised_at <= as_of_end:
            out.add(alert.raised_at, "DSL alert", f"DSL alerted: {alert.reason}")
        if alert.acknowledged_at and alert.acknowledged_at <= as_of_end:
            out.add(
                alert.acknowledged_at,
                "DSL alert",
                f"DSL alert acknowledged by {alert.acknowledged_by or 'staff'}"
                + (f": {alert.note}" if alert.note else ""),
            )


def _reported_entries(
    session: Session, pupil: Pupil, as_of_end: datetime, out: _Chronology
) -> None:
    for reported in session.scalars(
        select(ReportedAbsence)
        .where(col(ReportedAbsence.pupil_id) == pupil.id)
        .order_by(col(ReportedAbsence.id))
    ):
        if reported.recorded_at > as_of_end:
            continue
        source = reported.source.replace("_", " ")
        out.add(
            reported.recorded_at,
            "Absence reported",
            f"Absence reported for the {_session_word(reported.session)} of "
            f"{day_words(reported.date)} ({source}, recorded by {reported.recorded_by}): "
            f"{reported.reason}",
        )


def _action_words(action: CaseAction) -> str:
    details = action.details or {}
    words = action.title
    if action.kind == "letter" or "letter" in details:
        words = f"Letter: {action.title}"
        if details.get("letter"):
            words += f" ({details['letter']})"
    elif action.is_support:
        words = f"Support ({action.kind.replace('_', ' ')}): {action.title}"
    else:
        words = f"{action.kind.replace('_', ' ').capitalize()}: {action.title}"
    return words


def _case_entries(
    session: Session, pupil: Pupil, as_of_end: datetime, out: _Chronology
) -> list[AttendanceCase]:
    cases = list(
        session.scalars(
            select(AttendanceCase)
            .where(col(AttendanceCase.pupil_id) == pupil.id)
            .order_by(col(AttendanceCase.id))
        )
    )
    ids = [c.id for c in cases]
    if not ids:
        return cases
    for event in session.scalars(
        select(CaseEvent).where(col(CaseEvent.case_id).in_(ids)).order_by(col(CaseEvent.id))
    ):
        if event.at > as_of_end:
            continue
        who = f"{event.actor_name}, {event.actor_position}"
        if event.trigger == "open":
            what = f"Case opened at {event.to_stage}: {event.reason} ({who})"
        elif event.from_stage == event.to_stage:
            what = f"Case note ({event.trigger.replace('_', ' ')}): {event.reason} ({who})"
        else:
            what = f"Case moved {event.from_stage} -> {event.to_stage}: {event.reason} ({who})"
        out.add(event.at, "Case", what)
    for action in session.scalars(
        select(CaseAction).where(col(CaseAction.case_id).in_(ids)).order_by(col(CaseAction.id))
    ):
        words = _action_words(action)
        offered = "offered" if action.is_support else "planned"
        due = f", due {date_words(action.due_on)}" if action.due_on else ""
        if action.created_at <= as_of_end:
            out.add(action.created_at, "Case action", f"{words}: {offered}{due}")
        if action.status == "planned":
            continue
        status = ACTION_WORDS.get(action.status, action.status)
        details = action.details or {}
        delivery = (
            f", sent by {details['delivery'].replace('_', ' ')}" if "delivery" in details else ""
        )
        outcome = f"; {action.outcome}" if action.outcome else ""
        by = f" ({action.completed_by})" if action.completed_by else ""
        at = action.completed_at or (
            _at_start(action.due_on) if action.due_on else action.created_at
        )
        if at <= as_of_end:
            out.add(at, "Case action", f"{words}: {status}{delivery}{outcome}{by}")
    return cases


def _legal_entries(
    session: Session, pupil: Pupil, as_of_end: datetime, out: _Chronology
) -> list[LegalAction]:
    actions = list(
        session.scalars(
            select(LegalAction)
            .where(col(LegalAction.pupil_id) == pupil.id)
            .order_by(col(LegalAction.id))
        )
    )
    by_id = {a.id: a for a in actions}
    if not by_id:
        return actions
    for event in session.scalars(
        select(LegalActionEvent)
        .where(col(LegalActionEvent.legal_action_id).in_(list(by_id)))
        .order_by(col(LegalActionEvent.id))
    ):
        if event.at > as_of_end:
            continue
        action = by_id[event.legal_action_id]
        kind = LEGAL_KINDS.get(action.kind, action.kind)
        if event.from_state == "":
            what = f"{kind} for {action.parent_name}: {event.to_state.replace('_', ' ')}"
            if action.kind == "notice_to_improve" and action.improvement_period_end:
                what += f", improvement period to {date_words(action.improvement_period_end)}"
        else:
            what = (
                f"{kind} for {action.parent_name}: {event.from_state.replace('_', ' ')} -> "
                f"{event.to_state.replace('_', ' ')}"
            )
        out.add(event.at, "Legal action", f"{what}: {event.reason} ({event.actor})")
    return actions


def _duty_entries(session: Session, pupil: Pupil, as_of_end: datetime, out: _Chronology) -> None:
    for duty in session.scalars(
        select(LaDuty).where(col(LaDuty.pupil_id) == pupil.id).order_by(col(LaDuty.id))
    ):
        if duty.created_at <= as_of_end:
            out.add(
                duty.created_at,
                "LA duty",
                f"{duty.summary} (due {date_words(duty.due_on)}; {duty.status})",
            )
        if duty.done_at and duty.done_at <= as_of_end:
            out.add(duty.done_at, "LA duty", f"Done: {duty.summary} ({duty.done_by or 'staff'})")


def _marks(session: Session, pupil_id: int, start: date, end: date) -> list[tuple[date, str, str]]:
    rows = session.execute(
        select(MARKS.c.date, MARKS.c.session, MARKS.c.code)
        .where(MARKS.c.pupil_id == pupil_id, MARKS.c.date.between(start, end))
        .order_by(MARKS.c.date, MARKS.c.session)
    ).all()
    return [(r.date, r.session, r.code) for r in rows]


def weeks_of(
    calendar: SchoolCalendar, marks: list[tuple[date, str, str]], start: date, end: date
) -> list[Week]:
    """Every school week from `start` to `end`, with the pupil's sessions in it."""
    counts: dict[int, Counter[str]] = {}
    mondays: dict[int, date] = {}
    for school_day in calendar.days:
        week = school_day.school_week
        if start <= school_day.date <= end and week not in mondays:
            mondays[week] = date.fromordinal(
                school_day.date.toordinal() - school_day.date.weekday()
            )
            counts[week] = Counter()
    for on, _, code in marks:
        found = calendar.day(on)
        known = CODES.get(code)
        if found is None or known is None or found.school_week not in counts:
            continue
        if not known.possible:
            continue
        tally = counts[found.school_week]
        tally["possible"] += 1
        tally["attended"] += known.attendance
        tally["authorised"] += known.authorised
        tally["unauthorised"] += known.unauthorised
    return [
        Week(mondays[w], c["possible"], c["attended"], c["authorised"], c["unauthorised"])
        for w, c in sorted(counts.items())
    ]


def _figures(session: Session, pupil: Pupil, on: date) -> PupilStatistics | None:
    return next(
        (f for f in attendance_statistics(session, pupil.school_id, on) if f.upn == pupil.upn),
        None,
    )


# --- drawing ------------------------------------------------------------------------------------


def _sessions(count: int) -> str:
    return f"{count} session{'' if count == 1 else 's'} ({days_words(count)})"


def _cover(
    document: Document,
    pupil: Pupil,
    school_name: str,
    local_authority: str,
    contacts: list[Contact],
    figures: PupilStatistics | None,
    start: date,
    end: date,
    produced: datetime,
    cases: list[AttendanceCase],
) -> None:
    heading(document, f"Attendance evidence pack: {pupil.given_name} {pupil.family_name}", 16)
    paragraph(
        document,
        f"Prepared by {school_name} for {local_authority} local authority, with a referral to "
        "consider a penalty notice or other legal intervention. Confidential: it holds "
        "personal data about a child.",
    )
    parents = "; ".join(f"{c.name} ({c.relationship})" for c in contacts) or "none on file"
    rows = [
        ("Pupil", f"{pupil.given_name} {pupil.family_name}"),
        ("UPN", pupil.upn),
        ("Date of birth", date_words(pupil.date_of_birth)),
        ("Year group", year_group_words(pupil.year_group)),
        ("School", school_name),
        ("Admitted", date_words(pupil.admission_date)),
        ("Parents with parental responsibility", parents),
        ("Figures for", f"{date_words(start)} to {date_words(end)}"),
        ("Produced", _when(produced)),
    ]
    if pupil.leaving_date:
        rows.insert(6, ("Left", date_words(pupil.leaving_date)))
    open_cases = [c for c in cases if c.closed_at is None]
    if open_cases:
        case = open_cases[-1]
        stage = case.stage
        if case.support_not_appropriate:
            stage += f" (support not appropriate: {scrub(case.support_not_appropriate)})"
        rows.append(("Case stage", stage))
    table(document, ("", ""), rows, (55, 115))
    heading(document, "Attendance this school year")
    if figures is None or figures.possible_sessions == 0:
        paragraph(document, "No possible sessions recorded in this period.")
        return
    attended = figures.present_sessions + figures.aea_sessions
    pct = f"{figures.attendance_pct:.1f}%" if figures.attendance_pct is not None else "-"
    table(
        document,
        ("Measure", "Sessions (a session is half a day)"),
        [
            ("Possible sessions", _sessions(figures.possible_sessions)),
            ("Attended (present or approved activity)", _sessions(attended)),
            ("Authorised absence", _sessions(figures.authorised_sessions)),
            ("Unauthorised absence", _sessions(figures.unauthorised_sessions)),
            ("Attendance", pct),
            (
                "Persistent / severe absence (DfE)",
                f"{'yes' if figures.persistent_absence else 'no'} / "
                f"{'yes' if figures.severe_absence else 'no'}",
            ),
            (
                "Late this term: before / after the register closed",
                f"{figures.late_before_close_term} / {figures.late_after_close_term}",
            ),
            ("Compulsory school age", "yes" if figures.compulsory_school_age else "no"),
        ],
        (85, 85),
    )
    heading(document, "National threshold")
    rolling = figures.unauthorised_sessions_rolling_10_school_weeks
    first = figures.national_threshold_first_met_on
    paragraph(
        document,
        f"Unauthorised sessions (codes G, N, O, U) in the {NATIONAL_THRESHOLD_WEEKS} school "
        f"weeks to {date_words(end)}: {rolling} (the threshold is "
        f"{NATIONAL_THRESHOLD_SESSIONS} sessions in a rolling {NATIONAL_THRESHOLD_WEEKS} school "
        "weeks).",
        style="B",
    )
    paragraph(
        document,
        f"Threshold first met on {date_words(first)}."
        if first
        else "The threshold has not been met this year.",
    )
    if figures.overdue_n_codes:
        paragraph(
            document,
            f"{figures.overdue_n_codes} N code(s) are more than 5 school days old and still "
            "unresolved: they should be recoded before any legal action.",
        )


def _legal_section(document: Document, actions: list[LegalAction]) -> None:
    heading(document, "Notices to Improve and penalty notices")
    if not actions:
        paragraph(document, "None.")
        return
    for action in actions:
        kind = LEGAL_KINDS.get(action.kind, action.kind)
        issued = f"issued {date_words(action.issued_on)}" if action.issued_on else "not issued"
        state = action.state.replace("_", " ")
        lines = [f"{kind} for {action.parent_name}: {issued}; now {state}."]
        period_end = action.improvement_period_end
        if action.kind == "notice_to_improve" and action.issued_on and period_end:
            first = date.fromordinal(action.issued_on.toordinal() + 1)
            weeks = (period_end - action.issued_on).days // 7
            lines.append(
                f"Improvement period: {date_words(first)} to {date_words(period_end)} "
                f"({weeks} weeks)."
            )
        if action.threshold_first_met_on:
            met = date_words(action.threshold_first_met_on)
            lines.append(f"National threshold first met on {met}.")
        if action.amount is not None:
            early = (
                f"£{action.amount_if_paid_early} within 21 days, "
                if action.amount_if_paid_early
                else ""
            )
            lines.append(f"Amount: {early}£{action.amount} within 28 days.")
        if action.withdrawn_on:
            lines.append(f"Withdrawn on {date_words(action.withdrawn_on)}.")
        paragraph(document, " ".join(lines), style="B")
        for line in (action.offence_summary or "").splitlines():
            paragraph(document, scrub(line), size=9)


CHART_H, LABEL_H = 45.0, 10.0  # mm: the bars' area and the week labels under it


def _chart(document: Document, weeks: list[Week]) -> None:
    # The heading, its note and the chart stay together on one page.
    if document.get_y() + CHART_H + LABEL_H + 25 > document.h - 25:
        document.add_page()
    heading(document, "Attendance by school week")
    if not weeks:
        paragraph(document, "No school weeks in this period.")
        return
    paragraph(
        document,
        "Each bar is one school week: its height is the possible sessions, blue attended, grey "
        "authorised absence, red unauthorised absence.",
        size=9,
    )
    chart_h, label_h = CHART_H, LABEL_H
    left, top = document.l_margin + 8, document.get_y() + 2
    width = document.epw - 8
    scale_max = max(10, *(w.possible for w in weeks))
    step = width / len(weeks)
    bar = step * 0.75
    bottom = top + chart_h
    document.set_draw_color(150)
    document.line(left, bottom, left + width, bottom)
    document.line(left, top, left, bottom)
    document.set_font(FONT, size=6)
    for value in (0, scale_max // 2, scale_max):
        y = bottom - chart_h * value / scale_max
        document.set_xy(left - 8, y - 1.5)
        document.cell(7, 3, str(value), align="R")
    for i, week in enumerate(weeks):
        x = left + i * step + (step - bar) / 2
        y = bottom
        for count, colour in (
            (week.attended, ATTENDED),
            (week.authorised, AUTHORISED),
            (week.unauthorised, UNAUTHORISED),
        ):
            if count:
                h = chart_h * count / scale_max
                y -= h
                document.set_fill_color(*colour)
                document.rect(x, y, bar, h, style="F")
        # A label every few weeks keeps a year's 39 weeks legible.
        if i % max(1, len(weeks) // 8) == 0:
            document.set_xy(x - 2, bottom + 1)
            document.cell(14, 3, f"{week.monday.day} {week.monday:%b}")
    document.set_draw_color(0)
    document.set_y(bottom + label_h)
    table(
        document,
        ("Week beginning", "Possible", "Attended", "Authorised absence", "Unauthorised absence"),
        [
            (
                date_words(w.monday),
                str(w.possible),
                str(w.attended),
                str(w.authorised),
                str(w.unauthorised),
            )
            for w in weeks
        ],
        (46, 28, 28, 34, 34),
    )


def _codes_section(document: Document, marks: list[tuple[date, str, str]]) -> None:
    heading(document, "Register codes this school year")
    counts = Counter(code for _, _, code in marks)
    rows = []
    for code, count in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])):
        known = CODES.get(code)
        meaning = known.meaning if known else "unknown code"
        category = known.category.value if known else ""
        rows.append((code, meaning, category, str(count)))
    if not rows:
        paragraph(document, "No register marks in this period.")
        return
    table(document, ("Code", "Meaning", "Category", "Sessions"), rows, (14, 90, 46, 20))
    unauthorised = [(on, s, c) for on, s, c in marks if CODES.get(c) and CODES[c].unauthorised]
    heading(document, "Unauthorised sessions")
    if not unauthorised:
        paragraph(document, "None.")
        return
    table(
        document,
        ("Date", "Session", "Code"),
        [(day_words(on), _session_word(s), code) for on, s, code in unauthorised],
        (90, 50, 30),
    )


def _chronology_section(document: Document, entries: list[Entry]) -> None:
    heading(document, "Chronology")
    if not entries:
        paragraph(document, "Nothing recorded.")
        return
    paragraph(
        document,
        "Every contact attempt and its outcome, case event, letter, meeting, plan, support "
        "offered or declined, and legal action, oldest first. Times are UK time.",
        size=9,
    )
    table(
        document,
        ("When", "Type", "What happened"),
        [(_when(e.at), e.kind, e.what) for e in entries],
        (32, 26, 112),
    )


# --- the pack -----------------------------------------------------------------------------------


def _read(
    session: Session, pupil: Pupil, as_of: date
) -> tuple[list[Entry], list[AttendanceCase], list[LegalAction]]:
    end = _at_start(date.fromordinal(as_of.toordinal() + 1))
    out = _Chronology()
    _welfare_entries(session, pupil, end, out)
    _reported_entries(session, pupil, end, out)
    cases = _case_entries(session, pupil, end, out)
    actions = _legal_entries(session, pupil, end, out)
    _duty_entries(session, pupil, end, out)
    return sorted(out.entries), cases, actions


def _pupil(session: Session, pupil_id: int) -> Pupil:
    pupil = session.get(Pupil, pupil_id)
    if pupil is None:
        raise LookupError(f"no pupil {pupil_id}")
    return pupil


def chronology(session: Session, pupil_id: int, as_of: date) -> list[Entry]:
    """Everything recorded about the pupil's attendance up to the end of `as_of`, oldest first."""
    return _read(session, _pupil(session, pupil_id), as_of)[0]


def evidence_pack_pdf(session: Session, pupil_id: int, as_of: date, clock: Clock) -> bytes:
    """The pupil's evidence pack: cover and figures, legal actions, chronology, weekly chart,
    register codes. Figures are for the school year up to `as_of` (or the leaving date).

    Reads only; no message bodies, phone numbers or email addresses appear in it.
    """
    pupil = _pupil(session, pupil_id)
    school = get_school(session, pupil.school_id)
    policy = policy_of(school).policy
    calendar = calendar_of(school)
    on = min(as_of, pupil.leaving_date) if pupil.leaving_date else as_of
    start = max(calendar.academic_year_start(on), pupil.admission_date)
    contacts = list(
        session.scalars(
            select(Contact)
            .where(col(Contact.pupil_id) == pupil.id, col(Contact.parental_responsibility))
            .order_by(col(Contact.priority))
        )
    )
    entries, cases, actions = _read(session, pupil, as_of)
    marks = _marks(session, pupil.id or 0, start, on)
    name = f"{pupil.given_name} {pupil.family_name}"
    document = new_document(
        header=f"{school.name} - attendance evidence pack: {name}",
        title=f"Attendance evidence pack: {name}",
        footer_note="Confidential",
    )
    _cover(
        document,
        pupil,
        school.name,
        policy.school.local_authority,
        contacts,
        _figures(session, pupil, on),
        start,
        on,
        clock.now(),
        cases,
    )
    _legal_section(document, actions)
    _chronology_section(document, entries)
    _chart(document, weeks_of(calendar, marks, start, on))
    _codes_section(document, marks)
    return document_bytes(document)

"""Letters to parents from templates/letters/: rendered to HTML and PDF, emailed or printed."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from html.parser import HTMLParser
from typing import Any

from jinja2 import (
    Template,
    TemplateError,
)
from sqlalchemy import select
from sqlmodel import Session, col

from cases.models import AttendanceCase, CaseAction, LegalAction
from notifications.outbox import Envelope, enqueue
from notifications.pdf import html_title, html_to_pdf
from notifications.rendering import DEFAULT, TEMPLATES, TemplateProblem, template_environment
from school.clock import Clock, school_today
from school.codes import CODES, NATIONAL_THRESHOLD_CODES
from school.database import id_of
from school.law import NATIONAL_THRESHOLD_SESSIONS, NATIONAL_THRESHOLD_WEEKS
from school.models import Contact, Pupil
from school.schools import calendar_of, get_school, policy_of
from school.statistics import PupilStatistics, attendance_statistics
from school.tables import MARKS

LETTERS = TEMPLATES / "letters"
NOTICE_TO_IMPROVE = "notice_to_improve"
# A session is half a day. Hours of learning use the DfE's expected minimum school week of
# 32.5 hours (6.5 hours a day) from September 2024: an estimate, so letters say "about".
HOURS_PER_SESSION = 3.25
DEFAULT_SIGNATORY = "Attendance Lead"

# The context every letter is given: all of these (None or [] where unknown), and nothing
# else, so a letter cannot show what its writer did not mean to pass (a UPN, flags, notes).
#   school_name, school_phone       from the policy; school_address: lines, [] if not held
#   letter_date                     "13 March 2026"
#   parent_name, parent_address     the addressee; parent_address: lines, [] for email
#   child_first_name, child_family_name, year_group ("Year 7", "Reception")
#   period                          the figures' span: "between 1 September 2025 and ..."
#   days_possible, days_attended, days_missed, unauthorised_days: "18½ days"
#   sessions_missed, unauthorised_sessions: whole sessions (a session is half a day)
#   hours_missed                    "about 120 hours"; weeks_missed "about 3½ school weeks"
#                                   or None under half a week
#   attendance_pct                  "87.3%" (letters lead with time lost; this may follow)
#   late_arrivals, late_after_close this half-term: L and U marks; lateness_period in words
#   compulsory_school_age           False for under-5s (no legal-duty wording)
#   meeting, next_steps             what happens next, as staff wrote it, or None
#   signatory_name, signatory_role  who signs
LETTER_KEYS = frozenset(
    {
        "school_name",
        "school_address",
        "school_phone",
        "letter_date",
        "parent_name",
        "parent_address",
        "child_first_name",
        "child_family_name",
        "year_group",
        "period",
        "days_possible",
        "days_attended",
        "days_missed",
        "sessions_missed",
        "hours_missed",
        "weeks_missed",
        "unauthorised_days",
        "unauthorised_sessions",
        "attendance_pct",
        "late_arrivals",
        "late_after_close",
        "lateness_period",
        "compulsory_school_age",
        "meeting",
        "next_steps",
        "signatory_name",
        "signatory_role",
    }
)
# A Notice to Improve also carries the eight elements of spec §5 (see notice_context).
NOTICE_KEYS = LETTER_KEYS | {
    "issued_on",
    "period_start",
    "period_end",
    "improvement_weeks",
    "offences",
    "threshold_sessions",
    "threshold_weeks",
    "threshold_first_met_on",
    "support_so_far",
    "support_declined",
    "further_support",
    "sufficient_improvement",
    "early_grounds",
}
# Keys by the letter's own name (the part after "school/"); every other letter takes LETTER_KEYS.
KEYS_BY_LETTER: dict[str, frozenset[str]] = {NOTICE_TO_IMPROVE: NOTICE_KEYS}

_SCHOOL_ID = re.compile(r"^[a-z0-9][a-z0-9-]*$")  # as in policy files; keeps paths inside
_LETTER = re.compile(r"^(?:(?P<school>[a-z0-9][a-z0-9-]*)/)?(?P<name>[a-z0-9_]+)$")


# --- finding and rendering a letter -----------------------------------------------------------


def letter_template_names(school_id: str, letter: str) -> tuple[str, str]:
    """Where a letter is looked for: the school's folder first, then templates/letters/default.

    `letter` is the name a policy uses ("micklefield/letter_one") or a bare name
    ("notice_to_improve"); a prefix must be the school's own id or "default".
    """
    if not _SCHOOL_ID.fullmatch(school_id):
        raise TemplateProblem(f"{school_id!r} is not a school id")
    found = _LETTER.fullmatch(letter)
    if found is None:
        raise TemplateProblem(f"{letter!r} is not a letter name (school/name_in_snake_case)")
    prefix, name = found.group("school"), found.group("name")
    if prefix not in (None, school_id, DEFAULT):
        raise TemplateProblem(f"{letter!r} is another school's letter, not {school_id!r}'s")
    return f"letters/{school_id}/{name}.html", f"letters/{DEFAULT}/{name}.html"


def letter_template(school_id: str, letter: str) -> Template:
    """The template a letter renders from; TemplateProblem if neither place has it."""
    try:
        return template_environment().select_template(
            list(letter_template_names(school_id, letter))
        )
    except TemplateError as exc:
        raise TemplateProblem(f"no letter template: {exc}") from exc


def letter_keys(letter: str) -> frozenset[str]:
    """The context keys a letter takes (all required, None allowed)."""
    return KEYS_BY_LETTER.get(letter.rsplit("/", 1)[-1], LETTER_KEYS)


def render_letter_html(school_id: str, letter: str, context: Mapping[str, object]) -> str:
    """The letter as an HTML document (autoescaped), from the school's template or the default.

    The <title> is the subject line an email of it uses (see `html_title`).
    """
    template = letter_template(school_id, letter)
    allowed = letter_keys(letter)
    given = set(context)
    if given - allowed:
        raise TemplateProblem(
            f"{letter} may not be given {', '.join(sorted(given - allowed))}; "
            f"it takes only {', '.join(sorted(allowed))}"
        )
    # Every key is required, so a caller that works for one school cannot fail at another.
    if allowed - given:
        raise TemplateProblem(
            f"{letter} is missing {', '.join(sorted(allowed - given))} "
            "(pass None where a value is not known)"
        )
    try:
        html = template.render(dict(context))
    except TemplateError as exc:
        # jinja2 names the missing key or attribute, never the context's values.
        raise TemplateProblem(f"{template.name}: {exc}") from exc
    return html.strip() + "\n"


def render_letter_pdf(html: str, header: str = "") -> bytes:
    """The printable letter: the HTML drawn on A4, `header` (the school) from page 2 on.

    Page 1 carries the letter's own letterhead. Characters outside Latin-1 are spelled the
    nearest Latin-1 way (notifications.pdf.latin1): "Łukasz" prints as "Lukasz".
    """
    return html_to_pdf(html, header=header, header_from_page=2)


def letter_subject(html: str) -> str:
    return html_title(html)


# --- the figures in words ---------------------------------------------------------------------


def days_words(sessions: int) -> str:
    """Sessions as days: 37 -> "18½ days", 1 -> "half a day", 2 -> "1 day"."""
    whole, half = divmod(max(sessions, 0), 2)
    if whole == 0 and half:
        return "half a day"
    number = f"{whole}½" if half else str(whole)
    return f"{number} {'day' if sessions == 2 else 'days'}"


def hours_words(sessions: int) -> str:
    hours = round(sessions * HOURS_PER_SESSION)
    return f"about {hours} hour{'' if hours == 1 else 's'}"


def weeks_words(sessions: int) -> str | None:
    """School weeks to the nearest half (a week is 10 sessions); None under half a week."""
    halves = round(sessions / 5)
    if halves < 1:
        return None
    whole, half = divmod(halves, 2)
    number = ("half a" if whole == 0 else f"{whole}½") if half else str(whole)
    return f"about {number} school week{'' if halves <= 2 else 's'}"


def date_words(on: date) -> str:
    return f"{on.day} {on:%B %Y}"


def day_words(on: date) -> str:
    return f"{on:%A} {on.day} {on:%B %Y}"


def year_group_words(year_group: int) -> str:
    if year_group < 0:
        return "Nursery"
    return "Reception" if year_group == 0 else f"Year {year_group}"


def letter_context(
    *,
    school_name: str,
    school_phone: str | None,
    figures: PupilStatistics,
    child_first_name: str,
    child_family_name: str,
    year_group: int,
    parent_name: str,
    period_start: date,
    as_of: date,
    letter_date: date,
    half_term_start: date | None = None,
    school_address: Sequence[str] = (),
    parent_address: Sequence[str] = (),
    meeting: str | None = None,
    next_steps: str | None = None,
    signatory_role: str = DEFAULT_SIGNATORY,
    signatory_name: str | None = None,
) -> dict[str, object]:
    """Every LETTER_KEYS value, with the figures turned into time lost (days, hours)."""
    attended = figures.present_sessions + figures.aea_sessions
    missed = figures.authorised_sessions + figures.unauthorised_sessions
    pct = figures.attendance_pct
    return {
        "school_name": school_name,
        "school_address": list(school_address),
        "school_phone": school_phone,
        "letter_date": date_words(letter_date),
        "parent_name": parent_name,
        "parent_address": list(parent_address),
        "child_first_name": child_first_name,
        "child_family_name": child_family_name,
        "year_group": year_group_words(year_group),
        "period": f"between {date_words(period_start)} and {date_words(as_of)}",
        "days_possible": days_words(figures.possible_sessions),
        "days_attended": days_words(attended),
        "days_missed": days_words(missed),
        "sessions_missed": missed,
        "hours_missed": hours_words(missed),
        "weeks_missed": weeks_words(missed),
        "unauthorised_days": days_words(figures.unauthorised_sessions),
        "unauthorised_sessions": figures.unauthorised_sessions,
        "attendance_pct": None if pct is None else f"{pct:.1f}%",
        "late_arrivals": figures.late_before_close_half_term + figures.late_after_close_half_term,
        "late_after_close": figures.late_after_close_half_term,
        "lateness_period": (
            f"since the start of this half-term on {date_words(half_term_start)}"
            if half_term_start
            else "this half-term"
        ),
        "compulsory_school_age": figures.compulsory_school_age,
        "meeting": meeting,
        "next_steps": next_steps,
        "signatory_name": signatory_name,
        "signatory_role": signatory_role,
    }


def offence_lines(sessions: Iterable[tuple[date, str, str]]) -> list[str]:
    """Unauthorised sessions (date, "AM"/"PM", code) as one line per day, in date order."""
    by_day: dict[date, list[tuple[str, str]]] = {}
    for on, session_name, code in sorted(sessions):
        by_day.setdefault(on, []).append((session_name, code))
    lines = []
    for on, marks in by_day.items():
        halves = " and ".join("morning" if s == "AM" else "afternoon" for s, _ in marks)
        meanings = "; ".join(dict.fromkeys(_code_words(code) for _, code in marks))
        lines.append(f"{day_words(on)}, {halves}: {meanings}")
    return lines


def _code_words(code: str) -> str:
    known = CODES.get(code)
    meaning = known.meaning[0].lower() + known.meaning[1:] if known else "unauthorised absence"
    return f"{meaning} (code {code})"


def notice_context(
    base: Mapping[str, object],
    *,
    issued_on: date,
    period_end: date,
    offences: Sequence[str],
    threshold_first_met_on: date | None,
    support_so_far: Sequence[str],
    support_declined: Sequence[str],
    further_support: str,
    sufficient_improvement: str,
    early_grounds: str,
) -> dict[str, object]:
    """A letter context plus the Notice to Improve's own elements (spec §5, NTI content).

    The improvement period runs from the day after issue to `period_end`; it must be 3 to 6
    weeks, which is checked here as well as where the notice is issued.
    """
    days = (period_end - issued_on).days
    if not 21 <= days <= 42:
        raise TemplateProblem(
            f"an improvement period of {days} days is not 3 to 6 weeks (spec §5 NTI content (6))"
        )
    weeks = days // 7
    return {
        **base,
        "issued_on": date_words(issued_on),
        "period_start": date_words(date.fromordinal(issued_on.toordinal() + 1)),
        "period_end": date_words(period_end),
        "improvement_weeks": f"{weeks} weeks" if days % 7 == 0 else f"{days} days",
        "offences": list(offences),
        "threshold_sessions": NATIONAL_THRESHOLD_SESSIONS,
        "threshold_weeks": NATIONAL_THRESHOLD_WEEKS,
        "threshold_first_met_on": (
            date_words(threshold_first_met_on) if threshold_first_met_on else None
        ),
        "support_so_far": list(support_so_far),
        "support_declined": list(support_declined),
        "further_support": further_support,
        "sufficient_improvement": sufficient_improvement,
        "early_grounds": early_grounds,
    }


# --- letters from the database ----------------------------------------------------------------


@dataclass(frozen=True)
class LetterDelivery:
    """How a letter went out: emailed to some contacts, to be printed for others."""

    delivery: str  # "email", "print" or "email_and_print"
    emailed_contact_ids: list[int]
    print_contact_ids: list[
        int
    ]  # [] with "print" when nobody with parental responsibility is on file
    queued: int  # outbox rows added by this call (0 when sent before: keys are idempotent)


def _figures_for(session: Session, pupil: Pupil, as_of: date) -> PupilStatistics:
    # A pupil who has left is off the roll after leaving: their figures stop on that day.
    on = min(as_of, pupil.leaving_date) if pupil.leaving_date else as_of
    for figures in attendance_statistics(session, pupil.school_id, on):
        if figures.upn == pupil.upn:
            return figures
    raise LookupError(f"pupil {pupil.id} was not on roll on {on}")


def pupil_letter_context(
    session: Session,
    pupil: Pupil,
    parent_name: str,
    as_of: date,
    letter_date: date,
    **extra: Any,
) -> dict[str, object]:
    """letter_context for a stored pupil: the school's name and phone, figures as of `as_of`.

    `extra` passes on letter_context's optional keywords (meeting, signatory_role, ...).
    """
    school = get_school(session, pupil.school_id)
    calendar = calendar_of(school)
    half_term = calendar.half_term_span(as_of)
    return letter_context(
        school_name=school.name,
        school_phone=policy_of(school).policy.school.phone,
        figures=_figures_for(session, pupil, as_of),
        child_first_name=pupil.given_name,
        child_family_name=pupil.family_name,
        year_group=pupil.year_group,
        parent_name=parent_name,
        period_start=max(calendar.academic_year_start(as_of), pupil.admission_date),
        as_of=as_of,
        letter_date=letter_date,
        half_term_start=half_term[0] if half_term else None,
        **extra,
    )


def _letter_of(action: CaseAction) -> str:
    letter = (action.details or {}).get("letter")
    if not isinstance(letter, str) or not letter:
        raise TemplateProblem(f"case action {action.id} names no letter in details['letter']")
    return letter


def parents_of(session: Session, pupil_id: int) -> list[Contact]:
    """Contacts with parental responsibility, in the school's calling order."""
    return list(
        session.scalars(
            select(Contact)
            .where(col(Contact.pupil_id) == pupil_id, col(Contact.parental_responsibility))
            .order_by(col(Contact.priority))
        )
    )


def case_letter_context(
    session: Session,
    action: CaseAction,
    as_of: date,
    letter_date: date,
    signatory_role: str = DEFAULT_SIGNATORY,
    signatory_name: str | None = None,
) -> tuple[AttendanceCase, dict[str, object]]:
    """A case letter's context, addressed to nobody yet (parent_name is set per contact).

    The action's `details` may hold "meeting" and "next_steps" texts written by staff.
    """
    case = session.get(AttendanceCase, action.case_id)
    if case is None:
        raise LookupError(f"no case {action.case_id}")
    pupil = session.get(Pupil, case.pupil_id)
    assert pupil is not None  # a foreign key
    details = action.details or {}
    context = pupil_letter_context(
        session,
        pupil,
        "",
        as_of,
        letter_date,
        meeting=details.get("meeting"),
        next_steps=details.get("next_steps"),
        signatory_role=signatory_role,
        signatory_name=signatory_name,
    )
    return case, context


def case_letter_html(
    session: Session,
    action: CaseAction,
    contact: Contact,
    as_of: date,
    letter_date: date,
    signatory_role: str = DEFAULT_SIGNATORY,
    signatory_name: str | None = None,
) -> str:
    """A case's letter to one contact."""
    case, context = case_letter_context(
        session, action, as_of, letter_date, signatory_role, signatory_name
    )
    return render_letter_html(
        case.school_id, _letter_of(action), {**context, "parent_name": contact.name}
    )


def _label(contact: Contact) -> str:
    # As the chase labels its messages: for timelines, never the address.
    return f"{contact.relationship or 'contact'} (priority {contact.priority})"


def send_letter(
    session: Session,
    action: CaseAction,
    clock: Clock,
    as_of: date | None = None,
    signatory_role: str = DEFAULT_SIGNATORY,
    signatory_name: str | None = None,
) -> LetterDelivery:
    """Email a case's letter to each parent with an email address; mark the rest for printing.

    Every contact with parental responsibility gets the letter: by email (the letter as the
    HTML part, a plain-text copy as the text part; the outbox carries no attachments) if
    they have an address, else on paper (`letter_pdf`). The action's details record
    "delivery" and the contact ids. The outbox key is the action and the contact, so sending
    twice queues nothing new. Writes in the caller's transaction; the caller commits.
    """
    case = session.get(AttendanceCase, action.case_id)
    if case is None:
        raise LookupError(f"no case {action.case_id}")
    today = school_today(clock)
    on = as_of or today
    parents = parents_of(session, case.pupil_id)
    envelopes, emailed, printed = [], [], []
    # The figures are read once (one statement for the school), then addressed per parent.
    context: dict[str, object] | None = None
    for contact in parents:
        if not contact.email:
            printed.append(id_of(contact))
            continue
        if context is None:
            _, context = case_letter_context(
                session, action, on, today, signatory_role, signatory_name
            )
        html = render_letter_html(
            case.school_id, _letter_of(action), {**context, "parent_name": contact.name}
        )
        envelopes.append(
            Envelope(
                key=f"letter:{id_of(action)}:contact:{id_of(contact)}:email",
                school_id=case.school_id,
                channel="email",
                to=contact.email,
                recipient_label=_label(contact),
                template=f"letter:{_letter_of(action)}"[:60],
                subject=letter_subject(html),
                text=html_to_text(html),
                html=html,
                contact_id=id_of(contact),
            )
        )
        emailed.append(id_of(contact))
    queued = enqueue(session, envelopes, clock.now())
    delivery = "email_and_print" if emailed and printed else "email" if emailed else "print"
    # A new dict, so SQLAlchemy sees the JSON column change.
    action.details = {
        **(action.details or {}),
        "delivery": delivery,
        "emailed_contact_ids": emailed,
        "print_contact_ids": printed,
        "letter_as_of": on.isoformat(),
    }
    session.add(action)
    session.flush()
    return LetterDelivery(delivery, emailed, printed, queued)


def letter_pdf(
    session: Session,
    action: CaseAction,
    contact: Contact,
    clock: Clock,
    as_of: date | None = None,
    signatory_role: str = DEFAULT_SIGNATORY,
    signatory_name: str | None = None,
) -> bytes:
    """The printable copy of a case's letter to one contact."""
    today = school_today(clock)
    html = case_letter_html(
        session, action, contact, as_of or today, today, signatory_role, signatory_name
    )
    case = session.get(AttendanceCase, action.case_id)
    assert case is not None
    return render_letter_pdf(html, header=get_school(session, case.school_id).name)


def notice_letter_html(
    session: Session,
    action: LegalAction,
    clock: Clock,
    *,
    further_support: str,
    sufficient_improvement: str,
    early_grounds: str,
    signatory_role: str = DEFAULT_SIGNATORY,
    signatory_name: str | None = None,
) -> str:
    """The Notice to Improve letter for a stored notice, to the parent it was issued to.

    The figures are as of the issue date; the offences are the unauthorised sessions of the
    10 school weeks before it; support so far and declined come from the case's support
    actions. The three texts the school decides case by case are passed in.
    """
    if action.kind != NOTICE_TO_IMPROVE or not action.issued_on:
        raise TemplateProblem(f"legal action {action.id} is not an issued Notice to Improve")
    assert action.improvement_period_end is not None
    pupil = session.get(Pupil, action.pupil_id)
    assert pupil is not None
    school = get_school(session, pupil.school_id)
    calendar = calendar_of(school)
    issued = action.issued_on
    last = calendar.last_school_day_on_or_before(issued)
    first_week = (last.school_week - (NATIONAL_THRESHOLD_WEEKS - 1)) if last else 0
    window_start = next((d.date for d in calendar.days if d.school_week >= first_week), issued)
    rows = session.execute(
        select(MARKS.c.date, MARKS.c.session, MARKS.c.code).where(
            MARKS.c.pupil_id == pupil.id,
            MARKS.c.date.between(window_start, issued),
            MARKS.c.code.in_(sorted(NATIONAL_THRESHOLD_CODES)),
        )
    ).all()
    support = (
        list(
            session.scalars(
                select(CaseAction).where(
                    col(CaseAction.case_id) == action.case_id, col(CaseAction.is_support)
                )
            )
        )
        if action.case_id
        else []
    )
    base = pupil_letter_context(
        session,
        pupil,
        action.parent_name,
        issued,
        school_today(clock),
        signatory_role=signatory_role,
        signatory_name=signatory_name,
    )
    context = notice_context(
        base,
        issued_on=issued,
        period_end=action.improvement_period_end,
        offences=offence_lines((r.date, r.session, r.code) for r in rows),
        threshold_first_met_on=action.threshold_first_met_on,
        support_so_far=[a.title for a in support if a.status not in ("declined", "cancelled")],
        support_declined=[a.title for a in support if a.status == "declined"],
        further_support=further_support,
        sufficient_improvement=sufficient_improvement,
        early_grounds=early_grounds,
    )
    return render_letter_html(school.id, NOTICE_TO_IMPROVE, context)


# --- plain text for the email's text part -----------------------------------------------------


class _TextWriter(HTMLParser):
    """HTML to plain text: paragraphs and headings as blocks, list items as "- " lines."""

    BLOCKS = frozenset({"p", "div", "h1", "h2", "h3", "h4", "ul", "ol", "table", "tr"})
    SKIP = frozenset({"head", "title", "style", "script"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.SKIP:
            self.skipping += 1
        elif tag in self.BLOCKS:
            self.parts.append("\n\n")
        elif tag == "br":
            self.parts.append("\n")
        elif tag == "li":
            self.parts.append("\n- ")
        elif tag in ("td", "th"):
            self.parts.append("  ")

    def handle_endtag(self, tag: str) -> None:
        if tag in self.SKIP:
            self.skipping = max(self.skipping - 1, 0)
        elif tag in self.BLOCKS:
            self.parts.append("\n\n")

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.parts.append(re.sub(r"\s+", " ", data))


def html_to_text(html: str) -> str:
    """The text part of a letter's email: the same words, without markup."""
    writer = _TextWriter()
    writer.feed(html)
    writer.close()
    lines = [line.strip() for line in "".join(writer.parts).splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip() + "\n"

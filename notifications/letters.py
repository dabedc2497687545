"""Letters to parents from templates/letters/: the context they take, as HTML, PDF or text."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from html.parser import HTMLParser

from jinja2 import (
    Template,
    TemplateError,
)

from notifications.html_title import html_title
from notifications.letter_words import (
    date_words,
    day_words,
    days_words,
    hours_words,
    weeks_words,
    year_group_words,
)
from notifications.rendering import DEFAULT, TEMPLATES, TemplateProblem, chosen_template
from school.codes import CODES
from school.law import NATIONAL_THRESHOLD_SESSIONS, NATIONAL_THRESHOLD_WEEKS
from school.statistics import PupilStatistics

LETTERS = TEMPLATES / "letters"
NOTICE_TO_IMPROVE = "notice_to_improve"
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
        return chosen_template(letter_template_names(school_id, letter))
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

    Page 1 carries the letter's own letterhead. The embedded Unicode font prints names
    exactly as written ("Łukasz Wójcik", "Nguyễn Thị Hoa"); see notifications.pdf.
    """
    # reportlab loads only in a process that draws a PDF.
    from notifications.pdf import html_to_pdf

    return html_to_pdf(html, header=header, header_from_page=2)


def letter_subject(html: str) -> str:
    return html_title(html)


# --- a letter's context -----------------------------------------------------------------------


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

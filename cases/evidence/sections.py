"""The pack's sections in reading order: cover and figures, legal actions, chart, codes."""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime

from cases.evidence.chart import WeeklyChart
from cases.evidence.chronology import Entry
from cases.evidence.register import Week
from cases.evidence.words import LEGAL_KINDS, scrub, session_word, when
from cases.models import AttendanceCase, LegalAction, StoredLetter
from notifications.letter_words import date_words, day_words, days_words, year_group_words
from notifications.pdf import Document, heading, kept_together, paragraph, table
from school.codes import CODES
from school.law import N_CODE_SCHOOL_DAYS, NATIONAL_THRESHOLD_SESSIONS, NATIONAL_THRESHOLD_WEEKS
from school.models import Contact, Pupil
from school.statistics import PupilStatistics


def _sessions(count: int) -> str:
    return f"{count} session{'' if count == 1 else 's'} ({days_words(count)})"


def cover(
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
        ("Produced", when(produced)),
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
            f"{figures.overdue_n_codes} N code(s) are more than {N_CODE_SCHOOL_DAYS} school days "
            "old and still unresolved: they should be recoded before any legal action.",
        )


def legal_section(document: Document, actions: list[LegalAction]) -> None:
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


def chart(document: Document, weeks: list[Week]) -> None:
    # The heading, its note and the chart stay together on one page.
    with kept_together(document):
        heading(document, "Attendance by school week")
        if not weeks:
            paragraph(document, "No school weeks in this period.")
            return
        paragraph(
            document,
            "Each bar is one school week: its height is the possible sessions, blue attended, "
            "grey authorised absence, red unauthorised absence.",
            size=9,
        )
        document.add(WeeklyChart(weeks))
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


def codes_section(document: Document, marks: list[tuple[date, str, str]]) -> None:
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
        [(day_words(on), session_word(s), code) for on, s, code in unauthorised],
        (90, 50, 30),
    )


def letters_section(document: Document, letters: list[StoredLetter]) -> None:
    """The letters as they were decided and stored: their dates and figures, never recomputed."""
    heading(document, "Letters sent")
    if not letters:
        paragraph(document, "None.")
        return
    table(
        document,
        ("Dated", "Letter", "To", "Figures stated"),
        [
            (
                date_words(letter.letter_date),
                letter.subject,
                f"{letter.addressee} ({letter.delivery.replace('_', ' ')})",
                f"{date_words(letter.period_start)} to {date_words(letter.as_of)}: "
                f"{_sessions(letter.sessions_missed)} missed"
                + (f", {letter.attendance_pct:.1f}%" if letter.attendance_pct is not None else ""),
            )
            for letter in letters
        ],
        (28, 52, 45, 45),
    )


def sources_section(document: Document, sources: list[tuple[str, int, str]], built: str) -> None:
    """What the pack was built from, and when: one row per kind of record."""
    heading(document, "What this pack was built from")
    paragraph(document, f"Built {built} from the school's records as they stood then.", size=9)
    rows = [(name, str(count), latest) for name, count, latest in sources]
    table(document, ("Record", "Rows", "Latest"), rows, (80, 20, 70))


def chronology_section(document: Document, entries: list[Entry]) -> None:
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
        [(when(e.at), e.kind, e.what) for e in entries],
        (32, 26, 112),
    )

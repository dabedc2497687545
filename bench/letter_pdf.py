"""One letter's PDF: the engine's renderer against bare reportlab drawing the same paragraphs
(issue 12: ≤ 6 ms a one-page letter, so 600 letters fit in a half-term review's 6 s).

    python -m bench.letter_pdf [--repeat 15]

The letters are every letter the bundled school policies name, each to four families, three
of whose names are not ASCII ("Nguyễn Thị Hoa"). Ours is `render_letter_pdf`: the HTML read,
every character checked against the font, the running header, "Page n of m", and each
distinct font subset made and compressed once per process. The reference lays the same
paragraphs (already reportlab markup, in the same styles and font) on a SimpleDocTemplate:
no HTML, header, footer or spelling, and every PDF makes and compresses its font subsets
afresh, as reportlab does. One process, ours and the reference round by round after a
warm-up round; medians per letter.
"""

from __future__ import annotations

import argparse
import statistics
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from functools import partial
from io import BytesIO
from time import perf_counter

from bench.process_common import floor_over_goal
from notifications.letters import letter_context, render_letter_html, render_letter_pdf
from notifications.pdf import PAGE_MARGIN_MM
from notifications.pdf_fonts import FONT_NAMES
from notifications.pdf_html import letter_story
from school.policy_files import POLICY_DIR, load_policy
from school.statistics import PupilStatistics

GOAL_MS = 6.0
FAMILIES = [
    ("Amira", "Khan"),
    ("Zoë", "Ó Súilleabháin"),
    ("Łukasz", "Wójcik"),
    ("Thị Hoa", "Nguyễn"),
]
FIGURES = PupilStatistics(
    upn="A123", possible_sessions=240, present_sessions=200, aea_sessions=3,
    authorised_sessions=25, unauthorised_sessions=12, attendance_pct=84.58333,
    persistent_absence=True, severe_absence=False,
    unauthorised_sessions_rolling_10_school_weeks=11, national_threshold_met=True,
    national_threshold_first_met_on=date(2026, 2, 2), consecutive_unauthorised_school_days=0,
    illness_school_days=5, late_before_close_half_term=3, late_before_close_term=4,
    late_after_close_half_term=2, late_after_close_term=2, overdue_n_codes=0,
    compulsory_school_age=True,
)  # fmt: skip


def letters() -> list[tuple[str, str]]:
    """(school name, letter HTML) for every policy letter to every family."""
    found = []
    for path in sorted(POLICY_DIR.glob("*.toml")):
        if path.name == "template.toml":
            continue
        policy = load_policy(path).policy
        names = [r.letter for r in policy.ladder if r.letter] + list(policy.lateness.letters)
        for name in dict.fromkeys(names):
            for given, family in FAMILIES:
                context = letter_context(
                    school_name=policy.school.name, school_phone=policy.school.phone,
                    figures=FIGURES, child_first_name=given, child_family_name=family,
                    year_group=8, parent_name=f"Mx {family}", period_start=date(2025, 9, 3),
                    as_of=date(2026, 2, 13), letter_date=date(2026, 2, 16),
                    half_term_start=date(2026, 1, 5), school_address=["1 School Lane", "Town"],
                    parent_address=["2 Home Road", "Town"], signatory_role="Attendance Lead",
                )  # fmt: skip
                found.append(
                    (policy.school.name, render_letter_html(policy.school.id, name, context))
                )
    return found


def bare_reportlab(html: str) -> Callable[[], bytes]:
    """The letter's paragraphs drawn by reportlab alone (their markup made beforehand)."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate

    width = A4[0] - 2 * PAGE_MARGIN_MM * mm
    paragraphs = [(p.text, p.style, p.bulletText) for p in letter_story(html, width=width)]

    def draw() -> bytes:
        out = BytesIO()
        margin = PAGE_MARGIN_MM * mm
        page = SimpleDocTemplate(
            out, pagesize=A4, leftMargin=margin, rightMargin=margin, topMargin=margin,
            bottomMargin=margin,
        )  # fmt: skip
        page.build([Paragraph(text, look, bulletText=bullet) for text, look, bullet in paragraphs])
        return out.getvalue()

    return draw


@contextmanager
def plain_reportlab_fonts() -> Iterator[None]:
    """Inside, DejaVu's styles are reportlab's own TTFontFace again: every PDF makes and
    compresses its font subsets afresh, as bare reportlab does."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFontFace

    faces = [pdfmetrics.getFont(name).face for name in FONT_NAMES.values()]
    ours = [face.__class__ for face in faces]
    for face in faces:
        face.__class__ = TTFontFace
    try:
        yield
    finally:
        for face, kind in zip(faces, ours, strict=True):
            face.__class__ = kind


def per_letter_ms(times: list[float]) -> str:
    low, high = min(times) * 1000, max(times) * 1000
    return f"median {statistics.median(times) * 1000:.2f} ms (spread {low:.2f}-{high:.2f})"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=15, help="rounds over every letter")
    args = parser.parse_args(argv)
    drawn = letters()
    ours: list[tuple[Callable[[], bytes], Callable[[], bytes]]] = [
        (partial(render_letter_pdf, html, header=school), bare_reportlab(html))
        for school, html in drawn
    ]
    with plain_reportlab_fonts():
        bare_sizes = [len(bare()) for _, bare in ours]  # the warm-up round
    sizes = ([len(our()) for our, _ in ours], bare_sizes)
    our_times: list[float] = []
    bare_times: list[float] = []
    # Round by round, ours then the reference: a busy moment hits both alike.
    for _ in range(args.repeat):
        for our, _ in ours:
            start = perf_counter()
            our()
            our_times.append(perf_counter() - start)
        with plain_reportlab_fonts():
            for _, bare in ours:
                start = perf_counter()
                bare()
                bare_times.append(perf_counter() - start)
    print(f"{len(drawn)} letters x {args.repeat} rounds, one process")
    print(
        f"  ours       {per_letter_ms(our_times)}, PDF {statistics.median(sizes[0]) / 1024:.1f} KB"
    )
    print(
        f"  reportlab  {per_letter_ms(bare_times)}, PDF {statistics.median(sizes[1]) / 1024:.1f} KB"
    )
    ours_ms = statistics.median(our_times) * 1000
    ratio = statistics.median(our_times) / statistics.median(bare_times)
    verdict = "met" if ours_ms <= GOAL_MS else "NOT met"
    print(f"  ratio      {ratio:.2f}x   goal <= {GOAL_MS:.0f} ms a letter: {verdict}")
    if note := floor_over_goal(statistics.median(bare_times) * 1000, GOAL_MS, "ms"):
        print(note)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

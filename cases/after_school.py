"""The day's review after the afternoon register: the ladder, letters out, LA duties."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from sqlalchemy import Engine

from cases.duties.service import review_la_duties
from cases.letters.pdfs import Progress, finish_letter_pdfs
from cases.letters.service import LettersSent
from cases.review.service import ReviewResult, run_daily_review
from notifications.message import Channel
from notifications.outbox import drain_outbox
from school.clock import Clock
from school.database import session_for
from school.schools import LoadedSchool


@dataclass(frozen=True)
class AfterSchool:
    review: ReviewResult
    letters: LettersSent
    new_duties: int
    sent: int
    pdfs_drawn: int = 0


async def review_after_school(
    engine: Engine,
    school: LoadedSchool,
    on: date,
    clock: Clock,
    channels: Mapping[str, Channel],
    *,
    draw_pdfs: bool = True,
    pdf_workers: int = 1,
    progress: Progress | None = None,
) -> AfterSchool:
    """Each part commits on its own and is idempotent, so a repeat or a late run is harmless.

    `draw_pdfs=False` leaves the letters' printable copies to a later run or to
    `attendance letters pdfs`; `progress` hears how many are drawn, by `pdf_workers`
    processes (forked, so more than one only from a command: see finish_letter_pdfs).
    """
    with session_for(engine) as session:
        # The review decides, stores and queues its letters in its own transaction...
        review = run_daily_review(session, school, on, clock, send_letters=True)
        duties = review_la_duties(session, school, on, clock)
        # The emailed letters leave now, through the same outbox as the morning's messages...
        dispatched = await drain_outbox(session, channels, clock, school_id=school.id)
        # ...and the printable copies, the longest part that nothing waits on, are drawn last
        # (any a crash left undrawn too).
        pdfs = (
            finish_letter_pdfs(session, school, clock, progress=progress, workers=pdf_workers)
            if draw_pdfs
            else 0
        )
    return AfterSchool(review, review.letters, len(duties), dispatched.sent, pdfs)

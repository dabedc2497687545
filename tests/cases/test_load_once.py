"""Load once, pass down: the daily review and the LA duties take the school the door loaded."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

import pytest
from sqlmodel import Session

from cases.duties.service import review_la_duties
from cases.review.service import run_daily_review
from school.clock import FixedClock
from tests.chase_helpers import MONDAY, loaded, set_up_morning
from tests.lookups import count_school_lookups

AFTER_SCHOOL = FixedClock(datetime(2026, 11, 23, 17, 0, tzinfo=UTC))


def test_the_review_and_duties_never_look_the_school_up_again(
    session: Session, engine, tmp_path, monkeypatch: pytest.MonkeyPatch
) -> None:
    set_up_morning(session, "emmanuel-middle", tmp_path, {1: {"year": 7}, 2: {"year": 8}})
    school = loaded(engine, "emmanuel-middle")
    calls = count_school_lookups(monkeypatch)

    result = run_daily_review(session, school, MONDAY, AFTER_SCHOOL)
    review_la_duties(session, school, MONDAY, AFTER_SCHOOL)

    assert result.review_day == MONDAY  # the review ran for the day
    assert calls == Counter()

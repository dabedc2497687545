"""Load once, pass down: a simulated morning reads the school and its policy at the door only."""

from __future__ import annotations

import asyncio
from collections import Counter

import pytest
from sqlmodel import Session

from chase.simulation import simulate_morning
from tests.chase_helpers import MONDAY, channels, check_for, loaded, set_up_morning
from tests.lookups import count_school_lookups


def test_a_simulated_morning_never_looks_the_school_up_again(
    session: Session, engine, tmp_path, monkeypatch: pytest.MonkeyPatch
) -> None:
    set_up_morning(session, "emmanuel-middle", tmp_path, {1: {"year": 7}, 2: {"year": 8}})
    school = loaded(engine, "emmanuel-middle")
    calls = count_school_lookups(monkeypatch)

    asyncio.run(simulate_morning(engine, school, MONDAY, channels()))

    chased = check_for(session, "emmanuel-middle", 1)
    assert chased is not None and chased.state == "dsl_alerted"  # the whole morning ran
    assert calls == Counter()

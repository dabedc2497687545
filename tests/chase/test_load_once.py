"""Load once, pass down: a simulated morning reads the school and its policy at the door only."""

from __future__ import annotations

import asyncio
from collections import Counter

import pytest
from sqlmodel import Session

import school.schools as schools
from chase.simulation import simulate_morning
from tests.chase_helpers import MONDAY, channels, check_for, loaded, set_up_morning


def test_a_simulated_morning_never_looks_the_school_up_again(
    session: Session, engine, tmp_path, monkeypatch: pytest.MonkeyPatch
) -> None:
    set_up_morning(session, "emmanuel-middle", tmp_path, {1: {"year": 7}, 2: {"year": 8}})
    school = loaded(engine, "emmanuel-middle")
    calls: Counter[str] = Counter()
    real_get, real_parse = schools.get_school, schools.parse_policy

    def counting_get(*args, **kwargs):
        calls["get_school"] += 1
        return real_get(*args, **kwargs)

    def counting_parse(*args, **kwargs):
        calls["parse_policy"] += 1
        return real_parse(*args, **kwargs)

    monkeypatch.setattr(schools, "get_school", counting_get)
    monkeypatch.setattr(schools, "parse_policy", counting_parse)
    schools._policy_from_text.cache_clear()  # a parse would show, not hide behind the cache

    asyncio.run(simulate_morning(engine, school, MONDAY, channels()))

    chased = check_for(session, "emmanuel-middle", 1)
    assert chased is not None and chased.state == "dsl_alerted"  # the whole morning ran
    assert calls == Counter()

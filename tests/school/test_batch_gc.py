"""The cycle collector's batch setting: on for the block, put back after it, even on error."""

from __future__ import annotations

import asyncio
import gc
from datetime import date
from typing import Any

import pytest

import chase.every_school as every_school
from school.batch_gc import BATCH_THRESHOLD, batch_gc


def test_batch_gc_sets_the_threshold_then_puts_it_back() -> None:
    before = gc.get_threshold()
    with batch_gc():
        assert gc.get_threshold() == (BATCH_THRESHOLD, before[1], before[2])
    assert gc.get_threshold() == before
    assert gc.get_freeze_count() == 0  # nothing alive before the batch is made immortal


def test_batch_gc_puts_the_settings_back_after_an_error() -> None:
    before = gc.get_threshold()
    with pytest.raises(RuntimeError), batch_gc(threshold=1234):
        assert gc.get_threshold()[0] == 1234
        raise RuntimeError("a school's tick failed")
    assert gc.get_threshold() == before


def test_every_school_is_ticked_under_the_batch_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[tuple[int, int, int]] = []

    async def tick(*args: Any, **kwargs: Any) -> list[Any]:
        seen.append(gc.get_threshold())
        return []

    monkeypatch.setattr(every_school, "_tick_every_school", tick)
    before = gc.get_threshold()
    engine: Any = None
    asyncio.run(every_school.chase_every_school(engine, [], date(2026, 11, 23), None, {}))  # type: ignore[arg-type]
    assert seen == [(BATCH_THRESHOLD, before[1], before[2])]
    assert gc.get_threshold() == before

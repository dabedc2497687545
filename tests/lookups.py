"""Counting how often a run looks a school up or parses its policy (load once, pass down)."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

import school.schools as schools


def count_school_lookups(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """From now on, every `get_school` and every policy parse adds one to the counter."""
    calls: Counter[str] = Counter()
    real_get, real_parse = schools.get_school, schools.parse_policy

    def counting_get(*args: Any, **kwargs: Any) -> Any:
        calls["get_school"] += 1
        return real_get(*args, **kwargs)

    def counting_parse(*args: Any, **kwargs: Any) -> Any:
        calls["parse_policy"] += 1
        return real_parse(*args, **kwargs)

    monkeypatch.setattr(schools, "get_school", counting_get)
    monkeypatch.setattr(schools, "parse_policy", counting_parse)
    schools._policy_from_text.cache_clear()  # a parse would show, not hide behind the cache
    return calls

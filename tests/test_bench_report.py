"""The benchmarks' verdict lines: a row whose floor alone misses its time goal says so."""

from __future__ import annotations

import pytest

from bench.process_common import Figures, Run, floor_over_goal, report


def test_a_floor_within_the_goal_adds_nothing() -> None:
    assert floor_over_goal(5.9, 6.0) == ""
    assert floor_over_goal(6.0, 6.0) == ""
    assert floor_over_goal(60.0, None) == ""


def test_a_floor_over_the_goal_is_named_with_its_figure() -> None:
    note = floor_over_goal(7.15, 6.0)
    assert "7.15 s" in note and "6 s goal" in note
    assert "9.03 ms" in floor_over_goal(9.03, 6.0, "ms")


def test_report_prints_the_note_and_still_says_not_met(capsys: pytest.CaptureFixture[str]) -> None:
    ours = Figures([Run(7.5, 140), Run(7.6, 140), Run(7.4, 140)])
    floor = Figures([Run(6.8, 86), Run(6.9, 86), Run(6.7, 86)])
    assert report("review with PDFs", ours, floor, 2.0, 6.0) is False
    out = capsys.readouterr().out
    assert "NOT met" in out and "the floor alone takes 6.8 s" in out

"""Register-file scenarios (spec §3, reg 6 and 10 style): what a register may record, read
through `attendance import` on Monday 15 September 2025 at 10:30, for two seed schools. A
register records what happened, so a mark for tomorrow is refused; the plain present marks
belong to one session each, / the morning and \\ the afternoon."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli.test_cli_import_hostile import (
    SEEDS,
    folder_with,
    refused_lines,
    run,
    school,
    stored,
)
from tests.register_files import upn

__all__ = ["school"]  # the fixture: an initialised school at each seed, clock at TODAY


@pytest.mark.parametrize("school", SEEDS, indirect=True)
def test_a_mark_dated_after_today_is_refused_and_today_is_not(
    school: tuple[str, str], tmp_path: Path
) -> None:
    """Monday 15 Sep 2025, 10:30. A mark for Tuesday 16th records what has not happened; a mark
    for today's AM session (the register was taken at 08:45) is the register itself."""
    url, seed = school
    folder = folder_with(tmp_path, [
        [upn(1), "2025-09-15", "AM", "/", ""],
        [upn(2), "2025-09-16", "AM", "/", ""],
    ])  # fmt: skip
    lines = refused_lines(run(url, "import", "--school", seed, str(folder)))
    assert any(
        line.startswith("marks.csv:3: 2025-09-16 is after today (2025-09-15)") for line in lines
    ), lines
    assert not any("marks.csv:2:" in line for line in lines)
    assert stored(url) == (0, 0, 0)  # nothing written

    folder_with(tmp_path, [[upn(1), "2025-09-15", "AM", "/", ""]])
    done = run(url, "import", "--school", seed, str(folder))
    assert done.exit_code == 0, done.output
    assert stored(url) == (2, 1, 1)


@pytest.mark.parametrize("school", SEEDS, indirect=True)
def test_slash_is_the_morning_mark_and_backslash_the_afternoon_one(
    school: tuple[str, str], tmp_path: Path
) -> None:
    url, seed = school
    folder = folder_with(tmp_path, [
        [upn(1), "2025-09-08", "AM", "/", ""],
        [upn(1), "2025-09-08", "PM", "\\", ""],
        [upn(2), "2025-09-08", "AM", "\\", ""],
        [upn(2), "2025-09-08", "pm", "/", ""],
    ])  # fmt: skip
    lines = refused_lines(run(url, "import", "--school", seed, str(folder)))
    assert any(line.startswith("marks.csv:4: code \\ is for the PM session only") for line in lines)
    assert any(line.startswith("marks.csv:5: code / is for the AM session only") for line in lines)
    assert not any(line.startswith(("marks.csv:2:", "marks.csv:3:")) for line in lines), lines
    assert stored(url) == (0, 0, 0)

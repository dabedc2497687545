"""The command-line tests' surroundings: crash logs go to the test's own folder."""

from __future__ import annotations

from pathlib import Path

import pytest

# The register fixtures of test_cli.py, shared with the other command-line tests.
from tests.cli.test_cli import imported, initialised, register, url

__all__ = ["imported", "initialised", "register", "state_home", "url"]


@pytest.fixture(autouse=True)
def state_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """$XDG_STATE_HOME for the run, so no test writes to the real ~/.local/state."""
    folder = tmp_path / "state"
    monkeypatch.setenv("XDG_STATE_HOME", str(folder))
    return folder

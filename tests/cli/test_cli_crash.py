"""An unexpected error at a door: one line, a non-zero exit, a scrubbed traceback in the log."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli.test_cli import SCHOOL, run
from tests.register_files import upn

BODY = "Tom was not in school this morning, please reply to let us know why"


def _broken_service(*_args: object, **_kwargs: object) -> int:
    raise RuntimeError(f"could not hand {BODY!r} to +447700900123 (07700 900123, ann@example.org)")


def test_an_unexpected_error_prints_one_line_and_logs_a_scrubbed_traceback(
    imported: str, state_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("cli.chase.report_absence", _broken_service)
    result = run(
        imported, "absence", "--school", SCHOOL, "--upn", upn(1), "--date", "2025-09-08",
        "--reason", "Mum rang: ill", "--by", "Pat Jones, Office",
    )  # fmt: skip
    log = state_home / "attendance" / "errors.log"
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr == f"internal error, details in {log}\n"
    written = log.read_text(encoding="utf-8")
    assert "Traceback (most recent call last)" in written
    assert "RuntimeError: could not hand" in written and "_broken_service" in written
    assert written.splitlines()[0].endswith(" absence")  # the command, never its arguments
    for private in ("Tom was not", "7700", "900123", "ann@example.org", "Mum rang"):
        assert private not in written


def _reader_went_away(*_args: object, **_kwargs: object) -> int:
    raise BrokenPipeError(32, "Broken pipe")


def test_a_reader_that_stops_reading_is_not_an_internal_error(
    imported: str, state_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`attendance … --format json | head`: head closes the pipe; the command just stops."""
    monkeypatch.setattr("cli.chase.report_absence", _reader_went_away)
    result = run(
        imported, "absence", "--school", SCHOOL, "--upn", upn(1), "--date", "2025-09-08",
        "--reason", "Mum rang: ill", "--by", "Pat Jones, Office",
    )  # fmt: skip
    assert result.exit_code == 141
    assert "internal error" not in result.stderr
    assert not (state_home / "attendance" / "errors.log").exists()


def test_piping_json_into_head_ends_quietly(tmp_path: Path) -> None:
    """A real pipe: more JSON than the pipe holds, and a reader that takes 10 bytes."""
    import subprocess
    import sys

    script = (
        "import sys; from cli.main import app; "
        "sys.argv = ['attendance', 'policy', 'check', '--format', 'json'] + ["
        + ", ".join(repr(str(p)) for p in sorted(Path("policies").glob("*.toml")) * 40)
        + "]; app()"
    )
    env = {"XDG_STATE_HOME": str(tmp_path), "PATH": "/usr/bin:/bin"}
    with subprocess.Popen(
        [sys.executable, "-c", script], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env
    ) as process:
        assert process.stdout is not None and process.stderr is not None
        process.stdout.read(10)
        process.stdout.close()
        stderr = process.stderr.read().decode()
        process.wait(timeout=60)
    assert "internal error" not in stderr and "Traceback" not in stderr
    assert process.returncode in (0, 141)

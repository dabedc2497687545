"""Secrets and files (issue 13 item 7): database passwords never printed, and every file the
engine writes about a child (the SQLite database, the local outbox, letters, evidence packs,
the crash log) readable by its owner only: files 0600, folders 0700, whatever the umask."""

from __future__ import annotations

import asyncio
import os
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlmodel import Session
from typer.testing import CliRunner

from cases.models import LegalAction
from cli.common import masked_url
from cli.crash_log import write_crash
from cli.main import app
from notifications.channels.local_outbox import LocalOutboxChannel
from notifications.message import OutgoingMessage
from tests.cli.test_cli_cases import holiday_pupil
from tests.fakes.gate import RecordingGate

runner = CliRunner()
ROOT = Path(__file__).resolve().parents[2]
BY = ("--by", "Ann Lee, Attendance Lead")
__all__ = ["holiday_pupil"]


def mode(path: Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.fixture(autouse=True)
def open_umask() -> Iterator[None]:
    """The most careless umask a server could have: without care every file is 0666."""
    before = os.umask(0)
    yield
    os.umask(before)


@pytest.mark.parametrize(
    "url",
    [
        "postgresql+psycopg://clerk:s3cret@127.0.0.1:1/attendance",  # nothing listening
        "postgresql://clerk:s3cret@127.0.0.1:5432/no_such_database",
        "postgresql://clerk:s3cret@db:not-a-port/attendance",
        "notadb://clerk:s3cret@db/attendance",
        "clerk:s3cret@db/attendance",  # no scheme at all
    ],
)
def test_a_database_password_is_never_printed(url: str, tmp_path: Path) -> None:
    policy = str(ROOT / "policies" / "st-john-bosco.toml")
    for command in (["tasks", "--school", "a"], ["init", "--school", "a", "--policy", policy]):
        result = runner.invoke(app, ["--database", url, *command])
        assert result.exit_code == 1, result.output
        assert "s3cret" not in result.output and "clerk:***@" in result.output, result.output
        assert "internal error" not in result.output
        log = tmp_path / "state" / "attendance" / "errors.log"
        assert not log.exists() or "s3cret" not in log.read_text()


def test_masked_urls() -> None:
    assert masked_url("postgresql://u:p@ss/w@rd@db:5432/x") == "postgresql://u:***@db:5432/x"
    assert masked_url("u:pw@db/x") == "u:***@db/x"
    assert masked_url("postgresql://u@db/x") == "postgresql://u@db/x"
    assert masked_url("sqlite:////srv/attendance.db") == "sqlite:////srv/attendance.db"


def test_a_new_sqlite_database_is_readable_by_its_owner_only(tmp_path: Path) -> None:
    db = tmp_path / "attendance.db"
    policy = str(ROOT / "policies" / "st-john-bosco.toml")
    made = ["init", "--school", "st-john-bosco", "--policy", policy]
    result = runner.invoke(app, ["--database", f"sqlite:///{db}", *made])
    assert result.exit_code == 0, result.output
    assert mode(db) == 0o600
    for companion in (tmp_path / "attendance.db-wal", tmp_path / "attendance.db-shm"):
        assert not companion.exists() or mode(companion) == 0o600


def test_the_local_outbox_folder_and_file_are_private(tmp_path: Path) -> None:
    path = tmp_path / "outbox" / "sms.jsonl"
    channel = LocalOutboxChannel(path, "sms")
    message = OutgoingMessage("k1", "sms", "+447700900123", "Hi")
    sent = asyncio.run(channel.send_many([message], RecordingGate()))
    assert sent[0].provider_id == "local-1"
    assert (mode(path.parent), mode(path)) == (0o700, 0o600)


def test_the_crash_log_is_private(tmp_path: Path) -> None:
    log = write_crash(ValueError("boom"), "attendance tasks", tmp_path / "state" / "errors.log")
    assert (mode(log.parent), mode(log)) == (0o700, 0o600)


def test_letters_and_evidence_packs_are_private(
    session: Session, engine: Any, school: str, holiday_pupil: str, tmp_path: Path
) -> None:
    db, at = ["--database", engine.url.render_as_string(hide_password=False)], ["--school", school]
    for args in (
        ["case", "open", *at, holiday_pupil, *BY, "--reason", "Holiday refused, taken anyway"],
        ["case", "no-support", *at, holiday_pupil, *BY, "--reason", "Unauthorised holiday"],
        ["case", "move", *at, holiday_pupil, "--to", "enforce", *BY, "--reason", "Threshold"],
        ["legal", "nti", *at, holiday_pupil, "--parent", "Parent 1", *BY, "--weeks", "4"],
    ):
        assert runner.invoke(app, [*db, *args]).exit_code == 0
    notice = session.scalars(select(LegalAction)).one()
    old = tmp_path / "nti.html"
    old.write_text("a letter written before, world-readable")
    old.chmod(0o644)
    for out in (tmp_path / "nti.pdf", old):
        said = runner.invoke(app, [*db, "letters", "nti", str(notice.id), "--out", str(out)])
        assert said.exit_code == 0, said.output
        assert mode(out) == 0o600, out
    pack = tmp_path / "evidence.pdf"
    said = runner.invoke(app, [*db, "evidence", *at, holiday_pupil, "--out", str(pack)])
    assert said.exit_code == 0, said.output
    assert mode(pack) == 0o600

"""Subject access and logs (issue 13 item 7): one pupil's data exported whole and no one
else's; logs at INFO carry no message bodies and no phone numbers."""

from __future__ import annotations

import json
import logging
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session, select
from typer.testing import CliRunner

from chase.models import WelfareCheck
from cli.main import app
from notifications.models import OutboxMessage
from school.accounts import audit
from school.clock import FixedClock
from school.models import Pupil
from tests.chase_helpers import MONDAY, mobile, set_up_morning
from tests.register_files import upn

runner = CliRunner()
NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)


@pytest.mark.parametrize(("school", "year"), [("kts-academy", 10), ("micklefield", 5)])
def test_export_pupil_gives_one_pupils_records_and_the_logs_stay_clean(
    session: Session, engine: Any, tmp_path: Path, school: str, year: int,
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    monkeypatch.setenv("ATTENDANCE_OUTBOX_DIR", str(tmp_path / "outbox"))
    set_up_morning(session, school, tmp_path, {1: {"year": year}, 2: {"year": year}})
    db, at = ["--database", engine.url.render_as_string(hide_password=False)], ["--school", school]
    with caplog.at_level(logging.INFO):
        said = runner.invoke(app, [*db, "chase", *at, "--date", str(MONDAY), "--simulate"])
    assert said.exit_code == 0, said.output
    logged = "\n".join(r.getMessage() for r in caplog.records if r.levelno >= logging.INFO)
    numbers = [mobile(n, k) for n in (1, 2) for k in (1, 2)]
    bodies = [m.text for m in session.scalars(select(OutboxMessage))]
    assert not [n for n in numbers if n in logged or n.lstrip("+") in logged], logged
    assert not [b for b in bodies if b and b[:40] in logged], logged
    assert not re.search(r"\+?44\s?7\d{3}\s?\d{6}", logged), logged

    # What staff did through the web app to pupil 1's check, and to pupil 2's (not exported).
    check_of = {c.pupil_id: c.id for c in session.scalars(select(WelfareCheck))}
    ids = {p.upn: p.id for p in session.scalars(select(Pupil))}
    for n in (1, 2):
        audit(session, "Olive Office", "task_outcome", FixedClock(NOW), school,
              check=check_of[ids[upn(n)]], note=f"rang about pupil {n}")  # fmt: skip
    audit(session, "Olive Office", "login", FixedClock(NOW))
    session.commit()
    out = runner.invoke(app, [*db, "export-pupil", upn(1), *at])
    assert out.exit_code == 0, out.output
    record = json.loads(out.stdout)
    assert record["pupil"]["upn"] == upn(1)
    pupil_id = record["pupil"]["id"]
    assert len(record["contacts"]) == 2 and record["marks"] and record["welfare_checks"]
    for part in ("contacts", "marks", "welfare_checks", "reported_absences", "arrivals"):
        assert {row["pupil_id"] for row in record[part]} <= {pupil_id}, part
    checks = {c["id"] for c in record["welfare_checks"]}
    assert {t["check_id"] for t in record["tasks"]} <= checks
    assert {m["check_id"] for m in record["messages"]} <= checks | {None}
    assert [e["detail"]["note"] for e in record["audit_entries"]] == ["rang about pupil 1"]
    summary = runner.invoke(app, [*db, "export-pupil", upn(1), *at, "--format", "table"])
    assert summary.exit_code == 0 and f"({upn(1)})" in summary.stdout
    assert "2 contacts" in " ".join(summary.stdout.split())
    wrong = runner.invoke(app, [*db, "export-pupil", "A123", *at])
    assert wrong.exit_code in (1, 2) and "Traceback" not in wrong.output
    assert len(wrong.output.strip().splitlines()) <= 2

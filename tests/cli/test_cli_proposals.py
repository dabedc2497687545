"""Proposals decided on stale facts are refused; confirming twice changes nothing (issue 9.4)."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlmodel import Session
from typer.testing import CliRunner

from cli.main import app
from tests.cases.test_daily_review import AUTUMN_1, D, Span, proposal, register, review, set_up
from tests.register_files import pupil_row, upn, write_marks

runner = CliRunner()
BY = ("--by", "Ann Lee, Attendance Lead")
DECLINING = [  # Micklefield: Letter One at the half-term audit, then no improvement
    Span(*AUTUMN_1, 74, 8, "O"),
    Span(D("2025-11-03"), D("2025-11-13"), 18, 4, "O"),
]


@pytest.fixture
def fast_track(session: Session, tmp_path: Path) -> dict[int, int]:
    """Two Micklefield pupils whose review on 13 Nov proposed Fast Track Letter 1."""
    school = set_up(session, "micklefield")
    rows = {n: pupil_row(n, year=5, born="2015-03-10") for n in (1, 2)}
    ids = register(session, school, tmp_path / "register", {1: DECLINING, 2: DECLINING}, rows)
    review(session, school, "2025-10-24")
    review(session, school, "2025-11-13")
    return ids


def _today(monkeypatch: pytest.MonkeyPatch, when: datetime) -> None:
    from school import clock as clock_module

    monkeypatch.setattr(clock_module.SystemClock, "now", lambda self: when)


def _cli(engine, *args: str) -> tuple[int, str]:  # type: ignore[no-untyped-def]
    db = ["--database", engine.url.render_as_string(hide_password=False)]
    result = runner.invoke(app, [*db, *args])
    return result.exit_code, re.sub(r"\s+", " ", result.stdout + result.stderr)


def _amend(engine, folder: Path, marks: list[list[str]], reason: str) -> None:  # type: ignore[no-untyped-def]
    """Amend marks through `attendance import`, as the office does, with who and why."""
    folder.mkdir()
    write_marks(folder, marks)
    code, said = _cli(
        engine, "import", "--school", "micklefield", str(folder), *BY, "--reason", reason
    )
    assert code == 0, said


def test_confirming_on_the_facts_it_was_made_on_and_twice(
    session: Session, engine, fast_track: dict[int, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    made = proposal(session, fast_track[1], "fast_track_1")
    assert made.evidence["case_stage"] == "monitor" and "last_amendment_id" in made.evidence
    _today(monkeypatch, datetime(2025, 11, 14, 9, 0, tzinfo=UTC))

    code, said = _cli(engine, "case", "confirm", str(made.id), *BY)
    assert code == 0, said
    assert f"Proposal {made.id}: confirmed" in said
    code, said = _cli(engine, "case", "confirm", str(made.id), *BY)
    assert code == 0, said
    assert "already confirmed by Ann Lee, Attendance Lead" in said and "nothing changed" in said


def test_a_register_amendment_makes_a_proposal_stale_and_the_review_makes_it_afresh(
    session: Session,
    engine,
    fast_track: dict[int, int],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    made = proposal(session, fast_track[2], "fast_track_1")
    _today(monkeypatch, datetime(2025, 11, 14, 9, 0, tzinfo=UTC))
    _amend(
        engine,
        tmp_path / "amend",
        [[upn(2), "2025-09-04", "AM", "/", ""]],
        "Was on a school trip: the O was a mistake",
    )

    code, said = _cli(engine, "case", "confirm", str(made.id), *BY)
    assert code == 1, said
    assert "rests on facts that have changed: the pupil's register has been amended since" in said
    assert "attendance review --school micklefield" in said
    session.expire_all()
    stale = proposal(session, fast_track[2], "fast_track_1")
    assert stale.status == "stale" and "register has been amended" in str(stale.decision_reason)

    again = review(session, "micklefield", "2025-11-13")
    fresh = proposal(session, fast_track[2], "fast_track_1")
    assert fresh.id == made.id and fresh.status == "proposed"  # the same trigger, made afresh
    assert fresh in again.proposals and fresh.evidence["replaces_stale"]["stale"]
    code, said = _cli(engine, "case", "confirm", str(fresh.id), *BY)
    assert code == 0, said


def test_a_proposal_left_too_long_is_refused(
    session: Session, engine, fast_track: dict[int, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    made = proposal(session, fast_track[1], "fast_track_1")
    _today(monkeypatch, datetime(2025, 11, 24, 9, 0, tzinfo=UTC))  # 6 school days (14th: INSET)
    code, said = _cli(engine, "case", "confirm", str(made.id), *BY)
    assert code == 1, said
    assert "made 6 school days ago and the policy lets a proposal wait 5" in said


def test_a_case_moved_since_or_a_policy_changed_is_refused(
    session: Session, engine, fast_track: dict[int, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    made = proposal(session, fast_track[1], "fast_track_1")
    _today(monkeypatch, datetime(2025, 11, 14, 9, 0, tzinfo=UTC))
    code, said = _cli(
        engine, "case", "move", "--school", "micklefield", upn(1), "--to", "listen", *BY,
        "--reason", "Met the family at parents' evening",
    )  # fmt: skip
    assert code == 0, said
    code, said = _cli(engine, "case", "confirm", str(made.id), *BY)
    assert code == 1, said
    assert "the case has moved from monitor to listen since" in said


def test_attendance_recovered_since_is_refused(
    session: Session,
    engine,
    fast_track: dict[int, int],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from sqlalchemy import select
    from sqlmodel import col

    from school.models import AttendanceMark

    made = proposal(session, fast_track[2], "fast_track_1")
    _today(monkeypatch, datetime(2025, 11, 14, 9, 0, tzinfo=UTC))
    absences = session.scalars(
        select(AttendanceMark).where(
            col(AttendanceMark.pupil_id) == fast_track[2], col(AttendanceMark.code) == "O"
        )
    ).all()
    folder = tmp_path / "amend"
    folder.mkdir()
    write_marks(
        folder,
        [
            [upn(2), str(m.date), m.session, "/" if m.session == "AM" else "\\", ""]
            for m in absences
        ],
    )
    code, said = _cli(
        engine, "import", "--school", "micklefield", str(folder), *BY,
        "--reason", "Off-site provision confirmed by the provider",
    )  # fmt: skip
    assert code == 0, said
    code, said = _cli(engine, "case", "confirm", str(made.id), *BY)
    assert code == 1, said
    assert f"attendance is no longer in the {made.evidence['band']} band" in said

"""The daily review, letters and the evidence pack at the command line."""

from __future__ import annotations

import re
from pathlib import Path

from pypdf import PdfReader
from sqlalchemy import select
from sqlmodel import Session, col
from typer.testing import CliRunner

from cases.models import CaseAction
from cli.main import app
from school.register_import import RegisterFiles, import_register
from tests.register_builder import ill_autumn_half_term
from tests.register_files import pupil_row, upn, write_contacts

runner = CliRunner()


def flat(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def test_review_sends_the_first_letter_and_renders_it(
    session: Session, engine, school, clock, tmp_path, monkeypatch
) -> None:
    monkeypatch.setenv("ATTENDANCE_OUTBOX_DIR", str(tmp_path / "outbox"))
    ill_autumn_half_term(session, school, tmp_path / "register", clock, pupil_row(1, year=7))
    parent = [[upn(1), 1, "Sam Test", "mother", "true", "", "sam@example.org"]]
    import_register(
        session, school, RegisterFiles(contacts=write_contacts(tmp_path, parent)), clock
    )
    db = ["--database", engine.url.render_as_string(hide_password=False)]

    result = runner.invoke(app, [*db, "review", "--school", school, "--date", "2025-10-24"])
    assert result.exit_code == 0, result.output
    assert "1 letters emailed" in flat(result.stdout)
    letter = session.scalars(select(CaseAction).where(col(CaseAction.kind) == "letter")).one()
    assert (letter.status, letter.details["delivery"]) == ("done", "email")
    assert "Pupil1" in (tmp_path / "outbox" / "email.jsonl").read_text()

    pdf = tmp_path / "letter.pdf"
    rendered = runner.invoke(app, [*db, "letters", "render", str(letter.id), "--out", str(pdf)])
    assert rendered.exit_code == 0, rendered.output
    text = flat(" ".join(page.extract_text() for page in PdfReader(pdf).pages))
    assert "Pupil1" in text and "days" in text

    pack = tmp_path / "pack.pdf"
    made = runner.invoke(
        app,
        [*db, "evidence", "--school", school, upn(1), "--out", str(pack), "--date", "2025-10-24"],
    )
    assert made.exit_code == 0, made.output
    assert "Pupil1" in flat(" ".join(page.extract_text() for page in PdfReader(Path(pack)).pages))

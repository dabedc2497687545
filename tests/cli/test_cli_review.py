"""The daily review, letters and the evidence pack at the command line."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
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


def _pupil_ill_now_and_then(session: Session, school: str, clock, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """One pupil off ill about 8% of the first half-term, with one parent on file."""
    ill_autumn_half_term(session, school, tmp_path / "register", clock, pupil_row(1, year=7))
    parent = [[upn(1), 1, "Sam Test", "mother", "true", "", "sam@example.org"]]
    import_register(
        session, school, RegisterFiles(contacts=write_contacts(tmp_path, parent)), clock
    )


@pytest.fixture
def db(session: Session, engine, school, clock, tmp_path, monkeypatch) -> list[str]:  # type: ignore[no-untyped-def]
    """The --database option for a school with one pupil off ill now and then."""
    monkeypatch.setenv("ATTENDANCE_OUTBOX_DIR", str(tmp_path / "outbox"))
    _pupil_ill_now_and_then(session, school, clock, tmp_path)
    return ["--database", engine.url.render_as_string(hide_password=False)]


def test_review_sends_the_first_letter_and_renders_it(
    session: Session, db: list[str], school: str, tmp_path: Path
) -> None:

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


def test_review_prints_counts_first_in_80_columns_and_json_for_scripts(
    db: list[str], school: str
) -> None:
    review = [*db, "review", "--school", school, "--date", "2025-10-24"]

    as_json = runner.invoke(app, [*review, "--format", "json"])
    assert as_json.exit_code == 0, as_json.output
    shown = json.loads(as_json.stdout)
    assert set(shown) == {
        "school", "date", "review_day", "counts", "proposals", "overdue",
        "letters_needing_a_person", "legal_decisions_due", "provisional",
    }  # fmt: skip
    assert (shown["school"], shown["date"]) == (school, "2025-10-24")
    assert shown["counts"]["letters_emailed"] == 1
    assert set(shown["counts"]) == {
        "cases_opened", "stage_moves", "actions_planned", "letters_emailed", "letters_to_print",
        "new_la_duties", "letter_pdfs_drawn",
    }  # fmt: skip

    again = runner.invoke(app, review)
    assert again.exit_code == 0, again.output
    lines = again.stdout.splitlines()
    assert lines[0].startswith(f"Review of {school} for 2025-10-24:")
    assert "proposals to decide" in flat(again.stdout)
    assert all(len(line) <= 80 for line in lines), again.stdout
    assert not re.search(r"datetime\.|\w+\(\w+=", again.stdout)


def test_review_runs_with_the_collector_set_for_a_batch_and_puts_it_back(
    db: list[str], school: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import gc

    import cases.after_school as after_school
    from school.batch_gc import BATCH_THRESHOLD

    seen: list[int] = []
    real = after_school.review_after_school

    async def watched(*args: object, **kwargs: object) -> object:
        seen.append(gc.get_threshold()[0])
        return await real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(after_school, "review_after_school", watched)
    before = gc.get_threshold()
    result = runner.invoke(app, [*db, "review", "--school", school, "--date", "2025-10-24"])
    assert result.exit_code == 0, result.output
    assert seen == [BATCH_THRESHOLD]
    assert gc.get_threshold() == before

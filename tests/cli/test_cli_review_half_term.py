"""The half-term review at the door: its stored rows are the rule's decisions, its letters are
the single-letter path's, and their PDFs are finished after a crash between commit and drawing."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlmodel import Session, col
from typer.testing import CliRunner

import chase.models  # noqa: F401  (the outbox's foreign keys name the chase's tables)
from cases.letters.addressees import addressee_groups
from cases.letters.context import pupil_letter_context
from cases.letters.stored import addressed_context
from cases.models import AttendanceCase, CaseAction, CaseProposal, LetterPdf, StoredLetter
from cli.main import app
from notifications.letters import render_letter_html
from notifications.models import OutboxMessage
from school.models import Contact, Pupil
from school.register_csv import CONTACT_ADDRESS_COLUMNS, CONTACT_COLUMNS
from school.register_import import RegisterFiles, import_register
from tests.cases.test_daily_review import AUTUMN_1, Span, at, register, set_up
from tests.register_files import upn, write_csv
from tests.test_startup import imported_modules

runner = CliRunner()
SCHOOL = "basildon-lower"
AUDIT_DAY = "2025-10-24"  # the last day of Autumn 1: Basildon's half-termly concern letters
POSSIBLE = 60  # sessions each pupil had in the half-term (of its 74)

# Each pupil's illness (authorised, so no legal threshold) in sessions out of POSSIBLE, and
# their parents: (name, email or "", address line or "") in calling order.
PUPILS: dict[int, tuple[int, list[tuple[str, str, str]]]] = {
    1: (1, [("Ann One", "ann@example.org", "1 High St")]),  # 98.3%: no letter
    2: (3, [("Bo Two", "bo@example.org", "2 High St")]),  # exactly 95%: no letter
    3: (4, [("Cy Three", "cy@example.org", "3 High St"), ("Di Three", "", "3 High St")]),
    4: (5, [("Ed Four", "", "4 Low Rd"), ("Flo Four", "flo@example.org", "9 Far Lane")]),
    5: (6, [("Gus Five", "gus@example.org", "")]),  # exactly 90%: persistent too
    6: (12, [("Hal Six", "", "6 Mill Way")]),  # 80%: persistent, on paper only
}


def _contacts(folder: Path) -> Path:
    rows = [
        [upn(n), priority, name, "parent", "true", "" if email else f"0770090000{n}", email,
         line, "", "Basildon" if line else "", "SS14 1AA" if line else ""]
        for n, (_, parents) in PUPILS.items()
        for priority, (name, email, line) in enumerate(parents, start=1)
    ]  # fmt: skip
    return write_csv(folder / "contacts.csv", [*CONTACT_COLUMNS, *CONTACT_ADDRESS_COLUMNS], rows)


@pytest.fixture
def db(
    session: Session, engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> list[str]:
    """Basildon Lower with six pupils through Autumn 1, their parents on file."""
    monkeypatch.setenv("ATTENDANCE_OUTBOX_DIR", str(tmp_path / "outbox"))
    set_up(session, SCHOOL)
    spans = {n: [Span(*AUTUMN_1, POSSIBLE, ill)] for n, (ill, _) in PUPILS.items()}
    register(session, SCHOOL, tmp_path / "register", spans)
    import_register(session, SCHOOL, RegisterFiles(contacts=_contacts(tmp_path)), at("2025-09-01"))
    return ["--database", engine.url.render_as_string(hide_password=False)]


def _expected(n: int) -> dict[str, object]:
    """The Basildon ladder on its first half-term audit, from the policy's rule: below 95%
    the concern letter (listen); at or below 90% the persistent-absence meetings too
    (facilitate); a letter per home of the parents with parental responsibility."""
    ill, parents = PUPILS[n]
    pct = 100.0 * (POSSIBLE - ill) / POSSIBLE
    rungs = (["concern_letter"] if pct < 95 else []) + (
        ["persistent_absence_meetings"] if pct <= 90 else []
    )
    homes = {line or name for name, _, line in parents}
    return {
        "stage": None if not rungs else "facilitate" if pct <= 90 else "listen",
        "rungs": sorted(rungs),
        "letters": len(homes) if "concern_letter" in rungs else 0,
        "emails": sum(1 for _, email, _ in parents if email) if "concern_letter" in rungs else 0,
        "pct": pct,
    }


def _stored(session: Session, n: int) -> dict[str, object]:
    pupil = session.scalars(select(Pupil).where(col(Pupil.upn) == upn(n))).one()
    case = session.scalars(
        select(AttendanceCase).where(col(AttendanceCase.pupil_id) == pupil.id)
    ).one_or_none()
    proposals = session.scalars(
        select(CaseProposal).where(col(CaseProposal.case_id) == (case.id if case else -1))
    ).all()
    letters = session.scalars(
        select(StoredLetter).where(col(StoredLetter.pupil_id) == pupil.id)
    ).all()
    emails = session.scalar(
        select(func.count())
        .select_from(OutboxMessage)
        .join(Contact, col(Contact.id) == OutboxMessage.contact_id)
        .where(col(Contact.pupil_id) == pupil.id, col(OutboxMessage.channel) == "email")
    )
    assert all(p.status == "applied" for p in proposals)
    assert all(letter.attendance_pct == pytest.approx(_expected(n)["pct"]) for letter in letters)
    return {
        "stage": case.stage if case else None,
        "rungs": sorted(str(p.rung_id) for p in proposals),
        "letters": len(letters),
        "emails": emails,
        "pct": _expected(n)["pct"],
    }


def _review(db: list[str], *extra: str) -> dict[str, object]:
    result = runner.invoke(
        app, [*db, "review", "--school", SCHOOL, "--date", AUDIT_DAY, "--format", "json", *extra]
    )
    assert result.exit_code == 0, result.output
    assert result.stderr == ""  # no progress bar in the way of a script
    shown: dict[str, object] = json.loads(result.stdout)
    return shown


def test_the_half_term_review_stores_the_rules_decisions_and_the_single_letter_paths_letters(
    session: Session, db: list[str]
) -> None:
    shown = _review(db)

    assert {n: _stored(session, n) for n in PUPILS} == {n: _expected(n) for n in PUPILS}
    counts = shown["counts"]
    assert isinstance(counts, dict)
    assert (counts["letters_emailed"], counts["letters_to_print"]) == (3, 3)  # 6: paper only
    letters = session.scalars(select(StoredLetter).order_by(col(StoredLetter.id))).all()
    assert counts["letter_pdfs_drawn"] == len(letters) == 5
    # Each letter decided in bulk is the letter the one-at-a-time path writes: same figures
    # (read for that pupil alone), same words, to the same home.
    for letter in letters:
        action = session.get(CaseAction, letter.case_action_id)
        pupil = session.get(Pupil, letter.pupil_id)
        assert action is not None and action.status == "done" and pupil is not None
        context, _ = pupil_letter_context(
            session, pupil, letter.letter, letter.as_of, letter.letter_date
        )
        parents = session.scalars(
            select(Contact).where(col(Contact.id).in_(letter.contact_ids))
        ).all()
        (group,) = addressee_groups(sorted(parents, key=lambda c: c.priority))
        assert letter.html == render_letter_html(
            SCHOOL, letter.letter, addressed_context(context, group)
        )
        drawn = session.get(LetterPdf, letter.id)
        assert drawn is not None
        text = " ".join(page.extract_text() for page in PdfReader(_bytes_file(drawn.pdf)).pages)
        assert pupil.given_name in text and letter.addressee.split()[0] in text

    # A second run decides nothing new and sends nothing twice.
    again = _review(db)
    assert again["counts"] == {**counts, "cases_opened": 0, "stage_moves": 0,
                               "actions_planned": 0, "letters_emailed": 0,
                               "letters_to_print": 0, "new_la_duties": 0,
                               "letter_pdfs_drawn": 0}  # fmt: skip
    assert session.scalar(select(func.count()).select_from(StoredLetter)) == 5


def _bytes_file(data: bytes):  # type: ignore[no-untyped-def]
    from io import BytesIO

    return BytesIO(data)


def test_a_crash_between_commit_and_drawing_loses_no_pdf(
    session: Session, db: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import cases.letters.pdfs as pdfs

    def crash(html: str, header: str = "") -> bytes:
        raise SystemExit("the machine went down while drawing")

    with monkeypatch.context() as patched:
        patched.setattr(pdfs, "render_letter_pdf", crash)
        crashed = runner.invoke(
            app, [*db, "review", "--school", SCHOOL, "--date", AUDIT_DAY, "--format", "json"]
        )
    assert crashed.exit_code != 0
    # The review committed: its letters are stored and queued, none has its PDF yet.
    assert session.scalar(select(func.count()).select_from(StoredLetter)) == 5
    assert session.scalar(select(func.count()).select_from(OutboxMessage)) == 3
    assert session.scalar(select(func.count()).select_from(LetterPdf)) == 0

    finished = runner.invoke(app, [*db, "letters", "pdfs", "--school", SCHOOL, "--format", "json"])
    assert finished.exit_code == 0, finished.output
    assert json.loads(finished.stdout) == {"school": SCHOOL, "drawn": 5, "without_pdf": 0}
    # Each letter has exactly one PDF, and neither another finish nor the next review redraws.
    assert session.scalar(select(func.count()).select_from(LetterPdf)) == 5
    again = runner.invoke(app, [*db, "letters", "pdfs", "--school", SCHOOL, "--format", "json"])
    assert json.loads(again.stdout)["drawn"] == 0
    assert _review(db)["counts"]["letter_pdfs_drawn"] == 0  # type: ignore[index]
    assert session.scalar(select(func.count()).select_from(OutboxMessage)) == 3


def test_the_next_review_finishes_pdfs_a_crash_left(
    session: Session, db: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import cases.letters.pdfs as pdfs

    drawn: list[str] = []
    real = pdfs.render_letter_pdf

    def crash_after_one(html: str, header: str = "") -> bytes:
        if drawn:
            raise SystemExit("killed after the first letter")
        drawn.append(html)
        return real(html, header=header)

    monkeypatch.setattr(pdfs, "CHUNK", 1)  # the first letter's PDF commits before the crash
    with monkeypatch.context() as patched:
        patched.setattr(pdfs, "render_letter_pdf", crash_after_one)
        crashed = runner.invoke(app, [*db, "review", "--school", SCHOOL, "--date", AUDIT_DAY])
    assert crashed.exit_code != 0
    assert session.scalar(select(func.count()).select_from(LetterPdf)) == 1

    assert _review(db)["counts"]["letter_pdfs_drawn"] == 4  # type: ignore[index]
    assert session.scalar(select(func.count()).select_from(LetterPdf)) == 5


def test_a_long_review_shows_its_progress_and_json_stays_clean(db: list[str]) -> None:
    # A whole process on a terminal (TTY_COMPATIBLE): the bar draws only where a person looks.
    command = [sys.executable, "-c", "from cli.main import app; app(prog_name='attendance')",
               *db, "review", "--school", SCHOOL, "--date", AUDIT_DAY]  # fmt: skip
    shown = subprocess.run(
        command, capture_output=True, text=True, env={**os.environ, "TTY_COMPATIBLE": "1"}
    )
    assert shown.returncode == 0, shown.stderr
    assert "Drawing letters' PDFs" in shown.stderr and "5/5" in shown.stderr
    assert "Review of basildon-lower" in shown.stdout

    as_json = runner.invoke(app, [*db, "letters", "pdfs", "--school", SCHOOL, "--format", "json"])
    assert as_json.exit_code == 0 and as_json.stderr == ""
    assert json.loads(as_json.stdout)["drawn"] == 0


def test_pdfs_left_for_later_are_drawn_by_a_pool_as_by_one_process(
    session: Session, db: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import cases.letters.pdfs as pdfs

    assert _review(db, "--no-pdfs")["counts"]["letter_pdfs_drawn"] == 0  # type: ignore[index]
    assert session.scalar(select(func.count()).select_from(LetterPdf)) == 0
    monkeypatch.setattr(pdfs, "CHUNK", 2)
    monkeypatch.setattr(pdfs, "POOL_FROM", 1)  # a pool for five letters, three chunks
    pooled = runner.invoke(
        app, [*db, "letters", "pdfs", "--school", SCHOOL, "--workers", "2", "--format", "json"]
    )
    assert pooled.exit_code == 0, pooled.output
    assert json.loads(pooled.stdout) == {"school": SCHOOL, "drawn": 5, "without_pdf": 0}
    session.expire_all()
    for letter in session.scalars(select(StoredLetter)):
        drawn = session.get(LetterPdf, letter.id)
        assert drawn is not None
        text = " ".join(page.extract_text() for page in PdfReader(_bytes_file(drawn.pdf)).pages)
        assert letter.addressee.split()[0] in text


def test_a_review_without_pdfs_never_loads_the_pdf_library(db: list[str], tmp_path: Path) -> None:
    review = [*db, "review", "--school", SCHOOL, "--date", AUDIT_DAY, "--format", "json"]
    modules, done = imported_modules([*review, "--no-pdfs"], tmp_path)
    assert done.returncode == 0, done.stderr[-2000:]
    assert not any(m.split(".")[0] == "reportlab" for m in modules)
    # The check can fail: the next review draws the five PDFs left, and loads reportlab.
    modules, done = imported_modules(review, tmp_path)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "reportlab" in modules

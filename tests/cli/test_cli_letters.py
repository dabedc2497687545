"""Letters through the CLI: addressed to parents with parental responsibility, one per home,
stored when decided and reprinted exactly, names printed as written."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

from pypdf import PdfReader
from sqlalchemy import select
from sqlmodel import Session, col
from typer.testing import CliRunner

from cases.evidence.chart import ATTENDED, AUTHORISED, UNAUTHORISED
from cases.models import CaseAction
from cli.main import app
from school.register_csv import CONTACT_ADDRESS_COLUMNS, CONTACT_COLUMNS
from tests.register_builder import ill_autumn_half_term
from tests.register_files import pupil_row, upn, write_csv, write_marks

runner = CliRunner()
HOME = ["4 Mill Lane", "", "Wimborne", "bh21 1aa"]


def pdf_text(path: Path) -> str:
    """The PDF's text as poppler reads it (pypdf where poppler-utils is absent)."""
    if shutil.which("pdftotext"):
        out = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, check=True)
        return " ".join(out.stdout.decode("utf-8").split())
    return " ".join(" ".join(p.extract_text() for p in PdfReader(path).pages).split())


def test_letters_go_to_each_home_and_reprint_as_decided(
    session: Session, engine, school, clock, tmp_path, monkeypatch
) -> None:
    monkeypatch.setenv("ATTENDANCE_OUTBOX_DIR", str(tmp_path / "outbox"))
    ill = ill_autumn_half_term(session, school, tmp_path / "register", clock, pupil_row(1, year=7))
    contacts = write_csv(
        tmp_path / "contacts.csv",
        (*CONTACT_COLUMNS, *CONTACT_ADDRESS_COLUMNS),
        [
            # Two parents at one address (spelled a little differently): one joint letter.
            [upn(1), 1, "Zoë Ó Súilleabháin", "mother", "true", "07700900001", "", *HOME],
            [
                upn(1),
                2,
                "Łukasz Wójcik",
                "stepfather",
                "true",
                "07700900002",
                "",
                "4 mill lane",
                "",
                "WIMBORNE",
                "BH211AA",
            ],
            # Lives apart: a letter of her own, by email.
            [upn(1), 3, "Nguyễn Thị Hoa", "mother", "true", "", "hoa@example.org", "", "", "", ""],
            # No parental responsibility: never an addressee.
            [upn(1), 4, "Gran Test", "grandmother", "false", "07700900004", "", *HOME],
            # Parental responsibility, no address and no email: a problem for staff.
            [upn(1), 5, "Sam Test", "father", "true", "07700900005", "", "", "", "", ""],
        ],
    )
    db = ["--database", engine.url.render_as_string(hide_password=False)]
    imported = runner.invoke(app, [*db, "import", "--school", school, "--contacts", str(contacts)])
    assert imported.exit_code == 0, imported.output

    reviewed = runner.invoke(app, [*db, "review", "--school", school, "--date", "2025-10-24"])
    assert reviewed.exit_code == 0, reviewed.output
    flat = " ".join(reviewed.stdout.split())
    assert (
        "needs a person: Sam Test (father (priority 5)) has no postal address and no email" in flat
    )
    action = session.scalars(select(CaseAction).where(col(CaseAction.kind) == "letter")).one()

    out = tmp_path / "letter.pdf"
    first = runner.invoke(app, [*db, "letters", "render", str(action.id), "--out", str(out)])
    assert first.exit_code == 0, first.output
    joint, hoa, sam = (pdf_text(tmp_path / f"letter-{n}.pdf") for n in (1, 2, 3))
    assert not (tmp_path / "letter-4.pdf").exists()  # never to the grandmother
    assert "Dear Zoë Ó Súilleabháin and Łukasz Wójcik," in joint
    assert "4 Mill Lane Wimborne BH21 1AA" in joint  # posted to their home
    assert "Dear Nguyễn Thị Hoa," in hoa and "Dear Sam Test," in sam
    # Letterhead and signatory from the school's policy.
    assert "Telephone: 01202 828100" in joint
    assert "Mr R Christopher Senior Leader with responsibility for attendance" in joint
    missed = re.search(r"has missed ([\d½]+ days?)", joint)
    assert missed is not None

    # A register amendment after the letter was decided: every absence becomes present.
    rows = [
        [upn(1), d.date.isoformat(), s, "/" if s == "AM" else "\\", ""]
        for d in ill
        for s in d.sessions
    ]
    (tmp_path / "amend").mkdir()
    marks = write_marks(tmp_path / "amend", rows)
    amended = runner.invoke(
        app,
        [
            *db,
            "import",
            "--school",
            school,
            "--marks",
            str(marks),
            "--by",
            "Jo Bloggs, Attendance Officer",
            "--reason",
            "Attended a school trip",
        ],
    )
    assert amended.exit_code == 0, amended.output

    again = runner.invoke(app, [*db, "letters", "render", str(action.id), "--out", str(out)])
    assert again.exit_code == 0, again.output
    reprinted = pdf_text(tmp_path / "letter-1.pdf")
    assert f"has missed {missed.group(1)}" in reprinted  # the figures as decided
    assert reprinted == joint

    # The evidence pack shows the letter as stored, lists its sources, and its tables are
    # black on white: the only colours drawn are the chart's. (As of today: the letters were
    # decided today by the system clock.)
    pack = tmp_path / "pack.pdf"
    made = runner.invoke(app, [*db, "evidence", "--school", school, upn(1), "--out", str(pack)])
    assert made.exit_code == 0, made.output
    text = pdf_text(pack)
    assert "Letters sent" in text and f"{missed.group(1)}) missed" in text
    assert "What this pack was built from" in text and "Stored letters 3" in text
    colours = set()
    for page in PdfReader(pack).pages:
        content = page.get_contents()
        assert content is not None
        for rgb in re.findall(rb"([\d.]+) ([\d.]+) ([\d.]+) (?:rg|RG)\b", content.get_data()):
            colours.add(tuple(round(float(c), 2) for c in rgb))
    chart = {tuple(round(c / 255, 2) for c in rgb) for rgb in (ATTENDED, AUTHORISED, UNAUTHORISED)}
    black = {(0.0, 0.0, 0.0)}
    assert colours - chart - black == set(), colours

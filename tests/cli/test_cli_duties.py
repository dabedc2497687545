"""`attendance duties ...` for people and for scripts: a summary first, then a table of what
needs a person in 80 columns (every column with --wide), and --format json (docs/cli-json.md)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine

from tests.register_files import pupil_row, upn
from tests.scenarios.duties_school import STAFF, SchoolAtTheDoor, from_day, present, set_up

DUTY_KEYS = {
    "id", "due_on", "kind", "summary", "pupil", "label", "status", "overdue", "needs", "done_at",
    "done_by", "details",
}  # fmt: skip


@pytest.fixture
def seed(engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> SchoolAtTheDoor:
    """Emmanuel Middle (Years 5-8): a Year 7 joiner on Mon 8 Sep 2025, a pupil absent since
    Mon 15 Sep, one leaving Year 6 after Fri 10 Oct."""
    url = engine.url.render_as_string(hide_password=False)
    school = set_up(url, "emmanuel-middle", tmp_path / "register", monkeypatch)
    school.import_register(
        [
            pupil_row(1, year=7, admitted="2025-09-08"),
            pupil_row(2, year=5, admitted="2025-09-03"),
            pupil_row(3, year=6, admitted="2024-09-04", left="2025-10-10"),
        ],
        {1: present, 2: from_day("2025-09-15", "O"), 3: present},
        "2025-09-04",
        "2025-10-10",
    )
    return school


def test_review_and_list_print_a_summary_then_an_80_column_table(
    seed: SchoolAtTheDoor, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    reviewed = seed.ok("duties", "review", "--school", seed.school, "--date", "2025-10-10")
    lines = reviewed.stdout.splitlines()
    assert lines[0].startswith("4 new duties raised. Emmanuel Middle School: 4 open duties")
    assert all(len(line) <= 80 for line in lines), reviewed.stdout
    text = " ".join(reviewed.stdout.split())
    for shown in ["New-pupil return", "Deletion return", "Ground I proposed", "OVERDUE"]:
        assert shown in text
    assert "Summary" not in text  # the long summary only with --wide
    assert "…" not in reviewed.stdout  # nothing cut short: long cells wrap

    listed = seed.ok("duties", "list", "--school", seed.school, "--date", "2025-10-10")
    first = " ".join(listed.stdout.splitlines()[0].split())
    assert first.startswith("Emmanuel Middle School: 4 open duties to the LA on Fri 10 Oct 2025:")
    assert "1 overdue" in first
    monkeypatch.setenv("COLUMNS", "250")
    wide = seed.ok("duties", "list", "--school", seed.school, "--date", "2025-10-10", "--wide")
    assert "Summary" in wide.stdout and upn(1) in wide.stdout


def test_json_shapes_are_the_documented_ones(seed: SchoolAtTheDoor) -> None:
    reviewed = seed.json("duties", "review", "--school", seed.school, "--date", "2025-10-10")
    assert set(reviewed) == {"school", "date", "counts", "raised", "duties"}
    assert reviewed["counts"] == {
        "raised": 4, "open": 4, "overdue": 1, "due_today": 1, "due_later": 2,
    }  # fmt: skip
    assert all(set(d) == DUTY_KEYS for d in reviewed["duties"])
    listed = seed.json("duties", "list", "--school", seed.school, "--date", "2025-10-10")
    assert set(listed) == {"school", "date", "counts", "duties", "legal_decisions_due"}
    assert listed["duties"] == reviewed["duties"]
    joiner = next(d for d in listed["duties"] if d["kind"] == "new_pupil_return")
    done = seed.json("duties", "done", str(joiner["id"]), "--by", STAFF, "--note", "sent")
    assert set(done) == {"duty"} and done["duty"]["status"] == "done"
    assert done["duty"]["done_by"] == STAFF and done["duty"]["needs"] is None
    ground = next(d for d in listed["duties"] if d["kind"] == "deletion_ground")
    dismissed = seed.json(
        "duties", "dismiss", str(ground["id"]), "--by", STAFF, "--reason", "family found in Leeds"
    )
    assert dismissed["duty"]["details"]["dismissed_reason"] == "family found in Leeds"
    assert seed.json("duties", "list", "--school", seed.school)["counts"]["open"] == 2


def test_wrong_ids_and_arguments_are_one_line_errors(seed: SchoolAtTheDoor) -> None:
    missing = seed.run("duties", "done", "999999", "--by", STAFF, "--note", "sent")
    assert missing.exit_code == 1 and "no duty with id 999999" in missing.output
    assert "Traceback" not in missing.output
    for args in (
        ["duties", "list", "--school", "emmanuel"],
        ["duties", "list", "--school", seed.school, "--date", "10/10/2025"],
        ["duties", "done", "1", "--by", "Jo", "--note", "sent"],
        ["duties", "expect-illness", "NOTAUPN", "--from", "2025-11-03", "--days", "3",
         "--by", STAFF],
        ["duties", "confirm-deletion", "1", "--school-by", STAFF, "--la-by", STAFF, "--on",
         "yesterday", "--enquiries", "x"],
    ):  # fmt: skip
        result = seed.run(*args)
        assert result.exit_code == 2, (args, result.output)
        assert len(result.output.strip().splitlines()) == 1, result.output


def test_the_daily_review_raises_the_joiners_and_leavers_returns(
    seed: SchoolAtTheDoor, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ATTENDANCE_OUTBOX_DIR", str(tmp_path / "outbox"))
    reviewed = seed.json("review", "--school", seed.school, "--date", "2025-10-10", on="2025-10-10")
    assert reviewed["counts"]["new_la_duties"] == 4
    listed = seed.json("duties", "list", "--school", seed.school, "--date", "2025-10-10")
    assert sorted((d["kind"], d["pupil"]["upn"], d["due_on"]) for d in listed["duties"]) == [
        ("continuous_absence_return", upn(2), "2025-10-13"),
        ("deletion_ground", upn(2), "2025-10-13"),
        ("deletion_return", upn(3), "2025-10-10"),
        ("new_pupil_return", upn(1), "2025-09-15"),
    ]

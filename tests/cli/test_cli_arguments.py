"""Every door checks its input: dates, school ids, UPNs, codes and names, one line, exit 2."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from typer.testing import Result

from cli.parsing import _ISO_DATE
from school.codes import ABSENCE_CODES
from school.upn import upn_problem
from tests.cli.test_cli import SCHOOL, flat, run
from tests.register_files import upn

MONDAY = "2025-09-08"  # a school day in the bundled calendar, and a day the test pupils are on roll
BOXING_DAY = "2025-12-26"


def refused(result: Result, *wanted: str) -> str:
    """The one line a refused argument prints, after checking how it was refused."""
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    assert "Traceback" not in result.output
    line = result.stderr.strip()
    assert "\n" not in line, line
    for text in wanted:
        assert text in line, line
    return line


def absence(url: str, *extra: str) -> Result:
    return run(
        url, "absence", "--school", SCHOOL, "--upn", upn(1), "--reason", "Mum rang: ill",
        "--by", "Pat Jones, Office", *extra,
    )  # fmt: skip


def test_a_day_first_date_is_refused_with_the_form(imported: str) -> None:
    line = refused(absence(imported, "--date", "23/11/2025"), "--date", "YYYY-MM-DD")
    assert "2025-11-23?" in line
    refused(run(imported, "tasks", "--school", SCHOOL, "--date", "2025-02-30"), "--date")
    refused(run(imported, "review", "--school", SCHOOL, "--date", "tomorrow"), "--date")


def test_a_wrong_school_id_is_an_error_with_the_near_matches(imported: str) -> None:
    for command in ("tasks", "alerts", "outbox", "stats"):
        refused(
            run(imported, command, "--school", "emanuel-middle"),
            "--school",
            "no school 'emanuel-middle'; did you mean emmanuel-middle?",
        )
    refused(run(imported, "duties", "list", "--school", "kts"), "set up here: emmanuel-middle")
    refused(run(imported, "case", "show", upn(1), "--school", "emmanuel"), "--school")


def test_absence_codes_are_the_dfe_codes_that_mean_an_absence(imported: str) -> None:
    refused(absence(imported, "--date", MONDAY, "--code", "ZZ"), "--code", "'ZZ'", "I, J1, M")
    legacy = refused(absence(imported, "--date", MONDAY, "--code", "H"), "--code", "legacy")
    assert "use C for leave in exceptional circumstances" in legacy
    refused(absence(imported, "--date", MONDAY, "--code", "/"), "is not an absence code")
    accepted = absence(imported, "--date", MONDAY, "--code", "i")
    assert accepted.exit_code == 0, accepted.output


def test_an_absence_on_a_day_the_school_is_shut_is_refused(imported: str) -> None:
    refused(
        absence(imported, "--date", BOXING_DAY),
        f"--date: {BOXING_DAY} is not a school day at Emmanuel Middle School",
        "2025-12-19 and 2026-01-06",
    )
    # An as-of date may fall in a holiday: the figures count back to the last school day.
    stats = run(imported, "stats", "--school", SCHOOL, "--as-of", BOXING_DAY)
    assert stats.exit_code == 0, stats.output
    refused(run(imported, "chase", "--school", SCHOOL, "--date", BOXING_DAY, "--once"), "--date")


def test_a_upn_with_a_wrong_check_letter_is_refused(imported: str) -> None:
    wrong = ("B" if upn(1)[0] != "B" else "C") + upn(1)[1:]
    refused(absence(imported, "--date", MONDAY, "--upn", wrong), "--upn", "check letter")
    refused(run(imported, "case", "show", wrong), "UPN", "check letter")


def test_by_must_name_a_person_and_their_position(imported: str) -> None:
    refused(run(imported, "legal", "pay", "1", "--amount", "80", "--by", "Jo"), "--by")
    refused(absence(imported, "--date", MONDAY, "--session", "evening"), "--session")


# Every command's date, school, UPN and code arguments, with {} where the random value goes.
ARGUMENTS = {
    "date": [
        ["stats", "--school", SCHOOL, "--as-of={}"],
        ["chase", "--school", SCHOOL, "--once", "--date={}"],
        ["tasks", "--school", SCHOOL, "--date={}"],
        ["review", "--school", SCHOOL, "--date={}"],
        ["duties", "review", "--school", SCHOOL, "--date={}"],
        ["evidence", "--school", SCHOOL, upn(1), "--out", "x.pdf", "--date={}"],
        ["legal", "nti", upn(1), "--parent", "Ann One", "--by", "A B, C", "--date={}"],
        ["legal", "issue-pn", "1", "--by", "A B, C", "--issued={}", "--received=2026-01-05"],
        ["legal", "pay", "1", "--amount", "80", "--by", "A B, C", "--date={}"],
        ["arrive", upn(1), "--school", SCHOOL, "--at", "09:00", "--date={}"],
        [
            "absence",
            "--school",
            SCHOOL,
            "--upn",
            upn(1),
            "--reason",
            "r",
            "--by",
            "A, B",
            "--date={}",
        ],
    ],
    "school": [
        ["stats", "--school={}"],
        ["chase", "--once", "--school={}"],
        ["tasks", "--school={}"],
        ["alerts", "--school={}"],
        ["outbox", "--school={}"],
        ["review", "--school={}"],
        ["duties", "list", "--school={}"],
        ["case", "show", "--school={}", upn(1)],
        ["import", "--school={}"],
        ["arrive", upn(1), "--at", "09:00", "--school={}"],
    ],
    "upn": [
        ["absence", "--school", SCHOOL, "--reason", "r", "--by", "A, B", "--upn={}"],
        ["case", "show", "--", "{}"],
        ["legal", "nti", "--parent", "Ann One", "--by", "A B, C", "--", "{}"],
        ["evidence", "--school", SCHOOL, "--out", "x.pdf", "--", "{}"],
        ["arrive", "--school", SCHOOL, "--at", "09:00", "--", "{}"],
    ],
    "code": [
        [
            "absence",
            "--school",
            SCHOOL,
            "--upn",
            upn(1),
            "--date",
            MONDAY,
            "--reason",
            "r",
            "--by",
            "A, B",
            "--code={}",
        ],
        ["task", "done", "1", "--outcome", "no_answer", "--by", "A, B", "--code={}"],
    ],
    "year groups": [["demo-data", "--out", "demo-out", "--pupils", "5", "--year-groups={}"]],
}
VALID = {
    "date": lambda text: bool(_ISO_DATE.fullmatch(text)),
    "school": lambda text: text == SCHOOL,
    "upn": lambda text: upn_problem(text.strip().upper()) is None,
    "code": lambda text: text.strip().upper() in ABSENCE_CODES,
    "year groups": lambda text: _year_groups_ok(text),
}


def _year_groups_ok(text: str) -> bool:
    parts = [p.strip() for p in text.split(",") if p.strip()]
    return (
        bool(parts)
        and all(re.fullmatch(r"-?[0-9]{1,2}", p) and -2 <= int(p) <= 14 for p in parts)
        and len(set(map(int, parts))) == len(parts)
    )


@pytest.mark.parametrize(
    "kind, template", [(kind, t) for kind, ts in ARGUMENTS.items() for t in ts]
)
@settings(
    max_examples=12,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(text=st.text(max_size=30))
def test_any_typed_value_gets_one_clear_line_and_exit_2(
    imported: str, tmp_path: Path, kind: str, template: list[str], text: str
) -> None:
    assume(not VALID[kind](text))
    args = [a.replace("{}", text) for a in template]
    line = refused(run(imported, *args))
    assert line.startswith("Error: "), line
    assert len(flat(line)) < 400

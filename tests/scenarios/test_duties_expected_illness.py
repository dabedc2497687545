"""Expected illness (spec §4 row 2, scenario 19): when the school has reasonable grounds to
believe a pupil will miss 15 school days this year through sickness, the sickness return is due
at once, not when the 15th I is in the register. Worked through the command line for two seed
schools on the bundled 2025-26 calendar.

- Pupil 1: I on the 8 school days Mon 6 to Wed 15 Oct 2025; on Fri 24 Oct the school learns of
  hip surgery needing 7 school days from Mon 12 Jan 2026: 8 + 7 = 15, so the return is due on
  Fri 24 Oct. In January the 7 days of I are the period already returned: no second return.
- Pupils 2 and 3, never ill: 14 school days expected from Mon 3 Nov 2025 is short of the
  return; 15 makes it due now.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import Engine

from tests.register_files import pupil_row, upn
from tests.scenarios.duties_school import STAFF, SchoolAtTheDoor, from_day, of_kind, set_up


@pytest.fixture(params=["emmanuel-middle", "micklefield"])
def seed(request, engine: Engine, tmp_path: Path, monkeypatch) -> SchoolAtTheDoor:
    url = engine.url.render_as_string(hide_password=False)
    school = set_up(url, request.param, tmp_path / "register", monkeypatch)
    ill_in_october = from_day("2025-10-06", "I", "2025-10-15")
    school.import_register(
        [pupil_row(n, year=school.middle_year, born="2015-05-01") for n in (1, 2, 3)],
        {
            1: lambda d, s: "I" if str(d.date) >= "2026-01-12" else ill_in_october(d, s),
            2: from_day("2026-01-05", "/", "2026-01-05"),
            3: from_day("2026-01-05", "/", "2026-01-05"),
        },
        "2025-09-04",
        "2026-01-20",
    )
    return school


def expect(school: SchoolAtTheDoor, n: int, first: str, days: int, on: str, *extra: str):
    return school.run(
        "duties", "expect-illness", upn(n), "--from", first, "--days", str(days),
        "--by", STAFF, *extra, "--format", "json", on=on,
    )  # fmt: skip


def test_scenario_19_surgery_booked_makes_the_sickness_return_due_now(
    seed: SchoolAtTheDoor,
) -> None:
    assert of_kind(seed.duties("2025-10-24"), "sickness_return") == []  # 8 days: not yet
    result = expect(seed, 1, "2026-01-12", 7, "2025-10-24", "--reason", "hip surgery in January")
    assert result.exit_code == 0, result.output
    recorded = json.loads(result.stdout)
    assert recorded["duty"]["details"]["expected_total"] == 15
    (ret,) = recorded["raised"]
    assert (ret["kind"], ret["due_on"]) == ("sickness_return", "2025-10-24")
    assert "hip surgery in January" in ret["summary"]
    assert [d["id"] for d in of_kind(seed.duties("2025-10-24"), "sickness_return")] == [ret["id"]]
    seed.ok("duties", "done", str(ret["id"]), "--by", STAFF, "--note", "return sent")
    # The surgery happens: the 7 days of I are the period returned in October.
    assert of_kind(seed.duties("2026-01-20"), "sickness_return") == []


def test_fourteen_expected_days_are_short_of_the_return_fifteen_make_it_due_now(
    seed: SchoolAtTheDoor,
) -> None:
    fourteen = expect(seed, 2, "2025-11-03", 14, "2025-10-24", "--reason", "knee operation")
    assert fourteen.exit_code == 0, fourteen.output
    assert json.loads(fourteen.stdout)["raised"] == []
    fifteen = expect(seed, 3, "2025-11-03", 15, "2025-10-24")  # grounds left out: recorded so
    assert fifteen.exit_code == 0, fifteen.output
    (ret,) = json.loads(fifteen.stdout)["raised"]
    assert (ret["pupil"]["upn"], ret["due_on"]) == (upn(3), "2025-10-24")
    assert "grounds not given" in ret["summary"]
    table = seed.run(
        "duties", "expect-illness", upn(2), "--from", "2025-11-03", "--days", "15",
        "--by", STAFF, "--reason", "knee operation, longer than thought", on="2025-10-27",
    )  # fmt: skip
    assert table.exit_code == 0, table.output
    assert "sickness return due now" in " ".join(table.stdout.split())


def test_expected_illness_checks_its_input(seed: SchoolAtTheDoor) -> None:
    saturday = expect(seed, 1, "2025-11-01", 15, "2025-10-24")
    assert saturday.exit_code == 2 and "not a school day" in saturday.output
    assert expect(seed, 1, "2025-11-03", 0, "2025-10-24").exit_code == 2
    blank = expect(seed, 1, "2025-11-03", 15, "2025-10-24", "--reason", "  ")
    assert blank.exit_code == 1 and "reasonable grounds" in blank.output
    assert expect(seed, 99, "2025-11-03", 15, "2025-10-24").exit_code == 1  # no such pupil

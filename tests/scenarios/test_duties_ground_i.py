"""Ground I (reg 9(1)(i), spec §4): 20 school days of continuous absence, every session G, N or
O, and school and LA jointly unable to find the child. Worked through the command line for two
seed schools on the bundled 2025-26 calendar (half-term 27-31 Oct 2025, INSET Fri 14 Nov 2025).

- Pupil 1 (social worker): O from Mon 15 Sep 2025. 19 school days on Thu 9 Oct, 20 on Fri 10 Oct:
  the engine proposes the deletion on the 10th, not before. Confirmed on Tue 14 Oct with the
  joint enquiries, and only then: the deletion return and the social worker's notification,
  both due that day.
- Pupil 2: O from Mon 15 Sep, but on Mon 22 Sep arrived after the register closed (U, PM O):
  seen on site, so that day ends the run; the next run starts Tue 23 Sep and reaches 20 school
  days on Mon 20 Oct.
- Pupil 3: O from Mon 13 Oct, across half-term and the INSET day: 19 school days on Thu 13 Nov,
  20 on Mon 17 Nov.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine

from tests.register_files import pupil_row, upn
from tests.scenarios.duties_school import (
    STAFF,
    SchoolAtTheDoor,
    from_day,
    of_kind,
    set_up,
)

LA = "Sam Roe, Children Missing Education Officer"
ENQUIRIES = (
    "Home visits on 8 and 13 Oct with the LA's CME officer; neighbours, the GP and the last "
    "known address checked jointly; nobody knows where the family is."
)


@pytest.fixture(params=["emmanuel-middle", "micklefield"])
def seed(request, engine: Engine, tmp_path: Path, monkeypatch) -> SchoolAtTheDoor:
    url = engine.url.render_as_string(hide_password=False)
    school = set_up(url, request.param, tmp_path / "register", monkeypatch)
    year, born = school.middle_year, "2015-05-01"
    seen_once = from_day("2025-09-15", "O")
    school.import_register(
        [
            pupil_row(1, year=year, born=born, admitted="2024-09-04", flags="social_worker"),
            pupil_row(2, year=year, born=born, admitted="2024-09-04"),
            pupil_row(3, year=year, born=born, admitted="2024-09-04"),
        ],
        {
            1: from_day("2025-09-15", "O"),
            2: lambda day, s: (
                "U" if (str(day.date), s) == ("2025-09-22", "AM") else seen_once(day, s)
            ),
            3: from_day("2025-10-13", "O"),
        },
        "2025-09-04",
        "2025-11-17",
    )
    return school


def proposed(school: SchoolAtTheDoor, on: str) -> list[tuple[str, str]]:
    """(UPN, first day of absence) of every open Ground I proposal after the review of a day."""
    return [
        (d["pupil"]["upn"], d["details"]["period_start"])
        for d in of_kind(school.duties(on), "deletion_ground")
    ]


def test_twenty_school_days_are_counted_from_the_first_day_of_continuous_absence(
    seed: SchoolAtTheDoor,
) -> None:
    assert proposed(seed, "2025-10-09") == []  # pupil 1: 19 school days
    assert proposed(seed, "2025-10-10") == [(upn(1), "2025-09-15")]  # 20
    assert proposed(seed, "2025-10-17") == [(upn(1), "2025-09-15")]  # pupil 2: 19 since the U
    assert proposed(seed, "2025-10-20") == [(upn(1), "2025-09-15"), (upn(2), "2025-09-23")]
    assert (upn(3), "2025-10-13") not in proposed(seed, "2025-11-13")  # 19, across half-term
    assert (upn(3), "2025-10-13") in proposed(seed, "2025-11-17")  # 20


def test_ground_i_confirmed_with_the_joint_enquiries_raises_the_return_and_tells_the_social_worker(
    seed: SchoolAtTheDoor,
) -> None:
    (proposal,) = of_kind(seed.duties("2025-10-10"), "deletion_ground")
    assert proposal["label"] == "Ground I proposed" and "confirm-deletion" in proposal["needs"]
    assert of_kind(seed.duties("2025-10-13"), "deletion_return") == []  # not before confirming
    duty = str(proposal["id"])

    def confirm(*extra: str, la: str = LA, on: str = "2025-10-14"):
        return seed.run(
            "duties", "confirm-deletion", duty, "--school-by", STAFF, "--la-by", la,
            "--on", on, *extra, on="2025-10-14",
        )  # fmt: skip

    assert confirm("--enquiries", ENQUIRIES, la="Sam Roe").exit_code == 2  # no role at the LA
    late = confirm("--enquiries", ENQUIRIES, on="2025-10-15")
    assert late.exit_code == 1 and "between the first day of absence" in late.output
    vague = confirm("--enquiries", "LA told")
    assert vague.exit_code == 1 and "jointly" in vague.output
    done = seed.run("duties", "done", duty, "--by", STAFF, "--note", "deleted", on="2025-10-14")
    assert done.exit_code == 1 and "confirm-deletion" in done.output

    confirmed = seed.json(
        "duties", "confirm-deletion", duty, "--school-by", STAFF, "--la-by", LA,
        "--on", "2025-10-14", "--enquiries", ENQUIRIES, on="2025-10-14",
    )  # fmt: skip
    assert confirmed["duty"]["status"] == "done"
    assert confirmed["duty"]["details"]["la_by"] == LA
    assert confirmed["duty"]["details"]["joint_enquiries"] == ENQUIRIES
    raised = {d["kind"]: d for d in confirmed["raised"]}
    assert sorted(raised) == ["deletion_return", "inform_social_worker"]
    assert raised["deletion_return"]["due_on"] == "2025-10-14"
    assert raised["deletion_return"]["details"]["ground"] == "ground_i"
    assert raised["deletion_return"]["needs"] == "send; done"  # its ground is known
    again = seed.run(
        "duties", "confirm-deletion", duty, "--school-by", STAFF, "--la-by", LA,
        "--on", "2025-10-14", "--enquiries", ENQUIRIES, on="2025-10-14",
    )  # fmt: skip
    assert again.exit_code == 1 and "already done" in again.output
    listed = seed.json("duties", "list", "--school", seed.school, "--date", "2025-10-15")
    assert {d["kind"] for d in listed["duties"] if d["pupil"]["upn"] == upn(1)} >= {
        "deletion_return",
        "inform_social_worker",
    }

"""Joiners and leavers (reg 13, spec §3 and §4): returns to the LA outside the standard
transition times, worked through the command line for two seed schools.

The school year 2025-26 on the bundled calendar starts on Thu 4 Sep 2025 (Wed 3 Sep is an
INSET day) and ends on Mon 20 Jul 2026 (Tue 21 Jul is INSET). A standard transition is joining
the school's most junior year group on the first school day of the year, or leaving its final
year group after the last school day of the year.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine

from tests.register_files import pupil_row, upn
from tests.scenarios.duties_school import STAFF, SchoolAtTheDoor, of_kind, present, set_up

SCHOOLS = ["emmanuel-middle", "micklefield"]  # Years 5-8, and Reception to Year 6


@pytest.fixture(params=SCHOOLS)
def seed(request, engine: Engine, tmp_path: Path, monkeypatch) -> SchoolAtTheDoor:
    url = engine.url.render_as_string(hide_password=False)
    return set_up(url, request.param, tmp_path / "register", monkeypatch)


def test_an_in_year_joiner_needs_a_new_pupil_return_by_the_fifth_school_day(
    seed: SchoolAtTheDoor,
) -> None:
    """Pupil 1 joins the entry year on Wed 3 Sep (first school day on roll Thu 4 Sep): standard.
    Pupil 2 joins a later year group that day, pupil 3 the entry year on Mon 8 Sep: both are
    outside the standard times. Entered Mon 8 Sep, the return is due by the 5th school day
    after, Mon 15 Sep: due today then, overdue on Tue 16 Sep."""
    seed.import_register(
        [
            pupil_row(1, year=seed.entry_year, born="2015-05-01", admitted="2025-09-03"),
            pupil_row(2, year=seed.middle_year, born="2015-05-01", admitted="2025-09-03"),
            pupil_row(3, year=seed.entry_year, born="2015-05-01", admitted="2025-09-08"),
        ],
        {1: present, 2: present, 3: present},
        "2025-09-04",
        "2025-09-08",
        contacts=[[upn(3), 1, "Ann Three", "mother", "yes", "+447700900003", ""]],
    )
    returns = of_kind(seed.duties("2025-09-08"), "new_pupil_return")
    assert [(d["pupil"]["upn"], d["due_on"]) for d in returns] == [
        (upn(2), "2025-09-10"),  # entered Wed 3 Sep: Thu 4, Fri 5, Mon 8, Tue 9, Wed 10 Sep
        (upn(3), "2025-09-15"),  # entered Mon 8 Sep: Tue 9 to Fri 12, Mon 15 Sep
    ]
    third = returns[1]
    assert third["details"]["return"]["parents"][0]["name"] == "Ann Three"
    assert third["details"]["return"]["pupil"]["admission_date"] == "2025-09-08"

    listed = seed.json("duties", "list", "--school", seed.school, "--date", "2025-09-15")
    (on_the_day,) = [d for d in listed["duties"] if d["pupil"]["upn"] == upn(3)]
    assert on_the_day["overdue"] is False
    listed = seed.json("duties", "list", "--school", seed.school, "--date", "2025-09-16")
    (late,) = [d for d in listed["duties"] if d["pupil"]["upn"] == upn(3)]
    assert late["overdue"] is True and listed["counts"]["overdue"] == 2

    seed.ok("duties", "done", str(third["id"]), "--by", STAFF, "--note", "emailed to the LA")
    again = seed.duties("2025-09-16")
    assert [d["pupil"]["upn"] for d in of_kind(again, "new_pupil_return")] == [upn(2)]


def test_a_leaver_outside_the_standard_times_needs_a_deletion_return_with_its_ground(
    seed: SchoolAtTheDoor,
) -> None:
    """Pupil 1 leaves a middle year after Fri 13 Feb 2026: a deletion return due that day, which
    states the ground. Pupil 2 leaves the final year after Mon 20 Jul 2026, the last school day:
    standard, no return, but pupil 2 has a social worker, who is told of any deletion."""
    seed.import_register(
        [
            pupil_row(
                1,
                year=seed.middle_year,
                born="2015-05-01",
                admitted="2024-09-04",
                left="2026-02-13",
            ),
            pupil_row(
                2,
                year=seed.final_year,
                born="2014-05-01",
                admitted="2024-09-04",
                left="2026-07-20",
                flags="social_worker",
            ),
        ],
        {1: present, 2: present},
        "2026-01-05",
        "2026-02-02",
    )
    duties = seed.duties("2026-02-02")
    (deletion,) = of_kind(duties, "deletion_return")
    assert (deletion["pupil"]["upn"], deletion["due_on"]) == (upn(1), "2026-02-13")
    assert deletion["details"]["ground"] is None and "--ground" in deletion["needs"]
    (tell,) = of_kind(duties, "inform_social_worker")
    assert (tell["pupil"]["upn"], tell["due_on"]) == (upn(2), "2026-07-20")

    no_ground = seed.run("duties", "done", str(deletion["id"]), "--by", STAFF, "--note", "sent")
    assert no_ground.exit_code == 1 and "ground for deletion" in no_ground.output
    wrong = seed.run(
        "duties", "done", str(deletion["id"]), "--by", STAFF, "--note", "sent", "--ground", "gone"
    )
    assert wrong.exit_code == 2 and "is not one of" in wrong.output
    done = seed.json(
        "duties", "done", str(deletion["id"]), "--by", STAFF, "--note", "sent to the LA",
        "--ground", "moved_away",
    )  # fmt: skip
    assert done["duty"]["status"] == "done"
    assert done["duty"]["details"]["ground"] == "moved_away"
    assert of_kind(seed.duties("2026-02-03"), "deletion_return") == []  # raised once

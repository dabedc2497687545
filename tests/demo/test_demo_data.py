"""The demo register generator: valid, deterministic files with a realistic school's patterns."""

from __future__ import annotations

import csv
import os
import re
import subprocess
import sys
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import pytest

from demo.school_data import generate, write_csvs
from school.calendar import SchoolCalendar
from school.codes import AEA_CODES, CODES, POSSIBLE_CODES, PRESENT_CODES
from school.pupil_flags import PUPIL_FLAGS
from school.register_csv import Problems, parse_contacts, parse_pupils
from school.register_marks_csv import parse_marks
from school.school_age import is_compulsory_school_age
from school.upn import upn_problem

ROOT = Path(__file__).resolve().parents[2]
CALENDAR = SchoolCalendar.from_toml(
    (ROOT / "policies" / "calendars" / "england-2025-27.toml").read_text(encoding="utf-8")
)
FIRST_YEAR = CALENDAR.days[0].academic_year
YEAR_END = max(d.date for d in CALENDAR.days if d.academic_year == FIRST_YEAR)
PRIMARY = [0, 1, 2, 3, 4, 5, 6]
SECONDARY = [7, 8, 9, 10, 11]
ATTENDED = PRESENT_CODES | AEA_CODES
MOBILE = re.compile(r"^\+4477009\d{5}$")


@dataclass
class School:
    """A generated school as read back from its CSV files."""

    pupils: list[dict[str, str]]
    contacts: list[dict[str, str]]
    marks: list[dict[str, str]]
    until: date

    def marks_by_pupil(self) -> dict[str, list[dict[str, str]]]:
        found: dict[str, list[dict[str, str]]] = defaultdict(list)
        for mark in self.marks:
            found[mark["upn"]].append(mark)
        return found

    def contacts_by_pupil(self) -> dict[str, list[dict[str, str]]]:
        found: dict[str, list[dict[str, str]]] = defaultdict(list)
        for contact in self.contacts:
            found[contact["upn"]].append(contact)
        return found


def _read(folder: Path, name: str) -> list[dict[str, str]]:
    with (folder / name).open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def _school(
    folder: Path, pupils: int, seed: int, groups: list[int], until: date | None = None
) -> School:
    write_csvs(generate(pupils, seed, CALENDAR, groups, until), folder)
    return School(
        _read(folder, "pupils.csv"),
        _read(folder, "contacts.csv"),
        _read(folder, "marks.csv"),
        until or YEAR_END,
    )


@pytest.fixture(scope="module")
def primary(tmp_path_factory: pytest.TempPathFactory) -> School:
    return _school(tmp_path_factory.mktemp("primary"), 1000, 1, PRIMARY)


@pytest.fixture(scope="module")
def secondary(tmp_path_factory: pytest.TempPathFactory) -> School:
    return _school(tmp_path_factory.mktemp("secondary"), 400, 2, SECONDARY)


@pytest.fixture(scope="module")
def two_years(tmp_path_factory: pytest.TempPathFactory) -> School:
    return _school(tmp_path_factory.mktemp("two"), 300, 3, [0, 1, 2, 3], date(2026, 12, 1))


def _attendance(school: School) -> dict[str, float]:
    possible: Counter[str] = Counter()
    attended: Counter[str] = Counter()
    for mark in school.marks:
        if mark["code"] in POSSIBLE_CODES:
            possible[mark["upn"]] += 1
            attended[mark["upn"]] += mark["code"] in ATTENDED
    return {upn: attended[upn] / n for upn, n in possible.items()}


def _files(folder: Path) -> dict[str, bytes]:
    return {
        name: (folder / name).read_bytes() for name in ("pupils.csv", "contacts.csv", "marks.csv")
    }


# -- determinism --------------------------------------------------------------------------------


def test_the_same_seed_gives_byte_identical_files_and_another_seed_does_not(
    tmp_path: Path,
) -> None:
    for name, seed in (("a", 7), ("b", 7), ("c", 8)):
        write_csvs(generate(150, seed, CALENDAR, PRIMARY), tmp_path / name)
    assert _files(tmp_path / "a") == _files(tmp_path / "b")
    different = _files(tmp_path / "c")
    assert all(different[name] != data for name, data in _files(tmp_path / "a").items())


def test_files_do_not_depend_on_the_interpreter_hash_seed(tmp_path: Path) -> None:
    script = (
        "import sys; from pathlib import Path; from school.calendar import SchoolCalendar; "
        "from demo.school_data import generate, write_csvs; "
        "cal = SchoolCalendar.from_toml(Path(sys.argv[1]).read_text(encoding='utf-8')); "
        "write_csvs(generate(80, 5, cal, [5, 6, 7, 8]), Path(sys.argv[2]))"
    )
    calendar = ROOT / "policies" / "calendars" / "england-2025-27.toml"
    for hash_seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": hash_seed}
        out = tmp_path / hash_seed
        subprocess.run(
            [sys.executable, "-c", script, str(calendar), str(out)], cwd=ROOT, env=env, check=True
        )
    assert _files(tmp_path / "1") == _files(tmp_path / "2")


# -- the files are valid register data ----------------------------------------------------------


@pytest.mark.parametrize("groups", [PRIMARY, SECONDARY, [-1, 0, 1]])
def test_files_pass_the_register_reader_without_problems(tmp_path: Path, groups: list[int]) -> None:
    write_csvs(generate(120, 11, CALENDAR, groups), tmp_path)
    problems = Problems()
    pupils = parse_pupils(tmp_path / "pupils.csv", problems)
    contacts = parse_contacts(tmp_path / "contacts.csv", problems)
    marks = parse_marks(tmp_path / "marks.csv", problems)
    assert problems.items == []
    assert len(pupils) == 120
    assert {c.upn for c in contacts} == {p.upn for p in pupils}
    assert {m.upn for m in marks} <= {p.upn for p in pupils}


def test_every_upn_is_valid_and_unique(primary: School, secondary: School) -> None:
    for school in (primary, secondary):
        upns = [p["upn"] for p in school.pupils]
        assert [u for u in upns if upn_problem(u) is not None] == []
        assert len(set(upns)) == len(upns)


def test_marks_are_2024_codes_on_school_sessions_within_time_on_roll(primary: School) -> None:
    pupils = {p["upn"]: p for p in primary.pupils}
    seen: set[tuple[str, str, str]] = set()
    for mark in primary.marks:
        on = date.fromisoformat(mark["date"])
        pupil = pupils[mark["upn"]]
        assert mark["code"] in CODES
        assert mark["session"] in CALENDAR.sessions_on(on)
        assert date.fromisoformat(pupil["admission_date"]) <= on <= primary.until
        assert not pupil["leaving_date"] or on <= date.fromisoformat(pupil["leaving_date"])
        key = (mark["upn"], mark["date"], mark["session"])
        assert key not in seen
        seen.add(key)


def test_every_session_on_roll_is_marked(primary: School, secondary: School) -> None:
    for school in (primary, secondary):
        marks = Counter(m["upn"] for m in school.marks)
        for pupil in school.pupils:
            first = date.fromisoformat(pupil["admission_date"])
            last = min(date.fromisoformat(pupil["leaving_date"] or "9999-12-31"), school.until)
            expected = sum(len(d.sessions) for d in CALENDAR.days if first <= d.date <= last)
            assert marks[pupil["upn"]] == expected, pupil


def test_x_only_for_pupils_not_of_compulsory_school_age(primary: School) -> None:
    born = {p["upn"]: date.fromisoformat(p["date_of_birth"]) for p in primary.pupils}
    x_marks = [m for m in primary.marks if m["code"] == "X"]
    assert x_marks, "Reception's phased start should give some X"
    for mark in x_marks:
        assert not is_compulsory_school_age(born[mark["upn"]], date.fromisoformat(mark["date"]))


def test_minutes_late_only_on_late_marks(primary: School) -> None:
    late = Counter()
    for mark in primary.marks:
        code, minutes = mark["code"], mark["minutes_late"]
        if code == "L":
            assert 1 <= int(minutes) <= 29
        elif code == "U":
            assert 31 <= int(minutes) <= 90
        else:
            assert minutes == ""
        late[code] += 1
    assert late["L"] > 3 * late["U"] > 0


def test_dates_of_birth_match_year_groups(
    primary: School, secondary: School, two_years: School
) -> None:
    for school in (primary, secondary, two_years):
        for pupil in school.pupils:
            left = pupil["leaving_date"]
            on = min(date.fromisoformat(left), school.until) if left else school.until
            year = on.year if on.month >= 8 else on.year - 1
            entry = year - int(pupil["year_group"])
            born = date.fromisoformat(pupil["date_of_birth"])
            assert date(entry - 5, 9, 1) <= born <= date(entry - 4, 8, 31), pupil


# -- a realistic school -------------------------------------------------------------------------


def test_attendance_bands_match_a_typical_school(primary: School) -> None:
    rates = list(_attendance(primary).values())
    share = {
        "at least 95%": sum(r >= 0.95 for r in rates) / len(rates),
        "at risk (90-95%)": sum(0.90 < r < 0.95 for r in rates) / len(rates),
        "persistently absent": sum(r <= 0.90 for r in rates) / len(rates),
        "severely absent": sum(r <= 0.50 for r in rates) / len(rates),
    }
    assert 0.55 <= share["at least 95%"] <= 0.75, share
    assert 0.15 <= share["at risk (90-95%)"] <= 0.25, share
    assert 0.11 <= share["persistently absent"] <= 0.19, share
    assert 0.005 <= share["severely absent"] <= 0.03, share
    assert 0.5 * len(rates) < sum(0.95 <= r < 0.99 for r in rates)  # most around 96-98%


def test_absence_comes_in_realistic_episodes(primary: School) -> None:
    codes = Counter(m["code"] for m in primary.marks)
    for code in ("/", "\\", "I", "M", "G", "O", "C", "R", "V", "B", "P", "L", "U", "N", "X"):
        assert codes[code] > 0, code
    assert codes["I"] > codes["O"] > codes["G"] > codes["C"]
    illness_runs = _runs(primary, "I")
    assert Counter(n <= 10 for n in illness_runs)[True] > 0.9 * len(illness_runs)
    assert any(n > 10 for n in illness_runs), "a few long illnesses"
    present = Counter((m["session"], m["code"]) for m in primary.marks if m["code"] in "/\\")
    assert set(present) == {("AM", "/"), ("PM", "\\")}


def _runs(school: School, code: str) -> list[int]:
    """Lengths (in sessions) of consecutive runs of a code in each pupil's register."""
    runs: list[int] = []
    for marks in school.marks_by_pupil().values():
        length = 0
        for mark in [*marks, {"code": ""}]:
            if mark["code"] == code:
                length += 1
            elif length:
                runs.append(length)
                length = 0
    return runs


def test_term_time_holidays_often_stretch_a_half_term(primary: School) -> None:
    term_edges = set()
    for term in CALENDAR.terms:
        term_edges |= {term.start, term.end}
    school_days = [d.date for d in CALENDAR.days]
    touching = total = 0
    for marks in primary.marks_by_pupil().values():
        days = sorted({date.fromisoformat(m["date"]) for m in marks if m["code"] == "G"})
        for run in _date_runs(days, school_days):
            total += 1
            before = (
                school_days[school_days.index(run[0]) - 1] if run[0] != school_days[0] else None
            )
            after_i = school_days.index(run[-1]) + 1
            after = school_days[after_i] if after_i < len(school_days) else None
            gap = (before is None or (run[0] - before) > timedelta(days=3)) or (
                after is not None and (after - run[-1]) > timedelta(days=3)
            )
            touching += gap
    assert total > 10
    assert touching >= 0.5 * total


def _date_runs(days: list[date], school_days: list[date]) -> list[list[date]]:
    runs: list[list[date]] = []
    for day in days:
        if runs and school_days.index(day) == school_days.index(runs[-1][-1]) + 1:
            runs[-1].append(day)
        else:
            runs.append([day])
    return runs


def test_some_n_marks_are_unresolved_recently_and_a_few_are_overdue(primary: School) -> None:
    school_days = [d.date for d in CALENDAR.days if d.date <= primary.until]
    recent = set(school_days[-10:])
    n_marks = [m for m in primary.marks if m["code"] == "N"]
    overdue = {m["upn"] for m in n_marks if date.fromisoformat(m["date"]) not in recent}
    assert len(n_marks) - len(overdue) >= 20
    assert 3 <= len(overdue) <= 20
    absences = sum(m["code"] in ("I", "O", "N", "G", "M", "C", "R", "U") for m in primary.marks)
    assert len(n_marks) < 0.02 * absences


def test_pupils_join_and_leave_during_the_year(primary: School) -> None:
    start = CALENDAR.days[0].date
    joined = [p for p in primary.pupils if date.fromisoformat(p["admission_date"]) > start]
    left = [p for p in primary.pupils if p["leaving_date"]]
    assert 5 <= len(joined) <= 60
    assert 5 <= len(left) <= 60
    assert any(date.fromisoformat(p["admission_date"]) < start for p in primary.pupils)


def test_year_11_leave_on_the_school_leaving_date(secondary: School) -> None:
    leaving = Counter(p["leaving_date"] for p in secondary.pupils if p["year_group"] == "11")
    assert leaving.most_common(1)[0][0] == "2026-06-26"  # the last Friday in June
    assert all("" < day <= "2026-06-26" for day in leaving)


def test_flags_are_known_consistent_and_at_typical_rates(
    primary: School, secondary: School
) -> None:
    flags: Counter[str] = Counter()
    for school in (primary, secondary):
        for pupil in school.pupils:
            mine = pupil["flags"].split(";") if pupil["flags"] else []
            assert set(mine) <= set(PUPIL_FLAGS)
            assert (
                not {"child_protection_plan", "looked_after", "child_in_need_plan"} & set(mine)
                or "social_worker" in mine
            )
            assert not ("ehcp" in mine and "send_support" in mine)
            assert "yot" not in mine or int(pupil["year_group"]) >= 7
            flags.update(mine)
    total = len(primary.pupils) + len(secondary.pupils)
    assert 0.18 <= flags["fsm"] / total <= 0.28
    assert 0.08 <= flags["send_support"] / total <= 0.2
    for flag in PUPIL_FLAGS:
        assert flags[flag] > 0, flag
    assert flags["yot"] < flags["social_worker"] < flags["send_support"] < flags["fsm"]


# -- contacts and families ----------------------------------------------------------------------


def test_contacts_are_ordered_and_the_first_is_a_parent(primary: School) -> None:
    for upn, contacts in primary.contacts_by_pupil().items():
        assert [c["priority"] for c in contacts] == [str(i) for i in range(1, len(contacts) + 1)]
        assert 1 <= len(contacts) <= 3, upn
        first = contacts[0]
        assert first["parental_responsibility"] == "true"
        assert first["relationship"] in ("Mother", "Father")
        for contact in contacts:
            parent = contact["relationship"] in ("Mother", "Father")
            assert contact["parental_responsibility"] == ("true" if parent else "false")
            assert MOBILE.match(contact["mobile"]), contact
            domain = contact["email"].rpartition("@")[2]
            assert contact["email"] == "" or domain in ("example.com", "example.org", "example.net")
        # The morning chase texts the first contact: keep it in Ofcom's drama range.
        assert 900000 <= int(first["mobile"][-6:]) <= 900999


def test_each_person_has_their_own_number_and_siblings_share_identical_contacts(
    primary: School,
) -> None:
    by_pupil = primary.contacts_by_pupil()
    names = {p["upn"]: p["family_name"] for p in primary.pupils}
    families: dict[str, list[str]] = defaultdict(list)
    for upn, contacts in by_pupil.items():
        families[contacts[0]["mobile"]].append(upn)
    people: dict[str, tuple[str, ...]] = {}
    for upns in families.values():
        rows = {
            tuple((k, v) for k, v in c.items() if k != "upn") for u in upns for c in by_pupil[u]
        }
        assert len(rows) == len(by_pupil[upns[0]]), "siblings' contact rows differ"
        assert len({names[u] for u in upns}) == 1
        for contact in by_pupil[upns[0]]:
            person = (contact["name"], contact["relationship"])
            assert people.setdefault(contact["mobile"], person) == person
    siblings = sum(len(u) for u in families.values() if len(u) > 1) / len(primary.pupils)
    assert 0.18 <= siblings <= 0.32


def test_names_are_varied(primary: School) -> None:
    assert len({p["family_name"] for p in primary.pupils}) > 150
    assert len({p["given_name"] for p in primary.pupils}) > 150
    assert any(
        not p["family_name"].isascii() or not p["given_name"].isascii() for p in primary.pupils
    )


# -- the years covered --------------------------------------------------------------------------


def test_marks_stop_at_until_and_default_to_the_end_of_the_first_year(
    primary: School, tmp_path: Path
) -> None:
    assert max(m["date"] for m in primary.marks) == YEAR_END.isoformat()
    short = _school(tmp_path, 50, 1, PRIMARY, date(2025, 10, 1))
    assert max(m["date"] for m in short.marks) == "2025-10-01"
    assert min(m["date"] for m in short.marks) == CALENDAR.days[0].date.isoformat()


def test_a_second_year_brings_a_new_intake_and_the_top_year_leaves(two_years: School) -> None:
    second_start = next(d.date for d in CALENDAR.days if d.academic_year == FIRST_YEAR + 1)
    intake = [p for p in two_years.pupils if p["admission_date"] == second_start.isoformat()]
    assert intake and {p["year_group"] for p in intake} == {"0"}
    leavers = [p for p in two_years.pupils if p["leaving_date"] == YEAR_END.isoformat()]
    assert leavers and {p["year_group"] for p in leavers} == {"3"}
    assert max(m["date"] for m in two_years.marks) == "2026-12-01"


@pytest.mark.parametrize(
    ("pupils", "groups", "until"),
    [(-1, PRIMARY, None), (10, [], None), (10, [15], None), (10, PRIMARY, date(2025, 1, 1))],
)
def test_bad_arguments_are_refused(pupils: int, groups: list[int], until: date | None) -> None:
    with pytest.raises(ValueError):
        generate(pupils, 1, CALENDAR, groups, until)

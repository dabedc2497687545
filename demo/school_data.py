"""Deterministic register data for a realistic demo school, written as the engine's three CSVs."""

from __future__ import annotations

import csv
import math
import unicodedata
from bisect import bisect_left, bisect_right
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from itertools import repeat
from pathlib import Path
from random import Random
from typing import NamedTuple

from school.calendar import SchoolCalendar, SchoolDay
from school.pupil_flags import PUPIL_FLAGS
from school.register_csv import CONTACT_COLUMNS, MARK_COLUMNS, PUPIL_COLUMNS
from school.school_age import csa_end, is_compulsory_school_age
from school.upn import make_upn

# 999 is no English local authority's number, so a demo UPN cannot be a real pupil's.
DEMO_LA = 999
SCHOOL_ESTABLISHMENT = 4001

_UNMARKED = ("/", "\\")
_EXPLAINABLE = ("I", "O")  # absences an office could still be chasing a reason for


@dataclass(frozen=True, slots=True)
class DemoSchool:
    """The three register files' rows, in column order, ready to write."""

    pupils: list[tuple[str, ...]]
    contacts: list[tuple[str, ...]]
    marks: list[tuple[str, ...]]


def generate(
    pupils: int,
    seed: int,
    calendar: SchoolCalendar,
    year_groups: list[int],
    until: date | None = None,
) -> DemoSchool:
    """A school of `pupils` pupils in `year_groups`, marked every session up to `until`."""
    if pupils < 0:
        raise ValueError(f"pupils must be 0 or more, not {pupils}")
    if not year_groups or any(not -2 <= y <= 14 for y in year_groups):
        raise ValueError(f"year groups must be between -2 (N1) and 14, not {year_groups}")
    return _Generator(Random(seed), _Frame.of(calendar, until), sorted(set(year_groups))).run(
        pupils
    )


def write_csvs(school: DemoSchool, out_dir: Path) -> None:
    """Write pupils.csv, contacts.csv and marks.csv (UTF-8, header row) into a folder."""
    out_dir.mkdir(parents=True, exist_ok=True)
    for name, columns, rows in (
        ("pupils.csv", PUPIL_COLUMNS, school.pupils),
        ("contacts.csv", CONTACT_COLUMNS, school.contacts),
        ("marks.csv", MARK_COLUMNS, school.marks),
    ):
        with (out_dir / name).open("w", newline="", encoding="utf-8") as f:
            writer = csv.writer(f, lineterminator="\n")
            writer.writerow(columns)
            writer.writerows(rows)


# ---------------------------------------------------------------------------------------------
# The school's sessions, flattened so a pupil's register is a slice of one list.


@dataclass(frozen=True)
class _Frame:
    """Every school day up to the last one marked, with its sessions numbered as slots."""

    dates: list[date]
    year_of_day: list[int]  # index into `years`
    years: list[int]  # academic years covered, oldest first
    year_days: list[tuple[int, int]]  # [first, end) day indices of each covered year
    half_terms: list[tuple[int, int, int]]  # (year index, first day, end day)
    slot_start: list[int]  # first slot of each day; one extra entry closes the last day
    slot_iso: list[str]
    slot_session: list[str]
    default_codes: list[str]  # present: / for a morning, \ for an afternoon

    @classmethod
    def of(cls, calendar: SchoolCalendar, until: date | None) -> _Frame:
        days = calendar.days
        if not days:
            raise ValueError("the calendar has no school days")
        if until is None:
            until = max(d.date for d in days if d.academic_year == days[0].academic_year)
        days = [d for d in days if d.date <= until]
        if not days:
            raise ValueError(f"until {until} is before the calendar's first school day")
        years = sorted({d.academic_year for d in days})
        year_of_day = [years.index(d.academic_year) for d in days]
        slot_start: list[int] = [0]
        slot_iso: list[str] = []
        slot_session: list[str] = []
        for d in days:
            slot_iso.extend(repeat(d.date.isoformat(), len(d.sessions)))
            slot_session.extend(d.sessions)
            slot_start.append(len(slot_session))
        return cls(
            dates=[d.date for d in days],
            year_of_day=year_of_day,
            years=years,
            year_days=[_span_of(year_of_day, i) for i in range(len(years))],
            half_terms=_half_terms(days, year_of_day),
            slot_start=slot_start,
            slot_iso=slot_iso,
            slot_session=slot_session,
            default_codes=["/" if s == "AM" else "\\" for s in slot_session],
        )

    def first_day_on_or_after(self, on: date) -> int:
        return bisect_left(self.dates, on)

    def end_day_after(self, on: date) -> int:
        return bisect_right(self.dates, on)


def _span_of(values: list[int], wanted: int) -> tuple[int, int]:
    first = values.index(wanted)
    return first, first + values.count(wanted)


def _half_terms(days: list[SchoolDay], year_of_day: list[int]) -> list[tuple[int, int, int]]:
    spans: list[tuple[int, int, int]] = []
    start = 0
    for i in range(1, len(days) + 1):
        if i == len(days) or days[i].half_term != days[start].half_term:
            spans.append((year_of_day[start], start, i))
            start = i
    return spans


# ---------------------------------------------------------------------------------------------
# Names: heritage groups keep a family's given and family names plausible together.


class _Heritage(NamedTuple):
    weight: float
    boys: tuple[str, ...]
    girls: tuple[str, ...]
    men: tuple[str, ...]
    women: tuple[str, ...]
    surnames: tuple[str, ...]
    observes_festival: float  # share of families taking a day of religious observance (R)


_HERITAGES = (
    _Heritage(
        0.60,
        (
            "Oliver",
            "George",
            "Harry",
            "Noah",
            "Jack",
            "Leo",
            "Arthur",
            "Oscar",
            "Charlie",
            "Freddie",
            "Alfie",
            "Theo",
            "Henry",
            "Archie",
            "Thomas",
            "William",
            "Joshua",
            "Jacob",
            "Finley",
            "Reuben",
            "Rory",
            "Callum",
            "Lewis",
            "Dylan",
            "Ethan",
            "Max",
            "Riley",
            "Tommy",
            "Louie",
            "Harrison",
            "Jenson",
            "Ronnie",
            "Teddy",
            "Albie",
            "Owen",
            "Rhys",
            "Cian",
            "Euan",
            "Finlay",
            "Seth",
        ),
        (
            "Olivia",
            "Amelia",
            "Isla",
            "Ava",
            "Lily",
            "Freya",
            "Ivy",
            "Florence",
            "Poppy",
            "Isabella",
            "Sophia",
            "Grace",
            "Evie",
            "Ella",
            "Millie",
            "Daisy",
            "Willow",
            "Rosie",
            "Sienna",
            "Matilda",
            "Evelyn",
            "Harper",
            "Phoebe",
            "Ruby",
            "Emily",
            "Jessica",
            "Chloe",
            "Megan",
            "Niamh",
            "Eilidh",
            "Seren",
            "Cerys",
            "Erin",
            "Maisie",
            "Holly",
            "Lottie",
            "Esme",
            "Imogen",
            "Zoë",
            "Róisín",
        ),
        (
            "James",
            "Daniel",
            "Matthew",
            "Christopher",
            "Mark",
            "Paul",
            "Andrew",
            "David",
            "Richard",
            "Stephen",
            "Lee",
            "Craig",
            "Gareth",
            "Jamie",
            "Ryan",
            "Adam",
            "Thomas",
            "Michael",
            "Simon",
            "Neil",
            "Carl",
            "Ben",
            "Liam",
            "Scott",
            "Darren",
            "Jonathan",
            "Stuart",
            "Owain",
            "Sean",
            "Gavin",
        ),
        (
            "Sarah",
            "Emma",
            "Laura",
            "Rebecca",
            "Gemma",
            "Claire",
            "Rachel",
            "Kelly",
            "Amy",
            "Hannah",
            "Charlotte",
            "Lisa",
            "Nicola",
            "Jennifer",
            "Natalie",
            "Victoria",
            "Stacey",
            "Leanne",
            "Katie",
            "Jodie",
            "Danielle",
            "Zoe",
            "Siobhan",
            "Kirsty",
            "Rhian",
            "Catherine",
            "Louise",
            "Helen",
            "Joanne",
            "Aoife",
        ),
        (
            "Smith",
            "Jones",
            "Taylor",
            "Brown",
            "Williams",
            "Wilson",
            "Johnson",
            "Davies",
            "Robinson",
            "Wright",
            "Thompson",
            "Evans",
            "Walker",
            "White",
            "Roberts",
            "Green",
            "Hall",
            "Wood",
            "Jackson",
            "Clarke",
            "Hughes",
            "Edwards",
            "Turner",
            "Hill",
            "Moore",
            "Cooper",
            "Ward",
            "Morris",
            "King",
            "Harris",
            "Lewis",
            "Baker",
            "Allen",
            "Young",
            "Mitchell",
            "Kelly",
            "Campbell",
            "Stewart",
            "MacDonald",
            "Murray",
            "Morgan",
            "Price",
            "Griffiths",
            "Rees",
            "Lloyd",
            "Murphy",
            "O'Brien",
            "O'Connor",
            "Byrne",
            "Doyle",
            "Fletcher",
            "Holmes",
            "Marshall",
            "Barker",
            "Pearson",
            "Bennett",
            "Shaw",
            "Atkinson",
            "Chapman",
            "Hudson",
            "Booth",
            "Fox",
            "Newton",
            "Parkinson",
            "Whitehead",
            "Crossley",
            "Sutcliffe",
            "Pritchard",
            "McKenzie",
            "Fraser",
        ),
        0.01,
    ),
    _Heritage(
        0.08,
        (
            "Muhammad",
            "Ibrahim",
            "Yusuf",
            "Hamza",
            "Zayn",
            "Ayaan",
            "Musa",
            "Adam",
            "Idris",
            "Ismail",
            "Zakariya",
            "Rayyan",
            "Haroon",
            "Bilal",
            "Sami",
            "Eesa",
        ),
        (
            "Maryam",
            "Aisha",
            "Fatima",
            "Zainab",
            "Hafsa",
            "Khadija",
            "Amira",
            "Sumaya",
            "Inaya",
            "Aleena",
            "Hana",
            "Safa",
            "Noor",
            "Iqra",
            "Anaya",
            "Mariam",
        ),
        (
            "Imran",
            "Asif",
            "Tariq",
            "Shahid",
            "Kamran",
            "Zubair",
            "Faisal",
            "Abdul",
            "Nadeem",
            "Rizwan",
            "Mohammed",
            "Saiful",
            "Jamal",
            "Sajid",
        ),
        (
            "Nadia",
            "Shazia",
            "Rukhsana",
            "Samina",
            "Farzana",
            "Nasreen",
            "Ayesha",
            "Sadia",
            "Rehana",
            "Shabana",
            "Taslima",
            "Ruksana",
            "Salma",
        ),
        (
            "Khan",
            "Hussain",
            "Ahmed",
            "Ali",
            "Akhtar",
            "Iqbal",
            "Mahmood",
            "Rahman",
            "Uddin",
            "Miah",
            "Islam",
            "Chowdhury",
            "Rashid",
            "Butt",
            "Malik",
            "Aziz",
            "Shah",
            "Javed",
            "Siddique",
            "Qureshi",
            "Begum",
        ),
        0.6,
    ),
    _Heritage(
        0.04,
        (
            "Arjun",
            "Aarav",
            "Krish",
            "Rohan",
            "Vihaan",
            "Dev",
            "Jai",
            "Ishaan",
            "Rishi",
            "Kabir",
            "Aryan",
            "Veer",
            "Sahil",
            "Arnav",
            "Gurveer",
        ),
        (
            "Priya",
            "Anika",
            "Diya",
            "Saanvi",
            "Aanya",
            "Isha",
            "Riya",
            "Simran",
            "Ananya",
            "Meera",
            "Kiran",
            "Jasleen",
            "Tara",
            "Aarya",
            "Navneet",
        ),
        (
            "Rajesh",
            "Sanjay",
            "Vikram",
            "Amit",
            "Harpreet",
            "Manjit",
            "Sunil",
            "Deepak",
            "Rakesh",
            "Jaspal",
            "Ravi",
            "Nikhil",
            "Sukhdev",
        ),
        (
            "Sunita",
            "Anjali",
            "Pooja",
            "Neha",
            "Kamaljit",
            "Parminder",
            "Rupinder",
            "Meena",
            "Sonia",
            "Deepa",
            "Shilpa",
            "Priti",
            "Hardeep",
        ),
        (
            "Patel",
            "Singh",
            "Kaur",
            "Sharma",
            "Gill",
            "Sandhu",
            "Shah",
            "Mistry",
            "Kumar",
            "Sidhu",
            "Bains",
            "Dhillon",
            "Chauhan",
            "Joshi",
            "Parmar",
            "Mehta",
            "Grewal",
        ),
        0.4,
    ),
    _Heritage(
        0.05,
        (
            "David",
            "Daniel",
            "Samuel",
            "Joshua",
            "Emmanuel",
            "Tobi",
            "Chidi",
            "Kwame",
            "Kofi",
            "Femi",
            "Ayo",
            "Ebuka",
            "Tomiwa",
            "Elijah",
            "Jeremiah",
        ),
        (
            "Precious",
            "Blessing",
            "Favour",
            "Grace",
            "Amara",
            "Adaeze",
            "Chioma",
            "Ama",
            "Esi",
            "Zara",
            "Nneka",
            "Tolu",
            "Ife",
            "Abena",
            "Deborah",
        ),
        (
            "Oluwaseun",
            "Chukwuemeka",
            "Adebayo",
            "Kwabena",
            "Yaw",
            "Emeka",
            "Babatunde",
            "Segun",
            "Kelechi",
            "Joseph",
            "Michael",
            "Samuel",
        ),
        (
            "Funmilayo",
            "Ngozi",
            "Adwoa",
            "Abimbola",
            "Chiamaka",
            "Folake",
            "Yetunde",
            "Comfort",
            "Esther",
            "Ruth",
            "Patience",
            "Mercy",
        ),
        (
            "Okafor",
            "Adeyemi",
            "Mensah",
            "Boateng",
            "Okonkwo",
            "Owusu",
            "Asante",
            "Nwosu",
            "Eze",
            "Ogunleye",
            "Osei",
            "Adeleke",
            "Afolabi",
            "Danso",
            "Obi",
            "Adebayo",
        ),
        0.05,
    ),
    _Heritage(
        0.025,
        (
            "Jayden",
            "Kai",
            "Tyrese",
            "Marcus",
            "Isaiah",
            "Malachi",
            "Josiah",
            "Reuben",
            "Kyrie",
            "Nathaniel",
            "Caleb",
            "Micah",
        ),
        (
            "Jada",
            "Kiara",
            "Imani",
            "Aaliyah",
            "Nia",
            "Tiana",
            "Maya",
            "Leah",
            "Naomi",
            "Talia",
            "Amani",
            "Serena",
        ),
        (
            "Dwayne",
            "Andre",
            "Leon",
            "Marlon",
            "Delroy",
            "Winston",
            "Clive",
            "Errol",
            "Jermaine",
            "Wayne",
            "Trevor",
        ),
        (
            "Marcia",
            "Janice",
            "Sharon",
            "Paulette",
            "Shanice",
            "Tanisha",
            "Keisha",
            "Nadine",
            "Donna",
            "Yvonne",
            "Sonia",
        ),
        (
            "Campbell",
            "Brown",
            "Williams",
            "Francis",
            "Thomas",
            "Gordon",
            "Grant",
            "Robinson",
            "Clarke",
            "Henry",
            "Samuels",
            "Reid",
            "Bailey",
            "Richards",
            "Lawrence",
        ),
        0.02,
    ),
    _Heritage(
        0.07,
        (
            "Jakub",
            "Kacper",
            "Filip",
            "Szymon",
            "Antoni",
            "Mateusz",
            "Andrei",
            "Luca",
            "Matei",
            "Tomas",
            "Lukas",
            "Dominik",
            "Nikola",
            "Adrian",
            "Łukasz",
        ),
        (
            "Zuzanna",
            "Julia",
            "Maja",
            "Lena",
            "Hanna",
            "Zofia",
            "Ioana",
            "Maria",
            "Elena",
            "Natalia",
            "Emilia",
            "Alicja",
            "Gabriela",
            "Viktoria",
            "Oliwia",
        ),
        (
            "Piotr",
            "Tomasz",
            "Marcin",
            "Krzysztof",
            "Paweł",
            "Andrzej",
            "Mihai",
            "Ion",
            "Florin",
            "Marius",
            "Darius",
            "Aurimas",
        ),
        (
            "Agnieszka",
            "Katarzyna",
            "Magdalena",
            "Monika",
            "Joanna",
            "Ewa",
            "Andreea",
            "Alina",
            "Cristina",
            "Ramona",
            "Irina",
            "Ieva",
        ),
        (
            "Nowak",
            "Kowalski",
            "Wiśniewski",
            "Wójcik",
            "Kamiński",
            "Lewandowski",
            "Zieliński",
            "Popescu",
            "Ionescu",
            "Popa",
            "Stan",
            "Kazlauskas",
            "Petrauskas",
            "Horváth",
            "Novák",
        ),
        0.03,
    ),
    _Heritage(
        0.015,
        ("Ethan", "Ryan", "Jayden", "Hao", "Jun", "Minh", "Lucas", "Kevin", "Haoran", "Bao"),
        ("Chloe", "Grace", "Mei", "Yan", "Linh", "Emily", "Jasmine", "Ying", "Xinyi", "Anh"),
        ("Wei", "Jian", "Hong", "Ming", "Tuan", "Kevin", "Jason", "Hung"),
        ("Li", "Xiu", "Mei", "Hoa", "Lan", "Jenny", "Fiona", "Thu"),
        (
            "Chen",
            "Wong",
            "Li",
            "Zhang",
            "Wang",
            "Liu",
            "Nguyen",
            "Tran",
            "Lam",
            "Cheung",
            "Ho",
            "Yang",
        ),
        0.02,
    ),
    _Heritage(
        0.03,
        (
            "Omar",
            "Yusuf",
            "Ahmed",
            "Mustafa",
            "Emir",
            "Ali",
            "Abdirahman",
            "Khalid",
            "Kerem",
            "Yasin",
            "Deniz",
            "Karim",
        ),
        (
            "Hodan",
            "Ayan",
            "Layla",
            "Amina",
            "Elif",
            "Zehra",
            "Sara",
            "Ikram",
            "Hibo",
            "Nour",
            "Defne",
            "Yasmin",
        ),
        ("Abdullahi", "Mohamed", "Hassan", "Mehmet", "Ahmet", "Karim", "Said", "Omar", "Hakan"),
        ("Fadumo", "Asha", "Sahra", "Ayşe", "Fatma", "Rania", "Leila", "Hawa", "Emine"),
        (
            "Mohamed",
            "Hassan",
            "Abdi",
            "Farah",
            "Yılmaz",
            "Kaya",
            "Demir",
            "Osman",
            "Warsame",
            "Aydın",
            "Haddad",
            "Saleh",
            "Jama",
        ),
        0.55,
    ),
)

# Grandparents' generation, for the British heritage group whose names date most sharply.
_ELDER_MEN = (
    "John",
    "David",
    "Michael",
    "Peter",
    "Robert",
    "Brian",
    "Keith",
    "Alan",
    "Graham",
    "Colin",
    "Barry",
    "Terry",
    "Malcolm",
    "Derek",
)
_ELDER_WOMEN = (
    "Susan",
    "Margaret",
    "Linda",
    "Patricia",
    "Christine",
    "Carol",
    "Janet",
    "Elaine",
    "Julie",
    "Karen",
    "Jacqueline",
    "Pauline",
    "Maureen",
    "Angela",
)
_EMAIL_DOMAINS = ("example.com", "example.org", "example.net")
_ASCII_FOLD = str.maketrans({"ł": "l", "Ł": "L", "ı": "i", "ø": "o", "ß": "ss"})


def _ascii(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.translate(_ASCII_FOLD))
    return "".join(c for c in decomposed if c.isascii() and c.isalnum()).lower()


# ---------------------------------------------------------------------------------------------
# Attendance profiles: a pupil's band decides their target, which the generator realises exactly.


class _Profile(NamedTuple):
    share: float
    # Weights of the absence episodes that spend the pupil's budget:
    # illness, appointment, unauthorised, exceptional leave, very late (U).
    episodes: tuple[float, float, float, float, float]
    holiday: float  # chance the family takes term-time holiday (G) in a year
    long_illness: float
    free_school_meals: float
    social_worker: float
    send_support: float
    ehcp: float
    lateness: tuple[float, float, float]  # never, occasionally, habitually late


_PROFILES: dict[str, _Profile] = {
    "good": _Profile(
        0.65, (60, 28, 5, 3, 4), 0.06, 0.0, 0.17, 0.012, 0.11, 0.02, (0.6, 0.32, 0.08)
    ),
    "at_risk": _Profile(
        0.20, (58, 15, 17, 3, 7), 0.25, 0.05, 0.28, 0.03, 0.15, 0.03, (0.45, 0.38, 0.17)
    ),
    "persistent": _Profile(
        0.135, (48, 8, 37, 2, 5), 0.35, 0.12, 0.38, 0.07, 0.2, 0.06, (0.35, 0.4, 0.25)
    ),
    "severe": _Profile(
        0.015, (30, 3, 66, 0, 1), 0.1, 0.2, 0.5, 0.25, 0.25, 0.12, (0.4, 0.35, 0.25)
    ),
}
_BANDS = tuple(_PROFILES)
_BAND_SHARES = tuple(p.share for p in _PROFILES.values())


def _target(rng: Random, band: str) -> float:
    """The attendance rate a pupil in a band ends the year on."""
    if band == "good":
        return 1.0 if rng.random() < 0.12 else rng.triangular(0.952, 0.997, 0.97)
    if band == "at_risk":
        return rng.uniform(0.905, 0.945)
    if band == "persistent":
        return rng.triangular(0.55, 0.895, 0.87)
    return rng.uniform(0.15, 0.48)


def _absent_sessions(band: str, target: float, possible: int) -> int:
    # Rounding keeps the realised rate on the band's side of 95% and 90%.
    exact = (1 - target) * possible
    if band == "good":
        return math.floor(exact)
    if band == "at_risk":
        return round(exact)
    return math.ceil(exact)


# ---------------------------------------------------------------------------------------------
# People.


@dataclass
class _Contact:
    priority: int
    name: str
    relationship: str
    parental_responsibility: bool
    email: str
    mobile: str = ""


@dataclass
class _Family:
    heritage: _Heritage
    family_name: str
    band: str
    free_school_meals: bool
    care_flags: tuple[str, ...]
    joined: date | None
    left: date | None
    contacts: list[_Contact] = field(default_factory=list)


@dataclass
class _Pupil:
    ordinal: int
    upn: str
    given_name: str
    family: _Family
    born: date
    cohort: int  # year group in the first academic year covered
    year_group: int
    admitted: date
    leaving: date | None
    band: str
    flags: list[str]
    register: _Register | None = None


class _Register:
    """One pupil's marks under construction: a code per session slot over their days on roll."""

    def __init__(self, frame: _Frame, first_day: int, end_day: int) -> None:
        self.frame = frame
        self.first_day = first_day
        self.end_day = end_day
        self.offset = frame.slot_start[first_day]
        self.codes = frame.default_codes[self.offset : frame.slot_start[end_day]]
        self.minutes = [""] * len(self.codes)

    def slots(self, day: int) -> range:
        starts = self.frame.slot_start
        return range(starts[day] - self.offset, starts[day + 1] - self.offset)

    def session(self, slot: int) -> str:
        return self.frame.slot_session[slot + self.offset]

    def mark_day(self, day: int, code: str, budget: int, only: str | None = None) -> int:
        """Mark a day's unmarked sessions (or just one session) with a code; count those marked."""
        used = 0
        if not self.first_day <= day < self.end_day:
            return 0
        for slot in self.slots(day):
            unmarked = used < budget and self.codes[slot] in _UNMARKED
            if unmarked and (only is None or self.session(slot) == only):
                self.codes[slot] = code
                used += 1
        return used

    def possible(self) -> int:
        return len(self.codes) - self.codes.count("X")

    def rows(self, upn: str) -> Iterator[tuple[str, str, str, str, str]]:
        end = self.offset + len(self.codes)
        return zip(
            repeat(upn, len(self.codes)),
            self.frame.slot_iso[self.offset : end],
            self.frame.slot_session[self.offset : end],
            self.codes,
            self.minutes,
            strict=True,
        )


# ---------------------------------------------------------------------------------------------


class _Generator:
    """Builds families, then each pupil's register, from one seeded random stream."""

    def __init__(self, rng: Random, frame: _Frame, year_groups: list[int]) -> None:
        self.rng = rng
        self.frame = frame
        self.year_groups = year_groups
        span = len(frame.years)
        # A cohort is a year group in the first year; later years bring in younger cohorts.
        self.cohorts = sorted({y - i for y in year_groups for i in range(span)})
        self.upns: set[str] = set()
        self.emails: set[str] = set()
        self.trips = self._school_trips()
        self.festivals = [self._random_day(first, end) for first, end in frame.year_days]
        self.phased_start = rng.randint(5, 8)

    def run(self, count: int) -> DemoSchool:
        old_unresolved = set(self.rng.sample(range(count), min(count, max(3, count // 200))))
        pupils: list[_Pupil] = []
        families: list[_Family] = []
        while len(pupils) < count:
            family = self._family()
            families.append(family)
            children = self._children(family, len(pupils), count - len(pupils))
            self._mark_family(family, children, old_unresolved)
            pupils.extend(children)
        self._assign_mobiles(families)
        return self._school(pupils)

    # -- families -------------------------------------------------------------------------------

    def _family(self) -> _Family:
        rng = self.rng
        heritage = rng.choices(_HERITAGES, [h.weight for h in _HERITAGES])[0]
        band = rng.choices(_BANDS, _BAND_SHARES)[0]
        profile = _PROFILES[band]
        joined, left = self._moves()
        family = _Family(
            heritage=heritage,
            family_name=rng.choice(heritage.surnames),
            band=band,
            free_school_meals=rng.random() < profile.free_school_meals,
            care_flags=self._care_flags(profile),
            joined=joined,
            left=left,
        )
        family.contacts = self._contacts(family)
        return family

    def _care_flags(self, profile: _Profile) -> tuple[str, ...]:
        # A plan or care order always comes with an allocated social worker.
        rng = self.rng
        if rng.random() >= profile.social_worker:
            return ()
        kind = rng.choices(
            ("child_in_need_plan", "child_protection_plan", "looked_after", ""),
            (0.4, 0.25, 0.12, 0.23),
        )[0]
        return ("social_worker", kind) if kind else ("social_worker",)

    def _moves(self) -> tuple[date | None, date | None]:
        """A few families arrive or move away during the first year."""
        first, end = self.frame.year_days[0]
        if end - first < 40:
            return None, None
        draw = self.rng.random()
        if draw < 0.03:
            return self.frame.dates[self.rng.randrange(first + 10, end - 10)], None
        if draw < 0.05:
            return None, self.frame.dates[self.rng.randrange(first + 10, end - 10)]
        return None, None

    def _contacts(self, family: _Family) -> list[_Contact]:
        rng = self.rng
        count = rng.choices((1, 2, 3), (15, 60, 25))[0]
        mother_first = rng.random() < 0.72
        people = [self._parent(family, mother_first, 1)]
        if count >= 2:
            if "looked_after" in family.care_flags:
                people.append(self._relative(family, "Foster carer", 2, elder=False))
            elif rng.random() < 0.62:
                people.append(self._parent(family, not mother_first, 2))
            else:
                people.append(self._other_adult(family, 2))
        if count == 3:
            people.append(self._other_adult(family, 3))
        return people

    def _parent(self, family: _Family, mother: bool, priority: int) -> _Contact:
        names = family.heritage.women if mother else family.heritage.men
        surname = family.family_name
        if self.rng.random() < 0.22:
            surname = self.rng.choice(family.heritage.surnames)
        return self._person(
            self.rng.choice(names), surname, "Mother" if mother else "Father", True, priority
        )

    def _other_adult(self, family: _Family, priority: int) -> _Contact:
        relationship = self.rng.choices(
            (
                "Grandmother",
                "Grandfather",
                "Aunt",
                "Uncle",
                "Stepfather",
                "Stepmother",
                "Family friend",
            ),
            (35, 15, 20, 10, 8, 4, 8),
        )[0]
        return self._relative(family, relationship, priority, elder=relationship.startswith("G"))

    def _relative(
        self, family: _Family, relationship: str, priority: int, *, elder: bool
    ) -> _Contact:
        rng = self.rng
        female = relationship in ("Grandmother", "Aunt", "Stepmother") or (
            relationship in ("Foster carer", "Family friend") and rng.random() < 0.7
        )
        heritage = family.heritage if relationship != "Foster carer" else _HERITAGES[0]
        if elder and heritage is _HERITAGES[0]:
            given = rng.choice(_ELDER_WOMEN if female else _ELDER_MEN)
        else:
            given = rng.choice(heritage.women if female else heritage.men)
        related = relationship not in ("Foster carer", "Family friend")
        surname = (
            family.family_name if related and rng.random() < 0.5 else rng.choice(heritage.surnames)
        )
        return self._person(given, surname, relationship, False, priority)

    def _person(
        self, given: str, surname: str, relationship: str, responsible: bool, priority: int
    ) -> _Contact:
        # Everyone first on the list gives an email; some relatives only a phone number.
        email = self._email(given, surname) if priority == 1 or self.rng.random() < 0.7 else ""
        return _Contact(priority, f"{given} {surname}", relationship, responsible, email)

    def _email(self, given: str, surname: str) -> str:
        rng = self.rng
        first, last = _ascii(given), _ascii(surname)
        local = rng.choices(
            (f"{first}.{last}", f"{first}{last}{rng.randint(1, 99)}", f"{first[0]}{last}"),
            (60, 20, 20),
        )[0]
        domain = rng.choice(_EMAIL_DOMAINS)
        address = f"{local}@{domain}"
        while address in self.emails:
            address = f"{local}{rng.randint(100, 999)}@{domain}"
        self.emails.add(address)
        return address

    def _assign_mobiles(self, families: list[_Family]) -> None:
        """First contacts get Ofcom's drama numbers (07700 900000-900999); others 07700 9xxxxx."""
        people = [c for f in families for c in f.contacts]
        ordered = [c for c in people if c.priority == 1] + [c for c in people if c.priority > 1]
        if len(ordered) > 100_000:
            raise ValueError("too many contacts for the fictional 07700 9xxxxx numbers")
        drama = self.rng.sample(range(1000), min(1000, len(ordered)))
        rest = self.rng.sample(range(1000, 100_000), len(ordered) - len(drama))
        for contact, number in zip(ordered, drama + rest, strict=True):
            contact.mobile = f"+447700{900000 + number}"

    # -- children -------------------------------------------------------------------------------

    def _children(self, family: _Family, first_ordinal: int, room: int) -> list[_Pupil]:
        rng = self.rng
        # 13% of families have two or three children here: about a quarter of all pupils.
        size = 1 if rng.random() >= 0.132 else rng.choices((2, 3), (80, 20))[0]
        size = min(size, room)
        cohorts = rng.sample(self.cohorts, min(size, len(self.cohorts)))
        if size > 1 and rng.random() < 0.05:
            cohorts[1] = cohorts[0]  # twins
        while len(cohorts) < size:
            cohorts.append(cohorts[0])
        children: list[_Pupil] = []
        by_cohort: dict[int, _Pupil] = {}
        for i, cohort in enumerate(cohorts):
            children.append(self._child(family, first_ordinal + i, cohort, by_cohort.get(cohort)))
            by_cohort.setdefault(cohort, children[-1])
        return children

    def _child(self, family: _Family, ordinal: int, cohort: int, twin: _Pupil | None) -> _Pupil:
        rng = self.rng
        born = twin.born if twin else self._birthday(cohort)
        taken = twin.given_name if twin else ""
        given = taken
        while given == taken:
            girl = rng.random() < 0.5
            given = rng.choice(family.heritage.girls if girl else family.heritage.boys)
        band = family.band if rng.random() < 0.65 else rng.choices(_BANDS, _BAND_SHARES)[0]
        admitted, leaving, last_year = self._time_on_roll(family, cohort, born)
        year_group = cohort + last_year
        pupil = _Pupil(
            ordinal=ordinal,
            upn=self._upn(cohort, admitted),
            given_name=given,
            family=family,
            born=born,
            cohort=cohort,
            year_group=year_group,
            admitted=admitted,
            leaving=leaving,
            band=band,
            flags=self._flags(family, band, year_group),
        )
        return pupil

    def _birthday(self, cohort: int) -> date:
        """Born in the academic year that puts the child in `cohort` in the first year."""
        start = date(self.frame.years[0] - cohort - 5, 9, 1)
        length = (date(start.year + 1, 9, 1) - start).days
        return start + timedelta(days=self.rng.randrange(length))

    def _time_on_roll(
        self, family: _Family, cohort: int, born: date
    ) -> tuple[date, date | None, int]:
        """Admission date, leaving date and the last covered year (index) on roll."""
        frame = self.frame
        years = [i for i in range(len(frame.years)) if cohort + i in self.year_groups]
        first_year, last_year = years[0], years[-1]
        if first_year > 0:
            admitted = frame.dates[frame.year_days[first_year][0]]
        else:
            admitted = self._earlier_admission(cohort)
        leaving = None
        if last_year < len(frame.years) - 1:
            leaving = frame.dates[frame.year_days[last_year][1] - 1]
        if cohort + last_year == 11 == self.year_groups[-1] and csa_end(born) <= frame.dates[-1]:
            # Year 11 come off roll on the school-leaving date when there is no sixth form.
            leaving = frame.dates[frame.end_day_after(csa_end(born)) - 1]
        # A family's move changes only children it finds on roll here.
        joined, left = family.joined, family.left
        if joined and admitted < joined and (leaving is None or joined < leaving):
            admitted = joined
        if left and admitted < left and (leaving is None or left < leaving):
            leaving = left
        if leaving is not None:
            last_year = frame.year_of_day[frame.end_day_after(leaving) - 1]
        return admitted, leaving, last_year

    def _earlier_admission(self, cohort: int) -> date:
        """When a pupil already on roll joined: the intake September or an in-year transfer."""
        rng = self.rng
        first_year = self.frame.years[0]
        entry = first_year - (cohort - self.year_groups[0])
        if entry >= first_year:
            return self.frame.dates[0]
        year = entry if rng.random() < 0.85 else rng.randint(entry, first_year - 1)
        day = date(year, 9, 4)
        if year != entry:
            day += timedelta(days=rng.randrange(4, 300))
        return day + timedelta(days=7 - day.weekday() if day.weekday() >= 5 else 0)

    def _upn(self, cohort: int, admitted: date) -> str:
        rng = self.rng
        # Allocated on first entering a school, by that school: ours if we take Reception.
        year = min(self.frame.years[0] - cohort, admitted.year)
        ours = self.year_groups[0] <= 0 and rng.random() < 0.8
        while True:
            school = SCHOOL_ESTABLISHMENT if ours else rng.randint(2000, 3999)
            upn = make_upn(DEMO_LA, school, year, rng.randrange(1000))
            if upn not in self.upns:
                self.upns.add(upn)
                return upn
            ours = False

    def _flags(self, family: _Family, band: str, year_group: int) -> list[str]:
        rng = self.rng
        profile = _PROFILES[band]
        flags = set(family.care_flags)
        if family.free_school_meals:
            flags.add("fsm")
        need = rng.random()
        if need < profile.ehcp:
            flags.add("ehcp")
        elif need < profile.ehcp + profile.send_support:
            flags.add("send_support")
        if rng.random() < (0.02 if band == "good" else 0.05):
            flags.add("young_carer")
        if rng.random() < (0.03 if band == "good" else 0.08):
            flags.add("medical_need")
        if year_group >= 7 and rng.random() < (0.002 if band in ("good", "at_risk") else 0.03):
            flags.add("yot")
        return [f for f in PUPIL_FLAGS if f in flags]

    # -- registers ------------------------------------------------------------------------------

    def _mark_family(
        self, family: _Family, children: list[_Pupil], old_unresolved: set[int]
    ) -> None:
        """Mark the whole family's registers: shared holidays first, then each child's own."""
        budgets: dict[int, int] = {}
        for pupil in children:
            register = self._open_register(pupil)
            if register is not None:
                self._not_required(pupil, register)
                target = _target(self.rng, pupil.band)
                budgets[pupil.ordinal] = _absent_sessions(pupil.band, target, register.possible())
        marked = [p for p in children if p.register is not None]
        self._family_absences(family, marked, budgets)
        for pupil in marked:
            self._pupil_absences(pupil, budgets[pupil.ordinal])
            self._activities(pupil)
            self._lateness(pupil)
            self._unresolved(pupil, pupil.ordinal in old_unresolved)

    def _open_register(self, pupil: _Pupil) -> _Register | None:
        frame = self.frame
        first = frame.first_day_on_or_after(pupil.admitted)
        end = frame.end_day_after(pupil.leaving) if pupil.leaving else len(frame.dates)
        if end <= first:
            return None
        pupil.register = _Register(frame, first, end)
        return pupil.register

    def _not_required(self, pupil: _Pupil, register: _Register) -> None:
        """X for sessions a non-compulsory-school-age pupil is not expected at."""
        frame = self.frame
        part_time = self.rng.random() < 0.15
        for day in range(register.first_day, register.end_day):
            year_group = pupil.cohort + frame.year_of_day[day]
            if year_group > 0 and year_group not in (11, 12, 13, 14):
                continue
            on = frame.dates[day]
            if is_compulsory_school_age(pupil.born, on):
                continue
            if year_group < 0 or (year_group == 11 and on > csa_end(pupil.born)):
                # Nursery is part-time; Year 11 staying for the sixth form have finished.
                session = "PM" if year_group < 0 else None
                register.mark_day(day, "X", 2, session)
            elif year_group == 0 and (
                day - frame.year_days[frame.year_of_day[day]][0] < self.phased_start
                or (part_time and on.weekday() == 4)
            ):
                # Reception starts mornings-only; some summer-born children skip Friday PMs.
                register.mark_day(day, "X", 2, "PM")

    def _family_absences(
        self, family: _Family, children: list[_Pupil], budgets: dict[int, int]
    ) -> None:
        """Term-time holidays (G) and days of religious observance (R) the siblings share."""
        if not children:
            return
        rng = self.rng
        profile = _PROFILES[family.band]
        observes = rng.random() < family.heritage.observes_festival
        for year, festival in enumerate(self.festivals):
            if rng.random() < profile.holiday:
                room = min(budgets[p.ordinal] for p in children) // 2
                wanted = rng.randint(2, 5) if family.band == "good" else rng.randint(3, 8)
                length = min(room, wanted)
                if length > 0:
                    for day in self._holiday_days(year, length):
                        self._family_day(children, budgets, day, "G")
            if observes and all(budgets[p.ordinal] >= 2 for p in children):
                self._family_day(children, budgets, festival, "R")

    def _family_day(
        self, children: list[_Pupil], budgets: dict[int, int], day: int, code: str
    ) -> None:
        for pupil in children:
            assert pupil.register is not None
            budgets[pupil.ordinal] -= pupil.register.mark_day(day, code, budgets[pupil.ordinal])

    def _holiday_days(self, year: int, length: int) -> range:
        """A run of school days, usually stretching a half-term holiday."""
        rng = self.rng
        terms = [(first, end) for y, first, end in self.frame.half_terms if y == year]
        first, end = rng.choice(terms)
        if end - first <= length:
            return range(first, end)
        where = rng.random()
        if where < 0.45:
            return range(end - length, end)
        if where < 0.75 and first > self.frame.year_days[year][0]:
            return range(first, first + length)
        start = rng.randrange(first, end - length)
        return range(start, start + length)

    def _pupil_absences(self, pupil: _Pupil, budget: int) -> None:
        """Spend the pupil's remaining absence budget on illness, appointments and the like."""
        rng = self.rng
        register = pupil.register
        assert register is not None
        profile = _PROFILES[pupil.band]
        weights = list(profile.episodes)
        if "medical_need" in pupil.flags:
            weights[0], weights[1] = weights[0] * 1.5, weights[1] * 3
        if budget >= 12 and rng.random() < profile.long_illness:
            budget -= self._illness(register, budget, rng.randint(6, 15))
        episodes = (self._illness, self._appointment, self._truancy, self._leave, self._very_late)
        severe = pupil.band == "severe"
        for _ in range(4 * budget + 20):
            if budget <= 0:
                return
            episode = rng.choices(episodes, weights)[0]
            budget -= episode(register, budget, 0 if not severe else rng.randint(3, 15))
        self._fill_remaining(register, budget)

    def _random_day(self, first: int, end: int) -> int:
        return self.rng.randrange(first, end)

    def _illness(self, register: _Register, budget: int, days: int = 0) -> int:
        rng = self.rng
        days = days or rng.choices((1, 2, 3, 4, 5), (40, 25, 15, 10, 10))[0]
        start = self._random_day(register.first_day, register.end_day)
        # A quarter of illnesses start with being sent home at lunchtime.
        used = register.mark_day(start, "I", budget, "PM" if rng.random() < 0.25 else None)
        for day in range(start + 1, start + days):
            used += register.mark_day(day, "I", budget - used)
        return used

    def _appointment(self, register: _Register, budget: int, _days: int = 0) -> int:
        day = self._random_day(register.first_day, register.end_day)
        return register.mark_day(day, "M", min(budget, 1), self.rng.choice(("AM", "PM")))

    def _truancy(self, register: _Register, budget: int, days: int = 0) -> int:
        rng = self.rng
        day = self._random_day(register.first_day, register.end_day)
        if days == 0:
            # Unexplained absence clusters on Mondays and Fridays; some is a missed afternoon.
            for _ in range(2):
                if self.frame.dates[day].weekday() not in (0, 4):
                    day = self._random_day(register.first_day, register.end_day)
            if rng.random() < 0.3:
                return register.mark_day(day, "O", min(budget, 1), "PM")
            days = rng.choices((1, 2, 3), (70, 20, 10))[0]
        used = 0
        for d in range(day, day + days):
            used += register.mark_day(d, "O", budget - used)
        return used

    def _leave(self, register: _Register, budget: int, _days: int = 0) -> int:
        day = self._random_day(register.first_day, register.end_day)
        used = 0
        for d in range(day, day + self.rng.randint(1, 2)):
            used += register.mark_day(d, "C", budget - used)
        return used

    def _very_late(self, register: _Register, budget: int, _days: int = 0) -> int:
        day = self._random_day(register.first_day, register.end_day)
        used = register.mark_day(day, "U", min(budget, 1), "AM")
        if used:
            slot = register.slots(day)[0]
            register.minutes[slot] = str(int(self.rng.triangular(31, 90, 40)))
        return used

    def _fill_remaining(self, register: _Register, budget: int) -> None:
        """Rarely needed: when random episodes keep landing on marked days, mark in order."""
        day = self._random_day(register.first_day, register.end_day)
        span = register.end_day - register.first_day
        for step in range(span):
            if budget <= 0:
                return
            d = register.first_day + (day - register.first_day + step) % span
            budget -= register.mark_day(d, "O", budget)

    def _activities(self, pupil: _Pupil) -> None:
        """Approved educational activities, which count as attending: V, W, P, B and K."""
        rng = self.rng
        register = pupil.register
        assert register is not None
        for year in range(len(self.frame.years)):
            for day, code in self.trips.get((year, pupil.cohort + year), ()):
                if rng.random() < (0.9 if code == "V" else 0.95):
                    register.mark_day(day, code, 2)
        if rng.random() < 0.06:
            for _ in range(rng.randint(2, 6)):
                day = self._random_day(register.first_day, register.end_day)
                register.mark_day(day, "P", 1, "PM")
        if rng.random() < 0.04:
            day = self._random_day(register.first_day, register.end_day)
            register.mark_day(day, "B", 1, rng.choice(("AM", "PM")))
        if pupil.band in ("persistent", "severe") and rng.random() < 0.1:
            self._alternative_provision(register)

    def _alternative_provision(self, register: _Register) -> None:
        """One day a week at LA-arranged provision (K) for a half-term."""
        weekday = self.rng.randrange(5)
        first, end = self.rng.choice([(f, e) for _, f, e in self.frame.half_terms])
        for day in range(max(first, register.first_day), min(end, register.end_day)):
            if self.frame.dates[day].weekday() == weekday:
                register.mark_day(day, "K", 2)

    def _school_trips(self) -> dict[tuple[int, int], list[tuple[int, str]]]:
        """A few trip days per year group, a residential for Year 6, work experience for 10/12."""
        rng = self.rng
        trips: dict[tuple[int, int], list[tuple[int, str]]] = {}
        for year, (first, end) in enumerate(self.frame.year_days):
            if end - first < 30:
                continue
            for year_group in self.year_groups:
                days = [(rng.randrange(first + 5, end - 5), "V") for _ in range(rng.randint(1, 3))]
                if year_group == 6:
                    start = rng.randrange(first + (end - first) * 2 // 3, end - 5)
                    days += [(d, "V") for d in range(start, start + 3)]
                if year_group in (10, 12):
                    start = rng.randrange(first + (end - first) * 2 // 3, end - 5)
                    days += [(d, "W") for d in range(start, start + 5)]
                trips[year, year_group] = days
        return trips

    def _lateness(self, pupil: _Pupil) -> None:
        """Late before the register closed (L, 1-29 minutes): some pupils make a habit of it."""
        rng = self.rng
        register = pupil.register
        assert register is not None
        habit = rng.choices((0, 1, 2), _PROFILES[pupil.band].lateness)[0]
        if "young_carer" in pupil.flags:
            habit = max(habit, 1 + (rng.random() < 0.5))
        rate = (0.003, rng.uniform(0.01, 0.03), rng.uniform(0.05, 0.14))[habit]
        codes, minutes = register.codes, register.minutes
        for slot, code in enumerate(codes):
            if code == "/" and rng.random() < rate:
                codes[slot] = "L"
                minutes[slot] = str(int(rng.triangular(1, 29.999, 6)))

    def _unresolved(self, pupil: _Pupil, old: bool) -> None:
        """N where the reason is not known yet: recent absences, and a few left overdue."""
        rng = self.rng
        register = pupil.register
        assert register is not None
        last = len(self.frame.dates) - 1
        for day in range(max(register.first_day, last - 9), register.end_day):
            age = last - day
            chance = 0.45 if age < 2 else 0.1 if age < 5 else 0.02
            self._unexplained(register, day, chance)
        if old:
            days = [
                d
                for d in range(register.first_day, min(register.end_day, last - 10))
                if any(register.codes[s] in _EXPLAINABLE for s in register.slots(d))
            ]
            if days:
                self._unexplained(register, rng.choice(days), 1.0)

    def _unexplained(self, register: _Register, day: int, chance: float) -> None:
        slots = [s for s in register.slots(day) if register.codes[s] in _EXPLAINABLE]
        if slots and self.rng.random() < chance:
            for slot in slots:
                register.codes[slot] = "N"

    # -- output ---------------------------------------------------------------------------------

    def _school(self, pupils: list[_Pupil]) -> DemoSchool:
        pupils.sort(key=lambda p: (p.year_group, _ascii(p.family.family_name), p.given_name, p.upn))
        pupil_rows: list[tuple[str, ...]] = []
        contact_rows: list[tuple[str, ...]] = []
        mark_rows: list[tuple[str, ...]] = []
        for p in pupils:
            pupil_rows.append(
                (
                    p.upn,
                    p.given_name,
                    p.family.family_name,
                    p.born.isoformat(),
                    str(p.year_group),
                    p.admitted.isoformat(),
                    p.leaving.isoformat() if p.leaving else "",
                    ";".join(p.flags),
                )
            )
            for c in p.family.contacts:
                contact_rows.append(
                    (
                        p.upn,
                        str(c.priority),
                        c.name,
                        c.relationship,
                        "true" if c.parental_responsibility else "false",
                        c.mobile,
                        c.email,
                    )
                )
            if p.register is not None:
                mark_rows.extend(p.register.rows(p.upn))
        return DemoSchool(pupil_rows, contact_rows, mark_rows)

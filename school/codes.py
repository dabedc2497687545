"""The DfE attendance and absence codes (2024) as data: how each counts in the statistics."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Category(StrEnum):
    """The register category a code belongs to (reg 10 tables, plus administrative codes)."""

    PRESENT = "present"
    AEA = "approved educational activity"
    DUAL_REGISTERED = "dual registered"
    LEAVE = "authorised leave of absence"
    NON_CSA_LEAVE = "non-compulsory-school-age leave"
    OTHER_AUTHORISED = "other authorised absence"
    UNABLE_TO_ATTEND = "unable to attend"
    UNAUTHORISED = "unauthorised absence"
    ADMINISTRATIVE = "administrative"


@dataclass(frozen=True, slots=True)
class AttendanceCode:
    """One register code and how it counts (spec §1 table)."""

    code: str
    meaning: str
    category: Category
    possible: bool
    attendance: bool
    authorised: bool
    unauthorised: bool
    national_threshold: bool

    @property
    def present(self) -> bool:
        """Present in school (/ \\ L), as opposed to attending an approved activity."""
        return self.category is Category.PRESENT

    @property
    def aea(self) -> bool:
        return self.category is Category.AEA


def _code(
    code: str,
    meaning: str,
    category: Category,
    *,
    possible: bool,
    attendance: bool = False,
    authorised: bool = False,
    unauthorised: bool = False,
) -> AttendanceCode:
    # Every unauthorised code counts towards the national threshold (spec §5: G, N, O, U).
    return AttendanceCode(
        code, meaning, category, possible, attendance, authorised, unauthorised, unauthorised
    )


_P, _A, _L, _U = Category.PRESENT, Category.AEA, Category.LEAVE, Category.UNAUTHORISED
_OA, _UA = Category.OTHER_AUTHORISED, Category.UNABLE_TO_ATTEND

CODES: dict[str, AttendanceCode] = {
    c.code: c
    for c in (
        _code("/", "Present, morning session", _P, possible=True, attendance=True),
        _code("\\", "Present, afternoon session", _P, possible=True, attendance=True),
        _code("L", "Late arrival before the register closed", _P, possible=True, attendance=True),
        _code(
            "K",
            "Attending education provision arranged by the local authority",
            _A,
            possible=True,
            attendance=True,
        ),
        _code(
            "V",
            "Educational visit or trip arranged by the school",
            _A,
            possible=True,
            attendance=True,
        ),
        _code("P", "Approved sporting activity", _A, possible=True, attendance=True),
        _code("W", "Work experience", _A, possible=True, attendance=True),
        _code("B", "Any other approved educational activity", _A, possible=True, attendance=True),
        _code(
            "D",
            "Dual registered: attending another school where also registered",
            Category.DUAL_REGISTERED,
            possible=False,
        ),
        _code(
            "C1",
            "Leave: regulated performance or regulated employment abroad",
            _L,
            possible=True,
            authorised=True,
        ),
        _code("M", "Leave: medical or dental appointment", _L, possible=True, authorised=True),
        _code(
            "J1",
            "Leave: interview for employment or admission to another institution",
            _L,
            possible=True,
            authorised=True,
        ),
        _code("S", "Leave: study for a public examination", _L, possible=True, authorised=True),
        _code(
            "X",
            "Non-compulsory-school-age pupil not required to attend",
            Category.NON_CSA_LEAVE,
            possible=False,
        ),
        _code(
            "C2",
            "Leave: compulsory-school-age pupil on a temporary part-time timetable",
            _L,
            possible=True,
            authorised=True,
        ),
        _code("C", "Leave for exceptional circumstances", _L, possible=True, authorised=True),
        _code(
            "T", "Parent travelling for occupational purposes", _OA, possible=True, authorised=True
        ),
        _code("R", "Religious observance", _OA, possible=True, authorised=True),
        _code(
            "I",
            "Illness (physical or mental), not an appointment",
            _OA,
            possible=True,
            authorised=True,
        ),
        _code(
            "E",
            "Suspended or permanently excluded, no alternative provision made",
            _OA,
            possible=True,
            authorised=True,
        ),
        _code(
            "Q",
            "Unable to attend: the local authority has not made access arrangements",
            _UA,
            possible=False,
        ),
        _code(
            "Y1", "Unable to attend: transport normally provided not available", _UA, possible=False
        ),
        _code("Y2", "Unable to attend: widespread disruption to travel", _UA, possible=False),
        _code("Y3", "Unable to attend: part of the premises closed", _UA, possible=False),
        _code("Y4", "Unable to attend: whole school site unexpectedly closed", _UA, possible=False),
        _code("Y5", "Unable to attend: criminal justice detention", _UA, possible=False),
        _code("Y6", "Unable to attend: public health guidance or law", _UA, possible=False),
        _code("Y7", "Unable to attend: any other unavoidable cause", _UA, possible=False),
        _code("G", "Holiday not granted by the school", _U, possible=True, unauthorised=True),
        _code("N", "Reason not yet established", _U, possible=True, unauthorised=True),
        _code(
            "O", "Absent in other or unknown circumstances", _U, possible=True, unauthorised=True
        ),
        _code("U", "Arrived after the register closed", _U, possible=True, unauthorised=True),
        _code(
            "Z",
            "Prospective pupil not on the admission register",
            Category.ADMINISTRATIVE,
            possible=False,
        ),
        _code("#", "Planned whole-school closure", Category.ADMINISTRATIVE, possible=False),
    )
}

# What replaced each legacy code, so a rejected register row tells staff what to use instead.
LEGACY_CODES: dict[str, str] = {
    "H": "H (agreed family holiday) was withdrawn on 19 Aug 2024: use C for leave in "
    "exceptional circumstances, or G if the holiday was not granted",
    "J": "J (interview) was withdrawn on 19 Aug 2024: use J1",
    "Y": "Y (unable to attend due to exceptional circumstances) was withdrawn on 19 Aug 2024: "
    "use Y1 to Y7 (or Q) for the specific cause",
    "F": "F (extended family holiday) was withdrawn in 2013: use G if the holiday was not "
    "granted, or C for leave in exceptional circumstances",
}

PRESENT_CODES = frozenset(c.code for c in CODES.values() if c.present)
AEA_CODES = frozenset(c.code for c in CODES.values() if c.aea)
ATTENDANCE_CODES = frozenset(c.code for c in CODES.values() if c.attendance)
AUTHORISED_CODES = frozenset(c.code for c in CODES.values() if c.authorised)
UNAUTHORISED_CODES = frozenset(c.code for c in CODES.values() if c.unauthorised)
POSSIBLE_CODES = frozenset(c.code for c in CODES.values() if c.possible)
NATIONAL_THRESHOLD_CODES = frozenset(c.code for c in CODES.values() if c.national_threshold)
# Reg 10 table 3: the codes that mean the pupil was absent (leave, other authorised, unauthorised).
ABSENCE_CODES = AUTHORISED_CODES | UNAUTHORISED_CODES


class UnknownCodeError(ValueError):
    """A register code that is not a 2024 DfE code."""


def lookup(code: str) -> AttendanceCode:
    """The code's definition; legacy and unknown codes raise with what to use instead."""
    found = CODES.get(code)
    if found is not None:
        return found
    if code in LEGACY_CODES:
        raise UnknownCodeError(f"legacy code {code!r}: {LEGACY_CODES[code]}")
    raise UnknownCodeError(f"unknown attendance code {code!r}")

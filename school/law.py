"""The law's fixed numbers (spec/rules.md §3–§5), each written once; everything else reads them.

A school's policy may be stricter where the law allows (a shorter N-code window, say), never
looser: `school.policy_law` holds policies to these.
"""

from __future__ import annotations

# Registration (spec §3).
REGISTER_OPEN_MAX_MINUTES = 30  # the register may stay open at most this long (reg 10)
N_CODE_SCHOOL_DAYS = 5  # an N must be replaced within 5 school days

# Returns and duties to the local authority (spec §4).
CONTINUOUS_ABSENCE_RETURN_SCHOOL_DAYS = 10  # 10 continuous school days of unauthorised absence
SICKNESS_RETURN_SCHOOL_DAYS = 15  # 15 school days of illness, consecutive or cumulative
DELETION_GROUND_SCHOOL_DAYS = 20  # reg 9 Ground I: at least 20 school days, every session G/N/O
NEW_PUPIL_RETURN_SCHOOL_DAYS = 5  # reg 13(1)-(3): the new-pupil return by the 5th day after entry

# The national threshold for considering a penalty notice (spec §5).
NATIONAL_THRESHOLD_SESSIONS = 10  # 10 sessions of unauthorised absence ...
NATIONAL_THRESHOLD_WEEKS = 10  # ... in a rolling period of 10 school weeks

# A Notice to Improve's improvement period (spec §5, NTI content (6)).
NTI_WEEKS = (3, 6)


def persistent_absence(absent: int, possible: int) -> bool:
    """Absence of 10% or more of possible sessions (spec §2), on exact counts, unrounded."""
    return possible > 0 and 10 * absent >= possible


def severe_absence(absent: int, possible: int) -> bool:
    """Absence of 50% or more of possible sessions (spec §2), on exact counts, unrounded."""
    return possible > 0 and 2 * absent >= possible

"""Attendance bands: the share of pupils in each, their absences, and the rate each ends on."""

from __future__ import annotations

import math
from random import Random
from typing import NamedTuple


class Profile(NamedTuple):
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


PROFILES: dict[str, Profile] = {
    "good": Profile(0.65, (60, 28, 5, 3, 4), 0.06, 0.0, 0.17, 0.012, 0.11, 0.02, (0.6, 0.32, 0.08)),
    "at_risk": Profile(
        0.20, (58, 15, 17, 3, 7), 0.25, 0.05, 0.28, 0.03, 0.15, 0.03, (0.45, 0.38, 0.17)
    ),
    "persistent": Profile(
        0.135, (48, 8, 37, 2, 5), 0.35, 0.12, 0.38, 0.07, 0.2, 0.06, (0.35, 0.4, 0.25)
    ),
    "severe": Profile(0.015, (30, 3, 66, 0, 1), 0.1, 0.2, 0.5, 0.25, 0.25, 0.12, (0.4, 0.35, 0.25)),
}
BANDS = tuple(PROFILES)
BAND_SHARES = tuple(p.share for p in PROFILES.values())


def target_rate(rng: Random, band: str) -> float:
    """The attendance rate a pupil in a band ends the year on."""
    if band == "good":
        return 1.0 if rng.random() < 0.12 else rng.triangular(0.952, 0.997, 0.97)
    if band == "at_risk":
        return rng.uniform(0.905, 0.945)
    if band == "persistent":
        return rng.triangular(0.55, 0.895, 0.87)
    return rng.uniform(0.15, 0.48)


def absent_sessions(band: str, target: float, possible: int) -> int:
    # Rounding keeps the realised rate on the band's side of 95% and 90%.
    exact = (1 - target) * possible
    if band == "good":
        return math.floor(exact)
    if band == "at_risk":
        return round(exact)
    return math.ceil(exact)

"""The demo school's pupils: each family's children, their birthdays, time on roll, UPNs, flags."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from random import Random

from demo.families import Family
from demo.profiles import BAND_SHARES, BANDS, PROFILES
from demo.register import Frame, Register
from school.pupil_flags import PUPIL_FLAGS
from school.school_age import csa_end
from school.upn import make_upn

# 999 is no English local authority's number, so a demo UPN cannot be a real pupil's.
DEMO_LA = 999
SCHOOL_ESTABLISHMENT = 4001


@dataclass
class Pupil:
    ordinal: int
    upn: str
    given_name: str
    family: Family
    born: date
    cohort: int  # year group in the first academic year covered
    year_group: int
    admitted: date
    leaving: date | None
    band: str
    flags: list[str]
    register: Register | None = None


class PupilGenerator:
    """Makes a family's children, drawing from the generator's one random stream."""

    def __init__(self, rng: Random, frame: Frame, year_groups: list[int]) -> None:
        self.rng = rng
        self.frame = frame
        self.year_groups = year_groups
        span = len(frame.years)
        # A cohort is a year group in the first year; later years bring in younger cohorts.
        self.cohorts = sorted({y - i for y in year_groups for i in range(span)})
        self.upns: set[str] = set()

    def children(self, family: Family, first_ordinal: int, room: int) -> list[Pupil]:
        rng = self.rng
        # 13% of families have two or three children here: about a quarter of all pupils.
        size = 1 if rng.random() >= 0.132 else rng.choices((2, 3), (80, 20))[0]
        size = min(size, room)
        cohorts = rng.sample(self.cohorts, min(size, len(self.cohorts)))
        if size > 1 and rng.random() < 0.05:
            cohorts[1] = cohorts[0]  # twins
        while len(cohorts) < size:
            cohorts.append(cohorts[0])
        children: list[Pupil] = []
        by_cohort: dict[int, Pupil] = {}
        for i, cohort in enumerate(cohorts):
            children.append(self._child(family, first_ordinal + i, cohort, by_cohort.get(cohort)))
            by_cohort.setdefault(cohort, children[-1])
        return children

    def _child(self, family: Family, ordinal: int, cohort: int, twin: Pupil | None) -> Pupil:
        rng = self.rng
        born = twin.born if twin else self._birthday(cohort)
        taken = twin.given_name if twin else ""
        given = taken
        while given == taken:
            girl = rng.random() < 0.5
            given = rng.choice(family.heritage.girls if girl else family.heritage.boys)
        band = family.band if rng.random() < 0.65 else rng.choices(BANDS, BAND_SHARES)[0]
        admitted, leaving, last_year = self._time_on_roll(family, cohort, born)
        year_group = cohort + last_year
        pupil = Pupil(
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
        self, family: Family, cohort: int, born: date
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

    def _flags(self, family: Family, band: str, year_group: int) -> list[str]:
        rng = self.rng
        profile = PROFILES[band]
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

"""Marking each family's registers: not-required sessions, absences, activities, lateness, N."""

from __future__ import annotations

from random import Random

from demo.families import Family
from demo.profiles import PROFILES, absent_sessions, target_rate
from demo.pupils import Pupil
from demo.register import Frame, Register
from school.school_age import csa_end, is_compulsory_school_age

_EXPLAINABLE = ("I", "O")  # absences an office could still be chasing a reason for


class RegisterMarker:
    """Marks every session of each pupil's time on roll, from the generator's one random stream."""

    def __init__(self, rng: Random, frame: Frame, year_groups: list[int]) -> None:
        self.rng = rng
        self.frame = frame
        self.year_groups = year_groups
        # Drawn in this order before any family: the same seed must give the same school.
        self.trips = self._school_trips()
        self.festivals = [self._random_day(first, end) for first, end in frame.year_days]
        self.phased_start = rng.randint(5, 8)

    def mark_family(self, family: Family, children: list[Pupil], old_unresolved: set[int]) -> None:
        """Mark the whole family's registers: shared holidays first, then each child's own."""
        budgets: dict[int, int] = {}
        for pupil in children:
            register = self._open_register(pupil)
            if register is not None:
                self._not_required(pupil, register)
                target = target_rate(self.rng, pupil.band)
                budgets[pupil.ordinal] = absent_sessions(pupil.band, target, register.possible())
        marked = [p for p in children if p.register is not None]
        self._family_absences(family, marked, budgets)
        for pupil in marked:
            self._pupil_absences(pupil, budgets[pupil.ordinal])
            self._activities(pupil)
            self._lateness(pupil)
            self._unresolved(pupil, pupil.ordinal in old_unresolved)

    def _open_register(self, pupil: Pupil) -> Register | None:
        frame = self.frame
        first = frame.first_day_on_or_after(pupil.admitted)
        end = frame.end_day_after(pupil.leaving) if pupil.leaving else len(frame.dates)
        if end <= first:
            return None
        pupil.register = Register(frame, first, end)
        return pupil.register

    def _not_required(self, pupil: Pupil, register: Register) -> None:
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
        self, family: Family, children: list[Pupil], budgets: dict[int, int]
    ) -> None:
        """Term-time holidays (G) and days of religious observance (R) the siblings share."""
        if not children:
            return
        rng = self.rng
        profile = PROFILES[family.band]
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
        self, children: list[Pupil], budgets: dict[int, int], day: int, code: str
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

    def _pupil_absences(self, pupil: Pupil, budget: int) -> None:
        """Spend the pupil's remaining absence budget on illness, appointments and the like."""
        rng = self.rng
        register = pupil.register
        assert register is not None
        profile = PROFILES[pupil.band]
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

    def _illness(self, register: Register, budget: int, days: int = 0) -> int:
        rng = self.rng
        days = days or rng.choices((1, 2, 3, 4, 5), (40, 25, 15, 10, 10))[0]
        start = self._random_day(register.first_day, register.end_day)
        # A quarter of illnesses start with being sent home at lunchtime.
        used = register.mark_day(start, "I", budget, "PM" if rng.random() < 0.25 else None)
        for day in range(start + 1, start + days):
            used += register.mark_day(day, "I", budget - used)
        return used

    def _appointment(self, register: Register, budget: int, _days: int = 0) -> int:
        day = self._random_day(register.first_day, register.end_day)
        return register.mark_day(day, "M", min(budget, 1), self.rng.choice(("AM", "PM")))

    def _truancy(self, register: Register, budget: int, days: int = 0) -> int:
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

    def _leave(self, register: Register, budget: int, _days: int = 0) -> int:
        day = self._random_day(register.first_day, register.end_day)
        used = 0
        for d in range(day, day + self.rng.randint(1, 2)):
            used += register.mark_day(d, "C", budget - used)
        return used

    def _very_late(self, register: Register, budget: int, _days: int = 0) -> int:
        day = self._random_day(register.first_day, register.end_day)
        used = register.mark_day(day, "U", min(budget, 1), "AM")
        if used:
            slot = register.slots(day)[0]
            register.minutes[slot] = str(int(self.rng.triangular(31, 90, 40)))
        return used

    def _fill_remaining(self, register: Register, budget: int) -> None:
        """Rarely needed: when random episodes keep landing on marked days, mark in order."""
        day = self._random_day(register.first_day, register.end_day)
        span = register.end_day - register.first_day
        for step in range(span):
            if budget <= 0:
                return
            d = register.first_day + (day - register.first_day + step) % span
            budget -= register.mark_day(d, "O", budget)

    def _activities(self, pupil: Pupil) -> None:
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

    def _alternative_provision(self, register: Register) -> None:
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

    def _lateness(self, pupil: Pupil) -> None:
        """Late before the register closed (L, 1-4 minutes, inside the shortest seed window, St John
        Bosco's 5): some pupils make a habit of it."""
        rng = self.rng
        register = pupil.register
        assert register is not None
        habit = rng.choices((0, 1, 2), PROFILES[pupil.band].lateness)[0]
        if "young_carer" in pupil.flags:
            habit = max(habit, 1 + (rng.random() < 0.5))
        rate = (0.003, rng.uniform(0.01, 0.03), rng.uniform(0.05, 0.14))[habit]
        codes, minutes = register.codes, register.minutes
        for slot, code in enumerate(codes):
            if code == "/" and rng.random() < rate:
                codes[slot] = "L"
                minutes[slot] = str(int(rng.triangular(1, 4.999, 2)))

    def _unresolved(self, pupil: Pupil, old: bool) -> None:
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

    def _unexplained(self, register: Register, day: int, chance: float) -> None:
        slots = [s for s in register.slots(day) if register.codes[s] in _EXPLAINABLE]
        if slots and self.rng.random() < chance:
            for slot in slots:
                register.codes[slot] = "N"

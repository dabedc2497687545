"""The demo school's families: heritage, band, care flags, moves and contacts."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from random import Random

from demo.names import Heritage, ascii_fold, name_tables
from demo.profiles import BAND_SHARES, BANDS, PROFILES, Profile
from demo.register import Frame

_EMAIL_DOMAINS = ("example.com", "example.org", "example.net")


@dataclass
class Contact:
    priority: int
    name: str
    relationship: str
    parental_responsibility: bool
    email: str
    mobile: str = ""


@dataclass
class Family:
    heritage: Heritage
    family_name: str
    band: str
    free_school_meals: bool
    care_flags: tuple[str, ...]
    joined: date | None
    left: date | None
    contacts: list[Contact] = field(default_factory=list)


class FamilyGenerator:
    """Makes each family and its contacts, drawing from the generator's one random stream."""

    def __init__(self, rng: Random, frame: Frame) -> None:
        self.rng = rng
        self.frame = frame
        self.names = name_tables()
        self.emails: set[str] = set()

    def family(self) -> Family:
        rng = self.rng
        heritages = self.names.heritages
        heritage = rng.choices(heritages, [h.weight for h in heritages])[0]
        band = rng.choices(BANDS, BAND_SHARES)[0]
        profile = PROFILES[band]
        joined, left = self._moves()
        family = Family(
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

    def _care_flags(self, profile: Profile) -> tuple[str, ...]:
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

    def _contacts(self, family: Family) -> list[Contact]:
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

    def _parent(self, family: Family, mother: bool, priority: int) -> Contact:
        names = family.heritage.women if mother else family.heritage.men
        surname = family.family_name
        if self.rng.random() < 0.22:
            surname = self.rng.choice(family.heritage.surnames)
        return self._person(
            self.rng.choice(names), surname, "Mother" if mother else "Father", True, priority
        )

    def _other_adult(self, family: Family, priority: int) -> Contact:
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
        self, family: Family, relationship: str, priority: int, *, elder: bool
    ) -> Contact:
        rng = self.rng
        female = relationship in ("Grandmother", "Aunt", "Stepmother") or (
            relationship in ("Foster carer", "Family friend") and rng.random() < 0.7
        )
        british = self.names.heritages[0]
        heritage = family.heritage if relationship != "Foster carer" else british
        if elder and heritage is british:
            given = rng.choice(self.names.elder_women if female else self.names.elder_men)
        else:
            given = rng.choice(heritage.women if female else heritage.men)
        related = relationship not in ("Foster carer", "Family friend")
        surname = (
            family.family_name if related and rng.random() < 0.5 else rng.choice(heritage.surnames)
        )
        return self._person(given, surname, relationship, False, priority)

    def _person(
        self, given: str, surname: str, relationship: str, responsible: bool, priority: int
    ) -> Contact:
        # Everyone first on the list gives an email; some relatives only a phone number.
        email = self._email(given, surname) if priority == 1 or self.rng.random() < 0.7 else ""
        return Contact(priority, f"{given} {surname}", relationship, responsible, email)

    def _email(self, given: str, surname: str) -> str:
        rng = self.rng
        first, last = ascii_fold(given), ascii_fold(surname)
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

    def assign_mobiles(self, families: list[Family]) -> None:
        """First contacts get Ofcom's drama numbers (07700 900000-900999); others 07700 9xxxxx."""
        people = [c for f in families for c in f.contacts]
        ordered = [c for c in people if c.priority == 1] + [c for c in people if c.priority > 1]
        if len(ordered) > 100_000:
            raise ValueError("too many contacts for the fictional 07700 9xxxxx numbers")
        drama = self.rng.sample(range(1000), min(1000, len(ordered)))
        rest = self.rng.sample(range(1000, 100_000), len(ordered) - len(drama))
        for contact, number in zip(ordered, drama + rest, strict=True):
            contact.mobile = f"+447700{900000 + number}"

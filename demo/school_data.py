"""Deterministic register data for a realistic demo school, written as the engine's three CSVs."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from random import Random

from demo.families import Family, FamilyGenerator
from demo.marking import RegisterMarker
from demo.names import ascii_fold
from demo.pupils import Pupil, PupilGenerator
from demo.register import Frame
from school.calendar import SchoolCalendar
from school.register_csv import CONTACT_COLUMNS, MARK_COLUMNS, PUPIL_COLUMNS


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
    return _Generator(Random(seed), Frame.of(calendar, until), sorted(set(year_groups))).run(pupils)


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


class _Generator:
    """Builds families, then each pupil's register, from one seeded random stream."""

    def __init__(self, rng: Random, frame: Frame, year_groups: list[int]) -> None:
        self.rng = rng
        # All three draw from one random stream; only the marker draws while being built.
        self.families = FamilyGenerator(rng, frame)
        self.pupils = PupilGenerator(rng, frame, year_groups)
        self.marker = RegisterMarker(rng, frame, year_groups)

    def run(self, count: int) -> DemoSchool:
        old_unresolved = set(self.rng.sample(range(count), min(count, max(3, count // 200))))
        pupils: list[Pupil] = []
        families: list[Family] = []
        while len(pupils) < count:
            family = self.families.family()
            families.append(family)
            children = self.pupils.children(family, len(pupils), count - len(pupils))
            self.marker.mark_family(family, children, old_unresolved)
            pupils.extend(children)
        self.families.assign_mobiles(families)
        return self._school(pupils)

    def _school(self, pupils: list[Pupil]) -> DemoSchool:
        pupils.sort(
            key=lambda p: (p.year_group, ascii_fold(p.family.family_name), p.given_name, p.upn)
        )
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

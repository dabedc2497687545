"""The demo school's name tables, read once from the names.toml shipped beside this module."""

from __future__ import annotations

import tomllib
import unicodedata
from functools import cache
from importlib.resources import files
from typing import Any, NamedTuple


class Heritage(NamedTuple):
    weight: float
    boys: tuple[str, ...]
    girls: tuple[str, ...]
    men: tuple[str, ...]
    women: tuple[str, ...]
    surnames: tuple[str, ...]
    observes_festival: float  # share of families taking a day of religious observance (R)


class Names(NamedTuple):
    heritages: tuple[Heritage, ...]  # the British and Irish group first
    elder_men: tuple[str, ...]  # grandparents' generation, for the first heritage group
    elder_women: tuple[str, ...]


@cache
def name_tables() -> Names:
    """The name tables; cached, so each heritage group is one object for the whole run."""
    data = tomllib.loads(files("demo").joinpath("names.toml").read_text(encoding="utf-8"))
    return Names(
        heritages=tuple(_heritage(table) for table in data["heritage"]),
        elder_men=tuple(data["elders"]["men"]),
        elder_women=tuple(data["elders"]["women"]),
    )


def _heritage(table: dict[str, Any]) -> Heritage:
    return Heritage(
        weight=float(table["weight"]),
        boys=tuple(table["boys"]),
        girls=tuple(table["girls"]),
        men=tuple(table["men"]),
        women=tuple(table["women"]),
        surnames=tuple(table["surnames"]),
        observes_festival=float(table["observes_festival"]),
    )


_ASCII_FOLD = str.maketrans({"ł": "l", "Ł": "L", "ı": "i", "ø": "o", "ß": "ss"})


def ascii_fold(text: str) -> str:
    """A name as lower-case ASCII letters and digits, for email addresses and sorting."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_ASCII_FOLD))
    return "".join(c for c in decomposed if c.isascii() and c.isalnum()).lower()

"""The settings page's reading of a stored policy: its sections and values, as stored."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class PolicySection:
    """One table of the policy file ("chase.AM.step 2"), with its values in file order."""

    title: str
    values: list[tuple[str, str]]


def _words(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(_words(v) for v in value) if value else "none"
    return str(value)


def policy_sections(policy_text: str) -> list[PolicySection]:
    """The stored policy text read as its sections; a table inside a table is its own section,
    and each of a list of tables is numbered ("register 1", "register 2")."""
    sections: list[PolicySection] = []

    def walk(title: str, table: dict[str, Any]) -> None:
        plain = [(k, _words(v)) for k, v in table.items() if not _is_tables(v)]
        if plain or not title:
            sections.append(PolicySection(title or "general", plain))
        for key, value in table.items():
            name = f"{title}.{key}" if title else key
            if isinstance(value, dict):
                walk(name, value)
            elif _is_tables(value):
                for n, item in enumerate(value, start=1):
                    walk(f"{name} {n}", item)

    walk("", tomllib.loads(policy_text))
    return [s for s in sections if s.values]


def _is_tables(value: Any) -> bool:
    return isinstance(value, dict) or (
        isinstance(value, list) and bool(value) and all(isinstance(v, dict) for v in value)
    )

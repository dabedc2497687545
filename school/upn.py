"""Unique Pupil Numbers: the DfE's 13-character format and its check letter."""

from __future__ import annotations

import re

# The check letter alphabet has no I, O or S (DfE UPN guidance).
CHECK_LETTERS = "ABCDEFGHJKLMNPQRTUVWXYZ"
_UPN = re.compile(r"^[A-Z]\d{11}[0-9A-Z]$")


def check_letter(body: str) -> str:
    """The check letter for the 12 characters after it (positions 2-13, weights 2-13)."""
    total = 0
    for weight, char in enumerate(body, start=2):
        # A temporary UPN ends in a letter, valued by its place in the check alphabet.
        value = int(char) if char.isdigit() else CHECK_LETTERS.index(char)
        total += value * weight
    return CHECK_LETTERS[total % 23]


def upn_problem(upn: str) -> str | None:
    """Why a string is not a valid UPN, or None when it is."""
    if not _UPN.match(upn):
        return f"UPN {upn!r} is not 13 characters: a letter, 11 digits and a digit or letter"
    if upn[-1].isalpha() and upn[-1] not in CHECK_LETTERS:
        return f"UPN {upn!r} ends in {upn[-1]!r}, which no UPN uses"
    expected = check_letter(upn[1:])
    if upn[0] != expected:
        return f"UPN {upn!r} has check letter {upn[0]!r}; its digits give {expected!r}"
    return None


def make_upn(la_code: int, establishment: int, year: int, serial: int) -> str:
    """A permanent UPN from its parts: LA number, DfE establishment number, year, serial."""
    body = f"{la_code:03d}{establishment:04d}{year % 100:02d}{serial:03d}"
    return check_letter(body) + body

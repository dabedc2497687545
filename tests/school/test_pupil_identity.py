"""UPN check letters and compulsory school age (EA 1996 s8; spec §7.1)."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from school.school_age import csa_end, csa_start, is_compulsory_school_age, last_friday_in_june
from school.upn import make_upn, upn_problem

D = date.fromisoformat


@given(st.integers(0, 999), st.integers(0, 9999), st.integers(0, 99), st.integers(0, 999))
def test_made_upns_are_valid_and_one_changed_digit_is_caught(
    la: int, est: int, year: int, serial: int
) -> None:
    upn = make_upn(la, est, year, serial)
    assert upn_problem(upn) is None
    changed = upn[:5] + str((int(upn[5]) + 1) % 10) + upn[6:]
    assert upn_problem(changed) is not None


def test_upn_format_problems() -> None:
    assert make_upn(835, 4000, 25, 1) == "J835400025001"
    assert "check letter 'A'; its digits give 'J'" in (upn_problem("A835400025001") or "")
    assert "13 characters" in (upn_problem("A12345") or "")
    assert "no UPN uses" in (upn_problem("J83540002500I") or "")


@pytest.mark.parametrize(
    ("born", "starts"),
    [
        ("2020-01-15", "2020-03-31"),  # spec §8.25: 5th birthday 15 Jan 2025 → 31 Mar 2025
        ("2019-03-31", "2019-03-31"),  # a birthday on a prescribed day starts that day
        ("2019-04-01", "2019-08-31"),
        ("2019-09-01", "2019-12-31"),
        ("2019-12-31", "2019-12-31"),
    ],
)
def test_csa_starts_on_the_prescribed_day_after_the_fifth_birthday(born: str, starts: str) -> None:
    start = csa_start(D(born))
    assert (start.month, start.day) == (D(starts).month, D(starts).day)
    assert start.year == D(born).year + 5


def test_csa_ends_on_the_last_friday_in_june_of_the_year_they_turn_16() -> None:
    assert last_friday_in_june(2026) == D("2026-06-26")
    assert csa_end(D("2009-09-01")) == D("2026-06-26")  # oldest in the year group
    assert csa_end(D("2010-08-31")) == D("2026-06-26")  # youngest in the year group
    assert csa_end(D("2010-06-28")) == D("2026-06-26")  # turns 16 just after the leaving date
    born = D("2010-03-01")
    assert is_compulsory_school_age(born, D("2026-06-26"))
    assert not is_compulsory_school_age(born, D("2026-06-27"))
    assert csa_start(D("2020-02-29")) == D("2025-03-31")  # leap-day birthday

"""The arrival time decides the code (reg 10), and an amendment needs a real reason (reg 6)."""

from __future__ import annotations

from datetime import time

import pytest

from school.amendments import Amender, amendment_reason
from school.arrival import late_mark_problem, register_mark_for_arrival, session_of_arrival
from school.calendar import RegisterSession
from school.policy import Policy
from school.policy_files import bundled_policy, load_policy

SEEDS = ("emmanuel-middle", "st-john-bosco", "basildon-lower", "micklefield", "kts-academy")


def policy(seed: str) -> Policy:
    return load_policy(bundled_policy(seed)).policy


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("session", ["AM", "PM"])
def test_the_close_minute_is_late_and_the_next_minute_is_unauthorised(
    seed: str, session: RegisterSession
) -> None:
    """At every seed, for every year group: present by the opening, L up to and including the
    close minute, U from the minute after."""
    p = policy(seed)
    for year in p.school.year_groups:
        window = p.register_window(year, session)
        opens, closes = window.opens, window.closes
        length = window.minutes_open

        def at(minutes: int, opens: time = opens) -> time:
            total = opens.hour * 60 + opens.minute + minutes
            return time(total // 60, total % 60)

        present = "/" if session == "AM" else "\\"
        assert register_mark_for_arrival(p, year, session, opens) == (present, None)
        assert register_mark_for_arrival(p, year, session, at(1)) == ("L", 1)
        assert register_mark_for_arrival(p, year, session, closes) == ("L", length)
        assert register_mark_for_arrival(p, year, session, at(length + 1)) == ("U", length + 1)
        # The import applies the same rule to an L or U with minutes late.
        assert late_mark_problem(p, year, session, "L", length) is None
        assert "that is U, not L" in (late_mark_problem(p, year, session, "L", length + 1) or "")
        assert late_mark_problem(p, year, session, "U", length + 1) is None
        assert "that is L, not U" in (late_mark_problem(p, year, session, "U", length) or "")
        assert late_mark_problem(p, year, session, "L", None) is None


def test_basildon_y7_at_9_20_is_u_and_y9_at_13_10_is_l() -> None:
    """Spec §8 scenario 21, as the policy resolves the conflict (close 09:15)."""
    basildon = policy("basildon-lower")
    assert register_mark_for_arrival(basildon, 7, "AM", time(9, 20)) == ("U", 20)
    assert register_mark_for_arrival(basildon, 9, "PM", time(13, 10)) == ("L", 10)
    problem = late_mark_problem(basildon, 7, "AM", "L", 20)
    assert problem is not None
    assert "arrival at 09:20, after the Y7 AM register (09:00-09:15) closed" in problem


def test_an_arrival_from_midday_is_for_the_afternoon() -> None:
    assert session_of_arrival(time(11, 59)) == "AM"
    assert session_of_arrival(time(12, 0)) == "PM"


@pytest.mark.parametrize(
    "text", ["", "   ", "\t\n", "n/a", "N/A", "none", "-", "...", "123", "x", "TBC", "reason"]
)
def test_a_reason_that_says_nothing_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match=r"reason is blank|does not say why"):
        amendment_reason(text)


def test_a_reason_is_stored_as_said_with_its_spaces_tidied() -> None:
    assert amendment_reason("  signed in at   08:51 ") == "signed in at 08:51"
    assert amendment_reason("Mum rang: ill") == "Mum rang: ill"


@pytest.mark.parametrize("name,position", [("", "Office"), ("Jo Bloggs", " "), (" ", "")])
def test_the_service_refuses_an_amender_without_name_and_position(name: str, position: str) -> None:
    with pytest.raises(ValueError, match="name and a position"):
        Amender(name, position)

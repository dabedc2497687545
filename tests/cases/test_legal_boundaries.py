"""The legal decisions' pure boundaries: 9/10 sessions, 10/11 school weeks, day 28/29 after
receipt, the day after an improvement period, and who is named to decide."""

from __future__ import annotations

from datetime import date

from cases.legal.law import nti_outcome_due_on, threshold_met_at, unpaid_decision_due_on
from cases.legal.proposals import is_legal_decision, who_decides
from school.policy_files import bundled_policy, load_policy

D = date.fromisoformat


def test_ten_sessions_in_ten_school_weeks_and_not_nine_or_eleven() -> None:
    assert threshold_met_at([1] * 9) is None  # nine sessions: not met
    assert threshold_met_at([1] * 10) == 9  # the tenth session meets it
    # One session a week for ten school weeks (weeks 0..9): met at the tenth.
    assert threshold_met_at(list(range(10))) == 9
    # Spread over eleven school weeks (0, then 2..10): the first and tenth are 10 weeks apart.
    assert threshold_met_at([0, *range(2, 11)]) is None
    # Sessions before `from_index` can complete a window but cannot be where it is met.
    assert threshold_met_at([1] * 12, from_index=11) == 11
    assert threshold_met_at([5] * 4 + [6] * 6, from_index=3) == 9


def test_unpaid_decision_is_due_on_day_29_after_receipt() -> None:
    received = D("2025-10-16")
    due = unpaid_decision_due_on(received)
    assert (due - received).days == 29 and due == D("2025-11-14")  # day 28 is 13 November


def test_nti_outcome_is_due_the_day_after_the_period_ends() -> None:
    assert nti_outcome_due_on(D("2025-10-13")) == D("2025-10-14")


def test_legal_decisions_are_decided_by_acting_and_named_to_the_nti_signatory() -> None:
    assert is_legal_decision("consider_legal@2025-09-19")
    assert is_legal_decision("penalty_notice_after_nti:7")
    assert not is_legal_decision("legal_action@2025-w38")
    emmanuel = load_policy(bundled_policy("emmanuel-middle")).policy
    assert who_decides(emmanuel) == (
        "Mr R Christopher, Senior Leader with responsibility for attendance"
    )

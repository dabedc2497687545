"""Issue 10 items 8-13 and issue 9 item 10 for `legal *`: notices through the CLI, dated.

Worked, in simulated time, for two seed schools (Emmanuel Middle, Basildon Lower):

N1. Ten O, Mon 15 - Fri 19 Sep 2025: the review of 19 Sep asks for a decision on legal action.
    Support recorded as planned: a Notice to Improve is refused (item 8). Offered on 22 Sep:
    the NTI is issued that day (3 weeks, to Mon 13 Oct) and decides the review's proposal.
N2. The NTI's outcome is not due on 13 Oct; from Tue 14 Oct it is ("NTI outcome due", with the
    figures over 23 Sep - 13 Oct). Recorded not improved: the figures are stored with the
    decision, and the review proposes a penalty notice, decided by requesting it (item 9).
N3. Issued 15 Oct, received 16 Oct: on day 28 (13 Nov) no decision is due; on day 29
    (14 Nov) `duties list` and `legal due` show "decision due: prosecute or withdraw", for the
    LA (item 10). Prosecution is refused until an ESO was considered (item 11).
N4. A second pupil's NTI judged improved on 14 Oct: closed, no penalty notice proposed.
N5. Suspended for 3 school days from Tue 23 Sep (s104 notice 22 Sep), seen in a shopping centre
    Wed 24 Sep: the grandmother (no parental responsibility) cannot be named (item 12); the
    mother can: £60 within 21 days, £120 within 28. Day 4 is outside the duty. Two suspension
    notices later, her attendance penalty notice is still the first, £80 / £160 (item 13).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from tests.register_files import upn
from tests.scenarios.legal_door import BY, Door, seed_school, week

SCHOOLS = ("emmanuel-middle", "basildon-lower")


def _due(door: Door, n: int, kind: str, on: str) -> list[dict]:
    shown = door.json("legal", "due", "--school", door.school, "--date", on)
    return [d for d in shown["legal_decisions_due"] if d["upn"] == upn(n) and d["kind"] == kind]


@pytest.mark.parametrize("school", SCHOOLS)
def test_nti_support_first_outcome_penalty_notice_and_the_unpaid_decision(
    school: str, session: Session, engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    marks = {1: week("2025-09-15", "O"), 2: week("2025-09-15", "O")}
    seed_school(session, school, tmp_path / "register", marks, last="2025-11-14")
    door = Door(engine, monkeypatch, school)
    door.review("2025-09-19")
    assert _due(door, 1, "consider_legal_action", "2025-09-19")

    # N1: planned support is not an offer.
    door.on("2025-09-22")
    said = door.ok("case", "support", upn(1), "--kind", "mentoring", "--title", "Mentoring", *BY)
    support = re.search(r"Recorded support #(\d+)", said)
    assert support is not None
    mum = ("--parent", "Mary Parent1")
    code, said = door.run("legal", "nti", upn(1), *mum, *BY, "--weeks", "3")
    assert code == 1 and "support has not been offered" in said
    door.ok("case", "support-status", support.group(1), "--status", "offered", "--on",
            "2025-09-22", *BY)  # fmt: skip
    nti = door.json("legal", "nti", upn(1), *mum, *BY, "--weeks", "3")
    assert nti["summary"].startswith("Notice to Improve #")
    assert nti["action"]["improvement_period_end"] == "2025-10-13"
    assert (
        nti["action"]["parent"]["name"] == "Mary Parent1" and nti["action"]["parent"]["contact_id"]
    )
    nti_id = str(nti["action"]["id"])
    assert not _due(door, 1, "consider_legal_action", "2025-09-22")  # decided by the notice

    # N2: the outcome is due from the day after the period ends, with the period's figures.
    assert not _due(door, 1, "nti_outcome_due", "2025-10-13")
    (outcome_due,) = _due(door, 1, "nti_outcome_due", "2025-10-14")
    assert outcome_due["since"] == "2025-10-14"
    assert outcome_due["figures"]["from"] == "2025-09-23"
    assert outcome_due["figures"]["to"] == "2025-10-13"
    assert outcome_due["figures"]["unauthorised_sessions"] == 0
    assert "NTI outcome due" in door.on("2025-10-14").ok("case", "show", upn(1))
    code, said = door.run("legal", "nti-outcome", nti_id, *BY, "--reason", "x")
    assert code == 2 and "--improved/--not-improved" in said
    judged = door.json(
        "legal", "nti-outcome", nti_id, "--not-improved", *BY,
        "--reason", "Attendance 100% but the family refused every meeting",
    )  # fmt: skip
    assert judged["action"]["state"] == "not_improved"
    stored = judged["action"]["events"][-1]["details"]
    assert stored["outcome"] == "not_improved" and stored["figures"] == outcome_due["figures"]
    # Proposed by the review, not before it has run.
    assert not _due(door, 1, "penalty_notice_after_nti", "2025-10-14")
    door.review("2025-10-14")
    (proposed,) = _due(door, 1, "penalty_notice_after_nti", "2025-10-14")
    assert "Request a penalty notice to Mary Parent1" in proposed["what"]
    pn = door.json("legal", "request-pn", upn(1), *mum, *BY)
    assert pn["action"]["sequence"] == 1 and pn["action"]["amount_if_paid_early"] == 80
    assert not _due(door, 1, "penalty_notice_after_nti", "2025-10-14")

    # N3: day 28 after receipt, nothing; day 29, the LA's decision is due.
    pn_id = str(pn["action"]["id"])
    door.on("2025-10-16").ok(
        "legal", "issue-pn", pn_id, *BY, "--issued", "2025-10-15", "--received", "2025-10-16"
    )
    assert not door.on("2025-11-13").json("duties", "list", "--school", school)[
        "legal_decisions_due"
    ]
    (unpaid,) = door.on("2025-11-14").json("duties", "list", "--school", school)[
        "legal_decisions_due"
    ]
    assert unpaid["kind"] == "unpaid_decision_due" and unpaid["since"] == "2025-11-14"
    assert "decision due: prosecute or withdraw" in unpaid["what"]
    assert unpaid["decides"] == "the local authority that issued it"
    assert "decision due: prosecute or withdraw" in door.ok("duties", "list", "--school", school)
    la = ("--by", "Lee Officer, LA Attendance Officer", "--reason", "Not paid")
    code, said = door.run("legal", "decide-unpaid", pn_id, "--prosecute", *la)
    assert code == 1 and "education supervision order" in said and "s447" in said
    why = "An ESO was tried in 2024 and the family did not engage"
    decided = door.json(
        "legal", "decide-unpaid", pn_id, "--prosecute", *la, "--eso-considered", why
    )
    assert decided["action"]["state"] == "prosecution"
    assert decided["action"]["events"][-1]["details"]["eso_considered"] == why
    assert not _due(door, 1, "unpaid_decision_due", "2025-11-14")

    # N4: improved closes it, and nothing is proposed after it.
    door.on("2025-09-22")
    door.ok("case", "no-support", upn(2), *BY, "--reason", "Unauthorised term-time holiday")
    other = door.json("legal", "nti", upn(2), "--parent", "John Parent2", *BY, "--weeks", "3")
    door.on("2025-10-14")
    said = door.ok(
        "legal", "nti-outcome", str(other["action"]["id"]), "--improved", *BY,
        "--reason", "No unauthorised absence in the period",
    )  # fmt: skip
    assert "improved (closed)" in said
    door.review("2025-10-14")
    assert not _due(door, 2, "penalty_notice_after_nti", "2025-10-14")


@pytest.mark.parametrize("school", SCHOOLS)
def test_suspension_notices_name_a_parent_on_file_and_never_count(
    school: str, session: Session, engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed_school(session, school, tmp_path / "register", {1: week("2025-09-15", "G")})
    door = Door(engine, monkeypatch, school).on("2025-10-01")
    suspended = (
        "--suspension-from", "2025-09-23", "--days", "3", "--notice-given", "2025-09-22",
        "--place", "Shopping centre", "--issued", "2025-09-25",
    )  # fmt: skip
    code, said = door.run(
        "legal", "suspension-pn", upn(1), "--parent", "Gran Parent1", "--seen-on", "2025-09-24",
        *suspended, *BY,
    )  # fmt: skip
    assert code == 1 and "without parental responsibility" in said and "Mary Parent1" in said
    first = door.json(
        "legal", "suspension-pn", upn(1), "--parent", "Mary Parent1", "--seen-on", "2025-09-24",
        *suspended, *BY,
    )  # fmt: skip
    assert (first["action"]["amount_if_paid_early"], first["action"]["amount"]) == (60, 120)
    assert "not counted towards the penalty notice limit" in first["summary"]
    code, said = door.run(
        "legal", "suspension-pn", upn(1), "--parent", "Mary Parent1", "--seen-on", "2025-09-26",
        *suspended, *BY,
    )  # fmt: skip
    assert code == 1 and "not one of the first 3 school days" in said
    door.ok(
        "legal", "suspension-pn", upn(1), "--parent", "Mary Parent1", "--seen-on", "2025-09-25",
        *suspended, *BY,
    )  # fmt: skip
    door.ok("case", "open", upn(1), *BY, "--reason", "Holiday refused, taken anyway")
    door.ok("case", "no-support", upn(1), *BY, "--reason", "Unauthorised term-time holiday")
    pn = door.json("legal", "request-pn", upn(1), "--parent", "Mary Parent1", *BY)
    assert pn["action"]["sequence"] == 1  # two suspension notices do not make this a second
    assert (pn["action"]["amount_if_paid_early"], pn["action"]["amount"]) == (80, 160)

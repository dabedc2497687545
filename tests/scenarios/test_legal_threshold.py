"""Issue 10 items 6 and 7: the national threshold obliges a decision, on firm absence only.

Worked, dated, through the CLI in simulated time, for every seed school's policy:

L1. Mon 15 - Fri 19 Sep 2025: 10 sessions O (a pupil of compulsory school age). The review of
    Fri 19 Sep raises "consider legal action" for the person who signs the school's Notices to
    Improve, with the figures and the threshold period (met 19 Sep; the window from Mon 1 Sep,
    the calendar's first school week). On Mon 22 Sep it is still due, in the review and in
    `case show`, and not made twice. "confirm" is refused: a notice, or a reason not to.
L2. Skipped with a reason on 22 Sep: no longer due, never made again for that period.
L3. Ten more O, Mon 29 Sep - Fri 3 Oct: met again on 3 Oct, a new decision for the new period.
L4. 8 O Mon-Thu 15-18 Sep and 2 N on Fri 19 Sep: the review of 19 Sep proposes nothing and
    says "provisional: 2 N sessions unresolved until 2025-09-26" (5 school days on).
L5. The N recoded O on Mon 22 Sep: the decision is due (met on 19 Sep).
L6. The N recoded I (ill) instead: not met, nothing due, nothing provisional.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from school.policy_files import bundled_policy, load_policy
from tests.register_files import upn
from tests.scenarios.legal_door import BY, SEEDS, Door, seed_school, week


def _considered(shown: dict, n: int) -> list[dict]:
    return [
        d
        for d in shown["legal_decisions_due"]
        if d["upn"] == upn(n) and d["kind"] == "consider_legal_action"
    ]


@pytest.mark.parametrize("school", SEEDS)
def test_threshold_obliges_a_decision_whatever_the_ladder(
    school: str, session: Session, engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    marks = {1: week("2025-09-15", "O"), 2: {}}
    seed_school(session, school, tmp_path / "register", marks)
    door = Door(engine, monkeypatch, school)
    signatory = load_policy(bundled_policy(school)).policy.letters.signatory_for(
        "notice_to_improve"
    )

    # L1: the Friday the tenth O is marked.
    friday = door.review("2025-09-19")
    (due,) = _considered(friday, 1)
    assert not _considered(friday, 2)
    assert due["since"] == "2025-09-19" and signatory.role in due["decides"]
    assert due["figures"]["met_on"] == "2025-09-19"
    assert due["figures"]["window_start"] == "2025-09-01"  # the calendar's first school week
    assert due["figures"]["counts"]["O"] == 10
    assert "10 sessions of unauthorised absence (O 10)" in due["what"]
    proposal = str(due["proposal_id"])
    # Confirming means nothing here: the decision is a notice, or a reason not to.
    code, said = door.run("case", "confirm", proposal, *BY)
    assert code == 1 and "decided by acting on it" in said
    monday = door.review("2025-09-22")
    assert [d["proposal_id"] for d in _considered(monday, 1)] == [due["proposal_id"]]
    assert not [p for p in monday["proposals"] if "Consider legal action" in p["summary"]]
    shown = door.ok("case", "show", upn(1))
    assert "LEGAL DECISION DUE since 2025-09-19" in shown and "Consider legal action" in shown
    table = door.ok("review", "--school", school, "--date", "2025-09-22")
    assert "Legal decisions due: 1" in table

    # L2: decided not to, with the reason: gone, and not made again for this period.
    door.ok("case", "skip", proposal, *BY, "--reason", "Bereavement: support first, agreed")
    assert not _considered(door.review("2025-09-23"), 1)
    assert not door.json("legal", "due", "--school", school)["legal_decisions_due"]

    # L3: met again by ten new sessions: a new decision for the new period.
    door.amend(tmp_path / "again", _coded(week("2025-09-29", "O")), "Absent, no reason given")
    (again,) = _considered(door.review("2025-10-03"), 1)
    assert again["figures"]["met_on"] == "2025-10-03" and again["figures"]["after"] == "2025-09-19"
    assert again["proposal_id"] != due["proposal_id"]


def _coded(marks: dict) -> list[list[str]]:
    return [[upn(1), d.isoformat(), s, code, ""] for (d, s), code in marks.items()]


@pytest.mark.parametrize("school", ["emmanuel-middle", "kts-academy"])
@pytest.mark.parametrize("recode", ["O", "I"])
def test_threshold_met_only_by_n_is_provisional_until_recoded(
    school: str,
    recode: str,
    session: Session,
    engine: Engine,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    marks = {**week("2025-09-15", "O", 8), **{k: "N" for k in list(week("2025-09-15", "N"))[8:]}}
    seed_school(session, school, tmp_path / "register", {1: marks})
    door = Door(engine, monkeypatch, school)

    friday = door.review("2025-09-19")
    assert not _considered(friday, 1)
    assert not [p for p in friday["proposals"] if p["to_stage"] == "enforce"]
    (note,) = friday["provisional"]
    assert note["text"].startswith("provisional: 2 N sessions unresolved until 2025-09-26")
    assert "provisional: 2 N sessions unresolved until 2025-09-26" in door.ok(
        "case", "show", upn(1)
    )
    door.on("2025-09-22")
    recoded = [[upn(1), "2025-09-19", s, recode, ""] for s in ("AM", "PM")]
    door.amend(tmp_path / "recode", recoded, "Reason established by phone")
    monday = door.review("2025-09-22")
    assert not monday["provisional"]
    if recode == "O":
        (due,) = _considered(monday, 1)
        assert due["figures"]["met_on"] == "2025-09-19"
    else:
        assert not _considered(monday, 1)

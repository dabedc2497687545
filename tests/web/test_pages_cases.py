"""The cases board and case page over HTTP: what they show, each action, refusals, 404s."""

from __future__ import annotations

from urllib.parse import unquote_plus

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlmodel import Session, col

from cases.legal.proposals import LEGAL_KEYS
from cases.models import CaseAction, CaseEvent, CaseProposal
from school.accounts import AuditEntry
from school.database import id_of
from tests.web.cases_world import case_of, cases
from tests.web.pages_world import ROLE_NAMES, csrf_of, log_in, web_app, world

__all__ = ["cases", "web_app", "world"]
PASTORAL, DSL = ROLE_NAMES["pastoral"], ROLE_NAMES["dsl"]
SIGNED = "Pat Pastoral, Head of Year"


def _token(client: TestClient, path: str = "/cases") -> str:
    return csrf_of(client.get(path).text)


def _said(answer: object) -> str:
    return unquote_plus(answer.headers["location"])  # type: ignore[attr-defined]


def _on_the_case_page(client: TestClient, cases: dict[str, int]) -> tuple[str, str]:
    """Logged in as pastoral staff: the case page's path and its form token."""
    log_in(client, PASTORAL)
    here = f"/cases/{cases['case']}"
    return here, _token(client, here)


def _proposal(session: Session, proposal_id: int) -> CaseProposal:
    session.expire_all()
    found = session.get(CaseProposal, proposal_id)
    assert found is not None
    return found


def test_pastoral_staff_land_on_the_board_of_cases_by_stage(
    web_app: TestClient, cases: dict[str, int]
) -> None:
    assert log_in(web_app, PASTORAL) == 303
    home = web_app.get("/")
    assert home.headers["location"] == "/cases"
    page = web_app.get("/cases").text
    for stage in ("Expect", "Monitor", "Listen and understand", "Facilitate support",
                  "Formalise support", "Enforce"):  # fmt: skip
        assert f'>{stage} <span class="count">' in page
    assert '<span class="n">2</span> Expect' in page and '<span class="n">0</span> Enforce' in page
    assert "Pupil1 Test" in page and "Pupil2 Test" in page
    assert "Move to Monitor: attendance is below 95%" in page
    assert f'hx-post="/proposals/{cases["proposal"]}/decide"' in page
    assert "Free school meals" in page and "Social worker" in page and "1 to decide" in page


@pytest.mark.parametrize(
    ("query", "shown", "hidden"),
    [
        ("year=8", "Pupil2", "Pupil1"),
        ("flag=fsm", "Pupil2", "Pupil1"),
        ("flag=social_worker&year=8", "Pupil2", "Pupil1"),
        ("year=7", "Pupil1", "Pupil2"),
    ],
)
def test_a_filtered_board_is_a_link(
    web_app: TestClient, cases: dict[str, int], query: str, shown: str, hidden: str
) -> None:
    log_in(web_app, PASTORAL)
    page = web_app.get(f"/cases?{query}").text
    assert f"{shown} Test" in page and f"{hidden} Test" not in page
    assert "1 open case of 2, filtered" in page


def test_a_filter_nobody_matches_says_so_and_nonsense_is_refused(
    web_app: TestClient, cases: dict[str, int]
) -> None:
    log_in(web_app, PASTORAL)
    empty = web_app.get("/cases?flag=looked_after")
    assert empty.status_code == 200 and "0 open cases of 2, filtered" in empty.text
    for query, words in [
        ("year=nine", "year group must be a number"),
        ("flag=wizard", "Filter by send"),
        ("band=gold", "not one of the school&#39;s bands"),
    ]:
        refused = web_app.get(f"/cases?{query}")
        assert refused.status_code == 400 and words in refused.text, query


def test_confirming_a_proposal_records_the_person_and_reason_and_moves_the_case(
    web_app: TestClient, cases: dict[str, int], session: Session
) -> None:
    log_in(web_app, PASTORAL)
    token = _token(web_app, "/cases?year=7")
    answer = web_app.post(
        f"/proposals/{cases['proposal']}/decide",
        data={
            "decision": "confirm",
            "reason": "Spoke to mum; monitoring for four weeks",
            "back_to": "/cases?year=7",
            "csrf_token": token,
        },
    )
    assert answer.status_code == 303
    assert _said(answer).startswith("/cases?year=7&said=Proposal")
    proposal = _proposal(session, cases["proposal"])
    assert proposal.status == "confirmed" and proposal.decided_by == SIGNED
    assert proposal.decision_reason == "Spoke to mum; monitoring for four weeks"
    assert case_of(session, cases["case"]).stage == "monitor"
    move = session.scalars(select(CaseEvent).where(col(CaseEvent.to_stage) == "monitor")).one()
    assert (move.actor_name, move.actor_position) == ("Pat Pastoral", "Head of Year")
    entry = session.scalars(
        select(AuditEntry).where(col(AuditEntry.action) == "proposal_decided")
    ).one()
    assert entry.actor == PASTORAL and entry.detail["decision"] == "confirm"
    board = web_app.get(answer.headers["location"]).text
    assert "confirmed: Move to Monitor" in board and "Nothing waiting" in board


def test_htmx_gets_the_board_back_with_what_was_done(
    web_app: TestClient, cases: dict[str, int], session: Session
) -> None:
    log_in(web_app, PASTORAL)
    answer = web_app.post(
        f"/proposals/{cases['proposal']}/decide",
        data={"decision": "skip", "reason": "Attendance already improving", "csrf_token":
              _token(web_app)},
        headers={"HX-Request": "true"},
        follow_redirects=True,
    )  # fmt: skip
    assert answer.status_code == 200 and 'id="board"' in answer.text
    assert "skipped: Move to Monitor" in answer.text
    assert _proposal(session, cases["proposal"]).status == "skipped"
    assert case_of(session, cases["case"]).stage == "expect"


def test_every_decision_needs_a_reason_and_is_made_once(
    web_app: TestClient, cases: dict[str, int], session: Session
) -> None:
    log_in(web_app, PASTORAL)
    token = _token(web_app)
    url = f"/proposals/{cases['proposal']}/decide"
    blank = web_app.post(url, data={"decision": "confirm", "reason": "  ", "csrf_token": token})
    assert "refused=Proposal" in blank.headers["location"]
    assert "say why you confirm it" in _said(blank)
    assert _proposal(session, cases["proposal"]).status == "proposed"
    override = web_app.post(
        url,
        data={"decision": "override", "reason": "Needs support now", "to": "listen",
              "csrf_token": token},
    )  # fmt: skip
    assert "said=" in override.headers["location"]
    assert case_of(session, cases["case"]).stage == "listen"
    again = web_app.post(url, data={"decision": "skip", "reason": "Late", "csrf_token": token})
    shown = web_app.get(again.headers["location"]).text
    assert "Refused:" in shown and "was already overridden by " + SIGNED in shown


def test_the_case_page_shows_timeline_plan_support_meetings_and_letters(
    web_app: TestClient, cases: dict[str, int]
) -> None:
    log_in(web_app, PASTORAL)
    page = web_app.get(f"/cases/{cases['case']}")
    assert page.status_code == 200
    text = page.text
    assert "Pupil1 Test" in text and "At Expect" in text
    assert "Opened → Expect" in text and "Attendance below 95%" in text
    assert "attendance then 0.0% to 2026-11-23" in text  # the figures stored with the move
    assert "Sam Setup, Head of Year" in text
    assert "Weekly mentoring" in text and "Meeting with parents" in text
    assert f'href="/letters/{cases["letter"]}"' in text
    assert f'href="/letters/{cases["letter"]}.pdf"' in text
    assert 'href="/pupils/' in text
    assert "Move to Monitor: attendance is below 95%" in text
    assert f'action="/support/{cases["action"]}/status"' in text
    assert f'action="/actions/{cases["meeting"]}/outcome"' in text


def test_a_move_the_law_refuses_shows_the_rule_and_changes_nothing(
    web_app: TestClient, cases: dict[str, int], session: Session
) -> None:
    log_in(web_app, PASTORAL)
    here = f"/cases/{cases['case']}"
    version = case_of(session, cases["case"]).version
    answer = web_app.post(
        f"{here}/move",
        data={"to": "formalise", "reason": "No improvement", "version": version,
              "csrf_token": _token(web_app, here)},
    )  # fmt: skip
    page = web_app.get(answer.headers["location"]).text
    assert 'role="alert"><strong>Refused:</strong> no support has been offered' in page
    assert "before moving to formalise (spec §5)" in page
    assert case_of(session, cases["case"]).stage == "expect"


def test_a_case_moves_with_a_reason_and_a_stale_page_is_refused(
    web_app: TestClient, cases: dict[str, int], session: Session
) -> None:
    here, token = _on_the_case_page(web_app, cases)
    version = case_of(session, cases["case"]).version
    form = {"to": "monitor", "reason": "Below 95% for a half term", "csrf_token": token}
    moved = web_app.post(f"{here}/move", data={**form, "version": version})
    assert "said=Case" in moved.headers["location"]
    assert case_of(session, cases["case"]).stage == "monitor"
    assert "At Monitor" in web_app.get(moved.headers["location"]).text
    stale = web_app.post(f"{here}/move", data={**form, "to": "listen", "version": version})
    assert "changed by someone else" in _said(stale)
    assert case_of(session, cases["case"]).stage == "monitor"
    blank = web_app.post(f"{here}/move", data={**form, "to": "listen", "reason": " "})
    assert "needs a reason" in _said(blank)


def test_support_is_recorded_and_moved_on_through_its_statuses(
    web_app: TestClient, cases: dict[str, int], session: Session
) -> None:
    here, token = _on_the_case_page(web_app, cases)
    added = web_app.post(
        f"{here}/support",
        data={"kind": "Early help", "title": "Early help assessment", "csrf_token": token},
    )
    assert "Recorded support" in _said(added)
    item = session.scalars(
        select(CaseAction).where(col(CaseAction.title) == "Early help assessment")
    ).one()
    assert item.kind == "early_help" and item.created_by == SIGNED
    no_day = web_app.post(
        f"/support/{cases['action']}/status", data={"status": "offered", "csrf_token": token}
    )
    assert "say when the support was offered" in _said(no_day)
    offered = web_app.post(
        f"/support/{cases['action']}/status",
        data={"status": "offered", "on": "2026-11-20", "csrf_token": token},
    )
    assert f"offered on 2026-11-20 by {SIGNED}" in _said(offered)
    skipped = web_app.post(
        f"/support/{cases['action']}/status", data={"status": "ended", "csrf_token": token}
    )
    assert "said=" in skipped.headers["location"]
    wrong = web_app.post(
        f"/support/{cases['action']}/status", data={"status": "offered", "csrf_token": token}
    )
    assert "it has ended" in _said(wrong)


def test_what_happened_at_a_meeting_is_recorded_by_name(
    web_app: TestClient, cases: dict[str, int], session: Session
) -> None:
    log_in(web_app, PASTORAL)
    token = _token(web_app, f"/cases/{cases['case']}")
    answer = web_app.post(
        f"/actions/{cases['meeting']}/outcome",
        data={"status": "not_attended", "note": "Mum did not come", "csrf_token": token},
    )
    assert "not attended" in _said(answer)
    session.expire_all()
    meeting = session.get(CaseAction, cases["meeting"])
    assert meeting is not None and meeting.status == "not_attended"
    assert (meeting.completed_by, meeting.outcome) == (SIGNED, "Mum did not come")
    bad = web_app.post(
        f"/actions/{cases['meeting']}/outcome", data={"status": "lost", "csrf_token": token}
    )
    assert "status must be one of" in _said(bad)


def test_a_wrong_id_or_another_schools_case_is_a_404_with_a_sentence(
    web_app: TestClient, cases: dict[str, int], session: Session
) -> None:
    elsewhere = CaseProposal(
        case_id=cases["other_case"], trigger_key="test:other", kind="review",
        summary="Review the plan", created_at=case_of(session, cases["other_case"]).opened_at,
    )  # fmt: skip
    session.add(elsewhere)
    session.commit()
    log_in(web_app, PASTORAL)
    token = _token(web_app)
    assert "Review the plan" not in web_app.get("/cases").text
    for path in ("/cases/999999", f"/cases/{cases['other_case']}"):
        page = web_app.get(path)
        assert page.status_code == 404 and "There is no case" in page.text, path
    posts = {
        "/proposals/999999/decide": {"decision": "skip", "reason": "x y"},
        f"/proposals/{id_of(elsewhere)}/decide": {"decision": "skip", "reason": "x y"},
        f"/cases/{cases['other_case']}/move": {"to": "monitor", "reason": "x y"},
        f"/cases/{cases['other_case']}/support": {"kind": "a", "title": "b"},
        "/support/999999/status": {"status": "offered"},
        f"/support/{cases['meeting'] + 1000}/status": {"status": "offered"},
        "/actions/999999/outcome": {"status": "done"},
    }
    for path, form in posts.items():
        answer = web_app.post(path, data={**form, "csrf_token": token})
        assert answer.status_code == 404 and "There is no" in answer.text, path
        assert "proposal" in answer.text or "/proposals/" not in path, path
    assert case_of(session, cases["other_case"]).stage == "expect"
    assert _proposal(session, id_of(elsewhere)).status == "proposed"


def test_the_dsl_reads_cases_but_the_decisions_stay_with_pastoral_staff(
    web_app: TestClient, cases: dict[str, int], session: Session
) -> None:
    log_in(web_app, DSL)
    board = web_app.get("/cases").text
    assert "Move to Monitor" in board and "/decide" not in board
    assert "Pastoral staff and the head decide proposals" in board
    page = web_app.get(f"/cases/{cases['case']}").text
    assert "Weekly mentoring" in page and "Move the case" not in page
    refused = web_app.post(
        f"/proposals/{cases['proposal']}/decide",
        data={"decision": "confirm", "reason": "ok then", "csrf_token": csrf_of(board)},
    )
    assert refused.status_code == 403
    assert _proposal(session, cases["proposal"]).status == "proposed"


def test_a_change_without_the_csrf_token_is_refused(
    web_app: TestClient, cases: dict[str, int], session: Session
) -> None:
    log_in(web_app, PASTORAL)
    for path, form in {
        f"/proposals/{cases['proposal']}/decide": {"decision": "confirm", "reason": "yes"},
        f"/cases/{cases['case']}/move": {"to": "monitor", "reason": "Below 95%"},
        f"/cases/{cases['case']}/support": {"kind": "mentoring", "title": "More"},
        f"/support/{cases['action']}/status": {"status": "offered", "on": "2026-11-20"},
        f"/actions/{cases['meeting']}/outcome": {"status": "attended"},
    }.items():
        answer = web_app.post(path, data={**form, "csrf_token": "forged"})
        assert answer.status_code == 403 and "form has expired" in answer.text, path
    assert _proposal(session, cases["proposal"]).status == "proposed"
    assert case_of(session, cases["case"]).stage == "expect"


def test_a_key_worker_is_named_on_the_case_and_the_board_filters_by_them(
    web_app: TestClient, cases: dict[str, int], session: Session
) -> None:
    log_in(web_app, PASTORAL)
    here = f"/cases/{cases['case']}"
    page = web_app.get(here).text
    assert "nobody named yet" in page and f'<option value="{SIGNED}">' in page
    token = csrf_of(page)
    bad = web_app.post(f"{here}/key-worker", data={"worker": "Pat", "csrf_token": token})
    assert 'must be "Name, Position"' in _said(bad)
    named = web_app.post(f"{here}/key-worker", data={"worker": SIGNED, "csrf_token": token})
    assert f"key worker is {SIGNED}" in _said(named)
    assert case_of(session, cases["case"]).key_worker == SIGNED
    event = session.scalars(select(CaseEvent).where(col(CaseEvent.trigger) == "key_worker")).one()
    assert event.reason == f"key worker: {SIGNED}" and event.actor_name == "Pat Pastoral"
    board = web_app.get("/cases").text
    assert f'<option value="{SIGNED}" >' in board and "Key worker: Pat Pastoral" in board
    mine = web_app.get("/cases", params={"key_worker": SIGNED}).text
    assert "Pupil1 Test" in mine and "Pupil2 Test" not in mine
    nobody = web_app.get("/cases?key_worker=none").text
    assert "Pupil2 Test" in nobody and "Pupil1 Test" not in nobody


def test_a_legal_proposal_is_skipped_with_the_reason_never_confirmed(
    web_app: TestClient, cases: dict[str, int], session: Session
) -> None:
    legal = CaseProposal(
        case_id=cases["quiet_case"],
        trigger_key=f"{LEGAL_KEYS[0]}2026-11-20",
        kind="legal",
        summary="Consider legal action: the national threshold was met",
        created_at=case_of(session, cases["quiet_case"]).opened_at,
    )
    session.add(legal)
    session.commit()
    log_in(web_app, PASTORAL)
    page = web_app.get(f"/cases/{cases['quiet_case']}").text
    assert "Decided by acting on it" in page
    group = page[page.index(f'aria-label="Decision on proposal {legal.id}"') :]
    assert 'value="confirm"' not in group[: group.index("</div>")]
    confirm = web_app.post(
        f"/proposals/{legal.id}/decide",
        data={"decision": "confirm", "reason": "Go ahead", "csrf_token": csrf_of(page)},
    )
    assert "is decided by acting on it" in _said(confirm)
    skip = web_app.post(
        f"/proposals/{legal.id}/decide",
        data={"decision": "skip", "reason": "Illness evidenced by the GP", "csrf_token":
              csrf_of(page)},
    )  # fmt: skip
    assert "said=" in skip.headers["location"]
    assert _proposal(session, id_of(legal)).status == "skipped"


def test_a_proposal_on_facts_that_have_changed_is_refused_and_marked_stale(
    web_app: TestClient, cases: dict[str, int], session: Session
) -> None:
    stale = CaseProposal(
        case_id=cases["quiet_case"],
        trigger_key="test:stale",
        kind="stage_move",
        to_stage="listen",
        summary="Move to Listen and understand",
        evidence={"case_stage": "monitor"},
        created_at=case_of(session, cases["quiet_case"]).opened_at,
    )
    session.add(stale)
    session.commit()
    log_in(web_app, PASTORAL)
    answer = web_app.post(
        f"/proposals/{stale.id}/decide",
        data={"decision": "confirm", "reason": "Agreed at the meeting", "csrf_token":
              _token(web_app)},
    )  # fmt: skip
    said = _said(answer)
    assert "rests on facts that have changed" in said and "from monitor to expect" in said
    assert _proposal(session, id_of(stale)).status == "stale"
    assert case_of(session, cases["quiet_case"]).stage == "expect"


def test_what_the_law_asks_before_formalise_is_recorded_on_the_page_then_the_move_is_allowed(
    web_app: TestClient, cases: dict[str, int], session: Session
) -> None:
    here, token = _on_the_case_page(web_app, cases)
    blank = web_app.post(f"{here}/no-support", data={"reason": " ", "csrf_token": token})
    assert "needs a reason" in _said(blank)
    recorded = web_app.post(
        f"{here}/no-support",
        data={"reason": "Unauthorised term-time holiday", "csrf_token": token},
    )
    assert "support is not appropriate" in _said(recorded)
    considered = web_app.post(
        f"{here}/send-considered",
        data={"reason": "No SEND; SENCo agreed", "csrf_token": token},
    )
    assert "barriers linked to SEND were considered" in _said(considered)
    page = web_app.get(here).text
    assert "Support recorded as not appropriate: Unauthorised term-time holiday" in page
    assert f"considered 23 Nov 2026 by {SIGNED}" in page
    moved = web_app.post(
        f"{here}/move", data={"to": "formalise", "reason": "Holiday taken", "csrf_token": token}
    )
    assert "now at Formalise support" in _said(moved), _said(moved)
    assert case_of(session, cases["case"]).stage == "formalise"

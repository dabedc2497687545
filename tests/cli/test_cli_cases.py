"""Cases, legal actions and duties at the command line, through the law's guards."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import UTC, date, datetime

import pytest
from sqlmodel import Session
from typer.testing import CliRunner

from cli.main import app
from tests.register_builder import build_register, calendar, days_between, present
from tests.register_files import pupil_row, upn, write_contacts

runner = CliRunner()
HOLIDAY = (date(2025, 9, 15), date(2025, 9, 19))


def flat(text: str) -> str:
    return re.sub(r"\s+", " ", text)


@pytest.fixture
def holiday_pupil(session: Session, school: str, clock, tmp_path, monkeypatch) -> str:
    """A Year 8 pupil who took a week's holiday the school refused (spec §8.1)."""
    from school import clock as clock_module

    cal = calendar(session, school)
    days = days_between(cal, date(2025, 9, 8), date(2025, 9, 26))
    holiday = lambda day, sess: "G" if HOLIDAY[0] <= day.date <= HOLIDAY[1] else present(day, sess)
    write_contacts(
        tmp_path,
        [
            [upn(1), 1, "Parent 1", "Mother", "yes", "", "p1@example.org"],
            [upn(1), 2, "Second Parent", "Father", "yes", "", "p2@example.org"],
            [upn(1), 3, "Gran Test", "Grandmother", "no", "", "gran@example.org"],
        ],
    )
    build_register(session, school, tmp_path, clock, {1: pupil_row(1, year=8)}, {1: holiday}, days)
    # "Today" is the Friday the holiday ended: the CLI asks the system clock.
    monkeypatch.setattr(
        clock_module.SystemClock, "now", lambda self: datetime(2025, 9, 26, 15, 0, tzinfo=UTC)
    )
    return upn(1)


def test_a_case_walks_to_enforce_through_the_guards(engine, holiday_pupil: str, tmp_path) -> None:
    db = ["--database", engine.url.render_as_string(hide_password=False)]
    by = ["--by", "Ann Lee, Attendance Lead"]

    def run(*args: str) -> str:
        result = runner.invoke(app, [*db, *args])
        assert result.exit_code == 0, result.output
        return flat(result.stdout)

    def refused(*args: str) -> str:
        result = runner.invoke(app, [*db, *args])
        assert result.exit_code == 1, result.output
        return flat(result.stderr)

    school = ["--school", "emmanuel-middle"]
    assert "Opened case" in run(
        "case", "open", *school, holiday_pupil, *by, "--reason", "Holiday refused, taken anyway"
    )
    reason = refused(
        "case", "move", *school, holiday_pupil, "--to", "enforce", *by, "--reason", "Threshold met"
    )
    assert "no support has been offered" in reason
    run(
        "case",
        "no-support",
        *school,
        holiday_pupil,
        *by,
        "--reason",
        "Unauthorised term-time holiday",
    )
    assert "now at enforce" in run(
        "case", "move", *school, holiday_pupil, "--to", "enforce", *by, "--reason", "Threshold met"
    )
    requested = run(
        "legal",
        "request-pn",
        *school,
        holiday_pupil,
        "--parent",
        "Parent 1",
        "--by",
        "Ann Lee, Attendance Lead",
    )
    assert "(first): £80 within 21 days, else £160 within 28 days" in requested
    shown = run("case", "show", *school, holiday_pupil)
    assert "case 1 at enforce" in shown or "at enforce" in shown
    assert re.search(r"\d+ penalty notice Parent 1 requested", shown)  # legal actions table

    # The other parent gets a Notice to Improve; its letter prints with the period in it.
    issued = run(
        "legal",
        "nti",
        *school,
        holiday_pupil,
        "--parent",
        "Second Parent",
        "--by",
        "Ann Lee, Attendance Lead",
        "--weeks",
        "4",
    )
    assert "improvement period to 2025-10-24" in issued
    from pypdf import PdfReader

    pdf = tmp_path / "nti.pdf"
    action_id = re.search(r"Notice to Improve #(\d+)", issued)
    assert action_id is not None
    run("letters", "nti", action_id.group(1), "--out", str(pdf))
    text = flat(" ".join(page.extract_text() for page in PdfReader(pdf).pages)).lower()
    assert "pupil1" in text and "improvement period" in text and "penalty notice" in text


def test_a_meeting_not_attended_is_recorded_in_the_case_history(
    session: Session, engine, holiday_pupil: str
) -> None:
    from sqlalchemy import select
    from sqlmodel import col

    from cases.models import CaseAction, CaseEvent

    db = ["--database", engine.url.render_as_string(hide_password=False)]
    by = ["--by", "Ann Lee, Attendance Lead"]
    school = ["--school", "emmanuel-middle"]
    runner.invoke(app, [*db, "case", "open", *school, holiday_pupil, *by, "--reason", "Holiday"])
    runner.invoke(
        app,
        [
            *db,
            "case",
            "support",
            *school,
            holiday_pupil,
            "--kind",
            "meeting",
            "--title",
            "Attendance meeting with Mum",
            *by,
        ],
    )
    meeting = session.scalars(select(CaseAction)).one()
    done = runner.invoke(
        app,
        [
            *db,
            "case",
            "action",
            str(meeting.id),
            "--status",
            "not_attended",
            *by,
            "--note",
            "No answer at the door",
        ],
    )
    assert done.exit_code == 0, done.output
    assert "not_attended" in done.stdout
    session.refresh(meeting)
    assert (meeting.status, meeting.completed_by) == ("not_attended", "Ann Lee, Attendance Lead")
    history = session.scalars(
        select(CaseEvent.trigger).where(col(CaseEvent.case_id) == meeting.case_id)
    )
    assert "action_not_attended" in list(history)
    bad = runner.invoke(app, [*db, "case", "action", str(meeting.id), "--status", "maybe", *by])
    assert bad.exit_code == 1 and "status must be one of" in flat(bad.stderr)


def test_confirm_a_proposal_and_show_by_upn_alone(
    session: Session, engine, holiday_pupil: str, clock
) -> None:
    from sqlalchemy import select

    from cases.models import AttendanceCase, CaseProposal

    db = ["--database", engine.url.render_as_string(hide_password=False)]
    by = ["--by", "Ann Lee, Attendance Lead"]
    opened = runner.invoke(app, [*db, "case", "open", holiday_pupil, *by, "--reason", "Holiday"])
    assert opened.exit_code == 0, opened.output
    case = session.scalars(select(AttendanceCase)).one()
    session.add(
        CaseProposal(
            case_id=case.id,
            trigger_key="test",
            kind="stage_move",
            to_stage="listen",
            summary="Move to Listen and understand",
            created_at=clock.now(),
        )
    )
    session.commit()
    proposal = session.scalars(select(CaseProposal)).one()
    confirmed = runner.invoke(app, [*db, "case", "confirm", str(proposal.id), *by])
    assert confirmed.exit_code == 0, confirmed.output
    assert "confirmed" in confirmed.stdout
    shown = flat(runner.invoke(app, [*db, "case", "show", holiday_pupil]).stdout)
    assert "at listen" in shown


BY = ("--by", "Ann Lee, Attendance Lead")


def door(engine) -> Callable[..., tuple[int, str]]:
    """The CLI on this database: each call gives the exit code and everything printed."""
    db = ["--database", engine.url.render_as_string(hide_password=False)]

    def invoke(*args: str) -> tuple[int, str]:
        result = runner.invoke(app, [*db, *args])
        return result.exit_code, flat(result.stdout + result.stderr)

    return invoke


def test_planned_support_is_not_offered_until_staff_record_the_offer(
    engine, holiday_pupil: str, tmp_path
) -> None:
    """Issue 9 item 5: only offered (or later) support satisfies the law before a notice."""
    invoke = door(engine)
    invoke("case", "open", holiday_pupil, *BY, "--reason", "Holiday refused, taken anyway")
    code, out = invoke(
        "case", "support", holiday_pupil, "--kind", "mentoring", "--title", "Mentoring", *BY
    )
    found = re.search(r"Recorded support #(\d+) \(planned\)", out)
    assert code == 0 and found is not None, out
    item = found.group(1)
    code, out = invoke("legal", "nti", holiday_pupil, "--parent", "Parent 1", *BY)
    assert code == 1 and "support has not been offered" in out and "planned" in out
    # Accepted before it was offered: refused, with what it can move to.
    code, out = invoke("case", "support-status", item, "--status", "accepted", *BY)
    assert code == 1 and "it can move to offered, not accepted" in out
    code, out = invoke("case", "support-status", item, "--status", "offered", *BY)
    assert code == 1 and "say when the support was offered" in out
    code, out = invoke(
        "case", "support-status", item, "--status", "offered", "--on", "2025-09-22", *BY
    )
    assert code == 0 and "offered on 2025-09-22 by Ann Lee, Attendance Lead" in out
    # A second item stays planned: the notice names only the support offered.
    invoke("case", "support", holiday_pupil, "--kind", "early_help", "--title", "Early help", *BY)
    code, out = invoke("legal", "nti", holiday_pupil, "--parent", "Parent 1", *BY)
    assert code == 0, out
    action_id = re.search(r"Notice to Improve #(\d+)", out)
    assert action_id is not None
    code, out = invoke("case", "show", holiday_pupil, "--format", "json")
    support = {s["title"]: s["status_words"] for s in json.loads(out)["support"]}
    assert support == {
        "Mentoring": "offered on 2025-09-22 by Ann Lee, Attendance Lead",
        "Early help": "planned",
    }
    from pypdf import PdfReader

    pdf = tmp_path / "nti.pdf"
    invoke("letters", "nti", action_id.group(1), "--out", str(pdf))
    text = flat(" ".join(page.extract_text() for page in PdfReader(pdf).pages))
    assert "Mentoring" in text and "Early help" not in text


def test_legal_notices_name_only_people_on_file(
    session: Session, engine, holiday_pupil: str
) -> None:
    """Issue 9 item 3: a contact with parental responsibility (by id or exact name) or a
    recorded carer; anyone else is refused with the list of who may be named."""
    from sqlalchemy import select
    from sqlmodel import col

    from cases.models import LegalAction
    from school.models import Contact

    invoke = door(engine)
    invoke("case", "open", holiday_pupil, *BY, "--reason", "Holiday refused, taken anyway")
    invoke("case", "no-support", holiday_pupil, *BY, "--reason", "Unauthorised term-time holiday")
    ids = {c.name: c.id for c in session.scalars(select(Contact))}
    code, out = invoke("legal", "request-pn", holiday_pupil, "--parent", "Mrs Smyth", *BY)
    assert code == 1 and "'Mrs Smyth' is not a contact of Pupil1 Test on file" in out
    assert f"contact {ids['Parent 1']} Parent 1 (Mother)" in out
    assert f"contact {ids['Second Parent']} Second Parent (Father)" in out
    assert "Gran Test" not in out.split("Eligible:")[1]
    code, out = invoke("legal", "nti", holiday_pupil, "--parent", "Gran Test", *BY)
    assert code == 1 and "Gran Test (Grandmother) is on file without parental responsibility" in out
    code, out = invoke("legal", "nti", holiday_pupil, "--parent", str(ids["Gran Test"]), *BY)
    assert code == 1 and "without parental responsibility" in out

    # By contact id; a second request typed differently is the same person, so refused.
    code, out = invoke("legal", "request-pn", holiday_pupil, "--parent", str(ids["Parent 1"]), *BY)
    assert code == 0, out
    code, out = invoke("legal", "request-pn", holiday_pupil, "--parent", " parent  1 ", *BY)
    assert code == 1 and "a penalty notice to Parent 1 for Pupil1 Test is already requested" in out

    # A carer with day-to-day care, recorded with who and why, may then be named.
    code, out = invoke(
        "case", "carer", holiday_pupil, "--name", "Aunt Jo Test", *BY,
        "--reason", "Pupil lives with her aunt during the week",
    )  # fmt: skip
    assert code == 0 and "Recorded Aunt Jo Test as a carer" in out
    code, out = invoke("legal", "request-pn", holiday_pupil, "--parent", "aunt jo test", *BY)
    assert code == 0, out
    rows = session.scalars(select(LegalAction).order_by(col(LegalAction.id))).all()
    assert [(r.parent_name, r.parent_contact_id, r.parent_carer_id is not None) for r in rows] == [
        ("Parent 1", ids["Parent 1"], False),
        ("Aunt Jo Test", None, True),
    ]
    code, out = invoke("case", "carer", holiday_pupil, "--name", " ", *BY, "--reason", "x")
    assert code == 1 and "--name" in out


def test_a_case_is_given_a_key_worker_by_name_and_position(engine, holiday_pupil: str) -> None:
    invoke = door(engine)
    invoke("case", "open", holiday_pupil, *BY, "--reason", "Holiday refused, taken anyway")
    code, out = invoke("case", "key-worker", holiday_pupil, "--name", "Jo Bloggs", *BY)
    assert code == 1 and 'must be "Name, Position"' in out
    code, out = invoke(
        "case", "key-worker", holiday_pupil, "--name", "Jo  Bloggs, Head of Year 8", *BY,
        "--format", "json",
    )  # fmt: skip
    assert code == 0 and json.loads(out)["case"]["key_worker"] == "Jo Bloggs, Head of Year 8"
    code, out = invoke("case", "show", holiday_pupil, "--format", "json")
    history = json.loads(out)["history"]
    assert history[-1]["trigger"] == "key_worker"
    assert history[-1]["reason"] == "key worker: Jo Bloggs, Head of Year 8"
    assert history[-1]["actor_name"] == "Ann Lee"


def test_legal_list_shows_notices_and_the_refusals_with_their_rule(
    engine, holiday_pupil: str
) -> None:
    invoke = door(engine)
    code, out = invoke("legal", "nti", holiday_pupil, "--parent", "Parent 1", *BY)
    assert code == 1 and "has no open attendance case" in out
    code, out = invoke("legal", "list", "--school", "emmanuel-middle", "--format", "json")
    assert code == 0, out
    listed = json.loads(out)
    assert listed["actions"] == []
    (refusal,) = listed["refusals"]
    assert refusal["kind"] == "notice_to_improve" and refusal["parent"] == "Parent 1"
    assert refusal["upn"] == holiday_pupil and refusal["asked_by"] == "Ann Lee, Attendance Lead"
    assert "support must be offered first" in refusal["reason"]
    invoke("case", "open", holiday_pupil, *BY, "--reason", "Holiday refused, taken anyway")
    invoke("case", "no-support", holiday_pupil, *BY, "--reason", "Term-time holiday")
    code, out = invoke("legal", "nti", holiday_pupil, "--parent", "Parent 1", *BY)
    assert code == 0, out
    code, out = invoke("legal", "list", "--school", "emmanuel-middle", "--upn", holiday_pupil)
    assert code == 0 and "1 legal actions and 1 refusals at emmanuel-middle." in out
    assert "Refused notice to improve to Parent 1" in out  # the table's cells may wrap
    code, out = invoke("legal", "list", "--school", "emmanuel-middle", "--format", "json")
    (action,) = json.loads(out)["actions"]
    assert action["state"] == "improvement_period" and action["next_step"] == "Outcome due"
    assert action["upn"] == holiday_pupil and action["next_on"] is not None
    code, out = invoke("legal", "list", "--school", "emmanuel-middle", "--upn", upn(9))
    assert code == 1 and f"no pupil {upn(9)}" in out

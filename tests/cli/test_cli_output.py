"""Output for people and for programs (issue 9 item 10): every command fits 80 columns, prints
no Python reprs, and its --format json parses with exactly the keys docs/cli-json.md lists."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlmodel import Session, col
from typer.testing import CliRunner

from cases.models import CaseAction, CaseProposal, LegalAction
from chase.models import DslAlert, StaffTask
from cli.main import app
from school.register_csv import CONTACT_ADDRESS_COLUMNS, CONTACT_COLUMNS
from school.register_import import RegisterFiles, import_register
from tests.cases.test_daily_review import AUTUMN_1, D, Span, register, review, set_up
from tests.cases.test_daily_review import at as at_
from tests.chase_helpers import MONDAY, set_up_morning
from tests.cli.test_cli_cases import holiday_pupil
from tests.register_files import pupil_row, upn, write_csv

runner = CliRunner()
ROOT = Path(__file__).resolve().parents[2]
BY = ("--by", "Ann Lee, Attendance Lead")
# What a Python object looks like when printed by mistake: datetime.date(…), Proposal(id=…),
# <Foo object at 0x…>, {'key': …} or ['a', 'b'].
__all__ = ["holiday_pupil"]  # the fixture: a refused holiday taken anyway (spec §8.1)
REPR = re.compile(r"datetime\.|\b[A-Z]\w*\(\w+=|object at 0x|\{'\w+': |\['\w+', ")


def documented_keys() -> dict[str, set[str]]:
    """Each command's top-level JSON keys, read from the table in docs/cli-json.md."""
    keys: dict[str, set[str]] = {}
    for line in (ROOT / "docs" / "cli-json.md").read_text(encoding="utf-8").splitlines():
        cells = line.split(" | ")
        shape = re.match(r"`(\{.*?\})`", cells[1]) if len(cells) > 1 else None
        if not line.startswith("| `") or shape is None:
            continue
        for command in re.findall(r"`([^`]+)`", cells[0]):
            keys[command] = _top_level(shape.group(1)[1:-1])
    return keys


def _top_level(inner: str) -> set[str]:
    """`a, b: {c, d}, e: [<row>]` → {a, b, e}: the keys outside any brackets."""
    found, depth, part = set(), 0, ""
    for char in inner + ",":
        depth += (char in "{[<") - (char in "}]>")
        if char == "," and depth == 0:
            found.add(part.split(":")[0].strip())
            part = ""
        else:
            part += char
    return found


DOCUMENTED = documented_keys()


def check_for_people(output: str) -> None:
    lines = output.splitlines()
    assert lines, "nothing printed"
    too_wide = [line for line in lines if len(line) > 80]
    assert not too_wide, "\n".join(too_wide)
    assert not REPR.search(output), output


class Door:
    """The CLI on one database at COLUMNS=80: table output checked for width and reprs, JSON
    output parsed and checked against the documented keys."""

    def __init__(self, engine: Any = None) -> None:
        url = engine.url.render_as_string(hide_password=False) if engine is not None else None
        self.db = ["--database", url] if url else []

    def run(self, *args: str, code: int = 0) -> Any:
        result = runner.invoke(app, [*self.db, *args])
        assert result.exit_code == code, result.output
        return result

    def table(self, *args: str, code: int = 0) -> str:
        out = str(self.run(*args, code=code).stdout)
        check_for_people(out)
        return " ".join(out.split())

    def json(self, command: str, *args: str, code: int = 0) -> Any:
        out = str(self.run(*command.split(), *args, "--format", "json", code=code).stdout)
        assert not REPR.search(out), out
        shown = json.loads(out)
        assert set(shown) == DOCUMENTED[command], (command, sorted(shown))
        return shown


@pytest.fixture(autouse=True)
def eighty_columns(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    monkeypatch.setenv("ATTENDANCE_OUTBOX_DIR", str(tmp_path / "outbox"))


def _today(monkeypatch: pytest.MonkeyPatch, when: datetime) -> None:
    from school import clock as clock_module

    monkeypatch.setattr(clock_module.SystemClock, "now", lambda self: when)


def test_every_command_is_documented() -> None:
    commands = {
        "case show", "case board", "case open", "case move", "case support", "case support-status",
        "case action", "case carer", "case no-support", "case send-considered", "case decide",
        "case confirm", "case skip", "case override", "letters render", "letters nti",
        "evidence", "chase", "task done", "alert ack", "absence", "init", "policy check",
        "demo-data", "review", "tasks", "alerts", "outbox", "watchdog",
    }  # fmt: skip
    assert commands <= set(DOCUMENTED), sorted(commands - set(DOCUMENTED))


DECLINING = [Span(*AUTUMN_1, 74, 8, "O"), Span(D("2025-11-03"), D("2025-11-13"), 18, 4, "O")]


def test_casework_at_a_primary_school_fits_80_columns_and_says_it_in_json(
    session: Session, engine: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Micklefield: three pupils whose reviews proposed Fast Track Letter 1, one doing well."""
    school = set_up(session, "micklefield")
    rows = {n: pupil_row(n, year=5, born="2015-03-10") for n in (1, 2, 3, 4)}
    spans: dict[int, Sequence[Span]] = {
        1: DECLINING,
        2: DECLINING,
        3: DECLINING,
        4: [Span(*AUTUMN_1, 74, 0)],
    }
    register(session, school, tmp_path / "register", spans, rows)
    home = ["12 Long Acre Road", "Flat 3", "Micklefield", "LS25 4AA"]
    parents = [
        [upn(n), k, name, relationship, "true", f"0770090{n}00{k}", email, *address]
        for n in (1, 2, 3, 4)
        for k, name, relationship, email, address in (
            (1, f"Zoë Ó Súilleabháin {n}", "mother", "", home),
            (2, f"Łukasz Wójcik {n}", "father", f"dad{n}@example.org", ["", "", "", ""]),
        )
    ]
    contacts = write_csv(tmp_path / "contacts.csv", (*CONTACT_COLUMNS, *CONTACT_ADDRESS_COLUMNS),
                         parents)  # fmt: skip
    import_register(session, school, RegisterFiles(contacts=contacts), at_("2025-10-01"))
    review(session, school, "2025-10-24")
    review(session, school, "2025-11-13")
    _today(monkeypatch, datetime(2025, 11, 14, 8, 0, tzinfo=UTC))
    door, at = Door(engine), ["--school", school]
    proposals = session.scalars(
        select(CaseProposal)
        .where(col(CaseProposal.status) == "proposed")
        .order_by(col(CaseProposal.id))
    ).all()
    assert len(proposals) >= 3
    first, second, third = (str(p.id) for p in proposals[:3])

    # The cases board, as the web app's: every open case, the proposals waiting.
    board = door.json("case board", *at)
    assert board["shown"] == board["total"] == len(board["cases"]) >= 3
    assert sorted(p["id"] for p in board["proposals"]) == sorted(int(p.id) for p in proposals)
    assert door.json("case board", *at, "--year", "4")["cases"] == []
    said = door.table("case", "board", *at)
    assert f"{board['total']} open cases at micklefield" in said and "Proposals to decide" in said
    refused = door.run("case", "board", *at, "--flag", "wizard", code=1)
    assert "filter by send, fsm, social_worker, looked_after only" in refused.output

    said = door.table("case", "show", upn(1), *at)
    assert said.startswith(f"Pupil1 Test, Y5 ({upn(1)}): case ")
    assert "proposals to decide" in said and "Proposals to decide" in said
    shown = door.json("case show", upn(1), *at)
    assert shown["pupil"]["upn"] == upn(1)
    assert shown["counts"]["proposals_to_decide"] == sum(
        p["status"] == "proposed" for p in shown["proposals"]
    )
    assert shown["history"] and {"at", "to_stage", "reason"} <= set(shown["history"][0])
    wide = door.run("case", "show", upn(1), *at, "--wide").stdout
    assert "Trigger" in wide and "Trigger" not in door.run("case", "show", upn(1), *at).stdout

    assert "confirmed" in door.table("case", "confirm", first, *BY)
    again = door.json("case confirm", first, *BY)
    assert again["changed"] is False and again["proposal"]["status"] == "confirmed"
    skipped = door.json("case skip", second, *BY, "--reason", "Family moving next week")
    assert (skipped["changed"], skipped["proposal"]["decision_reason"]) == (
        True,
        "Family moving next week",
    )
    door.json("case override", third, *BY, "--reason", "Head spoke to the family")

    opened = door.json("case open", upn(4), *at, *BY, "--reason", "Asked for by the SENCo")
    assert opened["case"]["stage"] == "expect"
    assert "now at" in door.table("case", "move", upn(4), *at, "--to", "monitor", *BY,
                                  "--reason", "Watching closely")  # fmt: skip
    support = door.json("case support", upn(4), *at, "--kind", "mentoring",
                        "--title", "Weekly mentoring with Mr Hale", *BY)  # fmt: skip
    item = str(support["action"]["id"])
    assert support["action"]["support_status"] == "planned"
    assert "offered on 2025-11-12" in door.table(
        "case", "support-status", item, "--status", "offered", "--on", "2025-11-12", *BY
    )
    door.table("case", "support", upn(4), *at, "--kind", "meeting", "--title", "Meeting", *BY)
    meeting = session.scalars(select(CaseAction).where(col(CaseAction.title) == "Meeting")).one()
    done = door.json("case action", str(meeting.id), "--status", "attended", *BY)
    assert done["action"]["status"] == "attended"
    carer = door.json("case carer", upn(4), *at, "--name", "Gran Four", *BY,
                      "--reason", "Lives with her grandmother")  # fmt: skip
    assert carer["carer"]["name"] == "Gran Four"
    door.table("case", "send-considered", upn(4), *at, *BY, "--note", "No SEND needs")
    assert (
        door.json("case no-support", upn(4), *at, *BY, "--reason", "Holiday")["case"][
            "support_not_appropriate"
        ]
        == "Holiday"
    )

    letter = session.scalars(select(CaseAction).where(col(CaseAction.kind) == "letter")).first()
    assert letter is not None
    door.table("letters", "render", str(letter.id), "--out", str(tmp_path / "l.html"))
    rendered = door.json("letters render", str(letter.id), "--out", str(tmp_path / "l.pdf"))
    assert rendered["letters"] and "html" not in rendered["letters"][0]
    assert Path(rendered["letters"][0]["file"]).exists()
    assert "Wrote" in door.table("evidence", *at, upn(1), "--out", str(tmp_path / "e.pdf"))
    pack = door.json("evidence", *at, upn(1), "--out", str(tmp_path / "e.pdf"))
    assert (pack["upn"], pack["bytes"] > 1000) == (upn(1), True)
    door.table("review", *at, "--date", "2025-11-13")
    door.json("review", *at, "--date", "2025-11-13")
    door.table("stats", *at, "--as-of", "2025-11-14")


def test_a_notice_to_improve_and_its_letter_at_a_middle_school(
    session: Session, engine: Any, school: str, holiday_pupil: str, tmp_path: Path
) -> None:
    """Emmanuel Middle: a refused holiday taken anyway, the case at enforce (spec §8.1)."""
    pupil = holiday_pupil
    door, at = Door(engine), ["--school", school]
    door.run("case", "open", *at, pupil, *BY, "--reason", "Holiday refused, taken anyway")
    door.run("case", "no-support", *at, pupil, *BY, "--reason", "Unauthorised holiday")
    door.run("case", "move", *at, pupil, "--to", "enforce", *BY, "--reason", "Threshold met")
    door.run("legal", "nti", *at, pupil, "--parent", "Parent 1", *BY, "--weeks", "4")
    notice = session.scalars(select(LegalAction)).one()

    said = door.table("letters", "nti", str(notice.id), "--out", str(tmp_path / "nti.pdf"))
    assert said.startswith(f"Wrote {tmp_path / 'nti.pdf'}: to ")
    again = door.json("letters nti", str(notice.id), "--out", str(tmp_path / "nti.html"))
    assert [letter["legal_action_id"] for letter in again["letters"]] == [notice.id]
    shown = door.table("case", "show", *at, pupil)
    assert "Legal actions" in shown and "notice to improve" in shown
    case = door.json("case show", *at, pupil)
    assert case["counts"]["legal_actions"] == len(case["legal_actions"]) == 1
    assert case["counts"]["letters"] == len(case["letters"]) >= 1


def test_a_secondary_morning_chase_fits_80_columns_and_says_it_in_json(
    session: Session, engine: Any, tmp_path: Path
) -> None:
    """KTS Academy: two Year 10 pupils absent with nobody saying why, one in school."""
    school = "kts-academy"
    pupils: dict[int, dict[str, object]] = {1: {"year": 10}, 2: {"year": 10, "present": True},
                                            3: {"year": 11}}  # fmt: skip
    set_up_morning(session, school, tmp_path, pupils)
    door, at, on = Door(engine), ["--school", school], ["--date", str(MONDAY)]
    absent = door.json("absence", *at, "--upn", upn(3), *on, "--reason", "Dentist, back at 11",
                       "--by", "Jo Office, Receptionist", "--session", "AM")  # fmt: skip
    assert [r["session"] for r in absent["reported"]] == ["AM"]
    said = door.table("chase", *at, *on, "--simulate")
    assert said.startswith("KTS Academy, Monday: 1 pupils chased; ")  # pupil 3 was reported
    assert "DSL ALERT" in said

    door.table("tasks", *at, *on)
    door.json("tasks", *at, *on)
    task = session.scalars(select(StaffTask).order_by(col(StaffTask.id))).first()
    assert task is not None
    done = door.json("task done", str(task.id), "--outcome", "no_answer", *BY,
                     "--note", "Rang twice")  # fmt: skip
    assert (done["task"]["outcome"], [n["text"] for n in done["notes"]]) == (
        "no_answer", ["Rang twice"],
    )  # fmt: skip
    assert "Task" in door.table("task", "done", str(task.id), "--outcome", "no_answer", *BY)
    door.table("alerts", *at)
    door.json("alerts", *at)
    alert = session.scalars(select(DslAlert)).one()
    acked = door.json("alert ack", str(alert.id), *BY, "--note", "Police asked to visit")
    assert acked["alert"]["acknowledged_by"] == "Ann Lee, Attendance Lead"
    said = door.table("alert", "ack", str(alert.id), "--by", "Sam Head, Headteacher",
                      "--note", "Seen at home, safe")  # fmt: skip
    assert "acknowledged by Ann Lee, Attendance Lead" in said and "2 notes" in said
    door.table("outbox", *at)
    door.json("outbox", *at)
    door.table("absence", *at, "--upn", upn(1), *on, "--reason", "Ill", *BY)


def test_setting_up_a_school_fits_80_columns_and_says_it_in_json(
    engine: Any, tmp_path: Path
) -> None:
    door = Door(engine)
    policy = str(ROOT / "policies" / "st-john-bosco.toml")
    made = door.json("init", "--school", "st-john-bosco", "--policy", policy)
    assert (made["created"], made["school_id"]) == (True, "st-john-bosco")
    assert engine.url.password is None or str(engine.url.password) not in made["database"]
    assert door.table("init", "--school", "st-john-bosco", "--policy", policy).startswith(
        "Updated st-john-bosco in "
    )
    policies = sorted(str(p) for p in (ROOT / "policies").glob("*.toml"))
    assert door.table("policy", "check", *policies).startswith(
        f"{len(policies)} policy files checked: {len(policies)} ok, 0 not."
    )
    bad = tmp_path / "bad.toml"
    bad.write_text("policy_format = 1\n", encoding="utf-8")
    checked = door.json("policy check", policies[0], str(bad), code=1)
    assert [p["ok"] for p in checked["policies"]] == [True, False]
    assert checked["policies"][1]["problems"]
    out = tmp_path / "demo"
    written = door.json("demo-data", "--out", str(out), "--pupils", "5", "--until", "2025-09-12")
    assert (written["pupils"], written["first_date"]) == (5, "2025-09-04")
    assert "Wrote 5 pupils' register data" in door.table(
        "demo-data", "--out", str(out), "--pupils", "5", "--until", "2025-09-12"
    )


def test_every_command_has_a_one_line_summary() -> None:
    """The command list shows each docstring's first paragraph: it must be one sentence on one
    line, or `attendance --help` prints a summary broken mid-sentence."""
    import typer.main

    from cli.main import app

    def walk(command: Any, path: str) -> list[tuple[str, str]]:
        found = [(path, command.help or "")]
        # Typer vendors its own click, so a group is known by having commands.
        for name, sub in getattr(command, "commands", {}).items():
            found += walk(sub, f"{path} {name}")
        return found

    commands = walk(typer.main.get_command(app), "attendance")[1:]
    assert len(commands) > 40
    broken = [
        path
        for path, text in commands
        if not text
        or "\n" in text.strip().split("\n\n")[0]
        or not text.split("\n\n")[0].strip().endswith(".")
    ]
    assert broken == []

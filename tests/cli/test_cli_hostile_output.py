"""Hostile text in the data (issue 13 item 5): names, notes and policy names carrying rich
markup, emoji codes and terminal escapes are shown literally by every command, never obeyed,
never a crash. Data that arrived before input was checked (or typed by staff) is still data."""

from __future__ import annotations

import re
from datetime import UTC, datetime, time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import update
from sqlmodel import Session, col, select
from typer.testing import CliRunner

from cases.models import AttendanceCase
from chase.models import DslAlert, Note, StaffTask
from cli.literal import styled, visible
from cli.main import app
from notifications.models import OutboxMessage
from school.models import Contact, Pupil, School
from tests.chase_helpers import MONDAY, set_up_morning
from tests.cli.test_cli_output import check_for_people
from tests.register_files import upn

runner = CliRunner()
ROOT = Path(__file__).resolve().parents[2]
# Markup that closes nothing (crashed rich), markup that would restyle, an emoji code, and a
# terminal escape that would turn the screen red.
HOSTILE = "[/] [bold]:100: \x1b[31m"
SHOWN = "[/] [bold]:100: \\x1b[31m"
MORNING = datetime.combine(MONDAY, time(9, 0), tzinfo=UTC)
BY = ("--by", "Ann [/] Lee :100:, Attendance Lead")
# Printable hostility only: what a person can still type once control characters are refused.
TYPED = "[/] [bold]:100:"


def test_text_is_shown_as_it_is() -> None:
    assert visible("Zoe [/] Smith") == "Zoe [/] Smith"
    assert visible("a\x1b[31mb\x07\x00\x7f\x9b\u202ec") == "a\\x1b[31mb\\x07\\x00\\x7f\\x9b\\u202ec"
    assert visible("two\nlines\tand a tab") == "two\nlines\tand a tab"
    line = styled(("#1", "bold"), f" Zoe {HOSTILE}")
    assert line.plain == f"#1 Zoe {SHOWN}"


def squashed(text: str) -> str:
    return re.sub(r"[\s│┃]", "", text)


def shows(output: str, *texts: str) -> bool:
    return all(squashed(text) in output for text in texts)


class Door:
    def __init__(self, engine: Any) -> None:
        self.db = ["--database", engine.url.render_as_string(hide_password=False)]

    def run(self, *args: str, code: int = 0) -> Any:
        result = runner.invoke(app, [*self.db, *args])
        assert result.exit_code == code, result.output
        assert result.exception is None or isinstance(result.exception, SystemExit)
        for out in (result.stdout, result.stderr):
            assert "\x1b" not in out and "💯" not in out, out
        return result

    def table(self, *args: str, code: int = 0) -> str:
        """What a person sees, without the spaces and rules that wrap and fold it."""
        out = str(self.run(*args, code=code).stdout)
        check_for_people(out)
        return squashed(out)

    def json(self, *args: str) -> str:
        return str(self.run(*args, "--format", "json").stdout)


def _hostile_names(session: Session, school: str) -> None:
    """Every pupil, contact and the school itself named with hostile text, as if imported
    before names were checked."""
    session.execute(update(School).values(name=f"School {HOSTILE}"))
    family = col(Pupil.family_name) + " [/]"
    session.execute(update(Pupil).values(given_name=f"Zoe {HOSTILE}", family_name=family))
    session.execute(update(Contact).values(name=f"Mum {HOSTILE}"))
    session.commit()


def _hostile_message(session: Session, school: str) -> None:
    """A text the engine wrote to a hostile name, which staff must look at."""
    session.add(
        OutboxMessage(idempotency_key="hostile", school_id=school, recipient_label=f"Mum {HOSTILE}",
                      channel="sms", to="+447700900123", template="first_contact",
                      text=f"Dear Mum {HOSTILE}", status="unknown", flagged_for_staff=True,
                      next_attempt_at=MORNING, created_at=MORNING)
    )  # fmt: skip
    session.commit()


@pytest.mark.parametrize(("school", "year"), [("kts-academy", 10), ("micklefield", 5)])
def test_every_command_shows_hostile_names_and_notes_literally(
    session: Session, engine: Any, tmp_path: Path, school: str, year: int
) -> None:
    pupils: dict[int, dict[str, object]] = {
        1: {"year": year},
        2: {"year": year, "present": True},
        3: {"year": year, "flags": "social_worker"},
    }
    set_up_morning(session, school, tmp_path, pupils)
    _hostile_names(session, school)
    door, at, on = Door(engine), ["--school", school], ["--date", str(MONDAY)]

    door.run("absence", *at, "--upn", upn(2), *on, "--reason", f"Dentist {TYPED}", *BY,
             "--session", "PM")  # fmt: skip
    assert shows(door.table("chase", *at, *on, "--simulate"), f"Zoe {SHOWN}")
    door.json("chase", *at, *on)
    tasks = door.table("tasks", *at, *on, "--all")
    assert shows(tasks, f"Zoe {SHOWN}", f"Mum {SHOWN}")
    door.json("tasks", *at, *on)
    task = session.scalars(select(StaffTask).order_by(col(StaffTask.id))).first()
    assert task is not None
    done = door.table("task", "done", str(task.id), "--outcome", "no_answer", *BY,
                      "--note", f"Rang {TYPED}")  # fmt: skip
    assert "recorded" in done
    alert = session.scalars(select(DslAlert).order_by(col(DslAlert.id))).first()
    assert alert is not None
    door.table("alert", "ack", str(alert.id), *BY, "--note", f"Police {TYPED}")
    # A note stored with an escape in it (before control characters were refused).
    session.execute(update(Note).values(text=col(Note.text) + " \x1b[2J"))
    session.commit()
    alerts = door.table("alerts", *at, "--all")
    assert shows(alerts, f"Zoe {SHOWN}", f"Police {TYPED} \\x1b[2J")
    door.json("alerts", *at, "--all")
    assert shows(door.table("tasks", *at, *on, "--all"), f"Rang {TYPED} \\x1b[2J")
    _hostile_message(session, school)
    # Two narrow columns fold side by side, so the pieces are looked for one by one.
    outbox = door.table("outbox", *at, "--limit", "100")
    assert shows(outbox, "Dear Mum", "[/]", "[bold]:100:", "\\x1b[31m")
    assert "(check)" in door.table("outbox", *at, "--flagged")
    door.json("outbox", *at)

    pupil = upn(1)
    door.table("case", "open", pupil, *at, *BY, "--reason", f"Worried {TYPED}")
    door.table("case", "support", pupil, *at, "--kind", "mentoring", "--title", f"Mentor {TYPED}",
               *BY)  # fmt: skip
    door.table("case", "carer", pupil, *at, "--name", f"Gran {TYPED}", *BY, "--reason", TYPED)
    shown = door.table("case", "show", pupil, *at, "--wide")
    assert shows(shown, f"Zoe {SHOWN}", f"Mentor {TYPED}")
    door.json("case", "show", pupil, *at)
    case = session.scalars(select(AttendanceCase)).one()
    assert case.id is not None
    door.table("review", *at, *on)
    door.table("stats", *at, "--as-of", str(MONDAY), "--wide")
    door.table("duties", "list", *at, *on, "--wide")
    door.table("duties", "review", *at, *on)
    door.table("legal", "due", *at, *on, "--wide")
    said = door.table("evidence", *at, pupil, "--out", str(tmp_path / "e.pdf"))
    assert "Wrote" in said
    door.table("arrive", pupil, *at, "--at", "09:30", *on, *BY)


def test_errors_and_policies_show_hostile_text_literally(engine: Any, tmp_path: Path) -> None:
    door = Door(engine)
    policy = (ROOT / "policies" / "st-john-bosco.toml").read_text(encoding="utf-8")
    hostile = tmp_path / "hostile[bold].toml"
    hostile.write_text(policy.replace('name = "', 'name = "[/] [bold]:100: ', 1), encoding="utf-8")
    checked = door.table("policy", "check", str(hostile))
    assert shows(checked, TYPED, str(hostile))
    door.table("init", "--school", "st-john-bosco", "--policy", str(hostile))
    stats = door.table("stats", "--school", "st-john-bosco", "--as-of", "2025-09-10")
    assert shows(stats, f"{TYPED} St Chad")

    bad = tmp_path / "bad[b]:100:.toml"
    bad.write_text('policy_format = 1\n[school]\nname = ":100: [/]"\n', encoding="utf-8")
    refused = door.run("policy", "check", str(bad), code=1)
    assert shows(squashed(refused.stderr), f"{bad}: 10 problem(s)")

    unknown = door.run("tasks", "--school", ":100:[/]\x1b[31m", code=2)
    assert shows(squashed(unknown.stderr), "':100:[/]\\x1b[31m'")
    pupils = tmp_path / "pupils [b]:100:.csv"
    pupils.write_text("upn,given_name\n:100:,[/]\n", encoding="utf-8")
    bad_file = door.run("import", "--school", "st-john-bosco", "--pupils", str(pupils), code=1)
    assert shows(squashed(bad_file.stderr), "Refused; nothing was written:", f"{pupils.name}:1:")
    wrong = door.run("case", "show", ":100: [/]", "--school", "st-john-bosco", code=2)
    assert shows(squashed(wrong.stderr), ":100: [/]")

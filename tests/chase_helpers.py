"""Setting up a school morning for chase tests, and a channel that records every send."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

from sqlalchemy import Engine, select
from sqlmodel import Session, col

from chase.models import WelfareCheck, WelfareCheckEvent
from notifications.message import (
    CLAIM_LOST,
    ChannelName,
    Delivery,
    LostSend,
    OutgoingMessage,
    SendGate,
    SendOutcome,
    Sighting,
)
from school.clock import SCHOOL_TIME_ZONE, FixedClock
from school.database import session_for
from school.policy_files import bundled_policy, load_policy
from school.register_import import RegisterFiles, import_register
from school.schools import LoadedSchool, load_school, set_up_school
from tests.conftest import CALENDAR
from tests.register_files import pupil_row, upn, write_contacts, write_marks, write_pupils

MONDAY = date(2026, 11, 23)  # a school day in GMT


def loaded(engine: Engine, school_id: str) -> LoadedSchool:
    """The school as a door hands it to the chase: read once."""
    with session_for(engine) as session:
        return load_school(session, school_id)


@dataclass
class RecordingChannel:
    """Accepts every message unless told to fail a recipient; counts sends per key."""

    name: ChannelName
    sent: Counter[str] = field(default_factory=Counter)
    recipients: list[str] = field(default_factory=list)
    fail: dict[str, Delivery] = field(default_factory=dict)  # recipient -> outcome

    async def send_many(self, messages: list[OutgoingMessage], gate: SendGate) -> list[SendOutcome]:
        outcomes = []
        for message in messages:
            if not gate.start(message):
                outcomes.append(CLAIM_LOST)
                continue
            self.sent[message.key] += 1
            self.recipients.append(message.to)
            delivery = self.fail.get(message.to, Delivery.SENT)
            provider = (
                f"SM{abs(hash(message.key)) % 10**12:012d}" if delivery is Delivery.SENT else None
            )
            outcomes.append(
                SendOutcome(delivery, provider, None if provider else "scripted failure")
            )
            gate.finish(message, outcomes[-1])
        return outcomes

    async def reconcile(self, lost: list[LostSend]) -> list[Sighting]:
        """Holds a message if it was sent, as a provider that can be asked would say."""
        return [
            Sighting(Delivery.SENT, (f"SM{abs(hash(one.message.key)) % 10**12:012d}",))
            if self.sent[one.message.key]
            else Sighting(Delivery.TRANSIENT, error="no such message")
            for one in lost
        ]


def channels() -> dict[str, RecordingChannel]:
    return {"sms": RecordingChannel("sms"), "email": RecordingChannel("email")}


def mobile(n: int, k: int = 1) -> str:
    return f"+4477009{k:02d}{n:03d}"


def set_up_morning(
    session: Session,
    school_id: str,
    folder: Path,
    pupils: dict[int, dict[str, object]],
    on: date = MONDAY,
    calendar_text: str | None = None,
    register: bool = True,
) -> None:
    """A school with the given pupils (year, flags, present, contacts, admitted, left) and
    today's marks.

    With `register` the AM register is taken as an MIS sends it: present pupils /, the others
    N (no reason yet); without it only the present pupils are marked.
    """
    clock = FixedClock(datetime(2026, 1, 1, tzinfo=UTC))
    set_up_school(session, school_id, load_policy(bundled_policy(school_id)),
                  calendar_text or CALENDAR.read_text(), "calendar.toml", clock)  # fmt: skip
    session.commit()
    folder.mkdir(parents=True, exist_ok=True)
    write_pupils(folder, [
        pupil_row(n, year=int(p["year"]), flags=str(p.get("flags", "")),  # type: ignore[call-overload]
                  admitted=str(p.get("admitted", "2025-09-01")), left=str(p.get("left", "")))
        for n, p in pupils.items()
    ])  # fmt: skip
    contacts = []
    for n, p in pupils.items():
        contacts.append(
            [upn(n), 1, f"Parent {n}", "mother", "true", mobile(n), f"parent{n}@example.org"]
        )
        if p.get("second_contact", True):
            contacts.append([upn(n), 2, f"Gran {n}", "grandmother", "false", mobile(n, 2), ""])
    write_contacts(folder, contacts)
    write_marks(
        folder,
        [
            [upn(n), on.isoformat(), "AM", "/" if p.get("present") else "N", ""]
            for n, p in pupils.items()
            if (p.get("present") or register) and _on_roll(p, on)
        ],
    )
    import_register(session, school_id, RegisterFiles.in_folder(folder), clock)


def _on_roll(pupil: dict[str, object], on: date) -> bool:
    admitted, left = str(pupil.get("admitted", "2025-09-01")), str(pupil.get("left", ""))
    return admitted <= on.isoformat() and (not left or left >= on.isoformat())


def local(on: date, hhmm: str) -> datetime:
    hours, minutes = hhmm.split(":")
    return datetime(on.year, on.month, on.day, int(hours), int(minutes), tzinfo=SCHOOL_TIME_ZONE)


def check_for(session: Session, school_id: str, n: int) -> WelfareCheck | None:
    from school.models import Pupil

    return session.scalars(
        select(WelfareCheck).join(Pupil, col(Pupil.id) == WelfareCheck.pupil_id)
        .where(col(Pupil.upn) == upn(n), col(Pupil.school_id) == school_id)
    ).first()  # fmt: skip


def step_times(session: Session, check: WelfareCheck) -> list[tuple[str, str]]:
    """(local time, trigger) for each of a check's events, in order."""
    events = session.scalars(
        select(WelfareCheckEvent).where(col(WelfareCheckEvent.check_id) == check.id)
        .order_by(col(WelfareCheckEvent.id))
    )  # fmt: skip
    return [(f"{e.at.astimezone(SCHOOL_TIME_ZONE):%H:%M}", e.trigger) for e in events]


def fresh_session(engine: Engine) -> Session:
    return Session(engine, expire_on_commit=False)

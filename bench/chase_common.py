"""The chase benchmark's set-up and references: a local authority's schools and one morning's
register, the provider fakes in processes of their own, and the floor (the same emails and
texts sent straight to the fakes with aiosmtplib and the twilio SDK)."""

from __future__ import annotations

import asyncio
import multiprocessing
import re
import resource
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from email.message import EmailMessage
from email.policy import SMTP as SMTP_POLICY
from email.utils import formatdate, make_msgid
from multiprocessing.connection import Connection
from pathlib import Path
from random import Random
from time import perf_counter
from typing import Any

import aiosmtplib
from sqlalchemy import Engine, create_engine, insert, text
from sqlalchemy.engine import make_url

from chase.models import ReportedAbsence
from school.clock import FixedClock
from school.database import make_engine, migrate, session_for
from school.policy_files import parse_policy
from school.pupil_flags import PUPIL_FLAGS
from school.schools import set_up_school
from school.tables import CONTACTS, MARKS, PUPILS
from school.upn import make_upn

ROOT = Path(__file__).resolve().parent.parent
POLICY_PATH = ROOT / "policies" / "emmanuel-middle.toml"
CALENDAR_PATH = ROOT / "policies" / "calendars" / "england-2025-27.toml"
POLICY_SCHOOL = "emmanuel-middle"
MONDAY = date(2026, 11, 23)  # a school day, in GMT
DSL_EMAIL = "dsl@example.org"
SENDER = "Attendance Office <attendance@la.example>"
DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/attendance_bench_chase"
REPORTED = ReportedAbsence.__table__  # type: ignore[attr-defined]
# The engine's chase tables, emptied between runs (reported_absence is set-up, kept).
CHASE_TABLES = (
    "welfare_check_event",
    "note",
    "staff_task",
    "outbox_message",
    "dsl_alert",
    "delivery_report",
    "parent_reply",
    "welfare_check",
)

_GIVEN = ("Amelia", "Olivia", "Isla", "Ava", "Noah", "Oliver", "Leo", "Muhammad", "Freya", "Zoe")
_FAMILY = ("Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Khan", "Patel", "Evans")


def school_ids(count: int) -> list[str]:
    return [f"la-school-{n:03d}" for n in range(1, count + 1)]


def la_policy_text(school_id: str) -> str:
    """Emmanuel Middle's policy as another school, with an email for the DSL (so the 10:00
    alerts are sent as well as stored)."""
    policy = POLICY_PATH.read_text(encoding="utf-8")
    replacements = (
        (rf'^id = "{POLICY_SCHOOL}"$', f'id = "{school_id}"'),
        (
            r'^dsl = \{ role = "Designated Safeguarding Lead" \}$',
            f'dsl = {{ role = "Designated Safeguarding Lead", email = "{DSL_EMAIL}" }}',
        ),
    )
    for pattern, replacement in replacements:
        policy, found = re.subn(pattern, replacement, policy, flags=re.MULTILINE)
        if found != 1:
            raise ValueError(f"{POLICY_PATH}: expected exactly one line matching {pattern}")
    return policy


def max_rss_mib() -> float:
    """This process's peak resident memory so far (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# ---------------------------------------------------------------------------------------------
# The database and the local authority's morning.


def recreate_database(url: str) -> Engine:
    """A fresh, migrated database: PostgreSQL dropped and created, an SQLite file deleted."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database:
            for suffix in ("", "-wal", "-shm"):
                Path(parsed.database + suffix).unlink(missing_ok=True)
    else:
        name = parsed.database
        if not name or not re.fullmatch(r"[a-z0-9_]+", name):
            raise ValueError(f"refusing to recreate a database named {name!r}")
        admin = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
    engine = make_engine(url)
    migrate(engine)
    return engine


@dataclass
class Expected:
    """What the set-up made, and so what the engine must do with it."""

    schools: list[str]
    pupils: int = 0
    contacts: int = 0
    present: int = 0
    reported: int = 0
    unexplained: int = 0
    sms_0900: int = 0  # texts to every parent with parental responsibility of each check
    email_0900: int = 0
    with_others: int = 0  # checks whose pupil has a second contact (a call_others task)
    social_worker: int = 0  # checks whose pupil has a social worker (a "tell them" task)
    mobiles: set[str] = field(default_factory=set)  # the 09:00 texts' recipients
    emails: set[str] = field(default_factory=set)  # the 09:00 emails' recipients

    @property
    def alerts_1000(self) -> int:
        return self.unexplained  # nobody answers: every check reaches the DSL at 10:00


@dataclass
class _Rows:
    pupils: list[tuple[Any, ...]] = field(default_factory=list)
    contacts: list[tuple[Any, ...]] = field(default_factory=list)
    marks: list[tuple[Any, ...]] = field(default_factory=list)
    reported: list[tuple[Any, ...]] = field(default_factory=list)


_PUPIL_COLUMNS = (
    "id",
    "school_id",
    "upn",
    "given_name",
    "family_name",
    "date_of_birth",
    "year_group",
    "admission_date",
    "leaving_date",
    *PUPIL_FLAGS,
)
_CONTACT_COLUMNS = (
    "id",
    "pupil_id",
    "priority",
    "name",
    "relationship",
    "parental_responsibility",
    "mobile",
    "email",
)
_MARK_COLUMNS = ("id", "pupil_id", "date", "session", "code", "minutes_late")
_REPORTED_COLUMNS = (
    "id",
    "pupil_id",
    "date",
    "session",
    "reason",
    "suggested_code",
    "source",
    "recorded_by",
    "recorded_at",
)


class _Ids:
    def __init__(self) -> None:
        self.pupil = self.contact = self.mark = self.reported = 0


def _school_rows(
    number: int, school_id: str, pupils: int, ids: _Ids, expected: Expected, seed: int
) -> _Rows:
    """One school: ~5% absent, half of them with a reason already given, half unexplained."""
    rng = Random(seed * 100_003 + number)
    absent = round(pupils * 0.05)
    chosen = rng.sample(range(pupils), absent)
    reported = set(chosen[: absent // 2])
    unexplained = set(chosen[absent // 2 :])
    reported_at = datetime(2026, 11, 23, 7, 50, tzinfo=UTC)
    rows = _Rows()
    for n in range(pupils):
        ids.pupil += 1
        pupil_id = ids.pupil
        year_group = 5 + n % 4
        born = date(2026 - year_group - 5, 9, 1) + timedelta(days=rng.randrange(365))
        social_worker = rng.random() < 0.02
        flags = {flag: False for flag in PUPIL_FLAGS}
        flags["social_worker"] = social_worker
        flags["medical_need"] = rng.random() < 0.03
        flags["fsm"] = rng.random() < 0.2
        upn = make_upn(999, 2000 + number, 20 + n // 1000, n % 1000)
        given, family = rng.choice(_GIVEN), rng.choice(_FAMILY)
        rows.pupils.append(
            (
                pupil_id,
                school_id,
                upn,
                given,
                family,
                born,
                year_group,
                date(2025, 9, 3),
                None,
                *(flags[f] for f in PUPIL_FLAGS),
            )
        )
        # Mother first, with parental responsibility, a mobile and an email; half the pupils
        # have a second contact: a father (parental responsibility, mobile, email) or a
        # grandparent (mobile only, no parental responsibility).
        contacts = [("Mother", "mother", True, True)]
        if rng.random() < 0.5:
            contacts.append(
                ("Father", "father", True, True)
                if rng.random() < 0.5
                else ("Gran", "grandmother", False, False)
            )
        for priority, (title, relationship, responsible, has_email) in enumerate(contacts, 1):
            ids.contact += 1
            mobile = f"+447700{ids.contact:06d}"
            email = f"parent{ids.contact}@example.org" if has_email else None
            rows.contacts.append(
                (
                    ids.contact,
                    pupil_id,
                    priority,
                    f"{title} {family}",
                    relationship,
                    responsible,
                    mobile,
                    email,
                )
            )
            if n in unexplained and responsible:
                expected.sms_0900 += 1
                expected.mobiles.add(mobile)
                if email:
                    expected.email_0900 += 1
                    expected.emails.add(email)
        expected.contacts += len(contacts)
        if n in reported:
            ids.reported += 1
            rows.reported.append(
                (
                    ids.reported,
                    pupil_id,
                    MONDAY,
                    "AM",
                    "ill (parent phoned)",
                    "I",
                    "staff",
                    "office",
                    reported_at,
                )
            )
        elif n in unexplained:
            expected.with_others += len(contacts) > 1
            expected.social_worker += social_worker
        else:
            ids.mark += 1
            rows.marks.append((ids.mark, pupil_id, MONDAY, "AM", "/", None))
    expected.pupils += pupils
    expected.present += pupils - absent
    expected.reported += len(reported)
    expected.unexplained += len(unexplained)
    return rows


def set_up_la(engine: Engine, schools: int, pupils: int, seed: int = 1) -> Expected:
    """Schools through `set_up_school` (as `attendance init` would), then pupils, contacts,
    today's marks and reported absences in bulk (COPY on PostgreSQL, Core insert on SQLite)."""
    ids = school_ids(schools)
    calendar_text = CALENDAR_PATH.read_text(encoding="utf-8")
    clock = FixedClock(datetime(2026, 9, 1, tzinfo=UTC))
    with session_for(engine) as session:
        for school_id in ids:
            policy = parse_policy(la_policy_text(school_id), f"{POLICY_PATH} (as {school_id})")
            set_up_school(session, school_id, policy, calendar_text, str(CALENDAR_PATH), clock)
        session.commit()
    expected = Expected(schools=ids)
    counters = _Ids()
    if engine.dialect.name == "postgresql":
        raw = engine.raw_connection()
        try:
            cursor = raw.cursor()
            for number, school_id in enumerate(ids, 1):
                _copy(cursor, _school_rows(number, school_id, pupils, counters, expected, seed))
            for table in ("pupil", "contact", "attendance_mark", "reported_absence"):
                cursor.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"(SELECT COALESCE(MAX(id), 0) + 1 FROM {table}), false)"
                )
            cursor.close()
            raw.commit()
        finally:
            raw.close()
    else:
        with engine.begin() as conn:
            for number, school_id in enumerate(ids, 1):
                rows = _school_rows(number, school_id, pupils, counters, expected, seed)
                for core_table, columns, values in (
                    (PUPILS, _PUPIL_COLUMNS, rows.pupils),
                    (CONTACTS, _CONTACT_COLUMNS, rows.contacts),
                    (MARKS, _MARK_COLUMNS, rows.marks),
                    (REPORTED, _REPORTED_COLUMNS, rows.reported),
                ):
                    if values:
                        conn.execute(
                            insert(core_table),
                            [dict(zip(columns, v, strict=True)) for v in values],
                        )
    analyse(engine)
    return expected


def expected_for(schools: int, pupils: int, seed: int = 1) -> Expected:
    """What `set_up_la` made with these arguments, without writing anything (for --reuse)."""
    expected = Expected(schools=school_ids(schools))
    counters = _Ids()
    for number, school_id in enumerate(expected.schools, 1):
        _school_rows(number, school_id, pupils, counters, expected, seed)
    return expected


def _copy(cursor: Any, rows: _Rows) -> None:
    for table, columns, values in (
        ("pupil", _PUPIL_COLUMNS, rows.pupils),
        ("contact", _CONTACT_COLUMNS, rows.contacts),
        ("attendance_mark", _MARK_COLUMNS, rows.marks),
        ("reported_absence", _REPORTED_COLUMNS, rows.reported),
    ):
        with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in values:
                copy.write_row(row)


def analyse(engine: Engine) -> None:
    """Fresh planner statistics (PostgreSQL VACUUM ANALYZE, SQLite ANALYZE)."""
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))
    else:
        with engine.begin() as conn:
            conn.execute(text("ANALYZE"))


def reset_chase(engine: Engine) -> None:
    """Forget every check, event, task, message and alert: the morning starts again."""
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text(f"TRUNCATE {', '.join(CHASE_TABLES)} RESTART IDENTITY CASCADE"))
        else:
            # No AUTOINCREMENT here: emptied tables number their rows from 1 again.
            for table in CHASE_TABLES:
                conn.execute(text(f"DELETE FROM {table}"))


# ---------------------------------------------------------------------------------------------
# The fakes, each in a process of its own so it never competes with the engine for the GIL.


class FakeProcess:
    """A fake provider in a child process, driven through a pipe: count, records, reset."""

    def __init__(self, target: Callable[[Connection], None]) -> None:
        context = multiprocessing.get_context("spawn")
        self._conn, child = context.Pipe()
        self.process = context.Process(target=target, args=(child,), daemon=True)
        self.process.start()
        child.close()
        self.address: Any = self._conn.recv()

    def call(self, command: str) -> Any:
        self._conn.send(command)
        return self._conn.recv()

    def stop(self) -> None:
        if self.process.is_alive():
            self.call("stop")
        self.process.join(timeout=10)


_KEY_HEADER = re.compile(rb"^X-Attendance-Key: ?(.*?)\r?$", re.MULTILINE | re.IGNORECASE)


def email_key(raw: bytes) -> str | None:
    headers = raw.split(b"\r\n\r\n", 1)[0]
    found = _KEY_HEADER.search(headers)
    return found.group(1).decode() if found else None


def smtp_fake_main(conn: Connection) -> None:
    """aiosmtpd on 127.0.0.1; records are (key, recipient, received_at, client port)."""
    from tests.fakes.smtp import FakeSmtpServer

    server = FakeSmtpServer().start()
    conn.send(server.port)
    while True:
        command = conn.recv()
        if command == "count":
            conn.send(len(server.received))
        elif command == "records":
            conn.send(
                [
                    (email_key(r.raw), ",".join(r.rcpt_tos), r.received_at, r.peer[1])
                    for r in server.received
                ]
            )
        elif command == "reset":
            server.reset()
            conn.send(None)
        elif command == "rss":
            conn.send(max_rss_mib())
        elif command == "stop":
            server.stop()
            conn.send(None)
            return


def twilio_fake_main(conn: Connection) -> None:
    """The fake Messages API; records are (to, sid, HTTP status, received_at)."""
    from tests.fakes.twilio_api import FakeTwilio

    fake = FakeTwilio().start()
    conn.send((fake.base_url, fake.account_sid, fake.auth_token, fake.from_number))
    while True:
        command = conn.recv()
        if command == "count":
            conn.send(len(fake.messages))
        elif command == "records":
            conn.send([(m.to, m.sid, m.response_status, m.received_at) for m in fake.messages])
        elif command == "reset":
            fake.reset()
            conn.send(None)
        elif command == "rss":
            conn.send(max_rss_mib())
        elif command == "stop":
            fake.stop()
            conn.send(None)
            return


# ---------------------------------------------------------------------------------------------
# The floor: aiosmtplib sending the same emails straight to the same server.


@dataclass(frozen=True)
class FloorEmail:
    key: str
    to: str
    subject: str
    text: str
    html: str | None


def build_floor_email(email: FloorEmail) -> EmailMessage:
    """The same headers and parts the engine's channel writes, with the stdlib as it comes."""
    message = EmailMessage(policy=SMTP_POLICY)
    message["Subject"] = email.subject
    message["From"] = SENDER
    message["To"] = email.to
    message["Date"] = formatdate(usegmt=True)
    message["Message-ID"] = make_msgid(domain="la.example")
    message["X-Attendance-Key"] = f"floor:{email.key}"
    message.set_content(email.text)
    if email.html:
        message.add_alternative(email.html, subtype="html")
    return message


async def smtp_floor(
    host: str, port: int, emails: Sequence[FloorEmail], connections: int, prebuilt: bool
) -> float:
    """Seconds to send every email on `connections` reused connections (as the channel does:
    each connection takes the next message when it is free). `prebuilt`: the bytes are made
    before the clock starts, so only the SMTP conversation is timed; otherwise each message is
    built with the stdlib (EmailMessage, as_bytes) just before it is sent.

    `sendmail` with bytes, not `send_message`: aiosmtplib's send_message copies and flattens
    the message again, which more than doubles the cost of each message and is no floor."""
    raw = [build_floor_email(e).as_bytes() for e in emails] if prebuilt else []
    envelope_from = "attendance@la.example"
    start = perf_counter()
    pending: Iterator[int] = iter(range(len(emails)))

    async def worker() -> None:
        client = aiosmtplib.SMTP(
            hostname=host, port=port, start_tls=False, local_hostname="bench.la.example"
        )
        await client.connect()
        try:
            for index in pending:
                data = raw[index] if prebuilt else build_floor_email(emails[index]).as_bytes()
                await client.sendmail(envelope_from, [emails[index].to], data)
        finally:
            await client.quit()

    await asyncio.gather(*(worker() for _ in range(min(connections, len(emails)))))
    return perf_counter() - start


# ---------------------------------------------------------------------------------------------
# The floor for texts: the twilio SDK sending the same texts to the same fake, and both at once.


@dataclass(frozen=True)
class FloorText:
    to: str
    text: str


@dataclass(frozen=True)
class TwilioAccount:
    base_url: str
    account_sid: str
    auth_token: str
    from_number: str


async def twilio_floor(
    account: TwilioAccount, texts: Sequence[FloorText], concurrency: int
) -> float:
    """Seconds to send every text with the twilio SDK's own async client (aiohttp), at most
    `concurrency` in flight, the client made before the clock starts: the channel's shape."""
    from twilio.http.async_http_client import AsyncTwilioHttpClient
    from twilio.rest import Client

    http_client = AsyncTwilioHttpClient(timeout=10)
    client = Client(account.account_sid, account.auth_token, http_client=http_client,
                    environment={})  # fmt: skip
    client.api.base_url = account.base_url.rstrip("/")
    in_flight = asyncio.Semaphore(concurrency)

    async def send(text: FloorText) -> None:
        async with in_flight:
            await client.messages.create_async(to=text.to, from_=account.from_number,
                                               body=text.text)  # fmt: skip

    try:
        start = perf_counter()
        await asyncio.gather(*(send(text) for text in texts))
        return perf_counter() - start
    finally:
        await http_client.close()


async def step_floor(
    smtp: tuple[str, int, int],
    account: TwilioAccount,
    emails: Sequence[FloorEmail],
    texts: Sequence[FloorText],
    concurrency: int,
    prebuilt: bool,
) -> float:
    """Seconds to send a step's emails and texts straight to the fakes, both at once as the
    engine's channels do: emails on `smtp`'s (host, port, connections), texts `concurrency` at
    a time, on one event loop. Each part is timed from its own start (pre-built emails after
    their bytes are made); the step takes as long as the slower part."""
    host, port, connections = smtp
    jobs = []
    if emails:
        jobs.append(smtp_floor(host, port, emails, connections, prebuilt))
    if texts:
        jobs.append(twilio_floor(account, texts, concurrency))
    return max(await asyncio.gather(*jobs), default=0.0)

"""The kill test: a morning of the five seed schools, dispatched by a worker process to the
loopback Twilio and SMTP fakes, killed with SIGKILL at 20 seeded points mid-send and restarted.

Nothing may reach a parent twice, every unknown is shown to staff (`outbox --flagged`), and
every other message is delivered. A kill leaves the killed claim's sends without answers; the
next run asks the providers once the send lease and settle delay are over: Twilio lists what it
holds (found: recorded with its sid; not: sent), and an email is sent again with its own
Message-ID, which receivers keep once. So an email counts as sent twice only if one row reached
the sink under two Message-IDs, or twice with different words. Goal: at most one unknown a kill.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import select
from sqlmodel import Session
from typer.testing import CliRunner

from chase.plan import school_instant, step_times
from cli.main import app
from notifications.models import OutboxMessage
from school.database import make_engine, migrate
from school.policy_files import bundled_policy, load_policy
from tests.chase_helpers import MONDAY
from tests.fakes import FakeSmtpServer, FakeTwilio
from tests.faults.morning import set_up_schools

SEED = 20261123
KILLS = 20
ABSENT = 40  # pupils per school with no mark at register close
FLAGGED_JSON = ("--limit", "1000", "--format", "json")
SCHOOLS = ("emmanuel-middle", "st-john-bosco", "basildon-lower", "micklefield", "kts-academy")
ROOT = Path(__file__).resolve().parents[2]


def _instants() -> list[datetime]:
    """Every step time of every school, and the minutes after when a dead run's claims are
    settled (the claim lease, then the send lease), in order."""
    at: set[datetime] = set()
    for school in SCHOOLS:
        policy = load_policy(bundled_policy(school)).policy
        for when in step_times(policy, "AM"):
            step = school_instant(MONDAY, when)
            at |= {step + timedelta(minutes=m) for m in (0, 1, 2, 6, 12)}
    # ... and once more after the last, so a kill at the last minute is settled too.
    return sorted(at | {max(at) + timedelta(minutes=30)})


def _provider_count(twilio: FakeTwilio, smtp: FakeSmtpServer) -> int:
    return len(twilio.messages) + len(smtp.received)


def test_twenty_kills_mid_send_strand_only_sends_in_flight_and_send_none_twice(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path / 'morning.db'}"
    engine = make_engine(url)
    migrate(engine)
    set_up_schools(engine, tmp_path, SCHOOLS, ABSENT)

    rng = random.Random(SEED)
    progress = tmp_path / "progress"
    command = [sys.executable, "-m", "tests.faults.kill_worker", url, str(progress), *SCHOOLS]
    command += ["--", *(t.isoformat() for t in _instants())]
    kills = 0
    started = time.monotonic()
    with FakeTwilio() as twilio, FakeSmtpServer() as smtp:
        env = {**os.environ, **twilio.settings(), **smtp.settings()}
        while True:
            worker = subprocess.Popen(
                command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
            )
            assert worker.stdout is not None
            worker.stdout.readline()  # "ready": imports and set-up done, the morning starts
            # Kill once 1 to 8 more requests have reached the providers: mid-batch, with
            # other sends in flight on the Twilio threads and SMTP connections.
            target = _provider_count(twilio, smtp) + rng.randint(1, 8)
            while kills < KILLS and worker.poll() is None:
                if _provider_count(twilio, smtp) >= target:
                    os.kill(worker.pid, signal.SIGKILL)
                    kills += 1
                    break
                time.sleep(0.0005)
            _, errors = worker.communicate(timeout=120)
            if worker.returncode == 0:
                break
            assert worker.returncode == -signal.SIGKILL, errors.decode()[-3000:]
        seconds = time.monotonic() - started
        # Texts Twilio holds (a sid): a request cut short by the kill is refused (21604), not sent.
        texts = Counter((m.to, m.body) for m in twilio.messages if m.sid)
        emails = {str(r.message["Message-ID"]) for r in smtp.received}
        # One outbox row's copies: (Message-ID, words) - more than one version is a duplicate.
        versions: dict[str | None, set[tuple[str, str]]] = {}
        for r in smtp.received:
            words = str(r.message.get_body(("plain",)).get_content())  # type: ignore[union-attr]
            versions.setdefault(r.key, set()).add((str(r.message["Message-ID"]), words))
        resent = len(smtp.received) - len(versions)
        lists = len(twilio.list_requests)

    with Session(engine) as session:
        rows = list(session.scalars(select(OutboxMessage)))
    statuses = Counter(m.status for m in rows)
    unknown = [m for m in rows if m.status == "unknown"]
    duplicates = sum(n - 1 for n in texts.values()) + sum(len(v) - 1 for v in versions.values())
    print(
        f"\nkill test: {len(SCHOOLS)} schools, {len(rows)} messages, {kills} kills, "
        f"{len(unknown)} stranded (unknown: "
        f"{sum(m.channel == 'sms' for m in unknown)} sms, "
        f"{sum(m.channel == 'email' for m in unknown)} email), {duplicates} duplicates, "
        f"{resent} emails re-sent with their own Message-ID, {lists} Twilio list requests, "
        f"{seconds:.1f} s"
    )
    assert kills == KILLS, "the morning ended before every kill: give it more to send"
    assert duplicates == 0
    assert len(unknown) <= kills  # the goal: at most one a kill
    assert all(m.flagged_for_staff for m in unknown)
    assert lists > 0  # the texts left without answers were looked for at Twilio
    # Every other message was delivered, each exactly once, to the provider it was for.
    assert set(statuses) <= {"sent", "unknown"}
    sent = [m for m in rows if m.status == "sent"]
    assert len(sent) + len(unknown) == len(rows)
    assert {(m.to, m.text) for m in sent if m.channel == "sms"} <= set(texts)
    sent_ids = {m.provider_id for m in sent if m.channel == "email"}
    assert sent_ids <= set(emails)
    # ... and staff are shown every unknown one where they look.
    shown: set[int] = set()
    for school in SCHOOLS:
        result = CliRunner().invoke(
            app,
            ["--database", url, "outbox", "--school", school, "--flagged", *FLAGGED_JSON],
        )
        assert result.exit_code == 0, result.output
        shown |= {m["id"] for m in json.loads(result.stdout)["messages"]}
    assert {m.id for m in unknown} <= shown
    engine.dispose()

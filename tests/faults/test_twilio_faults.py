"""Twilio misbehaving through a simulated morning: 429 with Retry-After, 500s, an invalid number
and timeouts, against the loopback fake, which logs every request it gets.

A 429 waits as long as Twilio asks (never less than our own backoff); a 500 is retried with
growing delays and a bounded number of times, then fails and the chase moves on; error 21211
(not a valid number) fails at once, is never retried, is shown to staff, and the chase moves on
to the next contact. A request that times out is looked for in Twilio's message list at once
(found: sent, with its sid), and if Twilio cannot be asked then, again after the settle delay
(as after a crash), before it is ever called unknown.
"""

from __future__ import annotations

import asyncio
from datetime import time, timedelta
from pathlib import Path

from chase.plan import school_instant, step_times
from notifications.channels import SmtpEmailChannel, TwilioSmsChannel
from notifications.claims import RETRY_DELAYS
from notifications.message import Channel
from school.database import make_engine, migrate
from school.policy_files import bundled_policy, load_policy
from tests.chase_helpers import MONDAY, mobile
from tests.fakes import FakeSmtpServer, FakeTwilio
from tests.faults.morning import (
    duplicates,
    late_or_open,
    morning_minutes,
    outbox_rows,
    run_morning,
    set_up_schools,
    shown_to_staff,
    untold,
)

SCHOOLS = ("emmanuel-middle",)
ABSENT = 12
INVALID, RATE_LIMITED, FLAKY, BROKEN, SLOW, SLOW_UNLISTED = (mobile(n) for n in range(1, 7))
RETRY_AFTER = timedelta(seconds=150)  # longer than our first backoff (15 s) and a tick


def _channels(twilio: FakeTwilio, smtp: FakeSmtpServer) -> dict[str, Channel]:
    # A short timeout so the slow requests below time out quickly; all else as configured.
    sms = TwilioSmsChannel(
        twilio.account_sid,
        twilio.auth_token,
        twilio.from_number,
        base_url=twilio.base_url,
        timeout_s=1,
    )
    email = SmtpEmailChannel(smtp.host, smtp.port, "Office <office@school.example>")
    return {"sms": sms, "email": email}


def test_twilio_429_500_invalid_number_and_timeouts_through_a_morning(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'morning.db'}"
    engine = make_engine(url)
    migrate(engine)
    set_up_schools(engine, tmp_path, SCHOOLS, ABSENT)
    with FakeTwilio() as twilio, FakeSmtpServer() as smtp:
        twilio.fail(INVALID, code=21211)
        smtp.refuse("parent1@example.org", code=550)  # so no message reaches that parent
        twilio.fail(RATE_LIMITED, status=429, times=1, retry_after=str(RETRY_AFTER.seconds))
        twilio.fail(FLAKY, status=500, times=3)
        twilio.fail(BROKEN, status=503)
        twilio.hang(SLOW, seconds=2, times=1)
        twilio.hang(SLOW_UNLISTED, seconds=2, times=1)
        twilio.fail_lists(500, times=1)  # the first look for a timed-out text finds Twilio down
        channels = _channels(twilio, smtp)
        asyncio.run(run_morning(engine, SCHOOLS, channels, morning_minutes(SCHOOLS)))
        channels["sms"].close()  # type: ignore[attr-defined]
        requests = {n: len(twilio.messages_to(n)) for n in (INVALID, RATE_LIMITED, FLAKY, BROKEN)}
        slow = {n: twilio.messages_to(n) for n in (SLOW, SLOW_UNLISTED)}
        twice = duplicates(twilio, smtp)
        lists = len(twilio.list_requests)
        held = set(twilio.sids)

    rows = outbox_rows(engine)
    sms = {m.to: m for m in rows if m.channel == "sms" and m.template == "unexplained_absence"}
    problems = late_or_open(engine)
    unknown = [m for m in rows if m.status == "unknown"]
    shown = shown_to_staff(url, SCHOOLS)
    print(
        f"\ntwilio faults: {len(rows)} messages, requests {requests}, {lists} list requests, "
        f"{len(unknown)} unknown, {twice} duplicates, {len(problems)} checks late or open"
    )
    assert twice == 0
    assert problems == []
    assert untold(engine, url, SCHOOLS) == []

    # 21211: failed at the first answer, never retried, shown to staff with Twilio's reason...
    invalid = sms[INVALID]
    assert requests[INVALID] == 1 and invalid.status == "failed" and invalid.attempts == 1
    assert "21211" in str(shown[invalid.id or 0]["why"])
    # ... and, with that parent's email refused too, the chase went on to the next contact.
    assert any(m.to == mobile(1, 2) and m.status == "sent" for m in rows)

    # 429: sent on the second request, no sooner than Twilio asked.
    limited = sms[RATE_LIMITED]
    assert requests[RATE_LIMITED] == 2 and limited.status == "sent"
    first_step = school_instant(MONDAY, _first_step())
    assert limited.sent_at is not None and limited.sent_at >= first_step + RETRY_AFTER

    # 500 three times: retried with growing delays, sent on the fourth request.
    flaky = sms[FLAKY]
    assert requests[FLAKY] == 4 and flaky.status == "sent" and flaky.attempts == 4
    assert flaky.sent_at is not None
    assert flaky.sent_at >= first_step + sum(RETRY_DELAYS[:3], timedelta())

    # 503 every time: retried a bounded number of times, then failed and shown to staff.
    broken = sms[BROKEN]
    assert requests[BROKEN] == len(RETRY_DELAYS) + 1 and broken.status == "failed"
    assert broken.id in shown

    # Timeouts: one request each, found in Twilio's list (at once, or after the settle delay
    # when the first look failed), recorded with Twilio's sid: not sent twice, not unknown.
    for number, requests_made in slow.items():
        row = sms[number]
        assert len(requests_made) == 1 and row.status == "sent", (number, row.last_error)
        assert row.provider_id == requests_made[0].sid and row.provider_id in held
    assert lists >= 3
    assert unknown == []
    engine.dispose()


def _first_step() -> time:
    return min(step_times(load_policy(bundled_policy(SCHOOLS[0])).policy, "AM"))


def test_a_timed_out_text_twilio_cannot_be_asked_about_is_unknown_and_shown(
    tmp_path: Path,
) -> None:
    """Only when Twilio's list cannot be asked, at once or after the settle delay, is a
    timed-out text called unknown: flagged, shown to staff with why, and never sent again."""
    url = f"sqlite:///{tmp_path / 'morning.db'}"
    engine = make_engine(url)
    migrate(engine)
    set_up_schools(engine, tmp_path, SCHOOLS, 5)  # SLOW is the fifth pupil's parent
    with FakeTwilio() as twilio, FakeSmtpServer() as smtp:
        twilio.hang(SLOW, seconds=2, times=1)
        twilio.fail_lists(503)  # the list is down all morning
        channels = _channels(twilio, smtp)
        asyncio.run(run_morning(engine, SCHOOLS, channels, morning_minutes(SCHOOLS)))
        channels["sms"].close()  # type: ignore[attr-defined]
        requests, lists = twilio.messages_to(SLOW), len(twilio.list_requests)
        twice = duplicates(twilio, smtp)

    slow = next(m for m in outbox_rows(engine) if m.to == SLOW)
    shown = shown_to_staff(url, SCHOOLS)
    assert len(requests) == 1 and twice == 0
    assert lists == 2  # asked at once, and once more after the settle delay
    assert slow.status == "unknown" and slow.flagged_for_staff
    assert "twilio no reply" in str(shown[slow.id or 0]["why"])
    assert late_or_open(engine) == [] and untold(engine, url, SCHOOLS) == []
    engine.dispose()

"""Each school's chase schedules: the right local times, as cron lines, across clock changes."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from flows.deployments import catch_up_times, chase_schedule_times, school_crons
from school.policy import Policy
from school.policy_files import bundled_policy, load_policy, parse_policy

ROOT = Path(__file__).resolve().parents[2]
LONDON = ZoneInfo("Europe/London")
MONDAY = date(2026, 11, 23)
SEEDS = ["emmanuel-middle", "kts-academy", "basildon-lower", "micklefield", "st-john-bosco"]


def hhmm(text: str) -> list[time]:
    return [time.fromisoformat(t) for t in text.split()]


# Worked out by hand from each policy file: every register close and every step, resolved for
# every register window (anchors are that window's open/close and the reporting deadline).
EXPECTED_TIMES = {
    # AM closes 09:00; steps register_close, 09:00, 09:00, 09:30, 10:00.
    # PM closes 14:00; steps at close (x3), close + 30, close + 60.
    "emmanuel-middle": hhmm("09:00 09:30 10:00 14:00 14:30 15:00"),
    # AM closes 09:30, PM 13:20; steps at close, + 15, + 45, + 60 in both sessions.
    "kts-academy": hhmm("09:30 09:45 10:15 10:30 13:20 13:35 14:05 14:20"),
    # AM: Y9 closes 08:45, Y7/8 09:15. First-day calling "reporting_deadline (08:30) + 30 min,
    # not before register_close": Y9 09:00, Y7/8 09:15. Then close + 30, + 45, + 75:
    # Y9 09:15, 09:30, 10:00; Y7/8 09:45, 10:00, 10:30.
    # PM: Y9 closes 13:15, Y8 13:45, Y7 14:15; steps at close, + 15, + 30, + 60:
    # Y9 13:30, 13:45, 14:15; Y8 14:00, 14:15, 14:45; Y7 14:30, 14:45, 15:15.
    "basildon-lower": hhmm(
        "08:45 09:00 09:15 09:30 09:45 10:00 10:30 13:15 13:30 13:45 14:00 14:15 14:30 14:45 15:15"
    ),
    # AM closes 09:25, PM 13:45; steps at close, + 15, + 30, + 60.
    "micklefield": hhmm("09:25 09:40 09:55 10:25 13:45 14:00 14:15 14:45"),
    # AM closes 08:50, PM 13:05; steps at close (x2), + 15, + 30, + 60.
    "st-john-bosco": hhmm("08:50 09:05 09:20 09:50 13:05 13:20 13:35 14:05"),
}

EXPECTED_CRONS = {
    "emmanuel-middle": [
        ("deadlines-09-14", "0,30 9,14 * * 1-5"),
        ("deadlines-10-15", "0 10,15 * * 1-5"),
        ("catch-up-08-13", "40,45,50,55 8,13 * * 1-5"),
        ("catch-up-09-14", "5,10,15,20,25,35,40,45,50,55 9,14 * * 1-5"),
        ("catch-up-10-15", "5,10,15,20,25,30 10,15 * * 1-5"),
    ],
    "kts-academy": [
        ("deadlines-09", "30,45 9 * * 1-5"),
        ("deadlines-10", "15,30 10 * * 1-5"),
        ("deadlines-13", "20,35 13 * * 1-5"),
        ("deadlines-14", "5,20 14 * * 1-5"),
        ("catch-up-09", "10,15,20,25,35,40,50,55 9 * * 1-5"),
        ("catch-up-10", "0,5,10,20,25,35,40,45,50,55 10 * * 1-5"),
        ("catch-up-11", "0 11 * * 1-5"),
        ("catch-up-13", "0,5,10,15,25,30,40,45,50,55 13 * * 1-5"),
        ("catch-up-14", "0,10,15,25,30,35,40,45,50 14 * * 1-5"),
    ],
}


def seed(school_id: str) -> Policy:
    return load_policy(bundled_policy(school_id)).policy


@pytest.mark.parametrize("school_id", SEEDS)
def test_schedule_times_are_the_register_closes_and_steps(school_id: str) -> None:
    assert chase_schedule_times(seed(school_id)) == EXPECTED_TIMES[school_id]


def test_vulnerable_steps_get_their_own_ticks() -> None:
    policy_file = bundled_policy("emmanuel-middle")
    extra = """
[[chase.AM.vulnerable_step]]
action = "call_primary"
at = "register_close + 5 min"
contacts = "primary"

[[chase.AM.vulnerable_step]]
action = "alert_dsl"
at = "register_close + 20 min"
"""
    policy = parse_policy(policy_file.read_text() + extra, str(policy_file)).policy
    times = chase_schedule_times(policy)
    assert times == sorted(EXPECTED_TIMES["emmanuel-middle"] + hhmm("09:05 09:20"))


@pytest.mark.parametrize("school_id", SEEDS)
def test_catch_up_ticks_every_five_minutes_through_each_session(school_id: str) -> None:
    policy = seed(school_id)
    deadlines = set(chase_schedule_times(policy))
    catch_up = catch_up_times(policy)
    assert not deadlines & set(catch_up)  # one run per instant, never two
    for session in ("AM", "PM"):
        opens = min(w.opens for w in policy.registers if w.session == session)
        last = max(t for t in deadlines if (t.hour < 12) == (session == "AM"))
        end = (datetime.combine(date.today(), last) + timedelta(minutes=30)).time()
        grid = {t for t in catch_up + sorted(deadlines) if opens <= t <= end and t.minute % 5 == 0}
        minutes = [t.hour * 60 + t.minute for t in sorted(grid)]
        assert minutes[0] - (opens.hour * 60 + opens.minute) < 5
        assert minutes[-1] == end.hour * 60 + end.minute
        assert all(b - a == 5 for a, b in pairwise(minutes))


@pytest.mark.parametrize("school_id", sorted(EXPECTED_CRONS))
def test_cron_lines(school_id: str) -> None:
    assert school_crons(seed(school_id)) == EXPECTED_CRONS[school_id]


@pytest.fixture(scope="module")
def quiet_prefect_home(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """Prefect reads its home and telemetry switches when first imported."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PREFECT_HOME", str(tmp_path_factory.mktemp("prefect-home")))
        patch.setenv("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
        patch.setenv("DO_NOT_TRACK", "1")
        yield


def fire_times(cron: str, day: date) -> list[datetime]:
    """When Prefect's scheduler (the server's own CronSchedule) fires a cron on a day."""
    import asyncio

    from prefect.server.schemas.schedules import CronSchedule

    schedule = CronSchedule(cron=cron, timezone="Europe/London")
    start = datetime.combine(day, time(0, 0), tzinfo=LONDON)
    end = datetime.combine(day, time(23, 59), tzinfo=LONDON)
    return [d.astimezone(UTC) for d in asyncio.run(schedule.get_dates(start=start, end=end))]


# Mon 30 Mar 2026 is the first school morning in BST, Mon 26 Oct 2026 the first back in GMT.
@pytest.mark.parametrize(
    ("day", "nine_am"),
    [
        (date(2026, 3, 27), datetime(2026, 3, 27, 9, 0, tzinfo=UTC)),  # Friday before, GMT
        (date(2026, 3, 30), datetime(2026, 3, 30, 8, 0, tzinfo=UTC)),
        (date(2026, 10, 23), datetime(2026, 10, 23, 8, 0, tzinfo=UTC)),  # Friday before, BST
        (date(2026, 10, 26), datetime(2026, 10, 26, 9, 0, tzinfo=UTC)),
    ],
)
def test_nine_oclock_stays_nine_oclock_across_the_clock_change(
    quiet_prefect_home: None, day: date, nine_am: datetime
) -> None:
    slug, cron = school_crons(seed("emmanuel-middle"))[0]
    assert (slug, cron) == ("deadlines-09-14", "0,30 9,14 * * 1-5")
    assert fire_times(cron, day)[0] == nine_am


@pytest.mark.parametrize("day", [date(2026, 3, 30), date(2026, 10, 26)])
@pytest.mark.parametrize("school_id", SEEDS)
def test_every_tick_fires_at_its_local_time(
    quiet_prefect_home: None, school_id: str, day: date
) -> None:
    policy = seed(school_id)
    fired = [t for _, cron in school_crons(policy) for t in fire_times(cron, day)]
    local = sorted(t.astimezone(LONDON).time() for t in fired)
    assert local == sorted(chase_schedule_times(policy) + catch_up_times(policy))
    assert len(fired) == len(set(fired))


def test_no_ticks_at_the_weekend(quiet_prefect_home: None) -> None:
    for _, cron in school_crons(seed("basildon-lower")):
        assert fire_times(cron, date(2026, 3, 28)) == []  # Saturday
        assert fire_times(cron, date(2026, 3, 29)) == []  # Sunday, the clocks go forward


def test_deployments_for_every_seed_school(quiet_prefect_home: None) -> None:
    from prefect.client.schemas.objects import ConcurrencyLimitStrategy
    from prefect.client.schemas.schedules import CronSchedule

    from flows.deployments import deployments_for, review_time

    everything = deployments_for([bundled_policy(s) for s in SEEDS])
    deployments = [d for d in everything if d.flow_name == "morning-chase"]
    reviews = [d for d in everything if d.flow_name == "daily-review"]
    assert [d.name for d in deployments] == [d.name for d in reviews] == SEEDS
    for review in reviews:
        at = review_time(seed(review.name))
        assert [s.schedule.cron for s in review.schedules or []] == [  # type: ignore[union-attr]
            f"{at.minute} {at.hour} * * 1-5"
        ]
    for school_id, deployment in zip(SEEDS, deployments, strict=True):
        assert deployment.flow_name == "morning-chase"
        assert deployment.entrypoint == "flows.morning_chase.morning_chase"
        assert deployment.parameters == {"school_id": school_id}
        assert not deployment.paused
        assert deployment.schedules is not None
        schedules = [(s.slug, s.schedule) for s in deployment.schedules]
        assert all(isinstance(schedule, CronSchedule) for _, schedule in schedules)
        crons = [(slug, c.cron, c.timezone) for slug, c in schedules if isinstance(c, CronSchedule)]
        assert crons == [(slug, c, "Europe/London") for slug, c in school_crons(seed(school_id))]
        limit = deployment.concurrency_options
        assert deployment.concurrency_limit == 1
        assert limit is not None
        assert limit.collision_strategy == ConcurrencyLimitStrategy.CANCEL_NEW
        assert deployment.work_pool_name is None


def test_deployments_for_a_work_pool_do_not_stream_output(quiet_prefect_home: None) -> None:
    from flows.deployments import deployments_for

    for deployment in deployments_for([bundled_policy("kts-academy")], work_pool_name="attendance"):
        assert deployment.work_pool_name == "attendance"
        assert deployment.job_variables == {"stream_output": False}


def test_schedule_times_do_not_import_prefect() -> None:
    code = "import sys, flows.deployments; assert 'prefect' not in sys.modules"
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True)
    assert result.returncode == 0, result.stderr.decode()


@pytest.mark.parametrize(
    ("school_id", "expected"),
    [
        ("emmanuel-middle", time(15, 0)),  # afternoon register closes 14:00
        ("st-john-bosco", time(14, 5)),  # 13:05
        ("basildon-lower", time(15, 15)),  # Year 7's closes last, 14:15
        ("micklefield", time(14, 45)),  # 13:45
        ("kts-academy", time(14, 20)),  # 13:20
    ],
)
def test_daily_review_runs_an_hour_after_the_last_afternoon_register(
    school_id: str, expected: time
) -> None:
    from flows.deployments import review_time

    assert review_time(load_policy(bundled_policy(school_id)).policy) == expected


@pytest.mark.parametrize("school_id", SEEDS)
def test_the_watchdog_looks_every_five_minutes_between_the_chase_ticks(school_id: str) -> None:
    from flows.deployments import watchdog_times

    policy = seed(school_id)
    times = watchdog_times(policy)
    minutes = [t.hour * 60 + t.minute for t in times]
    assert all(m % 5 == 2 for m in minutes)  # 2 minutes after each catch-up tick
    assert all(b - a == 5 for a, b in pairwise(minutes))  # lunchtime included
    first_open = min(w.opens for w in policy.registers)
    assert (
        first_open
        <= times[0]
        < (datetime.combine(MONDAY, first_open) + timedelta(minutes=7)).time()
    )
    last_step = max(chase_schedule_times(policy))
    end = (datetime.combine(MONDAY, last_step) + timedelta(minutes=30)).time()
    assert times[-1] <= end < (datetime.combine(MONDAY, times[-1]) + timedelta(minutes=5)).time()
    assert not set(times) & set(chase_schedule_times(policy) + catch_up_times(policy))


def test_the_watchdog_deployments(quiet_prefect_home: None) -> None:
    from prefect.client.schemas.schedules import CronSchedule

    from flows.deployments import deployments_for

    watching = [d for d in deployments_for([bundled_policy(s) for s in SEEDS])
                if d.flow_name == "watchdog"]  # fmt: skip
    assert [d.name for d in watching] == SEEDS
    emmanuel = watching[0]
    assert emmanuel.entrypoint == "flows.watchdog.watchdog"
    assert emmanuel.parameters == {"school_id": "emmanuel-middle"}
    assert emmanuel.concurrency_limit == 1
    crons = [s.schedule for s in emmanuel.schedules or []]
    assert all(isinstance(c, CronSchedule) and c.timezone == "Europe/London" for c in crons)
    # Emmanuel: registers open 08:40; its last step (afternoon DSL alert) is at 15:00.
    assert [c.cron for c in crons if isinstance(c, CronSchedule)] == [
        "42,47,52,57 8 * * 1-5",
        "2,7,12,17,22,27,32,37,42,47,52,57 9,10,11,12,13,14 * * 1-5",
        "2,7,12,17,22,27 15 * * 1-5",
    ]

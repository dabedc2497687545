"""The worker the kill test starts, kills with SIGKILL and starts again: ticks every school at
each simulated minute it is given, from the one after the last it finished (kept in a file).

    python -m tests.faults.kill_worker DATABASE_URL PROGRESS_FILE SCHOOL... -- ISO_INSTANT...
"""

from __future__ import annotations

import asyncio
import os
import sys
from datetime import datetime
from pathlib import Path

from chase.service import chase_tick
from notifications.channels import channels_from_settings
from school.clock import FixedClock, school_today
from school.database import make_engine, session_for
from school.schools import load_school


async def main(url: str, progress: Path, schools: list[str], instants: list[datetime]) -> None:
    engine = make_engine(url)
    with session_for(engine) as session:
        loaded = [load_school(session, s) for s in schools]
    channels = channels_from_settings(os.environ, progress.parent / "outbox")
    done = int(progress.read_text()) if progress.exists() else 0
    print("ready", flush=True)
    for index, instant in enumerate(instants[done:], start=done):
        clock = FixedClock(instant)
        for school in loaded:
            await chase_tick(engine, school, school_today(clock), clock, channels)
        progress.write_text(str(index + 1))
    for channel in channels.values():
        getattr(channel, "close", lambda: None)()


if __name__ == "__main__":
    split = sys.argv.index("--")
    url, progress, *schools = sys.argv[1:split]
    instants = [datetime.fromisoformat(t) for t in sys.argv[split + 1 :]]
    asyncio.run(main(url, Path(progress), schools, instants))

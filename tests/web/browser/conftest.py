"""A live server on the test database and Debian's Chromium (never `playwright install`)."""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from school.clock import FixedClock
from tests.conftest import fresh_migrated_engine
from tests.web.pages_world import world
from web.app import create_app
from web.staff import StaffSettings

__all__ = ["world"]
CHROMIUM = Path("/usr/bin/chromium")
SHOTS = Path(__file__).resolve().parents[3] / "docs" / "screenshots"
AXE = Path(__file__).with_name("axe-4.14.1.min.js")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="session")
def migrated_engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    """Browser tests run on SQLite only: they test the pages, not the database (the HTTP
    tests in tests/web run every page on both)."""
    yield from fresh_migrated_engine("sqlite", tmp_path_factory.mktemp("browser-db"))


@pytest.fixture
def browser(world: dict[str, int]) -> Iterator[Any]:
    """Chromium, launched after the morning is built: the world's set-up runs its own event
    loop, which cannot start while Playwright's is running (a launch costs ~0.2 s)."""
    if not CHROMIUM.exists():
        if os.environ.get("CI"):
            pytest.fail(f"CI is set but {CHROMIUM} is missing: .ci/run installs chromium")
        pytest.skip(f"{CHROMIUM} not found: apt-get install -y chromium (or set CI to fail)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield launched
        launched.close()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def live_url(engine: Engine, morning_clock: FixedClock) -> Iterator[str]:
    """The app served by uvicorn on a free port; the board refreshes every second."""
    import uvicorn

    app = create_app(engine, None, morning_clock, StaffSettings("browser-secret", poll_seconds=1))
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(5)


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A page under the app's own Content-Security-Policy, failing on any CSP violation."""
    # en-GB, as the schools are: dates in inputs read dd/mm/yyyy.
    context = browser.new_context(
        viewport={"width": 1200, "height": 900}, locale="en-GB", timezone_id="Europe/London"
    )
    opened = context.new_page()
    problems: list[str] = []
    opened.on("console", lambda m: m.type == "error" and problems.append(m.text))
    opened.on("pageerror", lambda e: problems.append(str(e)))
    yield opened
    context.close()
    csp = [p for p in problems if "Content Security Policy" in p or "Refused to" in p]
    assert not csp, csp

"""Reports and settings in Chromium: axe-core clean, a CSV downloaded, screenshots kept."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session

from school.clock import FixedClock
from tests.web.browser.test_pages_browser import log_in, serious_violations, shoot
from tests.web.pages_world import world
from tests.web.reports_world import import_reports_register

__all__ = ["world"]


@pytest.fixture
def reports_marks(
    world: dict[str, int], session: Session, school: str, clock: FixedClock, tmp_path: Path
) -> None:
    """The morning world's school with three weeks of marks for the reports."""
    import_reports_register(session, school, clock, tmp_path, weeks=3)


def test_reports_page_draws_the_trend_and_downloads_a_table(
    page: Any, live_url: str, reports_marks: None
) -> None:
    log_in(page, live_url, "pastoral")
    page.goto(f"{live_url}/reports")
    assert page.locator("svg.trend-chart polyline").count() == 1
    assert page.get_by_role("heading", name="Severe absence (below 50%)").is_visible()
    shoot(page, "reports")
    with page.expect_download() as download:
        page.get_by_role("link", name="Download severe absence (below 50%) as CSV").click()
    saved = download.value
    assert saved.suggested_filename.startswith("emmanuel-middle-severe-")
    text = Path(saved.path()).read_text(encoding="utf-8")
    assert text.splitlines()[0].startswith("UPN,Pupil,Year,Attendance")


def test_settings_page_shows_the_policy(page: Any, live_url: str, reports_marks: None) -> None:
    log_in(page, live_url, "admin")
    page.goto(f"{live_url}/settings")
    assert page.get_by_role("heading", name="Policy", exact=True).is_visible()
    shoot(page, "settings")


@pytest.mark.parametrize(("role", "path"), [("pastoral", "/reports"), ("admin", "/settings")])
def test_reports_and_settings_have_no_serious_accessibility_violations(
    browser: Any, live_url: str, reports_marks: None, role: str, path: str
) -> None:
    assert serious_violations(browser, live_url, role, path) == []

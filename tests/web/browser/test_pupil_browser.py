"""The pupil page, a letter's PDF and the legal actions page in Chromium; axe; screenshots."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader
from sqlmodel import Session

from cases.legal.notice_to_improve import issue_notice_to_improve
from cases.legal.refusals import LegalActionRefused
from school.clock import FixedClock
from school.codes import CODES
from tests.web.browser.test_pages_browser import log_in, serious_violations, shoot
from tests.web.pages_world import world
from tests.web.pupil_world import pupil_world

__all__ = ["pupil_world", "world"]


def test_pastoral_reads_the_pupils_year_and_downloads_a_letter_pdf(
    pupil_world: dict[str, Any], page: Any, live_url: str, tmp_path: Path
) -> None:
    log_in(page, live_url, "pastoral")
    page.get_by_role("link", name="Pupils").click()
    page.get_by_label("Name or UPN").fill("pupil1")
    page.get_by_role("button", name="Find").click()
    page.get_by_role("link", name="Test, Pupil1").click()
    assert page.url.startswith(f"{live_url}/pupils/{pupil_world['upn']}")
    page.get_by_role("heading", name="Calendar").wait_for()
    # The code is in the cell as text, its meaning on hover (title) and for screen readers.
    half = page.locator('.half[title^="Mon 5 Oct AM"]')
    assert half.inner_text().startswith("G")
    assert half.get_attribute("title") == f"Mon 5 Oct AM: G {CODES['G'].meaning}"
    assert page.get_by_role("img", name="attendance this year").count() == 1
    # The calendar scrolls sideways on its own on a phone, reachable by keyboard.
    assert page.locator(".calendar-scroll").get_attribute("tabindex") == "0"
    shoot(page, "pupil")
    page.set_viewport_size({"width": 390, "height": 844})  # nothing wider than a phone
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    with page.expect_download() as downloaded:
        page.get_by_role("link", name=f"PDF of letter {pupil_world['letter']}").click()
    target = tmp_path / "letter.pdf"
    downloaded.value.save_as(target)
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(target.read_bytes())).pages)
    assert "Dear Mum One" in text and "88.2% as of 13 November 2026" in text


def test_head_sees_the_legal_actions_and_the_office_is_refused(
    pupil_world: dict[str, Any], page: Any, live_url: str, session: Session
) -> None:
    # A second Notice to Improve while the first runs: refused, and kept with its rule.
    clock = FixedClock(datetime(2026, 11, 23, 12, tzinfo=UTC))
    with pytest.raises(LegalActionRefused):
        issue_notice_to_improve(
            session, pupil_world["pupil"], "Mum One", "Hal Head, Headteacher", clock.now().date(),
            clock=clock,
        )  # fmt: skip
    log_in(page, live_url, "head")
    page.get_by_role("link", name="Legal actions").click()
    page.get_by_role("heading", name="Notices to Improve and penalty notices").wait_for()
    assert page.get_by_text("Payment due by 2 Dec 2026").count() == 1
    page.get_by_text(f"History of notice {pupil_world['pn']}").click()
    page.get_by_text("Issued by the local authority").wait_for()
    page.get_by_role("heading", name="Refused (1)").wait_for()
    shoot(page, "legal")
    office = page.context.browser.new_context().new_page()
    log_in(office, live_url, "office")
    answer = office.goto(f"{live_url}/legal")
    assert answer is not None and answer.status == 403
    assert office.get_by_text("not open to the office role").count() == 1
    office.context.close()


def test_the_pupil_and_legal_pages_have_no_serious_accessibility_problems(
    pupil_world: dict[str, Any], browser: Any, live_url: str
) -> None:
    pages = (
        ("office", f"/pupils/{pupil_world['upn']}"),
        ("pastoral", "/legal"),
        ("dsl", "/pupils?q=test"),
    )
    for role, path in pages:
        assert serious_violations(browser, live_url, role, path) == [], path

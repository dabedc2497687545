"""The morning and the DSL's work in Chromium: log in, click, read back; axe; screenshots."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import select
from sqlmodel import Session, col

from chase.code_confirmation import confirmed_codes
from chase.models import DslAlert, Note, SafeguardingAction, StaffTask
from tests.web.browser.conftest import AXE, SHOTS
from tests.web.pages_world import PASSWORD, ROLE_NAMES, world

__all__ = ["world"]
PHONE = {"width": 390, "height": 844}


def log_in(page: Any, base: str, role: str) -> None:
    page.goto(f"{base}/login")
    page.get_by_label("Your name").fill(ROLE_NAMES[role])
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state("networkidle")


def serious_violations(browser: Any, base: str, role: str, path: str) -> list[str]:
    """axe-core's serious and critical findings on a page. The page's CSP allows only our own
    scripts, so axe (injected by the test) runs in a context that bypasses it."""
    context = browser.new_context(bypass_csp=True)
    page = context.new_page()
    log_in(page, base, role)
    page.goto(base + path)
    page.add_script_tag(path=str(AXE))
    found = page.evaluate("async () => (await axe.run(document)).violations")
    context.close()
    return [
        f"{v['id']} ({v['impact']}): {json.dumps([n['target'] for n in v['nodes']])}"
        for v in found
        if v["impact"] in ("serious", "critical")
    ]


def shoot(page: Any, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)
    page.set_viewport_size(PHONE)
    page.screenshot(path=str(SHOTS / f"{name}-phone.png"), full_page=True)
    page.set_viewport_size({"width": 1200, "height": 900})


def test_office_records_a_call_and_confirms_a_code_without_losing_typing(
    page: Any, live_url: str, world: dict[str, int], session: Session
) -> None:
    log_in(page, live_url, "office")
    assert page.url.endswith("/morning")
    shoot(page, "morning-board")
    # A note being typed survives the board refreshing itself (every second here).
    note = page.get_by_label(f"Note for task {world['task']}")
    note.fill("Rang mum, no answer; left voicemail")
    with page.expect_request(lambda r: "/morning?school=" in r.url and r.method == "GET"):
        pass
    page.wait_for_timeout(1500)
    assert note.input_value() == "Rang mum, no answer; left voicemail"
    # From here the refresh (every second in this test) is held back: a swap landing between
    # Playwright finding a button and clicking it would click a button no longer on the page.
    page.route(
        "**/morning?school=*",
        lambda route: (
            route.abort() if route.request.headers.get("hx-request") else route.fallback()
        ),
    )
    group = page.get_by_role("group", name=f"Outcome of task {world['task']}")
    group.get_by_role("button", name="Left a message").click()
    page.get_by_text(f"Task {world['task']}: left a message recorded.").wait_for()
    session.expire_all()
    task = session.get(StaffTask, world["task"])
    assert task is not None and task.outcome == "voicemail_left"
    stored = session.scalars(select(Note).where(col(Note.task_id) == world["task"])).one()
    assert stored.text == "Rang mum, no answer; left voicemail"
    assert stored.recorded_by == "Olive Office, Attendance Officer"
    page.get_by_role("button", name="Confirm I").click()
    page.get_by_text(f"Welfare check {world['check']}: I (Illness").wait_for()
    assert world["check"] in confirmed_codes(session, [world["check"]])


def test_dsl_acknowledges_an_alert_with_a_note(
    page: Any, live_url: str, world: dict[str, int], session: Session
) -> None:
    log_in(page, live_url, "dsl")
    assert page.url.endswith("/dsl")
    shoot(page, "dsl-inbox")
    page.get_by_label("Acknowledge with a note").fill("Spoke to social worker; visit at 10:30")
    page.get_by_role("button", name="Acknowledge", exact=True).click()
    page.get_by_text(f"Alert {world['alert']} acknowledged.").wait_for()
    page.get_by_label("Action").select_option("home_visit")
    page.get_by_label("At (HH:MM)").fill("10:02")  # done before now (10:05): it can be recorded
    page.get_by_label("Details").fill("Child seen at home, unwell")
    page.get_by_role("button", name="Record").click()
    page.get_by_text("home visit made at 10:02 recorded").wait_for()
    session.expire_all()
    alert = session.get(DslAlert, world["alert"])
    assert alert is not None and alert.acknowledged_by == (
        "Dee Safeguard, Designated Safeguarding Lead"
    )
    done = session.scalars(select(SafeguardingAction)).one()
    assert (done.kind, done.note) == ("home_visit", "Child seen at home, unwell")
    shoot(page, "dsl-inbox-acknowledged")


def test_a_page_is_refused_to_a_role_that_may_not_see_it(
    page: Any, live_url: str, world: dict[str, int]
) -> None:
    log_in(page, live_url, "office")
    answer = page.goto(f"{live_url}/dsl")
    assert answer is not None and answer.status == 403
    assert page.get_by_text("This page is not open to the office role.").is_visible()
    shoot(page, "refused")


def test_login_page(page: Any, live_url: str, world: dict[str, int]) -> None:
    page.goto(f"{live_url}/login")
    shoot(page, "login")


@pytest.mark.parametrize(
    ("role", "path"), [("office", "/morning"), ("dsl", "/dsl"), ("office", "/login")]
)
def test_no_serious_or_critical_accessibility_violations(
    browser: Any, live_url: str, world: dict[str, int], role: str, path: str
) -> None:
    assert serious_violations(browser, live_url, role, path) == []

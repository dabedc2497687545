"""Settings over HTTP: the stored policy, readable with its version; the favicon is served."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlmodel import Session

from school.models import School
from tests.web.pages_world import ROLE_NAMES, log_in, web_app
from tests.web.reports_world import reports_world

__all__ = ["reports_world", "web_app"]


def test_admin_reads_the_policy_as_stored_with_its_version(
    web_app: TestClient, reports_world: str, session: Session
) -> None:
    stored = session.get(School, reports_world)
    assert stored is not None
    assert log_in(web_app, ROLE_NAMES["admin"]) == 303
    page = web_app.get("/settings")
    assert page.status_code == 200
    assert stored.policy_version in page.text
    assert '<a href="/users">' in page.text
    # Readable: a section heading and a setting as a row, not only the raw file.
    assert re.search(r'<h3 id="h-sec-\d+">school</h3>', page.text)
    assert '<th scope="row">local authority</th><td>Dorset</td>' in page.text
    assert "chase.AM.step 1" in page.text


def test_an_unknown_school_is_said_to_be_unknown(web_app: TestClient, reports_world: str) -> None:
    assert log_in(web_app, ROLE_NAMES["admin"]) == 303
    answer = web_app.get("/settings?school=nowhere")
    assert answer.status_code == 404 and "no school nowhere among yours" in answer.text


def test_the_favicon_is_served_to_anyone(web_app: TestClient) -> None:
    answer = web_app.get("/favicon.ico")
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "image/x-icon"
    assert answer.content[:4] == b"\x00\x00\x01\x00"  # an ICO file's header

"""Every staff route checks the role on the server: the whole route x role matrix over HTTP."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlmodel import Session, col

from school.accounts import AuditEntry
from tests.register_files import upn
from tests.web.cases_world import cases
from tests.web.pages_world import ROLE_NAMES, log_in, page_token, web_app, world
from web.roles import HOME, PUBLIC_PATHS, ROUTE_ROLES

__all__ = ["cases", "web_app", "world"]


def _routes(routes: list[Any]) -> Iterator[Any]:
    # FastAPI 0.150 wraps an included router; its own routes are inside.
    for route in routes:
        if hasattr(route, "original_router"):
            yield from _routes(route.original_router.routes)
        else:
            yield route


def _staff_routes(client: TestClient) -> set[tuple[str, str]]:
    routes = set()
    for route in _routes(client.app.routes):  # type: ignore[attr-defined]
        path = getattr(route, "path", "")
        methods = getattr(route, "methods", None) or set()
        if path.startswith("/twilio") or any(path.startswith(p) for p in PUBLIC_PATHS):
            continue
        routes.update((m, path) for m in methods if m in ("GET", "POST"))
    return routes


def test_every_staff_route_is_in_the_role_table(web_app: TestClient) -> None:
    assert _staff_routes(web_app) == set(ROUTE_ROLES)


def _request(client: TestClient, method: str, path: str, ids: dict[str, int], token: str):  # type: ignore[no-untyped-def]
    # The cases pages' ids (a case, its proposal, a support item, a letter) and the pupil's
    # UPN: tests/web/cases_world.py (pupil 1 holds the case and the letter).
    cases_ids = {"case_id": ids["case"], "proposal_id": ids["proposal"], "action_id": ids["action"]}
    url = path.format(
        task_id=ids["task"],
        check_id=ids["check"],
        alert_id=ids["alert"],
        **cases_ids,
        upn=upn(1),
        letter_id=ids["letter"],
        table="persistent",
    )
    if method == "GET":
        return client.get(url)
    data = {
        "csrf_token": token,
        "outcome": "no_answer",
        "note": "rang twice",
        "code": "I",
        "school": "emmanuel-middle",
        "action": "police",
        "at": "10:03",  # the world is at 10:05: an action is recorded once done
        "decision": "skip",
        "reason": "Reviewed with the family",
        "to": "monitor",
        "kind": "mentoring",
        "title": "Weekly mentoring",
        "status": "attended",
        "worker": "Pat Pastoral, Head of Year",
    }
    return client.post(url, data=data)


@pytest.mark.parametrize("role", sorted(ROLE_NAMES))
def test_each_route_is_allowed_or_refused_by_role(
    web_app: TestClient, cases: dict[str, int], session: Session, role: str
) -> None:
    assert log_in(web_app, ROLE_NAMES[role]) == 303
    token = page_token(web_app, HOME.get(role, "/"))
    # Changing routes last, and logging out at the very end, so every route is tried.
    order = sorted(ROUTE_ROLES, key=lambda r: (r[0] == "POST", r[1] == "/logout"))
    for method, path in order:
        answer = _request(web_app, method, path, cases, token)
        if role in ROUTE_ROLES[(method, path)]:
            assert answer.status_code in (200, 303), (method, path, answer.status_code)
        else:
            assert answer.status_code == 403, (method, path, answer.status_code)
            assert "not open to the" in answer.text
    refused = session.scalars(select(AuditEntry).where(col(AuditEntry.action) == "refused")).all()
    expected = sum(1 for roles in ROUTE_ROLES.values() if role not in roles)
    assert len(refused) == expected
    assert {e.actor for e in refused} <= {ROLE_NAMES[role]}


def test_nobody_logged_in_is_sent_to_log_in(web_app: TestClient, cases: dict[str, int]) -> None:
    for method, path in ROUTE_ROLES:
        answer = _request(web_app, method, path, cases, "x")
        if method == "GET":
            assert answer.status_code == 303
            assert answer.headers["location"].startswith("/login?next=")
        else:
            assert answer.status_code == 401


@pytest.mark.parametrize("role", sorted(ROLE_NAMES))
def test_the_navigation_offers_exactly_the_pages_the_role_may_open(
    web_app: TestClient, world: dict[str, int], role: str
) -> None:
    """Links come from the role table: a link to a refused page, or a page without a link, fails."""
    assert log_in(web_app, ROLE_NAMES[role]) == 303
    first = web_app.get(HOME[role])
    assert first.status_code == 200
    nav = first.text.split('<nav aria-label="Pages">', 1)[1].split("</nav>", 1)[0]
    linked = set(re.findall(r'<a href="(/[a-z]+)', nav))
    openable = {path for method, path in ROUTE_ROLES if method == "GET" and "{" not in path}
    expected = {p for p in openable - {"/"} if role in ROUTE_ROLES[("GET", p)]}
    assert linked == expected
    for path in linked:
        assert web_app.get(path).status_code == 200, path

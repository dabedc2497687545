"""Who may open what: the table of route -> roles the server checks on every request."""

from __future__ import annotations

EVERY_ROLE = frozenset({"office", "pastoral", "dsl", "head", "admin"})
MORNING = frozenset({"office", "dsl", "head"})
SAFEGUARDING = frozenset({"dsl", "head"})
REPORTS = frozenset({"office", "pastoral", "dsl", "head"})

# (method, path as routed) -> the roles allowed. A staff route missing here is refused to
# everyone (tests/web/test_pages_roles.py checks every route of the app is listed).
ROUTE_ROLES: dict[tuple[str, str], frozenset[str]] = {
    ("GET", "/"): EVERY_ROLE,
    ("POST", "/logout"): EVERY_ROLE,
    ("GET", "/morning"): MORNING,
    ("POST", "/tasks/{task_id}/outcome"): MORNING,
    ("POST", "/checks/{check_id}/confirm-code"): frozenset({"office", "head"}),
    ("GET", "/dsl"): SAFEGUARDING,
    ("POST", "/alerts/{alert_id}/ack"): SAFEGUARDING,
    ("POST", "/alerts/{alert_id}/action"): SAFEGUARDING,
    ("GET", "/users"): frozenset({"admin"}),
    # Reports and settings (issue 11, pages 6-7): figures for everyone who works with
    # pupils; the policy for the administrator.
    ("GET", "/reports"): REPORTS,
    ("GET", "/reports/{table}.csv"): REPORTS,
    ("GET", "/settings"): frozenset({"admin"}),
}

# Open to anyone: the login form, and the files every page needs.
PUBLIC_PATHS = frozenset({"/login", "/static", "/favicon.ico"})

# Each role's first page after logging in; pages still to come are said to be so.
HOME = {"office": "/morning", "dsl": "/dsl", "head": "/morning", "admin": "/users"}


def allowed(method: str, path: str, role: str) -> bool:
    return role in ROUTE_ROLES.get((method, path), frozenset())

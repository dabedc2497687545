"""Who may open what: the table of route -> roles the server checks on every request."""

from __future__ import annotations

EVERY_ROLE = frozenset({"office", "pastoral", "dsl", "head", "admin"})
MORNING = frozenset({"office", "dsl", "head"})
SAFEGUARDING = frozenset({"dsl", "head"})
CASES = frozenset({"pastoral", "dsl", "head"})
CASEWORK = frozenset({"pastoral", "head"})
PUPIL_RECORD = frozenset({"office", "pastoral", "dsl", "head"})
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
    # Cases board and case page (issue 11, page 2): pastoral staff do the casework with the
    # head; the DSL reads cases (a child with a social worker is often both) but the
    # decisions on a case stay with the people who hold it.
    ("GET", "/cases"): CASES,
    ("GET", "/cases/{case_id}"): CASES,
    ("POST", "/proposals/{proposal_id}/decide"): CASEWORK,
    ("POST", "/cases/{case_id}/move"): CASEWORK,
    ("POST", "/cases/{case_id}/support"): CASEWORK,
    ("POST", "/cases/{case_id}/key-worker"): CASEWORK,
    ("POST", "/cases/{case_id}/no-support"): CASEWORK,
    ("POST", "/cases/{case_id}/send-considered"): CASEWORK,
    ("POST", "/support/{action_id}/status"): CASEWORK,
    ("POST", "/actions/{action_id}/outcome"): CASEWORK,
    # Pupil page and letters (issue 11 page 3): the office needs the contacts for its calls
    # and the pupil's record when a parent rings; pastoral staff and the DSL work the case;
    # the head oversees. Admin runs accounts, not pupils. A letter is part of the record.
    ("GET", "/pupils"): PUPIL_RECORD,
    ("GET", "/pupils/{upn}"): PUPIL_RECORD,
    ("GET", "/letters/{letter_id}"): PUPIL_RECORD,
    ("GET", "/letters/{letter_id}.pdf"): PUPIL_RECORD,
    # Legal actions (issue 11 page 5): pastoral staff prepare notices and the head (or the
    # senior leader they authorise) decides them (spec §5 "Who can issue"); the office and
    # the DSL have no part in a sanction, so they do not see parents' fines (nor the legal
    # section of the pupil page, which web/pages/pupil.py shows by this same entry).
    ("GET", "/legal"): frozenset({"pastoral", "head"}),
    # Reports and settings (issue 11, pages 6-7): figures for everyone who works with
    # pupils; the policy for the administrator.
    ("GET", "/reports"): REPORTS,
    ("GET", "/reports/{table}.csv"): REPORTS,
    ("GET", "/settings"): frozenset({"admin"}),
}

# Open to anyone: the login form, and the files every page needs.
PUBLIC_PATHS = frozenset({"/login", "/static", "/favicon.ico"})

# Each role's first page after logging in; pages still to come are said to be so.
HOME = {
    "office": "/morning",
    "pastoral": "/cases",
    "dsl": "/dsl",
    "head": "/morning",
    "admin": "/users",
}


# The pages a person moves between, in the navigation's order: (path, label, the `page` names
# its templates set). Who sees each link is the table above, never a list of its own.
PAGES: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("/morning", "Morning board", ("morning",)),
    ("/dsl", "DSL inbox", ("dsl",)),
    ("/cases", "Cases", ("cases", "case")),
    ("/pupils", "Pupils", ("pupils", "pupil")),
    ("/legal", "Legal actions", ("legal",)),
    ("/reports", "Reports", ("reports",)),
    ("/settings", "Settings", ("settings",)),
    ("/users", "Accounts", ("users",)),
)


def pages_for(role: str) -> list[tuple[str, str, tuple[str, ...]]]:
    """The pages this role may open, for the navigation and the welcome page."""
    return [page for page in PAGES if allowed("GET", page[0], role)]


def allowed(method: str, path: str, role: str) -> bool:
    return role in ROUTE_ROLES.get((method, path), frozenset())

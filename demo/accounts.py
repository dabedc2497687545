"""The demo's staff accounts: one per role, with passwords printed for a local look around."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session

from school.accounts import ROLES, add_account
from school.clock import Clock

# Names in the school's words; the passwords are for the demo's own database only.
DEMO_PEOPLE = {
    "office": "Jo Bloggs",
    "pastoral": "Sam Patel",
    "dsl": "Alex Morgan",
    "head": "Chris Head",
    "admin": "Robin Admin",
}


@dataclass(frozen=True)
class DemoAccount:
    name: str
    role: str
    password: str


def make_demo_accounts(session: Session, school_id: str, clock: Clock) -> list[DemoAccount]:
    made = []
    for role in ROLES:
        password = f"demo-{role}-password"
        schools = [] if role == "admin" else [school_id]
        add_account(session, DEMO_PEOPLE[role], role, schools, password, "demo", clock)
        made.append(DemoAccount(DEMO_PEOPLE[role], role, password))
    return made

"""Named staff accounts for the web app: roles, the schools each may see, and login lockout."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select
from sqlmodel import Field, Session, SQLModel, col

from school.clock import Clock
from school.db_types import json_field as _json
from school.db_types import utc_field as _utc
from school.models import School
from school.staff_roles import ROLES

# Failed logins in a row before an account is locked, and for how long. Five lets a person
# mistype twice and still try their other usual password; fifteen minutes stops guessing
# (at most 480 tries a day) without leaving the office locked out of the morning.
# The position an account's records carry when `user add` is given none.
POSITIONS = {
    "office": "Attendance Officer",
    "pastoral": "Head of Year",
    "dsl": "Designated Safeguarding Lead",
    "head": "Headteacher",
    "admin": "Administrator",
}
FAILURES_BEFORE_LOCK = 5
LOCK_MINUTES = 15
MIN_PASSWORD_LENGTH = 10


class StaffAccount(SQLModel, table=True):
    """A person who logs in: their name as shown in every record, one role, their schools.

    `session_epoch` is counted up when the account is disabled or its password reset, so every
    session signed before then stops working at once.
    """

    __tablename__ = "staff_account"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(unique=True, max_length=120)
    role: str = Field(max_length=12)
    position: str = Field(max_length=120)  # "Name, Position" on every record they make
    schools: list[str] = _json()  # more than one only for an account covering a trust
    password_hash: str
    disabled: bool = False
    failed_logins: int = 0
    locked_until: dt.datetime | None = _utc(nullable=True)
    session_epoch: int = 0
    created_at: dt.datetime = _utc()
    created_by: str


# Entries about signing in rather than about a record: retention deletes them after the policy's
# access_log_days; entries recording a change are kept with what they changed.
ACCESS_ACTIONS = ("login", "login_failed", "login_refused", "logout", "refused")


class AuditEntry(SQLModel, table=True):
    """One thing a person did or was refused through a door, with their name: never changed."""

    __tablename__ = "audit_entry"

    id: int | None = Field(default=None, primary_key=True)
    at: dt.datetime = _utc(index=True)
    actor: str  # the account's name, or what was typed at a failed login
    action: str = Field(max_length=40)  # login, login_failed, refused, task_outcome, ...
    school_id: str | None = Field(default=None, max_length=64)
    detail: dict[str, Any] = _json()


def audit(
    session: Session,
    actor: str,
    action: str,
    clock: Clock,
    school_id: str | None = None,
    **detail: Any,
) -> AuditEntry:
    """Add an entry to the audit log (committed with the change it records)."""
    entry = AuditEntry(
        at=clock.now(), actor=actor, action=action, school_id=school_id, detail=detail
    )
    session.add(entry)
    return entry


def audit_entries(session: Session, limit: int = 50) -> list[AuditEntry]:
    query = select(AuditEntry).order_by(col(AuditEntry.id).desc()).limit(limit)
    return list(session.scalars(query))


def lock_after_failure(failures: int, now: dt.datetime) -> dt.datetime | None:
    """The instant a lock ends once `failures` logins in a row have failed, or None."""
    return now + timedelta(minutes=LOCK_MINUTES) if failures >= FAILURES_BEFORE_LOCK else None


def password_problem(password: str) -> str | None:
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"a password needs at least {MIN_PASSWORD_LENGTH} characters"
    return None


def _hasher() -> Any:
    # Imported when used: argon2's import is not needed by commands that never hash.
    from pwdlib import PasswordHash

    return PasswordHash.recommended()  # argon2id


def hash_password(password: str) -> str:
    problem = password_problem(password)
    if problem:
        raise ValueError(problem)
    return str(_hasher().hash(password))


def account_named(session: Session, name: str) -> StaffAccount | None:
    wanted = " ".join(name.split()).lower()
    query = select(StaffAccount).where(func.lower(col(StaffAccount.name)) == wanted)
    return session.scalars(query).first()


def _known_schools(session: Session, schools: list[str]) -> list[str]:
    known = set(session.scalars(select(col(School.id))))
    unknown = [s for s in schools if s not in known]
    if unknown:
        raise LookupError(f"no school {', '.join(unknown)}: set it up with attendance init")
    return list(dict.fromkeys(schools))


def add_account(
    session: Session,
    name: str,
    role: str,
    schools: list[str],
    password: str,
    by: str,
    clock: Clock,
    position: str | None = None,
) -> StaffAccount:
    """A new account. Every role but admin must cover at least one school."""
    name = " ".join(name.split())
    if not name or "," in name:
        raise ValueError(f"{name!r}: give the person's name alone; the position is --position")
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}")
    if role != "admin" and not schools:
        raise ValueError(f"a {role} account needs --school: whose pupils may they see?")
    if account_named(session, name) is not None:
        raise ValueError(f"there is already an account named {name!r}")
    account = StaffAccount(
        name=name,
        role=role,
        position=" ".join((position or POSITIONS[role]).split()),
        schools=_known_schools(session, schools),
        password_hash=hash_password(password),
        created_at=clock.now(),
        created_by=by,
    )
    session.add(account)
    session.flush()
    audit(session, by, "account_added", clock, account=name, role=role, schools=account.schools)
    session.commit()
    return account


def signature(account: StaffAccount) -> str:
    """How the person signs what they record: "Name, Position", as the command line's --by."""
    return f"{account.name}, {account.position}"


def accounts(session: Session) -> list[StaffAccount]:
    return list(session.scalars(select(StaffAccount).order_by(col(StaffAccount.name))))


def _existing(session: Session, name: str) -> StaffAccount:
    account = account_named(session, name)
    if account is None:
        raise LookupError(f"no account named {name!r} (see attendance user list)")
    return account


def disable_account(session: Session, name: str, by: str, clock: Clock) -> StaffAccount:
    """Disabled at once: its sessions end and it cannot log in. Kept, for the audit's names."""
    account = _existing(session, name)
    account.disabled = True
    account.session_epoch += 1
    session.add(account)
    audit(session, by, "account_disabled", clock, account=account.name)
    session.commit()
    return account


def reset_password(
    session: Session, name: str, password: str, by: str, clock: Clock
) -> StaffAccount:
    """A new password, the lock lifted and every open session ended."""
    account = _existing(session, name)
    account.password_hash = hash_password(password)
    account.failed_logins, account.locked_until = 0, None
    account.session_epoch += 1
    session.add(account)
    audit(session, by, "password_reset", clock, account=account.name)
    session.commit()
    return account


@dataclass(frozen=True)
class LoginResult:
    account: StaffAccount | None  # set only when the login succeeded
    refusal: str | None  # what the person is told; the same words for a wrong name or password


WRONG = "That name and password do not match an account."


def log_in(session: Session, name: str, password: str, clock: Clock) -> LoginResult:
    """Check a login, counting failures towards the lock; every attempt is audited."""
    now = clock.now()
    account = account_named(session, name)
    if account is None:
        _hasher().hash(password)  # the same work as a real check: timing tells no names
        audit(session, name[:120], "login_failed", clock, why="no such account")
        session.commit()
        return LoginResult(None, WRONG)
    if account.disabled:
        audit(session, account.name, "login_refused", clock, why="account disabled")
        session.commit()
        return LoginResult(None, WRONG)
    if account.locked_until is not None and account.locked_until > now:
        audit(session, account.name, "login_refused", clock, why="account locked")
        session.commit()
        until = account.locked_until
        return LoginResult(None, f"Too many failed logins: try again after {until:%H:%M} UTC.")
    valid, new_hash = _hasher().verify_and_update(password, account.password_hash)
    if not valid:
        account.failed_logins += 1
        account.locked_until = lock_after_failure(account.failed_logins, now)
        session.add(account)
        locked = account.locked_until is not None
        audit(
            session,
            account.name,
            "login_failed",
            clock,
            failures=account.failed_logins,
            locked=locked,
        )
        session.commit()
        return LoginResult(None, WRONG)
    account.failed_logins, account.locked_until = 0, None
    if new_hash:
        account.password_hash = new_hash
    session.add(account)
    audit(session, account.name, "login", clock)
    session.commit()
    return LoginResult(account, None)

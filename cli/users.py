"""Staff accounts for the web app at the command line: add, list, disable, reset a password."""

from __future__ import annotations

import getpass
from typing import TYPE_CHECKING, Annotated

import typer

from cli.common import console, fail, open_database
from cli.door import PlainHelpGroup
from cli.output import Column, Format, FormatOption, people_table, print_json, print_result
from cli.parsing import parse_choice, parse_person
from school.staff_roles import ROLES

if TYPE_CHECKING:
    from school.accounts import StaffAccount
from school.clock import SystemClock

user_app = typer.Typer(
    cls=PlainHelpGroup,
    help="Staff accounts for the web app (attendance web).",
    no_args_is_help=True,
)

PasswordOption = Annotated[
    str,
    typer.Option(
        prompt=True,
        hide_input=True,
        confirmation_prompt=True,
        envvar="ATTENDANCE_NEW_PASSWORD",
        help="At least 10 characters (asked for when not given; or ATTENDANCE_NEW_PASSWORD).",
    ),
]
ByOption = Annotated[
    str | None, typer.Option(help='"Name, Position" of who does this (default: your login).')
]


def _by(by: str | None) -> str:
    # The first admin has no account to act as: the audit names the machine's login instead.
    return str(parse_person("--by", by)) if by else f"command line ({getpass.getuser()})"


def account_json(account: StaffAccount) -> dict[str, object]:
    """An account as docs/cli-json.md shows it: never its password hash."""
    return {
        "name": account.name,
        "role": account.role,
        "position": account.position,
        "schools": account.schools or [],
        "disabled": account.disabled,
        "locked_until": account.locked_until,
        "created_at": account.created_at,
        "created_by": account.created_by,
    }


@user_app.command("add")
def user_add(
    name: Annotated[str, typer.Argument(help="The person's name, as their records will show.")],
    role: Annotated[str, typer.Option(help=", ".join(ROLES))],
    password: PasswordOption,
    school: Annotated[
        list[str] | None, typer.Option(help="A school they work for; repeat for a trust.")
    ] = None,
    position: Annotated[
        str | None, typer.Option(help="Their position (default: the role's).")
    ] = None,
    by: ByOption = None,
    format: FormatOption = Format.table,
) -> None:
    """Add an account; the first admin is made this way."""
    from school.accounts import (
        ROLES,
        add_account,
    )
    from school.database import session_for

    role = parse_choice("--role", role, tuple(ROLES))
    actor = _by(by)
    try:
        with session_for(open_database()) as session:
            account = add_account(
                session, name, role, school or [], password, actor, SystemClock(), position
            )
    except (ValueError, LookupError) as exc:
        fail([str(exc)])
    covers = ", ".join(account.schools or []) or "no school (accounts and settings only)"
    print_result(
        format,
        f"Added {account.name} ({account.position}), role {role}: {covers}.",
        account_json(account),
    )


@user_app.command("list")
def user_list(format: FormatOption = Format.table) -> None:
    """Every account: role, schools, and whether it is disabled or locked."""
    from school.accounts import (
        accounts,
    )
    from school.database import session_for

    with session_for(open_database()) as session:
        shown = accounts(session)
    if format is Format.json:
        print_json({"accounts": [account_json(a) for a in shown]})
        return
    if not shown:
        console.print("No accounts yet: attendance user add NAME --role admin")
        return
    columns = [
        Column("Name"),
        Column("Role"),
        Column("Schools"),
        Column("State"),
        Column("Position", essential=False),
    ]
    rows = [
        [
            a.name,
            a.role,
            ", ".join(a.schools or []) or "-",
            "disabled" if a.disabled else "locked" if a.locked_until else "active",
            a.position,
        ]
        for a in shown
    ]
    console.print(people_table(f"{len(shown)} accounts", columns, rows, wide=False))


@user_app.command("disable")
def user_disable(
    name: Annotated[str, typer.Argument(help="The account's name.")],
    by: ByOption = None,
    format: FormatOption = Format.table,
) -> None:
    """Disable an account at once: it cannot log in and its open sessions end."""
    from school.accounts import (
        disable_account,
    )
    from school.database import session_for

    try:
        with session_for(open_database()) as session:
            account = disable_account(session, name, _by(by), SystemClock())
    except (ValueError, LookupError) as exc:
        fail([str(exc)])
    print_result(format, f"Disabled {account.name}.", account_json(account))


@user_app.command("reset-password")
def user_reset_password(
    name: Annotated[str, typer.Argument(help="The account's name.")],
    password: PasswordOption,
    by: ByOption = None,
    format: FormatOption = Format.table,
) -> None:
    """A new password: the lock is lifted and every open session ends."""
    from school.accounts import (
        reset_password,
    )
    from school.database import session_for

    try:
        with session_for(open_database()) as session:
            account = reset_password(session, name, password, _by(by), SystemClock())
    except (ValueError, LookupError) as exc:
        fail([str(exc)])
    print_result(format, f"New password set for {account.name}.", account_json(account))

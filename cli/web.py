"""`attendance web`: serve the staff pages (and Twilio's webhooks, when configured)."""

from __future__ import annotations

import os
from datetime import date
from typing import TYPE_CHECKING, Annotated

import typer

from cli.common import console, fail, open_database
from cli.parsing import parse_date

if TYPE_CHECKING:
    from sqlalchemy import Engine


def web(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.", min=1, max=65535)] = 8000,
    day: Annotated[
        str | None, typer.Option(help="The morning board's day, YYYY-MM-DD (default: today).")
    ] = None,
) -> None:
    """Serve the web app: log in with an account made by `attendance user add`."""
    import uvicorn

    from school.clock import SystemClock
    from web.app import create_app, staff_settings_from_environment
    from web.settings import SettingsProblem, WebSettings

    board_day = parse_date("--day", day) if day is not None else None
    engine = open_database()
    twilio: WebSettings | None = None
    if os.environ.get("TWILIO_AUTH_TOKEN"):
        try:
            twilio = WebSettings.from_environment()
        except SettingsProblem as exc:
            fail([str(exc)])
    else:
        console.print("TWILIO_AUTH_TOKEN is not set: Twilio's webhooks are not served.")
    staff = staff_settings_from_environment()
    staff.board_day = board_day
    app = create_app(engine, twilio, SystemClock(), staff)
    console.print(f"Staff pages at http://{host}:{port}/ (Ctrl+C to stop)", highlight=False)
    uvicorn.run(app, host=host, port=port, log_level="warning", proxy_headers=True)


def print_demo_web(engine: Engine, school: str, database: str, day: date) -> None:
    """The demo's last words: how to open the web app, and one account per role to log in as.
    Prints the command rather than starting a server, so the demo still finishes."""
    from demo.accounts import make_demo_accounts
    from school.clock import SystemClock
    from school.database import session_for

    with session_for(engine) as session:
        made = make_demo_accounts(session, school, SystemClock())
    console.print(
        f"\nThe web app: attendance {database} web --day {day}\n"
        "then open http://127.0.0.1:8000/ and log in as one of:",
        highlight=False,
    )
    for account in made:
        console.print(
            f"  {account.role:<9} {account.name:<12} password {account.password}",
            markup=False,
            highlight=False,
        )

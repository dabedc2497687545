"""`attendance web`: serve the staff pages (and Twilio's webhooks, when configured)."""

from __future__ import annotations

import os
from typing import Annotated

import typer

from cli.common import console, fail, open_database


def web(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.", min=1, max=65535)] = 8000,
) -> None:
    """Serve the web app: log in with an account made by `attendance user add`."""
    import uvicorn

    from school.clock import SystemClock
    from web.app import create_app, staff_settings_from_environment
    from web.settings import SettingsProblem, WebSettings

    engine = open_database()
    twilio: WebSettings | None = None
    if os.environ.get("TWILIO_AUTH_TOKEN"):
        try:
            twilio = WebSettings.from_environment()
        except SettingsProblem as exc:
            fail([str(exc)])
    else:
        console.print("TWILIO_AUTH_TOKEN is not set: Twilio's webhooks are not served.")
    app = create_app(engine, twilio, SystemClock(), staff_settings_from_environment())
    console.print(f"Staff pages at http://{host}:{port}/ (Ctrl+C to stop)", highlight=False)
    uvicorn.run(app, host=host, port=port, log_level="warning", proxy_headers=True)

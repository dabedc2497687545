"""The web app (staff pages and Twilio webhooks): `create_app` for tests; `app` for uvicorn."""

from __future__ import annotations

import logging
import os
import secrets

from fastapi import FastAPI
from sqlalchemy import Engine

from school.clock import Clock, SystemClock
from school.database import make_engine, require_current_schema
from web.settings import WebSettings
from web.staff import StaffSettings
from web.staff_app import include_staff
from web.twilio_webhooks import twilio_router


def create_app(
    engine: Engine,
    settings: WebSettings | None,
    clock: Clock,
    staff: StaffSettings | None = None,
) -> FastAPI:
    """An app bound to a database, Twilio's tokens and a clock (tests pass a FixedClock).

    Without Twilio settings the webhooks are not served (the staff pages still are); the staff
    pages get a random secret unless one is given (sessions then end when the app restarts).
    """
    # No interactive docs or schema for strangers to browse.
    app = FastAPI(title="attendance-engine", docs_url=None, redoc_url=None, openapi_url=None)
    if settings is not None:
        app.include_router(twilio_router(engine, settings, clock))
    include_staff(app, engine, clock, staff or StaffSettings(secrets.token_urlsafe(32)))
    return app


def app_from_environment() -> FastAPI:
    """The production app: ATTENDANCE_PUBLIC_URL, TWILIO_AUTH_TOKEN[_PREVIOUS] and
    ATTENDANCE_DATABASE_URL. Refuses to start on a missing setting or an old schema."""
    settings = WebSettings.from_environment()
    staff = staff_settings_from_environment()
    engine = make_engine()
    require_current_schema(engine)
    # uvicorn configures only its own loggers; without this the webhook outcomes are lost.
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    return create_app(engine, settings, SystemClock(), staff)


def staff_settings_from_environment() -> StaffSettings:
    """ATTENDANCE_WEB_SECRET signs sessions, so they survive a restart and are shared by
    several workers; without it each start makes its own (everyone logs in again)."""
    secret = os.environ.get("ATTENDANCE_WEB_SECRET", "").strip() or secrets.token_urlsafe(32)
    return StaffSettings(secret)


def __getattr__(name: str) -> FastAPI:
    # `app` is built on first use, so importing create_app (tests, other apps) needs no
    # production environment, while `uvicorn web.app:app` still finds a module-level app.
    if name == "app":
        built = app_from_environment()
        globals()["app"] = built
        return built
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

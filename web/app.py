"""The web app: `create_app` for tests and embedding; `app` for `uvicorn web.app:app`."""

from __future__ import annotations

import logging

from fastapi import FastAPI
from sqlalchemy import Engine

from school.clock import Clock, SystemClock
from school.database import make_engine, require_current_schema
from web.settings import WebSettings
from web.twilio_webhooks import twilio_router


def create_app(engine: Engine, settings: WebSettings, clock: Clock) -> FastAPI:
    """An app bound to a database, Twilio's tokens and a clock (tests pass a FixedClock)."""
    # Only Twilio calls this app: no interactive docs or schema for strangers to browse.
    app = FastAPI(title="attendance-engine", docs_url=None, redoc_url=None, openapi_url=None)
    app.include_router(twilio_router(engine, settings, clock))
    return app


def app_from_environment() -> FastAPI:
    """The production app: ATTENDANCE_PUBLIC_URL, TWILIO_AUTH_TOKEN[_PREVIOUS] and
    ATTENDANCE_DATABASE_URL. Refuses to start on a missing setting or an old schema."""
    settings = WebSettings.from_environment()
    engine = make_engine()
    require_current_schema(engine)
    # uvicorn configures only its own loggers; without this the webhook outcomes are lost.
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    return create_app(engine, settings, SystemClock())


def __getattr__(name: str) -> FastAPI:
    # `app` is built on first use, so importing create_app (tests, other apps) needs no
    # production environment, while `uvicorn web.app:app` still finds a module-level app.
    if name == "app":
        built = app_from_environment()
        globals()["app"] = built
        return built
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

"""Which database the engine uses: the URL given, else the environment's, else a local file."""

from __future__ import annotations

import os

DEFAULT_URL = "sqlite:///attendance.db"


def database_url(url: str | None = None) -> str:
    """The URL to use: given, else ATTENDANCE_DATABASE_URL, else an SQLite file here."""
    chosen = url or os.environ.get("ATTENDANCE_DATABASE_URL") or DEFAULT_URL
    # psycopg 3 is the driver we ship; a bare postgresql:// URL would look for psycopg2.
    if chosen.startswith("postgresql://") or chosen.startswith("postgres://"):
        chosen = "postgresql+psycopg://" + chosen.split("://", 1)[1]
    return chosen

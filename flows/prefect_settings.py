"""The environment every Prefect process here needs, set before `import prefect` reads it."""

from __future__ import annotations

import os
from collections.abc import MutableMapping

# Offline, Prefect's telemetry logs errors and, on a fresh database, has raced the server's own
# migrations ("database is locked"); the SDK reads DO_NOT_TRACK when prefect is imported.
QUIET_PREFECT = {"PREFECT_SERVER_ANALYTICS_ENABLED": "false", "DO_NOT_TRACK": "1"}


def quiet_prefect(environ: MutableMapping[str, str] | None = None) -> None:
    """Turn Prefect's telemetry off unless the operator has said otherwise."""
    target = os.environ if environ is None else environ
    for key, value in QUIET_PREFECT.items():
        target.setdefault(key, value)

"""Where the bundled seed policies and calendars live (light: the command line's defaults)."""

from __future__ import annotations

from pathlib import Path

POLICY_DIR = Path(__file__).resolve().parent.parent / "policies"

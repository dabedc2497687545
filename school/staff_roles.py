"""The staff roles an account can have: light enough for the command line's help to read."""

from __future__ import annotations

# What each role is for, in the school's words (the web app's route table uses the keys).
ROLES = {
    "office": "attendance office: the morning board, calls and replies",
    "pastoral": "heads of year and pastoral staff: cases",
    "dsl": "Designated Safeguarding Lead: alerts",
    "head": "headteacher: sees everything of their schools",
    "admin": "administrator: accounts and settings",
}

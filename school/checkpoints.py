"""Named points between claiming, committing and sending, where tests make a run crash.

Production code calls `reached(name)`, which does nothing; the crash-safety tests replace it
with one that raises at the point under test, then run again and count what was sent.
"""

from __future__ import annotations

POINTS = (
    "open.before_commit",  # checks opened, not yet committed
    "advance.claimed",  # due checks claimed in the batch's transaction
    "advance.before_commit",  # steps run, events/tasks/outbox rows written, not committed
    "dispatch.claimed",  # messages marked `sending` and committed, nothing sent yet
    "dispatch.started",  # one send marked started and committed, its request not yet made
    "dispatch.sent",  # the channels answered and told the outbox, nothing settled yet
)
# Not a chase tick's point (the chase-safety tests crash a tick at each of POINTS): where a
# watchdog run has found its problems and stored none, for the tests of two runs at once.
WATCHDOG_FOUND = "watchdog.found"


def reached(name: str) -> None:
    """Does nothing; tests patch it to stop a run at `name` (one of POINTS, or WATCHDOG_FOUND)."""

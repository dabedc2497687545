"""A SendGate for calling channels directly: records each start and finish, refuses on request."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from notifications.message import OutgoingMessage, SendOutcome


@dataclass
class RecordingGate:
    """Lets every send start unless its key is in `refuse` (a claim lost to another worker)."""

    refuse: set[str] = field(default_factory=set)
    started: list[str] = field(default_factory=list)
    finished: dict[str, SendOutcome] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def start(self, message: OutgoingMessage) -> bool:
        with self._lock:
            if message.key in self.refuse:
                return False
            self.started.append(message.key)
            return True

    def finish(self, message: OutgoingMessage, outcome: SendOutcome) -> None:
        with self._lock:
            self.finished[message.key] = outcome

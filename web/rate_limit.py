"""A per-key sliding-window limit: how many requests one sender may make in a window."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable


class SlidingWindowLimit:
    """At most `limit` events per key in any `window_seconds`; memory bounded by `max_keys`.

    Kept in the process: a webhook flood from one number is stopped by the worker it hits,
    which is what matters for the database behind it. With several workers each keeps its own.
    """

    def __init__(
        self,
        limit: int,
        window_seconds: float,
        *,
        max_keys: int = 10_000,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.limit = limit
        self.window = window_seconds
        self.max_keys = max_keys
        self._now = monotonic
        self._events: dict[str, deque[float]] = {}

    def allow(self, key: str) -> bool:
        """Record an attempt by `key`; False if it is over the limit (the attempt is not kept)."""
        now = self._now()
        events = self._events.get(key)
        if events is None:
            if len(self._events) >= self.max_keys:
                self._forget_idle(now)
            events = self._events[key] = deque()
        while events and now - events[0] >= self.window:
            events.popleft()
        if len(events) >= self.limit:
            return False
        events.append(now)
        return True

    def _forget_idle(self, now: float) -> None:
        idle = [k for k, ev in self._events.items() if not ev or now - ev[-1] >= self.window]
        for key in idle:
            del self._events[key]
        if len(self._events) >= self.max_keys:  # all busy: forget the oldest half
            for key in list(self._events)[: self.max_keys // 2]:
                del self._events[key]

"""A channel that writes messages to a JSON-lines file instead of sending them (the demo)."""

from __future__ import annotations

import asyncio
import json
import threading
from pathlib import Path

from notifications.message import (
    CLAIM_LOST,
    ChannelName,
    Delivery,
    LostSend,
    OutgoingMessage,
    SendGate,
    SendOutcome,
    Sighting,
)
from school.clock import Clock, SystemClock
from school.private_files import open_private, private_folder


class LocalOutboxChannel:
    """Appends one JSON line per message to `path`; every message counts as sent."""

    def __init__(self, path: Path, name: ChannelName, *, clock: Clock | None = None) -> None:
        if name not in ("sms", "email"):
            raise ValueError(f"unknown channel name: {name!r}")
        self.path = Path(path)
        self.name: ChannelName = name
        self._clock: Clock = clock or SystemClock()
        self._lock = threading.Lock()
        self._count: int | None = None

    def __repr__(self) -> str:
        return f"LocalOutboxChannel(path={str(self.path)!r}, name={self.name!r})"

    def close(self) -> None:
        """Nothing to release between calls; here so every channel can be closed alike."""

    async def reconcile(self, lost: list[LostSend]) -> list[Sighting]:
        """A lost send is in the file if a whole line carries its key."""
        if not lost:
            return []
        return await asyncio.to_thread(self._look_up, lost)

    def _look_up(self, lost: list[LostSend]) -> list[Sighting]:
        wanted = {one.message.key for one in lost}
        found: dict[str, list[str]] = {}
        try:
            with self._lock, self.path.open(encoding="utf-8") as handle:
                for line in handle:
                    try:
                        entry = json.loads(line)
                    except ValueError:
                        continue  # a line cut short by a crash: that message was not written
                    if isinstance(entry, dict) and entry.get("key") in wanted:
                        found.setdefault(entry["key"], []).insert(0, str(entry["provider_id"]))
        except FileNotFoundError:
            pass
        except OSError as exc:
            return [
                Sighting(Delivery.UNKNOWN, error=f"local outbox unreadable: {exc}") for _ in lost
            ]
        return [
            Sighting(Delivery.SENT, tuple(found[one.message.key]))
            if one.message.key in found
            else Sighting(Delivery.TRANSIENT, error="not in the local outbox: written again")
            for one in lost
        ]

    async def send_many(self, messages: list[OutgoingMessage], gate: SendGate) -> list[SendOutcome]:
        if not messages:
            return []
        # File I/O off the event loop: a slow disk must not stall other coroutines.
        return await asyncio.to_thread(self._append, messages, gate)

    def _append(self, messages: list[OutgoingMessage], gate: SendGate) -> list[SendOutcome]:
        outcomes: list[SendOutcome] = []
        # The lock keeps lines whole and numbers unique when several calls overlap.
        with self._lock:
            try:
                private_folder(self.path.parent)
                whole = True
                if self._count is None:
                    self._count, whole = _existing_lines(self.path)
                handle = open_private(self.path, "a")
            except OSError as exc:
                error = f"local outbox unavailable: {exc}"
                return [SendOutcome(Delivery.TRANSIENT, error=error) for _ in messages]
            with handle:
                if not whole:
                    # A crash cut the last line short: start ours on a fresh line.
                    handle.write("\n")
                for index, message in enumerate(messages):
                    if message.channel != self.name:
                        error = f"not an {self.name} message: {message.channel}"
                        outcomes.append(SendOutcome(Delivery.PERMANENT, error=error))
                        continue
                    provider_id = f"local-{self._count + 1}"
                    line = json.dumps(
                        {
                            "key": message.key,
                            "channel": message.channel,
                            "to": message.to,
                            "subject": message.subject,
                            "text": message.text,
                            "html": message.html,
                            "sent_at": self._clock.now().isoformat(),
                            "provider_id": provider_id,
                        },
                        ensure_ascii=False,
                    )
                    if not gate.start(message):
                        outcomes.append(CLAIM_LOST)
                        continue
                    try:
                        handle.write(line + "\n")
                        # Flush per message so a crash loses at most the line being written.
                        handle.flush()
                    except OSError as exc:
                        # Stop here: writing after a half-written line would corrupt the next.
                        error = f"local outbox write failed: {exc}"
                        outcomes.extend(
                            SendOutcome(Delivery.TRANSIENT, error=error) for _ in messages[index:]
                        )
                        break
                    self._count += 1
                    outcomes.append(SendOutcome(Delivery.SENT, provider_id=provider_id))
                    gate.finish(message, outcomes[-1])
        return outcomes


def _existing_lines(path: Path) -> tuple[int, bool]:
    """Lines already in the file (numbering carries on across restarts), and whether the
    last one is complete."""
    count = 0
    last = b"\n"
    if not path.exists():
        return 0, True
    with path.open("rb") as handle:
        for line in handle:
            count += 1
            last = line[-1:]
    return count, last == b"\n"

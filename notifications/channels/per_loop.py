"""A channel's connections for the running event loop, released when that loop shuts down."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

T = TypeVar("T")


class PerLoop(Generic[T]):
    """Connections belong to the event loop that opened them (aiosmtplib's and aiohttp's both
    do), and a channel outlives loops: the command line runs one `asyncio.run` a school. So
    the value is made for the running loop, made afresh on another, and a keeper task on its
    loop releases it when that loop shuts down (asyncio.run cancels the tasks left), so no
    connection is left half open."""

    def __init__(
        self,
        make: Callable[[], T],
        release: Callable[[T], Awaitable[None]],
        abandon: Callable[[T], None],
        name: str,
    ) -> None:
        self._make = make
        self._release = release
        self._abandon = abandon
        self._name = name
        self._held: tuple[asyncio.AbstractEventLoop, T, asyncio.Task[None]] | None = None

    def get(self) -> T:
        """The running loop's value, made (and its keeper started) on first use there."""
        loop = asyncio.get_running_loop()
        if self._held is None or self._held[0] is not loop:
            # Another loop's value stays with that loop's keeper, which releases it there.
            value = self._make()
            keeper = loop.create_task(self._keep(value), name=self._name)
            self._held = (loop, value, keeper)
        return self._held[1]

    async def _keep(self, value: T) -> None:
        try:
            await asyncio.Event().wait()  # until the loop's owner cancels it at shutdown
        finally:
            await self._release(value)

    def drop(self) -> None:
        """Release the value now: on its loop if that still runs, else at once (`abandon`)."""
        held, self._held = self._held, None
        if held is None:
            return
        loop, value, keeper = held
        if keeper.done():
            return  # its loop shut down and the keeper released it
        if not loop.is_closed():
            keeper.cancel()
            return
        self._abandon(value)  # the loop was closed without cancelling its tasks
